package merchant

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// RefundRequest gives part or all of a captured payment back.
type RefundRequest struct {
	PaymentID string
	// Amount to refund; zero Minor with no currency: all that is left.
	Amount money.Amount
	Reason string
	// ID, when set, is the refund's id (RefundID derives one from the
	// caller's idempotency key): asked again after a lost answer, Refund
	// answers the first refund instead of making a second one.
	ID string
}

// RefundID derives a refund id from a payment and a caller's idempotency
// key. It keeps the payment's time prefix, as every id derived from the
// payment does.
func RefundID(paymentID, key string) string {
	return PrefixRefund + encodeID(ledger.DeriveID(idBits(paymentID), "refund-key:"+key))
}

// Refund refunds a succeeded payment to its payer (their wallet, or card
// clearing for a card). The refund's two transfers are one linked set: the
// payment's refundable account (never below zero) and the merchant's
// balance (never below zero) are both debited inside one ledger commit, so
// concurrent refunds can never add up to more than was captured, nor
// overdraw the merchant. A refused refund is recorded as failed.
// Errors: ErrForbidden (viewers), ErrNotFound, ErrInvalidState,
// ErrInvalidAmount, ErrInvalidText, ErrRefundExceeds,
// ErrMerchantInsufficent.
func (s *Service) Refund(ctx context.Context, a Access, r RefundRequest) (Refund, error) {
	if !a.Role.CanMoveMoney() {
		return Refund{}, ErrForbidden
	}
	p, err := s.Payment(ctx, a, r.PaymentID)
	if err != nil {
		return Refund{}, err
	}
	if r.ID != "" {
		if !validID(PrefixRefund, r.ID) {
			return Refund{}, ErrNotFound
		}
		if rf, err := s.store.Refund(ctx, r.ID); err == nil {
			if rf.PaymentID != p.ID {
				return Refund{}, ErrNotFound
			}
			rf, err := s.ResumeRefund(ctx, rf.ID)
			if err == nil && rf.Status == RefundFailed {
				err = ErrRefundExceeds
				if rf.FailureCode == ErrorCode(ErrMerchantInsufficent) {
					err = ErrMerchantInsufficent
				}
			}
			return rf, err
		} else if !errors.Is(err, ErrNotFound) {
			return Refund{}, storeErr("refund", err)
		}
	}
	if p.Status != Succeeded {
		return Refund{}, ErrInvalidState
	}
	amount := r.Amount
	if amount.Currency.Code == "" && amount.Minor == 0 {
		amount = p.Refundable()
		if amount.Minor <= 0 {
			return Refund{}, ErrRefundExceeds
		}
	}
	if amount.Currency != p.Amount.Currency || amount.Minor <= 0 {
		return Refund{}, ErrInvalidAmount
	}
	if amount.Minor > p.AmountCaptured {
		// Never possible whatever the other refunds: refuse before
		// recording anything. The ledger enforces the real cap.
		return Refund{}, ErrRefundExceeds
	}
	reason := strings.TrimSpace(r.Reason)
	if utf8.RuneCountInString(reason) > maxText || !printable(reason) {
		return Refund{}, ErrInvalidText
	}
	id := r.ID
	if id == "" {
		id, _ = newPrefixedID(PrefixRefund)
	}
	now := s.nowUTC()
	rf := Refund{ID: id, PaymentID: p.ID, MerchantID: p.MerchantID, Livemode: p.Livemode, Amount: amount, Reason: reason,
		Status: RefundPending, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
	ts, err := s.refundTransfers(ctx, p, rf)
	if err != nil {
		return Refund{}, err
	}
	if err := s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error { return tx.InsertRefund(ctx, rf) }); err != nil {
		return Refund{}, unavailable("record refund", err)
	}
	res, err := s.submit(ctx, ts)
	if err != nil {
		// The refund stays pending; ResumeRefund submits the same ids.
		return rf, err
	}
	return s.finishRefund(ctx, p, rf, res)
}

func (s *Service) refundTransfers(ctx context.Context, p Payment, rf Refund) ([]ledger.Transfer, error) {
	cur := p.Amount.Currency.Code
	mode := modeOf(p.Livemode)
	bal, err := s.merchantBalance(ctx, p.MerchantID, mode, cur)
	if err != nil {
		return nil, err
	}
	refundable, err := s.refundable(ctx, p.ID, cur)
	if err != nil {
		return nil, err
	}
	control, err := s.refundControl(ctx, mode, cur)
	if err != nil {
		return nil, err
	}
	bits := idBits(rf.ID)
	return []ledger.Transfer{
		{ID: ledger.DeriveID(bits, "refundable"), DebitAccountID: refundable, CreditAccountID: control, Amount: rf.Amount.Minor,
			Currency: cur, Code: TransferRefundableDebit, Flags: ledger.Linked},
		{ID: ledger.DeriveID(bits, "refund"), DebitAccountID: bal, CreditAccountID: p.SourceAccount, Amount: rf.Amount.Minor,
			Currency: cur, Code: TransferRefund},
	}, nil
}

// ResumeRefund finishes a refund left pending by a lost ledger answer: the
// same transfer ids are submitted again, so the money moves at most once.
func (s *Service) ResumeRefund(ctx context.Context, id string) (Refund, error) {
	if !validID(PrefixRefund, id) {
		return Refund{}, ErrNotFound
	}
	rf, err := s.store.Refund(ctx, id)
	if err != nil {
		return Refund{}, storeErr("refund", err)
	}
	if rf.Status != RefundPending {
		return rf, nil
	}
	p, err := s.payment(ctx, rf.PaymentID)
	if err != nil {
		return rf, err
	}
	ts, err := s.refundTransfers(ctx, p, rf)
	if err != nil {
		return rf, err
	}
	res, err := s.submit(ctx, ts)
	if err != nil {
		return rf, err
	}
	return s.finishRefund(ctx, p, rf, res)
}

// finishRefund records the ledger's answer to a refund's linked set.
func (s *Service) finishRefund(ctx context.Context, p Payment, rf Refund, res []ledger.Result) (Refund, error) {
	var refusal error
	switch {
	case res[0].Code.Done() && res[1].Code.Done():
		rf.Status = RefundSucceeded
	case res[0].Code == ledger.InsufficientFunds:
		rf.Status, rf.FailureCode, refusal = RefundFailed, ErrorCode(ErrRefundExceeds), ErrRefundExceeds
	case res[1].Code == ledger.InsufficientFunds:
		rf.Status, rf.FailureCode, refusal = RefundFailed, ErrorCode(ErrMerchantInsufficent), ErrMerchantInsufficent
	default:
		return rf, unavailable("refund", errors.New(res[0].Code.String()+"/"+res[1].Code.String()))
	}
	rf.UpdatedAt = s.nowUTC()
	var mv *wallet.Movement
	if rf.Status == RefundSucceeded {
		var err error
		if mv, err = s.refundMovement(ctx, p, rf, res[1].Timestamp); err != nil {
			return rf, err
		}
	}
	err := s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		ok, err := tx.FinishRefund(ctx, rf)
		if err != nil || !ok || rf.Status != RefundSucceeded {
			return err
		}
		if err := tx.AddRefunded(ctx, rf.PaymentID, rf.Amount.Minor, rf.UpdatedAt); err != nil {
			return err
		}
		if err := s.putPayerMovement(ctx, tx, mv, false); err != nil {
			return err
		}
		return s.record(ctx, tx, EventRefundCreated, rf.MerchantID, rf.Livemode, rf.ID, rf)
	})
	if err != nil {
		return rf, unavailable("finish refund", err)
	}
	return rf, refusal
}

// Refunds lists a payment's refunds. Errors: ErrNotFound.
func (s *Service) Refunds(ctx context.Context, a Access, paymentID string) ([]Refund, error) {
	if _, err := s.Payment(ctx, a, paymentID); err != nil {
		return nil, err
	}
	rs, err := s.store.Refunds(ctx, paymentID)
	if err != nil {
		return nil, unavailable("refunds", err)
	}
	return rs, nil
}
