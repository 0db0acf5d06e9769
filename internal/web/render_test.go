package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the platform zone, whatever the test machine has

	"github.com/okpay/okpay/internal/money"
)

// logBuffer collects log output.
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

func mustSite(t *testing.T, o Options) *Site {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestPageFormatsPerLocale(t *testing.T) {
	s := mustSite(t, Options{})
	zh, _ := s.msgs.Lookup("zh-CN")
	en, _ := s.msgs.Lookup("en")
	at := time.Date(2026, 11, 22, 6, 5, 0, 0, time.UTC) // 14:05 in Shanghai
	cny := money.Amount{Minor: 123450, Currency: money.MustCurrency("CNY")}
	usd := money.Amount{Minor: -1250, Currency: money.MustCurrency("USD")}
	jpy := money.Amount{Minor: 100, Currency: money.MustCurrency("JPY")}
	tests := []struct {
		name      string
		got, want string
	}{
		{"zh date time", (&Page{Locale: zh, site: s}).DateTime(at), "2026年11月22日 14:05"},
		{"en date time", (&Page{Locale: en, site: s}).DateTime(at), "22 Nov 2026, 14:05"},
		{"zh date", (&Page{Locale: zh, site: s}).Date(at), "2026年11月22日"},
		{"en date", (&Page{Locale: en, site: s}).Date(at), "22 Nov 2026"},
		{"zh CNY", (&Page{Locale: zh, site: s}).Money(cny), "¥1,234.50"},
		{"en CNY", (&Page{Locale: en, site: s}).Money(cny), "CN¥1,234.50"},
		{"zh USD", (&Page{Locale: zh, site: s}).Money(usd), "-US$12.50"},
		{"en USD", (&Page{Locale: en, site: s}).Money(usd), "-$12.50"},
		{"zh JPY", (&Page{Locale: zh, site: s}).Money(jpy), "JP¥100"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}

	// Another platform zone moves the day.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s2 := mustSite(t, Options{TimeZone: ny})
	if got, want := (&Page{Locale: en, site: s2}).DateTime(at), "22 Nov 2026, 01:05"; got != want {
		t.Errorf("in New York: %q, want %q", got, want)
	}
}

// failingSite mounts handlers that fail in the ways a later page might.
func failingSite(t *testing.T) (http.Handler, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s := mustSite(t, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	mux := http.NewServeMux()
	s.Mount(mux)
	mux.Handle("GET /fails", s.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "half-made"})
		s.ServerError(w, r, errors.New("connect postgres://okpay:hunter2@db: refused"))
	})))
	mux.Handle("GET /panics", s.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("ledger exploded with password hunter2")
	})))
	mux.Handle("GET /bad-template", s.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Render(w, r, http.StatusOK, "no-such-page", nil)
	})))
	mux.Handle("GET /panics-late", s.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("partial"))
		panic("after the header")
	})))
	return mux, logs
}

func TestServerErrorPage(t *testing.T) {
	h, logs := failingSite(t)
	tests := []struct {
		path, lang, want string
	}{
		{"/fails", "", "我们这边出了问题"},
		{"/fails", "en", "Something went wrong on our side"},
		{"/panics", "", "我们这边出了问题"},
		{"/panics", "en", "Something went wrong on our side"},
		{"/bad-template", "en", "Something went wrong on our side"},
	}
	for _, tt := range tests {
		t.Run(tt.path+"/"+tt.lang, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.lang != "" {
				r.Header.Set("Accept-Language", tt.lang)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", w.Code)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("500 page lacks %q:\n%s", tt.want, body)
			}
			for _, leak := range []string{"hunter2", "postgres", "exploded", "no-such-page", "goroutine"} {
				if strings.Contains(body, leak) {
					t.Errorf("500 page reveals %q", leak)
				}
			}
			if !strings.Contains(body, `class="site-footer"`) {
				t.Error("500 page is not drawn in the layout")
			}
			for _, c := range w.Result().Cookies() {
				if c.Name == "session" {
					t.Errorf("500 page keeps the failed handler's cookie %v", c)
				}
			}
			if w.Header().Get("Content-Security-Policy") == "" {
				t.Error("500 page lacks the security headers")
			}
			// The reference on the page finds the error in the log.
			ref := referenceRE.FindString(body)
			if ref == "" {
				t.Fatalf("500 page shows no reference:\n%s", body)
			}
			if !strings.Contains(logs.String(), "reference="+ref) {
				t.Errorf("log lacks reference %s:\n%s", ref, logs)
			}
		})
	}
	if out := logs.String(); !strings.Contains(out, "hunter2") || !strings.Contains(out, "stack=") {
		t.Errorf("the log should keep the cause and the panic's stack for the operator:\n%s", out)
	}
}

func TestPanicAfterResponseBeganAborts(t *testing.T) {
	h, _ := failingSite(t)
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler so the server drops the connection", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/panics-late", nil))
	t.Error("the handler did not panic")
}

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/dev/clock?changed=1", "/dev/clock?changed=1"},
		{"/nope", "/nope"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/a\r\nSet-Cookie: x=1", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnhashed(t *testing.T) {
	tests := []struct{ in, want string }{
		{"style.0123456789ab.css", "style.css"},
		{"style.css", "style.css"},
		{"favicon.abc.svg", "favicon.svg"},
		{"noext", "noext"},
	}
	for _, tt := range tests {
		if got := unhashed(tt.in); got != tt.want {
			t.Errorf("unhashed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var referenceRE = regexp.MustCompile(`[A-Z2-7]{4}-[A-Z2-7]{4}`)
