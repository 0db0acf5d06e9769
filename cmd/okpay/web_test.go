package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestServeWebPages checks that serve mounts the web pages, and the
// /dev/clock helper in development only.
func TestServeWebPages(t *testing.T) {
	noRedirect := &http.Client{
		Timeout:       client.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	send := func(t *testing.T, r *http.Request) (int, http.Header, string) {
		t.Helper()
		resp, err := noRedirect.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	get := func(t *testing.T, n *node, path string) (int, http.Header, string) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, n.url+path, nil)
		return send(t, r)
	}

	t.Run("development", func(t *testing.T) {
		n := startServe(t, nil, "--data", t.TempDir())
		code, h, body := get(t, n, "/")
		if code != http.StatusOK || !strings.Contains(body, `<html lang="zh-CN">`) || !strings.Contains(body, "安全、透明的在线支付") {
			t.Errorf("GET / = %d, want the Chinese home page; body starts %.300q", code, body)
		}
		if h.Get("Content-Security-Policy") == "" || h.Get("Strict-Transport-Security") != "" {
			t.Errorf("development headers: CSP %q, HSTS %q; want a CSP and no HSTS", h.Get("Content-Security-Policy"), h.Get("Strict-Transport-Security"))
		}
		if code, _, body := get(t, n, "/no-such-page"); code != http.StatusNotFound || !strings.Contains(body, "找不到这个页面") {
			t.Errorf("GET /no-such-page = %d, want the 404 page", code)
		}
		if code, _, body := get(t, n, "/dev/clock"); code != http.StatusOK || !strings.Contains(body, "没有偏移") {
			t.Fatalf("GET /dev/clock from loopback = %d, want 200 with the clock at real time; body starts %.300q", code, body)
		}

		form := url.Values{"action": {"advance"}, "amount": {"3"}, "unit": {"days"}}
		r, _ := http.NewRequest(http.MethodPost, n.url+"/dev/clock", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		if code, h, _ := send(t, r); code != http.StatusSeeOther {
			t.Errorf("POST /dev/clock = %d (Location %q), want 303", code, h.Get("Location"))
		}
		if _, _, body := get(t, n, "/dev/clock"); !strings.Contains(body, "快 72h0m0s") {
			t.Errorf("after advancing 3 days the clock page does not say it is 72h ahead; body:\n%s", body)
		}

		// A cross-site post is refused.
		r, _ = http.NewRequest(http.MethodPost, n.url+"/dev/clock", strings.NewReader(url.Values{"action": {"reset"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		if code, _, _ := send(t, r); code != http.StatusForbidden {
			t.Errorf("cross-site POST /dev/clock = %d, want 403", code)
		}
		if code := n.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM; output:\n%s", code, n.output)
		}
	})

	t.Run("production", func(t *testing.T) {
		n := startServe(t, productionEnv(t), "--data", t.TempDir())
		code, h, body := get(t, n, "/")
		if code != http.StatusOK || !strings.Contains(body, "OKPay") {
			t.Errorf("GET / = %d, want the home page", code)
		}
		if h.Get("Strict-Transport-Security") == "" {
			t.Error("production pages lack Strict-Transport-Security")
		}
		if strings.Contains(body, "/dev/clock") {
			t.Error("a production page links /dev/clock")
		}
		if code, _, _ := get(t, n, "/dev/clock"); code != http.StatusNotFound {
			t.Errorf("GET /dev/clock in production = %d, want 404", code)
		}
		if code := n.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM; output:\n%s", code, n.output)
		}
	})
}
