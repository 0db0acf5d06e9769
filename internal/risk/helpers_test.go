package risk_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/ledger"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

var (
	usd   = money.MustCurrency("USD")
	cny   = money.MustCurrency("CNY")
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func amt(minor int64, c money.Currency) money.Amount { return money.Amount{Minor: minor, Currency: c} }

// testRates: 1 EUR = 1.10 USD = 7.70 CNY, so 1 USD = 7 CNY.
const testRates = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-02"><Cube currency="USD" rate="1.10"/><Cube currency="CNY" rate="7.70"/><Cube currency="GBP" rate="0.85"/><Cube currency="JPY" rate="160"/><Cube currency="RUB" rate="100"/></Cube></Cube>
</gesmes:Envelope>`

// env is the wallet with risk screening it, as okpay serve builds them,
// on a fresh database of one engine: real ledger, rates, fee schedule,
// card sandbox, accounts and mail outbox.
type env struct {
	t      *testing.T
	db     *sqlstore.DB
	clock  *clock.Settable
	auth   *auth.Service
	wallet *wallet.Service
	risk   *risk.Service
	mailer *web.Mailer
	n      atomic.Int64
}

func newEnv(t *testing.T, e sqlstore.Engine) *env {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewSettable(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "risk", clk.Now)
	outbox, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.localhost"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := web.NewMailer(web.MailerOptions{Outbox: outbox, BaseURL: "http://okpay.test"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := twofactor.New(twofactor.Config{MasterKey: bytes.Repeat([]byte{7}, 32), Store: db.TwoFactor(), Mailer: mailer, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	accounts := auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.TestArgon2, 0), Mailer: mailer,
		SecondFactor: second.AuthHook(db.TwoFactorTx), Now: clk.Now})
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now, Logger: quiet})
	rates := fx.New(fx.Options{Store: db.FX(), Now: clk.Now})
	if _, err := rates.ImportECB(ctx, strings.NewReader(testRates)); err != nil {
		t.Fatal(err)
	}
	sandbox := connector.SandboxConfig{Now: clk.Now}
	w, err := wallet.New(wallet.Options{Store: db.Wallet(), Ledger: l, Fees: adapt.Fees(fees.Default()), Rates: adapt.Rates(rates),
		Directory: db.WalletDirectory(), StepUp: second, Now: clk.Now, Logger: quiet,
		Rails: map[wallet.Method]wallet.Rail{wallet.MethodCard: adapt.Rail(connector.NewCardSandbox(sandbox))}})
	if err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.Options{Store: db.Risk(), Wallet: w, Rates: adapt.Rates(rates), Devices: accounts,
		Notifier: mailer, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.SetScreener(rk)
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
	return &env{t: t, db: db, clock: clk, auth: accounts, wallet: w, risk: rk, mailer: mailer}
}

const password = "correct horse battery"

// user creates an account with a role and returns it.
func (en *env) user(role auth.Role) auth.User {
	en.t.Helper()
	email := fmt.Sprintf("%s%d@example.com", role, en.n.Add(1))
	u, err := en.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: email, Password: password, Role: role, Locale: "en", ActorRole: "cli"})
	if err != nil {
		en.t.Fatal(err)
	}
	return u
}

func actorOf(u auth.User) auth.Actor { return auth.Actor{UserID: u.ID, Role: u.Role} }

// device signs u in and returns the browser's device cookie.
func (en *env) device(u auth.User) string {
	en.t.Helper()
	res, err := en.auth.Login(context.Background(), auth.LoginRequest{Email: u.Email, Password: password, IP: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		en.t.Fatal(err)
	}
	return res.DeviceToken
}

func (en *env) walletID(u auth.User) wallet.WalletID {
	en.t.Helper()
	w, err := en.wallet.Open(context.Background(), u.ID)
	if err != nil {
		en.t.Fatal(err)
	}
	return w.ID
}

// deposit puts money in u's wallet with the sandbox's test card.
func (en *env) deposit(u auth.User, a money.Amount) {
	en.t.Helper()
	m, err := en.wallet.Deposit(context.Background(), wallet.DepositRequest{UserID: u.ID, Method: wallet.MethodCard, Amount: a,
		Source:         &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"},
		IdempotencyKey: fmt.Sprintf("dep-%d", en.n.Add(1))})
	if err != nil || m.Status != wallet.StatusCompleted {
		en.t.Fatalf("deposit: %v (%s)", err, m.Status)
	}
}

func (en *env) send(from auth.User, to wallet.WalletID, a money.Amount, device string) (wallet.Movement, error) {
	return en.wallet.Send(context.Background(), wallet.SendRequest{UserID: from.ID, To: string(to), Amount: a,
		IdempotencyKey: fmt.Sprintf("send-%d", en.n.Add(1)), Device: device})
}

func (en *env) mustSend(from auth.User, to wallet.WalletID, a money.Amount, device string) wallet.Movement {
	en.t.Helper()
	m, err := en.send(from, to, a, device)
	if err != nil {
		en.t.Fatalf("send %s: %v", a, err)
	}
	return m
}

// balance returns u's posted balance and available amount in currency.
func (en *env) balance(u auth.User, c money.Currency) (posted, available int64) {
	en.t.Helper()
	b, err := en.wallet.Balance(context.Background(), u.ID, c.Code)
	if err != nil {
		en.t.Fatal(err)
	}
	return b.Balance.Minor, b.Available.Minor
}

// movements lists u's movements of type t.
func (en *env) movements(u auth.User, t wallet.Type) []wallet.Movement {
	en.t.Helper()
	p, err := en.wallet.History(context.Background(), wallet.History{UserID: u.ID, Types: []wallet.Type{t}, Limit: 100})
	if err != nil {
		en.t.Fatal(err)
	}
	return p.Movements
}

// holdOf returns the hold case of a movement.
func (en *env) holdOf(m wallet.Movement) risk.Case {
	en.t.Helper()
	c, err := en.db.Risk().CaseByMovement(context.Background(), risk.KindHold, m.ID)
	if err != nil {
		en.t.Fatalf("hold of %s: %v", m.ID, err)
	}
	return c
}

// mailsTo counts the queued mails to addr whose subject contains subject.
func (en *env) mailsTo(addr, subject string) int {
	en.t.Helper()
	var n int
	if err := en.db.Read().QueryRow(context.Background(), `SELECT count(*) FROM mail_outbox WHERE rcpt_to LIKE $1 AND subject LIKE $2`,
		"%"+addr+"%", "%"+subject+"%").Scan(&n); err != nil {
		en.t.Fatalf("mails: %v", err)
	}
	return n
}

// audited counts audit records of action on target.
func (en *env) audited(action, targetID string) int {
	en.t.Helper()
	var n int
	if err := en.db.Read().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2`,
		action, targetID).Scan(&n); err != nil {
		en.t.Fatalf("audit: %v", err)
	}
	return n
}

func itoa(n int64) string { return fmt.Sprint(n) }
