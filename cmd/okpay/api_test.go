package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeAPI checks that serve mounts the /v1 API beside the pages: the
// OpenAPI document and the reference page, JSON errors for a request
// without a key (a cross-site POST too: the pages' cross-site check does
// not stand in front of the API), on both engines.
func TestServeAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		n := startServe(t, env, "--data", t.TempDir())
		code, doc := n.get("/v1/openapi.json")
		var d struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal([]byte(doc), &d); code != 200 || err != nil || d.OpenAPI != "3.1.0" {
			t.Fatalf("GET /v1/openapi.json = %d, %v", code, err)
		}
		for _, p := range []string{"/v1/balance", "/v1/transfers", "/v1/transfers/{id}", "/v1/history"} {
			if d.Paths[p] == nil {
				t.Errorf("the served document lacks %s", p)
			}
		}
		if code, page := n.get("/docs/api"); code != 200 || !strings.Contains(page, "/v1/transfers") || !strings.Contains(page, "idempotency_key_in_use") {
			t.Errorf("GET /docs/api = %d", code)
		}
		r, _ := http.NewRequest(http.MethodPost, n.url+"/v1/transfers", strings.NewReader(`{"amount":100,"currency":"USD","to":"a@example.com"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Idempotency-Key", "x")
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(b), `"code":"api_key_missing"`) || resp.Header.Get("Request-Id") == "" {
			t.Errorf("POST /v1/transfers without a key = %d %s", resp.StatusCode, b)
		}
		if code, body := n.get("/v1/nothing"); code != 404 || !strings.Contains(body, "route_not_found") {
			t.Errorf("GET /v1/nothing = %d %s", code, body)
		}
		if code := n.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM; output:\n%s", code, n.output)
		}
	})
}
