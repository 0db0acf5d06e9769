package okpay_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/okpay/okpay/pkg/okpay"
)

// TestErrorsAndIdempotencyKeys: API errors come back as *okpay.Error with
// the error table's type, code and param; every POST carries an
// Idempotency-Key, a fresh one per call unless one is given.
func TestErrorsAndIdempotencyKeys(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer sk_test_x" || r.Header.Get("OKPay-Version") != okpay.APIVersion {
			t.Errorf("headers %v", r.Header)
		}
		w.Header().Set("Request-Id", "req_1")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/refunds" {
			w.WriteHeader(402)
			fmt.Fprint(w, `{"error":{"type":"refused_error","code":"refund_exceeds_captured","message":"too much","param":"amount"}}`)
			return
		}
		fmt.Fprint(w, `{"id":"pi_1","object":"payment_intent","amount":500,"currency":"usd","status":"requires_payment_method"}`)
	}))
	defer srv.Close()
	c := okpay.New(srv.URL+"/", "sk_test_x")
	ctx := context.Background()
	p, err := c.CreatePaymentIntent(ctx, okpay.PaymentIntentParams{Amount: 500, Currency: "usd"})
	if err != nil || p.ID != "pi_1" || p.Amount != 500 {
		t.Fatalf("create = %+v, %v", p, err)
	}
	if _, err := c.CreatePaymentIntent(ctx, okpay.PaymentIntentParams{Amount: 500, Currency: "usd"}, okpay.WithIdempotencyKey("order-7")); err != nil {
		t.Fatal(err)
	}
	rf, err := c.CreateRefund(ctx, okpay.RefundParams{PaymentIntent: "pi_1", Amount: 900})
	var e *okpay.Error
	if rf != nil || !errors.As(err, &e) || e.Status != 402 || e.Type != "refused_error" || e.Code != "refund_exceeds_captured" ||
		e.Param != "amount" || e.RequestID != "req_1" || !okpay.IsCode(err, "refund_exceeds_captured") || e.Retryable() {
		t.Errorf("refund error = %#v (%v), refund %v", e, err, rf)
	}
	if _, err := c.GetPaymentIntent(ctx, "pi_1"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 4 || keys[0] == "" || keys[2] == "" || keys[0] == keys[2] || keys[1] != "order-7" || keys[3] != "" {
		t.Errorf("Idempotency-Keys sent: %q; want fresh, given, fresh, none on GET", keys)
	}
}

// TestAllWalksPages: the All… helpers follow starting_after until
// has_more is false, and stop when the caller stops.
func TestAllWalksPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := 0
		if a := r.URL.Query().Get("starting_after"); a != "" {
			n, _ := strconv.Atoi(a[3:])
			start = n + 1
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		fmt.Fprint(w, `{"object":"list","url":"/v1/payment_intents","data":[`)
		end := min(start+limit, 7)
		for i := start; i < end; i++ {
			if i > start {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"id":"pi_%d"}`, i)
		}
		fmt.Fprintf(w, `],"has_more":%v}`, end < 7)
	}))
	defer srv.Close()
	c := okpay.New(srv.URL, "sk_test_x")
	var got []string
	for p, err := range c.AllPaymentIntents(context.Background(), 3) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.ID)
	}
	if fmt.Sprint(got) != "[pi_0 pi_1 pi_2 pi_3 pi_4 pi_5 pi_6]" {
		t.Errorf("walked %v", got)
	}
	n := 0
	for range c.AllPaymentIntents(context.Background(), 3) {
		n++
		if n == 4 {
			break
		}
	}
	if n != 4 {
		t.Errorf("stopped after %d", n)
	}
}
