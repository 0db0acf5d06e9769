package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// shopSite is a small shop on another site (localhost, while OKPay is on
// 127.0.0.1): its home page carries the no-code HTML form posting to
// OKPay, and its thanks and cart pages are where OKPay sends the shopper
// back.
func shopSite(t *testing.T, okpay, receiver string) string {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Tea shop</title><h1>Tea shop</h1>
<form method="post" action="%s/pay/form">
<input type="hidden" name="receiver" value="%s">
<input type="hidden" name="currency" value="USD">
<input type="hidden" name="item_name" value="Oolong 250g">
<input type="hidden" name="amount" value="18.00">
<input type="hidden" name="invoice" value="ORDER-42">
<input type="hidden" name="return_url" value="%s/thanks">
<input type="hidden" name="cancel_url" value="%s/cart">
<input type="hidden" name="notify_url" value="%s/notify">
<button type="submit" id="buy">Pay with OKPay</button>
</form>`, html.EscapeString(okpay), html.EscapeString(receiver), base, base, base)
	})
	mux.HandleFunc("GET /thanks", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Thanks</title><h1>Thank you for your order</h1>`)
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Cart</title><h1>Your cart</h1>`)
	})
	return base
}

// TestBrowserCheckoutWithBalance: a session created in code; the signed-in
// shopper opens /checkout/{id}, pays from their balance and lands on the
// shop's success URL. Then the shop's HTML form, posted from the shop's
// own site, leads through OKPay's hosted page to the same end.
func TestBrowserCheckoutWithBalance(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	ctx := context.Background()
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	st.mustDeposit(t, shopper.ID, usdAmount(100_00))
	shop := shopSite(t, srv.URL, acc.MerchantID)

	cs, err := st.merchant.CreateSession(ctx, acc, merchant.SessionRequest{Amount: usdAmount(25_00), ItemName: "Jasmine tea",
		Invoice: "ORDER-41", SuccessURL: shop + "/thanks", CancelURL: shop + "/cart"})
	if err != nil {
		t.Fatal(err)
	}

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	if code := browserLogin(t, b, srv.URL, "mei@example.com", "a long quiet river"); code != http.StatusOK {
		t.Fatalf("login = %d", code)
	}
	if code := b.Navigate(srv.URL + "/checkout/" + cs.ID); code != http.StatusOK {
		t.Fatalf("checkout page = %d", code)
	}
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		b.Screenshot(filepath.Join(screenshotsDir, "checkout-zh.png"))
	}
	if got := b.Text("#checkout-merchant"); got != "Tea House" {
		t.Errorf("checkout names %q, want Tea House", got)
	}
	if got := b.Text("#checkout-amount"); !strings.Contains(got, "25.00") {
		t.Errorf("checkout amount %q, want 25.00", got)
	}
	if got := b.Text("#checkout-available"); !strings.Contains(got, "100.00") {
		t.Errorf("available shown %q, want 100.00", got)
	}
	b.ClickAndWait("#checkout-pay-balance")
	if loc := b.Location(); loc != shop+"/thanks" {
		t.Fatalf("after paying the browser is at %s, want the shop's success URL %s/thanks", loc, shop)
	}
	if got := b.Text("h1"); got != "Thank you for your order" {
		t.Errorf("shop page says %q", got)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 75_00 {
		t.Errorf("shopper has %d left, want 7500", got)
	}
	// Opening the page again says it is paid.
	b.Navigate(srv.URL + "/checkout/" + cs.ID)
	if got := b.Text("#checkout-state"); got != "本笔付款已完成，谢谢。" {
		t.Errorf("paid session says %q", got)
	}

	// The HTML form from the shop's own site.
	b.Navigate(shop + "/")
	b.ClickAndWait("#buy")
	if loc := b.Location(); !strings.HasPrefix(loc, srv.URL+"/checkout/cs_") {
		t.Fatalf("the form led to %s, want OKPay's hosted page", loc)
	}
	if got := b.Text("#checkout-item"); got != "Oolong 250g" {
		t.Errorf("hosted page item %q", got)
	}
	b.ClickAndWait("#checkout-pay-balance")
	if loc := b.Location(); loc != shop+"/thanks" {
		t.Fatalf("after paying the form's session the browser is at %s", loc)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 57_00 {
		t.Errorf("shopper has %d left after both, want 5700", got)
	}
	ps, err := st.merchant.Payments(ctx, acc, timeZero(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var paid int64
	for _, p := range ps {
		if p.Status == merchant.Succeeded {
			paid += p.AmountCaptured
		}
	}
	if paid != 43_00 {
		t.Errorf("merchant captured %d in all, want 4300", paid)
	}

	// The owner sees both on the dashboard and refunds part of one.
	ob := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	if code := browserLogin(t, ob, srv.URL, "owner@example.com", "correct horse battery"); code != http.StatusOK {
		t.Fatalf("owner login = %d", code)
	}
	ob.Navigate(srv.URL + "/merchant")
	ob.ClickAndWait("#mode-switch") // test mode is the default view
	if got := ob.Text("#mode"); got != "Live mode" {
		t.Fatalf("mode shown %q, want Live mode", got)
	}
	if got := ob.Text("#payments tbody"); strings.Count(got, "Succeeded") != 2 {
		t.Errorf("dashboard payments:\n%s", got)
	}
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		ob.Screenshot(filepath.Join(screenshotsDir, "merchant-en.png"))
	}
	ob.ClickAndWait("#payments tbody tr:first-child a")
	ob.Fill("#refund-amount", "5.00")
	ob.Fill("#refund-reason", "lid broken")
	ob.ClickAndWait("#refund-submit")
	if got := ob.Text("#done"); got != "Refunded. The payer has the money back." {
		t.Errorf("after refunding the page says %q", got)
	}
	if got := ob.Text("#payment-refunded"); got != "$5.00" {
		t.Errorf("refunded shown %q, want $5.00", got)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 62_00 {
		t.Errorf("shopper has %d after the refund, want 6200", got)
	}
}
