package web_test

import (
	"encoding/base32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// totpCode is the authenticator's code for the secret shown on the page
// (grouped in fours), steps periods from now.
func totpCode(t *testing.T, shown string, steps int) string {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(shown, " ", ""))
	if err != nil {
		t.Fatalf("the page shows the secret %q, which is not base32: %v", shown, err)
	}
	at := time.Now().Add(time.Duration(steps) * twofactor.Period)
	return twofactor.TOTPCode(secret, at, twofactor.SHA1, twofactor.Digits, twofactor.Period)
}

// TestBrowserTwoFactorLogin: turn on TOTP from the security page (QR image
// and typed secret), keep the recovery codes, log out, and log in again
// with the password and then a code; a wrong code is refused in Chinese.
func TestBrowserTwoFactorLogin(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.mustSignUp(t, "zhao@example.com", "a long quiet river", "zh-CN")
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	if code := browserLogin(t, b, srv.URL, "zhao@example.com", "a long quiet river"); code != http.StatusOK {
		t.Fatalf("login = %d", code)
	}

	b.Navigate(srv.URL + "/settings/security")
	if got := b.Text("#twofactor-state"); !strings.Contains(got, "未开启") {
		t.Fatalf("security page says %q, want 2FA off", got)
	}
	b.ClickAndWait("#setup-totp")
	if w := browsertest.Eval[int](b, `document.querySelector("img.qr").naturalWidth`); w < 100 {
		t.Errorf("the QR image did not load (natural width %d)", w)
	}
	secret := b.Text("#totp-secret")

	b.Fill("#code", "000000")
	b.ClickAndWait("#confirm-totp")
	if got := b.Text("#code-error"); !strings.Contains(got, "验证码不正确") {
		t.Errorf("a wrong first code: error %q", got)
	}
	b.Fill("#code", totpCode(t, secret, 0))
	b.ClickAndWait("#confirm-totp")
	codes := browsertest.Eval[int](b, `document.querySelectorAll("#recovery-codes li").length`)
	if codes != twofactor.RecoveryCodeCount {
		t.Fatalf("recovery page shows %d codes, want %d:\n%s", codes, twofactor.RecoveryCodeCount, b.Text("main"))
	}

	b.Navigate(srv.URL + "/account")
	b.ClickAndWait("form.logout button")
	if code := browserLogin(t, b, srv.URL, "zhao@example.com", "a long quiet river"); code != http.StatusOK {
		t.Fatalf("password step = %d", code)
	}
	if !strings.Contains(b.Location(), "/login/2fa") {
		t.Fatalf("after the password the browser is at %s, want /login/2fa", b.Location())
	}
	b.Fill("#code", "123456")
	b.ClickAndWait("#verify")
	if got := b.Text("#code-error"); !strings.Contains(got, "验证码不正确或已过期") {
		t.Errorf("wrong code: error %q", got)
	}
	// The confirming code's step is used up: the app's next code signs in.
	b.Fill("#code", totpCode(t, secret, 1))
	b.ClickAndWait("#verify")
	if !strings.HasSuffix(b.Location(), "/account") {
		t.Fatalf("after the code the browser is at %s, want /account; page:\n%s", b.Location(), b.Text("main"))
	}
	b.Navigate(srv.URL + "/settings/sessions")
	history := b.Text("#history")
	for _, want := range []string{"开启两步验证", "登录成功", "两步验证码错误"} {
		if !strings.Contains(history, want) {
			t.Errorf("login history lacks %q:\n%s", want, history)
		}
	}
}
