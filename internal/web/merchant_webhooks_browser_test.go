package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserMerchantWebhooks: a merchant's developer, reading Chinese,
// is refused a private address next to the field, then adds an endpoint
// and sees its secret once; reloading no longer shows it. With
// OKPAY_SCREENSHOTS=1 it refreshes docs/screenshots/merchant-webhooks-zh.png.
func TestBrowserMerchantWebhooks(t *testing.T) {
	merchants := newMerchantsByUser()
	hooks, _ := newTestWebhooks(t, time.Now, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	st, srv := serveWithMailbox(t, web.Options{Development: true, Webhooks: hooks, WebhookMerchants: merchants})
	dev := st.mustSignUp(t, "dev@shop.example", "a long quiet river", "zh-CN")
	merchants.set(dev.ID, "mch_shop", true)

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, b, srv.URL, "dev@shop.example", "a long quiet river")
	b.Navigate(srv.URL + "/merchant/mch_shop/webhooks")
	if got := b.Text("#endpoints-empty"); !strings.Contains(got, "还没有接收地址") {
		t.Fatalf("the empty page reads %q", got)
	}
	b.Fill("#webhook-url", "http://192.168.1.20/okpay")
	b.Click("input[name=events][value='payment_intent.succeeded']")
	if code := b.ClickAndWait("#webhook-add"); code != http.StatusUnprocessableEntity {
		t.Errorf("a private address answered %d", code)
	}
	if got := b.Text("#webhook-url-error"); !strings.Contains(got, "内网") {
		t.Errorf("the field error reads %q", got)
	}
	if got := b.Value("#webhook-url"); got != "http://192.168.1.20/okpay" {
		t.Errorf("the typed address became %q", got)
	}

	b.Fill("#webhook-url", "https://shop.example/okpay")
	if code := b.ClickAndWait("#webhook-add"); code != http.StatusOK {
		t.Fatalf("adding answered %d:\n%s", code, b.Text("main"))
	}
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		b.Screenshot(filepath.Join(screenshotsDir, "merchant-webhooks-zh.png"))
	}
	secret := b.Text("#webhook-secret-value")
	if !strings.HasPrefix(secret, "whsec_") || !strings.Contains(b.Text("#webhook-secret"), "只显示这一次") {
		t.Fatalf("the secret box reads %q", b.Text("#webhook-secret"))
	}
	if got := b.Text("main"); !strings.Contains(got, "https://shop.example/okpay") || !strings.Contains(got, "payment_intent.succeeded") {
		t.Errorf("the endpoint list reads %q", got)
	}
	b.Navigate(srv.URL + "/merchant/mch_shop/webhooks")
	if strings.Contains(b.Text("main"), secret) {
		t.Error("the secret is shown again after reloading")
	}
}
