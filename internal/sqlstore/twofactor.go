package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/mail"
)

// TwoFactorStore implements twofactor.Store on both engines. Every
// single-use change is one conditional UPDATE whose affected row count says
// whether it won, so concurrent requests cannot both use one code.
type TwoFactorStore struct{ db *DB }

var _ twofactor.Store = (*TwoFactorStore)(nil)

// TwoFactor returns the second factor's store.
func (db *DB) TwoFactor() *TwoFactorStore { return &TwoFactorStore{db} }

// InTx implements twofactor.Store.
func (s *TwoFactorStore) InTx(ctx context.Context, fn func(twofactor.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(twoFactorTx{q: tx, db: s.db}) })
}

type twoFactorTx struct {
	q  Querier
	db *DB
}

func (t twoFactorTx) AppendAudit(ctx context.Context, e audit.Event) (int64, error) {
	return t.db.AuditTx(t.q).AppendAudit(ctx, e)
}

func (t twoFactorTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

func tfTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func tfNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func (t twoFactorTx) exec(ctx context.Context, what, query string, args ...any) (bool, error) {
	n, err := t.q.Exec(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	return n > 0, nil
}

func (t twoFactorTx) UserContact(ctx context.Context, userID int64) (string, string, error) {
	var email, locale string
	err := t.q.QueryRow(ctx, "SELECT email, locale FROM users WHERE id = $1", userID).Scan(&email, &locale)
	if errors.Is(err, ErrNoRows) {
		return "", "", twofactor.ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("sqlstore: user contact: %w", err)
	}
	return email, locale, nil
}

func (t twoFactorTx) TOTP(ctx context.Context, userID int64) (twofactor.TOTPRecord, error) {
	r := twofactor.TOTPRecord{UserID: userID}
	var enabled int
	var created, enabledAt int64
	err := t.q.QueryRow(ctx, `SELECT sealed, enabled, last_step, created_at, enabled_at
		FROM twofactor_totp WHERE user_id = $1`, userID).Scan(&r.Sealed, &enabled, &r.LastStep, &created, &enabledAt)
	if errors.Is(err, ErrNoRows) {
		return twofactor.TOTPRecord{}, twofactor.ErrNotFound
	}
	if err != nil {
		return twofactor.TOTPRecord{}, fmt.Errorf("sqlstore: totp of user %d: %w", userID, err)
	}
	r.Enabled, r.CreatedAt, r.EnabledAt = enabled == 1, tfTime(created), tfTime(enabledAt)
	return r, nil
}

func (t twoFactorTx) PutTOTP(ctx context.Context, r twofactor.TOTPRecord) (bool, error) {
	return t.exec(ctx, "put totp", `INSERT INTO twofactor_totp (user_id, sealed, enabled, last_step, created_at)
		VALUES ($1, $2, 0, 0, $3)
		ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at, last_step = 0
		WHERE twofactor_totp.enabled = 0`, r.UserID, r.Sealed, tfNanos(r.CreatedAt))
}

func (t twoFactorTx) EnableTOTP(ctx context.Context, userID, step int64, at time.Time) (bool, error) {
	return t.exec(ctx, "enable totp", `UPDATE twofactor_totp SET enabled = 1, last_step = $2, enabled_at = $3
		WHERE user_id = $1 AND enabled = 0`, userID, step, tfNanos(at))
}

func (t twoFactorTx) AdvanceTOTP(ctx context.Context, userID, step int64) (bool, error) {
	return t.exec(ctx, "advance totp", `UPDATE twofactor_totp SET last_step = $2
		WHERE user_id = $1 AND enabled = 1 AND last_step < $2`, userID, step)
}

func (t twoFactorTx) DeleteTOTP(ctx context.Context, userID int64) (bool, error) {
	if _, err := t.exec(ctx, "delete recovery codes", `DELETE FROM twofactor_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return false, err
	}
	return t.exec(ctx, "delete totp", `DELETE FROM twofactor_totp WHERE user_id = $1`, userID)
}

func (t twoFactorTx) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, at time.Time) error {
	if _, err := t.exec(ctx, "delete recovery codes", `DELETE FROM twofactor_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, "insert recovery code", `INSERT INTO twofactor_recovery_codes (user_id, code_hash, created_at)
			VALUES ($1, $2, $3)`, userID, h, tfNanos(at)); err != nil {
			return err
		}
	}
	return nil
}

func (t twoFactorTx) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, at time.Time) (bool, error) {
	return t.exec(ctx, "use recovery code", `UPDATE twofactor_recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at = 0`, userID, hash, tfNanos(at))
}

func (t twoFactorTx) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := t.q.QueryRow(ctx, `SELECT count(*) FROM twofactor_recovery_codes WHERE user_id = $1 AND used_at = 0`,
		userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count recovery codes: %w", err)
	}
	return n, nil
}

func (t twoFactorTx) InsertChallenge(ctx context.Context, c twofactor.Challenge) error {
	_, err := t.exec(ctx, "insert challenge", `INSERT INTO twofactor_challenges
		(id_hash, user_id, action_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		c.IDHash, c.UserID, c.ActionHash, tfNanos(c.CreatedAt), tfNanos(c.ExpiresAt))
	return err
}

func (t twoFactorTx) Challenge(ctx context.Context, idHash []byte) (twofactor.Challenge, error) {
	c := twofactor.Challenge{IDHash: idHash}
	var created, expires, emailExpires int64
	var ended int
	err := t.q.QueryRow(ctx, `SELECT user_id, action_hash, created_at, expires_at, failures, ended,
		email_code_hash, email_code_expires FROM twofactor_challenges WHERE id_hash = $1`, idHash).
		Scan(&c.UserID, &c.ActionHash, &created, &expires, &c.Failures, &ended, &c.EmailCodeHash, &emailExpires)
	if errors.Is(err, ErrNoRows) {
		return twofactor.Challenge{}, twofactor.ErrNotFound
	}
	if err != nil {
		return twofactor.Challenge{}, fmt.Errorf("sqlstore: challenge: %w", err)
	}
	if len(c.EmailCodeHash) == 0 {
		c.EmailCodeHash = nil
	}
	c.CreatedAt, c.ExpiresAt, c.EmailCodeExpires, c.Ended = tfTime(created), tfTime(expires), tfTime(emailExpires), ended == 1
	return c, nil
}

func (t twoFactorTx) RecentFailures(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int64
	err := t.q.QueryRow(ctx, `SELECT COALESCE(SUM(failures), 0) FROM twofactor_challenges
		WHERE user_id = $1 AND created_at > $2`, userID, tfNanos(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: recent 2fa failures: %w", err)
	}
	return int(n), nil
}

func (t twoFactorTx) SetEmailCode(ctx context.Context, idHash, codeHash []byte, expires time.Time) (bool, error) {
	return t.exec(ctx, "set email code", `UPDATE twofactor_challenges SET email_code_hash = $2, email_code_expires = $3
		WHERE id_hash = $1 AND ended = 0`, idHash, codeHash, tfNanos(expires))
}

func (t twoFactorTx) FailChallenge(ctx context.Context, idHash []byte) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, `UPDATE twofactor_challenges
		SET failures = failures + 1, ended = CASE WHEN failures + 1 >= $2 THEN 1 ELSE ended END
		WHERE id_hash = $1 AND ended = 0 RETURNING failures`, idHash, twofactor.MaxFailures).Scan(&n)
	if errors.Is(err, ErrNoRows) {
		return twofactor.MaxFailures, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: fail challenge: %w", err)
	}
	return n, nil
}

func (t twoFactorTx) FinishChallenge(ctx context.Context, idHash []byte, at time.Time) (bool, error) {
	return t.exec(ctx, "finish challenge", `UPDATE twofactor_challenges
		SET ended = 1, passed_at = $2, email_code_hash = $3
		WHERE id_hash = $1 AND ended = 0 AND failures < $4`, idHash, tfNanos(at), []byte{}, twofactor.MaxFailures)
}

func (t twoFactorTx) InsertStepUp(ctx context.Context, r twofactor.StepUpRecord) error {
	_, err := t.exec(ctx, "insert step-up", `INSERT INTO twofactor_step_ups (token_hash, user_id, action_hash, expires_at)
		VALUES ($1, $2, $3, $4)`, r.TokenHash, r.UserID, r.ActionHash, tfNanos(r.ExpiresAt))
	return err
}

func (t twoFactorTx) UseStepUp(ctx context.Context, tokenHash []byte, userID int64, actionHash []byte, now time.Time) (bool, error) {
	return t.exec(ctx, "use step-up", `UPDATE twofactor_step_ups SET used_at = $4
		WHERE token_hash = $1 AND user_id = $2 AND action_hash = $3 AND used_at = 0 AND expires_at > $4`,
		tokenHash, userID, actionHash, tfNanos(now))
}
