package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserAccountPages opens the main account pages in both languages
// and checks each shows its own title in that language; with
// OKPAY_SCREENSHOTS=1 it also refreshes docs/screenshots.
func TestBrowserAccountPages(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	pages := []struct{ name, path, zh, en string }{
		{"signup", "/signup", "注册 OKPay 账户", "Create your OKPay account"},
		{"login", "/login", "登录 OKPay", "Log in to OKPay"},
		{"account", "/account", "我的账户", "My account"},
		{"security", "/settings/security", "安全设置", "Security"},
		{"totp", "/settings/security/totp", "设置身份验证器应用", "Set up your authenticator app"},
		{"sessions", "/settings/sessions", "登录设备与记录", "Sessions and sign-in history"},
	}
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			accept := map[string]string{"zh": "zh-CN,zh;q=0.9", "en": "en"}[lang]
			email := "shots-" + lang + "@example.com"
			st.mustSignUp(t, email, "a long quiet river", map[string]string{"zh": "zh-CN", "en": "en"}[lang])
			b := browsertest.New(t, browsertest.Options{AcceptLanguage: accept})
			for _, p := range pages {
				if p.name == "account" {
					browserLogin(t, b, srv.URL, email, "a long quiet river")
				}
				if p.name == "totp" {
					b.Navigate(srv.URL + "/settings/security")
					b.ClickAndWait("#setup-totp")
				} else {
					b.Navigate(srv.URL + p.path)
				}
				want := map[string]string{"zh": p.zh, "en": p.en}[lang]
				if got := b.Text("h1"); got != want {
					t.Errorf("%s: title %q, want %q", p.path, got, want)
				}
				if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
					b.Screenshot(filepath.Join(screenshotsDir, p.name+"-"+lang+".png"))
				}
			}
		})
	}
}
