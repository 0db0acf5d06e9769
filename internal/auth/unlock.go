package auth

import (
	"context"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/audit"
)

// LockState is whether a user's sign-in is locked (by wrong passwords
// for their email), until when and why.
type LockState struct {
	Locked bool
	Until  time.Time
	Reason LockReason
}

// LockState returns the user's sign-in lock at now. Errors: ErrNotFound.
func (s *Service) LockState(ctx context.Context, userID int64) (LockState, error) {
	var st LockState
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		c, err := tx.Counter(ctx, emailKey(u.Email))
		if err != nil {
			return err
		}
		if s.nowUTC().Before(c.LockedUntil) {
			st = LockState{Locked: true, Until: c.LockedUntil, Reason: LockFailedPasswords}
		}
		return nil
	})
	return st, err
}

// Unlock clears the wrong-password lock of the user's email, for staff
// acting on a support case (by is the staff member), and audits it with
// the reason given (a ticket number). Errors: ErrNotFound.
func (s *Service) Unlock(ctx context.Context, userID int64, by Actor, reason, ip, userAgent string) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if err := tx.ResetCounter(ctx, emailKey(u.Email)); err != nil {
			return err
		}
		tt, tid := userTarget(u.ID)
		return s.record(ctx, tx, audit.Event{ActorID: by.UserID, ActorRole: string(by.Role), Action: audit.AccountUnlocked,
			TargetType: tt, TargetID: tid, IP: clampMeta(ip), UserAgent: clampMeta(userAgent),
			Details: map[string]string{"reason": reason, "by": strconv.FormatInt(by.UserID, 10)}})
	})
}
