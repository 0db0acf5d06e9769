package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestServeHelpCentre: `okpay migrate` then `okpay serve` on both engines
// serve the shipped help articles, searchable in Chinese, loaded once.
func TestServeHelpCentre(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		if r := okpay(t, env, "--data", data, "migrate"); r.code != 0 {
			t.Fatalf("okpay migrate exited %d\n%s", r.code, r.stderr)
		}
		n := startServe(t, env, "--data", data)
		resp, err := client.Get(n.url + "/help/search?q=" + url.QueryEscape("提现"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/help/withdrawal-process"`) || !strings.Contains(body, "<mark>提现</mark>") {
			t.Fatalf("GET /help/search?q=提现 = %d; body %.500s", resp.StatusCode, body)
		}
		resp, err = client.Get(n.url + "/help")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := strings.Count(string(b), `<li><a href="/help/`); got != 9 {
			t.Errorf("/help lists %d articles, want the 9 shipped ones once each", got)
		}
	})
}
