package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/secretbox"
)

// Withdrawals is the withdrawal side of the wallet (WAL-5, FEE-3): money
// out to a bank account or an external e-wallet. It is safe for concurrent
// use.
//
// # Money
//
// A withdrawal holds its money at once: one linked set of pending ledger
// transfers (withdrawPlan) takes the amount from the wallet towards the
// rail's platform account (platform:bank for bank transfers,
// platform:ewallet_clearing for e-wallets) and the withdrawal fee
// (withdrawal_bank or withdrawal_ewallet in the fee schedule) towards fee
// revenue. The wallet's balance shows it as held, and the ledger refuses a
// hold the available balance cannot cover, so concurrent withdrawals can
// never spend the same money twice. The hold is posted when the rail says
// the payout was paid, and voided when it failed or was canceled. A payout
// that comes back after it was paid (returned) is credited back to the
// wallet as a new linked set of transfers, the amount from the rail's
// account and the fee from fee revenue, so the customer gets back
// everything the withdrawal took; it appears in the history as a movement
// of its own (TypeWithdrawalReturn). Every transfer id is derived from the
// withdrawal's id, so no step can move money twice.
//
// # Record and history
//
// A withdrawal is a movement (TypeWithdrawal; same id) in the wallet's
// history, CSV and statement, and a Withdrawal record with the rail's
// state: status (pending, processing, completed, failed, returned,
// canceled), the payout id and the expected date. The destination account
// is sealed at rest (secretbox, bound to the withdrawal's id) and shown
// masked. The movement reads processing while the money is held,
// completed once paid (and stays so when returned: the return is its own
// movement), failed or canceled when the hold was voided.
//
// # Steps and crash safety
//
//  1. One transaction records the movement and the withdrawal (pending,
//     with its plan) and enqueues WithdrawAdvanceJob.
//  2. The hold is submitted to the ledger.
//  3. The payout is sent to the rail, under the withdrawal's id as the
//     rail's idempotency key; it is accepted (processing, with its
//     expected date) or refused (the hold is voided: failed).
//  4. WithdrawSettleJob, periodically, asks the rail about every open
//     withdrawal (and every completed one within Config.ReturnWindow, for
//     returns) and posts, voids or credits back.
//
// Every step first does its ledger work (derived ids: resubmitting answers
// exists) and then records the outcome with one update conditional on the
// record's version, in the transaction that also queues the customer's
// email. A step cut anywhere, or run twice at once, therefore ends with
// the money moved once and the record written once. Canceling asks the
// rail to cancel by the same idempotency key first (which also spends a
// key nothing was sent under yet), and voids only once the rail agreed, so
// a payout is never both paid and given back.
//
// # Extending
//
// withdrawPlan is the one place the ledger plan of a withdrawal is built.
// Limits and risk holds extend it there (appending linked transfers, for
// instance against a control account); every pending transfer of the plan
// is posted or voided together.
type Withdrawals struct {
	s       *Service
	store   WithdrawStore
	payers  map[Method]PayoutRail
	box     *secretbox.Box
	mail    WithdrawalMailer
	addDays func(time.Time, int) time.Time
	cfg     WithdrawConfig
	log     *slog.Logger
	hook    func(point string)
}

// Fee kinds of withdrawals (the names of internal/fees).
const (
	FeeWithdrawalBank    = "withdrawal_bank"
	FeeWithdrawalEWallet = "withdrawal_ewallet"
)

// Movement types of withdrawals.
const (
	// TypeWithdrawal takes Amount and Fee out of the wallet.
	TypeWithdrawal Type = "withdrawal"
	// TypeWithdrawalReturn credits back a returned withdrawal: Amount is
	// everything the withdrawal took (its amount and fee).
	TypeWithdrawalReturn Type = "withdrawal_return"
)

// Ledger transfer codes of withdrawals (apart from the other codes, as the
// bank's are).
const (
	// TransferWithdrawal holds, then posts, the amount of a withdrawal.
	TransferWithdrawal uint16 = 160
	// TransferWithdrawalReturn credits a returned payout back.
	TransferWithdrawalReturn uint16 = 161
)

// WithdrawalStatus is where a withdrawal is.
type WithdrawalStatus string

// The statuses of a withdrawal. Review: the risk rules held it; its money
// is held, and nothing goes to the rail until staff release it (then
// pending) or refuse it (failed, the hold voided). Pending: recorded and
// held, not yet accepted by the rail. Processing: the rail accepted the payout; it
// settles by ExpectedAt. Completed: paid (the hold is posted). Failed: the
// rail refused it or it failed (the hold is voided). Returned: paid, then
// sent back, and credited back to the wallet. Canceled: canceled by the
// customer before it settled (the hold is voided).
const (
	WithdrawalPending    WithdrawalStatus = "pending"
	WithdrawalProcessing WithdrawalStatus = "processing"
	WithdrawalCompleted  WithdrawalStatus = "completed"
	WithdrawalFailed     WithdrawalStatus = "failed"
	WithdrawalReturned   WithdrawalStatus = "returned"
	WithdrawalCanceled   WithdrawalStatus = "canceled"
	WithdrawalReview     WithdrawalStatus = "review"
)

// WithdrawalStatuses lists every status.
var WithdrawalStatuses = []WithdrawalStatus{WithdrawalReview, WithdrawalPending, WithdrawalProcessing,
	WithdrawalCompleted, WithdrawalFailed, WithdrawalReturned, WithdrawalCanceled}

// Open reports whether the money is still held.
func (s WithdrawalStatus) Open() bool {
	return s == WithdrawalPending || s == WithdrawalProcessing || s == WithdrawalReview
}

// MovementStatus is what the withdrawal's movement shows.
func (s WithdrawalStatus) MovementStatus() Status {
	switch s {
	case WithdrawalCompleted, WithdrawalReturned:
		return StatusCompleted
	case WithdrawalFailed:
		return StatusFailed
	case WithdrawalCanceled:
		return StatusCanceled
	case WithdrawalReview:
		return StatusHeld
	}
	return StatusProcessing
}

// Refusal codes of withdrawals; WithdrawCodes lists them.
const (
	// CodeInvalidPayoutAccount: the IBAN or e-wallet id is malformed (an
	// IBAN failing its check digits, an id that is not name@domain).
	CodeInvalidPayoutAccount Code = "invalid_payout_account"
	// CodeInvalidAccountHolder: the account holder's name is missing, too
	// long or not text.
	CodeInvalidAccountHolder Code = "invalid_account_holder"
	// CodePayoutAccountClosed: the receiving account is closed.
	CodePayoutAccountClosed Code = "payout_account_closed"
	// CodePayoutAccountNotFound: the receiving e-wallet does not exist.
	CodePayoutAccountNotFound Code = "payout_account_not_found"
	// CodePayoutFailed: the rail could not make the payout.
	CodePayoutFailed Code = "payout_failed"
	// CodePayoutReturned: the payout was paid and then sent back.
	CodePayoutReturned Code = "payout_returned"
	// CodeWithdrawalCanceled: the customer canceled it.
	CodeWithdrawalCanceled Code = "withdrawal_canceled"
	// CodeWithdrawalNotCancelable: it has settled, or is settling.
	CodeWithdrawalNotCancelable Code = "withdrawal_not_cancelable"
	// CodeWithdrawalNotFound: no withdrawal of the user's has that id.
	CodeWithdrawalNotFound Code = "withdrawal_not_found"
)

// WithdrawCodes lists the refusal codes of withdrawals.
var WithdrawCodes = []Code{CodeInvalidPayoutAccount, CodeInvalidAccountHolder, CodePayoutAccountClosed,
	CodePayoutAccountNotFound, CodePayoutFailed, CodePayoutReturned, CodeWithdrawalCanceled,
	CodeWithdrawalNotCancelable, CodeWithdrawalNotFound}

// The refusals of withdrawals, for errors.Is.
var (
	ErrInvalidPayoutAccount    = newErr(CodeInvalidPayoutAccount, false)
	ErrInvalidAccountHolder    = newErr(CodeInvalidAccountHolder, false)
	ErrWithdrawalNotCancelable = newErr(CodeWithdrawalNotCancelable, false)
	ErrWithdrawalNotFound      = newErr(CodeWithdrawalNotFound, false)
)

// Destination is where a withdrawal goes, as the customer typed it
// (normalised): an IBAN and its holder's name, or an e-wallet id.
type Destination struct {
	Method Method `json:"method"`
	// Account is the IBAN (electronic form) or the e-wallet id.
	Account string `json:"account"`
	// Holder is the bank account holder's name (bank only).
	Holder string `json:"holder,omitempty"`
}

// Display is the destination as it is shown: the IBAN's country, check
// digits and last four characters, or the e-wallet id masked.
func (d Destination) Display() string {
	if d.Method == MethodBank {
		a := d.Account
		if len(a) > 8 {
			a = a[:4] + " •••• " + a[len(a)-4:]
		}
		if d.Holder != "" {
			return d.Holder + " · " + a
		}
		return a
	}
	return MaskEmail(d.Account)
}

// Withdrawal is a withdrawal's record.
type Withdrawal struct {
	// ID is the id of its movement ("mv_...").
	ID       string
	UserID   int64
	WalletID WalletID
	Method   Method
	// Amount is what the destination receives; Fee is charged on top.
	Amount, Fee money.Amount
	// Display is the destination, masked.
	Display string
	// Sealed is the Destination, sealed under the withdrawal's id.
	Sealed []byte
	Status WithdrawalStatus
	// FailureCode says why a withdrawal failed, was returned or canceled.
	FailureCode Code
	PayoutID    string
	// ExpectedAt is when it is due to arrive (the rail's date once it
	// accepted the payout; an estimate by the calendar before).
	ExpectedAt time.Time
	// Plan is the hold (withdrawPlan), exactly as submitted.
	Plan []ledger.Transfer
	// HeldAt is when the hold committed (zero until known).
	HeldAt time.Time
	// SettledAt is when it was posted, voided or refused.
	SettledAt time.Time
	// ReturnedAt is when a returned payout was credited back.
	ReturnedAt time.Time
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ReturnID is the id of the movement that credits a returned withdrawal
// back.
func (w Withdrawal) ReturnID() string {
	p, _ := parsePrefixed(movementPrefix, w.ID)
	return derivedMovementID(p, "return")
}

// Cancelable reports whether the customer may still cancel it.
func (w Withdrawal) Cancelable() bool { return w.Status.Open() }

// PayoutRail sends withdrawals out (internal/connector's Payer, adapted by
// internal/wallet/adapt).
type PayoutRail interface {
	// Payout sends a payout, idempotent on Key. A refusal is a result with
	// status failed and its code; an error means the outcome is unknown
	// (ask again with the same key).
	Payout(ctx context.Context, r PayoutRequest) (PayoutResult, error)
	// PayoutStatus returns the payout made under key as it is now
	// (PayoutUnknown when none was).
	PayoutStatus(ctx context.Context, key, payoutID string) (PayoutResult, error)
	// CancelPayout cancels the payout under key if it has not settled (see
	// connector.Payer). A settled one is answered with its status and
	// Canceled false.
	CancelPayout(ctx context.Context, key string) (PayoutResult, error)
}

// PayoutRequest asks a rail to pay out.
type PayoutRequest struct {
	Key         string
	Amount      money.Amount
	Destination Destination
	Description string
}

// PayoutState is a rail's answer about a payout.
type PayoutState string

// The payout states.
const (
	PayoutUnknown  PayoutState = "unknown" // nothing was made under the key
	PayoutPending  PayoutState = "pending"
	PayoutPaid     PayoutState = "paid"
	PayoutFailed   PayoutState = "failed"
	PayoutReturned PayoutState = "returned"
	PayoutCanceled PayoutState = "canceled"
)

// PayoutResult is a rail's answer.
type PayoutResult struct {
	ID         string
	State      PayoutState
	ExpectedAt time.Time
	// Code is the rail's reason, for failed and returned payouts.
	Code string
}

// WithdrawalNotice is an email to the customer about a withdrawal.
type WithdrawalNotice struct {
	Withdrawal Withdrawal
	// Credited is what came back to the wallet (returned withdrawals).
	Credited money.Amount
}

// WithdrawalMailer writes the customer's email about a failed or returned
// withdrawal into the transaction that records it; web.Mailer implements
// it.
type WithdrawalMailer interface {
	QueueWithdrawal(ctx context.Context, tx WithdrawTx, n WithdrawalNotice) error
}

// WithdrawStore is the persistence of withdrawals; sqlstore's wallet store
// implements it on both engines.
type WithdrawStore interface {
	// InWithdrawTx runs fn in one transaction. As with Store.InTx, never
	// call the ledger inside it.
	InWithdrawTx(ctx context.Context, fn func(WithdrawTx) error) error
	// Withdrawal returns one withdrawal. Errors: ErrWithdrawalNotFound.
	Withdrawal(ctx context.Context, id string) (Withdrawal, error)
	// Withdrawals lists a user's withdrawals, newest first, at most limit.
	Withdrawals(ctx context.Context, userID int64, limit int) ([]Withdrawal, error)
	// SettleWithdrawals lists, oldest first, at most limit withdrawals
	// that are open, or completed at or after completedSince.
	SettleWithdrawals(ctx context.Context, completedSince time.Time, limit int) ([]Withdrawal, error)
}

// WithdrawTx is the store inside one transaction.
type WithdrawTx interface {
	Tx
	// InsertWithdrawal stores a new withdrawal.
	InsertWithdrawal(ctx context.Context, w Withdrawal) error
	// UpdateWithdrawal writes w's status, failure code, payout, dates and
	// plan when the stored version is w.Version, increments the version,
	// and writes the state of its movement (status, failure code, payout
	// id as charge id, posted time); false when another writer got there
	// first. postedAt is the movement's posted time (zero: unchanged).
	UpdateWithdrawal(ctx context.Context, w Withdrawal, postedAt time.Time) (bool, error)
	// Outbox queues mail in this transaction.
	Outbox() mail.OutboxTx
	// UserContact returns the user's email and language.
	UserContact(ctx context.Context, userID int64) (email, locale string, err error)
}

// WithdrawConfig is the withdrawal part of the configuration.
type WithdrawConfig struct {
	// ReturnWindow is how long after it was paid a payout is still asked
	// about, in case it comes back (default 14 days).
	ReturnWindow time.Duration
	// SettleEvery is the period of WithdrawSettleJob (default 1 minute).
	SettleEvery time.Duration
	// MaxHolder is the longest account holder name (default 70).
	MaxHolder int
}

// WithdrawOptions are the dependencies of Withdrawals besides the wallet.
type WithdrawOptions struct {
	Config WithdrawConfig
	Store  WithdrawStore
	// Payers are the payout rails by method (MethodBank, MethodEWallet).
	Payers map[Method]PayoutRail
	// MasterKey seals destination accounts at rest.
	MasterKey []byte
	Mailer    WithdrawalMailer
	// AddBusinessDays is the platform calendar's (calendar.AddBusinessDays):
	// expected dates before the rail gives its own.
	AddBusinessDays func(t time.Time, n int) time.Time
	// Hook, when set, is called at fixed points: "withdraw.moved" (a ledger
	// step committed, its outcome not yet recorded). Crash tests stop the
	// work there; production leaves it nil.
	Hook func(point string)
}

// NewWithdrawals returns the withdrawal side of s.
func NewWithdrawals(s *Service, o WithdrawOptions) (*Withdrawals, error) {
	if s == nil || o.Store == nil || o.Mailer == nil || o.AddBusinessDays == nil {
		return nil, errors.New("wallet: NewWithdrawals needs the wallet, a store, a mailer and a calendar")
	}
	box, err := secretbox.New(o.MasterKey, "withdrawal_destination")
	if err != nil {
		return nil, fmt.Errorf("wallet: withdrawals: %w", err)
	}
	payers := map[Method]PayoutRail{}
	for m, p := range o.Payers {
		if m != MethodBank && m != MethodEWallet {
			return nil, fmt.Errorf("wallet: no payout rail can serve method %q", m)
		}
		payers[m] = p
	}
	c := o.Config
	if c.ReturnWindow <= 0 {
		c.ReturnWindow = 14 * 24 * time.Hour
	}
	if c.SettleEvery <= 0 {
		c.SettleEvery = time.Minute
	}
	if c.MaxHolder <= 0 {
		c.MaxHolder = 70
	}
	hook := o.Hook
	if hook == nil {
		hook = func(string) {}
	}
	w := &Withdrawals{s: s, store: o.Store, payers: payers, box: box, mail: o.Mailer, addDays: o.AddBusinessDays,
		cfg: c, log: s.log, hook: hook}
	s.reviewWithdrawal = w.resolveReview
	return w, nil
}

// Methods returns the withdrawal methods offered (those with a rail).
func (w *Withdrawals) Methods() []Method {
	var out []Method
	for _, m := range []Method{MethodBank, MethodEWallet} {
		if _, ok := w.payers[m]; ok {
			out = append(out, m)
		}
	}
	return out
}

// WithdrawAction is the step-up action approving one withdrawal: this
// amount to this account, once.
func WithdrawAction(amount money.Amount, d Destination) twofactor.Action {
	return twofactor.Action{Name: "withdraw", Params: map[string]string{
		"amount":   amount.Decimal(),
		"currency": amount.Currency.Code,
		"method":   string(d.Method),
		"account":  d.Account,
	}}
}

// WithdrawRequest asks to withdraw money.
type WithdrawRequest struct {
	UserID int64
	// Method is MethodBank or MethodEWallet.
	Method Method
	// Account is the IBAN or e-wallet id as typed.
	Account string
	// Holder is the bank account holder's name.
	Holder         string
	Amount         money.Amount
	IdempotencyKey string
	StepUpToken    string
	// Device is the device cookie of the user's browser, for the review
	// rules ("": unknown).
	Device string
}

// WithdrawQuote is what a withdrawal will do, for the confirmation page.
type WithdrawQuote struct {
	Method      Method
	Destination string // masked
	Amount      money.Amount
	Fee         money.Amount
	// Debited is Amount plus Fee: what leaves the wallet.
	Debited   money.Amount
	Available money.Amount
	// ExpectedBy is the latest business day it should arrive.
	ExpectedBy       time.Time
	StepUpRequired   bool
	TwoFactorEnabled bool
	StepUpAction     twofactor.Action
}

// payoutDays is how many business days a method's payouts may take.
func payoutDays(m Method) int {
	if m == MethodEWallet {
		return 1
	}
	return 3
}

func withdrawFeeKind(m Method) string {
	if m == MethodEWallet {
		return FeeWithdrawalEWallet
	}
	return FeeWithdrawalBank
}

func withdrawPlatform(m Method) Platform {
	if m == MethodEWallet {
		return EWalletClearing
	}
	return Bank
}

// destination checks and normalises what the customer typed. Errors:
// ErrMethodNotAvailable, ErrInvalidPayoutAccount, ErrInvalidAccountHolder.
func (w *Withdrawals) destination(r WithdrawRequest) (Destination, error) {
	if _, ok := w.payers[r.Method]; !ok {
		return Destination{}, refuse(CodeMethodNotAvailable, "withdraw by %q", r.Method)
	}
	if !utf8.ValidString(r.Account) || len(r.Account) > 254 {
		return Destination{}, refuse(CodeInvalidPayoutAccount, "not text")
	}
	d := Destination{Method: r.Method}
	if r.Method == MethodEWallet {
		a, err := connector.ParseWalletAccount(r.Account)
		if err != nil {
			return Destination{}, refuse(CodeInvalidPayoutAccount, "e-wallet id")
		}
		d.Account = string(a)
		return d, nil
	}
	iban, err := connector.ParseIBAN(r.Account)
	if err != nil {
		return Destination{}, refuse(CodeInvalidPayoutAccount, "IBAN")
	}
	d.Account = iban
	if !utf8.ValidString(r.Holder) {
		return Destination{}, refuse(CodeInvalidAccountHolder, "not UTF-8")
	}
	holder := strings.Join(strings.Fields(r.Holder), " ")
	n := utf8.RuneCountInString(holder)
	if n == 0 || n > w.cfg.MaxHolder || strings.ContainsFunc(holder, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFFFD'
	}) {
		return Destination{}, refuse(CodeInvalidAccountHolder, "%d characters", n)
	}
	d.Holder = holder
	return d, nil
}

// withdrawQuote is a withdrawal worked out.
type withdrawQuote struct {
	wallet  Wallet
	dest    Destination
	amount  money.Amount
	fee     money.Amount
	debited money.Amount
	avail   money.Amount
	large   bool
	// verdict is the risk rules' answer: Hold sends it to review.
	verdict Verdict
}

// quote works out a withdrawal, refusing early what the ledger would
// refuse anyway.
func (w *Withdrawals) quote(ctx context.Context, r WithdrawRequest) (withdrawQuote, error) {
	d, err := w.destination(r)
	if err != nil {
		return withdrawQuote{}, err
	}
	if err := w.s.checkAmount(r.Amount); err != nil {
		return withdrawQuote{}, err
	}
	wl, err := w.s.Wallet(ctx, r.UserID)
	if err != nil {
		return withdrawQuote{}, err
	}
	vol, err := w.s.monthlyVolume(ctx, r.UserID)
	if err != nil {
		return withdrawQuote{}, err
	}
	fee, err := w.s.quoteFee(withdrawFeeKind(d.Method), r.Amount, vol)
	if err != nil {
		return withdrawQuote{}, err
	}
	q := withdrawQuote{wallet: wl, dest: d, amount: r.Amount, fee: fee}
	if q.debited, err = r.Amount.Add(fee); err != nil {
		return withdrawQuote{}, refuse(CodeInvalidAmount, "%v", err)
	}
	bal, err := w.s.balance(ctx, wl, r.Amount.Currency)
	if err != nil {
		return withdrawQuote{}, err
	}
	q.avail = bal.Available
	if bal.Available.Minor < q.debited.Minor {
		return q, refuse(CodeInsufficientFunds, "available %s, needs %s", bal.Available, q.debited)
	}
	if q.large, err = w.s.isLarge(ctx, r.Amount); err != nil {
		return withdrawQuote{}, err
	}
	// Refuse early, with the words the user needs, what the ledger would
	// refuse at commit: a frozen account, or the monthly limit.
	if q.verdict, err = w.s.Screen(ctx, withdrawOutgoing(r, d)); err != nil {
		return withdrawQuote{}, err
	}
	if _, err := w.s.withLimits(ctx, ledger.NewID(), nil, q.limitMove(r.UserID)); err != nil {
		return withdrawQuote{}, err
	}
	return q, nil
}

// withdrawOutgoing is a withdrawal as the screener sees it. Its payee is
// the destination's display, which the withdrawal's movement stores as
// its method display (see risk's PaidBefore).
func withdrawOutgoing(r WithdrawRequest, d Destination) Outgoing {
	return Outgoing{UserID: r.UserID, Type: TypeWithdrawal, Amount: r.Amount, Payee: d.Display(), Device: r.Device}
}

// limitMove is what a withdrawal counts against the monthly withdrawal
// limit: everything leaving the wallet, fee included.
func (q withdrawQuote) limitMove(userID int64) LimitMove {
	return LimitMove{Kind: LimitWithdraw, UserID: userID, Amount: q.debited}
}

// Quote works out a withdrawal without moving money: the fee, the total,
// the expected date and whether a step-up is needed. Errors: those of
// Withdraw before anything is recorded.
func (w *Withdrawals) Quote(ctx context.Context, r WithdrawRequest) (WithdrawQuote, error) {
	q, err := w.quote(ctx, r)
	if err != nil {
		return WithdrawQuote{}, err
	}
	on := false
	if q.large {
		if on, err = w.s.stepUp.Enabled(ctx, r.UserID); err != nil {
			return WithdrawQuote{}, unavailable("two-factor state", err)
		}
	}
	return WithdrawQuote{
		Method: q.dest.Method, Destination: q.dest.Display(), Amount: q.amount, Fee: q.fee, Debited: q.debited,
		Available: q.avail, ExpectedBy: w.addDays(w.s.nowUTC(), payoutDays(q.dest.Method)),
		StepUpRequired: q.large, TwoFactorEnabled: on, StepUpAction: WithdrawAction(q.amount, q.dest),
	}, nil
}

// withdrawLegs are the accounts and amounts of a withdrawal's plan.
type withdrawLegs struct {
	parent     ledger.ID
	movementID string
	wallet     int64 // the customer's wallet account
	rail       int64 // the rail's platform account (bank, ewallet_clearing)
	revenue    int64 // fee revenue
	amount     money.Amount
	fee        money.Amount
}

// withdrawPlan is the ledger plan of a withdrawal, and the only place it
// is built: one linked set of pending transfers holding the amount (wallet
// to the rail's account) and the fee (wallet to fee revenue). Ids derive
// from the withdrawal's id. Whatever is appended here must keep the set
// linked (every transfer but the last flagged Linked); its pending
// transfers are posted or voided with the rest (resolvePlan).
func withdrawPlan(l withdrawLegs) []ledger.Transfer {
	cur := l.amount.Currency.Code
	plan := []ledger.Transfer{{
		ID: ledger.DeriveID(l.parent, "hold"), DebitAccountID: l.wallet, CreditAccountID: l.rail,
		Amount: l.amount.Minor, Currency: cur, Code: TransferWithdrawal, Flags: ledger.Pending, Metadata: l.movementID,
	}}
	if l.fee.Minor > 0 {
		plan = append(plan, ledger.Transfer{
			ID: ledger.DeriveID(l.parent, "hold_fee"), DebitAccountID: l.wallet, CreditAccountID: l.revenue,
			Amount: l.fee.Minor, Currency: cur, Code: TransferFee, Flags: ledger.Pending, Metadata: l.movementID,
		})
	}
	return linked(plan)
}

// linked flags every transfer but the last Linked.
func linked(ts []ledger.Transfer) []ledger.Transfer {
	for i := range ts {
		if i < len(ts)-1 {
			ts[i].Flags |= ledger.Linked
		} else {
			ts[i].Flags &^= ledger.Linked
		}
	}
	return ts
}

// resolvePlan posts (ledger.PostPending) or voids (ledger.VoidPending)
// every pending transfer of a hold plan, as one linked set; each id is
// derived from the pending transfer's.
func resolvePlan(hold []ledger.Transfer, how ledger.TransferFlags) []ledger.Transfer {
	step := "post"
	if how == ledger.VoidPending {
		step = "void"
	}
	var out []ledger.Transfer
	for _, t := range hold {
		if t.Flags&ledger.Pending == 0 {
			continue
		}
		out = append(out, ledger.Transfer{
			ID: ledger.DeriveID(t.ID, step), DebitAccountID: t.DebitAccountID, CreditAccountID: t.CreditAccountID,
			Amount: t.Amount, Currency: t.Currency, Code: t.Code, Flags: how, PendingID: t.ID, Metadata: t.Metadata,
		})
	}
	return linked(out)
}

// returnPlan credits back what a returned withdrawal's posted hold took:
// each posted transfer reversed, as one linked set.
func returnPlan(hold []ledger.Transfer, returnID string) []ledger.Transfer {
	var out []ledger.Transfer
	for _, t := range hold {
		// Only the money comes back; the month's limit stays counted.
		if t.Flags&ledger.Pending == 0 || (t.Code != TransferWithdrawal && t.Code != TransferFee) {
			continue
		}
		out = append(out, ledger.Transfer{
			ID: ledger.DeriveID(t.ID, "return"), DebitAccountID: t.CreditAccountID, CreditAccountID: t.DebitAccountID,
			Amount: t.Amount, Currency: t.Currency, Code: TransferWithdrawalReturn, Metadata: returnID,
		})
	}
	return linked(out)
}

// seal encrypts a destination for the withdrawal id.
func (w *Withdrawals) seal(id string, d Destination) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return w.box.Seal(b, withdrawalAD(id))
}

// open decrypts a withdrawal's destination.
func (w *Withdrawals) open(wd Withdrawal) (Destination, error) {
	b, err := w.box.Open(wd.Sealed, withdrawalAD(wd.ID))
	if err != nil {
		return Destination{}, err
	}
	var d Destination
	err = json.Unmarshal(b, &d)
	return d, err
}

// withdrawalAD binds a sealed destination to its row.
func withdrawalAD(id string) string { return "withdrawal:" + id }

// Withdraw holds the money and sends the payout (WAL-5). The same
// idempotency key from the same user returns the first withdrawal and
// never withdraws twice. A withdrawal the rail refused is returned failed
// (with its FailureCode), not as an error: the money was held and
// released. Errors: ErrMethodNotAvailable, ErrInvalidPayoutAccount,
// ErrInvalidAccountHolder, ErrInvalidAmount, ErrCurrencyNotEnabled,
// ErrWalletNotFound, ErrInsufficientFunds (also with a failed withdrawal
// when another payment took the money first), ErrTwoFactorRequired,
// ErrStepUpRequired, ErrStepUpFailed, ErrIdempotencyKeyReused,
// ErrInvalidKey, ErrUnavailable (the withdrawal may be recorded: the
// background job finishes it).
func (w *Withdrawals) Withdraw(ctx context.Context, r WithdrawRequest) (Withdrawal, error) {
	ctx = context.WithoutCancel(ctx)
	if err := checkKey(r.IdempotencyKey); err != nil {
		return Withdrawal{}, err
	}
	d, err := w.destination(r)
	if err != nil {
		return Withdrawal{}, err
	}
	fp := fingerprint(string(TypeWithdrawal), string(d.Method), d.Account, d.Holder, r.Amount.String())
	if m, found, err := w.s.existing(ctx, r.UserID, r.IdempotencyKey, fp); found || err != nil {
		if err != nil {
			return Withdrawal{}, err
		}
		return w.replay(ctx, m.ID)
	}
	q, err := w.quote(ctx, r)
	if err != nil {
		return Withdrawal{}, err
	}
	if q.large {
		if err := w.checkStepUp(ctx, r, q); err != nil {
			if m, found, ferr := w.s.existing(ctx, r.UserID, r.IdempotencyKey, fp); found && ferr == nil {
				return w.replay(ctx, m.ID)
			}
			return Withdrawal{}, err
		}
	}
	cur := r.Amount.Currency.Code
	railAcct, err := w.s.platformAccount(ctx, withdrawPlatform(d.Method), cur)
	if err != nil {
		return Withdrawal{}, err
	}
	revenue, err := w.s.platformAccount(ctx, FeeRevenue, cur)
	if err != nil {
		return Withdrawal{}, err
	}
	m, parent := w.s.newMovement(q.wallet, TypeWithdrawal, r.Amount)
	m.Status, m.Fee, m.Method, m.MethodDisplay = StatusProcessing, q.fee, d.Method, d.Display()
	m.IdempotencyKey, m.Fingerprint = r.IdempotencyKey, fp
	m.Plan = withdrawPlan(withdrawLegs{parent: parent, movementID: m.ID, wallet: q.wallet.Accounts[cur],
		rail: railAcct, revenue: revenue, amount: r.Amount, fee: q.fee})
	// The limit transfers are held with the money: a failed or canceled
	// payout voids them too and gives the month's allowance back.
	if m.Plan, err = w.s.withLimits(ctx, parent, m.Plan, q.limitMove(r.UserID)); err != nil {
		return Withdrawal{}, err
	}
	HoldPlan(m.Plan)
	sealed, err := w.seal(m.ID, d)
	if err != nil {
		return Withdrawal{}, unavailable("seal the destination", err)
	}
	wd := Withdrawal{
		ID: m.ID, UserID: m.UserID, WalletID: m.WalletID, Method: d.Method, Amount: r.Amount, Fee: q.fee,
		Display: m.MethodDisplay, Sealed: sealed, Status: WithdrawalPending,
		ExpectedAt: w.addDays(m.CreatedAt, payoutDays(d.Method)), Plan: m.Plan,
		CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt,
	}
	if q.verdict.Hold {
		wd.Status = WithdrawalReview
	}
	errDup := errors.New("duplicate")
	err = w.store.InWithdrawTx(ctx, func(tx WithdrawTx) error {
		ok, err := tx.InsertMovement(ctx, m)
		if err != nil {
			return err
		}
		if !ok {
			return errDup
		}
		// A "not my transaction" report freezes withdrawals too, checked
		// in this transaction so a withdrawal racing the report cannot
		// slip through; a held one opens its review case here.
		if err := w.s.Admit(ctx, tx, m, q.verdict); err != nil {
			return err
		}
		if err := tx.InsertWithdrawal(ctx, wd); err != nil {
			return err
		}
		return tx.Enqueue(ctx, withdrawAdvanceJob(wd.ID, m.CreatedAt.Add(w.s.cfg.ResumeAfter)))
	})
	if errors.Is(err, errDup) {
		first, found, ferr := w.s.existing(ctx, r.UserID, r.IdempotencyKey, fp)
		if ferr != nil || !found {
			return Withdrawal{}, errors.Join(ferr, unavailable("withdraw: key taken but not found", nil))
		}
		return w.replay(ctx, first.ID)
	}
	if err != nil {
		return Withdrawal{}, storeErr("record withdrawal", err)
	}
	got, err := w.advance(ctx, wd)
	if err != nil {
		return got, err
	}
	return got, withdrawOutcome(got)
}

// withdrawOutcome is the error a withdrawal's caller gets: insufficient
// funds when the ledger refused the hold; nil otherwise (a rail's refusal
// is the withdrawal's own state, shown on its page).
func withdrawOutcome(wd Withdrawal) error {
	if wd.Status == WithdrawalFailed && wd.FailureCode == CodeInsufficientFunds {
		return refuse(CodeInsufficientFunds, "withdrawal %s", wd.ID)
	}
	return nil
}

// replay answers a repeated submission with the first withdrawal, driving
// it on if it is still pending.
func (w *Withdrawals) replay(ctx context.Context, id string) (Withdrawal, error) {
	wd, err := w.store.Withdrawal(ctx, id)
	if err != nil {
		return Withdrawal{}, storeErr("withdrawal", err)
	}
	if wd.Status == WithdrawalPending {
		if wd, err = w.advance(ctx, wd); err != nil {
			return wd, err
		}
	}
	return wd, withdrawOutcome(wd)
}

// checkStepUp enforces the large-payment rule on a withdrawal.
func (w *Withdrawals) checkStepUp(ctx context.Context, r WithdrawRequest, q withdrawQuote) error {
	on, err := w.s.stepUp.Enabled(ctx, r.UserID)
	if err != nil {
		return unavailable("two-factor state", err)
	}
	if !on {
		return refuse(CodeTwoFactorRequired, "withdraw %s by user %d", q.amount, r.UserID)
	}
	if r.StepUpToken == "" {
		return refuse(CodeStepUpRequired, "withdraw %s by user %d", q.amount, r.UserID)
	}
	err = w.s.stepUp.UseStepUp(ctx, r.UserID, r.StepUpToken, WithdrawAction(q.amount, q.dest))
	switch {
	case errors.Is(err, twofactor.ErrStepUpRefused):
		return refuse(CodeStepUpFailed, "user %d", r.UserID)
	case err != nil:
		return unavailable("step-up", err)
	}
	return nil
}

// Withdrawal returns one of the user's withdrawals. Errors:
// ErrWithdrawalNotFound (also for another user's).
func (w *Withdrawals) Withdrawal(ctx context.Context, userID int64, id string) (Withdrawal, error) {
	if !ValidMovementID(id) {
		return Withdrawal{}, refuse(CodeWithdrawalNotFound, "%q", id)
	}
	wd, err := w.store.Withdrawal(ctx, id)
	if err != nil {
		return Withdrawal{}, storeErr("withdrawal", err)
	}
	if wd.UserID != userID {
		return Withdrawal{}, refuse(CodeWithdrawalNotFound, "%s is not user %d's", id, userID)
	}
	return wd, nil
}

// List returns the user's latest withdrawals, newest first.
func (w *Withdrawals) List(ctx context.Context, userID int64, limit int) ([]Withdrawal, error) {
	ws, err := w.store.Withdrawals(ctx, userID, pageLimit(limit))
	if err != nil {
		return nil, unavailable("withdrawals", err)
	}
	return ws, nil
}

// Cancel cancels a withdrawal that has not settled: the rail is asked to
// cancel the payout first, and only once it agreed is the hold voided.
// Errors: ErrWithdrawalNotFound, ErrWithdrawalNotCancelable (it settled,
// or settles now: the returned withdrawal says how), ErrUnavailable
// (nothing changed; trying again is safe).
func (w *Withdrawals) Cancel(ctx context.Context, userID int64, id string) (Withdrawal, error) {
	ctx = context.WithoutCancel(ctx)
	wd, err := w.Withdrawal(ctx, userID, id)
	if err != nil {
		return Withdrawal{}, err
	}
	if wd.Status == WithdrawalCanceled {
		return wd, nil
	}
	if !wd.Status.Open() {
		return wd, refuse(CodeWithdrawalNotCancelable, "%s is %s", wd.ID, wd.Status)
	}
	rail, ok := w.payers[wd.Method]
	if !ok {
		return wd, refuse(CodeMethodNotAvailable, "%q", wd.Method)
	}
	res, err := rail.CancelPayout(ctx, wd.ID)
	if err != nil {
		return wd, unavailable("cancel payout "+wd.ID, err)
	}
	if res.State != PayoutCanceled {
		// Too late: it settled. Record how.
		got, err := w.apply(ctx, wd, res)
		if err != nil {
			return got, err
		}
		return got, refuse(CodeWithdrawalNotCancelable, "%s settled as %s", wd.ID, res.State)
	}
	return w.apply(ctx, wd, res)
}

// Config returns the configuration with its defaults filled in.
func (w *Withdrawals) Config() WithdrawConfig { return w.cfg }
