package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/okpay/okpay/internal/server"
)

// logBuffer collects log output written from server goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mustServer(t *testing.T, o server.Options) (*server.Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return s, logs
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func TestHealthz(t *testing.T) {
	s, _ := mustServer(t, server.Options{})
	w := get(t, s.Handler(), "/healthz")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", w.Code, w.Body)
	}
}

func TestReadyz(t *testing.T) {
	failing := errors.New("connect postgres postgres://okpay:hunter2@db:5432/okpay: connection refused")
	tests := []struct {
		name       string
		checks     []server.Check
		wantStatus int
		want       map[string]any
	}{
		{
			name:       "no checks",
			wantStatus: http.StatusOK,
			want:       map[string]any{"status": "ok"},
		},
		{
			name:       "database answers",
			checks:     []server.Check{{Name: "database", Func: func(context.Context) error { return nil }}},
			wantStatus: http.StatusOK,
			want:       map[string]any{"status": "ok", "checks": map[string]any{"database": "ok"}},
		},
		{
			name: "database fails",
			checks: []server.Check{
				{Name: "database", Func: func(context.Context) error { return failing }},
				{Name: "jobs", Func: func(context.Context) error { return nil }},
			},
			wantStatus: http.StatusServiceUnavailable,
			want:       map[string]any{"status": "unavailable", "checks": map[string]any{"database": "failed", "jobs": "ok"}},
		},
		{
			name: "database hangs",
			checks: []server.Check{{Name: "database", Func: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			}}},
			wantStatus: http.StatusServiceUnavailable,
			want:       map[string]any{"status": "unavailable", "checks": map[string]any{"database": "timeout"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := mustServer(t, server.Options{Checks: tt.checks, ReadyTimeout: 50 * time.Millisecond})
			w := get(t, s.Handler(), "/readyz")
			if w.Code != tt.wantStatus {
				t.Errorf("GET /readyz status = %d, want %d", w.Code, tt.wantStatus)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			body := w.Body.String()
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GET /readyz body mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(body, "hunter2") || strings.Contains(body, "refused") {
				t.Errorf("GET /readyz body leaks internals: %s", body)
			}
			if tt.wantStatus != http.StatusOK && !strings.Contains(logs.String(), "readiness check failed") {
				t.Errorf("a failed check should be logged with its cause; logs:\n%s", logs)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	own := prometheus.NewCounter(prometheus.CounterOpts{Name: "okpay_test_things_total", Help: "things"})
	reg.MustRegister(own)
	own.Add(3)
	s, _ := mustServer(t, server.Options{Registry: reg})
	s.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	get(t, s.Handler(), "/things/1")
	get(t, s.Handler(), "/things/2")
	get(t, s.Handler(), "/nowhere")

	w := get(t, s.Handler(), "/metrics")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		"go_goroutines ",
		"okpay_test_things_total 3",
		`okpay_http_requests_total{code="200",method="GET",route="GET /things/{id}"} 2`,
		`okpay_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		"okpay_http_request_duration_seconds_bucket",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "/things/1") {
		t.Error("/metrics labels a raw path; routes must be patterns")
	}

	// A second server on the same registry shares the series.
	if _, err := server.New(server.Options{Registry: reg}); err != nil {
		t.Errorf("second server on one registry: %v", err)
	}
}

func TestRequestLog(t *testing.T) {
	s, logs := mustServer(t, server.Options{})
	s.HandleFunc("POST /v1/payments", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "{}")
	})
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/payments?token=s3cr3t-reset-token", nil))
	out := logs.String()
	for _, want := range []string{"method=POST", "path=/v1/payments", `route="POST /v1/payments"`, "status=201", "bytes=2", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("request log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("request log reveals the query string:\n%s", out)
	}
}

func TestPanicRecovery(t *testing.T) {
	s, logs := mustServer(t, server.Options{})
	s.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "half-made"})
		w.Header().Set("Content-Type", "application/json")
		panic("card processor exploded")
	})
	w := get(t, s.Handler(), "/boom")
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
	if got := strings.TrimSpace(w.Body.String()); got != "internal server error" {
		t.Errorf("body = %q, want a plain \"internal server error\"", got)
	}
	if strings.Contains(w.Body.String(), "exploded") {
		t.Error("500 body reveals the panic")
	}
	if c := w.Header().Get("Set-Cookie"); c != "" {
		t.Errorf("500 carries the failed handler's cookie %q", c)
	}
	out := logs.String()
	for _, want := range []string{"panic serving request", "card processor exploded", "server_test.TestPanicRecovery", "status=500"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	// The server keeps serving.
	if w := get(t, s.Handler(), "/healthz"); w.Code != http.StatusOK {
		t.Errorf("after a panic GET /healthz = %d", w.Code)
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	s, _ := mustServer(t, server.Options{})
	started, release := make(chan struct{}), make(chan struct{})
	s.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{resp.StatusCode, string(b), err}
	}()
	<-started
	cancel()
	// New connections are refused once shutdown begins.
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
	}
	close(release)
	r := <-slow
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request during shutdown = %d %q %v, want 200 \"finished\"", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

func TestServeReturnsListenerErrors(t *testing.T) {
	s, _ := mustServer(t, server.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := s.Serve(context.Background(), ln); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
}
