package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/kyc"
)

// KYCStore implements kyc.Store on both engines: levels and identity
// documents (migration 0009). Documents are stored sealed; this store
// never sees a plain file.
type KYCStore struct{ db *DB }

var (
	_ kyc.Store = (*KYCStore)(nil)
	_ kyc.Tx    = kycTx{}
)

// KYC returns the verification store.
func (db *DB) KYC() *KYCStore { return &KYCStore{db} }

type kycTx struct {
	q  Querier
	db *DB
}

// InTx implements kyc.Store.
func (s *KYCStore) InTx(ctx context.Context, fn func(kyc.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(kycTx{q: tx, db: s.db}) })
}

// AppendAudit implements audit.Appender in the transaction.
func (t kycTx) AppendAudit(ctx context.Context, e audit.Event) (int64, error) {
	return t.db.AuditTx(t.q).AppendAudit(ctx, e)
}

// Level implements kyc.Store.
func (s *KYCStore) Level(ctx context.Context, userID int64) (kyc.Level, error) {
	var lv string
	err := s.db.Read().QueryRow(ctx, "SELECT level FROM kyc_levels WHERE user_id = $1", userID).Scan(&lv)
	if errors.Is(err, ErrNoRows) {
		return kyc.Unverified, nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlstore: kyc level: %w", err)
	}
	return kyc.Level(lv), nil
}

// RaiseLevel implements kyc.Tx. The level only rises: the update's
// condition compares ranks.
func (t kycTx) RaiseLevel(ctx context.Context, userID int64, lv kyc.Level, documentID string, by int64, at time.Time) (bool, error) {
	rank := func(col string) string {
		return "CASE " + col + " WHEN 'business' THEN 2 WHEN 'verified' THEN 1 ELSE 0 END"
	}
	n, err := t.q.Exec(ctx, `INSERT INTO kyc_levels (user_id, level, document_id, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, document_id = excluded.document_id,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at
		WHERE `+rank("kyc_levels.level")+` < `+rank("excluded.level"),
		userID, string(lv), documentID, by, nanos(at))
	if err != nil {
		return false, fmt.Errorf("sqlstore: raise kyc level: %w", err)
	}
	return n == 1, nil
}

// InsertDocument implements kyc.Tx.
func (t kycTx) InsertDocument(ctx context.Context, d kyc.Document) error {
	_, err := t.q.Exec(ctx, `INSERT INTO kyc_documents (id, user_id, kind, level, file_name, content_type, size,
		sha256, content, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.ID, d.UserID, string(d.Kind), string(d.Level), d.FileName, d.ContentType, d.Size, d.SHA256, d.Sealed,
		string(d.Status), nanos(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert kyc document: %w", err)
	}
	return nil
}

// DecideDocument implements kyc.Tx.
func (t kycTx) DecideDocument(ctx context.Context, d kyc.Document) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE kyc_documents SET status = $2, reason = $3, reviewed_by = $4, reviewed_at = $5
		WHERE id = $1 AND status = 'pending'`, d.ID, string(d.Status), d.Reason, d.ReviewedBy, nanos(d.ReviewedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: decide kyc document: %w", err)
	}
	return n == 1, nil
}

const kycDocumentColumns = `id, user_id, kind, level, file_name, content_type, size, sha256, status, reason,
	reviewed_by, reviewed_at, created_at`

func scanKYCDocument(r scanner, content *[]byte) (kyc.Document, error) {
	var (
		d                     kyc.Document
		kind, level, status   string
		reviewedAt, createdAt int64
		dest                  []any
	)
	dest = append(dest, &d.ID, &d.UserID, &kind, &level, &d.FileName, &d.ContentType, &d.Size, &d.SHA256, &status,
		&d.Reason, &d.ReviewedBy, &reviewedAt, &createdAt)
	if content != nil {
		dest = append(dest, content)
	}
	if err := r.Scan(dest...); err != nil {
		return kyc.Document{}, err
	}
	d.Kind, d.Level, d.Status = kyc.DocumentKind(kind), kyc.Level(level), kyc.DocumentStatus(status)
	d.ReviewedAt, d.CreatedAt = fromNanos(reviewedAt), fromNanos(createdAt)
	return d, nil
}

// Document implements kyc.Store.
func (s *KYCStore) Document(ctx context.Context, id string) (kyc.Document, error) {
	var content []byte
	d, err := scanKYCDocument(s.db.Read().QueryRow(ctx, "SELECT "+kycDocumentColumns+", content FROM kyc_documents WHERE id = $1", id), &content)
	if errors.Is(err, ErrNoRows) {
		return kyc.Document{}, kyc.ErrDocumentNotFound
	}
	if err != nil {
		return kyc.Document{}, fmt.Errorf("sqlstore: kyc document: %w", err)
	}
	d.Sealed = content
	return d, nil
}

func (s *KYCStore) documents(ctx context.Context, query string, args ...any) ([]kyc.Document, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+kycDocumentColumns+" FROM kyc_documents "+query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: kyc documents: %w", err)
	}
	defer rows.Close()
	var out []kyc.Document
	for rows.Next() {
		d, err := scanKYCDocument(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: kyc documents: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: kyc documents: %w", err)
	}
	return out, nil
}

// Documents implements kyc.Store.
func (s *KYCStore) Documents(ctx context.Context, userID int64) ([]kyc.Document, error) {
	return s.documents(ctx, "WHERE user_id = $1 ORDER BY created_at DESC, id DESC", userID)
}

// Pending implements kyc.Store.
func (s *KYCStore) Pending(ctx context.Context, limit int) ([]kyc.Document, error) {
	return s.documents(ctx, "WHERE status = 'pending' ORDER BY created_at, id LIMIT $1", limit)
}
