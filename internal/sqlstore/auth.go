package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/mail"
)

// AuthStore implements auth.Store: users, one-time tokens, failure
// counters, sessions and device cookies.
type AuthStore struct{ db *DB }

var _ auth.Store = (*AuthStore)(nil)

// Auth returns the accounts store.
func (db *DB) Auth() *AuthStore { return &AuthStore{db} }

// InTx implements auth.Store.
func (s *AuthStore) InTx(ctx context.Context, fn func(auth.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(authTx{q: tx, db: s.db}) })
}

type authTx struct {
	q  Querier
	db *DB
}

func (t authTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }
func (t authTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

const userColumns = `id, email, phone, password_hash, status, role, locale, email_verified_at, created_at`

func (t authTx) CreateUser(ctx context.Context, u auth.User) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO users (email, phone, password_hash, status, role, locale, email_verified_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.Email, u.Phone, u.PasswordHash, string(u.Status), string(u.Role), u.Locale, nanos(u.EmailVerifiedAt), nanos(u.CreatedAt)).Scan(&id)
	if IsUniqueViolation(err) {
		return 0, auth.ErrEmailTaken
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: create user: %w", err)
	}
	return id, nil
}

func (t authTx) user(ctx context.Context, where string, arg any) (auth.User, error) {
	var (
		u                  auth.User
		status, role       string
		verified, creation int64
	)
	err := t.q.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, arg).Scan(
		&u.ID, &u.Email, &u.Phone, &u.PasswordHash, &status, &role, &u.Locale, &verified, &creation)
	if errors.Is(err, ErrNoRows) {
		return auth.User{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("sqlstore: user: %w", err)
	}
	u.Status, u.Role = auth.Status(status), auth.Role(role)
	u.EmailVerifiedAt, u.CreatedAt = fromNanos(verified), fromNanos(creation)
	return u, nil
}

func (t authTx) User(ctx context.Context, id int64) (auth.User, error) {
	return t.user(ctx, "id = $1", id)
}

func (t authTx) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	return t.user(ctx, "email = $1", email)
}

func (t authTx) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	n, err := t.q.Exec(ctx, "UPDATE users SET password_hash = $2 WHERE id = $1", id, hash)
	if err != nil {
		return fmt.Errorf("sqlstore: set password: %w", err)
	}
	if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

func (t authTx) MarkEmailVerified(ctx context.Context, id int64, at time.Time) error {
	n, err := t.q.Exec(ctx, `UPDATE users SET email_verified_at = CASE WHEN email_verified_at = 0 THEN $2 ELSE email_verified_at END
		WHERE id = $1`, id, nanos(at))
	if err != nil {
		return fmt.Errorf("sqlstore: verify email: %w", err)
	}
	if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

func (t authTx) InsertToken(ctx context.Context, tk auth.Token) error {
	_, err := t.q.Exec(ctx, `INSERT INTO auth_tokens (token_hash, purpose, user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, tk.Hash, string(tk.Purpose), tk.UserID, nanos(tk.CreatedAt), nanos(tk.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert token: %w", err)
	}
	return nil
}

func (t authTx) DeleteTokens(ctx context.Context, userID int64, p auth.TokenPurpose) (int64, error) {
	n, err := t.q.Exec(ctx, "DELETE FROM auth_tokens WHERE user_id = $1 AND purpose = $2", userID, string(p))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete tokens: %w", err)
	}
	return n, nil
}

func (t authTx) TakeToken(ctx context.Context, p auth.TokenPurpose, hash []byte) (auth.Token, error) {
	tk := auth.Token{Hash: hash, Purpose: p}
	var created, expires int64
	err := t.q.QueryRow(ctx, `DELETE FROM auth_tokens WHERE token_hash = $1 AND purpose = $2
		RETURNING user_id, created_at, expires_at`, hash, string(p)).Scan(&tk.UserID, &created, &expires)
	if errors.Is(err, ErrNoRows) {
		return auth.Token{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("sqlstore: take token: %w", err)
	}
	tk.CreatedAt, tk.ExpiresAt = fromNanos(created), fromNanos(expires)
	return tk, nil
}

func (t authTx) PeekToken(ctx context.Context, p auth.TokenPurpose, hash []byte) (auth.Token, error) {
	tk := auth.Token{Hash: hash, Purpose: p}
	var created, expires int64
	err := t.q.QueryRow(ctx, `SELECT user_id, created_at, expires_at FROM auth_tokens
		WHERE token_hash = $1 AND purpose = $2`, hash, string(p)).Scan(&tk.UserID, &created, &expires)
	if errors.Is(err, ErrNoRows) {
		return auth.Token{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("sqlstore: peek token: %w", err)
	}
	tk.CreatedAt, tk.ExpiresAt = fromNanos(created), fromNanos(expires)
	return tk, nil
}

// TwoFactorTx is the two-factor store's view of an auth transaction, so
// the second factor can be checked inside it (twofactor.Service.AuthHook).
func (db *DB) TwoFactorTx(tx auth.Tx) twofactor.Tx {
	t := tx.(authTx)
	return twoFactorTx{q: t.q, db: t.db}
}

// AddFailure is one atomic upsert: PostgreSQL's ON CONFLICT DO UPDATE
// locks the row, SQLite has one writer, so concurrent failures never lose
// a count.
func (t authTx) AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (auth.Counter, error) {
	n := now.UnixNano()
	var (
		c             auth.Counter
		first, locked int64
	)
	err := t.q.QueryRow(ctx, `INSERT INTO login_failures (key, count, first_at, locked_until) VALUES ($1, 1, $2, 0)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN login_failures.first_at <= $3 OR (login_failures.locked_until <> 0 AND login_failures.locked_until <= $2)
				THEN 1 ELSE login_failures.count + 1 END,
			first_at = CASE WHEN login_failures.first_at <= $3 OR (login_failures.locked_until <> 0 AND login_failures.locked_until <= $2)
				THEN $2 ELSE login_failures.first_at END,
			locked_until = CASE WHEN login_failures.locked_until <= $2 THEN 0 ELSE login_failures.locked_until END
		RETURNING count, first_at, locked_until`, key, n, n-int64(window)).Scan(&c.Count, &first, &locked)
	if err != nil {
		return auth.Counter{}, fmt.Errorf("sqlstore: add login failure: %w", err)
	}
	c.FirstAt, c.LockedUntil = fromNanos(first), fromNanos(locked)
	return c, nil
}

func (t authTx) Counter(ctx context.Context, key string) (auth.Counter, error) {
	var (
		c             auth.Counter
		first, locked int64
	)
	err := t.q.QueryRow(ctx, "SELECT count, first_at, locked_until FROM login_failures WHERE key = $1", key).Scan(&c.Count, &first, &locked)
	if errors.Is(err, ErrNoRows) {
		return auth.Counter{}, nil
	}
	if err != nil {
		return auth.Counter{}, fmt.Errorf("sqlstore: login failures: %w", err)
	}
	c.FirstAt, c.LockedUntil = fromNanos(first), fromNanos(locked)
	return c, nil
}

func (t authTx) LockCounter(ctx context.Context, key string, until time.Time) error {
	if _, err := t.q.Exec(ctx, "UPDATE login_failures SET locked_until = $2 WHERE key = $1", key, nanos(until)); err != nil {
		return fmt.Errorf("sqlstore: lock: %w", err)
	}
	return nil
}

func (t authTx) ResetCounter(ctx context.Context, key string) error {
	if _, err := t.q.Exec(ctx, "DELETE FROM login_failures WHERE key = $1", key); err != nil {
		return fmt.Errorf("sqlstore: reset login failures: %w", err)
	}
	return nil
}

const sessionColumns = `id, token_hash, user_id, created_at, last_seen_at, ip, user_agent, device_label`

func (t authTx) InsertSession(ctx context.Context, s auth.Session) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, user_agent, device_label)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		s.Hash, s.UserID, nanos(s.CreatedAt), nanos(s.LastSeenAt), s.IP, s.UserAgent, s.DeviceLabel).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert session: %w", err)
	}
	return id, nil
}

func scanSessions(rows Rows) ([]auth.Session, error) {
	defer rows.Close()
	var out []auth.Session
	for rows.Next() {
		var (
			s              auth.Session
			created, based int64
		)
		if err := rows.Scan(&s.ID, &s.Hash, &s.UserID, &created, &based, &s.IP, &s.UserAgent, &s.DeviceLabel); err != nil {
			return nil, err
		}
		s.CreatedAt, s.LastSeenAt = fromNanos(created), fromNanos(based)
		out = append(out, s)
	}
	return out, rows.Err()
}

func (t authTx) SessionByHash(ctx context.Context, hash []byte) (auth.Session, error) {
	rows, err := t.q.Query(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE token_hash = $1", hash)
	if err != nil {
		return auth.Session{}, fmt.Errorf("sqlstore: session: %w", err)
	}
	ss, err := scanSessions(rows)
	if err != nil {
		return auth.Session{}, fmt.Errorf("sqlstore: session: %w", err)
	}
	if len(ss) == 0 {
		return auth.Session{}, auth.ErrNotFound
	}
	return ss[0], nil
}

func (t authTx) TouchSession(ctx context.Context, id int64, at time.Time) error {
	if _, err := t.q.Exec(ctx, "UPDATE sessions SET last_seen_at = $2 WHERE id = $1", id, nanos(at)); err != nil {
		return fmt.Errorf("sqlstore: touch session: %w", err)
	}
	return nil
}

func (t authTx) DeleteSession(ctx context.Context, userID, id int64) (bool, error) {
	q, args := "DELETE FROM sessions WHERE id = $1", []any{id}
	if userID != 0 {
		q, args = q+" AND user_id = $2", append(args, userID)
	}
	n, err := t.q.Exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete session: %w", err)
	}
	return n > 0, nil
}

func (t authTx) DeleteSessions(ctx context.Context, userID int64) (int64, error) {
	n, err := t.q.Exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete sessions: %w", err)
	}
	return n, nil
}

func (t authTx) Sessions(ctx context.Context, userID int64) ([]auth.Session, error) {
	rows, err := t.q.Query(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE user_id = $1 ORDER BY id DESC", userID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sessions: %w", err)
	}
	ss, err := scanSessions(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sessions: %w", err)
	}
	return ss, nil
}

func (t authTx) Device(ctx context.Context, hash []byte) (auth.Device, error) {
	d := auth.Device{Hash: hash}
	var created, used int64
	err := t.q.QueryRow(ctx, "SELECT user_id, created_at, last_used_at, label FROM devices WHERE token_hash = $1", hash).
		Scan(&d.UserID, &created, &used, &d.Label)
	if errors.Is(err, ErrNoRows) {
		return auth.Device{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Device{}, fmt.Errorf("sqlstore: device: %w", err)
	}
	d.CreatedAt, d.LastUsedAt = fromNanos(created), fromNanos(used)
	return d, nil
}

func (t authTx) UpsertDevice(ctx context.Context, d auth.Device) error {
	_, err := t.q.Exec(ctx, `INSERT INTO devices (token_hash, user_id, created_at, last_used_at, label) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at, label = excluded.label`,
		d.Hash, d.UserID, nanos(d.CreatedAt), nanos(d.LastUsedAt), d.Label)
	if err != nil {
		return fmt.Errorf("sqlstore: upsert device: %w", err)
	}
	return nil
}
