// Package auth owns accounts and their security: users, passwords, sign-up
// and email verification, login with lockout and throttling, device
// cookies, database sessions, password reset and the one authorisation
// check every handler uses.
//
// Invariants it keeps:
//   - Secrets are never stored: passwords as argon2id hashes, every token
//     (verification, reset, session, device) as its SHA-256. Tokens carry at
//     least 128 bits from crypto/rand (sessions 256).
//   - An attacker without the password learns nothing about whether an
//     email is registered: login failures are counted per normalised email
//     whether or not a user has it, an unknown email locks exactly like a
//     known one, and it costs the same hashing work (one Hasher.Verify
//     against a dummy hash). Password reset answers the same for both.
//   - Counters live in the database (Store), so every node sees them.
//   - Each change commits together with its audit record and its email
//     (Mailer writes to the outbox in the same transaction).
//   - Login does not require a verified email: an unverified account can
//     sign in (and is shown how to verify); what needs a verified email
//     (moving money) checks User.EmailVerified itself. Refusing the login
//     would tell an attacker the password was right.
//
// The package knows no HTTP or SQL: sqlstore implements Store.
package auth

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by the package. Validation problems are *ValidationError.
var (
	// ErrInvalidCredentials: wrong email or password (never says which).
	ErrInvalidCredentials = errors.New("auth: invalid email or password")
	// ErrThrottled: too many failures from this IP address; try later.
	ErrThrottled = errors.New("auth: too many attempts from this address")
	// ErrEmailTaken: sign-up with an email that already has an account.
	ErrEmailTaken = errors.New("auth: email already registered")
	// ErrNotFound: no such user, session or token.
	ErrNotFound = errors.New("auth: not found")
	// ErrTokenInvalid: a verification or reset token that is unknown,
	// already used, or superseded by a newer one.
	ErrTokenInvalid = errors.New("auth: invalid or used token")
	// ErrTokenExpired: a token past its expiry.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrSessionExpired: no such session, or it passed its idle or
	// absolute timeout, or it was revoked.
	ErrSessionExpired = errors.New("auth: session expired")
	// ErrDisabled: the account is disabled by staff.
	ErrDisabled = errors.New("auth: account disabled")
	// ErrSecondFactorRequired: the user has 2FA on and no (or a wrong)
	// code came with the request.
	ErrSecondFactorRequired = errors.New("auth: second factor required")
	// ErrUnauthenticated: Authorize with no signed-in actor.
	ErrUnauthenticated = errors.New("auth: not signed in")
	// ErrForbidden: Authorize refused the action.
	ErrForbidden = errors.New("auth: forbidden")
)

// LockReason says why a login is locked.
type LockReason string

// Lock reasons.
const (
	// LockFailedPasswords: too many wrong passwords for this email (or,
	// for a device-cookie browser, from this device).
	LockFailedPasswords LockReason = "failed_passwords"
)

// ErrLocked is returned by Login while the email (or device) is locked:
// until when, and why. errors.Is(err, ErrLocked{}) matches any lock.
type ErrLocked struct {
	Until  time.Time
	Reason LockReason
}

func (e ErrLocked) Error() string {
	return fmt.Sprintf("auth: locked until %s (%s)", e.Until.UTC().Format(time.RFC3339), e.Reason)
}

// Is makes errors.Is(err, ErrLocked{}) true for every lock.
func (ErrLocked) Is(target error) bool {
	_, ok := target.(ErrLocked)
	return ok
}

// ValidationError is bad input: Field names the form field, Code is a
// stable snake_case reason the web layer translates.
type ValidationError struct {
	Field string
	Code  string
}

func (e *ValidationError) Error() string { return "auth: invalid " + e.Field + ": " + e.Code }

// Validation codes.
const (
	CodeRequired    = "required"
	CodeTooLong     = "too_long"
	CodeTooShort    = "too_short"
	CodeInvalid     = "invalid"
	CodeInvalidUTF8 = "invalid_utf8"
	CodeCommon      = "common_password"
)

func invalid(field, code string) error { return &ValidationError{Field: field, Code: code} }

// Config holds the tunable limits; zero fields take the defaults.
type Config struct {
	// MaxFailures wrong passwords per email (or per device) lock it
	// (default 5), for LockDuration (default 30 min). Failures older than
	// FailureWindow (default 1 h) are forgotten.
	MaxFailures   int
	LockDuration  time.Duration
	FailureWindow time.Duration
	// IPMaxFailures failures from one IP within IPWindow throttle it
	// (defaults 20 per 15 min).
	IPMaxFailures int
	IPWindow      time.Duration
	// SessionIdle and SessionAbsolute end a session (defaults 30 min, 12 h).
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// VerifyTTL (default 24 h) and ResetTTL (default 60 min) bound tokens.
	VerifyTTL time.Duration
	ResetTTL  time.Duration
	// ChallengeTTL bounds a pending second-factor login (default 5 min).
	ChallengeTTL time.Duration
	// DeviceTTL is how long a device cookie is honoured (default 180 days).
	DeviceTTL time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.IPMaxFailures <= 0 {
		c.IPMaxFailures = 20
	}
	def(&c.LockDuration, 30*time.Minute)
	def(&c.FailureWindow, time.Hour)
	def(&c.IPWindow, 15*time.Minute)
	def(&c.SessionIdle, 30*time.Minute)
	def(&c.SessionAbsolute, 12*time.Hour)
	def(&c.VerifyTTL, 24*time.Hour)
	def(&c.ResetTTL, 60*time.Minute)
	def(&c.ChallengeTTL, 5*time.Minute)
	def(&c.DeviceTTL, 180*24*time.Hour)
	return c
}
