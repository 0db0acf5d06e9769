// Package risk owns suspicious-activity control (ACC-8): the rules that
// hold an outgoing payment for review, staff's decision on a hold, and
// "not my transaction" reports, which freeze the user's outgoing payments
// until a supervisor lifts the freeze.
//
// It plugs into the wallet as its wallet.Screener: every send (and every
// withdrawal, through the same hook) is screened before it is recorded,
// and admitted inside the transaction that records it.
//
// Invariants it keeps:
//   - The rules are one function of facts (Evaluate) with every threshold
//     in Config, in one place. A payment is held when it is the
//     VelocityCount-th or later outgoing payment within VelocityWindow, or
//     when its amount is unusual for the user AND it goes to a new payee
//     or comes from a new device (see Evaluate for each rule).
//   - A held payment's money is a pending ledger transfer (the wallet's
//     plan flagged Pending, ids derived from the movement): the payer's
//     available balance drops at once, the payee sees nothing until staff
//     release it. Release posts the hold, refuse voids it; the ledger
//     resolves a pending transfer at most once.
//   - A case is decided at most once: the decision is one conditional
//     update (open to released or refused) that commits with its audit
//     record, the user's email and the job that carries it out, so of two
//     supervisors clicking at once exactly one decides, and a crash
//     between the decision and the ledger is finished by the job.
//   - A freeze is checked in the transaction that inserts an outgoing
//     movement, through a per-user row that both that transaction and the
//     report's write (Tx.LockOutgoing, Tx.SetFrozen): once a report has
//     committed, no outgoing movement can commit; a send that committed
//     first is counted in the report (Case.OutgoingBefore).
//   - Only supervisors (auth.ActionRiskDecide) release, refuse or lift a
//     freeze; agents and up see the queue (auth.ActionRiskView). Every
//     decision is audited.
//
// The package knows no HTTP or SQL: sqlstore implements Store, the web
// layer implements Notifier (the user's emails).
package risk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Errors returned by the package.
var (
	// ErrCaseNotFound: no such case (or not one the caller may act on).
	ErrCaseNotFound = errors.New("risk: case not found")
	// ErrDecided: the case was decided already (by someone else, or by an
	// earlier click).
	ErrDecided = errors.New("risk: case already decided")
	// ErrNotFrozen: lifting a freeze that is not in force.
	ErrNotFrozen = errors.New("risk: outgoing payments are not frozen")
	// ErrWordsTooLong: a report's words are longer than Config.MaxWords.
	ErrWordsTooLong = errors.New("risk: report text too long")
	// ErrNoteTooLong: a staff note longer than Config.MaxWords.
	ErrNoteTooLong = errors.New("risk: note too long")
	// ErrForbidden: the actor may not take this decision.
	ErrForbidden = errors.New("risk: forbidden")
	// ErrHoldEnded: the held payment ended before review (the ledger
	// refused the hold), so there is nothing to decide.
	ErrHoldEnded = errors.New("risk: the held payment has ended")
)

// Kind is what a case is about.
type Kind string

// Case kinds.
const (
	KindHold   Kind = "hold"   // an outgoing payment held by the rules
	KindReport Kind = "report" // a movement the user says is not theirs
)

// CaseStatus is where a case is.
type CaseStatus string

// Case statuses. A hold ends released or refused; a report ends closed
// when a supervisor lifts the freeze.
const (
	CaseOpen     CaseStatus = "open"
	CaseReleased CaseStatus = "released"
	CaseRefused  CaseStatus = "refused"
	CaseClosed   CaseStatus = "closed"
)

// Case is a hold or a report.
type Case struct {
	// ID is "rc_" and 26 base32 characters.
	ID         string
	Kind       Kind
	UserID     int64
	MovementID string
	Status     CaseStatus
	// Reasons are the rules that held the payment (holds only).
	Reasons []string
	// Amount is the movement's amount.
	Amount money.Amount
	// Payee is who the movement paid (or was paid by), as the user sees them.
	Payee string
	// Words are the user's own words (reports only).
	Words string
	// OutgoingBefore counts the user's outgoing movements recorded before
	// the report's freeze took effect (reports only).
	OutgoingBefore int
	DecidedBy      int64
	DecidedAt      time.Time
	Note           string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Freeze is the state of a user's outgoing payments.
type Freeze struct {
	UserID int64
	Frozen bool
	// Since and CaseID: when, and by which report, they were frozen.
	Since    time.Time
	CaseID   string
	LiftedBy int64
	LiftedAt time.Time
}

// CaseQuery selects cases.
type CaseQuery struct {
	// UserID selects one user's cases (0: everyone's).
	UserID   int64
	Kinds    []Kind
	Statuses []CaseStatus
	// Live leaves out holds whose payment is no longer pending or held
	// (one the ledger refused before review).
	Live bool
	// Limit is the longest list.
	Limit int
}

// Store is the persistence risk needs; sqlstore implements it (DB.Risk).
type Store interface {
	// InTx runs fn in one transaction and commits when it returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
	// WalletTx is the risk store inside a wallet transaction (Admit).
	WalletTx(tx wallet.Tx) (Tx, error)

	// OutgoingSince counts the user's outgoing movements (neither
	// deposits, receipts nor fees) created at or after since that did
	// not fail.
	OutgoingSince(ctx context.Context, userID int64, since time.Time) (int, error)
	// PastAmounts lists the amounts of the user's completed outgoing
	// movements in currency created at or after since, newest first, at
	// most limit.
	PastAmounts(ctx context.Context, userID int64, currency string, since time.Time, limit int) ([]int64, error)
	// PaidBefore reports whether the user has a completed outgoing
	// movement to payee: a wallet id, or for withdrawals the
	// destination's display (wallet.Outgoing.Payee).
	PaidBefore(ctx context.Context, userID int64, payee string) (bool, error)

	// Case returns a case. Errors: ErrCaseNotFound.
	Case(ctx context.Context, id string) (Case, error)
	// CaseByMovement returns the case of kind about a movement. Errors:
	// ErrCaseNotFound.
	CaseByMovement(ctx context.Context, kind Kind, movementID string) (Case, error)
	// Cases lists cases matching q, oldest first.
	Cases(ctx context.Context, q CaseQuery) ([]Case, error)
	// Freeze returns a user's freeze state (a zero Freeze when none).
	Freeze(ctx context.Context, userID int64) (Freeze, error)
	// Frozen lists the users whose outgoing payments are frozen, oldest
	// freeze first, at most limit.
	Frozen(ctx context.Context, limit int) ([]Freeze, error)
}

// Tx is the store inside one transaction.
type Tx interface {
	audit.Appender
	// LockOutgoing takes the user's risk row for this transaction (so it
	// orders after any freeze already committed, and a freeze waits for
	// it) and reports whether outgoing payments are frozen.
	LockOutgoing(ctx context.Context, userID int64) (bool, error)
	// SetFrozen freezes the user's outgoing payments by report caseID
	// (keeping an earlier freeze's time and case).
	SetFrozen(ctx context.Context, userID int64, caseID string, at time.Time) error
	// LiftFreeze ends a freeze in force; false when none was.
	LiftFreeze(ctx context.Context, userID, by int64, at time.Time) (bool, error)
	// CountOutgoing counts the user's outgoing movements, as committed.
	CountOutgoing(ctx context.Context, userID int64) (int, error)
	// InsertCase stores c; false when a case of its kind exists for its
	// movement.
	InsertCase(ctx context.Context, c Case) (bool, error)
	// DecideCase writes c's status, decider, time and note when the stored
	// status is from; false when it is not.
	DecideCase(ctx context.Context, c Case, from CaseStatus) (bool, error)
	// CloseReports closes the user's open reports and returns how many.
	CloseReports(ctx context.Context, userID, by int64, at time.Time, note string) (int64, error)
	// Enqueue adds jobs in this transaction.
	Enqueue(ctx context.Context, js ...jobs.Job) error
	// Outbox is the mail outbox in this transaction.
	Outbox() mail.OutboxTx
	// UserContact returns a user's email address and language.
	UserContact(ctx context.Context, userID int64) (email, locale string, err error)
}

// NoticeKind is what an email to the user says.
type NoticeKind string

// Notices.
const (
	NoticeHeld         NoticeKind = "held"          // a payment is held for review, and why
	NoticeReleased     NoticeKind = "released"      // it was released: the payee has the money
	NoticeRefused      NoticeKind = "refused"       // it was refused: the money is back
	NoticeReported     NoticeKind = "reported"      // a report was received; outgoing payments are paused
	NoticeFreezeLifted NoticeKind = "freeze_lifted" // outgoing payments work again
)

// Notice is an email to the user about a case.
type Notice struct {
	Kind NoticeKind
	Case Case
}

// Notifier writes the user's email about a case into the outbox inside
// tx; the web layer implements it with the message catalogues.
type Notifier interface {
	Notify(ctx context.Context, tx Tx, n Notice) error
}

// Wallet is the part of the wallet risk uses (*wallet.Service).
type Wallet interface {
	// Movement returns the user's movement. Errors: wallet.ErrMovementNotFound.
	Movement(ctx context.Context, userID int64, id string) (wallet.Movement, error)
	// ResolveHold releases or refuses a held movement (see wallet).
	ResolveHold(ctx context.Context, movementID string, release bool) (wallet.Movement, error)
}

// Devices tells how long a browser has been known (*auth.Service).
type Devices interface {
	// DeviceFirstSeen returns when the user first signed in with the
	// device cookie token; found is false for a cookie unknown for them.
	DeviceFirstSeen(ctx context.Context, userID int64, token string) (first time.Time, found bool, err error)
}

// Config holds every threshold of the rules, with DefaultConfig's values
// for zero fields.
type Config struct {
	// VelocityCount outgoing payments within VelocityWindow already made
	// hold the next one (default 5 in 10 minutes).
	VelocityCount  int
	VelocityWindow time.Duration
	// AmountFloor: an amount below it (converted into the payment's
	// currency) is never unusual (default 500.00 USD).
	AmountFloor money.Amount
	// AmountMultiple: an amount above this many times the user's usual
	// amount (the median of their last HistorySize completed outgoing
	// payments in the currency within HistoryWindow) is unusual (default
	// 5). With fewer than MinHistory such payments (default 3), any amount
	// at or above the floor is unusual.
	AmountMultiple int64
	MinHistory     int
	HistorySize    int
	HistoryWindow  time.Duration
	// NewDeviceAge: a browser first signed in from less than this long
	// ago is a new device (default 72 hours).
	NewDeviceAge time.Duration
	// MaxWords is the longest report or staff note, in characters
	// (default 2000).
	MaxWords int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{}.withDefaults() }

func (c Config) withDefaults() Config {
	if c.VelocityCount <= 0 {
		c.VelocityCount = 5
	}
	if c.VelocityWindow <= 0 {
		c.VelocityWindow = 10 * time.Minute
	}
	if c.AmountFloor.Currency.Code == "" || c.AmountFloor.Minor <= 0 {
		c.AmountFloor = money.Amount{Minor: 500_00, Currency: money.MustCurrency("USD")}
	}
	if c.AmountMultiple <= 0 {
		c.AmountMultiple = 5
	}
	if c.MinHistory <= 0 {
		c.MinHistory = 3
	}
	if c.HistorySize <= 0 {
		c.HistorySize = 20
	}
	if c.HistoryWindow <= 0 {
		c.HistoryWindow = 90 * 24 * time.Hour
	}
	if c.NewDeviceAge <= 0 {
		c.NewDeviceAge = 72 * time.Hour
	}
	if c.MaxWords <= 0 {
		c.MaxWords = 2000
	}
	return c
}

// Options are a Service's dependencies.
type Options struct {
	Config   Config
	Store    Store
	Wallet   Wallet
	Rates    wallet.Rates
	Devices  Devices
	Notifier Notifier
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service is suspicious-activity control. It is safe for concurrent use.
type Service struct {
	cfg     Config
	store   Store
	wallet  Wallet
	rates   wallet.Rates
	devices Devices
	notify  Notifier
	now     func() time.Time
	log     *slog.Logger
}

var _ wallet.Screener = (*Service)(nil)

// New returns the service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Wallet == nil || o.Rates == nil || o.Devices == nil || o.Notifier == nil {
		return nil, errors.New("risk: New needs a store, wallet, rates, devices and notifier")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: o.Config.withDefaults(), store: o.Store, wallet: o.Wallet, rates: o.Rates,
		devices: o.Devices, notify: o.Notifier, now: now, log: log}, nil
}

// Config returns the configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

func newCaseID() string { return "rc_" + strings.ToLower(rand.Text()) }

// ValidCaseID reports whether id has the form of a case id.
func ValidCaseID(id string) bool {
	rest, ok := strings.CutPrefix(id, "rc_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// cleanText trims text, turns line breaks into spaces only where the
// caller asks, drops control characters and bounds its length.
func (s *Service) cleanText(text string, tooLong error) (string, error) {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, text)
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r", ""))
	if n := len([]rune(text)); n > s.cfg.MaxWords {
		return "", fmt.Errorf("%w: %d characters, at most %d", tooLong, n, s.cfg.MaxWords)
	}
	return text, nil
}
