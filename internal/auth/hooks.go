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

// Purposes a second factor approves in auth.
const (
	PurposeLoginApproval = "login"
	PurposeResetApproval = "password_reset"
)

// SecondFactor is the two-factor hook; internal/auth/twofactor implements
// it. The code itself is checked (and wrong codes counted) by the
// two-factor service in its own transaction; what reaches auth is the
// proof it issued, spent here in auth's transaction so the change it
// approves and its use commit together. The default (NoSecondFactor)
// reports 2FA off for everyone.
type SecondFactor interface {
	// Enabled reports whether the user has 2FA on.
	Enabled(ctx context.Context, tx Tx, userID int64) (bool, error)
	// Approve spends proof, which must have been issued to this user for
	// purpose (PurposeLoginApproval, PurposeResetApproval), so it is never
	// accepted twice. Any error means not approved.
	Approve(ctx context.Context, tx Tx, userID int64, purpose, proof string) error
}

// NoSecondFactor is the SecondFactor with 2FA off for everyone.
type NoSecondFactor struct{}

// Enabled implements SecondFactor.
func (NoSecondFactor) Enabled(context.Context, Tx, int64) (bool, error) { return false, nil }

// Approve implements SecondFactor.
func (NoSecondFactor) Approve(context.Context, Tx, int64, string, string) error {
	return ErrSecondFactorRequired
}
