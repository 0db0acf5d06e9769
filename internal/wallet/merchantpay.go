package wallet

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Merchant payments in the payer's wallet. internal/merchant moves the
// money of a payment made from an OKPay balance (a hold on the wallet
// account, posted at capture, voided at cancel; a refund credits the
// wallet); the wallet records the payer's side as movements, so history,
// its CSV, the movement page and the monthly statement explain every
// change of the balance:
//
//   - TypeMerchantPayment, one per balance attempt of a payment, its id
//     derived from the attempt: processing while authorised, completed at
//     capture (Amount is what was captured, Authorized what was held, the
//     rest was released), canceled when the hold is voided, failed when
//     the ledger refused the hold.
//   - TypeMerchantRefund, one per succeeded refund, incoming and completed.
//
// The merchant writes them with Tx.PutMovement in the very transaction
// that changes the payment or the refund, so the two never disagree; a
// final movement is never rewritten. A completed movement's PostedAt is
// the ledger's commit time of the transfer that moved the wallet's posted
// balance (the capture's post, the refund's credit), which is what keeps
// the statement equal to the journal.
//
// Limits and risk: a balance payment counts against the payer's monthly
// send limit like a send (MerchantLimitTransfers: the same allowance
// transfers, flagged pending with the hold, posted with the capture,
// voided with the hold, so a canceled authorisation gives its room back),
// and a payer whose outgoing payments are frozen is refused
// (ScreenMerchantPayment before anything is written, Admit inside the
// transaction that records the authorisation). The review-hold rules are
// not applied: the shopper is at the checkout and the merchant's own
// capture window already bounds the hold, so a payment is either refused
// or goes through.

// Movement types of merchant payments.
const (
	TypeMerchantPayment Type = "merchant_payment"
	TypeMerchantRefund  Type = "merchant_refund"
)

// MethodMerchant: a payment to a merchant from the OKPay balance.
const MethodMerchant Method = "merchant"

// MerchantMove is the payer's side of a balance payment or of its refund.
type MerchantMove struct {
	Type Type
	// Reference is what the movement's id is derived from: the payment's
	// attempt ("pi_...:1") or the refund ("re_..."), so it is written once.
	Reference string
	// ObjectID is the payment or refund id, shown as the reference.
	ObjectID string
	UserID   int64
	// Merchant is the merchant's name, the counterparty.
	Merchant string
	Note     string
	Status   Status
	// Amount: authorised while processing, captured once completed; the
	// refund's amount for a refund.
	Amount      money.Amount
	Authorized  money.Amount
	FailureCode Code
	// Plan is the payment's pending limit transfers (none for a refund).
	Plan     []ledger.Transfer
	At       time.Time
	PostedAt time.Time
}

// MerchantMovementID is the id of the movement of a payment attempt or
// refund reference.
func MerchantMovementID(reference string) string {
	return derivedMovementID(ledger.DeriveID(ledger.ID{}, "merchant"), reference)
}

// Released is what a completed merchant payment authorised but did not
// capture (a partial capture released it back to the wallet).
func (m Movement) Released() money.Amount {
	if m.Type != TypeMerchantPayment || m.Status != StatusCompleted || m.Authorized.Minor <= m.Amount.Minor {
		return money.Amount{Currency: m.Amount.Currency}
	}
	return money.Amount{Minor: m.Authorized.Minor - m.Amount.Minor, Currency: m.Amount.Currency}
}

// MerchantMovement builds the movement of mm (it reads the payer's
// wallet; call it before the transaction). Errors: ErrWalletNotFound,
// ErrUnavailable.
func (s *Service) MerchantMovement(ctx context.Context, mm MerchantMove) (Movement, error) {
	w, err := s.store.WalletByUser(ctx, mm.UserID)
	if err != nil {
		return Movement{}, storeErr("wallet", err)
	}
	at := mm.At.UTC()
	m := Movement{ID: MerchantMovementID(mm.Reference), WalletID: w.ID, UserID: mm.UserID, Type: mm.Type,
		Status: mm.Status, Amount: mm.Amount, Fee: money.Amount{Currency: mm.Amount.Currency}, Authorized: mm.Authorized,
		Counterparty: Counterparty{Display: mm.Merchant}, Note: mm.Note, Method: MethodMerchant,
		ChargeID: mm.ObjectID, FailureCode: mm.FailureCode, Plan: mm.Plan, CreatedAt: at, UpdatedAt: at}
	if mm.Status == StatusCompleted {
		m.PostedAt = mm.PostedAt.UTC()
	}
	return m, nil
}

// PutMerchantMovement records m in tx, a transaction of the merchant's
// change. admit (the authorisation being recorded) checks the payer's
// freeze inside the transaction first. Errors: ErrOutgoingFrozen, or the
// store's.
func (s *Service) PutMerchantMovement(ctx context.Context, tx Tx, m Movement, admit bool) error {
	if admit {
		if err := s.Admit(ctx, tx, m, Verdict{}); err != nil {
			return err
		}
	}
	_, err := tx.PutMovement(ctx, m)
	return err
}

// ScreenMerchantPayment refuses a payer whose outgoing payments are
// frozen before anything is written. A hold the rules ask for is not
// applied (see above). Errors: ErrOutgoingFrozen, ErrUnavailable.
func (s *Service) ScreenMerchantPayment(ctx context.Context, userID int64, amount money.Amount, merchantID string) error {
	_, err := s.Screen(ctx, Outgoing{UserID: userID, Type: TypeMerchantPayment, Amount: amount, Payee: merchantID})
	return err
}

// MerchantLimitTransfers returns the transfers that count a balance
// payment of amount against the payer's monthly send limit, flagged
// pending (the merchant links them with its hold, and posts or voids them
// with it). Their ids derive from parent. None without a Limiter.
// Errors: an early *Error of CodeSendLimit, ErrUnavailable.
func (s *Service) MerchantLimitTransfers(ctx context.Context, userID int64, amount money.Amount, parent ledger.ID) ([]ledger.Transfer, error) {
	if s.limiter == nil {
		return nil, nil
	}
	usd, err := s.usd(ctx, amount)
	if err != nil {
		return nil, err
	}
	ts, err := s.limiter.LimitTransfers(ctx, LimitMove{Kind: LimitSend, UserID: userID, Amount: amount, USD: usd,
		Parent: parent, At: s.nowUTC()})
	if ErrorCode(err) != "" {
		return nil, err
	}
	if err != nil {
		return nil, storeErr("limits", err)
	}
	for i := range ts {
		ts[i].Flags = ledger.Pending
	}
	return ts, nil
}
