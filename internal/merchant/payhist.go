package merchant

import (
	"context"
	"math/big"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// The payer's side of a balance payment (see internal/wallet
// merchantpay.go for what the payer sees). The merchant writes the payer's
// movement in the transaction that changes the payment or finishes the
// refund (Tx.Wallet), so history and statement never disagree with the
// payment; its id is derived from the payment's attempt or the refund, and
// a final movement is never rewritten, so a resumed or raced step writes
// nothing twice. There is nothing for the sweep to repair: a change of the
// payment that did not commit did not write the movement either, and the
// sweep's Resume redoes both together.
//
// Limits: the authorisation's linked set holds, besides the hold on the
// wallet, the payer's send-limit transfers flagged pending (their ids
// derived from the hold's), kept in the movement's plan. The capture
// posts them in its linked set (a partial capture the captured share, the
// rest goes back), the void voids them: the room a canceled payment took
// is the payer's again. The ledger refuses the whole set when the limit is
// used up, inside its commit, so concurrent checkouts cannot pass it.

// PayerBook is the wallet's side of balance payments; *wallet.Service
// implements it through FromWallet. Without it (a Wallets that is not
// one) balance payments write no history and count against no limit.
type PayerBook interface {
	MerchantMovement(ctx context.Context, mm wallet.MerchantMove) (wallet.Movement, error)
	PutMerchantMovement(ctx context.Context, tx wallet.Tx, m wallet.Movement, admit bool) error
	ScreenMerchantPayment(ctx context.Context, userID int64, amount money.Amount, merchantID string) error
	MerchantLimitTransfers(ctx context.Context, userID int64, amount money.Amount, parent ledger.ID) ([]ledger.Transfer, error)
	Movement(ctx context.Context, userID int64, id string) (wallet.Movement, error)
}

func (a walletAccounts) MerchantMovement(ctx context.Context, mm wallet.MerchantMove) (wallet.Movement, error) {
	return a.w.MerchantMovement(ctx, mm)
}

func (a walletAccounts) PutMerchantMovement(ctx context.Context, tx wallet.Tx, m wallet.Movement, admit bool) error {
	return a.w.PutMerchantMovement(ctx, tx, m, admit)
}

func (a walletAccounts) ScreenMerchantPayment(ctx context.Context, userID int64, amount money.Amount, merchantID string) error {
	return a.w.ScreenMerchantPayment(ctx, userID, amount, merchantID)
}

func (a walletAccounts) MerchantLimitTransfers(ctx context.Context, userID int64, amount money.Amount, parent ledger.ID) ([]ledger.Transfer, error) {
	return a.w.MerchantLimitTransfers(ctx, userID, amount, parent)
}

func (a walletAccounts) Movement(ctx context.Context, userID int64, id string) (wallet.Movement, error) {
	return a.w.Movement(ctx, userID, id)
}

func (s *Service) book() PayerBook {
	b, _ := s.wallets.(PayerBook)
	return b
}

// payerSide is what a payment's change tells the payer's movement beyond
// the payment itself.
type payerSide struct {
	postedAt time.Time         // when a capture posted
	limits   []ledger.Transfer // the authorisation's pending limit transfers
}

// attemptRef is the reference a balance attempt's movement id derives from.
func attemptRef(p Payment) string { return p.ID + ":" + strconv.Itoa(p.Attempt) }

// walletErr maps the wallet's refusals of a payer.
func walletErr(what string, err error) error {
	switch wallet.ErrorCode(err) {
	case wallet.CodeOutgoingFrozen:
		return ErrPayerFrozen
	case wallet.CodeSendLimit:
		return ErrSendLimit
	}
	return unavailable(what, err)
}

// screenPayer refuses a payer whose outgoing payments are frozen, before
// anything is written (Admit checks again in the transaction).
func (s *Service) screenPayer(ctx context.Context, p Payment, userID int64) error {
	b := s.book()
	if b == nil {
		return nil
	}
	if err := b.ScreenMerchantPayment(ctx, userID, p.Amount, p.MerchantID); err != nil {
		return walletErr("screen", err)
	}
	return nil
}

// payerLimits returns the pending limit transfers of p's new attempt.
func (s *Service) payerLimits(ctx context.Context, p Payment) ([]ledger.Transfer, error) {
	b := s.book()
	if b == nil {
		return nil, nil
	}
	ts, err := b.MerchantLimitTransfers(ctx, p.PayerUserID, p.Amount, authID(p))
	if err != nil {
		return nil, walletErr("limits", err)
	}
	return ts, nil
}

// heldLimits returns the limit transfers an attempt's movement keeps (none
// for a card, or a payment authorised before movements were kept).
func (s *Service) heldLimits(ctx context.Context, p Payment) ([]ledger.Transfer, error) {
	b := s.book()
	if b == nil || p.Method != MethodBalance || p.PayerUserID == 0 {
		return nil, nil
	}
	m, err := b.Movement(ctx, p.PayerUserID, wallet.MerchantMovementID(attemptRef(p)))
	if wallet.ErrorCode(err) == wallet.CodeMovementNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("payer movement", err)
	}
	return m.Plan, nil
}

// postLimits posts the held limit transfers for a capture of amount: each
// the captured share (rounded up) of what it holds; the ledger releases
// the rest.
func (s *Service) postLimits(ctx context.Context, p Payment, amount int64) ([]ledger.Transfer, error) {
	held, err := s.heldLimits(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Transfer, 0, len(held))
	for _, t := range held {
		n := new(big.Int).Mul(big.NewInt(t.Amount), big.NewInt(amount))
		d := big.NewInt(p.Amount.Minor)
		n.Add(n, new(big.Int).Sub(d, big.NewInt(1))).Quo(n, d)
		share := min(max(n.Int64(), 1), t.Amount)
		out = append(out, ledger.Transfer{ID: ledger.DeriveID(t.ID, "post"), PendingID: t.ID, Flags: ledger.PostPending,
			DebitAccountID: t.DebitAccountID, CreditAccountID: t.CreditAccountID, Amount: share, Currency: t.Currency, Code: t.Code})
	}
	return out, nil
}

// voidLimits voids the held limit transfers: the room is the payer's again.
func (s *Service) voidLimits(ctx context.Context, p Payment) ([]ledger.Transfer, error) {
	held, err := s.heldLimits(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Transfer, 0, len(held))
	for _, t := range held {
		out = append(out, ledger.Transfer{ID: ledger.DeriveID(t.ID, "void"), PendingID: t.ID, Flags: ledger.VoidPending,
			DebitAccountID: t.DebitAccountID})
	}
	return out, nil
}

// linked makes ts one linked set: every transfer but the last Linked.
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

// limitRefused reports whether the ledger refused a linked set because a
// send-limit transfer found its allowance used up.
func limitRefused(ts []ledger.Transfer, res []ledger.Result) bool {
	for i, r := range res {
		if i < len(ts) && ts[i].Code == wallet.TransferLimitSend && r.Code == ledger.InsufficientFunds {
			return true
		}
	}
	return false
}

// payerMovement is the payer's movement of a balance payment in p's
// state, or nil when p is no balance payment.
func (s *Service) payerMovement(ctx context.Context, p Payment, side payerSide) (*wallet.Movement, error) {
	b := s.book()
	if b == nil || p.Method != MethodBalance || p.PayerUserID == 0 || p.Attempt == 0 || !p.Livemode {
		return nil, nil
	}
	mm := wallet.MerchantMove{Type: wallet.TypeMerchantPayment, Reference: attemptRef(p), ObjectID: p.ID,
		UserID: p.PayerUserID, Note: p.Description, Amount: p.Amount, Authorized: p.Amount, Plan: side.limits,
		At: p.UpdatedAt}
	switch p.Status {
	case Processing, RequiresCapture:
		mm.Status = wallet.StatusProcessing
	case Succeeded:
		mm.Status, mm.Amount, mm.PostedAt = wallet.StatusCompleted, p.Captured(), side.postedAt
		if mm.PostedAt.IsZero() {
			mm.PostedAt = p.UpdatedAt
		}
	case Canceled:
		mm.Status = wallet.StatusCanceled
	case RequiresPaymentMethod:
		if p.FailureCode == "" {
			return nil, nil
		}
		mm.Status, mm.FailureCode = wallet.StatusFailed, wallet.Code(p.FailureCode)
	default:
		return nil, nil
	}
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return nil, storeErr("merchant", err)
	}
	mm.Merchant = m.Name
	mv, err := b.MerchantMovement(ctx, mm)
	if err != nil {
		return nil, unavailable("payer movement", err)
	}
	return &mv, nil
}

// refundMovement is the payer's movement of a succeeded refund of a
// balance payment (nil for a card's), posted at postedAt.
func (s *Service) refundMovement(ctx context.Context, p Payment, rf Refund, postedAt time.Time) (*wallet.Movement, error) {
	b := s.book()
	if b == nil || p.Method != MethodBalance || p.PayerUserID == 0 || !p.Livemode {
		return nil, nil
	}
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return nil, storeErr("merchant", err)
	}
	if postedAt.IsZero() {
		postedAt = rf.UpdatedAt
	}
	mv, err := b.MerchantMovement(ctx, wallet.MerchantMove{Type: wallet.TypeMerchantRefund, Reference: rf.ID,
		ObjectID: rf.ID, UserID: p.PayerUserID, Merchant: m.Name, Note: p.Description, Status: wallet.StatusCompleted,
		Amount: rf.Amount, At: rf.UpdatedAt, PostedAt: postedAt})
	if err != nil {
		return nil, unavailable("payer movement", err)
	}
	return &mv, nil
}

// putPayerMovement writes mv (if any) in tx; admit checks the payer's
// freeze first. A freeze is ErrPayerFrozen, which rolls tx back.
func (s *Service) putPayerMovement(ctx context.Context, tx Tx, mv *wallet.Movement, admit bool) error {
	if mv == nil {
		return nil
	}
	err := s.book().PutMerchantMovement(ctx, tx.Wallet(), *mv, admit)
	if wallet.ErrorCode(err) == wallet.CodeOutgoingFrozen {
		return ErrPayerFrozen
	}
	return err
}

// disputePaybackMovement is the payer's movement of a lost dispute's
// payback of a balance payment (nil for a card's), posted at postedAt.
// Its id derives from the dispute's, so a settlement run again writes it
// once.
func (s *Service) disputePaybackMovement(ctx context.Context, p Payment, d Dispute, m Merchant, postedAt time.Time) (*wallet.Movement, error) {
	b := s.book()
	if b == nil || p.Method != MethodBalance || p.PayerUserID == 0 || !p.Livemode {
		return nil, nil
	}
	mv, err := b.MerchantMovement(ctx, wallet.MerchantMove{Type: wallet.TypeMerchantRefund, Reference: d.ID,
		ObjectID: d.ID, UserID: p.PayerUserID, Merchant: m.Name, Note: p.Description, Status: wallet.StatusCompleted,
		Amount: d.Amount, At: d.UpdatedAt, PostedAt: postedAt})
	if err != nil {
		return nil, unavailable("payer movement", err)
	}
	return &mv, nil
}
