// Package audit owns the append-only record of security events (logins,
// lockouts, password resets, 2FA changes, new devices) and of every staff
// action: who did what to what, when, and from where.
//
// Invariants it keeps:
//   - Records are only ever appended. The package has no update or delete
//     API, and the table refuses UPDATE and DELETE itself (database
//     triggers on both engines), so not even a bug elsewhere can edit one.
//   - A record is written through the caller's transaction (Record takes an
//     Appender bound to it), so it exists exactly when the change it
//     describes committed.
//   - An event that comes from outside (user agent, details copied from a
//     form) is clamped, never refused: a hostile user agent must not be able
//     to keep a failed login out of the log. Only programming mistakes (no
//     action, an action that is not snake_case) are errors.
//
// Staff read it with List: filters on actor, action, target and time, newest
// first, in pages linked by an opaque cursor.
//
// The package knows no SQL: sqlstore implements Appender and Reader.
package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors returned by the package.
var (
	// ErrInvalidEvent: the event has no action, or its action is not
	// snake_case, or it carries too many details. A programming mistake.
	ErrInvalidEvent = errors.New("audit: invalid event")
	// ErrInvalidCursor: a cursor List did not hand out.
	ErrInvalidCursor = errors.New("audit: invalid cursor")
	// ErrInvalidFilter: a negative limit or actor, or Since after Until.
	ErrInvalidFilter = errors.New("audit: invalid filter")
)

// Actions of this issue. Other packages may record their own actions; they
// must be stable snake_case, since staff filter on them and they outlive
// the code that wrote them.
const (
	LoginSucceeded         = "login_succeeded"
	LoginFailed            = "login_failed"
	AccountLocked          = "account_locked"
	AccountUnlocked        = "account_unlocked"
	NewDeviceLogin         = "new_device_login"
	Logout                 = "logout"
	SessionsRevoked        = "sessions_revoked"
	PasswordResetRequested = "password_reset_requested"
	PasswordChanged        = "password_changed"
	EmailVerified          = "email_verified"
	TwoFactorEnabled       = "two_factor_enabled"
	TwoFactorDisabled      = "two_factor_disabled"
	RecoveryCodesCreated   = "recovery_codes_created"
	UserCreated            = "user_created"
	RoleChanged            = "role_changed"
)

// Limits on what one record keeps. Longer text is cut (at a rune
// boundary), never refused.
const (
	MaxActionLen     = 64
	MaxDetails       = 32
	maxShortLen      = 128 // actor role, target type and id, IP, detail keys
	maxUserAgentLen  = 512
	maxDetailValueLn = 1024
)

// Event is one audit record.
type Event struct {
	// ID is set by the store: increasing in the order records were written.
	ID int64
	// At is when it happened, in UTC; zero means now by the store's clock.
	At time.Time
	// ActorID is the user who acted; 0 means none (an anonymous visitor, a
	// failed login for an unknown email, the system).
	ActorID int64
	// ActorRole is the actor's role when acting (customer, agent,
	// supervisor, admin, system).
	ActorRole string
	// Action is what happened, stable snake_case: "login_succeeded".
	Action string
	// TargetType and TargetID name what it happened to ("user", "42").
	TargetType string
	TargetID   string
	// IP and UserAgent say where the request came from.
	IP        string
	UserAgent string
	// Details are further facts as text ("reason": "wrong_password"). Plain
	// strings keep every record readable as a key/value table and free of
	// floating point; never put a secret here (passwords, tokens, codes).
	Details map[string]string
}

// Appender adds records to the log; sqlstore implements it bound to one
// transaction, so that the record commits or rolls back with the change.
type Appender interface {
	// AppendAudit stores e, which Record has already checked and clamped,
	// and returns its id; a zero e.At means now by the store's clock.
	AppendAudit(ctx context.Context, e Event) (int64, error)
}

// Record checks e, clamps what came from outside, and appends it through a.
// Errors: ErrInvalidEvent, and the Appender's.
func Record(ctx context.Context, a Appender, e Event) error {
	e, err := normalize(e)
	if err != nil {
		return err
	}
	if _, err := a.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

func normalize(e Event) (Event, error) {
	if !validAction(e.Action) {
		return e, fmt.Errorf("%w: action %q must be snake_case, 1 to %d characters", ErrInvalidEvent, clamp(e.Action, MaxActionLen), MaxActionLen)
	}
	if e.ActorID < 0 {
		return e, fmt.Errorf("%w: negative actor id %d", ErrInvalidEvent, e.ActorID)
	}
	if len(e.Details) > MaxDetails {
		return e, fmt.Errorf("%w: %d details, at most %d", ErrInvalidEvent, len(e.Details), MaxDetails)
	}
	e.ID = 0
	if !e.At.IsZero() {
		e.At = e.At.UTC()
	}
	e.ActorRole = clamp(e.ActorRole, maxShortLen)
	e.TargetType = clamp(e.TargetType, maxShortLen)
	e.TargetID = clamp(e.TargetID, maxShortLen)
	e.IP = clamp(e.IP, maxShortLen)
	e.UserAgent = clamp(e.UserAgent, maxUserAgentLen)
	if len(e.Details) > 0 {
		d := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			d[clamp(k, maxShortLen)] = clamp(v, maxDetailValueLn)
		}
		e.Details = d
	}
	return e, nil
}

// validAction: lower-case ASCII letters, digits and underscores, starting
// with a letter.
func validAction(s string) bool {
	if s == "" || len(s) > MaxActionLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// clamp makes s valid UTF-8 without control characters and at most n
// bytes long, cut at a rune boundary.
func clamp(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
