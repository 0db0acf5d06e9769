package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
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
		for _, p := range []string{"/v1/balance", "/v1/transfers", "/v1/transfers/{id}", "/v1/history", "/v1/payment_intents", "/v1/verify"} {
			if d.Paths[p] == nil {
				t.Errorf("the served document lacks %s", p)
			}
		}
		// The public channel check is served by the site, without a key,
		// and documented as such.
		if op, _ := d.Paths["/v1/verify"]["get"].(map[string]any); op == nil || fmt.Sprint(op["security"]) != "[]" {
			t.Errorf("/v1/verify is documented as %v, want a public GET", d.Paths["/v1/verify"])
		}
		if code, body := n.get("/v1/verify?value=0kpay.com"); code != 200 || !strings.Contains(body, `"verdict":"suspicious"`) {
			t.Errorf("GET /v1/verify?value=0kpay.com = %d %s", code, body)
		}
		if code, body := n.get("/v1/verify"); code != 400 || !strings.Contains(body, `"code":"value_missing"`) || !strings.Contains(doc, "value_missing") {
			t.Errorf("GET /v1/verify without a value = %d %s (or the code is not documented)", code, body)
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

// TestServeAPIMovesMoney: a customer's key, made by the services okpay
// serve builds, reads the balance and sends money through the running
// program; the replay of the POST moves nothing; the books verify, on
// both engines.
func TestServeAPIMovesMoney(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		env, data, _, _, l, svc := servicesOn(t, env, time.Now().UTC())
		ctx := context.Background()
		user := func(email string) int64 {
			u, err := svc.accounts.CreateUser(ctx, auth.CreateUserRequest{Email: email, Password: "api journey phrase", Role: auth.RoleCustomer, Locale: "zh-CN", ActorRole: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		a, b := user("a@example.com"), user("b@example.com")
		usd := money.MustCurrency("USD")
		if _, err := svc.wallet.Deposit(ctx, wallet.DepositRequest{UserID: a, Method: wallet.MethodCard, Amount: money.Amount{Minor: 100_00, Currency: usd},
			Source: &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, IdempotencyKey: "api-journey"}); err != nil {
			t.Fatal(err)
		}
		bw, err := svc.wallet.Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		key, err := svc.apikeys.Create(ctx, apikey.CreateRequest{Owner: apikey.UserOwner(a), Mode: apikey.Live, Scopes: []apikey.Scope{apikey.ScopeRead, apikey.ScopeSend}})
		if err != nil {
			t.Fatal(err)
		}
		l.Close()

		n := startServe(t, env, "--data", data)
		call := func(method, path, idem, body string) (int, http.Header, string) {
			t.Helper()
			r, _ := http.NewRequest(method, n.url+path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+key.Secret)
			if idem != "" {
				r.Header.Set("Idempotency-Key", idem)
				r.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, string(b)
		}
		if code, _, body := call("GET", "/v1/balance", "", ""); code != 200 || !strings.Contains(body, `{"amount":10000,"currency":"USD"}`) {
			t.Fatalf("GET /v1/balance = %d %s", code, body)
		}
		send := `{"amount":1000,"currency":"USD","to":"` + string(bw.ID) + `","note":"书费"}`
		code, _, first := call("POST", "/v1/transfers", "journey-1", send)
		if code != 200 || !strings.Contains(first, `"status":"completed"`) {
			t.Fatalf("POST /v1/transfers = %d %s", code, first)
		}
		code, h, again := call("POST", "/v1/transfers", "journey-1", send)
		if code != 200 || again != first || h.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %d %s (replayed %q)", code, again, h.Get("Idempotent-Replayed"))
		}
		var hist struct {
			Data []struct{ Type string } `json:"data"`
		}
		_, _, body := call("GET", "/v1/history", "", "")
		if err := json.Unmarshal([]byte(body), &hist); err != nil || len(hist.Data) != 2 || hist.Data[0].Type != "send" || hist.Data[1].Type != "deposit" {
			t.Errorf("GET /v1/history = %s", body)
		}
		if code := n.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM; output:\n%s", code, n.output)
		}
		if r := okpay(t, env, "--data", data, "ledger", "verify"); r.code != 0 || !strings.Contains(r.stdout, "ok") {
			t.Fatalf("ledger verify: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}
