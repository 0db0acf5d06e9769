package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
)

// MailStore is the outbox of outgoing mail (mail_outbox); it implements
// mail.Store. Messages enter it only through OutboxTx, inside the
// transaction of the change that caused them.
type MailStore struct{ db *DB }

var _ mail.Store = (*MailStore)(nil)

// Mail returns the outbox's store.
func (db *DB) Mail() *MailStore { return &MailStore{db} }

// OutboxTx returns the mail.OutboxTx that writes through q, normally a Tx,
// so that a queued message and its job commit or roll back with the
// caller's change.
func (db *DB) OutboxTx(q Querier) mail.OutboxTx { return outboxTx{q: q, now: db.now} }

type outboxTx struct {
	q   Querier
	now func() time.Time
}

// InsertMail implements mail.OutboxTx.
func (t outboxTx) InsertMail(ctx context.Context, m mail.Stored) (int64, error) {
	to, err := json.Marshal(m.To)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert mail: %w", err)
	}
	created := m.CreatedAt
	if created.IsZero() {
		created = t.now()
	}
	status := m.Status
	if status == "" {
		status = mail.StatusQueued
	}
	var id int64
	err = t.q.QueryRow(ctx, `INSERT INTO mail_outbox (message_id, mail_from, rcpt_to, subject, raw, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id`,
		m.MessageID, m.From, string(to), m.Subject, m.Raw, string(status), created.UnixNano()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert mail: %w", err)
	}
	return id, nil
}

// EnqueueJobs implements mail.OutboxTx.
func (t outboxTx) EnqueueJobs(ctx context.Context, js ...jobs.Job) error {
	return EnqueueJobs(ctx, t.q, t.now(), js...)
}

const mailColumns = `id, message_id, mail_from, rcpt_to, subject, status, attempts, last_error, created_at, sent_at`

// Mail implements mail.Store.
func (s *MailStore) Mail(ctx context.Context, id int64) (mail.Stored, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+mailColumns+", raw FROM mail_outbox WHERE id = $1", id)
	if err != nil {
		return mail.Stored{}, fmt.Errorf("sqlstore: mail %d: %w", id, err)
	}
	ms, err := scanMail(rows, true)
	if err != nil {
		return mail.Stored{}, fmt.Errorf("sqlstore: mail %d: %w", id, err)
	}
	if len(ms) == 0 {
		return mail.Stored{}, fmt.Errorf("sqlstore: mail %d: %w", id, mail.ErrNotFound)
	}
	return ms[0], nil
}

// RecordAttempt implements mail.Store.
func (s *MailStore) RecordAttempt(ctx context.Context, id int64, a mail.Attempt) error {
	var at int64
	if a.Status != mail.StatusQueued && !a.At.IsZero() {
		at = a.At.UnixNano()
	}
	n, err := s.db.Write().Exec(ctx, `UPDATE mail_outbox
		SET status = $2, attempts = attempts + 1, last_error = $3, sent_at = $4
		WHERE id = $1 AND status = 'queued'`, id, string(a.Status), a.Err, at)
	if err != nil {
		return fmt.Errorf("sqlstore: record mail attempt %d: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	var status string
	err = s.db.Write().QueryRow(ctx, "SELECT status FROM mail_outbox WHERE id = $1", id).Scan(&status)
	switch {
	case errors.Is(err, ErrNoRows):
		return fmt.Errorf("sqlstore: record mail attempt %d: %w", id, mail.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlstore: record mail attempt %d: %w", id, err)
	}
	return fmt.Errorf("sqlstore: record mail attempt %d (%s): %w", id, status, mail.ErrNotQueued)
}

// Delivered implements mail.Store.
func (s *MailStore) Delivered(ctx context.Context, limit int) ([]mail.Stored, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+mailColumns+` FROM mail_outbox
		WHERE status = 'delivered_locally' ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: dev mailbox: %w", err)
	}
	ms, err := scanMail(rows, false)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: dev mailbox: %w", err)
	}
	return ms, nil
}

func scanMail(rows Rows, withRaw bool) ([]mail.Stored, error) {
	defer rows.Close()
	var ms []mail.Stored
	for rows.Next() {
		var (
			m               mail.Stored
			to, status      string
			created, sentAt int64
		)
		dest := []any{&m.ID, &m.MessageID, &m.From, &to, &m.Subject, &status, &m.Attempts, &m.LastError, &created, &sentAt}
		if withRaw {
			dest = append(dest, &m.Raw)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(to), &m.To); err != nil {
			return nil, fmt.Errorf("mail %d recipients: %w", m.ID, err)
		}
		m.Status = mail.Status(status)
		m.CreatedAt = fromNanos(created)
		m.SentAt = fromNanos(sentAt)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}
