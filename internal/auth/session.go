package auth

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/audit"
)

// touchEvery limits last-seen writes to one a minute per session; the
// idle timeout is thus exact to within a minute.
const touchEvery = time.Minute

// Authenticate returns the session and user behind a session cookie,
// enforcing the idle and absolute timeouts by the injected clock; an
// expired session is deleted. Errors: ErrSessionExpired, ErrDisabled.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, User, error) {
	if !validTokenShape(token) {
		return Session{}, User{}, ErrSessionExpired
	}
	now := s.nowUTC()
	var (
		sess    Session
		u       User
		expired bool
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		sess, err = tx.SessionByHash(ctx, hashToken(token))
		if errors.Is(err, ErrNotFound) {
			return ErrSessionExpired
		}
		if err != nil {
			return err
		}
		if now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle || now.Sub(sess.CreatedAt) >= s.cfg.SessionAbsolute {
			expired = true
			_, err := tx.DeleteSession(ctx, 0, sess.ID)
			return err
		}
		if u, err = tx.User(ctx, sess.UserID); err != nil {
			return err
		}
		if now.Sub(sess.LastSeenAt) >= touchEvery {
			sess.LastSeenAt = now
			return tx.TouchSession(ctx, sess.ID, now)
		}
		return nil
	})
	if err != nil {
		return Session{}, User{}, err
	}
	if expired {
		return Session{}, User{}, ErrSessionExpired
	}
	if u.Status != StatusActive {
		return Session{}, User{}, ErrDisabled
	}
	return sess, u, nil
}

// Rotate replaces a session's id (at a privilege change) and returns the
// new cookie value; the old one stops working. The absolute timeout still
// runs from the original sign-in. Errors: ErrSessionExpired.
func (s *Service) Rotate(ctx context.Context, token string) (string, Session, error) {
	old, _, err := s.Authenticate(ctx, token)
	if err != nil {
		return "", Session{}, err
	}
	now := s.nowUTC()
	fresh := newToken(32)
	ns := old
	ns.Hash, ns.LastSeenAt = hashToken(fresh), now
	err = s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.DeleteSession(ctx, old.UserID, old.ID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrSessionExpired
		}
		ns.ID, err = tx.InsertSession(ctx, ns)
		return err
	})
	if err != nil {
		return "", Session{}, err
	}
	return fresh, ns, nil
}

// Logout ends the session behind a cookie (no error if it is gone).
func (s *Service) Logout(ctx context.Context, token, ip, userAgent string) error {
	if !validTokenShape(token) {
		return nil
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		sess, err := tx.SessionByHash(ctx, hashToken(token))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.DeleteSession(ctx, sess.UserID, sess.ID); err != nil {
			return err
		}
		tt, tid := userTarget(sess.UserID)
		return s.record(ctx, tx, audit.Event{ActorID: sess.UserID, Action: audit.Logout, TargetType: tt, TargetID: tid,
			IP: clampMeta(ip), UserAgent: clampMeta(userAgent), Details: map[string]string{"session": strconv.FormatInt(sess.ID, 10)}})
	})
}

// Revoke ends one of userID's sessions by its public id (from Sessions).
// Errors: ErrNotFound (no such session of this user).
func (s *Service) Revoke(ctx context.Context, userID, sessionID int64, ip, userAgent string) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.DeleteSession(ctx, userID, sessionID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		tt, tid := userTarget(userID)
		return s.record(ctx, tx, audit.Event{ActorID: userID, Action: audit.SessionsRevoked, TargetType: tt, TargetID: tid,
			IP: clampMeta(ip), UserAgent: clampMeta(userAgent), Details: map[string]string{"session": strconv.FormatInt(sessionID, 10)}})
	})
}

// RevokeAll ends every session of userID ("sign out everywhere") and
// reports how many ended.
func (s *Service) RevokeAll(ctx context.Context, userID int64, ip, userAgent string) (int64, error) {
	var n int64
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if n, err = tx.DeleteSessions(ctx, userID); err != nil {
			return err
		}
		tt, tid := userTarget(userID)
		return s.record(ctx, tx, audit.Event{ActorID: userID, Action: audit.SessionsRevoked, TargetType: tt, TargetID: tid,
			IP: clampMeta(ip), UserAgent: clampMeta(userAgent), Details: map[string]string{"count": strconv.FormatInt(n, 10), "scope": "all"}})
	})
	return n, err
}

// Sessions lists userID's live sessions, newest first (expired ones are
// left out).
func (s *Service) Sessions(ctx context.Context, userID int64) ([]Session, error) {
	now := s.nowUTC()
	var all []Session
	err := s.store.InTx(ctx, func(tx Tx) (err error) { all, err = tx.Sessions(ctx, userID); return err })
	if err != nil {
		return nil, err
	}
	live := all[:0]
	for _, ss := range all {
		if now.Sub(ss.LastSeenAt) < s.cfg.SessionIdle && now.Sub(ss.CreatedAt) < s.cfg.SessionAbsolute {
			ss.Hash = nil
			live = append(live, ss)
		}
	}
	return live, nil
}
