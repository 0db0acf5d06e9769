package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

type countingHasher struct {
	auth.Hasher
	verifies atomic.Int64
}

func (h *countingHasher) Verify(ctx context.Context, enc, pw string) (bool, error) {
	h.verifies.Add(1)
	return h.Hasher.Verify(ctx, enc, pw)
}

type sentMail struct {
	mu   sync.Mutex
	all  []auth.Mail
	fail bool
}

func (m *sentMail) Send(_ context.Context, _ auth.Tx, x auth.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.all = append(m.all, x)
	return nil
}

func (m *sentMail) last(kind auth.MailKind) (auth.Mail, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.all) - 1; i >= 0; i-- {
		if m.all[i].Kind == kind {
			return m.all[i], true
		}
	}
	return auth.Mail{}, false
}

type authEnv struct {
	db     *sqlstore.DB
	svc    *auth.Service
	clk    *clock.Settable
	hasher *countingHasher
	mail   *sentMail
}

func newAuthEnv(t *testing.T, e sqlstore.Engine, cfg auth.Config) *authEnv {
	t.Helper()
	clk := clock.NewSettable(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
	h := &countingHasher{Hasher: auth.NewArgon2(auth.TestArgon2, 4)}
	m := &sentMail{}
	svc := auth.New(auth.Options{Store: db.Auth(), Hasher: h, Mailer: m, Now: clk.Now, Config: cfg})
	return &authEnv{db: db, svc: svc, clk: clk, hasher: h, mail: m}
}

const goodPassword = "correct horse battery"

func (env *authEnv) mustSignUp(t *testing.T, email string) auth.User {
	t.Helper()
	u, err := env.svc.SignUp(context.Background(), auth.SignUpRequest{Email: email, Password: goodPassword, Locale: "en", IP: "192.0.2.9"})
	if err != nil {
		t.Fatalf("SignUp(%s): %v", email, err)
	}
	return u
}

func (env *authEnv) login(email, pw, ip, device string) (auth.LoginResult, error) {
	return env.svc.Login(context.Background(), auth.LoginRequest{Email: email, Password: pw, IP: ip, UserAgent: "test", DeviceToken: device})
}

func (env *authEnv) auditCount(t *testing.T, action string) int {
	t.Helper()
	evs, err := env.db.Audit().AuditEvents(context.Background(), audit.Query{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestAuthSignUpAndVerify(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{})
		ctx := context.Background()
		u := env.mustSignUp(t, "  Alice@Example.COM ")
		if u.Email != "alice@example.com" || u.Role != auth.RoleCustomer || u.EmailVerified() {
			t.Fatalf("user = %+v", u)
		}
		_, err := env.svc.SignUp(ctx, auth.SignUpRequest{Email: "ALICE@example.com", Password: goodPassword})
		if !errors.Is(err, auth.ErrEmailTaken) {
			t.Errorf("duplicate sign-up: %v, want ErrEmailTaken", err)
		}
		m, ok := env.mail.last(auth.MailVerifyEmail)
		if !ok || m.To != u.Email || len(m.Token) < 22 {
			t.Fatalf("verification mail = %+v", m)
		}
		if _, err := env.svc.VerifyEmail(ctx, m.Token, "", ""); err != nil {
			t.Fatalf("VerifyEmail: %v", err)
		}
		if _, err := env.svc.VerifyEmail(ctx, m.Token, "", ""); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("second VerifyEmail: %v, want ErrTokenInvalid", err)
		}
		got, _ := env.svc.User(ctx, u.ID)
		if !got.EmailVerified() {
			t.Errorf("email not verified after VerifyEmail")
		}
		// Expiry.
		u2 := env.mustSignUp(t, "bob@example.com")
		m2, _ := env.mail.last(auth.MailVerifyEmail)
		env.clk.Add(24 * time.Hour)
		if _, err := env.svc.VerifyEmail(ctx, m2.Token, "", ""); !errors.Is(err, auth.ErrTokenExpired) {
			t.Errorf("expired VerifyEmail: %v, want ErrTokenExpired", err)
		}
		_ = u2
		if n := env.auditCount(t, audit.UserCreated); n != 2 {
			t.Errorf("user_created records = %d, want 2", n)
		}
		if n := env.auditCount(t, audit.EmailVerified); n != 1 {
			t.Errorf("email_verified records = %d, want 1", n)
		}
	})
}

func TestAuthBadInput(t *testing.T) {
	env := newAuthEnv(t, sqlstore.SQLite, auth.Config{})
	ctx := context.Background()
	huge := strings.Repeat("a", 1<<20)
	cases := []struct{ email, pw, phone string }{
		{"", goodPassword, ""},
		{"not-an-email", goodPassword, ""},
		{"a@b.com\xff", goodPassword, ""},
		{huge + "@example.com", goodPassword, ""},
		{"x@example.com", "", ""},
		{"x@example.com", "short", ""},
		{"x@example.com", "password123", ""},
		{"x@example.com", "woaini1314", ""},
		{"x@example.com", "\xff\xfe" + goodPassword, ""},
		{"x@example.com", huge, ""},
		{"x@example.com", strings.Repeat("好", 129), ""},
		{"x@example.com", goodPassword, "12345"},
	}
	for _, c := range cases {
		_, err := env.svc.SignUp(ctx, auth.SignUpRequest{Email: c.email, Password: c.pw, Phone: c.phone})
		var ve *auth.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("SignUp(%.20q, %.20q, %q) = %v, want *ValidationError", c.email, c.pw, c.phone, err)
		}
		_, err = env.login(c.email, c.pw, "192.0.2.1", "\xff")
		if err == nil {
			t.Errorf("Login(%.20q, %.20q) succeeded", c.email, c.pw)
		}
	}
	if _, err := env.svc.SignUp(ctx, auth.SignUpRequest{Email: "ok@example.com", Password: strings.Repeat("密", 64), Phone: "+86 138 0013 8000"}); err != nil {
		t.Errorf("64-rune password refused: %v", err)
	}
	for _, tok := range []string{"", huge, "\xff"} {
		if _, err := env.svc.VerifyEmail(ctx, tok, "", ""); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("VerifyEmail(bad) = %v", err)
		}
		if _, _, err := env.svc.Authenticate(ctx, tok); !errors.Is(err, auth.ErrSessionExpired) {
			t.Errorf("Authenticate(bad) = %v", err)
		}
	}
}

func TestAuthLoginLockout(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{})
		env.mustSignUp(t, "carol@example.com")
		res, err := env.login("Carol@Example.com", goodPassword, "192.0.2.1", "")
		if err != nil || res.SessionToken == "" || res.DeviceToken == "" || !res.NewDevice {
			t.Fatalf("login: %+v, %v", res, err)
		}
		for i := 1; i <= 5; i++ {
			_, err := env.login("carol@example.com", "wrong password", fmt.Sprintf("198.51.100.%d", i), "")
			want := error(auth.ErrInvalidCredentials)
			if i == 5 {
				want = auth.ErrLocked{}
			}
			if !errors.Is(err, want) {
				t.Fatalf("failure %d: %v, want %v", i, err, want)
			}
		}
		_, err = env.login("carol@example.com", goodPassword, "192.0.2.1", "")
		var lk auth.ErrLocked
		if !errors.As(err, &lk) || !lk.Until.Equal(env.clk.Now().Add(30*time.Minute)) {
			t.Fatalf("6th with right password: %v, want ErrLocked until +30m", err)
		}
		// A device that signed in before is not locked out by others.
		if _, err := env.login("carol@example.com", goodPassword, "192.0.2.1", res.DeviceToken); err != nil {
			t.Errorf("device-cookie login while locked: %v", err)
		}
		env.clk.Add(29 * time.Minute)
		if _, err := env.login("carol@example.com", goodPassword, "192.0.2.1", ""); !errors.Is(err, auth.ErrLocked{}) {
			t.Errorf("at +29m: %v, want ErrLocked", err)
		}
		env.clk.Add(time.Minute)
		if _, err := env.login("carol@example.com", goodPassword, "192.0.2.1", ""); err != nil {
			t.Errorf("at +30m: %v, want success", err)
		}
		if n := env.auditCount(t, audit.AccountLocked); n != 1 {
			t.Errorf("account_locked records = %d, want 1", n)
		}
		if n := env.auditCount(t, audit.LoginFailed); n != 7 {
			t.Errorf("login_failed records = %d, want 7 (5 wrong + 2 locked)", n)
		}
		if n := env.auditCount(t, audit.LoginSucceeded); n != 3 {
			t.Errorf("login_succeeded records = %d, want 3", n)
		}
	})
}

func TestAuthUnknownEmailLikeKnown(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{})
		env.mustSignUp(t, "known@example.com")
		run := func(email string) (int64, []string) {
			before := env.hasher.verifies.Load()
			var errs []string
			for i := 0; i < 7; i++ {
				_, err := env.login(email, "wrong password", fmt.Sprintf("203.0.113.%d", i), "")
				msg := fmt.Sprintf("%T", err)
				if errors.Is(err, auth.ErrLocked{}) {
					var lk auth.ErrLocked
					errors.As(err, &lk)
					msg += " " + lk.Until.String() + " " + string(lk.Reason)
				}
				errs = append(errs, msg)
			}
			return env.hasher.verifies.Load() - before, errs
		}
		nk, ek := run("known@example.com")
		nu, eu := run("nobody@example.com")
		if nk != nu || nk != 5 {
			t.Errorf("hasher ran %d times for a known email, %d for an unknown one; want 5 each", nk, nu)
		}
		if fmt.Sprint(ek) != fmt.Sprint(eu) {
			t.Errorf("known: %v\nunknown: %v", ek, eu)
		}
	})
}

func TestAuthIPThrottle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{IPMaxFailures: 3})
		env.mustSignUp(t, "dave@example.com")
		for i := 0; i < 3; i++ {
			env.login(fmt.Sprintf("u%d@example.com", i), "wrong password", "192.0.2.50", "")
		}
		if _, err := env.login("dave@example.com", goodPassword, "192.0.2.50", ""); !errors.Is(err, auth.ErrThrottled) {
			t.Errorf("after 3 failures from the IP: %v, want ErrThrottled", err)
		}
		if _, err := env.login("dave@example.com", goodPassword, "192.0.2.51", ""); err != nil {
			t.Errorf("other IP: %v", err)
		}
		env.clk.Add(15 * time.Minute)
		if _, err := env.login("dave@example.com", goodPassword, "192.0.2.50", ""); err != nil {
			t.Errorf("after the window: %v", err)
		}
	})
}

func TestAuthConcurrentFailures(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{MaxFailures: 1000, IPMaxFailures: 1000})
		const n = 30
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := env.login("race@example.com", "wrong password", "192.0.2.7", ""); !errors.Is(err, auth.ErrInvalidCredentials) {
					t.Errorf("login: %v", err)
				}
			}()
		}
		wg.Wait()
		var c auth.Counter
		env.db.Auth().InTx(context.Background(), func(tx auth.Tx) (err error) {
			c, err = tx.Counter(context.Background(), "email:race@example.com")
			return err
		})
		if c.Count != n {
			t.Errorf("counter = %d, want %d", c.Count, n)
		}
	})
}

func TestAuthSessions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{})
		ctx := context.Background()
		u := env.mustSignUp(t, "erin@example.com")
		r1, err := env.login("erin@example.com", goodPassword, "192.0.2.1", "")
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := env.login("erin@example.com", goodPassword, "192.0.2.1", r1.DeviceToken)
		if r1.SessionToken == r2.SessionToken || r2.NewDevice {
			t.Errorf("second login: same session or new device")
		}
		// Idle: 29 minutes keeps it alive, 30 idle ends it.
		env.clk.Add(29 * time.Minute)
		if _, _, err := env.svc.Authenticate(ctx, r1.SessionToken); err != nil {
			t.Fatalf("at 29m: %v", err)
		}
		env.clk.Add(29 * time.Minute)
		if _, _, err := env.svc.Authenticate(ctx, r1.SessionToken); err != nil {
			t.Fatalf("29m after last use: %v", err)
		}
		if _, _, err := env.svc.Authenticate(ctx, r2.SessionToken); !errors.Is(err, auth.ErrSessionExpired) {
			t.Errorf("idle session: %v, want ErrSessionExpired", err)
		}
		// Rotation.
		fresh, _, err := env.svc.Rotate(ctx, r1.SessionToken)
		if err != nil || fresh == r1.SessionToken {
			t.Fatalf("Rotate: %q, %v", fresh, err)
		}
		if _, _, err := env.svc.Authenticate(ctx, r1.SessionToken); !errors.Is(err, auth.ErrSessionExpired) {
			t.Errorf("old id after rotate: %v", err)
		}
		// Absolute: a session kept busy still ends 12h after sign-in.
		start := r1.Session.CreatedAt
		for env.clk.Now().Add(20 * time.Minute).Before(start.Add(12 * time.Hour)) {
			env.clk.Add(20 * time.Minute)
			if _, _, err := env.svc.Authenticate(ctx, fresh); err != nil {
				t.Fatalf("busy session ended early at %v: %v", env.clk.Now().Sub(start), err)
			}
		}
		env.clk.Set(start.Add(12 * time.Hour))
		if _, _, err := env.svc.Authenticate(ctx, fresh); !errors.Is(err, auth.ErrSessionExpired) {
			t.Errorf("after 12h: %v, want ErrSessionExpired", err)
		}
		// RevokeAll.
		a, _ := env.login("erin@example.com", goodPassword, "192.0.2.1", "")
		b, _ := env.login("erin@example.com", goodPassword, "192.0.2.2", "")
		list, _ := env.svc.Sessions(ctx, u.ID)
		if len(list) != 2 {
			t.Errorf("sessions = %d, want 2", len(list))
		}
		if n, err := env.svc.RevokeAll(ctx, u.ID, "", ""); err != nil || n != 2 {
			t.Errorf("RevokeAll = %d, %v", n, err)
		}
		for _, tok := range []string{a.SessionToken, b.SessionToken} {
			if _, _, err := env.svc.Authenticate(ctx, tok); !errors.Is(err, auth.ErrSessionExpired) {
				t.Errorf("after RevokeAll: %v", err)
			}
		}
	})
}

func TestAuthPasswordReset(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{})
		ctx := context.Background()
		env.mustSignUp(t, "fay@example.com")
		sess, _ := env.login("fay@example.com", goodPassword, "192.0.2.1", "")
		for i := 0; i < 5; i++ {
			env.login("fay@example.com", "wrong password", "192.0.2.66", "")
		}
		before := len(env.mail.all)
		if err := env.svc.RequestReset(ctx, auth.ResetRequest{Email: "nobody@example.com"}); err != nil {
			t.Errorf("unknown email: %v", err)
		}
		if len(env.mail.all) != before {
			t.Errorf("mail queued for an unknown email")
		}
		if err := env.svc.RequestReset(ctx, auth.ResetRequest{Email: "fay@example.com"}); err != nil {
			t.Errorf("known email: %v", err)
		}
		old, _ := env.mail.last(auth.MailResetPassword)
		env.svc.RequestReset(ctx, auth.ResetRequest{Email: "fay@example.com"})
		cur, _ := env.mail.last(auth.MailResetPassword)
		newPW := "a brand new secret"
		if _, err := env.svc.ResetPassword(ctx, auth.ResetPasswordRequest{Token: old.Token, NewPassword: newPW}); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("superseded token: %v", err)
		}
		if _, err := env.svc.ResetPassword(ctx, auth.ResetPasswordRequest{Token: cur.Token, NewPassword: "123456789"}); err == nil {
			t.Errorf("common password accepted")
		}
		if _, err := env.svc.ResetPassword(ctx, auth.ResetPasswordRequest{Token: cur.Token, NewPassword: newPW}); err != nil {
			t.Fatalf("reset: %v", err)
		}
		if _, err := env.svc.ResetPassword(ctx, auth.ResetPasswordRequest{Token: cur.Token, NewPassword: newPW}); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("token used twice: %v", err)
		}
		if _, ok := env.mail.last(auth.MailPasswordChanged); !ok {
			t.Errorf("no password-changed mail")
		}
		if _, _, err := env.svc.Authenticate(ctx, sess.SessionToken); !errors.Is(err, auth.ErrSessionExpired) {
			t.Errorf("old session after reset: %v", err)
		}
		if _, err := env.login("fay@example.com", newPW, "192.0.2.1", ""); err != nil {
			t.Errorf("login after reset (lockout cleared): %v", err)
		}
		env.svc.RequestReset(ctx, auth.ResetRequest{Email: "fay@example.com"})
		exp, _ := env.mail.last(auth.MailResetPassword)
		env.clk.Add(60 * time.Minute)
		if _, err := env.svc.ResetPassword(ctx, auth.ResetPasswordRequest{Token: exp.Token, NewPassword: newPW}); !errors.Is(err, auth.ErrTokenExpired) {
			t.Errorf("expired token: %v", err)
		}
		if n := env.auditCount(t, audit.PasswordResetRequested); n != 4 {
			t.Errorf("password_reset_requested = %d, want 4", n)
		}
		if n := env.auditCount(t, audit.PasswordChanged); n != 1 {
			t.Errorf("password_changed = %d, want 1", n)
		}
	})
}

func TestAuthCreateStaff(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		env := newAuthEnv(t, e, auth.Config{})
		u, err := env.svc.CreateUser(context.Background(), auth.CreateUserRequest{Email: "agent@example.com", Role: auth.RoleAgent, ActorRole: "cli"})
		if err != nil || u.Role != auth.RoleAgent || !u.EmailVerified() {
			t.Fatalf("CreateUser: %+v, %v", u, err)
		}
		if _, err := env.login("agent@example.com", "anything at all", "", ""); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("login without a password: %v", err)
		}
		evs, _ := env.db.Audit().AuditEvents(context.Background(), audit.Query{Action: audit.UserCreated, Limit: 10})
		if len(evs) != 1 || evs[0].ActorRole != "cli" || evs[0].Details["role"] != "agent" {
			t.Errorf("audit = %+v", evs)
		}
	})
}
