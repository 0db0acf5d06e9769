package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/examples/shop/shop"
	"github.com/okpay/okpay/internal/httpapi/apitest"
	"github.com/okpay/okpay/internal/web/browsertest"
	okclient "github.com/okpay/okpay/pkg/okpay"
	okwebhook "github.com/okpay/okpay/pkg/okpay/webhook"
)

// apiExchange is one /v1 response seen by a client.
type apiExchange struct {
	method, path string
	status       int
	body         []byte
}

// recordingTransport keeps every response its client receives, so the
// test can check each against the served OpenAPI document.
type recordingTransport struct {
	mu  sync.Mutex
	got []apiExchange
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	rt.mu.Lock()
	rt.got = append(rt.got, apiExchange{r.Method, r.URL.RequestURI(), resp.StatusCode, b})
	rt.mu.Unlock()
	return resp, nil
}

func (rt *recordingTransport) all() []apiExchange {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]apiExchange(nil), rt.got...)
}

// TestShopEndToEnd is the whole merchant journey on the real program:
// `okpay merchant create` prints a test key; the example shop (in this
// process, on its own port) registers its webhook endpoint through the
// API; in chromium a shopper opens the shop, buys, pays on OKPay's hosted
// page with a sandbox test card and lands on the shop's success page; the
// running okpay delivers the signed checkout.session.completed event,
// which the shop verifies before calling the order paid; the refund button
// gives part back through the Go client; every JSON answer fits the
// served /v1/openapi.json; and the books verify once okpay has stopped.
// On both engines.
func TestShopEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) { shopEndToEnd(t, env) })
}

func shopEndToEnd(t *testing.T, env []string) {
	data := t.TempDir()
	env = append(env, "OKPAY_WEBHOOK_ALLOW_PRIVATE=1") // the shop is on this machine
	r := okpay(t, env, "--data", data, "merchant", "create", "--owner", "tea@example.com", "--name", "Tea House")
	if r.code != 0 {
		t.Fatalf("merchant create: exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "sk_test_") {
		t.Fatalf("the last line is %q, want a test secret key", key)
	}
	n := startServe(t, env, "--data", data)
	doc, err := apitest.Fetch(client, n.url)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingTransport{}
	httpc := &http.Client{Transport: rec, Timeout: 30 * time.Second}
	api := okclient.New(n.url, key, okclient.WithHTTPClient(httpc))
	ctx := context.Background()

	// The shop's address is known before it serves, so its endpoint can
	// be registered and its secret given to it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	shopURL := "http://" + ln.Addr().String()
	secret, err := shop.Register(ctx, api, shopURL)
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("register the webhook endpoint: %q, %v", secret, err)
	}
	s := shop.New(shop.Config{OKPayURL: n.url, SecretKey: key, WebhookSecret: secret, BaseURL: shopURL, HTTPClient: httpc})
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	// A delivery not signed with the endpoint's secret is refused.
	forged := []byte(`{"id":"evt_forged","object":"event","type":"checkout.session.completed","livemode":false,"created":1,"data":{"object":{}}}`)
	req, _ := http.NewRequest(http.MethodPost, shopURL+"/webhook", bytes.NewReader(forged))
	req.Header.Set(okwebhook.SignatureHeader, okwebhook.Sign(forged, time.Now(), "whsec_not_the_secret"))
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a forged delivery: %v %v, want 400", resp, err)
	}

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	b.Navigate(shopURL + "/")
	if got := b.Text("#price"); got != "88.00 CNY" {
		t.Errorf("the shop shows %q", got)
	}
	b.ClickAndWait("#buy")
	if loc := b.Location(); !strings.HasPrefix(loc, n.url+"/checkout/cs_") {
		t.Fatalf("buying led to %s, want OKPay's hosted page", loc)
	}
	if got := b.Text("#checkout-merchant"); got != "Tea House" {
		t.Errorf("the hosted page names %q", got)
	}
	b.Fill("#card-number", "4242424242424242")
	b.Fill("#card-exp", "12/30")
	b.Fill("#card-cvc", "123")
	b.ClickAndWait("#checkout-pay-card")
	orders := s.Orders()
	if len(orders) != 1 {
		t.Fatalf("orders: %+v", orders)
	}
	order := orders[0]
	if loc := b.Location(); loc != shopURL+"/success?order="+order.ID {
		t.Fatalf("after paying the browser is at %s, want the shop's success page", loc)
	}

	// The order is paid when the signed event arrives (a bounded wait for
	// the delivery job, not a timing assertion).
	for end := time.Now().Add(deadline); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if order = s.Orders()[0]; order.Paid {
			break
		}
	}
	if !order.Paid || !strings.HasPrefix(order.PaymentIntent, "pi_") {
		t.Fatalf("the shop never heard that the order was paid: %+v\nokpay output:\n%s", order, n.output)
	}
	b.Navigate(shopURL + "/success?order=" + order.ID)
	if got := b.Text("#status"); got != "Paid" {
		t.Fatalf("the success page says %q", got)
	}
	b.Fill("#refund-amount", "3000")
	b.ClickAndWait("#refund")
	if got := b.Text("#refunded"); got != "Refunded: 30.00 CNY" {
		t.Errorf("after the refund the shop says %q", got)
	}
	pi, err := api.GetPaymentIntent(ctx, order.PaymentIntent)
	if err != nil {
		t.Fatal(err)
	}
	if pi.Status != "succeeded" || pi.AmountReceived != 88_00 || pi.AmountRefunded != 30_00 || pi.Livemode || pi.CardLast4 != "4242" {
		t.Errorf("the payment as the API shows it: %+v", pi)
	}
	var refunds []okclient.Refund
	for rf, err := range api.AllRefunds(ctx, pi.ID, 10) {
		if err != nil {
			t.Fatal(err)
		}
		refunds = append(refunds, rf)
	}
	if len(refunds) != 1 || refunds[0].Amount != 30_00 || refunds[0].Status != "succeeded" {
		t.Errorf("refunds: %+v", refunds)
	}
	// Asking for more than is left is refused with the table's code.
	if _, err := api.CreateRefund(ctx, okclient.RefundParams{PaymentIntent: pi.ID, Amount: 60_00}); !okclient.IsCode(err, "refund_exceeds_captured") {
		t.Errorf("refund over what is left: %v", err)
	}
	if _, err := api.GetPaymentIntent(ctx, "pi_0000000000000000000000000a"); !okclient.IsCode(err, "resource_missing") {
		t.Errorf("an unknown payment: %v", err)
	}

	seen := rec.all()
	if len(seen) < 6 {
		t.Errorf("only %d API answers recorded", len(seen))
	}
	for _, x := range seen {
		if err := doc.Check(x.method, x.path, x.status, x.body); err != nil {
			t.Error(err)
		}
	}
	if code := n.stop(); code != 0 {
		t.Errorf("okpay serve exit %d; output:\n%s", code, n.output)
	}
	if r := okpay(t, env, "--data", data, "ledger", "verify"); r.code != 0 {
		t.Errorf("ledger verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
