package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/audit"
)

// Options configure a Service. Store, Hasher and Mailer are required.
type Options struct {
	Store        Store
	Hasher       Hasher
	Mailer       Mailer
	SecondFactor SecondFactor     // nil: NoSecondFactor
	Now          func() time.Time // nil: time.Now
	Config       Config
}

// Service is the accounts and security core. It is safe for concurrent use.
type Service struct {
	store  Store
	hasher Hasher
	mailer Mailer
	second SecondFactor
	now    func() time.Time
	cfg    Config

	dummyOnce sync.Once
	dummy     string
	dummyErr  error
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, hasher: o.Hasher, mailer: o.Mailer, second: o.SecondFactor, now: o.Now, cfg: o.Config.withDefaults()}
	if s.second == nil {
		s.second = NoSecondFactor{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Config returns the effective configuration (defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// dummyHash is the hash an unknown email's password is checked against,
// made with the same hasher and parameters as real ones so it costs the
// same.
func (s *Service) dummyHash(ctx context.Context) (string, error) {
	s.dummyOnce.Do(func() { s.dummy, s.dummyErr = s.hasher.Hash(ctx, newToken(16)) })
	return s.dummy, s.dummyErr
}

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

func userTarget(id int64) (string, string) { return "user", strconv.FormatInt(id, 10) }

func (s *Service) record(ctx context.Context, tx Tx, e audit.Event) error {
	if e.At.IsZero() {
		e.At = s.nowUTC()
	}
	return audit.Record(ctx, tx.Audit(), e)
}

// SignUpRequest is a customer's sign-up.
type SignUpRequest struct {
	Email, Password, Phone, Locale string
	IP, UserAgent                  string
}

// SignUp creates a customer account and queues the verification email, in
// one transaction with its audit record. Errors: *ValidationError,
// ErrEmailTaken.
func (s *Service) SignUp(ctx context.Context, r SignUpRequest) (User, error) {
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		return User{}, err
	}
	pw, err := ValidatePassword(r.Password)
	if err != nil {
		return User{}, err
	}
	phone, err := NormalizePhone(r.Phone)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return User{}, fmt.Errorf("auth: sign up: %w", err)
	}
	now := s.nowUTC()
	u := User{Email: email, Phone: phone, PasswordHash: hash, Status: StatusActive, Role: RoleCustomer,
		Locale: NormalizeLocale(r.Locale), CreatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) error {
		id, err := tx.CreateUser(ctx, u)
		if err != nil {
			return err
		}
		u.ID = id
		tok := newToken(16)
		exp := now.Add(s.cfg.VerifyTTL)
		if err := tx.InsertToken(ctx, Token{Hash: hashToken(tok), Purpose: PurposeVerifyEmail, UserID: id, CreatedAt: now, ExpiresAt: exp}); err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, tx, Mail{Kind: MailVerifyEmail, To: email, Locale: u.Locale, Token: tok, Expires: exp, At: now}); err != nil {
			return err
		}
		tt, tid := userTarget(id)
		return s.record(ctx, tx, audit.Event{ActorID: id, ActorRole: string(RoleCustomer), Action: audit.UserCreated,
			TargetType: tt, TargetID: tid, IP: r.IP, UserAgent: r.UserAgent, Details: map[string]string{"via": "signup"}})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// ResendVerification queues a fresh verification email (superseding older
// links) for an unverified user. Errors: ErrNotFound.
func (s *Service) ResendVerification(ctx context.Context, userID int64) error {
	now := s.nowUTC()
	return s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.EmailVerified() {
			return nil
		}
		if _, err := tx.DeleteTokens(ctx, u.ID, PurposeVerifyEmail); err != nil {
			return err
		}
		tok := newToken(16)
		exp := now.Add(s.cfg.VerifyTTL)
		if err := tx.InsertToken(ctx, Token{Hash: hashToken(tok), Purpose: PurposeVerifyEmail, UserID: u.ID, CreatedAt: now, ExpiresAt: exp}); err != nil {
			return err
		}
		return s.mailer.Send(ctx, tx, Mail{Kind: MailVerifyEmail, To: u.Email, Locale: u.Locale, Token: tok, Expires: exp, At: now})
	})
}

// VerifyEmail consumes a verification token and marks the email verified.
// Errors: ErrTokenInvalid (unknown, used, superseded), ErrTokenExpired.
func (s *Service) VerifyEmail(ctx context.Context, token, ip, userAgent string) (User, error) {
	if !validTokenShape(token) {
		return User{}, ErrTokenInvalid
	}
	now := s.nowUTC()
	var u User
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := s.takeToken(ctx, tx, PurposeVerifyEmail, token, now)
		if err != nil {
			return err
		}
		if err := tx.MarkEmailVerified(ctx, t.UserID, now); err != nil {
			return err
		}
		if u, err = tx.User(ctx, t.UserID); err != nil {
			return err
		}
		tt, tid := userTarget(u.ID)
		return s.record(ctx, tx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), Action: audit.EmailVerified,
			TargetType: tt, TargetID: tid, IP: ip, UserAgent: userAgent})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// takeToken removes and returns a token within the caller's transaction;
// an expired one is reported as ErrTokenExpired.
func (s *Service) takeToken(ctx context.Context, tx Tx, p TokenPurpose, token string, now time.Time) (Token, error) {
	t, err := tx.TakeToken(ctx, p, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return Token{}, ErrTokenInvalid
	}
	if err != nil {
		return Token{}, err
	}
	if !now.Before(t.ExpiresAt) {
		return Token{}, ErrTokenExpired
	}
	return t, nil
}

// CreateUserRequest is staff (or any user) created by an operator.
type CreateUserRequest struct {
	Email, Phone, Locale string
	// Password may be empty: the user then sets one by password reset.
	Password string
	Role     Role
	// Actor is who creates it: ActorID 0 and ActorRole "cli" for the CLI.
	ActorID   int64
	ActorRole string
	IP        string
}

// CreateUser creates a user with a role, its email taken as verified
// (the operator vouches for it), and audits user_created.
// Errors: *ValidationError, ErrEmailTaken.
func (s *Service) CreateUser(ctx context.Context, r CreateUserRequest) (User, error) {
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		return User{}, err
	}
	phone, err := NormalizePhone(r.Phone)
	if err != nil {
		return User{}, err
	}
	if !r.Role.Valid() {
		return User{}, invalid("role", CodeInvalid)
	}
	var hash string
	if r.Password != "" {
		pw, err := ValidatePassword(r.Password)
		if err != nil {
			return User{}, err
		}
		if hash, err = s.hasher.Hash(ctx, pw); err != nil {
			return User{}, fmt.Errorf("auth: create user: %w", err)
		}
	}
	now := s.nowUTC()
	u := User{Email: email, Phone: phone, PasswordHash: hash, Status: StatusActive, Role: r.Role,
		Locale: NormalizeLocale(r.Locale), EmailVerifiedAt: now, CreatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) error {
		id, err := tx.CreateUser(ctx, u)
		if err != nil {
			return err
		}
		u.ID = id
		tt, tid := userTarget(id)
		return s.record(ctx, tx, audit.Event{ActorID: r.ActorID, ActorRole: r.ActorRole, Action: audit.UserCreated,
			TargetType: tt, TargetID: tid, IP: r.IP, Details: map[string]string{"role": string(r.Role), "email": email}})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// User returns one user. Errors: ErrNotFound.
func (s *Service) User(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.store.InTx(ctx, func(tx Tx) (err error) { u, err = tx.User(ctx, id); return err })
	return u, err
}
