package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
)

// MerchantReportStore implements merchant.ReportStore and
// merchant.PayoutStore on both engines (migration 0025), and writes the
// audit records of the merchant's key pages.
type MerchantReportStore struct{ db *DB }

var (
	_ merchant.ReportStore = (*MerchantReportStore)(nil)
	_ merchant.PayoutStore = (*MerchantReportStore)(nil)
)

// MerchantReports returns the merchant report and payout store.
func (db *DB) MerchantReports() *MerchantReportStore { return &MerchantReportStore{db} }

// ReportEntries implements merchant.ReportStore. A payment captured before
// captured_at was recorded counts at its last update.
func (s *MerchantReportStore) ReportEntries(ctx context.Context, merchantID string, live bool, from, to time.Time) ([]merchant.ReportEntry, error) {
	f, t := nanos(from), nanos(to)
	var out []merchant.ReportEntry
	rows, err := s.db.Read().Query(ctx, `SELECT id, currency, amount_captured, fee, description,
		CASE WHEN captured_at > 0 THEN captured_at ELSE updated_at END
		FROM merchant_payments
		WHERE merchant_id = $1 AND livemode = $2 AND amount_captured > 0
		  AND ((captured_at >= $3 AND captured_at < $4) OR (captured_at = 0 AND updated_at >= $3 AND updated_at < $4))`,
		merchantID, b2i(live), f, t)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: report payments: %w", err)
	}
	for rows.Next() {
		var (
			e        merchant.ReportEntry
			cur      string
			amt, fee int64
			at       int64
		)
		if err := rows.Scan(&e.ID, &cur, &amt, &fee, &e.Description, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlstore: report payments: %w", err)
		}
		c, err := merchantCurrency(cur)
		if err != nil {
			rows.Close()
			return nil, err
		}
		e.Kind, e.At = merchant.EntryPayment, fromNanos(at)
		e.Amount, e.Fee = money.Amount{Minor: amt, Currency: c}, money.Amount{Minor: fee, Currency: c}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, err
	}
	rows.Close()
	rows, err = s.db.Read().Query(ctx, `SELECT id, currency, amount, reason, updated_at FROM merchant_refunds
		WHERE merchant_id = $1 AND livemode = $2 AND status = 'succeeded' AND updated_at >= $3 AND updated_at < $4`,
		merchantID, b2i(live), f, t)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: report refunds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e       merchant.ReportEntry
			cur     string
			amt, at int64
		)
		if err := rows.Scan(&e.ID, &cur, &amt, &e.Description, &at); err != nil {
			return nil, fmt.Errorf("sqlstore: report refunds: %w", err)
		}
		c, err := merchantCurrency(cur)
		if err != nil {
			return nil, err
		}
		e.Kind, e.At = merchant.EntryRefund, fromNanos(at)
		e.Amount, e.Fee = money.Amount{Minor: amt, Currency: c}, money.Amount{Currency: c}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

const payoutCols = `id, merchant_id, livemode, amount, currency, display, sealed, status, failure_code, rail_id,
	expected_at, held_at, settled_at, created_by, version, created_at, updated_at`

func scanPayout(r scanner) (merchant.Payout, error) {
	var (
		p                                              merchant.Payout
		live, amount, expected, held, settled, created int64
		updated                                        int64
		cur, status                                    string
	)
	if err := r.Scan(&p.ID, &p.MerchantID, &live, &amount, &cur, &p.Display, &p.Sealed, &status, &p.FailureCode, &p.RailID,
		&expected, &held, &settled, &p.CreatedBy, &p.Version, &created, &updated); err != nil {
		return p, err
	}
	c, err := merchantCurrency(cur)
	p.Livemode, p.Amount, p.Status = live == 1, money.Amount{Minor: amount, Currency: c}, merchant.PayoutStatus(status)
	p.ExpectedAt, p.HeldAt, p.SettledAt = zeroNanos(expected), zeroNanos(held), zeroNanos(settled)
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	return p, err
}

// zeroNanos is fromNanos with 0 as the zero time.
func zeroNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// optNanos is nanos with the zero time as 0.
func optNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return nanos(t)
}

// InsertPayout implements merchant.PayoutStore.
func (s *MerchantReportStore) InsertPayout(ctx context.Context, p merchant.Payout) (bool, error) {
	n, err := s.db.Write().Exec(ctx, `INSERT INTO merchant_payouts (`+payoutCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
		$10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (id) DO NOTHING`,
		p.ID, p.MerchantID, b2i(p.Livemode), p.Amount.Minor, p.Amount.Currency.Code, p.Display, p.Sealed, string(p.Status),
		p.FailureCode, p.RailID, optNanos(p.ExpectedAt), optNanos(p.HeldAt), optNanos(p.SettledAt), p.CreatedBy, p.Version,
		nanos(p.CreatedAt), nanos(p.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert payout: %w", err)
	}
	return n == 1, nil
}

// UpdatePayout implements merchant.PayoutStore.
func (s *MerchantReportStore) UpdatePayout(ctx context.Context, p merchant.Payout) (bool, error) {
	n, err := s.db.Write().Exec(ctx, `UPDATE merchant_payouts SET status = $1, failure_code = $2, rail_id = $3,
		expected_at = $4, held_at = $5, settled_at = $6, updated_at = $7, version = version + 1
		WHERE id = $8 AND version = $9`,
		string(p.Status), p.FailureCode, p.RailID, optNanos(p.ExpectedAt), optNanos(p.HeldAt), optNanos(p.SettledAt),
		nanos(p.UpdatedAt), p.ID, p.Version)
	if err != nil {
		return false, fmt.Errorf("sqlstore: update payout: %w", err)
	}
	return n == 1, nil
}

// Payout implements merchant.PayoutStore.
func (s *MerchantReportStore) Payout(ctx context.Context, id string) (merchant.Payout, error) {
	p, err := scanPayout(s.db.Read().QueryRow(ctx, `SELECT `+payoutCols+` FROM merchant_payouts WHERE id = $1`, id))
	if err != nil {
		return merchant.Payout{}, merchantNotFound("payout", err)
	}
	return p, nil
}

func (s *MerchantReportStore) payouts(ctx context.Context, query string, args ...any) ([]merchant.Payout, error) {
	rows, err := s.db.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: payouts: %w", err)
	}
	defer rows.Close()
	var out []merchant.Payout
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: payouts: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Payouts implements merchant.PayoutStore.
func (s *MerchantReportStore) Payouts(ctx context.Context, merchantID string, live bool, limit int) ([]merchant.Payout, error) {
	return s.payouts(ctx, `SELECT `+payoutCols+` FROM merchant_payouts WHERE merchant_id = $1 AND livemode = $2
		ORDER BY created_at DESC, id DESC LIMIT $3`, merchantID, b2i(live), limit)
}

// OpenPayouts implements merchant.PayoutStore.
func (s *MerchantReportStore) OpenPayouts(ctx context.Context, paidSince time.Time, limit int) ([]merchant.Payout, error) {
	return s.payouts(ctx, `SELECT `+payoutCols+` FROM merchant_payouts
		WHERE status IN ('pending', 'processing') OR (status = 'paid' AND settled_at >= $1)
		ORDER BY created_at, id LIMIT $2`, nanos(paidSince), limit)
}

// WriteAudit appends one audit record in its own transaction (the key
// pages' creations, rolls and revocations).
func (s *MerchantReportStore) WriteAudit(ctx context.Context, e audit.Event) error {
	if e.Action == "" {
		return errors.New("sqlstore: audit event without action")
	}
	return s.db.InTx(ctx, func(tx Tx) error { return audit.Record(ctx, s.db.AuditTx(tx), e) })
}
