package web_test

// Browser tests of the account pages against a real in-process site:
// SQLite, the mail worker and the dev mailbox.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// openNewestMail waits for a mail whose subject contains subject to be the
// newest in the dev mailbox, opens it and follows its first link.
func openNewestMail(t *testing.T, b *browsertest.Browser, base, subject string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b.Navigate(base + "/dev/mailbox")
		if strings.Contains(browsertest.Eval[string](b, `(document.querySelector("table.list tbody tr a")||{}).textContent||""`), subject) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q in the dev mailbox; it shows:\n%s", subject, b.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.ClickAndWait("table.list tbody tr a")
	if code := b.ClickAndWait("ul.links a"); code != http.StatusOK {
		t.Fatalf("following the link in %q = %d", subject, code)
	}
}

func browserLogin(t *testing.T, b *browsertest.Browser, base, email, password string) int {
	t.Helper()
	b.Navigate(base + "/login")
	b.Fill("#email", email)
	b.Fill("#password", password)
	return b.ClickAndWait("form[action='/login'] button[type=submit]")
}

// TestBrowserSignUpVerifyLogin: sign up, open the verification mail in the
// dev mailbox, follow its link, log in, see the account page.
func TestBrowserSignUpVerifyLogin(t *testing.T) {
	_, srv := serveWithMailbox(t, web.Options{Development: true})
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})

	b.Navigate(srv.URL + "/signup")
	b.Fill("#email", "mei@example.com")
	b.Fill("#password", "my cat likes green tea")
	if code := b.ClickAndWait("form[action='/signup'] button[type=submit]"); code != http.StatusOK {
		t.Fatalf("sign-up answered %d", code)
	}
	if got := b.Text("h1"); got != "请查收邮件" {
		t.Fatalf("after sign-up the page says %q, want the check-your-mailbox page", got)
	}

	openNewestMail(t, b, srv.URL, "确认您的 OKPay 邮箱")
	if got := b.Text("main"); !strings.Contains(got, "您的电子邮箱已确认") {
		t.Fatalf("verification page says %q", got)
	}

	if code := browserLogin(t, b, srv.URL, "mei@example.com", "my cat likes green tea"); code != http.StatusOK {
		t.Fatalf("login answered %d", code)
	}
	if !strings.HasSuffix(b.Location(), "/account") {
		t.Errorf("after login the browser is at %s, want /account", b.Location())
	}
	if got := b.Text("#signed-in-as"); !strings.Contains(got, "mei@example.com") {
		t.Errorf("account page says %q, want the signed-in email", got)
	}
	if got := b.Text("main"); !strings.Contains(got, "您的电子邮箱已确认") {
		t.Errorf("account page does not show the email as confirmed: %q", got)
	}
}

// TestBrowserPasswordResetEndsOldSessions: a browser logged in before the
// reset is signed out by it; the reset itself signs nobody in.
func TestBrowserPasswordResetEndsOldSessions(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.mustSignUp(t, "li@example.com", "old secret phrase", "en")

	old := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	if code := browserLogin(t, old, srv.URL, "li@example.com", "old secret phrase"); code != http.StatusOK || !strings.HasSuffix(old.Location(), "/account") {
		t.Fatalf("first browser login = %d at %s", code, old.Location())
	}

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	b.Navigate(srv.URL + "/password/forgot")
	b.Fill("#email", "li@example.com")
	b.ClickAndWait("form[action='/password/forgot'] button[type=submit]")
	if got := b.Text("h1"); got != "Check your mailbox" {
		t.Fatalf("forgot-password answer = %q", got)
	}
	openNewestMail(t, b, srv.URL, "Reset your OKPay password")
	b.Fill("#password", "new secret phrase")
	b.ClickAndWait("form[action='/password/reset'] button[type=submit]")
	if got := b.Text("#reset-done"); !strings.Contains(got, "Please log in with your new password") {
		t.Fatalf("reset answer = %q", got)
	}

	old.Navigate(srv.URL + "/account")
	if !strings.Contains(old.Location(), "/login?next=") {
		t.Errorf("the old session still opens /account (at %s); it should have been signed out", old.Location())
	}
	if code := browserLogin(t, b, srv.URL, "li@example.com", "new secret phrase"); code != http.StatusOK || !strings.HasSuffix(b.Location(), "/account") {
		t.Errorf("login with the new password = %d at %s", code, b.Location())
	}
}

// TestBrowserLockMessageInChinese: five wrong passwords lock the account,
// and the login page says so in Chinese, with why, until when and the ways
// out.
func TestBrowserLockMessageInChinese(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.mustSignUp(t, "wang@example.com", "the right passphrase", "zh-CN")
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	for i := range 6 {
		browserLogin(t, b, srv.URL, "wang@example.com", "a wrong passphrase")
		if browsertest.Eval[bool](b, `!!document.querySelector("#lock-message")`) {
			if i < 4 {
				t.Errorf("locked after %d failures, want 5", i+1)
			}
			break
		}
	}
	got := b.Text("#lock-message")
	for _, want := range []string{"账户已暂时锁定", "连续多次输入错误的密码", "自动解除", "北京时间", "重置密码", "联系客服", "support@okpay.test"} {
		if !strings.Contains(got, want) {
			t.Errorf("lock message lacks %q; it says:\n%s", want, got)
		}
	}
	if href, _ := b.Attr("#lock-message a[href='/password/forgot']", "href"); href != "/password/forgot" {
		t.Errorf("lock message has no link to reset the password")
	}
}
