package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
)

// MerchantStore implements merchant.Store on both engines, in the tables
// of migration 0021.
type MerchantStore struct{ db *DB }

var (
	_ merchant.Store     = (*MerchantStore)(nil)
	_ merchant.Tx        = MerchantTx{}
	_ merchant.Directory = (*MerchantDirectory)(nil)
)

// Merchant returns the merchant store.
func (db *DB) Merchant() *MerchantStore { return &MerchantStore{db} }

// MerchantTx is merchant.Tx; Querier is the transaction itself, for a
// store that records merchant events in the same transaction (webhooks).
type MerchantTx struct {
	q  Querier
	db *DB
}

// Querier returns the transaction, to write in it.
func (t MerchantTx) Querier() Querier { return t.q }

// InTx implements merchant.Store.
func (s *MerchantStore) InTx(ctx context.Context, fn func(merchant.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(MerchantTx{q: tx, db: s.db}) })
}

func merchantCurrency(code string) (money.Currency, error) {
	c, err := money.Lookup(code)
	if err != nil {
		return money.Currency{}, fmt.Errorf("stored currency %q: %w", code, err)
	}
	return c, nil
}

const merchantCols = `id, name, country, currency, support_email, descriptor, created_at`

func scanMerchant(r scanner) (merchant.Merchant, error) {
	var (
		m       merchant.Merchant
		cur     string
		created int64
	)
	if err := r.Scan(&m.ID, &m.Name, &m.Country, &cur, &m.SupportEmail, &m.Descriptor, &created); err != nil {
		return m, err
	}
	c, err := merchantCurrency(cur)
	m.Currency, m.CreatedAt = c, fromNanos(created)
	return m, err
}

func merchantNotFound(what string, err error) error {
	if errors.Is(err, ErrNoRows) {
		return merchant.ErrNotFound
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// Merchant implements merchant.Store.
func (s *MerchantStore) Merchant(ctx context.Context, id string) (merchant.Merchant, error) {
	m, err := scanMerchant(s.db.Read().QueryRow(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = $1`, id))
	if err != nil {
		return merchant.Merchant{}, merchantNotFound("merchant", err)
	}
	return m, nil
}

// MerchantsBySupportEmail implements merchant.Store.
func (s *MerchantStore) MerchantsBySupportEmail(ctx context.Context, email string, limit int) ([]merchant.Merchant, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT `+merchantCols+` FROM merchants WHERE support_email = $1
		ORDER BY created_at, id LIMIT $2`, email, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: merchants by email: %w", err)
	}
	defer rows.Close()
	var out []merchant.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: merchants by email: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Memberships implements merchant.Store.
func (s *MerchantStore) Memberships(ctx context.Context, userID int64) ([]merchant.Membership, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT m.id, m.name, m.country, m.currency, m.support_email, m.descriptor, m.created_at, mm.role
		FROM merchant_members mm JOIN merchants m ON m.id = mm.merchant_id
		WHERE mm.user_id = $1 ORDER BY mm.created_at, m.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: memberships: %w", err)
	}
	defer rows.Close()
	var out []merchant.Membership
	for rows.Next() {
		var (
			ms            merchant.Membership
			cur, role     string
			created       int64
			name, country string
		)
		if err := rows.Scan(&ms.Merchant.ID, &name, &country, &cur, &ms.Merchant.SupportEmail, &ms.Merchant.Descriptor, &created, &role); err != nil {
			return nil, fmt.Errorf("sqlstore: memberships: %w", err)
		}
		c, err := merchantCurrency(cur)
		if err != nil {
			return nil, err
		}
		ms.Merchant.Name, ms.Merchant.Country, ms.Merchant.Currency, ms.Merchant.CreatedAt = name, country, c, fromNanos(created)
		ms.Role = merchant.Role(role)
		out = append(out, ms)
	}
	return out, rows.Err()
}

// Role implements merchant.Store.
func (s *MerchantStore) Role(ctx context.Context, merchantID string, userID int64) (merchant.Role, error) {
	var role string
	err := s.db.Read().QueryRow(ctx, `SELECT role FROM merchant_members WHERE merchant_id = $1 AND user_id = $2`,
		merchantID, userID).Scan(&role)
	if err != nil {
		return "", merchantNotFound("role", err)
	}
	return merchant.Role(role), nil
}

// Members implements merchant.Store.
func (s *MerchantStore) Members(ctx context.Context, merchantID string) ([]merchant.Member, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT mm.merchant_id, mm.user_id, COALESCE(u.email, ''), mm.role, mm.created_at
		FROM merchant_members mm LEFT JOIN users u ON u.id = mm.user_id
		WHERE mm.merchant_id = $1
		ORDER BY CASE mm.role WHEN 'owner' THEN 0 WHEN 'developer' THEN 1 ELSE 2 END, mm.created_at, mm.user_id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: members: %w", err)
	}
	defer rows.Close()
	var out []merchant.Member
	for rows.Next() {
		var (
			m       merchant.Member
			role    string
			created int64
		)
		if err := rows.Scan(&m.MerchantID, &m.UserID, &m.Email, &role, &created); err != nil {
			return nil, fmt.Errorf("sqlstore: members: %w", err)
		}
		m.Role, m.CreatedAt = merchant.Role(role), fromNanos(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

const paymentCols = `id, merchant_id, livemode, amount, currency, capture_method, status, description, session_id, method, attempt,
	payer_user_id, source_account, charge_id, card_brand, card_last4, challenge, failure_code, amount_captured, amount_refunded,
	fee, version, created_at, updated_at`

func scanPayment(r scanner) (merchant.Payment, error) {
	var (
		p                              merchant.Payment
		live, amount, created, updated int64
		cur, capture, status, method   string
		attempt                        int64
	)
	if err := r.Scan(&p.ID, &p.MerchantID, &live, &amount, &cur, &capture, &status, &p.Description, &p.SessionID, &method, &attempt,
		&p.PayerUserID, &p.SourceAccount, &p.ChargeID, &p.CardBrand, &p.CardLast4, &p.Challenge, &p.FailureCode,
		&p.AmountCaptured, &p.AmountRefunded, &p.Fee, &p.Version, &created, &updated); err != nil {
		return p, err
	}
	c, err := merchantCurrency(cur)
	p.Livemode, p.Amount = live == 1, money.Amount{Minor: amount, Currency: c}
	p.CaptureMethod, p.Status, p.Method, p.Attempt = merchant.CaptureMethod(capture), merchant.PaymentStatus(status), merchant.Method(method), int(attempt)
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	return p, err
}

// Payment implements merchant.Store.
func (s *MerchantStore) Payment(ctx context.Context, id string) (merchant.Payment, error) {
	p, err := scanPayment(s.db.Read().QueryRow(ctx, `SELECT `+paymentCols+` FROM merchant_payments WHERE id = $1`, id))
	if err != nil {
		return merchant.Payment{}, merchantNotFound("payment", err)
	}
	return p, nil
}

// Payments implements merchant.Store.
func (s *MerchantStore) Payments(ctx context.Context, q merchant.PaymentQuery) ([]merchant.Payment, error) {
	before := int64(1<<63 - 1)
	if !q.Before.IsZero() {
		before = q.Before.UnixNano()
	}
	rows, err := s.db.Read().Query(ctx, `SELECT `+paymentCols+` FROM merchant_payments
		WHERE merchant_id = $1 AND livemode = $2 AND created_at < $3 ORDER BY created_at DESC, id DESC LIMIT $4`,
		q.MerchantID, b2i(q.Livemode), before, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: payments: %w", err)
	}
	defer rows.Close()
	var out []merchant.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: payments: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const sessionCols = `id, merchant_id, livemode, payment_id, amount, currency, item_name, invoice, success_url, cancel_url, notify_url,
	form, status, expires_at, created_at, updated_at`

func scanSession(r scanner) (merchant.Session, error) {
	var (
		cs                                            merchant.Session
		live, amount, form, expires, created, updated int64
		cur, status                                   string
	)
	if err := r.Scan(&cs.ID, &cs.MerchantID, &live, &cs.PaymentID, &amount, &cur, &cs.ItemName, &cs.Invoice, &cs.SuccessURL,
		&cs.CancelURL, &cs.NotifyURL, &form, &status, &expires, &created, &updated); err != nil {
		return cs, err
	}
	c, err := merchantCurrency(cur)
	cs.Livemode, cs.Amount, cs.Form, cs.Status = live == 1, money.Amount{Minor: amount, Currency: c}, form == 1, merchant.SessionStatus(status)
	cs.ExpiresAt, cs.CreatedAt, cs.UpdatedAt = fromNanos(expires), fromNanos(created), fromNanos(updated)
	return cs, err
}

func merchantSession(ctx context.Context, q Querier, id string) (merchant.Session, error) {
	cs, err := scanSession(q.QueryRow(ctx, `SELECT `+sessionCols+` FROM merchant_sessions WHERE id = $1`, id))
	if err != nil {
		return merchant.Session{}, merchantNotFound("session", err)
	}
	return cs, nil
}

// Session implements merchant.Store.
func (s *MerchantStore) Session(ctx context.Context, id string) (merchant.Session, error) {
	return merchantSession(ctx, s.db.Read(), id)
}

const refundCols = `id, payment_id, merchant_id, livemode, amount, currency, reason, status, failure_code, created_by, created_at, updated_at`

func scanRefund(r scanner) (merchant.Refund, error) {
	var (
		rf                             merchant.Refund
		live, amount, created, updated int64
		cur, status                    string
	)
	if err := r.Scan(&rf.ID, &rf.PaymentID, &rf.MerchantID, &live, &amount, &cur, &rf.Reason, &status, &rf.FailureCode,
		&rf.CreatedBy, &created, &updated); err != nil {
		return rf, err
	}
	c, err := merchantCurrency(cur)
	rf.Livemode, rf.Amount, rf.Status = live == 1, money.Amount{Minor: amount, Currency: c}, merchant.RefundStatus(status)
	rf.CreatedAt, rf.UpdatedAt = fromNanos(created), fromNanos(updated)
	return rf, err
}

// Refund implements merchant.Store.
func (s *MerchantStore) Refund(ctx context.Context, id string) (merchant.Refund, error) {
	rf, err := scanRefund(s.db.Read().QueryRow(ctx, `SELECT `+refundCols+` FROM merchant_refunds WHERE id = $1`, id))
	if err != nil {
		return merchant.Refund{}, merchantNotFound("refund", err)
	}
	return rf, nil
}

// Refunds implements merchant.Store.
func (s *MerchantStore) Refunds(ctx context.Context, paymentID string) ([]merchant.Refund, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT `+refundCols+` FROM merchant_refunds WHERE payment_id = $1 ORDER BY created_at, id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: refunds: %w", err)
	}
	defer rows.Close()
	var out []merchant.Refund
	for rows.Next() {
		rf, err := scanRefund(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: refunds: %w", err)
		}
		out = append(out, rf)
	}
	return out, rows.Err()
}

// Stale implements merchant.Store.
func (s *MerchantStore) Stale(ctx context.Context, before, uncaptured time.Time, limit int) (merchant.Stale, error) {
	var st merchant.Stale
	for _, q := range []struct {
		dst   *[]string
		query string
		at    time.Time
	}{
		{&st.Payments, `SELECT id FROM merchant_payments WHERE status = 'processing' AND updated_at < $1 ORDER BY updated_at, id LIMIT $2`, before},
		{&st.Refunds, `SELECT id FROM merchant_refunds WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at, id LIMIT $2`, before},
		{&st.Sessions, `SELECT id FROM merchant_sessions WHERE status = 'open' AND expires_at < $1 ORDER BY expires_at, id LIMIT $2`, before},
		{&st.Uncaptured, `SELECT id FROM merchant_payments WHERE status = 'requires_capture' AND updated_at < $1 ORDER BY updated_at, id LIMIT $2`, uncaptured},
	} {
		rows, err := s.db.Read().Query(ctx, q.query, nanos(q.at), limit)
		if err != nil {
			return st, fmt.Errorf("sqlstore: merchant stale: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return st, fmt.Errorf("sqlstore: merchant stale: %w", err)
			}
			*q.dst = append(*q.dst, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return st, fmt.Errorf("sqlstore: merchant stale: %w", err)
		}
	}
	return st, nil
}

// InsertMerchant implements merchant.Tx.
func (t MerchantTx) InsertMerchant(ctx context.Context, m merchant.Merchant) error {
	_, err := t.q.Exec(ctx, `INSERT INTO merchants (id, name, country, currency, support_email, descriptor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, m.ID, m.Name, m.Country, m.Currency.Code, m.SupportEmail, m.Descriptor, nanos(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert merchant: %w", err)
	}
	return nil
}

// InsertMember implements merchant.Tx.
func (t MerchantTx) InsertMember(ctx context.Context, m merchant.Member) (bool, error) {
	n, err := t.q.Exec(ctx, `INSERT INTO merchant_members (merchant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (merchant_id, user_id) DO NOTHING`, m.MerchantID, m.UserID, string(m.Role), nanos(m.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert member: %w", err)
	}
	return n == 1, nil
}

// DeleteMember implements merchant.Tx.
func (t MerchantTx) DeleteMember(ctx context.Context, merchantID string, userID int64) (bool, error) {
	n, err := t.q.Exec(ctx, `DELETE FROM merchant_members WHERE merchant_id = $1 AND user_id = $2`, merchantID, userID)
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete member: %w", err)
	}
	return n == 1, nil
}

// CountOwners implements merchant.Tx: the update takes the merchant's row
// lock, so concurrent owner removals run one after the other.
func (t MerchantTx) CountOwners(ctx context.Context, merchantID string) (int, error) {
	if _, err := t.q.Exec(ctx, `UPDATE merchants SET team_version = team_version + 1 WHERE id = $1`, merchantID); err != nil {
		return 0, fmt.Errorf("sqlstore: lock team: %w", err)
	}
	var n int
	err := t.q.QueryRow(ctx, `SELECT count(*) FROM merchant_members WHERE merchant_id = $1 AND role = 'owner'`, merchantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count owners: %w", err)
	}
	return n, nil
}

// InsertPayment implements merchant.Tx.
func (t MerchantTx) InsertPayment(ctx context.Context, p merchant.Payment) error {
	_, err := t.q.Exec(ctx, `INSERT INTO merchant_payments (`+paymentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
		p.ID, p.MerchantID, b2i(p.Livemode), p.Amount.Minor, p.Amount.Currency.Code, string(p.CaptureMethod), string(p.Status),
		p.Description, p.SessionID, string(p.Method), p.Attempt, p.PayerUserID, p.SourceAccount, p.ChargeID, p.CardBrand,
		p.CardLast4, p.Challenge, p.FailureCode, p.AmountCaptured, p.AmountRefunded, p.Fee, p.Version,
		nanos(p.CreatedAt), nanos(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert payment: %w", err)
	}
	return nil
}

// UpdatePayment implements merchant.Tx.
func (t MerchantTx) UpdatePayment(ctx context.Context, p merchant.Payment) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE merchant_payments SET status = $1, method = $2, attempt = $3, payer_user_id = $4,
		source_account = $5, charge_id = $6, card_brand = $7, card_last4 = $8, challenge = $9, failure_code = $10,
		amount_captured = $11, fee = $12, updated_at = $13, version = version + 1,
		captured_at = CASE WHEN captured_at = 0 AND $1 = 'succeeded' THEN $13 ELSE captured_at END
		WHERE id = $14 AND version = $15`,
		string(p.Status), string(p.Method), p.Attempt, p.PayerUserID, p.SourceAccount, p.ChargeID, p.CardBrand, p.CardLast4,
		p.Challenge, p.FailureCode, p.AmountCaptured, p.Fee, nanos(p.UpdatedAt), p.ID, p.Version)
	if err != nil {
		return false, fmt.Errorf("sqlstore: update payment: %w", err)
	}
	return n == 1, nil
}

// AddRefunded implements merchant.Tx.
func (t MerchantTx) AddRefunded(ctx context.Context, paymentID string, amount int64, at time.Time) error {
	_, err := t.q.Exec(ctx, `UPDATE merchant_payments SET amount_refunded = amount_refunded + $1, updated_at = $2 WHERE id = $3`,
		amount, nanos(at), paymentID)
	if err != nil {
		return fmt.Errorf("sqlstore: add refunded: %w", err)
	}
	return nil
}

// InsertSession implements merchant.Tx.
func (t MerchantTx) InsertSession(ctx context.Context, cs merchant.Session) error {
	_, err := t.q.Exec(ctx, `INSERT INTO merchant_sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16)`,
		cs.ID, cs.MerchantID, b2i(cs.Livemode), cs.PaymentID, cs.Amount.Minor, cs.Amount.Currency.Code, cs.ItemName, cs.Invoice,
		cs.SuccessURL, cs.CancelURL, cs.NotifyURL, b2i(cs.Form), string(cs.Status), nanos(cs.ExpiresAt), nanos(cs.CreatedAt),
		nanos(cs.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert session: %w", err)
	}
	return nil
}

// Session implements merchant.Tx.
func (t MerchantTx) Session(ctx context.Context, id string) (merchant.Session, error) {
	return merchantSession(ctx, t.q, id)
}

// UpdateSessionStatus implements merchant.Tx.
func (t MerchantTx) UpdateSessionStatus(ctx context.Context, id string, from, to merchant.SessionStatus, at time.Time) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE merchant_sessions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
		string(to), nanos(at), id, string(from))
	if err != nil {
		return false, fmt.Errorf("sqlstore: update session: %w", err)
	}
	return n == 1, nil
}

// InsertRefund implements merchant.Tx.
func (t MerchantTx) InsertRefund(ctx context.Context, r merchant.Refund) error {
	_, err := t.q.Exec(ctx, `INSERT INTO merchant_refunds (`+refundCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.PaymentID, r.MerchantID, b2i(r.Livemode), r.Amount.Minor, r.Amount.Currency.Code, r.Reason, string(r.Status),
		r.FailureCode, r.CreatedBy, nanos(r.CreatedAt), nanos(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert refund: %w", err)
	}
	return nil
}

// FinishRefund implements merchant.Tx.
func (t MerchantTx) FinishRefund(ctx context.Context, r merchant.Refund) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE merchant_refunds SET status = $1, failure_code = $2, updated_at = $3
		WHERE id = $4 AND status = 'pending'`, string(r.Status), r.FailureCode, nanos(r.UpdatedAt), r.ID)
	if err != nil {
		return false, fmt.Errorf("sqlstore: finish refund: %w", err)
	}
	return n == 1, nil
}

// MerchantDirectory implements merchant.Directory over the users table.
type MerchantDirectory struct{ db *DB }

// MerchantDirectory returns the directory merchants invite members from.
func (db *DB) MerchantDirectory() *MerchantDirectory { return &MerchantDirectory{db} }

// UserByEmail implements merchant.Directory: active users only.
func (d *MerchantDirectory) UserByEmail(ctx context.Context, email string) (int64, error) {
	var id int64
	err := d.db.Read().QueryRow(ctx, `SELECT id FROM users WHERE email = $1 AND status = $2`, email, string(auth.StatusActive)).Scan(&id)
	if errors.Is(err, ErrNoRows) {
		return 0, merchant.ErrUserNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: user by email: %w", err)
	}
	return id, nil
}

// Email implements merchant.Directory.
func (d *MerchantDirectory) Email(ctx context.Context, userID int64) (string, error) {
	var email string
	err := d.db.Read().QueryRow(ctx, `SELECT email FROM users WHERE id = $1`, userID).Scan(&email)
	if errors.Is(err, ErrNoRows) {
		return "", merchant.ErrUserNotFound
	}
	if err != nil {
		return "", fmt.Errorf("sqlstore: user email: %w", err)
	}
	return email, nil
}
