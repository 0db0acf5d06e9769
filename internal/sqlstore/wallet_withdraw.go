package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

var _ wallet.WithdrawStore = (*WalletStore)(nil)

// InWithdrawTx implements wallet.WithdrawStore.
func (s *WalletStore) InWithdrawTx(ctx context.Context, fn func(wallet.WithdrawTx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(walletTx{q: tx, db: s.db}) })
}

var _ wallet.WithdrawTx = walletTx{}

// Outbox implements wallet.WithdrawTx.
func (t walletTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

// UserContact implements wallet.WithdrawTx.
func (t walletTx) UserContact(ctx context.Context, userID int64) (string, string, error) {
	var email, locale string
	err := t.q.QueryRow(ctx, "SELECT email, locale FROM users WHERE id = $1", userID).Scan(&email, &locale)
	if errors.Is(err, ErrNoRows) {
		return "", "", wallet.ErrRecipientNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("sqlstore: user contact: %w", err)
	}
	return email, locale, nil
}

// InsertWithdrawal implements wallet.WithdrawTx.
func (t walletTx) InsertWithdrawal(ctx context.Context, w wallet.Withdrawal) error {
	plan, err := encodeWalletPlan(w.Plan)
	if err != nil {
		return fmt.Errorf("sqlstore: insert withdrawal: %w", err)
	}
	_, err = t.q.Exec(ctx, `INSERT INTO wallet_withdrawals (id, user_id, wallet_id, method, currency, amount, fee,
			display, sealed, status, failure_code, payout_id, expected_at, plan, held_at, settled_at, returned_at,
			version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		w.ID, w.UserID, string(w.WalletID), string(w.Method), w.Amount.Currency.Code, w.Amount.Minor, w.Fee.Minor,
		w.Display, w.Sealed, string(w.Status), string(w.FailureCode), w.PayoutID, nanos(w.ExpectedAt), plan,
		nanos(w.HeldAt), nanos(w.SettledAt), nanos(w.ReturnedAt), w.Version, nanos(w.CreatedAt), nanos(w.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert withdrawal: %w", err)
	}
	return nil
}

// UpdateWithdrawal implements wallet.WithdrawTx.
func (t walletTx) UpdateWithdrawal(ctx context.Context, w wallet.Withdrawal, postedAt time.Time) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE wallet_withdrawals SET status = $3, failure_code = $4, payout_id = $5,
			expected_at = $6, held_at = $7, settled_at = $8, returned_at = $9, updated_at = $10, version = version + 1
		WHERE id = $1 AND version = $2`,
		w.ID, w.Version, string(w.Status), string(w.FailureCode), w.PayoutID, nanos(w.ExpectedAt), nanos(w.HeldAt),
		nanos(w.SettledAt), nanos(w.ReturnedAt), nanos(w.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: update withdrawal: %w", err)
	}
	if n != 1 {
		return false, nil
	}
	failure := ""
	if w.Status != wallet.WithdrawalReturned {
		failure = string(w.FailureCode)
	}
	// The withdrawal's version guards its movement: only the writer that
	// won above gets here.
	if _, err := t.q.Exec(ctx, `UPDATE wallet_movements SET status = $2, failure_code = $3, charge_id = $4,
			posted_at = CASE WHEN CAST($5 AS BIGINT) > 0 THEN CAST($5 AS BIGINT) ELSE posted_at END, updated_at = $6, version = version + 1
		WHERE id = $1`,
		w.ID, string(w.Status.MovementStatus()), failure, w.PayoutID, nanos(postedAt), nanos(w.UpdatedAt)); err != nil {
		return false, fmt.Errorf("sqlstore: update withdrawal movement: %w", err)
	}
	return true, nil
}

const walletWithdrawalCols = `id, user_id, wallet_id, method, currency, amount, fee, display, sealed, status,
	failure_code, payout_id, expected_at, plan, held_at, settled_at, returned_at, version, created_at, updated_at`

func scanWalletWithdrawal(r scanner) (wallet.Withdrawal, error) {
	var (
		w                                          wallet.Withdrawal
		walletID, method, cur, status, failure, pl string
		amount, fee, expected, held, settled, ret  int64
		created, updated                           int64
	)
	if err := r.Scan(&w.ID, &w.UserID, &walletID, &method, &cur, &amount, &fee, &w.Display, &w.Sealed, &status,
		&failure, &w.PayoutID, &expected, &pl, &held, &settled, &ret, &w.Version, &created, &updated); err != nil {
		return wallet.Withdrawal{}, err
	}
	c, err := money.Lookup(cur)
	if err != nil {
		return wallet.Withdrawal{}, fmt.Errorf("withdrawal %s: %w", w.ID, err)
	}
	if w.Plan, err = decodeWalletPlan(pl); err != nil {
		return wallet.Withdrawal{}, fmt.Errorf("withdrawal %s: plan: %w", w.ID, err)
	}
	w.WalletID, w.Method, w.Status, w.FailureCode = wallet.WalletID(walletID), wallet.Method(method),
		wallet.WithdrawalStatus(status), wallet.Code(failure)
	w.Amount, w.Fee = money.Amount{Minor: amount, Currency: c}, money.Amount{Minor: fee, Currency: c}
	w.ExpectedAt, w.HeldAt, w.SettledAt, w.ReturnedAt = fromNanos(expected), fromNanos(held), fromNanos(settled), fromNanos(ret)
	w.CreatedAt, w.UpdatedAt = fromNanos(created), fromNanos(updated)
	return w, nil
}

func (s *WalletStore) withdrawals(ctx context.Context, query string, args ...any) ([]wallet.Withdrawal, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+walletWithdrawalCols+" FROM wallet_withdrawals WHERE "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ws []wallet.Withdrawal
	for rows.Next() {
		w, err := scanWalletWithdrawal(rows)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}

// Withdrawal implements wallet.WithdrawStore.
func (s *WalletStore) Withdrawal(ctx context.Context, id string) (wallet.Withdrawal, error) {
	ws, err := s.withdrawals(ctx, "id = $1", id)
	if err != nil {
		return wallet.Withdrawal{}, fmt.Errorf("sqlstore: withdrawal: %w", err)
	}
	if len(ws) == 0 {
		return wallet.Withdrawal{}, wallet.ErrWithdrawalNotFound
	}
	return ws[0], nil
}

// Withdrawals implements wallet.WithdrawStore.
func (s *WalletStore) Withdrawals(ctx context.Context, userID int64, limit int) ([]wallet.Withdrawal, error) {
	ws, err := s.withdrawals(ctx, "user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2", userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: withdrawals: %w", err)
	}
	return ws, nil
}

// SettleWithdrawals implements wallet.WithdrawStore.
func (s *WalletStore) SettleWithdrawals(ctx context.Context, completedSince time.Time, limit int) ([]wallet.Withdrawal, error) {
	ws, err := s.withdrawals(ctx, `status IN ('pending', 'processing', 'review')
		OR (status = 'completed' AND settled_at >= $1) ORDER BY created_at, id LIMIT $2`, nanos(completedSince), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: withdrawals to settle: %w", err)
	}
	return ws, nil
}
