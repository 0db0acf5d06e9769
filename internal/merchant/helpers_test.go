package merchant_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

var (
	usd   = money.MustCurrency("USD")
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func amt(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: usd} }

// env is the merchant service on a fresh database of one engine, with the
// real wallet, ledger, fee schedule and card sandbox; step-up and rates
// are fakes. When the test ends the ledger is verified.
type env struct {
	t      *testing.T
	db     *sqlstore.DB
	clock  *clock.Settable
	l      *ledger.Ledger
	auth   *auth.Service
	wallet *wallet.Service
	stepUp *fakeStepUp
	events *recordingEvents
	lossy  *lossyLedger
	svc    *merchant.Service
	n      atomic.Int64
}

func newEnv(t *testing.T, e sqlstore.Engine) *env { t.Helper(); return newEnvWith(t, e, nil) }

// newEnvWith is newEnv with the wallet's options changed by opt (limits,
// a screener).
func newEnvWith(t *testing.T, e sqlstore.Engine, opt func(*env, *wallet.Options)) *env {
	t.Helper()
	clk := clock.NewSettable(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "merchant", clk.Now)
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now, Logger: quiet})
	en := &env{t: t, db: db, clock: clk, l: l, stepUp: &fakeStepUp{enabled: map[int64]bool{}, tokens: map[string]string{}},
		events: &recordingEvents{}, lossy: &lossyLedger{Ledger: l}}
	en.auth = auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.TestArgon2, 0), Mailer: nopMailer{}, Now: clk.Now})
	wo := wallet.Options{Store: db.Wallet(), Ledger: l, Fees: adapt.Fees(fees.Default()), Rates: fakeRates{},
		Directory: db.WalletDirectory(), StepUp: en.stepUp, Now: clk.Now, Logger: quiet}
	if opt != nil {
		opt(en, &wo)
	}
	w, err := wallet.New(wo)
	if err != nil {
		t.Fatal(err)
	}
	en.wallet = w
	if err := w.PreparePlatformAccounts(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := merchant.New(merchant.Options{Store: db.Merchant(), Ledger: en.lossy, Wallets: merchant.FromWallet(w),
		Directory: db.MerchantDirectory(), Fees: merchant.ScheduleFees(fees.Default()), StepUp: en.stepUp, Rates: fakeRates{},
		Card: connector.NewCardSandbox(connector.SandboxConfig{Now: clk.Now}), Events: en.events, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	en.svc = svc
	t.Cleanup(func() {
		l.Close()
		r, err := ledger.Verify(context.Background(), db.Ledger())
		if err != nil {
			t.Fatalf("ledger verify: %v", err)
		}
		for _, p := range r.Problems {
			t.Errorf("ledger verify: %s", p)
		}
	})
	return en
}

type nopMailer struct{}

func (nopMailer) Send(context.Context, auth.Tx, auth.Mail) error { return nil }

// fakeRates: 1 EUR = 1.10 USD; USD to itself.
type fakeRates struct{}

func (fakeRates) Convert(_ context.Context, a money.Amount, to money.Currency, _ time.Time) (money.Amount, error) {
	if a.Currency == to {
		return a, nil
	}
	if a.Currency.Code == "EUR" && to.Code == "USD" {
		return money.Amount{Minor: a.Minor * 110 / 100, Currency: to}, nil
	}
	return money.Amount{}, errors.New("no rate")
}

// fakeStepUp grants tokens bound to one user and one action, once.
type fakeStepUp struct {
	mu      sync.Mutex
	enabled map[int64]bool
	tokens  map[string]string // token -> user:action hash
	n       int
}

func (f *fakeStepUp) Enabled(_ context.Context, userID int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enabled[userID], nil
}

func (f *fakeStepUp) grant(userID int64, a twofactor.Action) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	tok := fmt.Sprintf("tok%d", f.n)
	f.tokens[tok] = fmt.Sprintf("%d:%x", userID, a.Hash())
	return tok
}

func (f *fakeStepUp) UseStepUp(_ context.Context, userID int64, token string, a twofactor.Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	want, ok := f.tokens[token]
	if !ok || want != fmt.Sprintf("%d:%x", userID, a.Hash()) {
		return twofactor.ErrStepUpRefused
	}
	delete(f.tokens, token)
	return nil
}

// recordingEvents keeps every event recorded (in committed transactions
// only: an event recorded in a transaction that rolled back would show
// here too, which no test expects).
type recordingEvents struct {
	mu  sync.Mutex
	all []merchant.Event
}

func (r *recordingEvents) Record(_ context.Context, _ merchant.Tx, e merchant.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, e)
	return nil
}

func (r *recordingEvents) types(objectID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.all {
		var id string
		switch o := e.Object.(type) {
		case merchant.Payment:
			id = o.ID
		case merchant.Session:
			id = o.ID
		case merchant.Refund:
			id = o.PaymentID
		}
		if id == objectID {
			out = append(out, e.Type)
		}
	}
	return out
}

// last returns the newest event of type typ.
func (r *recordingEvents) last(typ string) merchant.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.all) - 1; i >= 0; i-- {
		if r.all[i].Type == typ {
			return r.all[i]
		}
	}
	return merchant.Event{}
}

// user makes a customer account.
func (en *env) user() auth.User {
	en.t.Helper()
	email := fmt.Sprintf("user%d@example.com", en.n.Add(1))
	u, err := en.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: email, Password: "correct horse battery",
		Role: auth.RoleCustomer, Locale: "en", ActorRole: "cli"})
	if err != nil {
		en.t.Fatal(err)
	}
	return u
}

// merchant opens a merchant owned by a new user and returns the owner's
// access in mode.
func (en *env) merchant(mode merchant.Mode) (merchant.Merchant, merchant.Access) {
	en.t.Helper()
	owner := en.user()
	m, err := en.svc.Create(context.Background(), merchant.CreateRequest{OwnerUserID: owner.ID, Name: "Tea House",
		Country: "CN", Currency: "USD", SupportEmail: fmt.Sprintf("shop%d@example.com", en.n.Add(1))})
	if err != nil {
		en.t.Fatal(err)
	}
	a, err := en.svc.Access(context.Background(), owner.ID, m.ID, mode)
	if err != nil {
		en.t.Fatal(err)
	}
	return m, a
}

// fund credits a user's live wallet with minor units of USD, as a card
// deposit would.
func (en *env) fund(userID, minor int64) {
	en.t.Helper()
	ctx := context.Background()
	w, err := en.wallet.Open(ctx, userID)
	if err != nil {
		en.t.Fatal(err)
	}
	cc, err := en.wallet.PlatformAccount(ctx, wallet.CardClearing, "USD")
	if err != nil {
		en.t.Fatal(err)
	}
	res, err := en.l.Submit(ctx, []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: cc, CreditAccountID: w.Accounts["USD"],
		Amount: minor, Currency: "USD", Code: wallet.TransferDeposit}})
	if err != nil || res[0].Code != ledger.OK {
		en.t.Fatalf("fund: %v %v", res, err)
	}
}

// available is the user's available USD.
func (en *env) available(userID int64) int64 {
	en.t.Helper()
	b, err := en.wallet.Balance(context.Background(), userID, "USD")
	if err != nil {
		en.t.Fatal(err)
	}
	return b.Available.Minor
}

// merchantUSD is the merchant's available and pending USD in a's mode.
func (en *env) merchantUSD(a merchant.Access) (avail, pending int64) {
	en.t.Helper()
	bs, err := en.svc.Balances(context.Background(), a)
	if err != nil {
		en.t.Fatal(err)
	}
	for _, b := range bs {
		if b.Currency.Code == "USD" {
			return b.Available.Minor, b.Pending.Minor
		}
	}
	en.t.Fatal("no USD balance")
	return 0, 0
}

// account returns a ledger account by ref.
func (en *env) account(ref string) ledger.Account {
	en.t.Helper()
	a, err := en.db.Ledger().AccountByRef(context.Background(), ref)
	if err != nil {
		en.t.Fatalf("account %s: %v", ref, err)
	}
	return a
}

func mustErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var testCard = func(number string) *connector.Card {
	return &connector.Card{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: "123"}
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
