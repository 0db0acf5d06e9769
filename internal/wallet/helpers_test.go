package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

var (
	usd = money.MustCurrency("USD")
	eur = money.MustCurrency("EUR")
	jpy = money.MustCurrency("JPY")
	cny = money.MustCurrency("CNY")
)

func amt(minor int64, c money.Currency) money.Amount { return money.Amount{Minor: minor, Currency: c} }

func currency(code string) money.Currency { return money.MustCurrency(code) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is a wallet service on a fresh database of one engine, with fakes for
// the fee schedule, the rates, step-up and the deposit rails.
type env struct {
	t      *testing.T
	db     *sqlstore.DB
	clock  *clock.Settable
	l      *ledger.Ledger
	ledger *flakyLedger
	fees   *fakeFees
	rates  *fakeRates
	stepUp *fakeStepUp
	card   *testRail
	ew     *testRail
	svc    *wallet.Service
	// pendingOK: the test leaves movements pending on purpose.
	pendingOK bool
}

// newEnv opens a wallet on engine e. When the test ends the ledger is
// verified (debits equal credits, balances match the journal) and every
// wallet account's ledger balance is checked against the net of its
// completed movements: no test passes on books that do not agree.
func newEnv(t *testing.T, e sqlstore.Engine, opts ...func(*env, *wallet.Options)) *env {
	t.Helper()
	clk := clock.NewSettable(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "wallet", clk.Now)
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now, Logger: quiet})
	en := &env{
		t: t, db: db, clock: clk, l: l,
		ledger: &flakyLedger{Ledger: l},
		fees:   &fakeFees{},
		rates:  newFakeRates(),
		stepUp: newFakeStepUp(),
		card:   newTestRail("Visa"),
		ew:     newTestRail("TestPay"),
	}
	o := wallet.Options{
		Store: db.Wallet(), Ledger: en.ledger, Fees: en.fees, Rates: en.rates,
		Directory: db.WalletDirectory(), StepUp: en.stepUp,
		Rails: map[wallet.Method]wallet.Rail{wallet.MethodCard: en.card, wallet.MethodEWallet: en.ew},
		Now:   clk.Now, Logger: quiet,
	}
	for _, f := range opts {
		f(en, &o)
	}
	svc, err := wallet.New(o)
	if err != nil {
		t.Fatalf("wallet.New: %v", err)
	}
	en.svc = svc
	t.Cleanup(func() {
		l.Close()
		mustVerify(t, db)
		en.mustReconcile()
	})
	return en
}

func mustVerify(t testing.TB, db *sqlstore.DB) {
	t.Helper()
	r, err := ledger.Verify(context.Background(), db.Ledger())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, p := range r.Problems {
		t.Errorf("ledger verify: %s", p)
	}
}

// mustReconcile checks that every wallet account's ledger balance is the
// net of the wallet's completed movements in its currency, and that no
// movement was left pending.
func (en *env) mustReconcile() {
	t := en.t
	t.Helper()
	ctx := context.Background()
	rows, err := en.db.Read().Query(ctx, "SELECT wallet_id, currency, account_id FROM wallet_accounts ORDER BY wallet_id, currency")
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	type acct struct {
		wallet, cur string
		id          int64
	}
	var accts []acct
	for rows.Next() {
		var a acct
		if err := rows.Scan(&a.wallet, &a.cur, &a.id); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		accts = append(accts, a)
	}
	rows.Close()
	for _, a := range accts {
		la, err := en.db.Ledger().Account(ctx, a.id)
		if err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		net := en.movementNet(a.wallet, a.cur, time.Time{})
		if net != la.Balance() {
			t.Errorf("reconcile %s %s: completed movements net %d, ledger balance %d", a.wallet, a.cur, net, la.Balance())
		}
	}
	if !en.pendingOK {
		var n int
		if err := en.db.Read().QueryRow(ctx, "SELECT count(*) FROM wallet_movements WHERE status = 'pending'").Scan(&n); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		if n != 0 {
			t.Errorf("reconcile: %d movements left pending", n)
		}
	}
}

// movementNet sums a wallet's completed movements in a currency, posted
// before (zero: ever), computed here independently of the service.
func (en *env) movementNet(walletID, cur string, before time.Time) int64 {
	en.t.Helper()
	q := `SELECT type, amount, fee FROM wallet_movements WHERE wallet_id = $1 AND currency = $2 AND status = 'completed'`
	args := []any{walletID, cur}
	if !before.IsZero() {
		q += " AND posted_at < $3"
		args = append(args, before.UnixNano())
	}
	rows, err := en.db.Read().Query(context.Background(), q, args...)
	if err != nil {
		en.t.Fatalf("movement net: %v", err)
	}
	defer rows.Close()
	var net int64
	for rows.Next() {
		var typ string
		var amount, fee int64
		if err := rows.Scan(&typ, &amount, &fee); err != nil {
			en.t.Fatalf("movement net: %v", err)
		}
		switch {
		case wallet.Type(typ).Inflow():
			net += amount - fee
		default:
			net -= amount + fee
		}
	}
	return net
}

// journalBalance is an account's posted balance at instant at, summed from
// the ledger's journal (not from its balance columns).
func (en *env) journalBalance(accountID int64, at time.Time) int64 {
	en.t.Helper()
	var credits, debits int64
	err := en.db.Read().QueryRow(context.Background(), `SELECT
			COALESCE(CAST(SUM(CASE WHEN credit_account_id = $1 THEN amount ELSE 0 END) AS BIGINT), 0),
			COALESCE(CAST(SUM(CASE WHEN debit_account_id = $1 THEN amount ELSE 0 END) AS BIGINT), 0)
		FROM ledger_transfers
		WHERE (credit_account_id = $1 OR debit_account_id = $1) AND flags & 10 = 0 AND created_at < $2`,
		accountID, at.UnixNano()).Scan(&credits, &debits)
	if err != nil {
		en.t.Fatalf("journal balance: %v", err)
	}
	return credits - debits
}

// mustUser creates an active customer.
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
	return id
}

func (en *env) mustOpen(userID int64) wallet.Wallet {
	en.t.Helper()
	w, err := en.svc.Open(context.Background(), userID)
	if err != nil {
		en.t.Fatalf("open wallet of %d: %v", userID, err)
	}
	return w
}

// mustFund deposits a by card (the fee schedule's deposit fee is zero
// unless a test set one).
func (en *env) mustFund(userID int64, a money.Amount) wallet.Movement {
	en.t.Helper()
	m, err := en.svc.Deposit(context.Background(), wallet.DepositRequest{UserID: userID, Method: wallet.MethodCard,
		Amount: a, Source: cardOK, IdempotencyKey: fmt.Sprintf("fund-%d-%d", userID, time.Now().UnixNano())})
	if err != nil || m.Status != wallet.StatusCompleted {
		en.t.Fatalf("fund %d with %s: %v, %+v", userID, a, err, m)
	}
	return m
}

func (en *env) available(userID int64, c money.Currency) int64 {
	en.t.Helper()
	b, err := en.svc.Balance(context.Background(), userID, c.Code)
	if err != nil {
		en.t.Fatalf("balance: %v", err)
	}
	return b.Available.Minor
}

func (en *env) platformBalance(p wallet.Platform, c money.Currency) int64 {
	en.t.Helper()
	id, err := en.svc.PlatformAccount(context.Background(), p, c.Code)
	if err != nil {
		en.t.Fatalf("platform account: %v", err)
	}
	a, err := en.db.Ledger().Account(context.Background(), id)
	if err != nil {
		en.t.Fatalf("platform account: %v", err)
	}
	return a.Balance()
}

// runJobs runs a job runner with the wallet's handlers until done reports
// true (or the test times out).
func (en *env) runJobs(done func() bool) {
	en.t.Helper()
	r := jobs.New(en.db.Jobs(), jobs.Options{Now: en.clock.Now, Logger: quiet, PollInterval: 5 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Millisecond }})
	en.svc.Register(r)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			en.t.Errorf("jobs runner: %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			en.t.Fatalf("jobs did not finish in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func wantCode(t testing.TB, what string, err error, want wallet.Code) {
	t.Helper()
	if got := wallet.ErrorCode(err); got != want {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, want)
	}
}

// fakeFees charges Percent basis points plus Fixed minor units, per kind,
// and records the monthly volumes it was told.
type fakeFees struct {
	mu      sync.Mutex
	bps     map[string]int64
	fixed   map[string]int64
	volumes []int64
}

func (f *fakeFees) set(kind string, bps, fixed int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bps == nil {
		f.bps, f.fixed = map[string]int64{}, map[string]int64{}
	}
	f.bps[kind], f.fixed[kind] = bps, fixed
}

func (f *fakeFees) Quote(kind string, a money.Amount, vol int64) (money.Amount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.volumes = append(f.volumes, vol)
	fee := a.Minor*f.bps[kind]/10000 + f.fixed[kind]
	return money.Amount{Minor: fee, Currency: a.Currency}, nil
}

func (f *fakeFees) lastVolume() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.volumes[len(f.volumes)-1]
}

// fakeRates converts at fixed rates through USD, chosen so that both
// directions are exact decimals.
type fakeRates struct{ perUSD, usdPer map[string]money.Rate }

func newFakeRates() *fakeRates {
	r := &fakeRates{perUSD: map[string]money.Rate{}, usdPer: map[string]money.Rate{}}
	for code, p := range map[string][2]string{
		"USD": {"1", "1"}, "EUR": {"0.8", "1.25"}, "CNY": {"8", "0.125"}, "GBP": {"0.5", "2"},
		"JPY": {"160", "0.00625"}, "RUB": {"100", "0.01"},
	} {
		var err error
		if r.perUSD[code], err = money.ParseRate(p[0]); err != nil {
			panic(err)
		}
		if r.usdPer[code], err = money.ParseRate(p[1]); err != nil {
			panic(err)
		}
	}
	return r
}

func (r *fakeRates) Convert(_ context.Context, a money.Amount, to money.Currency, _ time.Time) (money.Amount, error) {
	if a.Currency == to {
		return a, nil
	}
	toUSD, ok1 := r.usdPer[a.Currency.Code]
	fromUSD, ok2 := r.perUSD[to.Code]
	if !ok1 || !ok2 {
		return money.Amount{}, errors.New("no rate")
	}
	u, err := money.Convert(a, toUSD, usd)
	if err != nil {
		return money.Amount{}, err
	}
	return money.Convert(u, fromUSD, to)
}

// fakeStepUp issues tokens for actions like twofactor does: one use, for
// one user and one action.
type fakeStepUp struct {
	mu      sync.Mutex
	enabled map[int64]bool
	tokens  map[string]stepUpGrant
	n       int
}

type stepUpGrant struct {
	user   int64
	action string
	used   bool
}

func newFakeStepUp() *fakeStepUp {
	return &fakeStepUp{enabled: map[int64]bool{}, tokens: map[string]stepUpGrant{}}
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
	f.tokens[tok] = stepUpGrant{user: userID, action: string(a.Hash())}
	return tok
}

func (f *fakeStepUp) UseStepUp(_ context.Context, userID int64, token string, a twofactor.Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.tokens[token]
	if !ok || g.used || g.user != userID || g.action != string(a.Hash()) {
		return twofactor.ErrStepUpRefused
	}
	g.used = true
	f.tokens[token] = g
	return nil
}

// testCard is the test rail's source. Its number picks the behaviour:
// "4242" succeeds, "0002" is declined, "0069" is expired, "0127" has a wrong
// CVC, "3155" needs confirmation (code "123456"; "000000" fails it), and
// "0119" succeeds but the answer is lost on the way back (an error).
type testCard struct{ Number string }

var (
	cardOK       = testCard{"4242"}
	cardDeclined = testCard{"0002"}
	cardExpired  = testCard{"0069"}
	cardBadCVC   = testCard{"0127"}
	card3DS      = testCard{"3155"}
	cardLost     = testCard{"0119"}
)

// testRail is an in-memory card network: idempotent on the key, counting
// the money it actually took.
type testRail struct {
	brand   string
	mu      sync.Mutex
	charges map[string]*railCharge // by idempotency key
	byID    map[string]*railCharge
	taken   int64 // minor units actually charged, all currencies
	calls   int
}

type railCharge struct {
	res    wallet.ChargeResult
	amount money.Amount
}

func newTestRail(brand string) *testRail {
	return &testRail{brand: brand, charges: map[string]*railCharge{}, byID: map[string]*railCharge{}}
}

func (r *testRail) Charge(_ context.Context, req wallet.ChargeRequest) (wallet.ChargeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if c, ok := r.charges[req.IdempotencyKey]; ok {
		return c.res, nil
	}
	card, ok := req.Source.(testCard)
	if !ok {
		return wallet.ChargeResult{}, errors.New("test rail: unknown key and no card")
	}
	c := &railCharge{amount: req.Amount, res: wallet.ChargeResult{
		ID: fmt.Sprintf("ch_%d", len(r.byID)+1), Display: r.brand + " •••• " + card.Number,
	}}
	var lost bool
	switch card.Number {
	case "4242":
		c.res.Status = wallet.ChargeSucceeded
	case "0002":
		c.res.Status, c.res.DeclineCode = wallet.ChargeFailed, "card_declined"
	case "0069":
		c.res.Status, c.res.DeclineCode = wallet.ChargeFailed, "expired_card"
	case "0127":
		c.res.Status, c.res.DeclineCode = wallet.ChargeFailed, "incorrect_cvc"
	case "3155":
		c.res.Status = wallet.ChargeRequiresAction
	case "0119":
		c.res.Status, lost = wallet.ChargeSucceeded, true
	default:
		return wallet.ChargeResult{}, errors.New("test rail: no such test card")
	}
	if c.res.Status == wallet.ChargeSucceeded {
		r.taken += req.Amount.Minor
	}
	r.charges[req.IdempotencyKey] = c
	r.byID[c.res.ID] = c
	if lost {
		return wallet.ChargeResult{}, errors.New("test rail: connection reset")
	}
	return c.res, nil
}

func (r *testRail) Confirm(_ context.Context, chargeID, code string) (wallet.ChargeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.byID[chargeID]
	if !ok {
		return wallet.ChargeResult{}, errors.New("test rail: no such charge")
	}
	if c.res.Status != wallet.ChargeRequiresAction {
		return c.res, nil
	}
	switch code {
	case "123456":
		c.res.Status = wallet.ChargeSucceeded
		r.taken += c.amount.Minor
	case "000000":
		c.res.Status, c.res.DeclineCode = wallet.ChargeFailed, "authentication_failed"
	}
	return c.res, nil
}

func (r *testRail) takenTotal() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.taken
}

// flakyLedger passes submissions to the ledger, except that it can drop
// the next ones (as if the process died before submitting) or lose their
// answers (as if it died after the commit).
type flakyLedger struct {
	*ledger.Ledger
	mu   sync.Mutex
	drop int
	lose int
}

func (f *flakyLedger) Submit(ctx context.Context, ts []ledger.Transfer) ([]ledger.Result, error) {
	f.mu.Lock()
	drop, lose := f.drop > 0, f.lose > 0
	if drop {
		f.drop--
	} else if lose {
		f.lose--
	}
	f.mu.Unlock()
	if drop {
		return nil, fmt.Errorf("%w: dropped before submitting", ledger.ErrUnavailable)
	}
	res, err := f.Ledger.Submit(ctx, ts)
	if lose && err == nil {
		return nil, fmt.Errorf("%w: answer lost after commit", ledger.ErrUnavailable)
	}
	return res, err
}

func (f *flakyLedger) failNext(drop, lose int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drop, f.lose = drop, lose
}

// mustSend sends and fails the test on any error.
func (en *env) mustSend(r wallet.SendRequest) wallet.Movement {
	en.t.Helper()
	m, err := en.svc.Send(context.Background(), r)
	if err != nil {
		en.t.Fatalf("send %+v: %v", r, err)
	}
	if m.Status != wallet.StatusCompleted {
		en.t.Fatalf("send %+v: status %s, want completed", r, m.Status)
	}
	return m
}

func emailOf(name string) string { return strings.ToLower(name) + "@example.com" }
