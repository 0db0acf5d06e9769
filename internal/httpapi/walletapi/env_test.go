package walletapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/httpapi/apitest"
	"github.com/okpay/okpay/internal/httpapi/walletapi"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

var quiet = slog.New(slog.DiscardHandler)

// seen records every error code any test received, so TestMain can check
// that each code of the table is reachable.
var seen = struct {
	sync.Mutex
	codes map[string]bool
	table []string
}{codes: map[string]bool{}}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	run := flag.Lookup("test.run").Value.String()
	if code == 0 && run == "" && !testing.Short() {
		seen.Lock()
		var missing []string
		for _, c := range seen.table {
			if !seen.codes[c] {
				missing = append(missing, c)
			}
		}
		seen.Unlock()
		if len(missing) > 0 || len(seen.table) == 0 {
			fmt.Fprintf(os.Stderr, "FAIL: error codes in the table that no test reached: %v (table of %d)\n", missing, len(seen.table))
			code = 1
		}
	}
	os.Exit(code)
}

const testRates = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-02"><Cube currency="USD" rate="1.10"/><Cube currency="CNY" rate="7.70"/><Cube currency="GBP" rate="0.85"/><Cube currency="JPY" rate="160"/></Cube></Cube>
</gesmes:Envelope>`

var usd = money.MustCurrency("USD")

func usdAmt(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: usd} }

// env is the wallet API on a fresh database of one engine, served over
// real HTTP with the web site on the same mux (as okpay serve mounts
// them), with the wallet, verification limits and risk rules as okpay
// serve builds them.
type env struct {
	t      *testing.T
	db     *sqlstore.DB
	clock  *clock.Settable
	wallet *wallet.Service
	keys   *apikey.Service
	api    *httpapi.API
	reg    *httpapi.Registry
	srv    *httptest.Server
	stepUp *fakeStepUp
	served *apitest.Document
	doc    map[string]any
	defs   map[string]*httpapi.Schema
}

type noDevices struct{}

func (noDevices) DeviceFirstSeen(context.Context, int64, string) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

type noNotices struct{}

func (noNotices) Notify(context.Context, risk.Tx, risk.Notice) error { return nil }

// fakeStepUp approves a daily limit when the test granted the action.
type fakeStepUp struct {
	mu     sync.Mutex
	tokens map[string]string // token -> action hash
}

func (f *fakeStepUp) Enabled(context.Context, int64) (bool, error) { return true, nil }

func (f *fakeStepUp) grant(a twofactor.Action) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := fmt.Sprintf("tok-%d", len(f.tokens)+1)
	f.tokens[tok] = string(a.Hash())
	return tok
}

func (f *fakeStepUp) UseStepUp(_ context.Context, _ int64, token string, a twofactor.Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h, ok := f.tokens[token]; !ok || h != string(a.Hash()) {
		return twofactor.ErrStepUpRefused
	}
	delete(f.tokens, token)
	return nil
}

// failingRoute is a route that fails on our side, to show what a client
// sees then (internal_error, nothing internal).
var failingRoute = httpapi.Route{
	Method: http.MethodPost, Path: "/v1/test_failures", OperationID: "TestFailure", Summary: "Fails (tests only)",
	Owners: []string{apikey.OwnerUser}, Body: httpapi.Object("", map[string]*httpapi.Schema{}),
	Response: httpapi.Object("", map[string]*httpapi.Schema{}),
	Handler:  func(*httpapi.Request) (any, error) { return nil, errors.New("database on fire at 10.0.0.7") },
}

func newEnv(t *testing.T, e sqlstore.Engine) *env {
	t.Helper()
	clk := clock.NewSettable(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "walletapi", clk.Now)
	ctx := context.Background()
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now, Logger: quiet})
	k, err := kyc.New(kyc.Options{Store: db.KYC(), Ledger: l, MasterKey: bytes.Repeat([]byte{7}, 32), Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rates := fx.New(fx.Options{Store: db.FX(), Now: clk.Now})
	if _, err := rates.ImportECB(ctx, strings.NewReader(testRates)); err != nil {
		t.Fatal(err)
	}
	sandbox := connector.SandboxConfig{Now: clk.Now}
	su := &fakeStepUp{tokens: map[string]string{}}
	w, err := wallet.New(wallet.Options{Store: db.Wallet(), Ledger: l, Fees: adapt.Fees(fees.Default()), Rates: adapt.Rates(rates),
		Directory: db.WalletDirectory(), StepUp: su, Limiter: k, Now: clk.Now, Logger: quiet,
		Rails: map[wallet.Method]wallet.Rail{wallet.MethodCard: adapt.Rail(connector.NewCardSandbox(sandbox))}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.PreparePlatformAccounts(ctx); err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.Options{Store: db.Risk(), Wallet: w, Rates: adapt.Rates(rates), Devices: noDevices{},
		Notifier: noNotices{}, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.SetScreener(rk)
	keys := apikey.New(apikey.Options{Store: db.APIKeys(), StepUp: su, Location: time.FixedZone("CST", 8*3600), Now: clk.Now})
	reg := httpapi.NewRegistry()
	walletapi.Register(reg, walletapi.Options{Wallet: w, Keys: keys, Rates: adapt.Rates(rates), Now: clk.Now})
	reg.Add(failingRoute)
	api, err := httpapi.New(reg, httpapi.Options{Keys: keys, Idempotency: db.APIIdempotency(), Logger: quiet, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.New(web.Options{Logger: quiet, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Mount(mux)
	api.Mount(mux)
	srv := httptest.NewServer(mux)
	en := &env{t: t, db: db, clock: clk, wallet: w, keys: keys, api: api, reg: reg, srv: srv, stepUp: su}
	t.Cleanup(func() {
		srv.Close()
		l.Close()
		r, err := ledger.Verify(context.Background(), db.Ledger())
		if err != nil {
			t.Fatalf("ledger verify: %v", err)
		}
		for _, p := range r.Problems {
			t.Errorf("ledger verify: %s", p)
		}
	})
	seen.Lock()
	if seen.table == nil {
		for _, c := range reg.ErrorCodes() {
			seen.table = append(seen.table, c.Code)
		}
	}
	seen.Unlock()
	en.loadDocument()
	return en
}

// loadDocument fetches the served OpenAPI document; every response the
// tests get is checked against it (apitest).
func (en *env) loadDocument() {
	en.t.Helper()
	d, err := apitest.Fetch(http.DefaultClient, en.srv.URL)
	if err != nil {
		en.t.Fatal(err)
	}
	en.served, en.doc, en.defs = d, d.Raw(), d.Schemas()
}

// mustUser creates an active customer with a wallet.
func (en *env) mustUser(email, phone string) int64 {
	en.t.Helper()
	var id int64
	err := en.db.Auth().InTx(context.Background(), func(tx auth.Tx) error {
		var err error
		id, err = tx.CreateUser(context.Background(), auth.User{Email: email, Phone: phone, Status: auth.StatusActive,
			Role: auth.RoleCustomer, Locale: "zh-CN", CreatedAt: en.clock.Now()})
		return err
	})
	if err != nil {
		en.t.Fatalf("create user %s: %v", email, err)
	}
	if _, err := en.wallet.Open(context.Background(), id); err != nil {
		en.t.Fatal(err)
	}
	return id
}

var fundN int

func (en *env) mustFund(userID int64, a money.Amount) {
	en.t.Helper()
	fundN++
	m, err := en.wallet.Deposit(context.Background(), wallet.DepositRequest{UserID: userID, Method: wallet.MethodCard, Amount: a,
		Source:         &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"},
		IdempotencyKey: fmt.Sprintf("fund-%d-%d", userID, fundN)})
	if err != nil || m.Status != wallet.StatusCompleted {
		en.t.Fatalf("deposit: %v (%s)", err, m.Status)
	}
}

func (en *env) walletID(userID int64) string {
	en.t.Helper()
	w, err := en.wallet.Wallet(context.Background(), userID)
	if err != nil {
		en.t.Fatal(err)
	}
	return string(w.ID)
}

func (en *env) available(userID int64) int64 {
	en.t.Helper()
	b, err := en.wallet.Balance(context.Background(), userID, "USD")
	if err != nil {
		en.t.Fatal(err)
	}
	return b.Available.Minor
}

// mustKey creates a live key of the user's with scopes.
func (en *env) mustKey(userID int64, scopes ...apikey.Scope) (apikey.Key, string) {
	en.t.Helper()
	c, err := en.keys.Create(context.Background(), apikey.CreateRequest{Owner: apikey.UserOwner(userID), Mode: apikey.Live, Name: "test", Scopes: scopes})
	if err != nil {
		en.t.Fatal(err)
	}
	return c.Key, c.Secret
}

// res is a response as the tests look at it.
type res struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r res) code() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r res) str(k string) string { s, _ := r.body[k].(string); return s }

// call sends a request; hdr are extra headers ("Authorization" and
// "Idempotency-Key" among them). Every answer is checked against the
// served document (apitest): a success against its route's response
// schema, an error against the Error schema. Error codes are recorded for
// TestMain.
func (en *env) call(method, path string, body any, hdr map[string]string) res {
	en.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, en.srv.URL+path, rd)
	if err != nil {
		en.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := res{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		en.t.Fatalf("%s %s: not JSON (%d): %s", method, path, resp.StatusCode, raw)
	}
	if resp.Header.Get(httpapi.HeaderRequestID) == "" || resp.Header.Get(httpapi.HeaderVersion) == "" {
		en.t.Errorf("%s %s: no Request-Id or OKPay-Version header", method, path)
	}
	if resp.StatusCode >= 400 {
		seen.Lock()
		seen.codes[r.code()] = true
		seen.Unlock()
	}
	if err := en.served.Check(method, path, resp.StatusCode, raw); err != nil {
		en.t.Error(err)
	}
	return r
}

func bearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

func post(secret, idem string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret, "Idempotency-Key": idem}
}

func wantError(t *testing.T, what string, r res, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Errorf("%s: got %d %s, want %d %s\n%s", what, r.status, r.code(), status, code, r.raw)
	}
}

func wantStatus(t *testing.T, what string, r res, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %d, want %d\n%s", what, r.status, status, r.raw)
	}
}

// sends lists the user's send movements.
func (en *env) sends(userID int64) []wallet.Movement {
	en.t.Helper()
	p, err := en.wallet.History(context.Background(), wallet.History{UserID: userID, Types: []wallet.Type{wallet.TypeSend}, Limit: 200})
	if err != nil {
		en.t.Fatal(err)
	}
	return p.Movements
}
