package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/okpay/okpay/internal/audit"
)

// ResetRequest asks for a password-reset email.
type ResetRequest struct {
	Email, IP, UserAgent string
}

// RequestReset queues a reset link for a registered email and does the
// same work otherwise (a token is made and an audit record written), so
// the answer, nil, says nothing about whether the email is registered. A
// newer request supersedes older links. Errors: *ValidationError (a
// malformed email, which cannot be registered).
func (s *Service) RequestReset(ctx context.Context, r ResetRequest) error {
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		return err
	}
	now := s.nowUTC()
	tok := newToken(16)
	exp := now.Add(s.cfg.ResetTTL)
	return s.store.InTx(ctx, func(tx Tx) error {
		e := audit.Event{Action: audit.PasswordResetRequested, TargetType: "email", TargetID: email,
			IP: clampMeta(r.IP), UserAgent: clampMeta(r.UserAgent), Details: map[string]string{"email": email}}
		u, err := tx.UserByEmail(ctx, email)
		if errors.Is(err, ErrNotFound) {
			e.Details["known"] = "false"
			return s.record(ctx, tx, e)
		}
		if err != nil {
			return err
		}
		e.TargetType, e.TargetID = userTarget(u.ID)
		e.Details["known"] = "true"
		if _, err := tx.DeleteTokens(ctx, u.ID, PurposeReset); err != nil {
			return err
		}
		if err := tx.InsertToken(ctx, Token{Hash: hashToken(tok), Purpose: PurposeReset, UserID: u.ID, CreatedAt: now, ExpiresAt: exp}); err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, tx, Mail{Kind: MailResetPassword, To: u.Email, Locale: u.Locale, Token: tok, Expires: exp, At: now}); err != nil {
			return err
		}
		return s.record(ctx, tx, e)
	})
}

// ResetPasswordRequest sets a new password with a reset token.
type ResetPasswordRequest struct {
	Token, NewPassword string
	// Proof is the two-factor proof for PurposeResetApproval, required
	// when the user has 2FA on (see ResetTarget).
	Proof         string
	IP, UserAgent string
}

// ResetPassword consumes a reset token and sets the new password; it
// clears the email's lockout, ends every session, queues a "password
// changed" email and audits. It does not sign in. When the user has 2FA
// on, a refused or missing Proof refuses it and leaves the token usable.
// Errors: *ValidationError, ErrTokenInvalid, ErrTokenExpired,
// ErrSecondFactorRequired.
func (s *Service) ResetPassword(ctx context.Context, r ResetPasswordRequest) (User, error) {
	if !validTokenShape(r.Token) {
		return User{}, ErrTokenInvalid
	}
	pw, err := ValidatePassword(r.NewPassword)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return User{}, fmt.Errorf("auth: reset password: %w", err)
	}
	now := s.nowUTC()
	ip, ua := clampMeta(r.IP), clampMeta(r.UserAgent)
	var u User
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := s.takeToken(ctx, tx, PurposeReset, r.Token, now)
		if err != nil {
			return err
		}
		if u, err = tx.User(ctx, t.UserID); err != nil {
			return err
		}
		on, err := s.second.Enabled(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if on {
			if r.Proof == "" {
				return ErrSecondFactorRequired
			}
			if err := s.second.Approve(ctx, tx, u.ID, PurposeResetApproval, r.Proof); err != nil {
				return fmt.Errorf("%w: %w", ErrSecondFactorRequired, err)
			}
		}
		if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		// The link proves the mailbox: it verifies the email too.
		if err := tx.MarkEmailVerified(ctx, u.ID, now); err != nil {
			return err
		}
		if err := tx.ResetCounter(ctx, emailKey(u.Email)); err != nil {
			return err
		}
		n, err := tx.DeleteSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, tx, Mail{Kind: MailPasswordChanged, To: u.Email, Locale: u.Locale, At: now, IP: ip, Agent: ua}); err != nil {
			return err
		}
		tt, tid := userTarget(u.ID)
		return s.record(ctx, tx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), Action: audit.PasswordChanged,
			TargetType: tt, TargetID: tid, IP: ip, UserAgent: ua,
			Details: map[string]string{"via": "reset", "sessions_revoked": fmt.Sprint(n), "lockout_cleared": "true"}})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// ResetTarget says whose reset token this is and whether the reset will
// need a second factor, without using the token, so the reset page can
// ask for the code. Errors: ErrTokenInvalid, ErrTokenExpired.
func (s *Service) ResetTarget(ctx context.Context, token string) (u User, twoFactor bool, err error) {
	if !validTokenShape(token) {
		return User{}, false, ErrTokenInvalid
	}
	now := s.nowUTC()
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.PeekToken(ctx, PurposeReset, hashToken(token))
		if errors.Is(err, ErrNotFound) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		if !now.Before(t.ExpiresAt) {
			return ErrTokenExpired
		}
		if u, err = tx.User(ctx, t.UserID); err != nil {
			return err
		}
		twoFactor, err = s.second.Enabled(ctx, tx, u.ID)
		return err
	})
	return u, twoFactor, err
}
