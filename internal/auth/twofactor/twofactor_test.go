package twofactor_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

var masterKey = bytes.Repeat([]byte{7}, 32)

// fakeMailer keeps the last code queued for each user.
type fakeMailer struct {
	mu    sync.Mutex
	codes map[int64]string
}

func (m *fakeMailer) QueueCode(_ context.Context, _ twofactor.Tx, userID int64, code string, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.codes[userID] = code
	return nil
}

func (m *fakeMailer) code(userID int64) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.codes[userID]
}

type env struct {
	svc    *twofactor.Service
	db     *sqlstore.DB
	clk    *clock.Settable
	mailer *fakeMailer
}

func newEnv(t *testing.T, e sqlstore.Engine) env {
	t.Helper()
	// Mid-step, so ±1 step is ±30 s from here.
	clk := clock.NewSettable(time.Date(2030, 1, 2, 3, 4, 15, 0, time.UTC))
	db := sqltest.NewDB(t, e, "twofactor", clk.Now)
	m := &fakeMailer{codes: map[int64]string{}}
	svc, err := twofactor.New(twofactor.Config{MasterKey: masterKey, Store: db.TwoFactor(), Mailer: m, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return env{svc, db, clk, m}
}

// mustEnable enrols and confirms TOTP for user, and returns the secret and
// the recovery codes. It leaves the clock one step later, so the
// confirming code's step is used up.
func (v env) mustEnable(t *testing.T, user int64) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	en, err := v.svc.BeginEnrolment(ctx, user, "alice@example.com")
	if err != nil {
		t.Fatalf("BeginEnrolment: %v", err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := v.svc.ConfirmEnrolment(ctx, user, v.code(secret, 0), twofactor.Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("ConfirmEnrolment: %v", err)
	}
	v.clk.Add(twofactor.Period)
	return secret, codes
}

// code is the TOTP code steps away from now.
func (v env) code(secret []byte, steps int) string {
	return twofactor.TOTPCode(secret, v.clk.Now().Add(time.Duration(steps)*twofactor.Period), twofactor.SHA1, 6, twofactor.Period)
}

func (v env) mustBegin(t *testing.T, user int64, a twofactor.Action) string {
	t.Helper()
	id, err := v.svc.Begin(context.Background(), user, a)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return id
}

func (v env) auditActions(t *testing.T, user int64) []string {
	t.Helper()
	evs, err := v.db.Audit().AuditEvents(context.Background(), audit.Query{ActorID: user, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Action)
	}
	return out
}

func TestEnrolment(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		en, err := v.svc.BeginEnrolment(ctx, 42, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(en.URI)
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != en.Secret || u.Query().Get("issuer") != "OKPay" {
			t.Errorf("URI = %s (%v)", en.URI, err)
		}
		if !strings.HasPrefix(u.Path, "/OKPay:alice@example.com") {
			t.Errorf("URI label = %q", u.Path)
		}
		if img, err := png.Decode(bytes.NewReader(en.PNG)); err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("PNG does not decode: %v", err)
		}
		if len(en.Secret) != 32 { // 160 bits in base32
			t.Errorf("secret %q is %d characters, want 32", en.Secret, len(en.Secret))
		}
		secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)

		// Not on until confirmed: no challenge can be started.
		if on, _ := v.svc.Enabled(ctx, 42); on {
			t.Errorf("enabled before confirmation")
		}
		if _, err := v.svc.Begin(ctx, 42, twofactor.Login); !errors.Is(err, twofactor.ErrNotEnabled) {
			t.Errorf("Begin before confirmation: %v, want ErrNotEnabled", err)
		}
		if _, err := v.svc.ConfirmEnrolment(ctx, 42, "000000", twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("confirm with wrong code: %v, want ErrWrongCode", err)
		}
		if _, err := v.svc.ConfirmEnrolment(ctx, 43, v.code(secret, 0), twofactor.Meta{}); !errors.Is(err, twofactor.ErrNoEnrolment) {
			t.Errorf("confirm for another user: %v, want ErrNoEnrolment", err)
		}
		codes, err := v.svc.ConfirmEnrolment(ctx, 42, v.code(secret, 0), twofactor.Meta{})
		if err != nil {
			t.Fatalf("confirm: %v", err)
		}
		if len(codes) != 10 {
			t.Errorf("%d recovery codes, want 10", len(codes))
		}
		if on, _ := v.svc.Enabled(ctx, 42); !on {
			t.Errorf("not enabled after confirmation")
		}
		if _, err := v.svc.BeginEnrolment(ctx, 42, "alice@example.com"); !errors.Is(err, twofactor.ErrAlreadyEnabled) {
			t.Errorf("second enrolment: %v, want ErrAlreadyEnabled", err)
		}
		// The confirming code cannot log in.
		id := v.mustBegin(t, 42, twofactor.Login)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, 0), twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("confirming code reused at login: %v, want ErrWrongCode", err)
		}
		got := v.auditActions(t, 42)
		want := []string{audit.TwoFactorEnabled, audit.RecoveryCodesCreated, twofactor.AuditCodeRejected}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("audit = %v, want %v", got, want)
		}
	})
}

func TestTOTPWindowAndReuse(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		secret, _ := v.mustEnable(t, 1)
		v.clk.Add(10 * twofactor.Period)
		for _, tc := range []struct {
			steps int
			ok    bool
		}{{-2, false}, {2, false}, {-1, true}, {0, true}, {1, true}} {
			id := v.mustBegin(t, 1, twofactor.Login)
			res, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, tc.steps), twofactor.Meta{})
			if tc.ok && (err != nil || res.UserID != 1) {
				t.Errorf("code %+d steps: %v, want accepted", tc.steps, err)
			}
			if !tc.ok && !errors.Is(err, twofactor.ErrWrongCode) {
				t.Errorf("code %+d steps: %v, want ErrWrongCode", tc.steps, err)
			}
		}
		// The +1 step is now used: neither it nor an earlier one passes.
		for _, steps := range []int{-1, 0, 1} {
			id := v.mustBegin(t, 1, twofactor.Login)
			if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, steps), twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
				t.Errorf("reused code %+d: %v, want ErrWrongCode", steps, err)
			}
		}
		v.clk.Add(2 * twofactor.Period)
		id := v.mustBegin(t, 1, twofactor.Login)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, 0), twofactor.Meta{}); err != nil {
			t.Errorf("fresh code later: %v", err)
		}
		// A passed challenge cannot be passed again.
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, 1), twofactor.Meta{}); !errors.Is(err, twofactor.ErrChallengeEnded) {
			t.Errorf("passed challenge again: %v, want ErrChallengeEnded", err)
		}
	})
}

func TestTOTPConcurrentUseAtMostOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		secret, _ := v.mustEnable(t, 1)
		for round := 0; round < 5; round++ {
			v.clk.Add(twofactor.Period)
			code := v.code(secret, 0)
			ids := []string{v.mustBegin(t, 1, twofactor.Login), v.mustBegin(t, 1, twofactor.Login)}
			var wg sync.WaitGroup
			errs := make([]error, len(ids))
			for i, id := range ids {
				wg.Go(func() {
					_, errs[i] = v.svc.Verify(context.Background(), id, twofactor.MethodTOTP, code, twofactor.Meta{})
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !errors.Is(err, twofactor.ErrWrongCode) {
					t.Errorf("round %d: %v", round, err)
				}
			}
			if ok != 1 {
				t.Errorf("round %d: the same code accepted %d times, want once (%v)", round, ok, errs)
			}
		}
	})
}

func TestFiveWrongCodesEndTheChallenge(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		secret, _ := v.mustEnable(t, 1)
		id := v.mustBegin(t, 1, twofactor.Login)
		for i := 0; i < twofactor.MaxFailures; i++ {
			if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, "000000", twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
				t.Fatalf("wrong code %d: %v, want ErrWrongCode", i+1, err)
			}
		}
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, 0), twofactor.Meta{}); !errors.Is(err, twofactor.ErrChallengeEnded) {
			t.Errorf("right code after 5 wrong: %v, want ErrChallengeEnded", err)
		}
		if err := v.svc.SendEmailCode(ctx, id); !errors.Is(err, twofactor.ErrChallengeEnded) {
			t.Errorf("email code for an ended challenge: %v, want ErrChallengeEnded", err)
		}
		// Four wrong, then right, passes; and the challenge ends by time.
		id = v.mustBegin(t, 1, twofactor.Login)
		for i := 0; i < twofactor.MaxFailures-1; i++ {
			v.svc.Verify(ctx, id, twofactor.MethodRecovery, "aaaa-bbbb-cc", twofactor.Meta{})
		}
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, 0), twofactor.Meta{}); err != nil {
			t.Errorf("right code after 4 wrong: %v", err)
		}
		id = v.mustBegin(t, 1, twofactor.Login)
		v.clk.Add(twofactor.ChallengeTTL)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodTOTP, v.code(secret, 0), twofactor.Meta{}); !errors.Is(err, twofactor.ErrChallengeEnded) {
			t.Errorf("expired challenge: %v, want ErrChallengeEnded", err)
		}
	})
}

func TestEmailCode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		v.mustEnable(t, 1)
		id := v.mustBegin(t, 1, twofactor.Login)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodEmail, "123456", twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("email code before any sent: %v, want ErrWrongCode", err)
		}
		if err := v.svc.SendEmailCode(ctx, id); err != nil {
			t.Fatal(err)
		}
		code := v.mailer.code(1)
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("email code %q, want 6 digits", code)
		}
		var stored int
		if err := v.db.Read().QueryRow(ctx, "SELECT count(*) FROM twofactor_challenges WHERE email_code_hash = $1", []byte(code)).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("email code stored in clear (%d, %v)", stored, err)
		}
		// Expired after 10 minutes.
		v.clk.Add(twofactor.EmailCodeTTL)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodEmail, code, twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("expired email code: %v, want ErrWrongCode", err)
		}
		// A fresh one works once.
		id = v.mustBegin(t, 1, twofactor.Login)
		if err := v.svc.SendEmailCode(ctx, id); err != nil {
			t.Fatal(err)
		}
		code = v.mailer.code(1)
		v.clk.Add(twofactor.EmailCodeTTL - time.Second)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodEmail, code, twofactor.Meta{}); err != nil {
			t.Fatalf("email code: %v", err)
		}
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodEmail, code, twofactor.Meta{}); !errors.Is(err, twofactor.ErrChallengeEnded) {
			t.Errorf("email code twice: %v, want ErrChallengeEnded", err)
		}
		// A code is bound to its challenge.
		other := v.mustBegin(t, 1, twofactor.Login)
		if _, err := v.svc.Verify(ctx, other, twofactor.MethodEmail, code, twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("email code on another challenge: %v, want ErrWrongCode", err)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		_, codes := v.mustEnable(t, 1)
		_, other := v.mustEnable(t, 2)
		seen := map[string]bool{}
		for _, c := range codes {
			if len(c) != 12 || c[4] != '-' || c[9] != '-' || seen[c] {
				t.Errorf("recovery code %q: want xxxx-xxxx-xx, all different", c)
			}
			seen[c] = true
		}
		id := v.mustBegin(t, 1, twofactor.Login)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodRecovery, other[0], twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("another user's recovery code: %v, want ErrWrongCode", err)
		}
		// Typed in upper case with spaces still matches.
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodRecovery, typed, twofactor.Meta{IP: "198.51.100.7"}); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		id = v.mustBegin(t, 1, twofactor.Login)
		if _, err := v.svc.Verify(ctx, id, twofactor.MethodRecovery, codes[3], twofactor.Meta{}); !errors.Is(err, twofactor.ErrWrongCode) {
			t.Errorf("recovery code twice: %v, want ErrWrongCode", err)
		}
		if n, err := v.svc.RecoveryCodesLeft(ctx, 1); err != nil || n != 9 {
			t.Errorf("RecoveryCodesLeft = %d, %v; want 9", n, err)
		}
		got := v.auditActions(t, 1)
		if n := len(got); n < 2 || got[n-2] != twofactor.AuditRecoveryCodeUsed || got[n-1] != twofactor.AuditCodeRejected {
			t.Errorf("audit = %v, want it to end with %s (the code used) and %s (used again)", got, twofactor.AuditRecoveryCodeUsed, twofactor.AuditCodeRejected)
		}
	})
}

func TestStepUp(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		secret, _ := v.mustEnable(t, 1)
		v.mustEnable(t, 2)
		changeEmail := twofactor.Action{Name: "change_email", Params: map[string]string{"email": "a@b.example"}}
		send := twofactor.Action{Name: "send_money", Params: map[string]string{"amount": "500000", "currency": "USD", "payee": "7"}}
		approve := func(a twofactor.Action) string {
			t.Helper()
			v.clk.Add(twofactor.Period)
			res, err := v.svc.Verify(ctx, v.mustBegin(t, 1, a), twofactor.MethodTOTP, v.code(secret, 0), twofactor.Meta{})
			if err != nil || res.StepUpToken == "" {
				t.Fatalf("step-up: %v", err)
			}
			return res.StepUpToken
		}
		tok := approve(changeEmail)
		refused := []struct {
			name   string
			user   int64
			action twofactor.Action
		}{
			{"other action", 1, send},
			{"other parameter", 1, twofactor.Action{Name: "change_email", Params: map[string]string{"email": "evil@x.example"}}},
			{"no parameter", 1, twofactor.Action{Name: "change_email"}},
			{"other user", 2, changeEmail},
		}
		for _, r := range refused {
			if err := v.svc.UseStepUp(ctx, r.user, tok, r.action); !errors.Is(err, twofactor.ErrStepUpRefused) {
				t.Errorf("%s: %v, want ErrStepUpRefused", r.name, err)
			}
		}
		if err := v.svc.UseStepUp(ctx, 1, tok, changeEmail); err != nil {
			t.Errorf("approved action: %v", err)
		}
		if err := v.svc.UseStepUp(ctx, 1, tok, changeEmail); !errors.Is(err, twofactor.ErrStepUpRefused) {
			t.Errorf("token used twice: %v, want ErrStepUpRefused", err)
		}
		tok = approve(send)
		v.clk.Add(twofactor.StepUpTTL)
		if err := v.svc.UseStepUp(ctx, 1, tok, send); !errors.Is(err, twofactor.ErrStepUpRefused) {
			t.Errorf("expired token: %v, want ErrStepUpRefused", err)
		}
		tok = approve(send)
		v.clk.Add(twofactor.StepUpTTL - time.Second)
		if err := v.svc.UseStepUp(ctx, 1, tok, send); err != nil {
			t.Errorf("token just in time: %v", err)
		}

		// Disabling needs a step-up for exactly that, and is audited.
		if err := v.svc.Disable(ctx, 1, approve(changeEmail), twofactor.Meta{}); !errors.Is(err, twofactor.ErrStepUpRefused) {
			t.Errorf("disable with a change-email token: %v, want ErrStepUpRefused", err)
		}
		if err := v.svc.Disable(ctx, 1, approve(twofactor.DisableAction(1)), twofactor.Meta{}); err != nil {
			t.Fatalf("disable: %v", err)
		}
		if on, _ := v.svc.Enabled(ctx, 1); on {
			t.Errorf("still enabled after Disable")
		}
		if n, _ := v.svc.RecoveryCodesLeft(ctx, 1); n != 0 {
			t.Errorf("%d recovery codes left after Disable", n)
		}
		got := v.auditActions(t, 1)
		if got[len(got)-1] != audit.TwoFactorDisabled {
			t.Errorf("audit = %v, want it to end with %s", got, audit.TwoFactorDisabled)
		}
	})
}

func TestActionHash(t *testing.T) {
	a := twofactor.Action{Name: "x", Params: map[string]string{"a": "bc"}}
	b := twofactor.Action{Name: "x", Params: map[string]string{"ab": "c"}}
	c := twofactor.Action{Name: "x", Params: map[string]string{"a": "bc"}}
	if bytes.Equal(a.Hash(), b.Hash()) {
		t.Errorf("ambiguous encoding: %v and %v hash the same", a, b)
	}
	if !bytes.Equal(a.Hash(), c.Hash()) {
		t.Errorf("equal actions hash differently")
	}
}

func TestWrongCodesAcrossChallengesStopNewOnes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		v.mustEnable(t, 1)
		v.mustEnable(t, 2)
		for n := 0; n < twofactor.MaxUserFailures; n += twofactor.MaxFailures {
			id := v.mustBegin(t, 1, twofactor.Login)
			for i := 0; i < twofactor.MaxFailures; i++ {
				v.svc.Verify(ctx, id, twofactor.MethodTOTP, "000000", twofactor.Meta{})
			}
		}
		if _, err := v.svc.Begin(ctx, 1, twofactor.Login); !errors.Is(err, twofactor.ErrTooManyFailures) {
			t.Fatalf("challenge after %d wrong codes: %v, want ErrTooManyFailures", twofactor.MaxUserFailures, err)
		}
		// Another user is not affected, and the window passes.
		v.mustBegin(t, 2, twofactor.Login)
		v.clk.Add(twofactor.UserFailureWindow)
		v.mustBegin(t, 1, twofactor.Login)
	})
}

func TestPendingEnrolmentShowsTheSameSecret(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ctx := context.Background()
		if _, err := v.svc.PendingEnrolment(ctx, 1, "a@example.com"); !errors.Is(err, twofactor.ErrNoEnrolment) {
			t.Fatalf("no enrolment: %v, want ErrNoEnrolment", err)
		}
		en, err := v.svc.BeginEnrolment(ctx, 1, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		again, err := v.svc.PendingEnrolment(ctx, 1, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if again.Secret != en.Secret || again.URI != en.URI || len(again.PNG) == 0 {
			t.Errorf("pending enrolment %q %q, want the begun %q %q", again.Secret, again.URI, en.Secret, en.URI)
		}
		v.mustEnable(t, 2)
		if _, err := v.svc.PendingEnrolment(ctx, 2, "b@example.com"); !errors.Is(err, twofactor.ErrAlreadyEnabled) {
			t.Errorf("enabled user: %v, want ErrAlreadyEnabled", err)
		}
	})
}
