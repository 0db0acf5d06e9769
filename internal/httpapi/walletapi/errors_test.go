package walletapi_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// TestEveryErrorAClientCanMeet drives each refusal of the table (the
// rest are met by the other tests; TestMain checks none is left out) and
// shows a held transfer as a visible status.
func TestEveryErrorAClientCanMeet(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		carol := en.mustUser("carol@example.com", "")
		dave := en.mustUser("dave@example.com", "")
		en.mustFund(alice, usdAmt(2000_00))
		en.mustFund(carol, usdAmt(2990_00))
		en.mustFund(dave, usdAmt(1_00))
		_, secret := en.mustKey(alice, apikey.ScopeRead, apikey.ScopeSend)
		_, daveSecret := en.mustKey(dave, apikey.ScopeSend)
		send := func(idem string, body any) res {
			return en.call("POST", "/v1/transfers", body, post(secret, idem))
		}

		wantError(t, "at the large-payment threshold", send("e1", transferBody("bob@example.com", 1000_00)), 403, "large_payment_needs_confirmation")
		held := send("e2", transferBody("bob@example.com", 600_00))
		wantStatus(t, "an unusual amount to a new payee", held, 200)
		if held.str("status") != "held" {
			t.Errorf("an unusual payment: status %q, want held (under review)", held.str("status"))
		}
		got := en.call("GET", "/v1/transfers/"+held.str("id"), nil, bearer(secret))
		if got.str("status") != "held" {
			t.Errorf("GET held transfer: %s", got.raw)
		}
		wantError(t, "over the monthly send limit", send("e3", transferBody("bob@example.com", 600_00)), 402, "send_limit_exceeded")
		r := send("e4", transferBody("carol@example.com", 20_00))
		wantError(t, "over the recipient's holding limit", r, 402, "transfer_refused")
		if !strings.Contains(string(r.raw), "recipient_holding_limit_exceeded") {
			t.Errorf("transfer_refused does not name the reason: %s", r.raw)
		}
		wantError(t, "more than the balance", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 5_00), post(daveSecret, "e5")), 402, "insufficient_funds")
		fee := transferBody("bob@example.com", 40)
		fee["fee_payer"] = "receiver"
		wantError(t, "fee above the amount", send("e6", fee), 400, "fee_exceeds_amount")
		wantError(t, "to oneself", send("e7", transferBody("alice@example.com", 1_00)), 400, "same_wallet")
		wantError(t, "not a recipient", send("e8", transferBody("not a thing!!", 1_00)), 400, "recipient_invalid")
		wantError(t, "bad check digit", send("e8b", transferBody("OK123456780", 1_00)), 400, "recipient_invalid")
		cur := transferBody("bob@example.com", 1_00)
		cur["currency"] = "ZZZ"
		wantError(t, "unknown currency", send("e9", cur), 400, "amount_invalid")
		wantError(t, "zero amount", send("e10", transferBody("bob@example.com", 0)), 400, httpapi.CodeParameterInvalid)
		wantError(t, "no recipient", send("e11", map[string]any{"amount": 100, "currency": "USD"}), 400, httpapi.CodeParameterMissing)
		extra := transferBody("bob@example.com", 1_00)
		extra["metadata"] = "x"
		r = send("e12", extra)
		wantError(t, "unknown parameter", r, 400, httpapi.CodeParameterUnknown)
		if p, _ := r.body["error"].(map[string]any)["param"].(string); p != "metadata" {
			t.Errorf("unknown parameter: param %q, want metadata", p)
		}
		wantError(t, "not JSON", send("e13", "{amount"), 400, httpapi.CodeInvalidJSON)
		wantError(t, "a JSON array", send("e14", "[1]"), 400, httpapi.CodeInvalidJSON)
		wantError(t, "no Idempotency-Key", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), bearer(secret)), 400, httpapi.CodeIdempotencyKeyMissing)
		wantError(t, "bad Idempotency-Key", send(strings.Repeat("k", 201), transferBody("bob@example.com", 1_00)), 400, httpapi.CodeIdempotencyKeyInvalid)

		pinned := bearer(secret)
		pinned[httpapi.HeaderVersion] = "2020-01-01"
		wantError(t, "unknown version", en.call("GET", "/v1/balance", nil, pinned), 400, httpapi.CodeAPIVersionInvalid)
		pinned[httpapi.HeaderVersion] = httpapi.CurrentVersion
		if r := en.call("GET", "/v1/balance", nil, pinned); r.status != 200 || r.header.Get(httpapi.HeaderVersion) != httpapi.CurrentVersion {
			t.Errorf("pinned version: %d %s", r.status, r.header.Get(httpapi.HeaderVersion))
		}

		wantError(t, "unknown key", en.call("GET", "/v1/balance", nil, bearer("sk_live_"+strings.Repeat("a", 52))), 401, httpapi.CodeAPIKeyInvalid)
		wantError(t, "garbage key", en.call("GET", "/v1/balance", nil, bearer("hunter2")), 401, httpapi.CodeAPIKeyInvalid)
		pk, err := en.keys.Create(ctx, apikey.CreateRequest{Owner: apikey.UserOwner(alice), Mode: apikey.Live, Kind: apikey.Publishable, Scopes: []apikey.Scope{apikey.ScopeRead}})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, "publishable key", en.call("GET", "/v1/balance", nil, bearer(pk.Secret)), 403, httpapi.CodeSecretKeyRequired)
		mk, err := en.keys.Create(ctx, apikey.CreateRequest{Owner: apikey.Owner{Kind: apikey.OwnerMerchant, ID: "acct_1"}, Mode: apikey.Live, Scopes: []apikey.Scope{apikey.ScopeRead}})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, "a merchant's key on the wallet", en.call("GET", "/v1/balance", nil, bearer(mk.Secret)), 403, httpapi.CodeKeyNotAllowed)
		tk, err := en.keys.Create(ctx, apikey.CreateRequest{Owner: apikey.UserOwner(alice), Mode: apikey.Test, Scopes: []apikey.Scope{apikey.ScopeRead}})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, "a test key on the wallet", en.call("GET", "/v1/balance", nil, bearer(tk.Secret)), 403, httpapi.CodeKeyNotAllowed)
		wantError(t, "no route", en.call("GET", "/v1/nothing", nil, bearer(secret)), 404, httpapi.CodeRouteNotFound)
		wantError(t, "no transfer", en.call("GET", "/v1/transfers/tr_nope", nil, bearer(secret)), 404, httpapi.CodeResourceMissing)

		// Our failure: a 500 with a reference, no internals; the key is
		// free for the retry, which runs again.
		for range 2 {
			r := en.call("POST", "/v1/test_failures", map[string]any{}, post(secret, "fail-1"))
			wantError(t, "a failing route", r, 500, httpapi.CodeInternal)
			if strings.Contains(string(r.raw), "10.0.0.7") || strings.Contains(string(r.raw), "fire") || r.header.Get(httpapi.HeaderReplayed) != "" {
				t.Errorf("internal error shows internals or was replayed: %s", r.raw)
			}
		}
	})
}

// TestDocumentCoversEveryRouteAndCode: the served document has every
// registered route with its method, every code of the table (in the Error
// schema and the code table), and the reference page shows them all.
func TestDocumentCoversEveryRouteAndCode(t *testing.T) {
	en := newEnv(t, sqlstore.SQLite)
	if en.doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", en.doc["openapi"])
	}
	paths := en.doc["paths"].(map[string]any)
	routes := en.reg.Routes()
	if len(routes) < 4 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, rt := range routes {
		op, _ := paths[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		if op == nil {
			t.Errorf("%s %s is not in the document", rt.Method, rt.Path)
			continue
		}
		if op["operationId"] != rt.OperationID {
			t.Errorf("%s %s: operationId %v", rt.Method, rt.Path, op["operationId"])
		}
	}
	n := 0
	for _, item := range paths {
		n += len(item.(map[string]any))
	}
	if n != len(routes) {
		t.Errorf("the document has %d operations, %d routes are registered", n, len(routes))
	}
	enum := en.defs["Error"].Properties["error"].Properties["code"].Enum
	var table []string
	for _, c := range en.doc["x-okpay-error-codes"].([]any) {
		table = append(table, c.(map[string]any)["code"].(string))
	}
	res, err := http.Get(en.srv.URL + "/docs/api")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || strings.Contains(string(page), "<script") {
		t.Fatalf("GET /docs/api: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, c := range en.reg.ErrorCodes() {
		if !slices.Contains(enum, any(c.Code)) {
			t.Errorf("code %s is not in the Error schema's enum", c.Code)
		}
		if !slices.Contains(table, c.Code) {
			t.Errorf("code %s is not in x-okpay-error-codes", c.Code)
		}
		if !strings.Contains(string(page), `id="err-`+c.Code+`"`) {
			t.Errorf("code %s is not on the reference page", c.Code)
		}
	}
	for _, rt := range routes {
		if !strings.Contains(string(page), rt.Path) || !strings.Contains(string(page), html.EscapeString(rt.Summary)) {
			t.Errorf("the reference page lacks %s %s", rt.Method, rt.Path)
		}
	}
}
