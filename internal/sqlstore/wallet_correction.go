package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// The wallet store keeps staff corrections too (wallet.CorrectionStore,
// table wallet_corrections of migration 0009), in the wallet's
// transactions with the audit log, so a decision, the movements it makes
// and its audit record commit together.
var (
	_ wallet.CorrectionStore = (*WalletStore)(nil)
	_ wallet.CorrectionTx    = walletTx{}
)

// InCorrectionTx implements wallet.CorrectionStore.
func (s *WalletStore) InCorrectionTx(ctx context.Context, fn func(wallet.CorrectionTx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(walletTx{q: tx, db: s.db}) })
}

// InsertCorrection implements wallet.CorrectionTx.
func (t walletTx) InsertCorrection(ctx context.Context, c wallet.Correction) error {
	_, err := t.q.Exec(ctx, `INSERT INTO wallet_corrections (id, kind, from_wallet, to_wallet, currency, amount,
		reason, status, proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, string(c.Kind), string(c.FromWallet), string(c.ToWallet), c.Amount.Currency.Code, c.Amount.Minor,
		c.Reason, string(c.Status), c.ProposedBy, nanos(c.ProposedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert correction: %w", err)
	}
	return nil
}

// DecideCorrection implements wallet.CorrectionTx. An approval also
// requires a decider other than the proposer, in the statement itself.
func (t walletTx) DecideCorrection(ctx context.Context, c wallet.Correction) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE wallet_corrections SET status = $2, decided_by = $3, decided_at = $4,
		decision_note = $5 WHERE id = $1 AND status = 'proposed' AND ($2 = 'rejected' OR proposed_by <> $3)`,
		c.ID, string(c.Status), c.DecidedBy, nanos(c.DecidedAt), c.DecisionNote)
	if err != nil {
		return false, fmt.Errorf("sqlstore: decide correction: %w", err)
	}
	return n == 1, nil
}

const correctionColumns = `id, kind, from_wallet, to_wallet, currency, amount, reason, status, proposed_by,
	proposed_at, decided_by, decided_at, decision_note`

func scanCorrection(r scanner) (wallet.Correction, error) {
	var (
		c                             wallet.Correction
		kind, from, to, cur, status   string
		amount, proposedAt, decidedAt int64
	)
	if err := r.Scan(&c.ID, &kind, &from, &to, &cur, &amount, &c.Reason, &status, &c.ProposedBy, &proposedAt,
		&c.DecidedBy, &decidedAt, &c.DecisionNote); err != nil {
		return wallet.Correction{}, err
	}
	currency, err := money.Lookup(cur)
	if err != nil {
		return wallet.Correction{}, fmt.Errorf("correction %s: %w", c.ID, err)
	}
	c.Kind, c.FromWallet, c.ToWallet = wallet.CorrectionKind(kind), wallet.WalletID(from), wallet.WalletID(to)
	c.Amount = money.Amount{Minor: amount, Currency: currency}
	c.Status, c.ProposedAt, c.DecidedAt = wallet.CorrectionStatus(status), fromNanos(proposedAt), fromNanos(decidedAt)
	return c, nil
}

// Correction implements wallet.CorrectionStore.
func (s *WalletStore) Correction(ctx context.Context, id string) (wallet.Correction, error) {
	c, err := scanCorrection(s.db.Read().QueryRow(ctx, "SELECT "+correctionColumns+" FROM wallet_corrections WHERE id = $1", id))
	if errors.Is(err, ErrNoRows) {
		return wallet.Correction{}, wallet.ErrCorrectionNotFound
	}
	if err != nil {
		return wallet.Correction{}, fmt.Errorf("sqlstore: correction: %w", err)
	}
	return c, nil
}

// Corrections implements wallet.CorrectionStore.
func (s *WalletStore) Corrections(ctx context.Context, limit int) ([]wallet.Correction, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+correctionColumns+" FROM wallet_corrections ORDER BY proposed_at DESC, id DESC LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: corrections: %w", err)
	}
	defer rows.Close()
	var out []wallet.Correction
	for rows.Next() {
		c, err := scanCorrection(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: corrections: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: corrections: %w", err)
	}
	return out, nil
}
