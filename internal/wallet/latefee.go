package wallet

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Late fees (FEE-5). A money request with a due date that is paid after it
// carries the schedule's late_payment fee on the request's amount. The
// SPEC does not say who bears it; the payer does: it is the payer who is
// late, and the fee is never taken from what the requester receives. It is
// the platform's fee, like every fee in the schedule, so it goes to
// platform:fee_revenue, as one more transfer in the payment's linked set
// (the payment, its transfer fee and the late fee commit or fail
// together). The quote shows it (SendQuote.LateFee) before the payer
// confirms, and the payment is refused with late_fee_changed when the fee
// due at confirmation is more than the payer was shown
// (PayRequestInput.AcceptLateFee), say because the due date passed
// between the two.

// FeeLatePayment is the fee kind of a late request payment (internal/fees).
const FeeLatePayment = "late_payment"

// CodeLateFeeChanged: the request became overdue (or its late fee changed)
// after the payer was shown the quote; nothing was paid, look again.
const CodeLateFeeChanged Code = "late_fee_changed"

// ErrLateFeeChanged is the late_fee_changed refusal, for errors.Is.
var ErrLateFeeChanged = newErr(CodeLateFeeChanged, false)

// Overdue reports whether r is past its due date at now.
func (r Request) Overdue(now time.Time) bool { return !r.DueAt.IsZero() && now.After(r.DueAt) }

// addLateFee adds the late fee of paying r now to p, when r is overdue,
// and refuses what the payer's available balance cannot cover.
func (s *Service) addLateFee(ctx context.Context, r *Request, p *sendPlan) error {
	if r == nil || !r.Overdue(s.nowUTC()) {
		return nil
	}
	vol, err := s.monthlyVolume(ctx, p.from.UserID)
	if err != nil {
		return err
	}
	fee, err := s.quoteFee(FeeLatePayment, r.Amount, vol)
	if err != nil || fee.Minor == 0 {
		return err
	}
	p.late = fee
	if p.debited, err = p.debited.Add(fee); err != nil {
		return refuse(CodeInvalidAmount, "%v", err)
	}
	if p.avail.Minor < p.debited.Minor {
		return refuse(CodeInsufficientFunds, "available %s, needs %s with the late fee", p.avail, p.debited)
	}
	return nil
}

// withLateFee appends the late fee of p, paid by the payer, to a payment's
// linked set.
func withLateFee(plan []ledger.Transfer, parent ledger.ID, p sendPlan, revenue int64, movementID string) []ledger.Transfer {
	if p.late.Minor <= 0 {
		return plan
	}
	plan[len(plan)-1].Flags |= ledger.Linked
	return append(plan, ledger.Transfer{
		ID: ledger.DeriveID(parent, "late_fee"), DebitAccountID: p.from.Accounts[p.late.Currency.Code],
		CreditAccountID: revenue, Amount: p.late.Minor, Currency: p.late.Currency.Code, Code: TransferLateFee,
		Metadata: movementID,
	})
}

// lateFeeUnseen refuses a late fee above what the payer was shown.
func lateFeeUnseen(p sendPlan, accepted money.Amount) error {
	if p.late.Minor > 0 && (accepted.Currency != p.late.Currency || accepted.Minor < p.late.Minor) {
		return refuse(CodeLateFeeChanged, "late fee %s, the payer accepted %s", p.late, accepted)
	}
	return nil
}
