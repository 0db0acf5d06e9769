package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
)

// TestMoneyJourneyThenLedgerVerify drives the services okpay serve builds
// through every kind of money movement — card deposit, send, exchange,
// withdrawal settled by its job, a four-eyes correction, a month of
// dormancy fees — and then runs `okpay ledger verify` on the database, on
// both engines.
func TestMoneyJourneyThenLedgerVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		env, data, _, clk, l, svc := servicesOn(t, env, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
		ctx := context.Background()
		user := func(email string, role auth.Role) int64 {
			u, err := svc.accounts.CreateUser(ctx, auth.CreateUserRequest{Email: email, Password: "journey pass phrase", Role: role, Locale: "zh-CN", ActorRole: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		usd := money.MustCurrency("USD")
		a, b := user("a@example.com", auth.RoleCustomer), user("b@example.com", auth.RoleCustomer)
		s1, s2 := user("s1@okpay.test", auth.RoleSupervisor), user("s2@okpay.test", auth.RoleSupervisor)
		must := func(what string, _ wallet.Movement, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		m, err := svc.wallet.Deposit(ctx, wallet.DepositRequest{UserID: a, Method: wallet.MethodCard, Amount: money.Amount{Minor: 800_00, Currency: usd},
			Source: &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, IdempotencyKey: "journey-deposit"})
		must("deposit", m, err)
		bw, err := svc.wallet.Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		aw, err := svc.wallet.Open(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		m, err = svc.wallet.Send(ctx, wallet.SendRequest{UserID: a, To: string(bw.ID), Amount: money.Amount{Minor: 100_00, Currency: usd}, IdempotencyKey: "journey-send"})
		must("send", m, err)
		q, err := svc.exchange.Quote(ctx, wallet.ExchangeRequest{UserID: a, Sell: money.Amount{Minor: 50_00, Currency: usd}, Buy: "EUR"})
		if err != nil {
			t.Fatalf("exchange quote: %v", err)
		}
		m, err = svc.exchange.Exchange(ctx, wallet.ExchangeConfirm{UserID: a, QuoteID: q.ID, IdempotencyKey: "journey-exchange"})
		must("exchange", m, err)
		wd, err := svc.withdraw.Withdraw(ctx, wallet.WithdrawRequest{UserID: a, Method: wallet.MethodEWallet, Account: "alice@wallet.test",
			Amount: money.Amount{Minor: 200_00, Currency: usd}, IdempotencyKey: "journey-withdraw"})
		if err != nil {
			t.Fatalf("withdraw: %v", err)
		}
		clk.Add(7 * 24 * time.Hour)
		if _, err := svc.withdraw.Settle(ctx); err != nil {
			t.Fatalf("settle: %v", err)
		}
		if got, _ := svc.withdraw.Withdrawal(ctx, a, wd.ID); got.Status != wallet.WithdrawalCompleted {
			t.Errorf("withdrawal after a week: %s", got.Status)
		}
		c, err := svc.fixes.Propose(ctx, auth.Actor{UserID: s1, Role: auth.RoleSupervisor}, wallet.Proposal{Kind: wallet.CorrectionGoodwill,
			ToWallet: string(aw.ID), Amount: money.Amount{Minor: 5_00, Currency: usd}, Reason: "goodwill for a slow payout"})
		if err != nil {
			t.Fatalf("propose: %v", err)
		}
		if _, _, err := svc.fixes.Approve(ctx, auth.Actor{UserID: s2, Role: auth.RoleSupervisor}, c.ID, "ok"); err != nil {
			t.Fatalf("approve: %v", err)
		}
		// Fourteen months without activity: the notice, then fees.
		notices, fees := 0, 0
		for range 14 {
			clk.Add(31 * 24 * time.Hour)
			run, err := svc.dormancy.Run(ctx)
			if err != nil {
				t.Fatalf("dormancy: %v", err)
			}
			notices += run.Notices
			for _, f := range run.Fees {
				if f.Status == wallet.StatusCompleted {
					fees++
				}
			}
		}
		if notices == 0 || fees == 0 {
			t.Errorf("fourteen dormant months: %d notices, %d fees charged; want both", notices, fees)
		}
		l.Close()
		r := okpay(t, env, "--data", data, "ledger", "verify")
		if r.code != 0 || !strings.Contains(r.stdout, "ok") {
			t.Fatalf("ledger verify: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

// servicesOn migrates a fresh database of the engine env names with the
// binary, and builds on it the services okpay serve builds, on a settable
// clock starting at start. The ledger is closed when the test ends (a
// test may close it sooner, before it runs `okpay ledger verify`).
func servicesOn(t *testing.T, env []string, start time.Time) ([]string, string, *sqlstore.DB, *clock.Settable, *ledger.Ledger, services) {
	t.Helper()
	env, data := freshTarget(t, env)
	if r := okpay(t, env, "--data", data, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	db := openTarget(t, env, data)
	clk := clock.NewSettable(start)
	cfg := config.Default()
	cfg.Now, cfg.MasterKey, cfg.BaseURL = clk.Now, bytes.Repeat([]byte{9}, 32), "http://okpay.test"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now, Logger: log})
	t.Cleanup(l.Close)
	outbox, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Address: "no-reply@okpay.test"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := newServices(context.Background(), cfg, log, db, l, outbox)
	if err != nil {
		t.Fatal(err)
	}
	return env, data, db, clk, l, svc
}
