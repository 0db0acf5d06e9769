package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserAPIKeys: in Chinese, a customer creates a key, copies the
// secret shown once, finds it masked in the list afterwards, and revokes
// it.
func TestBrowserAPIKeys(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.mustSignUp(t, "qian@example.com", "a long quiet river", "zh-CN")
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	if code := browserLogin(t, b, srv.URL, "qian@example.com", "a long quiet river"); code != http.StatusOK {
		t.Fatalf("login = %d", code)
	}
	b.Navigate(srv.URL + "/settings/api-keys")
	if got := b.Text("#apikeys-empty"); !strings.Contains(got, "还没有") {
		t.Fatalf("empty list says %q", got)
	}
	b.Fill("#key-name", "记账脚本")
	b.Click(`input[name="scope_send"]`)
	b.ClickAndWait("#key-create")
	secret := b.Value("#apikey-secret")
	if !secretRE.MatchString(secret) || !strings.Contains(b.Text("#apikey-created"), "只显示这一次") {
		t.Fatalf("created: secret %q, card %q", secret, b.Text("#apikey-created"))
	}
	row := b.Text("#apikeys tbody tr")
	if !strings.Contains(row, "记账脚本") || !strings.Contains(row, "查看") || !strings.Contains(row, "付款") || !strings.Contains(row, secret[len(secret)-4:]) {
		t.Errorf("the new key's row: %q", row)
	}
	b.Navigate(srv.URL + "/settings/api-keys")
	if strings.Contains(b.Text("main"), secret) {
		t.Error("the secret is shown again")
	}
	// The daily limit needs the second factor, which is off: the page
	// says so and where to turn it on.
	b.ClickAndWait(`#apikeys a[id^="set-limit-"]`)
	b.Fill("#limit-amount", "300")
	b.ClickAndWait("#limit-submit")
	if got := b.Text("#limit-problem"); !strings.Contains(got, "两步验证") {
		t.Errorf("limit without 2FA: %q", got)
	}
	b.ClickAndWait(`#apikeys form[action$="/revoke"] button`)
	if got := b.Text("#apikeys-notice"); !strings.Contains(got, "已吊销") {
		t.Errorf("after revoking: %q", got)
	}
	if got := b.Text("#apikeys tbody tr"); !strings.Contains(got, "已吊销") {
		t.Errorf("revoked row: %q", got)
	}
}
