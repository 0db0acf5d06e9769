package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/support/mailin"
)

// MailinStore is the raw store of inbound mail (mailin_raw) and the
// acknowledgement counters (mailin_ack_counts); it implements
// mailin.Store.
type MailinStore struct{ db *DB }

var _ mailin.Store = (*MailinStore)(nil)

// Mailin returns the inbound mail store.
func (db *DB) Mailin() *MailinStore { return &MailinStore{db} }

// InsertRaw implements mailin.Store.
func (s *MailinStore) InsertRaw(ctx context.Context, env mailin.Envelope, at time.Time, size int,
	seal func(id int64) ([]byte, error), job func(id int64) jobs.Job) (int64, error) {
	to, err := json.Marshal(env.To)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert inbound mail: %w", err)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO mailin_raw (received_at, remote_ip, helo, mail_from, rcpt_to, size)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			at.UnixNano(), env.RemoteIP, env.Helo, env.From, string(to), size).Scan(&id)
		if err != nil {
			return err
		}
		sealed, err := seal(id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE mailin_raw SET sealed = $2 WHERE id = $1", id, sealed); err != nil {
			return err
		}
		return EnqueueJobs(ctx, tx, s.db.now(), job(id))
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert inbound mail: %w", err)
	}
	return id, nil
}

const mailinColumns = `id, received_at, remote_ip, helo, mail_from, rcpt_to, size, message_id, status, note,
	ticket_id, outbox_id, attempts, processed_at, purged_at`

func scanMailin(rows Rows, withSealed bool) ([]mailin.Raw, error) {
	defer rows.Close()
	var out []mailin.Raw
	for rows.Next() {
		var (
			r                           mailin.Raw
			to, status                  string
			received, processed, purged int64
		)
		dest := []any{&r.ID, &received, &r.RemoteIP, &r.Helo, &r.From, &to, &r.Size, &r.MessageKey, &status, &r.Note,
			&r.TicketID, &r.OutboxID, &r.Attempts, &processed, &purged}
		if withSealed {
			dest = append(dest, &r.Sealed)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(to), &r.To); err != nil {
			return nil, fmt.Errorf("inbound mail %d recipients: %w", r.ID, err)
		}
		r.Status = mailin.Status(status)
		r.ReceivedAt = fromNanos(received)
		r.ProcessedAt = fromNanos(processed)
		r.PurgedAt = fromNanos(purged)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Raw implements mailin.Store.
func (s *MailinStore) Raw(ctx context.Context, id int64) (mailin.Raw, error) {
	rows, err := s.db.Write().Query(ctx, "SELECT "+mailinColumns+", sealed FROM mailin_raw WHERE id = $1", id)
	if err != nil {
		return mailin.Raw{}, fmt.Errorf("sqlstore: inbound mail %d: %w", id, err)
	}
	rs, err := scanMailin(rows, true)
	if err != nil {
		return mailin.Raw{}, fmt.Errorf("sqlstore: inbound mail %d: %w", id, err)
	}
	if len(rs) == 0 {
		return mailin.Raw{}, fmt.Errorf("sqlstore: inbound mail %d: %w", id, mailin.ErrNotFound)
	}
	return rs[0], nil
}

// ClaimRaw implements mailin.Store.
func (s *MailinStore) ClaimRaw(ctx context.Context, id int64, now, stale time.Time) (bool, error) {
	n, err := s.db.Write().Exec(ctx, `UPDATE mailin_raw SET status = 'processing', claimed_at = $2, attempts = attempts + 1
		WHERE id = $1 AND (status = 'received' OR (status = 'processing' AND claimed_at < $3))`,
		id, now.UnixNano(), stale.UnixNano())
	if err != nil {
		return false, fmt.Errorf("sqlstore: claim inbound mail %d: %w", id, err)
	}
	if n == 1 {
		return true, nil
	}
	var one int
	err = s.db.Write().QueryRow(ctx, "SELECT 1 FROM mailin_raw WHERE id = $1", id).Scan(&one)
	if errors.Is(err, ErrNoRows) {
		return false, fmt.Errorf("sqlstore: claim inbound mail %d: %w", id, mailin.ErrNotFound)
	}
	return false, err
}

// ReleaseRaw implements mailin.Store.
func (s *MailinStore) ReleaseRaw(ctx context.Context, id int64) error {
	_, err := s.db.Write().Exec(ctx, "UPDATE mailin_raw SET status = 'received', claimed_at = 0 WHERE id = $1 AND status = 'processing'", id)
	if err != nil {
		return fmt.Errorf("sqlstore: release inbound mail %d: %w", id, err)
	}
	return nil
}

// FinishRaw implements mailin.Store.
func (s *MailinStore) FinishRaw(ctx context.Context, id int64, o mailin.Outcome, at time.Time) error {
	q := `UPDATE mailin_raw SET status = $2, note = $3, message_id = $4, ticket_id = $5, outbox_id = $6, processed_at = $7
		WHERE id = $1`
	args := []any{id, string(o.Status), o.Note, o.MessageKey, o.TicketID, o.OutboxID, at.UnixNano()}
	if o.Status == mailin.StatusDuplicate {
		// Stored once: the copy's bytes go at once.
		q = `UPDATE mailin_raw SET status = $2, note = $3, message_id = $4, ticket_id = $5, outbox_id = $6, processed_at = $7,
			sealed = $8, purged_at = $7 WHERE id = $1`
		args = append(args, []byte{})
	}
	if _, err := s.db.Write().Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("sqlstore: finish inbound mail %d: %w", id, err)
	}
	return nil
}

// Requeue implements mailin.Store.
func (s *MailinStore) Requeue(ctx context.Context, id int64) error {
	n, err := s.db.Write().Exec(ctx, "UPDATE mailin_raw SET status = 'received', note = '' WHERE id = $1 AND status = 'unparsed'", id)
	if err != nil {
		return fmt.Errorf("sqlstore: requeue inbound mail %d: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	var status string
	err = s.db.Write().QueryRow(ctx, "SELECT status FROM mailin_raw WHERE id = $1", id).Scan(&status)
	if errors.Is(err, ErrNoRows) {
		return fmt.Errorf("sqlstore: requeue inbound mail %d: %w", id, mailin.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: requeue inbound mail %d: %w", id, err)
	}
	if status == string(mailin.StatusReceived) {
		return nil
	}
	return fmt.Errorf("sqlstore: requeue inbound mail %d (%s): %w", id, status, mailin.ErrState)
}

// FiledWithKey implements mailin.Store.
func (s *MailinStore) FiledWithKey(ctx context.Context, key string, id int64) (int64, error) {
	var other int64
	err := s.db.Write().QueryRow(ctx, `SELECT id FROM mailin_raw WHERE message_id = $1 AND id <> $2
		AND status IN ('filed', 'bounce', 'dropped') ORDER BY id LIMIT 1`, key, id).Scan(&other)
	if errors.Is(err, ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: inbound mail by key: %w", err)
	}
	return other, nil
}

// ListRaw implements mailin.Store.
func (s *MailinStore) ListRaw(ctx context.Context, status mailin.Status, limit int) ([]mailin.Raw, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+mailinColumns+" FROM mailin_raw WHERE status = $1 ORDER BY id LIMIT $2", string(status), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list inbound mail: %w", err)
	}
	rs, err := scanMailin(rows, false)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list inbound mail: %w", err)
	}
	return rs, nil
}

// PurgeRaw implements mailin.Store.
func (s *MailinStore) PurgeRaw(ctx context.Context, before, now time.Time) (int64, error) {
	n, err := s.db.Write().Exec(ctx, `UPDATE mailin_raw SET sealed = $3, purged_at = $2
		WHERE purged_at = 0 AND processed_at > 0 AND processed_at < $1
		AND status NOT IN ('received', 'processing', 'unparsed')`, before.UnixNano(), now.UnixNano(), []byte{})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: purge inbound mail: %w", err)
	}
	return n, nil
}

// CountAck implements mailin.Store.
func (s *MailinStore) CountAck(ctx context.Context, window time.Time, counters []string, limits []int) (bool, error) {
	errLimited := errors.New("limited")
	err := s.db.InTx(ctx, func(tx Tx) error {
		for i, c := range counters {
			var n int64
			err := tx.QueryRow(ctx, `INSERT INTO mailin_ack_counts (counter, window_start, count) VALUES ($1, $2, 1)
				ON CONFLICT (counter, window_start) DO UPDATE SET count = mailin_ack_counts.count + 1
				RETURNING count`, c, window.UnixNano()).Scan(&n)
			if err != nil {
				return err
			}
			if n > int64(limits[i]) {
				return errLimited
			}
		}
		return nil
	})
	if errors.Is(err, errLimited) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlstore: count acknowledgement: %w", err)
	}
	return true, nil
}

// PruneAcks implements mailin.Store.
func (s *MailinStore) PruneAcks(ctx context.Context, before time.Time) error {
	if _, err := s.db.Write().Exec(ctx, "DELETE FROM mailin_ack_counts WHERE window_start < $1", before.UnixNano()); err != nil {
		return fmt.Errorf("sqlstore: prune acknowledgement counters: %w", err)
	}
	return nil
}

// MailIDByMessageID implements mail.BounceStore.
func (s *MailStore) MailIDByMessageID(ctx context.Context, messageID string) (int64, error) {
	var id int64
	err := s.db.Write().QueryRow(ctx, "SELECT id FROM mail_outbox WHERE message_id = $1", messageID).Scan(&id)
	if errors.Is(err, ErrNoRows) {
		return 0, fmt.Errorf("sqlstore: mail %q: %w", messageID, mail.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: mail by message id: %w", err)
	}
	return id, nil
}

// MarkBounced implements mail.BounceStore.
func (s *MailStore) MarkBounced(ctx context.Context, id int64, reason string, at time.Time) (bool, error) {
	n, err := s.db.Write().Exec(ctx, `UPDATE mail_outbox SET status = 'failed', last_error = $2,
		sent_at = CASE WHEN sent_at = 0 THEN $3 ELSE sent_at END
		WHERE id = $1 AND status <> 'failed'`, id, "bounced: "+reason, at.UnixNano())
	if err != nil {
		return false, fmt.Errorf("sqlstore: mark mail %d bounced: %w", id, err)
	}
	if n == 1 {
		return true, nil
	}
	var one int
	err = s.db.Write().QueryRow(ctx, "SELECT 1 FROM mail_outbox WHERE id = $1", id).Scan(&one)
	if errors.Is(err, ErrNoRows) {
		return false, fmt.Errorf("sqlstore: mark mail %d bounced: %w", id, mail.ErrNotFound)
	}
	return false, err
}

var _ mail.BounceStore = (*MailStore)(nil)
