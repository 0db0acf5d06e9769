package web_test

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
)

// mustEnableTOTP turns TOTP on for the user and returns its secret; the
// clock moves one step on, so the confirming code is used up.
func (st *stack) mustEnableTOTP(t *testing.T, clk *clock.Settable, u auth.User) []byte {
	t.Helper()
	ctx := context.Background()
	en, err := st.second.BeginEnrolment(ctx, u.ID, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.second.ConfirmEnrolment(ctx, u.ID, code(secret, clk), twofactor.Meta{}); err != nil {
		t.Fatal(err)
	}
	clk.Add(twofactor.Period)
	return secret
}

func code(secret []byte, clk *clock.Settable) string {
	return twofactor.TOTPCode(secret, clk.Now(), twofactor.SHA1, twofactor.Digits, twofactor.Period)
}

// mustLogin signs in a user without 2FA and returns the session cookie.
func (st *stack) mustLogin(t *testing.T, email, password string) *http.Cookie {
	t.Helper()
	resp := post(t, st.handler, "/login", url.Values{"email": {email}, "password": {password}}, "192.0.2.1:1000")
	c := cookieNamed(resp, web.SessionCookie)
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("login %s = %d:\n%s", email, resp.StatusCode, bodyOf(t, resp))
	}
	return c
}

func TestLoginAsksForTheSecondFactor(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	u := st.mustSignUp(t, "sun@example.com", "correct horse battery", "en")
	secret := st.mustEnableTOTP(t, clk, u)
	creds := url.Values{"email": {"sun@example.com"}, "password": {"correct horse battery"}, "next": {"/settings/sessions"}}

	resp := post(t, st.handler, "/login", creds, "192.0.2.1:1000")
	pending := cookieNamed(resp, "okpay_login2fa")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/2fa") || pending == nil {
		t.Fatalf("password step = %d, Location %q, cookie %v", resp.StatusCode, resp.Header.Get("Location"), pending)
	}
	if cookieNamed(resp, web.SessionCookie) != nil {
		t.Fatal("a session cookie was set before the second factor")
	}
	if pending.Path != "/login" || !pending.HttpOnly {
		t.Errorf("pending-login cookie = %+v, want HttpOnly on /login", pending)
	}
	page := bodyOf(t, do(t, st.handler, request{target: "/login/2fa?next=%2Fsettings%2Fsessions", cookies: []*http.Cookie{pending}}))
	if strings.Contains(page, `name="challenge"`) {
		t.Error("the code page carries the challenge; it belongs in the cookie only")
	}

	wrong := post(t, st.handler, "/login/2fa", url.Values{"code": {"000000"}, "next": {"/settings/sessions"}}, "192.0.2.1:1000", pending)
	if body := bodyOf(t, wrong); wrong.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "验证码不正确") {
		t.Fatalf("wrong code = %d:\n%s", wrong.StatusCode, body)
	}
	ok := post(t, st.handler, "/login/2fa", url.Values{"code": {code(secret, clk)}, "next": {"/settings/sessions"}}, "192.0.2.1:1000", pending)
	if ok.StatusCode != http.StatusSeeOther || ok.Header.Get("Location") != "/settings/sessions" || cookieNamed(ok, web.SessionCookie) == nil {
		t.Fatalf("right code = %d, Location %q:\n%s", ok.StatusCode, ok.Header.Get("Location"), bodyOf(t, ok))
	}
	if c := cookieNamed(ok, "okpay_login2fa"); c == nil || c.MaxAge >= 0 {
		t.Errorf("the pending-login cookie was not cleared: %v", c)
	}
	// The same code again, even with the same pending login, is refused.
	again := post(t, st.handler, "/login/2fa", url.Values{"code": {code(secret, clk)}}, "192.0.2.1:1000", pending)
	if again.StatusCode == http.StatusSeeOther && cookieNamed(again, web.SessionCookie) != nil {
		t.Error("a used pending login and a used code signed in a second time")
	}
}

func TestLoginSecondFactorLimits(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	u := st.mustSignUp(t, "lin@example.com", "correct horse battery", "zh-CN")
	st.mustEnableTOTP(t, clk, u)
	creds := url.Values{"email": {"lin@example.com"}, "password": {"correct horse battery"}}
	pending := cookieNamed(post(t, st.handler, "/login", creds, "192.0.2.1:1000"), "okpay_login2fa")

	// Five wrong codes end a challenge; the next try begins a new one
	// (without counting), until MaxUserFailures wrong codes stop it.
	var resp *http.Response
	for i := 1; ; i++ {
		resp = post(t, st.handler, "/login/2fa", url.Values{"code": {"000000"}}, "192.0.2.1:1000", pending)
		if c := cookieNamed(resp, "okpay_login2fa"); c != nil && c.Value != "" {
			pending = c
		}
		body := bodyOf(t, resp)
		if i == twofactor.MaxFailures+1 && !strings.Contains(body, "本次验证已结束") {
			t.Errorf("after %d wrong codes the page does not say a new check began:\n%s", twofactor.MaxFailures, body)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			if want := twofactor.MaxUserFailures / twofactor.MaxFailures * (twofactor.MaxFailures + 1); i != want {
				t.Errorf("the sign-in ended after %d tries, want %d", i, want)
			}
			if !strings.Contains(body, "30 分钟后再登录") {
				t.Errorf("the login page does not say to wait:\n%s", body)
			}
			break
		}
		if i > 100 {
			t.Fatal("wrong codes never end the sign-in")
		}
	}
	// A fresh password login is refused the second step too.
	resp = post(t, st.handler, "/login", creds, "192.0.2.1:1000")
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "30 分钟后再登录") {
		t.Errorf("password login while 2FA is paused = %d:\n%s", resp.StatusCode, body)
	}
}

func TestResetAsksForTheSecondFactor(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	u := st.mustSignUp(t, "he@example.com", "correct horse battery", "en")
	secret := st.mustEnableTOTP(t, clk, u)
	if err := st.auth.RequestReset(context.Background(), auth.ResetRequest{Email: u.Email}); err != nil {
		t.Fatal(err)
	}
	token := st.mails.last(t, auth.MailResetPassword, u.Email).Token

	page := bodyOf(t, do(t, st.handler, request{target: "/password/reset?token=" + url.QueryEscape(token)}))
	if !strings.Contains(page, `name="code"`) {
		t.Fatalf("the reset page of a 2FA account asks for no code:\n%s", page)
	}
	form := url.Values{"token": {token}, "password": {"a brand new phrase"}}
	first := post(t, st.handler, "/password/reset", form, "192.0.2.1:1000")
	body := bodyOf(t, first)
	if first.StatusCode != http.StatusOK || !strings.Contains(body, `name="code"`) {
		t.Fatalf("reset without a code = %d:\n%s", first.StatusCode, body)
	}
	i := strings.Index(body, `name="challenge" value="`)
	if i < 0 {
		t.Fatalf("no challenge in the form:\n%s", body)
	}
	challenge := body[i+len(`name="challenge" value="`):]
	challenge = challenge[:strings.IndexByte(challenge, '"')]
	form.Set("challenge", challenge)
	form.Set("code", "000000")
	if wrong := post(t, st.handler, "/password/reset", form, "192.0.2.1:1000"); wrong.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code = %d", wrong.StatusCode)
	}
	form.Set("code", code(secret, clk))
	done := post(t, st.handler, "/password/reset", form, "192.0.2.1:1000")
	if body := bodyOf(t, done); done.StatusCode != http.StatusOK || !strings.Contains(body, `id="reset-done"`) {
		t.Fatalf("reset with the right code = %d:\n%s", done.StatusCode, body)
	}
	if _, err := st.auth.Login(context.Background(), auth.LoginRequest{Email: u.Email, Password: "a brand new phrase"}); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}

func TestTurningTwoFactorOffNeedsACode(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	u := st.mustSignUp(t, "ma@example.com", "correct horse battery", "en")
	session := st.mustLogin(t, u.Email, "correct horse battery")
	secret := st.mustEnableTOTP(t, clk, u)

	ask := post(t, st.handler, "/settings/security/disable", url.Values{}, "192.0.2.1:1000", session)
	body := bodyOf(t, ask)
	if ask.StatusCode != http.StatusOK || !strings.Contains(body, `id="confirm-disable"`) {
		t.Fatalf("disable without a code = %d:\n%s", ask.StatusCode, body)
	}
	i := strings.Index(body, `name="challenge" value="`)
	challenge := body[i+len(`name="challenge" value="`):]
	challenge = challenge[:strings.IndexByte(challenge, '"')]

	for _, bad := range []string{"000000", strings.Repeat("9", 100), "\xff\xfe", ""} {
		resp := post(t, st.handler, "/settings/security/disable", url.Values{"challenge": {challenge}, "code": {bad}}, "192.0.2.1:1000", session)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("disable with code %q = %d, want 422", bad, resp.StatusCode)
		}
	}
	if on, _ := st.second.Enabled(context.Background(), u.ID); !on {
		t.Fatal("2FA went off without a right code")
	}
	ok := post(t, st.handler, "/settings/security/disable", url.Values{"challenge": {challenge}, "code": {code(secret, clk)}}, "192.0.2.1:1000", session)
	if ok.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable with the right code = %d:\n%s", ok.StatusCode, bodyOf(t, ok))
	}
	if on, _ := st.second.Enabled(context.Background(), u.ID); on {
		t.Error("2FA is still on")
	}
}

func TestSignOutEverywhere(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.mustSignUp(t, "qi@example.com", "correct horse battery", "en")
	a := st.mustLogin(t, "qi@example.com", "correct horse battery")
	b := st.mustLogin(t, "qi@example.com", "correct horse battery")

	list := bodyOf(t, do(t, st.handler, request{target: "/settings/sessions", cookies: []*http.Cookie{a}}))
	if n := strings.Count(list, `action="/settings/sessions/revoke"`); n != 2 {
		t.Errorf("sessions page lists %d sessions, want 2", n)
	}
	if !strings.Contains(list, "This device") || !strings.Contains(list, "Signed in from a new device") {
		t.Errorf("sessions page lacks this-device mark or history:\n%s", list)
	}
	resp := post(t, st.handler, "/settings/sessions/revoke-all", url.Values{}, "192.0.2.1:1000", a)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?signedout=all" {
		t.Fatalf("revoke-all = %d, %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for name, c := range map[string]*http.Cookie{"this": a, "other": b} {
		if r := do(t, st.handler, request{target: "/account", cookies: []*http.Cookie{c}}); r.StatusCode != http.StatusSeeOther {
			t.Errorf("the %s session still opens /account (%d)", name, r.StatusCode)
		}
	}
}

func TestStaffAuditPage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.mustSignUp(t, "customer@example.com", "correct horse battery", "en")
	ctx := context.Background()
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor} {
		if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: string(r) + "@okpay.test", Password: "staff pass phrase", Role: r, Locale: "en", ActorRole: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range []string{"customer@example.com", "agent@okpay.test"} {
		c := st.mustLogin(t, who, map[bool]string{true: "correct horse battery", false: "staff pass phrase"}[who == "customer@example.com"])
		if r := do(t, st.handler, request{target: "/staff/audit", cookies: []*http.Cookie{c}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s opens the audit log: %d, want 403", who, r.StatusCode)
		}
	}
	sup := st.mustLogin(t, "supervisor@okpay.test", "staff pass phrase")
	resp := do(t, st.handler, request{target: "/staff/audit?action=user_created", cookies: []*http.Cookie{sup}})
	body := bodyOf(t, resp)
	if resp.StatusCode != http.StatusOK || strings.Count(body, "<code>user_created</code>") != 3 {
		t.Errorf("supervisor's audit log of user_created = %d, want 3 records:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `href="/staff/audit"`) {
		t.Error("the header has no audit-log link for a supervisor")
	}
	for _, q := range []string{"actor=abc", "actor=-1", "cursor=%ff%fe", "cursor=bm9wZQ"} {
		if r := do(t, st.handler, request{target: "/staff/audit?" + q, cookies: []*http.Cookie{sup}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("audit log with %s = %d, want 422", q, r.StatusCode)
		}
	}
}

func TestLoginWithAnEmailCode(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	u := st.mustSignUp(t, "feng@example.com", "correct horse battery", "zh-CN")
	st.mustEnableTOTP(t, clk, u)
	pending := cookieNamed(post(t, st.handler, "/login", url.Values{"email": {u.Email}, "password": {"correct horse battery"}}, "192.0.2.1:1000"), "okpay_login2fa")

	sent := post(t, st.handler, "/login/2fa", url.Values{"send_email": {"1"}}, "192.0.2.1:1000", pending)
	if body := bodyOf(t, sent); sent.StatusCode != http.StatusOK || !strings.Contains(body, `id="email-code-sent"`) || !strings.Contains(body, `value="email" checked`) {
		t.Fatalf("asking for an email code = %d:\n%s", sent.StatusCode, body)
	}
	st.mails.mu.Lock()
	emailed := st.mails.codes[u.ID]
	st.mails.mu.Unlock()
	if len(emailed) != twofactor.Digits {
		t.Fatalf("emailed code %q", emailed)
	}
	// The emailed code is not an authenticator code.
	if r := post(t, st.handler, "/login/2fa", url.Values{"method": {"totp"}, "code": {emailed}}, "192.0.2.1:1000", pending); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("emailed code as a TOTP code = %d, want 422", r.StatusCode)
	}
	ok := post(t, st.handler, "/login/2fa", url.Values{"method": {"email"}, "code": {emailed}}, "192.0.2.1:1000", pending)
	if ok.StatusCode != http.StatusSeeOther || cookieNamed(ok, web.SessionCookie) == nil {
		t.Fatalf("login with the emailed code = %d:\n%s", ok.StatusCode, bodyOf(t, ok))
	}
}
