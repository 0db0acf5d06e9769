package auth

import (
	"context"
	"time"
)

// MailKind names an email auth sends.
type MailKind string

// Mail kinds.
const (
	MailVerifyEmail     MailKind = "verify_email"
	MailResetPassword   MailKind = "reset_password"
	MailPasswordChanged MailKind = "password_changed"
	MailNewDevice       MailKind = "new_device"
)

// Mail is an email to send: the Mailer composes it in the user's language.
type Mail struct {
	Kind    MailKind
	To      string // normalised email
	Locale  string
	Token   string    // the secret for the link (verify, reset); empty otherwise
	Expires time.Time // when Token expires
	At      time.Time // when the event happened
	IP      string
	Agent   string
}

// Mailer queues an email inside tx (normally through tx.Outbox()), so it
// is sent only if tx commits. cmd/okpay implements it with internal/mail
// and the message catalogues.
type Mailer interface {
	Send(ctx context.Context, tx Tx, m Mail) error
}

// SecondFactor is the two-factor hook; internal/auth/twofactor implements
// it. The default (NoSecondFactor) reports 2FA off for everyone.
type SecondFactor interface {
	// Enabled reports whether the user has 2FA on.
	Enabled(ctx context.Context, tx Tx, userID int64) (bool, error)
	// Verify checks a code (TOTP, email code or recovery code) and
	// records its use so it is never accepted twice.
	// Errors: any error means the code was not accepted.
	Verify(ctx context.Context, tx Tx, userID int64, code string) error
}

// NoSecondFactor is the SecondFactor with 2FA off for everyone.
type NoSecondFactor struct{}

// Enabled implements SecondFactor.
func (NoSecondFactor) Enabled(context.Context, Tx, int64) (bool, error) { return false, nil }

// Verify implements SecondFactor.
func (NoSecondFactor) Verify(context.Context, Tx, int64, string) error {
	return ErrSecondFactorRequired
}
