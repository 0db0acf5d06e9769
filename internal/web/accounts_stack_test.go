package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/ledger"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

// stack is the site with real accounts behind it: SQLite, the auth
// service with cheap hashing, the mail outbox and its web.Mailer.
type stack struct {
	db          *sqlstore.DB
	auth        *auth.Service
	second      *twofactor.Service
	mails       *recordingMailer
	wallet      *wallet.Service
	bank        *wallet.BankDeposits
	withdrawals *wallet.Withdrawals
	risk        *risk.Service
	kyc         *kyc.Service
	logs        *lockedBuffer // everything the stack logged
	log         *slog.Logger
	site        *web.Site
	handler     http.Handler
	hasher      *countingHasher
	support     *support.Service
	merchant    *merchant.Service
	payouts     *merchant.Payouts
}

// testRates are exchange rates for the stack (per 1 EUR).
const testRates = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-02"><Cube currency="USD" rate="1.10"/><Cube currency="CNY" rate="7.70"/><Cube currency="GBP" rate="0.85"/><Cube currency="JPY" rate="160"/><Cube currency="RUB" rate="100"/></Cube></Cube>
</gesmes:Envelope>`

// newTestWallet is the wallet as okpay serve builds it, with the
// connectors' card and e-wallet sandboxes; the ledger is verified when
// the test ends.
func newTestWallet(t *testing.T, db *sqlstore.DB, now func() time.Time, second *twofactor.Service, log *slog.Logger) (*wallet.Service, *ledger.Ledger, *kyc.Service) {
	t.Helper()
	l := ledger.New(db.Ledger(), ledger.Options{Now: now, Logger: log})
	k, err := kyc.New(kyc.Options{Store: db.KYC(), Ledger: l, MasterKey: testMasterKey, Now: now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	rates := fx.New(fx.Options{Store: db.FX(), Now: now})
	if _, err := rates.ImportECB(context.Background(), strings.NewReader(testRates)); err != nil {
		t.Fatal(err)
	}
	sandbox := connector.SandboxConfig{Now: now}
	w, err := wallet.New(wallet.Options{Store: db.Wallet(), Ledger: l, Fees: adapt.Fees(fees.Default()), Rates: adapt.Rates(rates),
		Directory: db.WalletDirectory(), StepUp: second, Limiter: k, Now: now, Logger: log,
		Rails: map[wallet.Method]wallet.Rail{
			wallet.MethodCard:    adapt.Rail(connector.NewCardSandbox(sandbox)),
			wallet.MethodEWallet: adapt.Rail(connector.NewEWalletSandbox(sandbox)),
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.PreparePlatformAccounts(context.Background()); err != nil {
		t.Fatal(err)
	}
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
	return w, l, k
}

// newTestWithdrawals is the withdrawal side as okpay serve builds it: the
// connectors' bank and e-wallet sandboxes on the default calendar, mail
// through the site's mailer.
func newTestWithdrawals(t *testing.T, db *sqlstore.DB, now func() time.Time, w *wallet.Service, mailer *web.Mailer) *wallet.Withdrawals {
	t.Helper()
	cal := calendar.Default()
	sandbox := connector.SandboxConfig{Now: now, AddBusinessDays: cal.AddBusinessDays}
	wd, err := wallet.NewWithdrawals(w, wallet.WithdrawOptions{
		Store: db.Wallet(),
		Payers: map[wallet.Method]wallet.PayoutRail{
			wallet.MethodBank:    adapt.Payer(connector.NewBankSandbox(sandbox)),
			wallet.MethodEWallet: adapt.Payer(connector.NewEWalletSandbox(sandbox)),
		},
		MasterKey: testMasterKey, Mailer: mailer, AddBusinessDays: cal.AddBusinessDays,
	})
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// testMasterKey seals the test users' TOTP secrets.
var testMasterKey = bytes.Repeat([]byte{7}, 32)

// lockedBuffer collects log lines from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// recordingMailer keeps what auth asked to send (tokens included), then
// queues it as the site does.
type recordingMailer struct {
	*web.Mailer
	mu    sync.Mutex
	sent  []auth.Mail
	codes map[int64]string // the newest email code per user
}

func (m *recordingMailer) QueueCode(ctx context.Context, tx twofactor.Tx, userID int64, code string, validFor time.Duration) error {
	m.mu.Lock()
	m.codes[userID] = code
	m.mu.Unlock()
	return m.Mailer.QueueCode(ctx, tx, userID, code, validFor)
}

func (m *recordingMailer) Send(ctx context.Context, tx auth.Tx, x auth.Mail) error {
	m.mu.Lock()
	m.sent = append(m.sent, x)
	m.mu.Unlock()
	return m.Mailer.Send(ctx, tx, x)
}

// last returns the newest mail of kind to the address.
func (m *recordingMailer) last(t *testing.T, kind auth.MailKind, to string) auth.Mail {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].Kind == kind && m.sent[i].To == to {
			return m.sent[i]
		}
	}
	t.Fatalf("no %s mail to %s", kind, to)
	return auth.Mail{}
}

// countingHasher counts password verifications.
type countingHasher struct {
	auth.Hasher
	verify int
}

func (h *countingHasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	h.verify++
	return h.Hasher.Verify(ctx, encoded, password)
}

// newStack builds the accounts site on a fresh SQLite database, with
// links in mail starting at baseURL and the clock now.
func newStack(t *testing.T, now func() time.Time, baseURL string, o web.Options) *stack {
	t.Helper()
	db := sqltest.NewDB(t, sqlstore.SQLite, "web", now)
	outbox, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.localhost"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := web.NewMailer(web.MailerOptions{Outbox: outbox, BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingMailer{Mailer: mailer, codes: map[int64]string{}}
	second, err := twofactor.New(twofactor.Config{MasterKey: testMasterKey, Store: db.TwoFactor(), Mailer: rec, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	h := &countingHasher{Hasher: auth.NewArgon2(auth.TestArgon2, 0)}
	svc := auth.New(auth.Options{Store: db.Auth(), Hasher: h, Mailer: rec, SecondFactor: second.AuthHook(db.TwoFactorTx), Now: now})
	o.Auth, o.TwoFactor, o.Audit = svc, second, db.Audit()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Logger = log
	var l *ledger.Ledger
	o.Wallet, l, o.KYC = newTestWallet(t, db, now, second, log)
	bank, err := wallet.NewBankDeposits(o.Wallet, wallet.BankOptions{Store: db.Wallet(), Ledger: l})
	if err != nil {
		t.Fatal(err)
	}
	o.Bank = bank
	rk, err := risk.New(risk.Options{Store: db.Risk(), Wallet: o.Wallet, Rates: adapt.Rates(fx.New(fx.Options{Store: db.FX(), Now: now})),
		Devices: svc, Notifier: mailer, Now: now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	o.Wallet.SetScreener(rk)
	o.Risk = rk
	if o.Corrections, err = wallet.NewCorrections(o.Wallet, db.Wallet()); err != nil {
		t.Fatal(err)
	}
	o.Withdrawals = newTestWithdrawals(t, db, now, o.Wallet, mailer)
	o.Exchange, o.FX = newTestExchange(t, db, o.Wallet, now)
	o.Now = now
	o.Support = newTestSupport(t, db, outbox, now, baseURL, svc, second, o.Wallet, rk, o.KYC)
	o.Help = newTestHelp(t, db, now)
	o.Chat = newTestChat(db, o.Support, now)
	o.APIKeys = apikey.New(apikey.Options{Store: db.APIKeys(), StepUp: second, Now: now})
	o.Merchant = newTestMerchant(t, db, l, o.Wallet, second, now)
	if o.MerchantReports == nil {
		o.MerchantReports, o.MerchantPayouts = newTestMerchantExtras(t, db, o.Merchant, o.Wallet, now)
		o.MerchantAudit = db.MerchantReports()
	}
	site := mustSite(t, o)
	return &stack{merchant: o.Merchant, payouts: o.MerchantPayouts, db: db, auth: svc, second: second, mails: rec, wallet: o.Wallet, bank: bank, withdrawals: o.Withdrawals, risk: rk, kyc: o.KYC, logs: logs, log: log, site: site, handler: site.Handler(), hasher: h, support: o.Support}
}

// mustSignUp creates and verifies nothing: a plain customer account.
func (st *stack) mustSignUp(t *testing.T, email, password, locale string) auth.User {
	t.Helper()
	u, err := st.auth.SignUp(context.Background(), auth.SignUpRequest{Email: email, Password: password, Locale: locale, IP: "192.0.2.9"})
	if err != nil {
		t.Fatalf("SignUp(%s): %v", email, err)
	}
	return u
}

// serveWithMailbox serves the stack on a loopback port with the dev
// mailbox at /dev/mailbox and a worker delivering mail to it, as
// `okpay serve` does in development.
func serveWithMailbox(t *testing.T, o web.Options) (*stack, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	base := "http://" + srv.Listener.Addr().String()
	now := o.Now
	if now == nil {
		now = time.Now
	}
	st := newStack(t, now, base, o)
	st.site.Mount(mux)
	quiet := st.log
	mb := okmail.DevMailbox(st.db.Mail(), okmail.DevMailboxOptions{Logger: quiet})
	mux.Handle("GET "+okmail.DevMailboxPath, mb)
	mux.Handle("GET "+okmail.DevMailboxPath+"/", mb)
	srv.Start()
	t.Cleanup(srv.Close)

	runner := jobs.New(st.db.Jobs(), jobs.Options{Now: now, PollInterval: 20 * time.Millisecond, Logger: quiet})
	sender := okmail.NewSender(okmail.SenderOptions{Store: st.db.Mail(), Now: now, Logger: quiet})
	runner.Register(okmail.SendJob, sender.Handle)
	st.wallet.Register(runner)
	st.bank.Register(runner)
	st.risk.Register(runner)
	st.withdrawals.Register(runner)
	if st.payouts != nil {
		st.payouts.Register(runner)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("jobs runner: %v", err)
		}
	})
	return st, srv
}
