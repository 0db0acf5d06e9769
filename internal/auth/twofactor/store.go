package twofactor

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/mail"
)

// Store runs the package's changes in transactions; sqlstore implements it
// on both engines.
type Store interface {
	// InTx runs fn in one transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is the store inside one transaction. Every method that changes a
// single-use thing is one conditional statement reporting whether it took
// effect, so two requests racing for the same code cannot both win.
type Tx interface {
	// AppendAudit writes an audit record in this transaction.
	audit.Appender
	// Outbox queues mail in this transaction (for a Mailer).
	Outbox() mail.OutboxTx

	// UserContact returns the user's email and language, for an email
	// code. Errors: ErrNotFound.
	UserContact(ctx context.Context, userID int64) (email, locale string, err error)

	// TOTP returns the user's TOTP row. Errors: ErrNotFound.
	TOTP(ctx context.Context, userID int64) (TOTPRecord, error)
	// PutTOTP stores a pending (not enabled) secret for the user, replacing
	// a pending one. It reports false, changing nothing, when TOTP is
	// already enabled for the user.
	PutTOTP(ctx context.Context, r TOTPRecord) (bool, error)
	// EnableTOTP turns the pending secret on, with step as the last
	// accepted step; false when there is no pending secret.
	EnableTOTP(ctx context.Context, userID, step int64, at time.Time) (bool, error)
	// AdvanceTOTP records step as the last accepted one when it is later
	// than the recorded one and TOTP is enabled; false otherwise.
	AdvanceTOTP(ctx context.Context, userID, step int64) (bool, error)
	// DeleteTOTP removes the user's TOTP row and recovery codes; false when
	// there was none.
	DeleteTOTP(ctx context.Context, userID int64) (bool, error)

	// ReplaceRecoveryCodes drops the user's recovery codes and stores these
	// (hashes).
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, at time.Time) error
	// UseRecoveryCode marks the unused code with this hash used; false when
	// there is none.
	UseRecoveryCode(ctx context.Context, userID int64, hash []byte, at time.Time) (bool, error)
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID int64) (int, error)

	// InsertChallenge stores a new challenge.
	InsertChallenge(ctx context.Context, c Challenge) error
	// Challenge returns the challenge with this id hash. Errors: ErrNotFound.
	Challenge(ctx context.Context, idHash []byte) (Challenge, error)
	// RecentFailures counts the wrong codes against the user's challenges
	// begun after since.
	RecentFailures(ctx context.Context, userID int64, since time.Time) (int, error)
	// SetEmailCode stores the hash and expiry of the email code of an open
	// challenge, replacing an earlier one; false when it is not open.
	SetEmailCode(ctx context.Context, idHash, codeHash []byte, expires time.Time) (bool, error)
	// FailChallenge counts one wrong code against an open challenge and
	// returns the count; at MaxFailures the challenge is ended.
	FailChallenge(ctx context.Context, idHash []byte) (int, error)
	// FinishChallenge ends an open challenge as passed; false when it was
	// no longer open.
	FinishChallenge(ctx context.Context, idHash []byte, at time.Time) (bool, error)

	// InsertStepUp stores a step-up token.
	InsertStepUp(ctx context.Context, s StepUpRecord) error
	// UseStepUp marks the token used when it is unused, unexpired at now,
	// the user's, and bound to actionHash; false otherwise.
	UseStepUp(ctx context.Context, tokenHash []byte, userID int64, actionHash []byte, now time.Time) (bool, error)
}

// TOTPRecord is a user's TOTP secret as stored: sealed, bound to the user.
type TOTPRecord struct {
	UserID    int64
	Sealed    []byte
	Enabled   bool
	LastStep  int64
	CreatedAt time.Time
	EnabledAt time.Time // zero while pending
}

// Challenge is a pending second-factor check, for a login or a step-up.
type Challenge struct {
	IDHash     []byte
	UserID     int64
	ActionHash []byte // what passing it approves
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Failures   int
	// Ended is true once passed or after MaxFailures wrong codes.
	Ended bool
	// EmailCodeHash and EmailCodeExpires are the email code sent, if any.
	EmailCodeHash    []byte
	EmailCodeExpires time.Time
}

// StepUpRecord is a step-up token as stored.
type StepUpRecord struct {
	TokenHash  []byte
	UserID     int64
	ActionHash []byte
	ExpiresAt  time.Time
}
