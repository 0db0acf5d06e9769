// Package shop is a tiny tea shop that takes payments with OKPay: a
// product page whose "buy" button creates a checkout session through the
// Go client (pkg/okpay) and sends the shopper to OKPay's hosted page; a
// success page; a webhook endpoint that verifies OKPay's signature
// (pkg/okpay/webhook) and marks orders paid; and a refund button that
// gives part of an order back through the client.
//
// It keeps its orders in memory: it is an example of the integration,
// not of a shop. What it shows:
//   - An order is paid when the signed checkout.session.completed event
//     says so, not when the shopper's browser reaches the success page
//     (anyone can open that URL).
//   - Events are deduplicated on their id: deliveries are at least once.
//   - Calls that move money carry an Idempotency-Key of the shop's own
//     (the order and the refund's number), so a retry never refunds twice.
package shop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okpay/okpay/pkg/okpay"
	"github.com/okpay/okpay/pkg/okpay/webhook"
)

// Config is the shop's configuration.
type Config struct {
	// OKPayURL is OKPay's address ("https://okpay.example").
	OKPayURL string
	// SecretKey is the merchant's secret key (sk_test_… or sk_live_…).
	SecretKey string
	// WebhookSecret is the endpoint's signing secret (whsec_…).
	WebhookSecret string
	// BaseURL is the shop's own public address, for the success and
	// cancel URLs ("https://shop.example").
	BaseURL string
	// HTTPClient makes the calls to OKPay (nil: the client's default).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

// Product is what the shop sells.
type Product struct {
	Name     string
	Price    int64 // minor units
	Currency string
}

// TheTea is the shop's one product.
var TheTea = Product{Name: "Oolong tea 250g", Price: 88_00, Currency: "CNY"}

// Order is one purchase.
type Order struct {
	ID            string
	Session       string // cs_…
	PaymentIntent string // pi_…, once paid
	Amount        int64
	Currency      string
	Paid          bool
	Refunded      int64
	refunds       int // how many refund requests, for their idempotency keys
}

// Shop is the shop's HTTP handler and its orders.
type Shop struct {
	cfg    Config
	client *okpay.Client
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	orders map[string]*Order
	seen   map[string]bool // event ids handled
}

// New returns the shop.
func New(cfg Config) *Shop {
	var opts []okpay.Option
	if cfg.HTTPClient != nil {
		opts = append(opts, okpay.WithHTTPClient(cfg.HTTPClient))
	}
	s := &Shop{cfg: cfg, client: okpay.New(cfg.OKPayURL, cfg.SecretKey, opts...), log: cfg.Logger, now: cfg.Now,
		orders: map[string]*Order{}, seen: map[string]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return s
}

// Handler serves the shop's pages and its webhook endpoint.
func (s *Shop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /buy", s.buy)
	mux.HandleFunc("GET /success", s.success)
	mux.HandleFunc("POST /orders/{id}/refund", s.refund)
	mux.HandleFunc("POST /webhook", s.webhook)
	return mux
}

// Orders returns a copy of the orders, oldest first.
func (s *Shop) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"money": func(minor int64, cur string) string { return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, cur) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tea shop</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}button{padding:.5rem 1rem}</style></head>
<body><h1>Tea shop</h1>
{{if .Order}}{{with .Order}}
<p id="order">Order {{.ID}}: {{money .Amount .Currency}}</p>
{{if .Paid}}<p id="status">Paid</p>
<p id="refunded">Refunded: {{money .Refunded .Currency}}</p>
<form method="post" action="/orders/{{.ID}}/refund">
<label for="refund-amount">Refund (minor units)</label> <input id="refund-amount" name="amount" inputmode="numeric" required>
<button id="refund" type="submit">Refund</button></form>
{{else}}<p id="status">Waiting for OKPay's confirmation… reload in a moment.</p>{{end}}
{{end}}{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
<p><a href="/">Back to the shop</a></p>
{{else}}
<h2 id="product">{{.Product.Name}}</h2>
<p id="price">{{money .Product.Price .Product.Currency}}</p>
<form method="post" action="/buy"><button id="buy" type="submit">Buy with OKPay</button></form>
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
{{end}}
</body></html>`))

type view struct {
	Product Product
	Order   *Order
	Error   string
}

func (s *Shop) render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := page.Execute(w, v); err != nil {
		s.log.Error("render", "err", err)
	}
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, view{Product: TheTea})
}

func newOrderID() string {
	var b [6]byte
	rand.Read(b[:])
	return "ord_" + hex.EncodeToString(b[:])
}

// buy records an order and sends the shopper to OKPay's hosted page.
func (s *Shop) buy(w http.ResponseWriter, r *http.Request) {
	o := &Order{ID: newOrderID(), Amount: TheTea.Price, Currency: TheTea.Currency}
	cs, err := s.client.CreateCheckoutSession(r.Context(), okpay.CheckoutSessionParams{
		Amount: o.Amount, Currency: o.Currency, ItemName: TheTea.Name, Invoice: o.ID,
		SuccessURL: s.cfg.BaseURL + "/success?order=" + o.ID, CancelURL: s.cfg.BaseURL + "/",
	}, okpay.WithIdempotencyKey("checkout-"+o.ID))
	if err != nil {
		s.log.Error("create checkout session", "err", err)
		s.render(w, http.StatusBadGateway, view{Product: TheTea, Error: "OKPay is not available right now; please try again."})
		return
	}
	o.Session = cs.ID
	s.mu.Lock()
	s.orders[o.ID] = o
	s.mu.Unlock()
	http.Redirect(w, r, cs.URL, http.StatusSeeOther)
}

func (s *Shop) order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

// success shows the order. It trusts only what the webhook recorded.
func (s *Shop) success(w http.ResponseWriter, r *http.Request) {
	o, ok := s.order(r.URL.Query().Get("order"))
	if !ok {
		s.render(w, http.StatusNotFound, view{Product: TheTea, Error: "No such order."})
		return
	}
	s.render(w, http.StatusOK, view{Order: &o, Error: r.URL.Query().Get("error")})
}

// refund gives part of a paid order back through the API.
func (s *Shop) refund(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	amount, err := strconv.ParseInt(strings.TrimSpace(r.FormValue("amount")), 10, 64)
	s.mu.Lock()
	o, ok := s.orders[id]
	var pi string
	var n int
	if ok {
		pi = o.PaymentIntent
		o.refunds++
		n = o.refunds
	}
	s.mu.Unlock()
	back := "/success?order=" + id
	switch {
	case !ok:
		http.NotFound(w, r)
		return
	case pi == "":
		http.Redirect(w, r, back+"&error=not+paid+yet", http.StatusSeeOther)
		return
	case err != nil || amount <= 0:
		http.Redirect(w, r, back+"&error=enter+an+amount+in+minor+units", http.StatusSeeOther)
		return
	}
	rf, err := s.client.CreateRefund(r.Context(), okpay.RefundParams{PaymentIntent: pi, Amount: amount, Reason: "refund from the shop"},
		okpay.WithIdempotencyKey(fmt.Sprintf("refund-%s-%d", id, n)))
	if err != nil {
		msg := "the refund failed"
		var e *okpay.Error
		if errors.As(err, &e) {
			msg = e.Code
		}
		http.Redirect(w, r, back+"&error="+msg, http.StatusSeeOther)
		return
	}
	if rf.Status == "succeeded" {
		s.mu.Lock()
		o.Refunded += rf.Amount
		s.mu.Unlock()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// webhook verifies a delivery and marks its order paid.
func (s *Shop) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	ev, err := webhook.Verify(body, r.Header.Get(webhook.SignatureHeader), []string{s.cfg.WebhookSecret}, 5*time.Minute, s.now())
	if err != nil {
		s.log.Warn("webhook refused", "err", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[ev.ID] {
		w.WriteHeader(http.StatusOK) // a repeat: handled already
		return
	}
	s.seen[ev.ID] = true
	if ev.Type == "checkout.session.completed" {
		var cs okpay.CheckoutSession
		if err := json.Unmarshal(ev.Data.Object, &cs); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if o, ok := s.orders[cs.Invoice]; ok && o.Session == cs.ID && cs.AmountTotal == o.Amount {
			o.Paid, o.PaymentIntent = true, cs.PaymentIntent
			s.log.Info("order paid", "order", o.ID, "payment_intent", cs.PaymentIntent)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// Register creates the shop's webhook endpoint at OKPay for the
// checkout.session.completed events and returns its signing secret (for
// setting up; the secret is shown only once).
func Register(ctx context.Context, c *okpay.Client, shopURL string) (string, error) {
	ep, err := c.CreateWebhookEndpoint(ctx, okpay.WebhookEndpointParams{URL: strings.TrimRight(shopURL, "/") + "/webhook",
		EnabledEvents: []string{"checkout.session.completed"}, Description: "tea shop"})
	if err != nil {
		return "", err
	}
	return ep.Secret, nil
}
