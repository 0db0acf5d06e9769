package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestAPIBenchSendsEachRequestOnce: every request carries the key, the
// body and an Idempotency-Key of its own (so each creates an object), and
// a refused request is counted and reported, not hidden.
func TestAPIBenchSendsEachRequestOnce(t *testing.T) {
	var mu sync.Mutex
	keys := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		keys[r.Header.Get("Idempotency-Key")]++
		n := len(keys)
		mu.Unlock()
		switch {
		case r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer sk_test_x" || string(body) != `{"amount":1}`:
			http.Error(w, "bad request", http.StatusBadRequest)
		case n == 7:
			http.Error(w, `{"error":{"type":"api_error"}}`, http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	res := apiBench{URL: srv.URL, Key: "sk_test_x", Body: []byte(`{"amount":1}`), Requests: 200, Concurrency: 8, Client: srv.Client()}.run(context.Background())
	if len(keys) != 200 {
		t.Errorf("%d distinct Idempotency-Keys for 200 requests", len(keys))
	}
	for k, n := range keys {
		if n != 1 || !strings.HasPrefix(k, "bench-") {
			t.Errorf("key %q sent %d times", k, n)
		}
	}
	if res.Requests != 200 || res.Failed != 1 || !strings.HasPrefix(res.FirstError, "503") {
		t.Errorf("result %+v, want 200 requests with the one 503 reported", res)
	}
	if res.P50ms <= 0 || res.P99ms < res.P50ms || res.PerSec <= 0 {
		t.Errorf("timings %+v", res)
	}
}

// TestBenchAPIRefusesBadFlags: a missing key, a URL that is not http(s), a
// body that is not JSON and non-positive counts are refused with exit 2
// and a reason, before any request is sent.
func TestBenchAPIRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--requests", "1"}, "needs a secret key"},
		{[]string{"--key", "k", "--url", "ftp://x/v1"}, "--url must be an http(s) URL"},
		{[]string{"--key", "k", "--url", "http://"}, "--url must be an http(s) URL"},
		{[]string{"--key", "k", "--body", "{nope"}, "--body must be JSON"},
		{[]string{"--key", "k", "--requests", "0"}, "--requests > 0"},
		{[]string{"--key", "k", "--concurrency", "-3"}, "--concurrency > 0"},
	} {
		r := okpay(t, nil, append([]string{"bench", "api"}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("bench api %v = exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}
