package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/wallet"
)

// Payouts send a merchant's balance to its bank account (MER-6), the
// way withdrawals send a wallet's: the same bank rail (wallet.PayoutRail
// over the connector's bank sandbox), the same hold-then-post-or-void
// ledger pattern, on the platform's business calendar.
//
// # Money
//
// A payout holds its amount at once: one pending ledger transfer from the
// merchant's balance (mode and currency) to the rail's account (the
// platform's bank account in live mode; test mode's own
// "test:platform:bank" account, so test money never reaches the live
// books). The balance account can never go below zero, and a pending
// debit counts against it inside the ledger commit, so two payouts racing
// for the same money cannot both be held. The hold is posted when the
// rail says the payout was paid, and voided (the money is available
// again) when it failed. A payout paid and then sent back by the bank is
// credited back to the balance by one more transfer. Every transfer id
// is derived from the payout's id, so no step can move money twice.
//
// # Steps
//
//  1. The payout is recorded (pending), its destination sealed.
//  2. The hold is submitted.
//  3. The payout is sent to the rail under the payout's id as the
//     idempotency key: accepted (processing, with the business day it is
//     due), or refused (the hold is voided: failed).
//  4. PayoutSettleJob asks the rail about every open payout and posts or
//     voids.
//
// Each step is safe to repeat, and the record is written with one update
// conditional on its version, so a step cut anywhere or run twice at once
// ends with the money moved once and the record written once.
//
// Only owners request payouts; developers and viewers read them. A
// PayoutGate (the disputes' receivables) can refuse a payout while the
// merchant owes the platform money.
type Payouts struct {
	s     *Service
	store PayoutStore
	live  wallet.PayoutRail
	test  wallet.PayoutRail
	bank  func(ctx context.Context, currency string) (int64, error)
	box   *secretbox.Box
	gate  PayoutGate
	days  func(time.Time, int) time.Time
	every time.Duration
}

// PayoutGate says whether a merchant may be paid out now (the disputes'
// receivables: a merchant that owes the platform money is not). A nil
// gate blocks nothing.
type PayoutGate interface {
	PayoutBlocked(ctx context.Context, merchantID string, livemode bool) (bool, error)
}

// PayoutStatus is where a payout is.
type PayoutStatus string

// The statuses of a payout. Pending: recorded (and held once HeldAt is
// set), not yet accepted by the rail. Processing: the rail accepted it; it
// is due by ExpectedAt. Paid: the hold is posted. Failed: refused or
// failed, the hold voided (or never made). Returned: paid, then sent back
// by the bank and credited back to the balance.
const (
	PayoutPending    PayoutStatus = "pending"
	PayoutProcessing PayoutStatus = "processing"
	PayoutPaid       PayoutStatus = "paid"
	PayoutFailed     PayoutStatus = "failed"
	PayoutReturned   PayoutStatus = "returned"
)

// Open reports whether the payout's money is still held.
func (s PayoutStatus) Open() bool { return s == PayoutPending || s == PayoutProcessing }

// Errors of payouts (PayoutErrorCode gives their codes). The payout
// refusals shared with payments are ErrForbidden, ErrInvalidAmount,
// ErrInvalidCurrency, ErrInsufficientFunds and ErrNotFound.
var (
	ErrInvalidPayoutAccount = errors.New("merchant: the IBAN is not valid")
	ErrInvalidAccountHolder = errors.New("merchant: the account holder's name is missing or too long")
	ErrPayoutBlocked        = errors.New("merchant: payouts are blocked while the merchant owes a balance")
)

var payoutErrorCodes = []struct {
	err  error
	code string
}{
	{ErrInvalidPayoutAccount, "invalid_payout_account"},
	{ErrInvalidAccountHolder, "invalid_account_holder"},
	{ErrPayoutBlocked, "payout_blocked"},
}

// PayoutErrors lists the errors only payouts return.
func PayoutErrors() []error {
	out := make([]error, 0, len(payoutErrorCodes))
	for _, e := range payoutErrorCodes {
		out = append(out, e.err)
	}
	return out
}

// PayoutErrorCode is the code of a payout-only error, else ErrorCode's.
func PayoutErrorCode(err error) string {
	for _, e := range payoutErrorCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return ErrorCode(err)
}

// Payout is a payout of a merchant's balance.
type Payout struct {
	ID         string // "po_..."
	MerchantID string
	Livemode   bool
	Amount     money.Amount
	// Display is the destination, masked ("Holder · DE89 •••• 3000").
	Display string
	// Sealed is the destination (wallet.Destination), sealed under ID.
	Sealed      []byte
	Status      PayoutStatus
	FailureCode string
	// RailID is the rail's payout id.
	RailID     string
	ExpectedAt time.Time
	HeldAt     time.Time
	SettledAt  time.Time
	CreatedBy  int64
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Object is the API object name.
func (Payout) Object() string { return "payout" }

// PrefixPayout is the prefix of payout ids.
const PrefixPayout = "po_"

// Ledger codes of payouts (apart from the payments' 300-304).
const (
	// AccountTestBank is test mode's bank account.
	AccountTestBank uint16 = 320
	// TransferPayout holds, then posts or voids, a payout.
	TransferPayout uint16 = 320
	// TransferPayoutReturn credits a returned payout back.
	TransferPayoutReturn uint16 = 321
)

// PayoutStore keeps payouts; sqlstore implements it.
type PayoutStore interface {
	// InsertPayout stores a new payout; false when one with its id exists.
	InsertPayout(ctx context.Context, p Payout) (bool, error)
	// UpdatePayout writes p's status, failure code, rail id and dates when
	// the stored version is p.Version, and increments it; false when
	// another writer got there first.
	UpdatePayout(ctx context.Context, p Payout) (bool, error)
	// Payout returns one payout. Errors: ErrNotFound.
	Payout(ctx context.Context, id string) (Payout, error)
	// Payouts lists a merchant's payouts in one mode, newest first.
	Payouts(ctx context.Context, merchantID string, live bool, limit int) ([]Payout, error)
	// OpenPayouts lists, oldest first, the pending and processing payouts
	// and the paid ones settled at or after paidSince.
	OpenPayouts(ctx context.Context, paidSince time.Time, limit int) ([]Payout, error)
}

// PayoutOptions are the dependencies of Payouts besides the service.
type PayoutOptions struct {
	Store PayoutStore
	// Live and Test are the bank rails of each mode: two separate
	// sandboxes in development, so a test payout never reaches the rail
	// live payouts use.
	Live, Test wallet.PayoutRail
	// LiveBank returns the platform's live bank account in a currency
	// (wallet's platform:bank).
	LiveBank func(ctx context.Context, currency string) (int64, error)
	// MasterKey seals destinations at rest.
	MasterKey []byte
	// AddBusinessDays is the platform calendar's, for the expected date
	// before the rail gives its own.
	AddBusinessDays func(t time.Time, n int) time.Time
	// Gate refuses payouts of merchants that owe money; nil: none.
	Gate PayoutGate
	// SettleEvery is the period of PayoutSettleJob (default 1 minute).
	SettleEvery time.Duration
}

// NewPayouts returns the payouts of s.
func NewPayouts(s *Service, o PayoutOptions) (*Payouts, error) {
	if s == nil || o.Store == nil || o.Live == nil || o.Test == nil || o.LiveBank == nil || o.AddBusinessDays == nil {
		return nil, errors.New("merchant: NewPayouts needs the service, a store, two rails, the live bank account and a calendar")
	}
	box, err := secretbox.New(o.MasterKey, "merchant_payout_destination")
	if err != nil {
		return nil, fmt.Errorf("merchant: payouts: %w", err)
	}
	every := o.SettleEvery
	if every <= 0 {
		every = time.Minute
	}
	return &Payouts{s: s, store: o.Store, live: o.Live, test: o.Test, bank: o.LiveBank, box: box, gate: o.Gate,
		days: o.AddBusinessDays, every: every}, nil
}

// SetGate connects the receivables check after construction.
func (p *Payouts) SetGate(g PayoutGate) { p.gate = g }

// payoutDays is how many business days a bank payout may take.
const payoutDays = 3

// PayoutRequest asks to pay out part of the balance.
type PayoutRequest struct {
	// ID, when set (a "po_" id the form was given), makes the request
	// idempotent: a second request with it returns the first payout.
	ID     string
	Amount money.Amount
	IBAN   string
	Holder string
	// StepUpToken approves a large payout (PayoutAction), as for large
	// balance payments: at or above Config.LargePayment, converted.
	StepUpToken string
}

// PayoutAction is the second-factor action approving one payout: this
// amount of this merchant to this account, once. Errors:
// ErrInvalidPayoutAccount, ErrInvalidAccountHolder.
func PayoutAction(merchantID string, r PayoutRequest) (twofactor.Action, error) {
	d, err := payoutDestination(r)
	if err != nil {
		return twofactor.Action{}, err
	}
	return twofactor.Action{Name: "merchant_payout", Params: map[string]string{
		"merchant": merchantID,
		"amount":   r.Amount.Decimal(),
		"currency": r.Amount.Currency.Code,
		"account":  d.Account,
	}}, nil
}

// Large reports whether a payout of amount needs the second factor.
func (p *Payouts) Large(ctx context.Context, amount money.Amount) (bool, error) {
	limit := p.s.cfg.LargePayment
	amt := amount
	if amt.Currency != limit.Currency {
		var err error
		if amt, err = p.s.rates.Convert(ctx, amount, limit.Currency, p.s.nowUTC()); err != nil {
			return false, unavailable("convert for the step-up threshold", err)
		}
	}
	return amt.Minor >= limit.Minor, nil
}

// checkStepUp enforces the large-payout rule.
func (p *Payouts) checkStepUp(ctx context.Context, a Access, r PayoutRequest) error {
	large, err := p.Large(ctx, r.Amount)
	if err != nil || !large {
		return err
	}
	on, err := p.s.stepUp.Enabled(ctx, a.UserID)
	if err != nil {
		return unavailable("two-factor", err)
	}
	switch {
	case !on:
		return ErrTwoFactorOff
	case r.StepUpToken == "":
		return ErrStepUpRequired
	}
	action, err := PayoutAction(a.MerchantID, r)
	if err != nil {
		return err
	}
	if err := p.s.stepUp.UseStepUp(ctx, a.UserID, r.StepUpToken, action); err != nil {
		if errors.Is(err, twofactor.ErrStepUpRefused) {
			return ErrStepUpRefused
		}
		return unavailable("step-up", err)
	}
	return nil
}

// NewPayoutID is a fresh payout id, for a form to submit once.
func NewPayoutID() string {
	id, _ := newPrefixedID(PrefixPayout)
	return id
}

const maxHolder = 70

func payoutDestination(r PayoutRequest) (wallet.Destination, error) {
	if !utf8.ValidString(r.IBAN) || len(r.IBAN) > 64 {
		return wallet.Destination{}, ErrInvalidPayoutAccount
	}
	iban, err := connector.ParseIBAN(r.IBAN)
	if err != nil {
		return wallet.Destination{}, ErrInvalidPayoutAccount
	}
	if !utf8.ValidString(r.Holder) {
		return wallet.Destination{}, ErrInvalidAccountHolder
	}
	holder := strings.Join(strings.Fields(r.Holder), " ")
	n := utf8.RuneCountInString(holder)
	if n == 0 || n > maxHolder || strings.ContainsFunc(holder, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFFFD'
	}) {
		return wallet.Destination{}, ErrInvalidAccountHolder
	}
	return wallet.Destination{Method: wallet.MethodBank, Account: iban, Holder: holder}, nil
}

// Request pays out amount of the balance of the access's mode to a bank
// account: the money is held at once and the payout sent to the rail. A
// payout the rail refused is returned failed (not as an error); its money
// is available again. Errors: ErrForbidden (not an owner),
// ErrInvalidPayoutAccount, ErrInvalidAccountHolder, ErrInvalidAmount,
// ErrInvalidCurrency, ErrPayoutBlocked, ErrInsufficientFunds (also with a
// failed payout when another payout took the money first),
// ErrTwoFactorOff, ErrStepUpRequired, ErrStepUpRefused (a large payout),
// ErrUnavailable (the payout may be recorded: the settlement job goes on
// with it).
func (p *Payouts) Request(ctx context.Context, a Access, r PayoutRequest) (Payout, error) {
	ctx = context.WithoutCancel(ctx)
	if a.Role != Owner {
		return Payout{}, ErrForbidden
	}
	if r.ID != "" {
		if !validID(PrefixPayout, r.ID) {
			return Payout{}, ErrNotFound
		}
		if got, err := p.store.Payout(ctx, r.ID); err == nil {
			if got.MerchantID != a.MerchantID || got.Livemode != a.Mode.Live() {
				return Payout{}, ErrNotFound
			}
			return got, nil
		} else if !errors.Is(err, ErrNotFound) {
			return Payout{}, unavailable("payout", err)
		}
	}
	d, err := payoutDestination(r)
	if err != nil {
		return Payout{}, err
	}
	if err := p.s.checkAmount(r.Amount); err != nil {
		return Payout{}, err
	}
	if p.gate != nil {
		blocked, err := p.gate.PayoutBlocked(ctx, a.MerchantID, a.Mode.Live())
		if err != nil {
			return Payout{}, unavailable("payout gate", err)
		}
		if blocked {
			return Payout{}, ErrPayoutBlocked
		}
	}
	bal, err := p.s.merchantBalance(ctx, a.MerchantID, a.Mode, r.Amount.Currency.Code)
	if err != nil {
		return Payout{}, err
	}
	acc, err := p.s.ledger.Account(ctx, bal)
	if err != nil {
		return Payout{}, unavailable("balance", err)
	}
	if acc.Available() < r.Amount.Minor {
		// The ledger would refuse the hold; say so before recording.
		return Payout{}, ErrInsufficientFunds
	}
	if err := p.checkStepUp(ctx, a, r); err != nil {
		return Payout{}, err
	}
	id := r.ID
	if id == "" {
		id = NewPayoutID()
	}
	sealed, err := p.seal(id, d)
	if err != nil {
		return Payout{}, unavailable("seal the destination", err)
	}
	now := p.s.nowUTC()
	po := Payout{ID: id, MerchantID: a.MerchantID, Livemode: a.Mode.Live(), Amount: r.Amount, Display: d.Display(),
		Sealed: sealed, Status: PayoutPending, ExpectedAt: p.days(now, payoutDays), CreatedBy: a.UserID,
		CreatedAt: now, UpdatedAt: now}
	ok, err := p.store.InsertPayout(ctx, po)
	if err != nil {
		return Payout{}, unavailable("record payout", err)
	}
	if !ok {
		// The same form twice at once: the first one's payout.
		got, err := p.store.Payout(ctx, id)
		if err != nil || got.MerchantID != a.MerchantID {
			return Payout{}, errors.Join(ErrNotFound, err)
		}
		return got, nil
	}
	got, err := p.advance(ctx, po)
	if err != nil {
		return got, err
	}
	if got.Status == PayoutFailed && got.FailureCode == ErrorCode(ErrInsufficientFunds) {
		return got, ErrInsufficientFunds
	}
	return got, nil
}

// Payout returns one of the merchant's payouts in the access's mode.
// Errors: ErrNotFound (also another merchant's or mode's).
func (p *Payouts) Payout(ctx context.Context, a Access, id string) (Payout, error) {
	if !validID(PrefixPayout, id) {
		return Payout{}, ErrNotFound
	}
	po, err := p.store.Payout(ctx, id)
	if err != nil {
		return Payout{}, storeErr("payout", err)
	}
	if po.MerchantID != a.MerchantID || po.Livemode != a.Mode.Live() {
		return Payout{}, ErrNotFound
	}
	return po, nil
}

// List returns the merchant's latest payouts in the access's mode.
func (p *Payouts) List(ctx context.Context, a Access, limit int) ([]Payout, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	ps, err := p.store.Payouts(ctx, a.MerchantID, a.Mode.Live(), limit)
	if err != nil {
		return nil, unavailable("payouts", err)
	}
	return ps, nil
}

// ReturnWindow is how long after it was paid a payout is still asked
// about, in case the bank sends it back.
const ReturnWindow = 14 * 24 * time.Hour

// PayoutSettleJob periodically drives open payouts: holds not yet
// recorded, payouts not yet sent, those the rail settles, and paid ones
// within ReturnWindow that the bank may send back.
const PayoutSettleJob = "merchant.payout_settle"

// Register adds the payout settlement to r.
func (p *Payouts) Register(r *jobs.Runner) {
	r.Register(PayoutSettleJob, func(ctx context.Context, _ jobs.Claimed) error {
		_, err := p.Settle(ctx)
		return err
	})
	r.Periodic(PayoutSettleJob, p.every, nil)
}

// Settle drives every open payout as far as the ledger and the rail let
// it go now, oldest first, and returns how many changed status. Running
// it twice, or at once on two nodes, settles each payout once; a rail
// that does not answer leaves its payouts for the next run.
func (p *Payouts) Settle(ctx context.Context) (int, error) {
	ctx = context.WithoutCancel(ctx)
	ps, err := p.store.OpenPayouts(ctx, p.s.nowUTC().Add(-ReturnWindow), 500)
	if err != nil {
		return 0, unavailable("payouts to settle", err)
	}
	changed := 0
	var errs []error
	for _, po := range ps {
		got, err := p.advance(ctx, po)
		if err != nil {
			errs = append(errs, err)
		}
		if got.Status != po.Status {
			changed++
		}
	}
	if len(errs) > 0 {
		p.s.log.Warn("merchant: payouts left unsettled", "count", len(errs), "first", errs[0])
	}
	return changed, nil
}

func (p *Payouts) rail(po Payout) wallet.PayoutRail {
	if po.Livemode {
		return p.live
	}
	return p.test
}

// railAccount is the ledger account the payout's money goes to.
func (p *Payouts) railAccount(ctx context.Context, po Payout) (int64, error) {
	cur := po.Amount.Currency.Code
	if po.Livemode {
		id, err := p.bank(ctx, cur)
		if err != nil {
			return 0, unavailable("bank account", err)
		}
		return id, nil
	}
	return p.s.account(ctx, ledger.Account{Ref: "test:platform:bank:" + cur, Currency: cur, Code: AccountTestBank})
}

func holdID(po Payout) ledger.ID { return ledger.DeriveID(idBits(po.ID), "hold") }

// hold is the payout's pending transfer, the only place it is built.
func (p *Payouts) hold(ctx context.Context, po Payout) (ledger.Transfer, error) {
	bal, err := p.s.merchantBalance(ctx, po.MerchantID, modeOf(po.Livemode), po.Amount.Currency.Code)
	if err != nil {
		return ledger.Transfer{}, err
	}
	rail, err := p.railAccount(ctx, po)
	if err != nil {
		return ledger.Transfer{}, err
	}
	return ledger.Transfer{ID: holdID(po), DebitAccountID: bal, CreditAccountID: rail, Amount: po.Amount.Minor,
		Currency: po.Amount.Currency.Code, Code: TransferPayout, Flags: ledger.Pending}, nil
}

// advance drives a payout on; every step is safe to repeat.
func (p *Payouts) advance(ctx context.Context, po Payout) (Payout, error) {
	if !po.Status.Open() && po.Status != PayoutPaid {
		return po, nil
	}
	rail := p.rail(po)
	if po.Status == PayoutPending {
		if po.HeldAt.IsZero() {
			t, err := p.hold(ctx, po)
			if err != nil {
				return po, err
			}
			res, err := p.s.submit(ctx, []ledger.Transfer{t})
			if err != nil {
				return po, err
			}
			switch c := res[0].Code; {
			case c.Done():
			case c == ledger.InsufficientFunds:
				return p.fail(ctx, po, ErrorCode(ErrInsufficientFunds), false)
			default:
				p.s.log.Error("merchant: ledger refused a payout's hold", "payout", po.ID, "code", c.String())
				return p.fail(ctx, po, "processing_error", false)
			}
			next := po
			next.HeldAt = res[0].Timestamp.UTC()
			var err2 error
			if po, err2 = p.write(ctx, po, next); err2 != nil || po.Status != PayoutPending {
				return po, err2
			}
		}
		return p.pay(ctx, rail, po)
	}
	res, err := rail.PayoutStatus(ctx, po.ID, po.RailID)
	if err != nil {
		return po, unavailable("payout status "+po.ID, err)
	}
	if res.State == wallet.PayoutUnknown {
		// The rail lost it (a sandbox restarted): send it again under the
		// same key, which a real rail answers with the same payout.
		return p.pay(ctx, rail, po)
	}
	return p.apply(ctx, po, res)
}

// pay sends (or asks again for) the payout.
func (p *Payouts) pay(ctx context.Context, rail wallet.PayoutRail, po Payout) (Payout, error) {
	d, err := p.open(po)
	if err != nil {
		return po, unavailable("open the destination of "+po.ID, err)
	}
	res, err := rail.Payout(ctx, wallet.PayoutRequest{Key: po.ID, Amount: po.Amount, Destination: d,
		Description: "OKPay " + po.ID})
	if err != nil {
		return po, unavailable("payout "+po.ID, err)
	}
	return p.apply(ctx, po, res)
}

// apply records what the rail said, moving the money first.
func (p *Payouts) apply(ctx context.Context, po Payout, res wallet.PayoutResult) (Payout, error) {
	switch res.State {
	case wallet.PayoutPending:
		if po.Status != PayoutPending {
			return po, nil
		}
		next := po
		next.Status, next.RailID = PayoutProcessing, res.ID
		if !res.ExpectedAt.IsZero() {
			next.ExpectedAt = res.ExpectedAt.UTC()
		}
		return p.write(ctx, po, next)
	case wallet.PayoutPaid, wallet.PayoutReturned:
		if po.Status == PayoutPaid {
			if res.State == wallet.PayoutPaid {
				return po, nil
			}
			// Paid, then sent back by the bank: credit it back.
			if err := p.credit(ctx, po); err != nil {
				return po, err
			}
			next := po
			next.Status, next.FailureCode = PayoutReturned, railCode(res.Code)
			return p.write(ctx, po, next)
		}
		at, err := p.resolve(ctx, po, ledger.PostPending)
		if err != nil {
			return po, err
		}
		next := po
		next.Status, next.SettledAt = PayoutPaid, at
		if res.ID != "" {
			next.RailID = res.ID
		}
		if res.State == wallet.PayoutReturned {
			if err := p.credit(ctx, po); err != nil {
				return po, err
			}
			next.Status, next.FailureCode = PayoutReturned, railCode(res.Code)
		}
		return p.write(ctx, po, next)
	case wallet.PayoutFailed, wallet.PayoutCanceled:
		if po.Status == PayoutPaid {
			p.s.log.Error("merchant: a paid payout's rail reads failed; reconcile it with the bank", "payout", po.ID, "state", res.State)
			return po, nil
		}
		// Void by the hold's id even when the hold was never recorded: a
		// cut step may have left it in the ledger.
		return p.fail(ctx, po, railCode(res.Code), true)
	}
	return po, nil
}

// railCode maps a rail's reason to the payout's failure code.
func railCode(c string) string {
	switch c {
	case "account_closed":
		return "payout_account_closed"
	case "invalid_account":
		return "invalid_payout_account"
	}
	return "payout_failed"
}

// fail ends a payout as failed, voiding its hold first when it may exist.
func (p *Payouts) fail(ctx context.Context, po Payout, code string, void bool) (Payout, error) {
	at := p.s.nowUTC()
	if void {
		var err error
		if at, err = p.resolve(ctx, po, ledger.VoidPending); err != nil {
			return po, err
		}
	}
	next := po
	next.Status, next.FailureCode, next.SettledAt = PayoutFailed, code, at
	return p.write(ctx, po, next)
}

// resolve posts or voids the hold; a hold never made (the ledger does not
// know its id) has nothing to void.
func (p *Payouts) resolve(ctx context.Context, po Payout, how ledger.TransferFlags) (time.Time, error) {
	step := "post"
	if how == ledger.VoidPending {
		step = "void"
	}
	t, err := p.hold(ctx, po)
	if err != nil {
		return time.Time{}, err
	}
	res, err := p.s.submit(ctx, []ledger.Transfer{{ID: ledger.DeriveID(holdID(po), step), PendingID: holdID(po),
		DebitAccountID: t.DebitAccountID, CreditAccountID: t.CreditAccountID, Amount: t.Amount, Currency: t.Currency,
		Code: TransferPayout, Flags: how}})
	if err != nil {
		return time.Time{}, err
	}
	c := res[0].Code
	if c.Done() {
		return res[0].Timestamp.UTC(), nil
	}
	if how == ledger.VoidPending && c == ledger.PendingNotFound {
		return p.s.nowUTC(), nil
	}
	p.s.log.Error("merchant: ledger refused to resolve a payout's hold", "payout", po.ID, "code", c.String())
	return time.Time{}, unavailable("resolve the hold of "+po.ID+": "+c.String(), nil)
}

// credit gives a returned payout back to the balance.
func (p *Payouts) credit(ctx context.Context, po Payout) error {
	t, err := p.hold(ctx, po)
	if err != nil {
		return err
	}
	res, err := p.s.submit(ctx, []ledger.Transfer{{ID: ledger.DeriveID(holdID(po), "return"),
		DebitAccountID: t.CreditAccountID, CreditAccountID: t.DebitAccountID, Amount: t.Amount, Currency: t.Currency,
		Code: TransferPayoutReturn}})
	if err != nil {
		return err
	}
	if !res[0].Code.Done() {
		return unavailable("credit back "+po.ID+": "+res[0].Code.String(), nil)
	}
	return nil
}

// write stores next if the stored payout is still at cur's version; when
// another writer got there first it returns the stored payout.
func (p *Payouts) write(ctx context.Context, cur, next Payout) (Payout, error) {
	next.UpdatedAt = p.s.nowUTC()
	next.Version = cur.Version
	ok, err := p.store.UpdatePayout(ctx, next)
	if err != nil {
		return cur, unavailable("record payout "+cur.ID, err)
	}
	if !ok {
		got, err := p.store.Payout(ctx, cur.ID)
		if err != nil {
			return cur, storeErr("payout", err)
		}
		return got, nil
	}
	next.Version++
	return next, nil
}

func (p *Payouts) seal(id string, d wallet.Destination) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return p.box.Seal(b, "merchant_payout:"+id)
}

func (p *Payouts) open(po Payout) (wallet.Destination, error) {
	b, err := p.box.Open(po.Sealed, "merchant_payout:"+po.ID)
	if err != nil {
		return wallet.Destination{}, err
	}
	var d wallet.Destination
	err = json.Unmarshal(b, &d)
	return d, err
}
