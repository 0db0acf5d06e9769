package merchantapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/httpapi/apitest"
	"github.com/okpay/okpay/internal/httpapi/merchantapi"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/webhook"
)

var quiet = slog.New(slog.DiscardHandler)

const baseURL = "https://okpay.example"

// env is the merchant API on a fresh database of one engine, served over
// real HTTP, with the real merchant service, wallet, ledger, fee schedule
// and card sandbox, and merchant events recorded as webhook events in the
// merchant's own transactions (as okpay serve wires them). When the test
// ends the ledger is verified.
type env struct {
	t      *testing.T
	db     *sqlstore.DB
	clock  *clock.Settable
	l      *ledger.Ledger
	auth   *auth.Service
	wallet *wallet.Service
	svc    *merchant.Service
	hooks  *webhook.Service
	keys   *apikey.Service
	srv    *httptest.Server
	served *apitest.Document
	doc    map[string]any
	defs   map[string]*httpapi.Schema
	lossy  *lossyLedger
	n      atomic.Int64
}

// lossyLedger commits like the ledger, but while lose is set it answers
// every submission with an error after committing it: the answer lost on
// the way back.
type lossyLedger struct {
	*ledger.Ledger
	lose atomic.Bool
}

func (l *lossyLedger) Submit(ctx context.Context, ts []ledger.Transfer) ([]ledger.Result, error) {
	res, err := l.Ledger.Submit(ctx, ts)
	if err == nil && l.lose.Load() {
		return nil, ledger.ErrUnavailable
	}
	return res, err
}

// seen records every error code any test received, so TestMain can check
// that each code of the merchant API's table is reachable.
var seen = struct {
	sync.Mutex
	codes map[string]bool
}{codes: map[string]bool{}}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		seen.Lock()
		var missing []string
		for _, c := range merchantapi.Codes {
			if !seen.codes[c.Code] {
				missing = append(missing, c.Code)
			}
		}
		seen.Unlock()
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: merchant API error codes no test reached: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

type nopMailer struct{}

func (nopMailer) Send(context.Context, auth.Tx, auth.Mail) error { return nil }

type sameRates struct{}

func (sameRates) Convert(_ context.Context, a money.Amount, to money.Currency, _ time.Time) (money.Amount, error) {
	if a.Currency != to {
		return money.Amount{}, fmt.Errorf("no rate %s to %s", a.Currency.Code, to.Code)
	}
	return a, nil
}

type noStepUp struct{}

func (noStepUp) Enabled(context.Context, int64) (bool, error) { return false, nil }
func (noStepUp) UseStepUp(context.Context, int64, string, twofactor.Action) error {
	return twofactor.ErrStepUpRefused
}

func newEnv(t *testing.T, e sqlstore.Engine) *env {
	t.Helper()
	clk := clock.NewSettable(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "merchantapi", clk.Now)
	ctx := context.Background()
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now, Logger: quiet})
	en := &env{t: t, db: db, clock: clk, l: l, lossy: &lossyLedger{Ledger: l}}
	en.auth = auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.TestArgon2, 0), Mailer: nopMailer{}, Now: clk.Now})
	w, err := wallet.New(wallet.Options{Store: db.Wallet(), Ledger: l, Fees: adapt.Fees(fees.Default()), Rates: sameRates{},
		Directory: db.WalletDirectory(), StepUp: noStepUp{}, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.PreparePlatformAccounts(ctx); err != nil {
		t.Fatal(err)
	}
	en.wallet = w
	en.svc, err = merchant.New(merchant.Options{Store: db.Merchant(), Ledger: en.lossy, Wallets: merchant.FromWallet(w),
		Directory: db.MerchantDirectory(), Fees: merchant.ScheduleFees(fees.Default()), StepUp: noStepUp{}, Rates: sameRates{},
		Card: connector.NewCardSandbox(connector.SandboxConfig{Now: clk.Now}), Events: db.MerchantEvents(baseURL), Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32), "webhook")
	if err != nil {
		t.Fatal(err)
	}
	en.hooks, err = webhook.New(webhook.Options{Store: db.Webhooks(), Box: box, Now: clk.Now, Logger: quiet, AllowPrivateNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	en.keys = apikey.New(apikey.Options{Store: db.APIKeys(), Location: time.UTC, Now: clk.Now})
	reg := httpapi.NewRegistry()
	merchantapi.Register(reg, merchantapi.Options{Merchants: en.svc, Webhooks: en.hooks, BaseURL: baseURL, Now: clk.Now})
	api, err := httpapi.New(reg, httpapi.Options{Keys: en.keys, Idempotency: db.APIIdempotency(), Logger: quiet, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Mount(mux)
	en.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		en.srv.Close()
		l.Close()
		r, err := ledger.Verify(context.Background(), db.Ledger())
		if err != nil {
			t.Fatalf("ledger verify: %v", err)
		}
		for _, p := range r.Problems {
			t.Errorf("ledger verify: %s", p)
		}
	})
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

func (r res) errType() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

func (r res) str(k string) string { s, _ := r.body[k].(string); return s }

func (r res) num(k string) int64 { f, _ := r.body[k].(float64); return int64(f) }

// ids are the ids of a list's data.
func (r res) ids() []string {
	var out []string
	data, _ := r.body["data"].([]any)
	for _, d := range data {
		m, _ := d.(map[string]any)
		s, _ := m["id"].(string)
		out = append(out, s)
	}
	return out
}

// call sends a request with secret as the key (and idem as the
// Idempotency-Key of a POST, "" for a fresh one). Every answer is checked
// against the served document (apitest): a success against its route's
// response schema, an error against the Error schema.
func (en *env) call(method, path, secret, idem string, body any) res {
	en.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, en.srv.URL+path, rd)
	if err != nil {
		en.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	if method == http.MethodPost {
		if idem == "" {
			idem = fmt.Sprintf("idem-%d", en.n.Add(1))
		}
		req.Header.Set("Idempotency-Key", idem)
		req.Header.Set("Content-Type", "application/json")
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

// merchant opens a merchant owned by a new user and returns it with a
// test and a live secret key.
func (en *env) merchant() (m merchant.Merchant, test, live string) {
	en.t.Helper()
	ctx := context.Background()
	owner, err := en.auth.CreateUser(ctx, auth.CreateUserRequest{Email: fmt.Sprintf("owner%d@example.com", en.n.Add(1)),
		Password: "correct horse battery", Role: auth.RoleCustomer, Locale: "en", ActorRole: "cli"})
	if err != nil {
		en.t.Fatal(err)
	}
	m, err = en.svc.Create(ctx, merchant.CreateRequest{OwnerUserID: owner.ID, Name: "Tea House", Country: "CN", Currency: "USD",
		SupportEmail: fmt.Sprintf("shop%d@example.com", en.n.Add(1))})
	if err != nil {
		en.t.Fatal(err)
	}
	for _, mode := range []apikey.Mode{apikey.Test, apikey.Live} {
		c, err := en.keys.Create(ctx, apikey.CreateRequest{Owner: apikey.Owner{Kind: apikey.OwnerMerchant, ID: m.ID}, Mode: mode, Name: "t"})
		if err != nil {
			en.t.Fatal(err)
		}
		if mode == apikey.Test {
			test = c.Secret
		} else {
			live = c.Secret
		}
	}
	return m, test, live
}

// payer makes a customer with minor units of USD in their live wallet.
func (en *env) payer(minor int64) int64 {
	en.t.Helper()
	ctx := context.Background()
	u, err := en.auth.CreateUser(ctx, auth.CreateUserRequest{Email: fmt.Sprintf("payer%d@example.com", en.n.Add(1)),
		Password: "correct horse battery", Role: auth.RoleCustomer, Locale: "en", ActorRole: "cli"})
	if err != nil {
		en.t.Fatal(err)
	}
	w, err := en.wallet.Open(ctx, u.ID)
	if err != nil {
		en.t.Fatal(err)
	}
	cc, err := en.wallet.PlatformAccount(ctx, wallet.CardClearing, "USD")
	if err != nil {
		en.t.Fatal(err)
	}
	r, err := en.l.Submit(ctx, []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: cc, CreditAccountID: w.Accounts["USD"],
		Amount: minor, Currency: "USD", Code: wallet.TransferDeposit}})
	if err != nil || r[0].Code != ledger.OK {
		en.t.Fatalf("fund: %v %v", r, err)
	}
	return u.ID
}

// payCard pays a payment intent with the test card, as the hosted page
// does.
func (en *env) payCard(id string) merchant.Payment {
	en.t.Helper()
	p, err := en.svc.PayCard(context.Background(), merchant.CardPayment{PaymentID: id,
		Card: &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}})
	if err != nil {
		en.t.Fatalf("pay %s by card: %v", id, err)
	}
	return p
}

// payBalance pays a live payment intent from a funded wallet.
func (en *env) payBalance(id string, minor int64) merchant.Payment {
	en.t.Helper()
	p, err := en.svc.PayBalance(context.Background(), merchant.BalancePayment{PaymentID: id, UserID: en.payer(minor)})
	if err != nil {
		en.t.Fatalf("pay %s from a balance: %v", id, err)
	}
	return p
}

// createPayment creates a payment intent through the API.
func (en *env) createPayment(secret string, amount int64, capture string) res {
	en.t.Helper()
	body := map[string]any{"amount": amount, "currency": "usd"}
	if capture != "" {
		body["capture_method"] = capture
	}
	r := en.call("POST", "/v1/payment_intents", secret, "", body)
	wantStatus(en.t, "create payment intent", r, 200)
	return r
}

func (en *env) testCard() *connector.Card {
	return &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
}
