package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/audit"
)

// LoginRequest is a password sign-in.
type LoginRequest struct {
	Email, Password string
	IP, UserAgent   string
	// DeviceToken is the device cookie, if the browser has one.
	DeviceToken string
	// DeviceLabel describes the browser for the session list ("Firefox on
	// Linux"); empty uses the user agent.
	DeviceLabel string
}

// LoginResult is a successful sign-in.
type LoginResult struct {
	User User
	// SessionToken is the session cookie's value (empty while a second
	// factor is pending).
	SessionToken string
	Session      Session
	// DeviceToken is the device cookie to set (a fresh one for a new
	// device, else the one presented).
	DeviceToken string
	NewDevice   bool
	// Challenge is set instead of a session when the user has 2FA on:
	// pass it with the code to LoginSecondFactor.
	Challenge string
}

// Login checks a password and starts a session. A locked email (or
// device) is refused before the password is checked; an unknown email
// runs the hasher against a dummy hash and is counted and locked exactly
// like a known one. Errors: *ValidationError, ErrInvalidCredentials,
// ErrLocked, ErrThrottled, ErrDisabled.
func (s *Service) Login(ctx context.Context, r LoginRequest) (LoginResult, error) {
	r.IP, r.UserAgent, r.DeviceLabel = clampMeta(r.IP), clampMeta(r.UserAgent), clampMeta(r.DeviceLabel)
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		return LoginResult{}, err
	}
	if r.Password == "" {
		return LoginResult{}, invalid("password", CodeRequired)
	}
	if len(r.Password) > maxInputBytes {
		return LoginResult{}, invalid("password", CodeTooLong)
	}
	pw := r.Password
	if p, err := ValidatePassword(pw); err == nil {
		pw = p // NFC, as at sign-up; a password failing the rules now may predate them
	}
	now := s.nowUTC()

	// Phase 1: throttle, device and lock checks, and the user's hash.
	var (
		u          User
		known      bool
		device     Device
		haveDevice bool
		lockKey    string
	)
	err = s.store.InTx(ctx, func(tx Tx) error {
		if r.IP != "" {
			c, err := tx.Counter(ctx, ipKey(r.IP))
			if err != nil {
				return err
			}
			if c.Count >= s.cfg.IPMaxFailures && now.Sub(c.FirstAt) < s.cfg.IPWindow {
				return ErrThrottled
			}
		}
		if validTokenShape(r.DeviceToken) {
			d, err := tx.Device(ctx, hashToken(r.DeviceToken))
			switch {
			case err == nil:
				if now.Sub(d.LastUsedAt) < s.cfg.DeviceTTL {
					device, haveDevice = d, true
				}
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		var err error
		u, err = tx.UserByEmail(ctx, email)
		switch {
		case err == nil:
			known = true
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if haveDevice && (!known || device.UserID != u.ID) {
			haveDevice = false // another user's device: no exemption
		}
		lockKey = emailKey(email)
		if haveDevice {
			lockKey = deviceKey(device.Hash)
		}
		c, err := tx.Counter(ctx, lockKey)
		if err != nil {
			return err
		}
		if now.Before(c.LockedUntil) {
			return ErrLocked{Until: c.LockedUntil, Reason: LockFailedPasswords}
		}
		return nil
	})
	if err != nil {
		var lk ErrLocked
		if errors.Is(err, ErrThrottled) || errors.As(err, &lk) {
			reason := "throttled"
			if errors.As(err, &lk) {
				reason = "locked"
			}
			if aerr := s.auditFailure(ctx, u, known, email, r, reason); aerr != nil {
				return LoginResult{}, aerr
			}
		}
		return LoginResult{}, err
	}

	// Phase 2: the password, outside any transaction (it is slow), with
	// the same work for unknown emails.
	hash := u.PasswordHash
	if !known || hash == "" {
		if hash, err = s.dummyHash(ctx); err != nil {
			return LoginResult{}, fmt.Errorf("auth: login: %w", err)
		}
	}
	ok, err := s.hasher.Verify(ctx, hash, pw)
	if err != nil && !errors.Is(err, ErrBadHash) {
		return LoginResult{}, fmt.Errorf("auth: login: %w", err)
	}
	ok = ok && known && u.PasswordHash != ""

	if !ok {
		return LoginResult{}, s.loginFailed(ctx, u, known, email, lockKey, r, now)
	}
	if u.Status != StatusActive {
		if err := s.auditFailure(ctx, u, known, email, r, "disabled"); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, ErrDisabled
	}

	var res LoginResult
	err = s.store.InTx(ctx, func(tx Tx) error {
		// Success clears the counter it was checked against: the email's,
		// or for a device-cookie browser the device's only, so the owner
		// signing in from a known browser does not lift a lock that
		// others caused for everyone else.
		if err := tx.ResetCounter(ctx, lockKey); err != nil {
			return err
		}
		on, err := s.second.Enabled(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if on {
			res.Challenge = newToken(32)
			res.User = u
			tt, tid := userTarget(u.ID)
			if err := s.record(ctx, tx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), Action: "login_second_factor_required",
				TargetType: tt, TargetID: tid, IP: r.IP, UserAgent: r.UserAgent}); err != nil {
				return err
			}
			return tx.InsertToken(ctx, Token{Hash: hashToken(res.Challenge), Purpose: PurposeLogin2FA, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ChallengeTTL)})
		}
		res, err = s.startSession(ctx, tx, u, r, now)
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

// LoginSecondFactor completes a login that Login answered with a
// Challenge, given the proof the two-factor check issued for the login
// (see SecondFactor). A refused proof leaves the challenge usable until
// it expires. Errors: ErrTokenInvalid, ErrTokenExpired,
// ErrSecondFactorRequired (the proof was refused).
func (s *Service) LoginSecondFactor(ctx context.Context, challenge, proof string, r LoginRequest) (LoginResult, error) {
	if !validTokenShape(challenge) {
		return LoginResult{}, ErrTokenInvalid
	}
	r.IP, r.UserAgent, r.DeviceLabel = clampMeta(r.IP), clampMeta(r.UserAgent), clampMeta(r.DeviceLabel)
	now := s.nowUTC()
	var res LoginResult
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := s.takeToken(ctx, tx, PurposeLogin2FA, challenge, now)
		if err != nil {
			return err
		}
		if err := s.second.Approve(ctx, tx, t.UserID, PurposeLoginApproval, proof); err != nil {
			return fmt.Errorf("%w: %w", ErrSecondFactorRequired, err)
		}
		u, err := tx.User(ctx, t.UserID)
		if err != nil {
			return err
		}
		res, err = s.startSession(ctx, tx, u, r, now)
		return err
	})
	return res, err
}

// PendingLogin returns the user of a login waiting for its second factor.
// Errors: ErrTokenInvalid, ErrTokenExpired.
func (s *Service) PendingLogin(ctx context.Context, challenge string) (int64, error) {
	if !validTokenShape(challenge) {
		return 0, ErrTokenInvalid
	}
	var t Token
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		t, err = tx.PeekToken(ctx, PurposeLogin2FA, hashToken(challenge))
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, ErrTokenInvalid
	case err != nil:
		return 0, err
	case !s.nowUTC().Before(t.ExpiresAt):
		return 0, ErrTokenExpired
	}
	return t.UserID, nil
}

func (s *Service) startSession(ctx context.Context, tx Tx, u User, r LoginRequest, now time.Time) (LoginResult, error) {
	res := LoginResult{User: u}
	// The device cookie: keep a valid one of this user's, else mint one.
	if validTokenShape(r.DeviceToken) {
		if d, err := tx.Device(ctx, hashToken(r.DeviceToken)); err == nil && d.UserID == u.ID && now.Sub(d.LastUsedAt) < s.cfg.DeviceTTL {
			res.DeviceToken = r.DeviceToken
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return res, err
		}
	}
	if res.DeviceToken == "" {
		res.DeviceToken, res.NewDevice = newToken(32), true
	}
	label := r.DeviceLabel
	if label == "" {
		label = r.UserAgent
	}
	if err := tx.UpsertDevice(ctx, Device{Hash: hashToken(res.DeviceToken), UserID: u.ID, CreatedAt: now, LastUsedAt: now, Label: label}); err != nil {
		return res, err
	}
	res.SessionToken = newToken(32)
	res.Session = Session{Hash: hashToken(res.SessionToken), UserID: u.ID, CreatedAt: now, LastSeenAt: now, IP: r.IP, UserAgent: r.UserAgent, DeviceLabel: label}
	id, err := tx.InsertSession(ctx, res.Session)
	if err != nil {
		return res, err
	}
	res.Session.ID = id
	tt, tid := userTarget(u.ID)
	if err := s.record(ctx, tx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), Action: audit.LoginSucceeded,
		TargetType: tt, TargetID: tid, IP: r.IP, UserAgent: r.UserAgent,
		Details: map[string]string{"session": strconv.FormatInt(id, 10)}}); err != nil {
		return res, err
	}
	if res.NewDevice {
		if err := s.record(ctx, tx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), Action: audit.NewDeviceLogin,
			TargetType: tt, TargetID: tid, IP: r.IP, UserAgent: r.UserAgent}); err != nil {
			return res, err
		}
		if err := s.mailer.Send(ctx, tx, Mail{Kind: MailNewDevice, To: u.Email, Locale: u.Locale, At: now, IP: r.IP, Agent: r.UserAgent}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// loginFailed counts a wrong password against the IP and the email (or
// the device), locks at the threshold, and audits.
func (s *Service) loginFailed(ctx context.Context, u User, known bool, email, lockKey string, r LoginRequest, now time.Time) error {
	var locked *ErrLocked
	err := s.store.InTx(ctx, func(tx Tx) error {
		locked = nil
		if r.IP != "" {
			if _, err := tx.AddFailure(ctx, ipKey(r.IP), now, s.cfg.IPWindow); err != nil {
				return err
			}
		}
		c, err := tx.AddFailure(ctx, lockKey, now, s.cfg.FailureWindow)
		if err != nil {
			return err
		}
		if err := s.auditFailureTx(ctx, tx, u, known, email, r, "wrong_password"); err != nil {
			return err
		}
		if c.Count >= s.cfg.MaxFailures && !now.Before(c.LockedUntil) {
			until := now.Add(s.cfg.LockDuration)
			if err := tx.LockCounter(ctx, lockKey, until); err != nil {
				return err
			}
			locked = &ErrLocked{Until: until, Reason: LockFailedPasswords}
			tt, tid := "email", email
			if known {
				tt, tid = userTarget(u.ID)
			}
			return s.record(ctx, tx, audit.Event{Action: audit.AccountLocked, TargetType: tt, TargetID: tid, IP: r.IP, UserAgent: r.UserAgent,
				Details: map[string]string{"email": email, "until": until.Format(time.RFC3339), "reason": string(LockFailedPasswords), "scope": scopeOf(lockKey)}})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if locked != nil {
		return *locked
	}
	return ErrInvalidCredentials
}

func scopeOf(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			return key[:i]
		}
	}
	return key
}

func (s *Service) auditFailure(ctx context.Context, u User, known bool, email string, r LoginRequest, reason string) error {
	return s.store.InTx(ctx, func(tx Tx) error { return s.auditFailureTx(ctx, tx, u, known, email, r, reason) })
}

// auditFailureTx records a failed login. Unknown emails are recorded by
// email with no actor, so staff can see attacks on unregistered addresses.
func (s *Service) auditFailureTx(ctx context.Context, tx Tx, u User, known bool, email string, r LoginRequest, reason string) error {
	e := audit.Event{Action: audit.LoginFailed, TargetType: "email", TargetID: email, IP: r.IP, UserAgent: r.UserAgent,
		Details: map[string]string{"reason": reason, "email": email}}
	if known {
		e.TargetType, e.TargetID = userTarget(u.ID)
	}
	return s.record(ctx, tx, e)
}
