package wallet

import (
	"context"
	"errors"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Review holds (ACC-8). The wallet knows nothing of the rules that decide
// a hold: a Screener (internal/risk) is consulted on every outgoing
// movement, and the wallet only carries out what it says.
//
//   - Before anything is written, Screen judges the movement (Outgoing).
//     It may refuse it at once (ErrOutgoingFrozen) or ask for a hold.
//   - In the very transaction that inserts the movement, Admit checks the
//     freeze again (so a report committed a moment earlier is never
//     missed) and, for a hold, records the review case.
//   - A held movement's plan is the same transfers flagged ledger.Pending
//     (ids derived from the movement as always): the payer's available
//     balance drops at once, the payee sees nothing. Once the ledger holds
//     them the movement is StatusHeld ("under review").
//   - ResolveHold posts the pending transfers (release: the payee gets the
//     money and their receive movement, exactly once) or voids them
//     (refuse: the money is the payer's again; the movement fails with
//     CodeRefusedInReview). Both transfer sets have ids derived from the
//     held transfers, so retries never move money twice, and the ledger
//     resolves a pending transfer at most once.

// StatusHeld: the movement's money is held by the ledger while staff
// review it; ResolveHold ends it (completed or failed).
const StatusHeld Status = "held"

// Refusal codes of review holds.
const (
	// CodeOutgoingFrozen: the user reported a transaction as not theirs,
	// so sending and withdrawing are paused until support has checked the
	// account with them.
	CodeOutgoingFrozen Code = "outgoing_frozen"
	// CodeRefusedInReview: staff refused a held movement after review;
	// the money went back to the payer.
	CodeRefusedInReview Code = "refused_in_review"
	// CodeNotHeld: resolving a movement that is not (or no longer) held.
	CodeNotHeld Code = "not_held"
)

// The refusals of review holds, for errors.Is.
var (
	ErrOutgoingFrozen  = &Error{Code: CodeOutgoingFrozen}
	ErrRefusedInReview = &Error{Code: CodeRefusedInReview}
	ErrNotHeld         = &Error{Code: CodeNotHeld}
)

// Outgoing is an outgoing movement as a Screener sees it before it is
// recorded.
type Outgoing struct {
	UserID int64
	// Type is the movement's type: TypeSend, TypeRequestPayment, or a
	// withdrawal's.
	Type   Type
	Amount money.Amount
	// Payee names who receives the money, as earlier movements record it
	// in Counterparty.WalletID: the payee's wallet id for sends; for a
	// withdrawal, the same stable name of the destination that the
	// withdrawal stores there.
	Payee string
	// Device is the device cookie of the browser the user acts from ("",
	// unknown: then the device counts as known).
	Device string
}

// Verdict is a Screener's answer.
type Verdict struct {
	// Hold: the movement is held for review instead of sent.
	Hold bool
	// Reasons are the stable names of the rules that fired (shown to the
	// user and staff in words).
	Reasons []string
}

// Screener judges outgoing movements; *risk.Service implements it.
type Screener interface {
	// Screen judges o before anything is written. Errors:
	// ErrOutgoingFrozen, or an infrastructure error.
	Screen(ctx context.Context, o Outgoing) (Verdict, error)
	// Admit runs inside the transaction that inserts m: it refuses with
	// ErrOutgoingFrozen when the user's outgoing payments are frozen, in
	// a way that orders it after any freeze that committed before, and
	// records the review case (and the user's notice) when v.Hold.
	Admit(ctx context.Context, tx Tx, m Movement, v Verdict) error
}

// SetScreener makes sc judge every outgoing movement (call it once,
// before the service is used).
func (s *Service) SetScreener(sc Screener) { s.screener = sc }

// Screen asks the screener about an outgoing movement (a zero Verdict
// when there is none). Outgoing code outside send.go (withdrawals) calls
// it before recording the movement, and Admit in the transaction that
// inserts it, exactly as send does.
func (s *Service) Screen(ctx context.Context, o Outgoing) (Verdict, error) {
	if s.screener == nil {
		return Verdict{}, nil
	}
	v, err := s.screener.Screen(ctx, o)
	var e *Error
	if errors.As(err, &e) {
		return Verdict{}, err
	}
	if err != nil {
		return Verdict{}, unavailable("screen", err)
	}
	return v, nil
}

// Admit is the screener's check inside the inserting transaction tx
// (nothing without a screener). A refusal is a wallet *Error.
func (s *Service) Admit(ctx context.Context, tx Tx, m Movement, v Verdict) error {
	if s.screener == nil {
		return nil
	}
	return s.screener.Admit(ctx, tx, m, v)
}

// HoldPlan turns a movement's plan into its review hold: the same
// transfers, each pending until ResolveHold posts or voids it.
func HoldPlan(plan []ledger.Transfer) {
	for i := range plan {
		plan[i].Flags |= ledger.Pending
	}
}

// OnHold reports whether m's money is (to be) held for review: its plan
// is pending transfers.
func (m Movement) OnHold() bool {
	// A merchant payment's plan is its pending limit transfers, which the
	// merchant posts or voids with the payment's hold, never a review.
	return m.Type != TypeMerchantPayment && len(m.Plan) > 0 && m.Plan[0].Flags&ledger.Pending != 0
}

// held records that a held movement's pending transfers committed.
func (s *Service) held(ctx context.Context, m Movement) (Movement, error) {
	next := m
	next.Status = StatusHeld
	got, _, err := s.update(ctx, next, nil)
	if err != nil {
		return m, err
	}
	return got, outcome(got)
}

// ResolveHold ends the review of a held movement: release posts its
// pending transfers (the payee is credited and gets their receive
// movement), refuse voids them (the money is the payer's again, and the
// movement fails with CodeRefusedInReview). It may be called any number of
// times with the same decision: the transfer ids are derived from the held
// ones, and the movement's conditional update records it once. The caller
// (internal/risk) makes sure one decision is ever taken. Errors:
// ErrMovementNotFound, ErrNotHeld (the movement was never held, or ended
// the other way), ErrUnavailable.
func (s *Service) ResolveHold(ctx context.Context, movementID string, release bool) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	m, err := s.store.Movement(ctx, movementID)
	if err != nil {
		return Movement{}, storeErr("movement", err)
	}
	if m.Type == TypeWithdrawal {
		if s.reviewWithdrawal == nil {
			return m, refuse(CodeNotHeld, "%s: withdrawals are not served here", m.ID)
		}
		return s.reviewWithdrawal(ctx, m, release)
	}
	if !m.OnHold() {
		return m, refuse(CodeNotHeld, "%s has no hold", m.ID)
	}
	if m.Status == StatusPending {
		// The hold itself was never recorded as committed: do that first.
		if m, err = s.settle(ctx, m); err != nil && m.Status != StatusHeld {
			if m.Status == StatusFailed {
				return m, refuse(CodeNotHeld, "%s failed before review: %s", m.ID, m.FailureCode)
			}
			return m, err
		}
	}
	switch {
	case m.Status == StatusCompleted && release,
		m.Status == StatusFailed && !release && m.FailureCode == CodeRefusedInReview:
		return m, nil
	case m.Status != StatusHeld:
		return m, refuse(CodeNotHeld, "%s is %s", m.ID, m.Status)
	}
	step, kind := "refuse", ledger.VoidPending
	if release {
		step, kind = "release", ledger.PostPending
	}
	plan := make([]ledger.Transfer, len(m.Plan))
	for i, t := range m.Plan {
		plan[i] = ledger.Transfer{
			ID: ledger.DeriveID(t.ID, step), DebitAccountID: t.DebitAccountID, CreditAccountID: t.CreditAccountID,
			Amount: t.Amount, Currency: t.Currency, Code: t.Code, Flags: kind | t.Flags&ledger.Linked,
			PendingID: t.ID, Metadata: t.Metadata,
		}
	}
	res, err := s.ledger.Submit(ctx, plan)
	if err != nil {
		return m, unavailable("resolve hold "+m.ID, err)
	}
	for _, r := range res {
		if !r.Code.Done() {
			s.log.Error("wallet: ledger refused to resolve a hold", "movement", m.ID, "release", release, "code", r.Code.String())
			return m, unavailable("resolve hold "+m.ID+": "+r.Code.String(), nil)
		}
	}
	if release {
		return s.complete(ctx, m, res[0].Timestamp.UTC())
	}
	got, err := s.fail(ctx, m, CodeRefusedInReview)
	if errors.Is(err, ErrRefusedInReview) {
		err = nil
	}
	return got, err
}
