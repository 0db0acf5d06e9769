package merchant

// Disputes (MER-4): a payer contests a payment they made to a merchant.
//
// Money, in the ledger (all ids derived from the dispute's id and, for
// the hold, its attempt number, so a retry answers "exists"):
//
//   - Opening is one linked set: the payment's refundable account is
//     debited by the disputed amount (so refunds and the dispute together
//     never exceed what was captured: the account can never go below
//     zero, inside the ledger commit), and the disputed amount is held as
//     pending transfers into the dispute-hold account, from the merchant's
//     balance as far as its available balance goes and, for the rest,
//     from the merchant's receivable account (the shortfall the merchant
//     would owe). If the balance shrank between the read and the commit,
//     the set is refused and planned again under the next attempt number.
//   - Won: both holds are voided (the money never left the merchant) and
//     the refundable account is credited back.
//   - Lost: both holds are posted and the dispute-hold account pays the
//     payer back (their wallet, or card clearing for a card). A posted
//     shortfall leaves the receivable owing: the merchant's payouts are
//     blocked (PayoutBlocked) until it is covered.
//   - Covering: every capture, every decided dispute and every PayoutBlocked
//     check moves min(owed, available) from the merchant's balance into
//     the receivable (a balancing debit). The receivable account refuses
//     credits beyond its debits inside the commit, so a cover can never
//     overpay even when two run at once; that is why a cover may use a
//     fresh transfer id.
//
// State: a dispute is decided at most once (a conditional update from an
// open status to closing); the ledger settles it after that commit, and a
// sweep finishes any dispute left opening or closing by a crash.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/upload"
	"github.com/okpay/okpay/internal/wallet"
)

// Dispute errors.
var (
	ErrDisputesOff         = errors.New("merchant: disputes are not enabled")
	ErrDisputeExists       = errors.New("merchant: this payment is already disputed")
	ErrNotDisputable       = errors.New("merchant: this payment cannot be disputed")
	ErrNothingToDispute    = errors.New("merchant: nothing is left to dispute: the payment was refunded")
	ErrInvalidReason       = errors.New("merchant: choose a reason for the dispute")
	ErrDisputeText         = errors.New("merchant: the text is empty, too long or not printable")
	ErrDisputeClosed       = errors.New("merchant: the dispute is already decided")
	ErrDeadlinePassed      = errors.New("merchant: the deadline for evidence has passed")
	ErrEvidenceEmpty       = errors.New("merchant: give a statement or a file")
	ErrEvidenceType        = errors.New("merchant: evidence files must be JPEG, PNG or PDF")
	ErrEvidenceTooLarge    = errors.New("merchant: an evidence file is too large")
	ErrEvidenceTooMany     = errors.New("merchant: too many evidence files")
	ErrInvalidOutcome      = errors.New("merchant: the decision must be won or lost")
	errDisputeHoldRejected = errors.New("merchant: the dispute hold was refused")
)

// PrefixDispute and PrefixEvidence are the ids of disputes and their
// evidence.
const (
	PrefixDispute  = "dp_"
	PrefixEvidence = "dpe_"
)

// Event types of disputes.
const (
	EventDisputeCreated = "dispute.created"
	EventDisputeClosed  = "dispute.closed"
)

// Ledger codes of disputes (a range of their own, clear of the payment
// codes that may still grow).
const (
	// AccountDisputeHold: per mode and currency, the disputed money while
	// a dispute is open and until a lost one pays the payer back.
	AccountDisputeHold uint16 = 320
	// AccountMerchantReceivable: per merchant, mode and currency, what the
	// merchant owes the platform (debits less credits); credits can never
	// exceed debits, so covering never overpays.
	AccountMerchantReceivable uint16 = 321
)

const (
	TransferDisputeRefundable uint16 = 320 + iota // the per-payment cap, and its restore when won
	TransferDisputeHold                           // the hold (pending), posted or voided with this code
	TransferDisputeShortfall                      // the receivable's part of the hold
	TransferDisputePayback                        // a lost dispute pays the payer
	TransferReceivableCover                       // the balance covers the receivable
)

// Limits of disputes.
const (
	// DefaultResponseDays is how many calendar days a merchant has to
	// submit evidence.
	DefaultResponseDays = 7
	MaxDisputeText      = 2000
	MaxEvidenceFiles    = 3
	MaxEvidenceSize     = 5 << 20
	maxEvidencePixels   = 40_000_000
	holdAttempts        = 5
)

// DisputeReason is why the payer disputes.
type DisputeReason string

const (
	ReasonNotReceived    DisputeReason = "not_received"
	ReasonNotAsDescribed DisputeReason = "not_as_described"
	ReasonUnauthorized   DisputeReason = "unauthorized"
	ReasonDuplicate      DisputeReason = "duplicate"
	ReasonOther          DisputeReason = "other"
)

// DisputeReasons lists the reasons, in the order pages offer them.
var DisputeReasons = []DisputeReason{ReasonNotReceived, ReasonNotAsDescribed, ReasonUnauthorized, ReasonDuplicate, ReasonOther}

// DisputeStatus is where a dispute is.
type DisputeStatus string

const (
	// DisputeOpening: recorded, the hold being placed (nobody sees it yet).
	DisputeOpening DisputeStatus = "opening"
	// DisputeNeedsResponse: held; the merchant may submit evidence.
	DisputeNeedsResponse DisputeStatus = "needs_response"
	// DisputeUnderReview: evidence submitted; staff decide.
	DisputeUnderReview DisputeStatus = "under_review"
	// DisputeClosing: decided; the ledger is settling it.
	DisputeClosing DisputeStatus = "closing"
	DisputeWon     DisputeStatus = "won"
	DisputeLost    DisputeStatus = "lost"
)

// Open reports whether the dispute awaits a decision.
func (s DisputeStatus) Open() bool { return s == DisputeNeedsResponse || s == DisputeUnderReview }

// Dispute is a payer's dispute of a payment.
type Dispute struct {
	ID          string // "dp_..."
	PaymentID   string
	MerchantID  string
	Livemode    bool
	PayerUserID int64
	Amount      money.Amount
	Reason      DisputeReason
	// Message is the payer's words, through the sensitive-data guard.
	Message string
	Status  DisputeStatus
	// Outcome is won or lost once decided (while closing too).
	Outcome DisputeStatus
	// Attempt numbers the plans of the hold; HeldFromBalance and Shortfall
	// are the current plan's split of Amount.
	Attempt         int
	HeldFromBalance int64
	Shortfall       int64
	DueBy           time.Time // evidence accepted before it
	EvidenceAt      time.Time // last evidence submitted
	DecidedBy       int64
	DecidedAt       time.Time
	DecisionNote    string
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Object is the API object name.
func (Dispute) Object() string { return "dispute" }

// DisputeView is a dispute as the API and webhooks show it.
type DisputeView struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	Livemode        bool   `json:"livemode"`
	Created         int64  `json:"created"`
	PaymentIntent   string `json:"payment_intent"`
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	Reason          string `json:"reason"`
	Status          string `json:"status"`
	EvidenceDueBy   int64  `json:"evidence_due_by"`
	AmountShortfall int64  `json:"amount_shortfall"`
}

// View is the API view of d.
func (d Dispute) View() DisputeView {
	st := d.Status
	if st == DisputeClosing {
		st = DisputeUnderReview
	}
	return DisputeView{ID: d.ID, Object: d.Object(), Livemode: d.Livemode, Created: d.CreatedAt.Unix(), PaymentIntent: d.PaymentID,
		Amount: d.Amount.Minor, Currency: lower(d.Amount.Currency), Reason: string(d.Reason), Status: string(st),
		EvidenceDueBy: d.DueBy.Unix(), AmountShortfall: d.Shortfall}
}

// Evidence is one piece of a merchant's evidence: a statement, or a file.
type Evidence struct {
	ID          string // "dpe_..."
	DisputeID   string
	Text        string
	FileName    string
	ContentType string
	Size        int
	Sealed      []byte // the file sealed under the evidence id; nil in lists
	CreatedBy   int64
	CreatedAt   time.Time
}

// IsFile reports whether the evidence is a file.
func (e Evidence) IsFile() bool { return e.ContentType != "" }

// DisputeQuery selects disputes: of one merchant and mode, of one payer,
// or (neither) all, optionally only open ones; newest first.
type DisputeQuery struct {
	MerchantID string
	Livemode   bool
	PayerID    int64
	OpenOnly   bool
	Limit      int
}

// DisputeStore is the persistence of disputes; sqlstore implements it.
type DisputeStore interface {
	// InDisputeTx runs fn in one transaction (never call the ledger in it).
	InDisputeTx(ctx context.Context, fn func(DisputeTx) error) error
	// Dispute returns one dispute. Errors: ErrNotFound.
	Dispute(ctx context.Context, id string) (Dispute, error)
	// DisputeOfPayment returns a payment's dispute. Errors: ErrNotFound.
	DisputeOfPayment(ctx context.Context, paymentID string) (Dispute, error)
	Disputes(ctx context.Context, q DisputeQuery) ([]Dispute, error)
	// Evidence lists a dispute's evidence, oldest first, without files.
	Evidence(ctx context.Context, disputeID string) ([]Evidence, error)
	// EvidenceFile returns one piece with its sealed file. Errors:
	// ErrNotFound.
	EvidenceFile(ctx context.Context, id string) (Evidence, error)
	// PayerPayments lists the succeeded payments a user paid, newest first.
	PayerPayments(ctx context.Context, userID int64, limit int) ([]Payment, error)
	// StaleDisputes lists disputes opening or closing unchanged since
	// before, oldest first.
	StaleDisputes(ctx context.Context, before time.Time, limit int) ([]string, error)
}

// DisputeTx is the store inside one transaction.
type DisputeTx interface {
	Tx
	// EventsTx is the same transaction as the merchant store's own Tx,
	// the one the events sink knows how to write through.
	EventsTx() Tx
	// InsertDispute adds d; false when the payment already has a dispute.
	InsertDispute(ctx context.Context, d Dispute) (bool, error)
	// UpdateDispute writes d when the stored version is d.Version and
	// stores d.Version+1; false when another writer won.
	UpdateDispute(ctx context.Context, d Dispute) (bool, error)
	// DeleteDispute removes a dispute still opening at version (a dispute
	// the ledger refused, of which nobody was told).
	DeleteDispute(ctx context.Context, id string, version int64) (bool, error)
	InsertEvidence(ctx context.Context, e Evidence) error
	// UserContact is a user's email and language.
	UserContact(ctx context.Context, userID int64) (email, locale string, err error)
	Outbox() mail.OutboxTx
	Audit() audit.Appender
}

// Sealer seals evidence files at rest (*secretbox.Box).
type Sealer interface {
	Seal(plaintext []byte, ad string) ([]byte, error)
	Open(sealed []byte, ad string) ([]byte, error)
}

// DisputeNotice is a mail about a dispute.
type DisputeNotice struct {
	Dispute  Dispute
	Merchant Merchant
	// To is the user written to: the payer, or a member of the merchant.
	To int64
	// ToMerchant: the notice is the merchant's (else the payer's).
	ToMerchant bool
}

// DisputeMailer queues dispute mail in the dispute's transaction, in the
// reader's language (internal/web implements it).
type DisputeMailer interface {
	QueueDispute(ctx context.Context, tx DisputeTx, n DisputeNotice) error
}

// DisputeOptions turn disputes on.
type DisputeOptions struct {
	Store  DisputeStore
	Sealer Sealer
	Mailer DisputeMailer // nil: no mail
	// ResponseDays: calendar days the merchant has for evidence (default 7).
	ResponseDays int
}

type disputes struct {
	store  DisputeStore
	sealer Sealer
	mailer DisputeMailer
	days   int
}

// EnableDisputes turns disputes on.
func (s *Service) EnableDisputes(o DisputeOptions) error {
	if o.Store == nil || o.Sealer == nil {
		return errors.New("merchant: disputes need a store and a sealer")
	}
	if o.ResponseDays <= 0 {
		o.ResponseDays = DefaultResponseDays
	}
	s.disputes = &disputes{store: o.Store, sealer: o.Sealer, mailer: o.Mailer, days: o.ResponseDays}
	return nil
}

// DisputesEnabled reports whether disputes are on.
func (s *Service) DisputesEnabled() bool { return s.disputes != nil }

// ResponseDays is how many calendar days merchants have for evidence.
func (s *Service) ResponseDays() int {
	if s.disputes == nil {
		return DefaultResponseDays
	}
	return s.disputes.days
}

// DisputeHoldRef, ReceivableRef are the ledger refs of the dispute-hold
// and receivable accounts.
func DisputeHoldRef(mode Mode, currency string) string {
	return "platform:dispute_hold:" + string(mode) + ":" + currency
}
func ReceivableRef(merchantID string, mode Mode, currency string) string {
	return MerchantBalanceRef(merchantID, mode, currency) + ":receivable"
}

func (s *Service) disputeHold(ctx context.Context, mode Mode, cur string) (int64, error) {
	return s.account(ctx, ledger.Account{Ref: DisputeHoldRef(mode, cur), Currency: cur, Code: AccountDisputeHold})
}

func (s *Service) receivable(ctx context.Context, merchantID string, mode Mode, cur string) (int64, error) {
	return s.account(ctx, ledger.Account{Ref: ReceivableRef(merchantID, mode, cur), Currency: cur,
		Code: AccountMerchantReceivable, Flags: ledger.CreditsMustNotExceedDebits})
}

func (s *Service) disputeStore() (*disputes, error) {
	if s.disputes == nil {
		return nil, ErrDisputesOff
	}
	return s.disputes, nil
}

// ValidReason reports whether r is one of DisputeReasons.
func ValidReason(r DisputeReason) bool {
	for _, x := range DisputeReasons {
		if x == r {
			return true
		}
	}
	return false
}

// cleanText trims s and checks it; newlines and tabs are allowed.
func cleanDisputeText(s string, required bool) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if required && s == "" || utf8.RuneCountInString(s) > MaxDisputeText || !utf8.ValidString(s) {
		return "", ErrDisputeText
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "", ErrDisputeText
		}
	}
	return s, nil
}

// OpenDispute is a payer's request to dispute a payment.
type OpenDispute struct {
	PaymentID string
	UserID    int64 // the signed-in payer
	Reason    DisputeReason
	Message   string
}

// PayerPayment returns a payment to the user who paid it (ErrNotFound for
// anybody else), with its dispute if any.
func (s *Service) PayerPayment(ctx context.Context, userID int64, paymentID string) (Payment, Merchant, *Dispute, error) {
	p, err := s.payment(ctx, paymentID)
	if err != nil {
		return Payment{}, Merchant{}, nil, err
	}
	if userID <= 0 || p.PayerUserID != userID {
		return Payment{}, Merchant{}, nil, ErrNotFound
	}
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return Payment{}, Merchant{}, nil, storeErr("merchant", err)
	}
	if s.disputes == nil {
		return p, m, nil, nil
	}
	d, err := s.disputes.store.DisputeOfPayment(ctx, p.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return p, m, nil, nil
	case err != nil:
		return p, m, nil, unavailable("dispute", err)
	}
	return p, m, &d, nil
}

// PayerPayments lists the user's succeeded payments to merchants.
func (s *Service) PayerPayments(ctx context.Context, userID int64) ([]Payment, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return nil, err
	}
	ps, err := ds.store.PayerPayments(ctx, userID, 100)
	if err != nil {
		return nil, unavailable("payments", err)
	}
	return ps, nil
}

// PayerDisputes lists the user's disputes, newest first.
func (s *Service) PayerDisputes(ctx context.Context, userID int64) ([]Dispute, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return nil, err
	}
	out, err := ds.store.Disputes(ctx, DisputeQuery{PayerID: userID, Limit: 100})
	if err != nil {
		return nil, unavailable("disputes", err)
	}
	return out, nil
}

// Dispute opens a dispute of a succeeded payment by its payer: the
// disputed amount (all that is not refunded) is held at once.
// Errors: ErrNotFound (not their payment), ErrNotDisputable,
// ErrInvalidReason, ErrDisputeText, ErrDisputeExists, ErrNothingToDispute,
// ErrUnavailable.
func (s *Service) Dispute(ctx context.Context, in OpenDispute) (Dispute, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return Dispute{}, err
	}
	p, err := s.payment(ctx, in.PaymentID)
	if err != nil {
		return Dispute{}, err
	}
	if in.UserID <= 0 || p.PayerUserID != in.UserID {
		return Dispute{}, ErrNotFound
	}
	if p.Status != Succeeded {
		return Dispute{}, ErrNotDisputable
	}
	if !ValidReason(in.Reason) {
		return Dispute{}, ErrInvalidReason
	}
	msg, err := cleanDisputeText(in.Message, true)
	if err != nil {
		return Dispute{}, err
	}
	msg, _ = redact.Text(msg)
	amount := p.Refundable()
	if amount.Minor <= 0 {
		return Dispute{}, ErrNothingToDispute
	}
	id, _ := newPrefixedID(PrefixDispute)
	now := s.nowUTC()
	d := Dispute{ID: id, PaymentID: p.ID, MerchantID: p.MerchantID, Livemode: p.Livemode, PayerUserID: p.PayerUserID,
		Amount: amount, Reason: in.Reason, Message: msg, Status: DisputeOpening, Attempt: 1,
		DueBy: now.AddDate(0, 0, ds.days), CreatedAt: now, UpdatedAt: now}
	if err := s.planHold(ctx, &d); err != nil {
		return Dispute{}, err
	}
	var inserted bool
	err = ds.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
		var err error
		inserted, err = tx.InsertDispute(ctx, d)
		return err
	})
	if err != nil {
		return Dispute{}, unavailable("record dispute", err)
	}
	if !inserted {
		return Dispute{}, ErrDisputeExists
	}
	return s.placeHold(ctx, d)
}

// planHold splits the disputed amount between the merchant's available
// balance and the receivable (a read only: the ledger re-checks it).
func (s *Service) planHold(ctx context.Context, d *Dispute) error {
	bal, err := s.merchantBalance(ctx, d.MerchantID, modeOf(d.Livemode), d.Amount.Currency.Code)
	if err != nil {
		return err
	}
	acc, err := s.ledger.Account(ctx, bal)
	if err != nil {
		return unavailable("balance", err)
	}
	d.HeldFromBalance = min(d.Amount.Minor, max(acc.Available(), 0))
	d.Shortfall = d.Amount.Minor - d.HeldFromBalance
	return nil
}

func disputeHoldID(d Dispute) ledger.ID {
	return ledger.DeriveID(idBits(d.ID), "hold:"+strconv.Itoa(d.Attempt))
}
func disputeShortfallID(d Dispute) ledger.ID {
	return ledger.DeriveID(idBits(d.ID), "shortfall:"+strconv.Itoa(d.Attempt))
}

// disputeAccounts are the ledger accounts a dispute moves money among.
type disputeAccounts struct {
	refundable, control, balance, receivable, hold int64
}

func (s *Service) disputeAccounts(ctx context.Context, d Dispute) (disputeAccounts, error) {
	var a disputeAccounts
	var err error
	mode, cur := modeOf(d.Livemode), d.Amount.Currency.Code
	if a.refundable, err = s.refundable(ctx, d.PaymentID, cur); err != nil {
		return a, err
	}
	if a.control, err = s.refundControl(ctx, mode, cur); err != nil {
		return a, err
	}
	if a.balance, err = s.merchantBalance(ctx, d.MerchantID, mode, cur); err != nil {
		return a, err
	}
	if a.receivable, err = s.receivable(ctx, d.MerchantID, mode, cur); err != nil {
		return a, err
	}
	a.hold, err = s.disputeHold(ctx, mode, cur)
	return a, err
}

// holdTransfers is the opening linked set of d's current attempt.
func (s *Service) holdTransfers(ctx context.Context, d Dispute) ([]ledger.Transfer, error) {
	a, err := s.disputeAccounts(ctx, d)
	if err != nil {
		return nil, err
	}
	cur := d.Amount.Currency.Code
	bits := idBits(d.ID)
	n := strconv.Itoa(d.Attempt)
	ts := []ledger.Transfer{{ID: ledger.DeriveID(bits, "refundable:"+n), DebitAccountID: a.refundable, CreditAccountID: a.control,
		Amount: d.Amount.Minor, Currency: cur, Code: TransferDisputeRefundable}}
	if d.HeldFromBalance > 0 {
		ts = append(ts, ledger.Transfer{ID: disputeHoldID(d), DebitAccountID: a.balance, CreditAccountID: a.hold,
			Amount: d.HeldFromBalance, Currency: cur, Code: TransferDisputeHold, Flags: ledger.Pending})
	}
	if d.Shortfall > 0 {
		ts = append(ts, ledger.Transfer{ID: disputeShortfallID(d), DebitAccountID: a.receivable, CreditAccountID: a.hold,
			Amount: d.Shortfall, Currency: cur, Code: TransferDisputeShortfall, Flags: ledger.Pending})
	}
	for i := range ts[:len(ts)-1] {
		ts[i].Flags |= ledger.Linked
	}
	return ts, nil
}

// placeHold submits the opening set of an opening dispute (again, after a
// crash: the same ids) and records the outcome. A balance that shrank
// meanwhile is planned again under the next attempt.
func (s *Service) placeHold(ctx context.Context, d Dispute) (Dispute, error) {
	ds := s.disputes
	for range holdAttempts {
		ts, err := s.holdTransfers(ctx, d)
		if err != nil {
			return d, err
		}
		res, err := s.submit(ctx, ts)
		if err != nil {
			return d, err // stays opening; the sweep resubmits the same ids
		}
		allDone := true
		for _, r := range res {
			allDone = allDone && r.Code.Done()
		}
		switch {
		case allDone:
			return s.opened(ctx, d)
		case res[0].Code == ledger.InsufficientFunds:
			// Refunded meanwhile: the refund and the dispute together may
			// not exceed what was captured. Nobody was told; forget it.
			err := ds.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
				_, err := tx.DeleteDispute(ctx, d.ID, d.Version)
				return err
			})
			if err != nil {
				return d, unavailable("forget dispute", err)
			}
			return Dispute{}, ErrNothingToDispute
		}
		refusedBalance := false
		for _, r := range res[1:] {
			refusedBalance = refusedBalance || r.Code == ledger.InsufficientFunds
		}
		if !refusedBalance {
			return d, unavailable("dispute hold", fmt.Errorf("%w: %v", errDisputeHoldRejected, disputeCodes(res)))
		}
		// The merchant's balance moved between the plan and the commit.
		d.Attempt++
		if err := s.planHold(ctx, &d); err != nil {
			return d, err
		}
		d.UpdatedAt = s.nowUTC()
		var ok bool
		err = ds.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
			var err error
			ok, err = tx.UpdateDispute(ctx, d)
			return err
		})
		if err != nil {
			return d, unavailable("replan dispute", err)
		}
		if !ok {
			return s.disputeNow(ctx, d.ID)
		}
		d.Version++
	}
	return d, unavailable("dispute hold", errDisputeHoldRejected)
}

func disputeCodes(res []ledger.Result) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = r.Code.String()
	}
	return out
}

// disputeNow answers a lost race: the dispute as it is now.
func (s *Service) disputeNow(ctx context.Context, id string) (Dispute, error) {
	d, err := s.disputes.store.Dispute(ctx, id)
	if err != nil {
		return Dispute{}, storeErr("dispute", err)
	}
	return d, nil
}

// opened records a placed hold: the dispute is open, the merchant hears
// of it (event and mail) and the payer gets a confirmation.
func (s *Service) opened(ctx context.Context, d Dispute) (Dispute, error) {
	m, err := s.store.Merchant(ctx, d.MerchantID)
	if err != nil {
		return d, storeErr("merchant", err)
	}
	members, err := s.store.Members(ctx, d.MerchantID)
	if err != nil {
		return d, unavailable("members", err)
	}
	d.Status, d.UpdatedAt = DisputeNeedsResponse, s.nowUTC()
	var ok bool
	err = s.disputes.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
		var err error
		if ok, err = tx.UpdateDispute(ctx, d); err != nil || !ok {
			return err
		}
		d.Version++
		if err := s.record(ctx, tx.EventsTx(), EventDisputeCreated, d.MerchantID, d.Livemode, d.ID, d.View()); err != nil {
			return err
		}
		return s.notify(ctx, tx, d, m, members)
	})
	if err != nil {
		return d, unavailable("open dispute", err)
	}
	if !ok {
		return s.disputeNow(ctx, d.ID)
	}
	return d, nil
}

// notify queues the payer's and the merchant's mail (owners and
// developers: those who can answer).
func (s *Service) notify(ctx context.Context, tx DisputeTx, d Dispute, m Merchant, members []Member) error {
	if s.disputes.mailer == nil {
		return nil
	}
	if err := s.disputes.mailer.QueueDispute(ctx, tx, DisputeNotice{Dispute: d, Merchant: m, To: d.PayerUserID}); err != nil {
		return err
	}
	for _, mb := range members {
		if mb.Role.CanMoveMoney() {
			if err := s.disputes.mailer.QueueDispute(ctx, tx, DisputeNotice{Dispute: d, Merchant: m, To: mb.UserID, ToMerchant: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// MerchantDisputes lists the merchant's disputes in the access's mode.
func (s *Service) MerchantDisputes(ctx context.Context, a Access) ([]Dispute, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return nil, err
	}
	out, err := ds.store.Disputes(ctx, DisputeQuery{MerchantID: a.MerchantID, Livemode: a.Mode.Live(), Limit: 100})
	if err != nil {
		return nil, unavailable("disputes", err)
	}
	return visibleDisputes(out), nil
}

func visibleDisputes(in []Dispute) []Dispute {
	out := in[:0]
	for _, d := range in {
		if d.Status != DisputeOpening {
			out = append(out, d)
		}
	}
	return out
}

// MerchantDispute returns one of the merchant's disputes with its
// evidence. Errors: ErrNotFound (also another merchant's or mode's).
func (s *Service) MerchantDispute(ctx context.Context, a Access, id string) (Dispute, []Evidence, error) {
	d, err := s.dispute(ctx, id)
	if err != nil {
		return Dispute{}, nil, err
	}
	if d.MerchantID != a.MerchantID || d.Livemode != a.Mode.Live() {
		return Dispute{}, nil, ErrNotFound
	}
	ev, err := s.disputes.store.Evidence(ctx, d.ID)
	if err != nil {
		return Dispute{}, nil, unavailable("evidence", err)
	}
	return d, ev, nil
}

// dispute reads a visible dispute (not one still opening).
func (s *Service) dispute(ctx context.Context, id string) (Dispute, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return Dispute{}, err
	}
	if !validID(PrefixDispute, id) {
		return Dispute{}, ErrNotFound
	}
	d, err := ds.store.Dispute(ctx, id)
	if err != nil {
		return Dispute{}, storeErr("dispute", err)
	}
	if d.Status == DisputeOpening {
		return Dispute{}, ErrNotFound
	}
	return d, nil
}

// EvidenceFile is a file of a merchant's evidence.
type EvidenceFile struct {
	Name string
	Data []byte
}

// SubmitEvidence is a merchant's answer to a dispute.
type SubmitEvidence struct {
	DisputeID string
	Text      string
	Files     []EvidenceFile
}

// sniffEvidence is what an evidence file is, by its content
// (upload.Sniff). Errors: ErrEvidenceType.
func sniffEvidence(data []byte) (string, error) {
	ct, ok := upload.Sniff(data, maxEvidencePixels)
	if !ok {
		return "", ErrEvidenceType
	}
	return ct, nil
}

func cleanEvidenceName(name string) string {
	if n := upload.FileName(name); n != "" {
		return n
	}
	return "evidence"
}

func evidenceAD(id string) string { return "dispute_evidence:" + id }

// SubmitEvidence adds a merchant's statement and files to an open
// dispute before its deadline; files are type- and size-checked and
// sealed. Errors: ErrForbidden (viewers), ErrNotFound, ErrDisputeClosed,
// ErrDeadlinePassed, ErrEvidenceEmpty, ErrDisputeText, ErrEvidenceType,
// ErrEvidenceTooLarge, ErrEvidenceTooMany.
func (s *Service) SubmitEvidence(ctx context.Context, a Access, in SubmitEvidence) (Dispute, error) {
	if !a.Role.CanMoveMoney() {
		return Dispute{}, ErrForbidden
	}
	d, _, err := s.MerchantDispute(ctx, a, in.DisputeID)
	if err != nil {
		return Dispute{}, err
	}
	if !d.Status.Open() {
		return d, ErrDisputeClosed
	}
	now := s.nowUTC()
	if !now.Before(d.DueBy) {
		return d, ErrDeadlinePassed
	}
	text, err := cleanDisputeText(in.Text, false)
	if err != nil {
		return d, err
	}
	text, _ = redact.Text(text)
	if len(in.Files) > MaxEvidenceFiles {
		return d, ErrEvidenceTooMany
	}
	if text == "" && len(in.Files) == 0 {
		return d, ErrEvidenceEmpty
	}
	var evs []Evidence
	if text != "" {
		id, _ := newPrefixedID(PrefixEvidence)
		evs = append(evs, Evidence{ID: id, DisputeID: d.ID, Text: text, CreatedBy: a.UserID, CreatedAt: now})
	}
	for _, f := range in.Files {
		if len(f.Data) > MaxEvidenceSize {
			return d, ErrEvidenceTooLarge
		}
		if len(f.Data) == 0 {
			return d, ErrEvidenceEmpty
		}
		ct, err := sniffEvidence(f.Data)
		if err != nil {
			return d, err
		}
		id, _ := newPrefixedID(PrefixEvidence)
		sealed, err := s.disputes.sealer.Seal(f.Data, evidenceAD(id))
		if err != nil {
			return d, unavailable("seal evidence", err)
		}
		evs = append(evs, Evidence{ID: id, DisputeID: d.ID, FileName: cleanEvidenceName(f.Name), ContentType: ct, Size: len(f.Data),
			Sealed: sealed, CreatedBy: a.UserID, CreatedAt: now})
	}
	d.Status, d.EvidenceAt, d.UpdatedAt = DisputeUnderReview, now, now
	var ok bool
	err = s.disputes.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
		var err error
		if ok, err = tx.UpdateDispute(ctx, d); err != nil || !ok {
			return err
		}
		for _, e := range evs {
			if err := tx.InsertEvidence(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return d, unavailable("submit evidence", err)
	}
	if !ok {
		now, err := s.disputeNow(ctx, d.ID)
		if err != nil {
			return d, err
		}
		return now, ErrDisputeClosed
	}
	d.Version++
	return d, nil
}

// OpenEvidence returns an evidence file to a member of its merchant, or to
// staff (staff true: the caller has checked the role).
func (s *Service) OpenEvidence(ctx context.Context, merchantID string, live, staff bool, id string) (Evidence, []byte, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return Evidence{}, nil, err
	}
	if !validID(PrefixEvidence, id) {
		return Evidence{}, nil, ErrNotFound
	}
	e, err := ds.store.EvidenceFile(ctx, id)
	if err != nil {
		return Evidence{}, nil, storeErr("evidence", err)
	}
	d, err := s.dispute(ctx, e.DisputeID)
	if err != nil {
		return Evidence{}, nil, err
	}
	if !staff && (d.MerchantID != merchantID || d.Livemode != live) || !e.IsFile() {
		return Evidence{}, nil, ErrNotFound
	}
	data, err := ds.sealer.Open(e.Sealed, evidenceAD(e.ID))
	if err != nil {
		return Evidence{}, nil, unavailable("open evidence", err)
	}
	e.Sealed = nil
	return e, data, nil
}

// MerchantEvidence returns an evidence file to a member of its merchant.
func (s *Service) MerchantEvidence(ctx context.Context, a Access, id string) (Evidence, []byte, error) {
	return s.OpenEvidence(ctx, a.MerchantID, a.Mode.Live(), false, id)
}

// staffCanDecide: supervisors and admins decide; agents may look.
func staffCanDecide(a auth.Actor) bool { return a.UserID > 0 && a.Role.AtLeast(auth.RoleSupervisor) }
func staffCanView(a auth.Actor) bool   { return a.UserID > 0 && a.Role.AtLeast(auth.RoleAgent) }

// StaffDisputes lists disputes for staff (agents and up), open ones only
// when open is set. Errors: ErrForbidden.
func (s *Service) StaffDisputes(ctx context.Context, a auth.Actor, open bool) ([]Dispute, error) {
	if !staffCanView(a) {
		return nil, ErrForbidden
	}
	ds, err := s.disputeStore()
	if err != nil {
		return nil, err
	}
	out, err := ds.store.Disputes(ctx, DisputeQuery{OpenOnly: open, Limit: 200})
	if err != nil {
		return nil, unavailable("disputes", err)
	}
	return visibleDisputes(out), nil
}

// StaffDispute returns a dispute with its payment, merchant and evidence
// to staff (agents and up). Errors: ErrForbidden, ErrNotFound.
func (s *Service) StaffDispute(ctx context.Context, a auth.Actor, id string) (Dispute, Payment, Merchant, []Evidence, error) {
	if !staffCanView(a) {
		return Dispute{}, Payment{}, Merchant{}, nil, ErrForbidden
	}
	d, err := s.dispute(ctx, id)
	if err != nil {
		return Dispute{}, Payment{}, Merchant{}, nil, err
	}
	p, err := s.payment(ctx, d.PaymentID)
	if err != nil {
		return Dispute{}, Payment{}, Merchant{}, nil, err
	}
	m, err := s.store.Merchant(ctx, d.MerchantID)
	if err != nil {
		return Dispute{}, Payment{}, Merchant{}, nil, storeErr("merchant", err)
	}
	ev, err := s.disputes.store.Evidence(ctx, d.ID)
	if err != nil {
		return Dispute{}, Payment{}, Merchant{}, nil, unavailable("evidence", err)
	}
	return d, p, m, ev, nil
}

// Decision is staff's decision of a dispute.
type Decision struct {
	Actor     auth.Actor
	DisputeID string
	Outcome   DisputeStatus // DisputeWon (for the merchant) or DisputeLost
	Note      string
	IP        string
}

// Decide decides an open dispute once: the first of concurrent decisions
// wins (a conditional update, audited in the same transaction) and the
// others get ErrDisputeClosed. The ledger then settles it: won voids the
// hold, lost posts it and pays the payer back.
// Errors: ErrForbidden (below supervisor), ErrNotFound,
// ErrInvalidOutcome, ErrDisputeText, ErrDisputeClosed, ErrUnavailable.
func (s *Service) Decide(ctx context.Context, dc Decision) (Dispute, error) {
	if !staffCanDecide(dc.Actor) {
		return Dispute{}, ErrForbidden
	}
	d, err := s.dispute(ctx, dc.DisputeID)
	if err != nil {
		return Dispute{}, err
	}
	if dc.Outcome != DisputeWon && dc.Outcome != DisputeLost {
		return d, ErrInvalidOutcome
	}
	note, err := cleanDisputeText(dc.Note, false)
	if err != nil {
		return d, err
	}
	if !d.Status.Open() {
		return d, ErrDisputeClosed
	}
	now := s.nowUTC()
	d.Status, d.Outcome, d.DecidedBy, d.DecidedAt, d.DecisionNote, d.UpdatedAt = DisputeClosing, dc.Outcome, dc.Actor.UserID, now, note, now
	var ok bool
	err = s.disputes.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
		var err error
		if ok, err = tx.UpdateDispute(ctx, d); err != nil || !ok {
			return err
		}
		return audit.Record(ctx, tx.Audit(), audit.Event{At: now, ActorID: dc.Actor.UserID, ActorRole: string(dc.Actor.Role),
			Action: "dispute_decided", TargetType: "dispute", TargetID: d.ID, IP: dc.IP,
			Details: map[string]string{"outcome": string(dc.Outcome), "payment": d.PaymentID, "merchant": d.MerchantID,
				"amount": d.Amount.Decimal(), "currency": d.Amount.Currency.Code}})
	})
	if err != nil {
		return d, unavailable("decide dispute", err)
	}
	if !ok {
		now, err := s.disputeNow(ctx, d.ID)
		if err != nil {
			return d, err
		}
		return now, ErrDisputeClosed
	}
	d.Version++
	return s.settle(ctx, d)
}

// settle moves the money of a closing dispute (the same ids on every
// run) and closes it.
func (s *Service) settle(ctx context.Context, d Dispute) (Dispute, error) {
	a, err := s.disputeAccounts(ctx, d)
	if err != nil {
		return d, err
	}
	p, err := s.payment(ctx, d.PaymentID)
	if err != nil {
		return d, err
	}
	cur := d.Amount.Currency.Code
	bits := idBits(d.ID)
	var ts []ledger.Transfer
	resolve := func(step string, pending ledger.ID, debit int64, amount int64, code uint16, flag ledger.TransferFlags) {
		ts = append(ts, ledger.Transfer{ID: ledger.DeriveID(bits, step), PendingID: pending, DebitAccountID: debit,
			CreditAccountID: a.hold, Amount: amount, Currency: cur, Code: code, Flags: flag | ledger.Linked})
	}
	flag, verb := ledger.VoidPending, "void"
	if d.Outcome == DisputeLost {
		flag, verb = ledger.PostPending, "post"
	}
	if d.HeldFromBalance > 0 {
		resolve(verb+":hold", disputeHoldID(d), a.balance, d.HeldFromBalance, TransferDisputeHold, flag)
	}
	if d.Shortfall > 0 {
		resolve(verb+":shortfall", disputeShortfallID(d), a.receivable, d.Shortfall, TransferDisputeShortfall, flag)
	}
	if d.Outcome == DisputeLost {
		ts = append(ts, ledger.Transfer{ID: ledger.DeriveID(bits, "payback"), DebitAccountID: a.hold, CreditAccountID: p.SourceAccount,
			Amount: d.Amount.Minor, Currency: cur, Code: TransferDisputePayback})
	} else {
		// The merchant keeps the money, and may refund it later.
		ts = append(ts, ledger.Transfer{ID: ledger.DeriveID(bits, "restore"), DebitAccountID: a.control, CreditAccountID: a.refundable,
			Amount: d.Amount.Minor, Currency: cur, Code: TransferDisputeRefundable})
	}
	res, err := s.submit(ctx, ts)
	if err != nil {
		return d, err // stays closing; the sweep settles it with the same ids
	}
	for _, r := range res {
		if !r.Code.Done() {
			return d, unavailable("settle dispute", fmt.Errorf("%w: %v", errDisputeHoldRejected, disputeCodes(res)))
		}
	}
	m, err := s.store.Merchant(ctx, d.MerchantID)
	if err != nil {
		return d, storeErr("merchant", err)
	}
	members, err := s.store.Members(ctx, d.MerchantID)
	if err != nil {
		return d, unavailable("members", err)
	}
	// A lost dispute of a balance payment pays the payer back into their
	// wallet: their history and statement show it, like a refund.
	var payback *wallet.Movement
	if d.Outcome == DisputeLost && len(res) > 0 {
		if payback, err = s.disputePaybackMovement(ctx, p, d, m, res[len(res)-1].Timestamp.UTC()); err != nil {
			return d, err
		}
	}
	d.Status, d.UpdatedAt = d.Outcome, s.nowUTC()
	var ok bool
	err = s.disputes.store.InDisputeTx(context.WithoutCancel(ctx), func(tx DisputeTx) error {
		var err error
		if ok, err = tx.UpdateDispute(ctx, d); err != nil || !ok {
			return err
		}
		d.Version++
		if err := s.putPayerMovement(ctx, tx, payback, false); err != nil {
			return err
		}
		if err := s.record(ctx, tx.EventsTx(), EventDisputeClosed, d.MerchantID, d.Livemode, d.ID, d.View()); err != nil {
			return err
		}
		return s.notify(ctx, tx, d, m, members)
	})
	if err != nil {
		return d, unavailable("close dispute", err)
	}
	if !ok {
		return s.disputeNow(ctx, d.ID)
	}
	// Money that came in while the dispute was open, or a hold given back,
	// pays what the merchant owes first.
	if err := s.cover(ctx, d.MerchantID, modeOf(d.Livemode), cur); err != nil {
		s.log.Warn("merchant: cover receivable", "merchant", d.MerchantID, "err", err)
	}
	return d, nil
}

// ResumeDispute finishes a dispute left opening or closing.
func (s *Service) ResumeDispute(ctx context.Context, id string) (Dispute, error) {
	ds, err := s.disputeStore()
	if err != nil {
		return Dispute{}, err
	}
	d, err := ds.store.Dispute(ctx, id)
	if err != nil {
		return Dispute{}, storeErr("dispute", err)
	}
	switch d.Status {
	case DisputeOpening:
		return s.placeHold(ctx, d)
	case DisputeClosing:
		return s.settle(ctx, d)
	}
	return d, nil
}

// cover moves what the merchant owes in one currency and mode from its
// available balance into the receivable, as far as the balance goes. The
// receivable refuses credits beyond what is owed inside the commit, so a
// concurrent cover can only be refused, never overpay.
func (s *Service) cover(ctx context.Context, merchantID string, mode Mode, cur string) error {
	rid, err := s.receivable(ctx, merchantID, mode, cur)
	if err != nil {
		return err
	}
	r, err := s.ledger.Account(ctx, rid)
	if err != nil {
		return unavailable("receivable", err)
	}
	owed := r.DebitsPosted - r.CreditsPosted - r.CreditsPending
	if owed <= 0 {
		return nil
	}
	bal, err := s.merchantBalance(ctx, merchantID, mode, cur)
	if err != nil {
		return err
	}
	res, err := s.submit(ctx, []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bal, CreditAccountID: rid, Amount: owed,
		Currency: cur, Code: TransferReceivableCover, Flags: ledger.BalancingDebit}})
	if err != nil {
		return err
	}
	switch res[0].Code {
	case ledger.OK, ledger.InsufficientFunds, ledger.ExceedsDebits:
		// Covered (part), nothing available, or a concurrent cover won.
		return nil
	}
	return unavailable("cover", errors.New(res[0].Code.String()))
}

// coverAfterCapture is called once a payment is captured: incoming money
// first covers what the merchant owes. Failures are logged; the next
// capture or payout check covers again.
func (s *Service) coverAfterCapture(ctx context.Context, p Payment) {
	if s.disputes == nil {
		return
	}
	if err := s.cover(ctx, p.MerchantID, modeOf(p.Livemode), p.Amount.Currency.Code); err != nil {
		s.log.Warn("merchant: cover receivable", "merchant", p.MerchantID, "err", err)
	}
}

// receivables (after covering what it can, when cover is set) returns,
// per currency of mode, what
// the merchant owes (posted: from lost disputes) and what it may owe (the
// shortfall of open disputes, pending until they are decided).
func (s *Service) receivables(ctx context.Context, merchantID string, mode Mode, cover bool) (owed, pending []money.Amount, err error) {
	for _, code := range s.cfg.Currencies {
		cur, err := money.Lookup(code)
		if err != nil {
			return nil, nil, err
		}
		if cover {
			if err := s.cover(ctx, merchantID, mode, code); err != nil {
				return nil, nil, err
			}
		}
		rid, err := s.receivable(ctx, merchantID, mode, code)
		if err != nil {
			return nil, nil, err
		}
		r, err := s.ledger.Account(ctx, rid)
		if err != nil {
			return nil, nil, unavailable("receivable", err)
		}
		if n := r.DebitsPosted - r.CreditsPosted; n > 0 {
			owed = append(owed, money.Amount{Minor: n, Currency: cur})
		}
		if r.DebitsPending > 0 {
			pending = append(pending, money.Amount{Minor: r.DebitsPending, Currency: cur})
		}
	}
	return owed, pending, nil
}

// Receivable returns what the merchant owes in each currency of mode from
// lost disputes (a read: captures, decisions and PayoutBlocked cover).
func (s *Service) Receivable(ctx context.Context, merchantID string, mode Mode) ([]money.Amount, error) {
	owed, _, err := s.receivables(ctx, merchantID, mode, false)
	return owed, err
}

// PayoutBlocked reports whether the merchant's payouts in mode must wait:
// a lost dispute left a receivable its balances have not covered yet, or
// an open dispute's shortfall may become one (until it is decided). It
// covers what it can first, so a merchant whose later payments paid the
// debt is unblocked by this call. owed lists what is owed, posted and
// pending together, per currency.
func (s *Service) PayoutBlocked(ctx context.Context, merchantID string, mode Mode) (blocked bool, owed []money.Amount, err error) {
	posted, pending, err := s.receivables(ctx, merchantID, mode, true)
	if err != nil {
		return false, nil, err
	}
	byCur := map[string]int{}
	for _, a := range append(posted, pending...) {
		if i, ok := byCur[a.Currency.Code]; ok {
			owed[i].Minor += a.Minor
			continue
		}
		byCur[a.Currency.Code] = len(owed)
		owed = append(owed, a)
	}
	return len(owed) > 0, owed, nil
}

// ReceivablesGate is PayoutBlocked in the shape the payouts' gate asks
// for (merchant id and livemode in, blocked out): connect it with
// Payouts.SetGate(svc.ReceivablesGate()).
func (s *Service) ReceivablesGate() ReceivablesGate { return ReceivablesGate{s} }

// ReceivablesGate refuses payouts while PayoutBlocked says so.
type ReceivablesGate struct{ s *Service }

// PayoutBlocked reports whether the merchant's payouts in that mode must
// wait for disputes (see Service.PayoutBlocked).
func (g ReceivablesGate) PayoutBlocked(ctx context.Context, merchantID string, livemode bool) (bool, error) {
	blocked, _, err := g.s.PayoutBlocked(ctx, merchantID, modeOf(livemode))
	return blocked, err
}

// DisputeSweepJob finishes disputes left opening or closing.
const DisputeSweepJob = "merchant.dispute_sweep"

// RegisterDisputes adds the dispute sweep to r.
func (s *Service) RegisterDisputes(r *jobs.Runner) {
	r.Register(DisputeSweepJob, s.HandleDisputeSweep)
	r.Periodic(DisputeSweepJob, SweepEvery, nil)
}

// HandleDisputeSweep is the handler of DisputeSweepJob.
func (s *Service) HandleDisputeSweep(ctx context.Context, _ jobs.Claimed) error {
	if s.disputes == nil {
		return nil
	}
	ids, err := s.disputes.store.StaleDisputes(ctx, s.nowUTC().Add(-SweepEvery), 100)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.ResumeDispute(ctx, id); err != nil {
			s.log.Warn("merchant: dispute sweep", "dispute", id, "err", err)
		}
	}
	return nil
}
