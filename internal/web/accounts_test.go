package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
)

var stackTime = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

// csrfCookie is a fixed form-token cookie, so two answers can be compared
// byte for byte (a fresh cookie would put a fresh token in each page).
var csrfCookie = &http.Cookie{Name: web.CSRFCookieName, Value: strings.Repeat("A", 43)}

func post(t *testing.T, h http.Handler, target string, form url.Values, remote string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	return do(t, h, request{method: http.MethodPost, target: target, form: form, headers: sameOrigin,
		cookies: append([]*http.Cookie{csrfCookie}, cookies...), remote: remote})
}

func TestForgotPasswordSameAnswerForUnknownEmail(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.mustSignUp(t, "known@example.com", "correct horse battery", "zh-CN")

	answer := func(email string) (int, string) {
		resp := post(t, st.handler, "/password/forgot", url.Values{"email": {email}}, "192.0.2.1:1000")
		return resp.StatusCode, bodyOf(t, resp)
	}
	codeKnown, known := answer("known@example.com")
	codeUnknown, unknown := answer("nobody@example.com")
	if codeKnown != http.StatusOK || codeUnknown != http.StatusOK {
		t.Fatalf("status known=%d unknown=%d, want 200 for both", codeKnown, codeUnknown)
	}
	if known != unknown {
		t.Errorf("the answers differ for a known and an unknown email:\nknown:\n%s\nunknown:\n%s", known, unknown)
	}
	if !strings.Contains(known, "请查收邮件") {
		t.Errorf("answer lacks the check-your-mailbox title:\n%s", known)
	}
	if strings.Contains(known, "known@example.com") {
		t.Error("the answer repeats the email")
	}
}

func TestLockPageSameForUnknownEmail(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.mustSignUp(t, "known@example.com", "correct horse battery", "zh-CN")

	lockPage := func(email, remote string) (int, []byte) {
		var (
			code int
			body []byte
		)
		for range 6 {
			resp := post(t, st.handler, "/login", url.Values{"email": {email}, "password": {"wrong password!"}}, remote)
			code, body = resp.StatusCode, []byte(bodyOf(t, resp))
		}
		return code, body
	}
	before := st.hasher.verify
	codeKnown, known := lockPage("known@example.com", "192.0.2.10:1000")
	knownVerifies := st.hasher.verify - before
	before = st.hasher.verify
	codeUnknown, unknown := lockPage("nobody@example.com", "192.0.2.11:1000")
	unknownVerifies := st.hasher.verify - before
	if codeKnown != http.StatusLocked || codeUnknown != http.StatusLocked {
		t.Fatalf("status after 6 failures known=%d unknown=%d, want 423 for both", codeKnown, codeUnknown)
	}
	if !bytes.Equal(known, unknown) {
		t.Errorf("lock pages differ:\nknown:\n%s\nunknown:\n%s", known, unknown)
	}
	if knownVerifies != unknownVerifies {
		t.Errorf("password hasher ran %d times for the known email, %d for the unknown one", knownVerifies, unknownVerifies)
	}
	for _, want := range []string{"账户已暂时锁定", "连续多次输入错误的密码", "2026年11月22日 14:30", "/password/forgot", "support@okpay.test"} {
		if !bytes.Contains(known, []byte(want)) {
			t.Errorf("lock page lacks %q:\n%s", want, known)
		}
	}
	if bytes.Contains(known, []byte("known@example.com")) {
		t.Error("the lock page repeats the email")
	}
}

func TestLoginRotatesSession(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{Development: true})
	st.mustSignUp(t, "ana@example.com", "correct horse battery", "en")
	creds := url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}}

	first := post(t, st.handler, "/login", creds, "192.0.2.1:1000")
	if first.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303:\n%s", first.StatusCode, bodyOf(t, first))
	}
	a := cookieNamed(first, web.SessionCookie)
	if a == nil || a.Value == "" {
		t.Fatal("login set no session cookie")
	}
	if !a.HttpOnly || a.SameSite != http.SameSiteLaxMode || a.Path != "/" {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", a)
	}
	if d := cookieNamed(first, web.DeviceCookie); d == nil || !d.HttpOnly || d.MaxAge < 24*3600 {
		t.Errorf("device cookie = %+v, want HttpOnly and long-lived", d)
	}
	second := post(t, st.handler, "/login", creds, "192.0.2.1:1000", a)
	b := cookieNamed(second, web.SessionCookie)
	if second.StatusCode != http.StatusSeeOther || b == nil || b.Value == "" {
		t.Fatalf("second login = %d, cookie %v", second.StatusCode, b)
	}
	if b.Value == a.Value {
		t.Error("the session id did not change at login")
	}
	old := do(t, st.handler, request{target: "/account", cookies: []*http.Cookie{a}})
	if old.StatusCode != http.StatusSeeOther || !strings.HasPrefix(old.Header.Get("Location"), "/login?next=") {
		t.Errorf("GET /account with the pre-login session = %d (Location %q), want a redirect to /login", old.StatusCode, old.Header.Get("Location"))
	}
	cur := do(t, st.handler, request{target: "/account", cookies: []*http.Cookie{b}})
	if body := bodyOf(t, cur); cur.StatusCode != http.StatusOK || !strings.Contains(body, "ana@example.com") {
		t.Errorf("GET /account with the new session = %d:\n%s", cur.StatusCode, body)
	}
	if got := htmlLang(bodyOf(t, do(t, st.handler, request{target: "/", cookies: []*http.Cookie{b}}))); got != "en" {
		t.Errorf("signed-in user's page language = %q, want the saved en", got)
	}
}

func TestLoginRefusesCrossSitePost(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.mustSignUp(t, "ana@example.com", "correct horse battery", "zh-CN")
	resp := do(t, st.handler, request{method: http.MethodPost, target: "/login",
		form:    url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}},
		headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /login = %d, want 403", resp.StatusCode)
	}
	if c := cookieNamed(resp, web.SessionCookie); c != nil {
		t.Errorf("cross-site POST /login set a session cookie: %v", c)
	}
}

func TestAccountFormsBadInput(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	huge := strings.Repeat("a", 10<<20)
	forms := []struct {
		path string
		want string // the field error shown
	}{
		{"/signup", "请填写电子邮箱。"},
		{"/login", "请填写电子邮箱。"},
		{"/password/forgot", "请填写电子邮箱。"},
	}
	inputs := []struct {
		name string
		form url.Values
		want string // "" uses the form's own
	}{
		{"empty", url.Values{}, ""},
		{"10 MB", url.Values{"email": {huge}, "password": {huge}}, ""},
		{"invalid UTF-8", url.Values{"email": {"\xff\xfe@example.com"}, "password": {"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"}}, "请输入有效的电子邮箱"},
		{"wrong types", url.Values{"email": {"1", "2"}, "password": {""}, "phone": {"[object Object]"}}, "请输入有效的电子邮箱"},
	}
	for _, f := range forms {
		for _, in := range inputs {
			t.Run(f.path+"/"+in.name, func(t *testing.T) {
				resp := post(t, st.handler, f.path, in.form, "192.0.2.20:1000")
				body := bodyOf(t, resp)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422:\n%.2000s", resp.StatusCode, body)
				}
				want := in.want
				if want == "" {
					want = f.want
				}
				if !strings.Contains(body, want) || !strings.Contains(body, `class="field-error"`) {
					t.Errorf("no field error %q:\n%.3000s", want, body)
				}
				if strings.Contains(body, "\xff") {
					t.Error("the page echoes invalid UTF-8")
				}
			})
		}
	}
	t.Run("/password/reset/empty", func(t *testing.T) {
		resp := post(t, st.handler, "/password/reset", url.Values{}, "192.0.2.20:1000")
		if resp.StatusCode >= 500 {
			t.Errorf("status = %d", resp.StatusCode)
		}
	})
}

func TestSignUpKeepsValuesButNotPassword(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	resp := post(t, st.handler, "/signup", url.Values{"email": {"ana@example.com"}, "password": {"short1"}, "phone": {"+8613800138000"}}, "192.0.2.1:1000")
	body := bodyOf(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	for _, want := range []string{`value="ana@example.com"`, `value="&#43;8613800138000"`, "密码至少需要 8 个字符。"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "short1") {
		t.Error("the page shows the password back")
	}
}
