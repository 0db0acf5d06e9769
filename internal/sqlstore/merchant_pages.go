package sqlstore

import (
	"context"
	"fmt"

	"github.com/okpay/okpay/internal/merchant"
)

var _ merchant.PageStore = (*MerchantStore)(nil)

// pageSQL is the WHERE and ORDER BY of one cursor page over (created_at,
// id): $1 merchant, $2 livemode, $3 cursor time, $4 cursor id, $5 limit
// ($3 limit on the first page).
// Ids break ties between objects created in the same nanosecond, so
// every object is on exactly one page.
func pageSQL(q merchant.PageQuery) string {
	switch {
	case q.CursorID == "":
		return ` WHERE merchant_id = $1 AND livemode = $2 ORDER BY created_at DESC, id DESC LIMIT $3`
	case q.Newer:
		return ` WHERE merchant_id = $1 AND livemode = $2 AND (created_at > $3 OR created_at = $3 AND id > $4)
			ORDER BY created_at, id LIMIT $5`
	}
	return ` WHERE merchant_id = $1 AND livemode = $2 AND (created_at < $3 OR created_at = $3 AND id < $4)
		ORDER BY created_at DESC, id DESC LIMIT $5`
}

func pageArgs(q merchant.PageQuery) []any {
	if q.CursorID == "" {
		return []any{q.MerchantID, b2i(q.Livemode), q.Limit}
	}
	return []any{q.MerchantID, b2i(q.Livemode), q.CursorAt.UnixNano(), q.CursorID, q.Limit}
}

// PaymentsPage implements merchant.PageStore.
func (s *MerchantStore) PaymentsPage(ctx context.Context, q merchant.PageQuery) ([]merchant.Payment, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT `+paymentCols+` FROM merchant_payments`+pageSQL(q), pageArgs(q)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: payments page: %w", err)
	}
	defer rows.Close()
	var out []merchant.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: payments page: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SessionsPage implements merchant.PageStore.
func (s *MerchantStore) SessionsPage(ctx context.Context, q merchant.PageQuery) ([]merchant.Session, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT `+sessionCols+` FROM merchant_sessions`+pageSQL(q), pageArgs(q)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sessions page: %w", err)
	}
	defer rows.Close()
	var out []merchant.Session
	for rows.Next() {
		cs, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: sessions page: %w", err)
		}
		out = append(out, cs)
	}
	return out, rows.Err()
}
