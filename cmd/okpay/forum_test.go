package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeCommunity checks that serve mounts the community forum on
// both engines: the public index, and the login page for posting.
func TestServeCommunity(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		n := startServe(t, env, "--data", t.TempDir())
		code, body := n.get("/community?q=%E9%80%80%E6%AC%BE")
		if code != http.StatusOK || !strings.Contains(body, "社区问答") || !strings.Contains(body, "没有找到相关主题") {
			t.Errorf("GET /community = %d; body starts %.300q", code, body)
		}
		noRedirect := &http.Client{Timeout: client.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Get(n.url + "/community/new")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET /community/new as a visitor = %d %q, want a redirect to the login page", resp.StatusCode, resp.Header.Get("Location"))
		}
		if code := n.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM; output:\n%s", code, n.output)
		}
	})
}
