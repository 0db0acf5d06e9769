package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
)

// DisputeStore implements merchant.DisputeStore on both engines, in the
// tables of migration 0024.
type DisputeStore struct{ db *DB }

var (
	_ merchant.DisputeStore = (*DisputeStore)(nil)
	_ merchant.DisputeTx    = DisputeTx{}
)

// Disputes returns the merchant disputes' store.
func (db *DB) Disputes() *DisputeStore { return &DisputeStore{db} }

// DisputeTx is merchant.DisputeTx: a MerchantTx (so merchant events are
// recorded in it) with the dispute tables, mail and audit.
type DisputeTx struct{ MerchantTx }

// InDisputeTx implements merchant.DisputeStore.
func (s *DisputeStore) InDisputeTx(ctx context.Context, fn func(merchant.DisputeTx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(DisputeTx{MerchantTx{q: tx, db: s.db}}) })
}

// EventsTx implements merchant.DisputeTx: the MerchantTx itself, which
// the merchant events sink expects.
func (t DisputeTx) EventsTx() merchant.Tx { return t.MerchantTx }

// Outbox implements merchant.DisputeTx.
func (t DisputeTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

// Audit implements merchant.DisputeTx.
func (t DisputeTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }

// UserContact implements merchant.DisputeTx.
func (t DisputeTx) UserContact(ctx context.Context, userID int64) (string, string, error) {
	var email, locale string
	err := t.q.QueryRow(ctx, "SELECT email, locale FROM users WHERE id = $1", userID).Scan(&email, &locale)
	if err != nil {
		return "", "", fmt.Errorf("sqlstore: dispute user contact: %w", err)
	}
	return email, locale, nil
}

const disputeCols = `id, payment_id, merchant_id, livemode, payer_user_id, amount, currency, reason, message, status, outcome,
	attempt, held_from_balance, shortfall, due_by, evidence_at, decided_by, decided_at, decision_note, version, created_at, updated_at`

func scanDispute(r scanner) (merchant.Dispute, error) {
	var (
		d                                              merchant.Dispute
		live, amount, due, evidence, decided, cre, upd int64
		cur, reason, status, outcome                   string
	)
	if err := r.Scan(&d.ID, &d.PaymentID, &d.MerchantID, &live, &d.PayerUserID, &amount, &cur, &reason, &d.Message, &status, &outcome,
		&d.Attempt, &d.HeldFromBalance, &d.Shortfall, &due, &evidence, &d.DecidedBy, &decided, &d.DecisionNote, &d.Version,
		&cre, &upd); err != nil {
		return d, err
	}
	c, err := merchantCurrency(cur)
	d.Livemode, d.Amount = live == 1, money.Amount{Minor: amount, Currency: c}
	d.Reason, d.Status, d.Outcome = merchant.DisputeReason(reason), merchant.DisputeStatus(status), merchant.DisputeStatus(outcome)
	d.DueBy, d.EvidenceAt, d.DecidedAt, d.CreatedAt, d.UpdatedAt = fromNanos(due), fromNanos(evidence), fromNanos(decided),
		fromNanos(cre), fromNanos(upd)
	return d, err
}

// Dispute implements merchant.DisputeStore.
func (s *DisputeStore) Dispute(ctx context.Context, id string) (merchant.Dispute, error) {
	d, err := scanDispute(s.db.Read().QueryRow(ctx, `SELECT `+disputeCols+` FROM merchant_disputes WHERE id = $1`, id))
	if err != nil {
		return d, merchantNotFound("dispute", err)
	}
	return d, nil
}

// DisputeOfPayment implements merchant.DisputeStore.
func (s *DisputeStore) DisputeOfPayment(ctx context.Context, paymentID string) (merchant.Dispute, error) {
	d, err := scanDispute(s.db.Read().QueryRow(ctx, `SELECT `+disputeCols+` FROM merchant_disputes WHERE payment_id = $1`, paymentID))
	if err != nil {
		return d, merchantNotFound("dispute of payment", err)
	}
	return d, nil
}

// Disputes implements merchant.DisputeStore.
func (s *DisputeStore) Disputes(ctx context.Context, q merchant.DisputeQuery) ([]merchant.Dispute, error) {
	where, args := `status <> 'opening'`, []any{}
	switch {
	case q.MerchantID != "":
		where += ` AND merchant_id = $1 AND livemode = $2`
		args = append(args, q.MerchantID, b2i(q.Livemode))
	case q.PayerID > 0:
		where += ` AND payer_user_id = $1`
		args = append(args, q.PayerID)
	}
	if q.OpenOnly {
		where += ` AND status IN ('needs_response', 'under_review', 'closing')`
	}
	args = append(args, q.Limit)
	rows, err := s.db.Read().Query(ctx, `SELECT `+disputeCols+` FROM merchant_disputes WHERE `+where+
		fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: disputes: %w", err)
	}
	defer rows.Close()
	var out []merchant.Dispute
	for rows.Next() {
		d, err := scanDispute(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: disputes: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

const evidenceCols = `id, dispute_id, body, file_name, content_type, size, created_by, created_at`

func scanEvidence(r scanner, sealed *[]byte) (merchant.Evidence, error) {
	var (
		e   merchant.Evidence
		cre int64
	)
	dest := []any{&e.ID, &e.DisputeID, &e.Text, &e.FileName, &e.ContentType, &e.Size, &e.CreatedBy, &cre}
	if sealed != nil {
		dest = append(dest, sealed)
	}
	err := r.Scan(dest...)
	e.CreatedAt = fromNanos(cre)
	return e, err
}

// Evidence implements merchant.DisputeStore.
func (s *DisputeStore) Evidence(ctx context.Context, disputeID string) ([]merchant.Evidence, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT `+evidenceCols+` FROM merchant_dispute_evidence WHERE dispute_id = $1
		ORDER BY created_at, id`, disputeID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: evidence: %w", err)
	}
	defer rows.Close()
	var out []merchant.Evidence
	for rows.Next() {
		e, err := scanEvidence(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: evidence: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceFile implements merchant.DisputeStore.
func (s *DisputeStore) EvidenceFile(ctx context.Context, id string) (merchant.Evidence, error) {
	var sealed []byte
	e, err := scanEvidence(s.db.Read().QueryRow(ctx, `SELECT `+evidenceCols+`, sealed FROM merchant_dispute_evidence WHERE id = $1`, id), &sealed)
	if err != nil {
		return e, merchantNotFound("evidence", err)
	}
	e.Sealed = sealed
	return e, nil
}

// PayerPayments implements merchant.DisputeStore.
func (s *DisputeStore) PayerPayments(ctx context.Context, userID int64, limit int) ([]merchant.Payment, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT `+paymentCols+` FROM merchant_payments
		WHERE payer_user_id = $1 AND status = 'succeeded' ORDER BY created_at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: payer payments: %w", err)
	}
	defer rows.Close()
	var out []merchant.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: payer payments: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// StaleDisputes implements merchant.DisputeStore.
func (s *DisputeStore) StaleDisputes(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT id FROM merchant_disputes WHERE status IN ('opening', 'closing') AND updated_at < $1
		ORDER BY updated_at LIMIT $2`, nanos(before), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: stale disputes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlstore: stale disputes: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// InsertDispute implements merchant.DisputeTx.
func (t DisputeTx) InsertDispute(ctx context.Context, d merchant.Dispute) (bool, error) {
	n, err := t.q.Exec(ctx, `INSERT INTO merchant_disputes (`+disputeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (payment_id) DO NOTHING`,
		d.ID, d.PaymentID, d.MerchantID, b2i(d.Livemode), d.PayerUserID, d.Amount.Minor, d.Amount.Currency.Code, string(d.Reason),
		d.Message, string(d.Status), string(d.Outcome), d.Attempt, d.HeldFromBalance, d.Shortfall, nanos(d.DueBy), nanos(d.EvidenceAt),
		d.DecidedBy, nanos(d.DecidedAt), d.DecisionNote, d.Version, nanos(d.CreatedAt), nanos(d.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert dispute: %w", err)
	}
	return n == 1, nil
}

// UpdateDispute implements merchant.DisputeTx.
func (t DisputeTx) UpdateDispute(ctx context.Context, d merchant.Dispute) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE merchant_disputes SET status = $1, outcome = $2, attempt = $3, held_from_balance = $4,
		shortfall = $5, evidence_at = $6, decided_by = $7, decided_at = $8, decision_note = $9, updated_at = $10,
		version = version + 1 WHERE id = $11 AND version = $12`,
		string(d.Status), string(d.Outcome), d.Attempt, d.HeldFromBalance, d.Shortfall, nanos(d.EvidenceAt), d.DecidedBy,
		nanos(d.DecidedAt), d.DecisionNote, nanos(d.UpdatedAt), d.ID, d.Version)
	if err != nil {
		return false, fmt.Errorf("sqlstore: update dispute: %w", err)
	}
	return n == 1, nil
}

// DeleteDispute implements merchant.DisputeTx.
func (t DisputeTx) DeleteDispute(ctx context.Context, id string, version int64) (bool, error) {
	n, err := t.q.Exec(ctx, `DELETE FROM merchant_disputes WHERE id = $1 AND version = $2 AND status = 'opening'`, id, version)
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete dispute: %w", err)
	}
	return n == 1, nil
}

// InsertEvidence implements merchant.DisputeTx.
func (t DisputeTx) InsertEvidence(ctx context.Context, e merchant.Evidence) error {
	var sealed any
	if e.Sealed != nil {
		sealed = e.Sealed
	}
	_, err := t.q.Exec(ctx, `INSERT INTO merchant_dispute_evidence (`+evidenceCols+`, sealed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.DisputeID, e.Text, e.FileName, e.ContentType, e.Size, e.CreatedBy, nanos(e.CreatedAt), sealed)
	if err != nil {
		return fmt.Errorf("sqlstore: insert evidence: %w", err)
	}
	return nil
}
