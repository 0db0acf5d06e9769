package shop_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/examples/shop/shop"
	"github.com/okpay/okpay/pkg/okpay/webhook"
)

const secret = "whsec_test"

// fakeOKPay answers the two calls the shop makes, and records the
// refunds asked for.
type fakeOKPay struct {
	mu      sync.Mutex
	refunds []string // Idempotency-Key amount
}

func (f *fakeOKPay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/v1/checkout/sessions":
		fmt.Fprintf(w, `{"id":"cs_1","object":"checkout.session","payment_intent":"pi_1","amount_total":8800,"currency":"cny","status":"open","url":"https://okpay.example/checkout/cs_1","invoice":%q}`,
			between(string(b), `"invoice":"`, `"`))
	case "/v1/refunds":
		f.mu.Lock()
		f.refunds = append(f.refunds, r.Header.Get("Idempotency-Key")+" "+between(string(b), `"amount":`, `,`))
		f.mu.Unlock()
		fmt.Fprint(w, `{"id":"re_1","object":"refund","payment_intent":"pi_1","amount":3000,"currency":"cny","status":"succeeded"}`)
	default:
		http.NotFound(w, r)
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// TestWebhookMarksOrdersPaid: an order is paid only by a correctly
// signed checkout.session.completed of its own session and amount; a
// repeat of an event changes nothing; then the refund button asks OKPay
// with an idempotency key of the order's.
func TestWebhookMarksOrdersPaid(t *testing.T) {
	fake := &fakeOKPay{}
	ok := httptest.NewServer(fake)
	defer ok.Close()
	s := shop.New(shop.Config{OKPayURL: ok.URL, SecretKey: "sk_test_x", WebhookSecret: secret, BaseURL: "https://shop.example"})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := &http.Client{CheckRedirect: noRedirect}
	resp, err := c.Post(srv.URL+"/buy", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://okpay.example/checkout/cs_1" {
		t.Fatalf("buy = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	order := s.Orders()[0]
	deliver := func(id, sessionID string, amount int64, key string) int {
		body := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"checkout.session.completed","livemode":false,"created":1,
"data":{"object":{"id":%q,"object":"checkout.session","payment_intent":"pi_1","amount_total":%d,"currency":"cny","invoice":%q,"status":"complete"}}}`,
			id, sessionID, amount, order.ID))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", bytes.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(body, time.Now(), key))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := deliver("evt_1", "cs_1", 88_00, "whsec_other"); code != 400 || s.Orders()[0].Paid {
		t.Fatalf("wrongly signed: %d, paid %v", code, s.Orders()[0].Paid)
	}
	if code := deliver("evt_2", "cs_other", 88_00, secret); code != 200 || s.Orders()[0].Paid {
		t.Fatalf("another session: %d, paid %v", code, s.Orders()[0].Paid)
	}
	if code := deliver("evt_3", "cs_1", 1_00, secret); code != 200 || s.Orders()[0].Paid {
		t.Fatalf("another amount: %d, paid %v", code, s.Orders()[0].Paid)
	}
	if code := deliver("evt_4", "cs_1", 88_00, secret); code != 200 || !s.Orders()[0].Paid || s.Orders()[0].PaymentIntent != "pi_1" {
		t.Fatalf("the real event: %d, %+v", code, s.Orders()[0])
	}
	if code := deliver("evt_4", "cs_1", 88_00, secret); code != 200 {
		t.Fatalf("a repeat: %d", code)
	}
	resp, err = c.PostForm(srv.URL+"/orders/"+order.ID+"/refund", url.Values{"amount": {"3000"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || s.Orders()[0].Refunded != 30_00 {
		t.Fatalf("refund: %d, order %+v", resp.StatusCode, s.Orders()[0])
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.refunds) != 1 || fake.refunds[0] != "refund-"+order.ID+"-1 3000" {
		t.Errorf("refunds asked: %q", fake.refunds)
	}
}
