package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/mail"
)

// Store is the persistence auth needs; sqlstore implements it
// (DB.Auth). Everything runs in a transaction so a change, its audit
// record, and its email commit together.
type Store interface {
	// InTx runs fn in one transaction, committing when it returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is the store inside one transaction.
type Tx interface {
	// Audit and Outbox write through this transaction.
	Audit() audit.Appender
	Outbox() mail.OutboxTx

	// CreateUser stores u (ID ignored) and returns its id.
	// Errors: ErrEmailTaken.
	CreateUser(ctx context.Context, u User) (int64, error)
	// User and UserByEmail return one user. Errors: ErrNotFound.
	User(ctx context.Context, id int64) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	// SetPasswordHash replaces a user's hash. Errors: ErrNotFound.
	SetPasswordHash(ctx context.Context, id int64, hash string) error
	// MarkEmailVerified sets email_verified_at unless already set.
	// Errors: ErrNotFound.
	MarkEmailVerified(ctx context.Context, id int64, at time.Time) error

	// InsertToken stores a one-time token (by its hash).
	InsertToken(ctx context.Context, t Token) error
	// DeleteTokens removes every token of purpose for user (a newer one
	// supersedes them) and reports how many.
	DeleteTokens(ctx context.Context, userID int64, purpose TokenPurpose) (int64, error)
	// TakeToken removes the token with this hash and purpose and returns
	// it, so it can be used once. Errors: ErrNotFound.
	TakeToken(ctx context.Context, purpose TokenPurpose, hash []byte) (Token, error)
	// PeekToken returns the token with this hash and purpose, leaving it.
	// Errors: ErrNotFound.
	PeekToken(ctx context.Context, purpose TokenPurpose, hash []byte) (Token, error)

	// AddFailure adds one failure to key's counter at now, first
	// starting it afresh when its first failure is older than window or
	// its lock has expired, and returns the counter after the change.
	// Concurrent calls for one key must not lose updates.
	AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (Counter, error)
	// Counter returns key's counter (zero when there is none).
	Counter(ctx context.Context, key string) (Counter, error)
	// LockCounter sets key's locked_until.
	LockCounter(ctx context.Context, key string, until time.Time) error
	// ResetCounter forgets key's failures and lock.
	ResetCounter(ctx context.Context, key string) error

	// InsertSession stores s (ID ignored) and returns its id.
	InsertSession(ctx context.Context, s Session) (int64, error)
	// SessionByHash returns a session. Errors: ErrNotFound.
	SessionByHash(ctx context.Context, hash []byte) (Session, error)
	// TouchSession sets a session's last-seen time.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// DeleteSession removes one session of user (0: any user) and reports
	// whether it existed.
	DeleteSession(ctx context.Context, userID, id int64) (bool, error)
	// DeleteSessions removes every session of user and reports how many.
	DeleteSessions(ctx context.Context, userID int64) (int64, error)
	// Sessions lists a user's sessions, newest first.
	Sessions(ctx context.Context, userID int64) ([]Session, error)

	// Device returns a device cookie by its hash. Errors: ErrNotFound.
	Device(ctx context.Context, hash []byte) (Device, error)
	// UpsertDevice stores d or updates its last use.
	UpsertDevice(ctx context.Context, d Device) error
}

// TokenPurpose says what a one-time token is for.
type TokenPurpose string

// Token purposes.
const (
	PurposeVerifyEmail TokenPurpose = "verify_email"
	PurposeReset       TokenPurpose = "password_reset"
	PurposeLogin2FA    TokenPurpose = "login_2fa"
)

// Token is a stored one-time token: only its SHA-256 is kept.
type Token struct {
	Hash      []byte
	Purpose   TokenPurpose
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Counter is a failure counter (per email, IP or device).
type Counter struct {
	Count       int
	FirstAt     time.Time
	LockedUntil time.Time
}

// Session is a signed-in browser. The cookie holds the secret token; the
// store keeps its hash. ID is a public handle for lists and revocation.
type Session struct {
	ID          int64
	Hash        []byte
	UserID      int64
	CreatedAt   time.Time
	LastSeenAt  time.Time
	IP          string
	UserAgent   string
	DeviceLabel string
}

// Device is a browser the user has signed in from (the device cookie).
type Device struct {
	Hash       []byte
	UserID     int64
	CreatedAt  time.Time
	LastUsedAt time.Time
	Label      string
}

// Counter keys.
func emailKey(email string) string { return "email:" + email }
func ipKey(ip string) string       { return "ip:" + ip }
func deviceKey(hash []byte) string { return "device:" + base64.RawURLEncoding.EncodeToString(hash) }
func hashToken(tok string) []byte  { h := sha256.Sum256([]byte(tok)); return h[:] }
func newToken(nbytes int) string {
	b := make([]byte, nbytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
func validTokenShape(s string) bool { return s != "" && len(s) <= 128 }
