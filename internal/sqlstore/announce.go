package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/audit"
)

// AnnounceStore implements announce.Store on both engines, in the table
// of migration 0017.
type AnnounceStore struct{ db *DB }

var (
	_ announce.Store = (*AnnounceStore)(nil)
	_ announce.Tx    = announceTx{}
)

// Announcements returns the announcements store.
func (db *DB) Announcements() *AnnounceStore { return &AnnounceStore{db} }

type announceTx struct {
	q  Querier
	db *DB
}

// InTx implements announce.Store.
func (s *AnnounceStore) InTx(ctx context.Context, fn func(announce.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(announceTx{q: tx, db: s.db}) })
}

const announceColumns = `id, kind, title_zh, title_en, body_zh, body_en, starts_at, ends_at, created_by, created_at, updated_at`

func scanAnnouncement(r interface{ Scan(...any) error }) (announce.Announcement, error) {
	var (
		a                      announce.Announcement
		kind                   string
		starts, ends, cre, upd int64
	)
	err := r.Scan(&a.ID, &kind, &a.TitleZh, &a.TitleEn, &a.BodyZh, &a.BodyEn, &starts, &ends, &a.CreatedBy, &cre, &upd)
	a.Kind = announce.Kind(kind)
	a.Starts, a.Ends, a.CreatedAt, a.UpdatedAt = fromNanos(starts), fromNanos(ends), fromNanos(cre), fromNanos(upd)
	return a, err
}

// Announcements implements announce.Store.
func (s *AnnounceStore) Announcements(ctx context.Context, endsAfter time.Time, limit int) ([]announce.Announcement, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+announceColumns+` FROM announcements
		WHERE ends_at > $1 ORDER BY starts_at DESC, id DESC LIMIT $2`, nanos(endsAfter), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: announcements: %w", err)
	}
	defer rows.Close()
	var out []announce.Announcement
	for rows.Next() {
		a, err := scanAnnouncement(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: announcements: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: announcements: %w", err)
	}
	return out, nil
}

// Insert implements announce.Tx.
func (t announceTx) Insert(ctx context.Context, a announce.Announcement) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO announcements (kind, title_zh, title_en, body_zh, body_en, starts_at, ends_at, created_by, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
		string(a.Kind), a.TitleZh, a.TitleEn, a.BodyZh, a.BodyEn, nanos(a.Starts), nanos(a.Ends), a.CreatedBy, nanos(a.CreatedAt), nanos(a.UpdatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert announcement: %w", err)
	}
	return id, nil
}

// Announcement implements announce.Tx.
func (t announceTx) Announcement(ctx context.Context, id int64) (announce.Announcement, error) {
	a, err := scanAnnouncement(t.q.QueryRow(ctx, "SELECT "+announceColumns+" FROM announcements WHERE id = $1", id))
	if errors.Is(err, ErrNoRows) {
		return announce.Announcement{}, fmt.Errorf("%w: announcement %d", announce.ErrNotFound, id)
	}
	if err != nil {
		return announce.Announcement{}, fmt.Errorf("sqlstore: announcement %d: %w", id, err)
	}
	return a, nil
}

// SetEnds implements announce.Tx.
func (t announceTx) SetEnds(ctx context.Context, id int64, ends, updated time.Time) error {
	n, err := t.q.Exec(ctx, `UPDATE announcements SET ends_at = $1, updated_at = $2 WHERE id = $3`, nanos(ends), nanos(updated), id)
	if err != nil {
		return fmt.Errorf("sqlstore: end announcement %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: announcement %d", announce.ErrNotFound, id)
	}
	return nil
}

// Audit implements announce.Tx.
func (t announceTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }
