package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// TestDisputeJourneyThenLedgerVerify: the services okpay serve builds
// take a dispute from opening to a lost decision, mail both sides in the
// catalogue's words, and `okpay ledger verify` is clean, on both engines.
func TestDisputeJourneyThenLedgerVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		env, data, db, _, l, svc := servicesOn(t, env, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
		ctx := context.Background()
		if !svc.merchant.DisputesEnabled() {
			t.Fatal("serve's merchant service has disputes off")
		}
		user := func(email string, role auth.Role) int64 {
			u, err := svc.accounts.CreateUser(ctx, auth.CreateUserRequest{Email: email, Password: "journey pass phrase", Role: role, Locale: "zh-CN", ActorRole: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		usd := money.MustCurrency("USD")
		owner, buyer, sup := user("shop@example.com", auth.RoleCustomer), user("buyer@example.com", auth.RoleCustomer), user("sup@okpay.test", auth.RoleSupervisor)
		m, err := svc.merchant.Create(ctx, merchant.CreateRequest{OwnerUserID: owner, Name: "茶馆", Country: "CN", Currency: "USD", SupportEmail: "shop@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.merchant.Access(ctx, owner, m.ID, merchant.Live)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.wallet.Deposit(ctx, wallet.DepositRequest{UserID: buyer, Method: wallet.MethodCard, Amount: money.Amount{Minor: 60_00, Currency: usd},
			Source: &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, IdempotencyKey: "dispute-deposit"}); err != nil {
			t.Fatal(err)
		}
		p, err := svc.merchant.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: money.Amount{Minor: 50_00, Currency: usd}, Description: "普洱"})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = svc.merchant.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: buyer}); err != nil {
			t.Fatal(err)
		}
		d, err := svc.merchant.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: buyer, Reason: merchant.ReasonNotReceived, Message: "没收到"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.merchant.Decide(ctx, merchant.Decision{Actor: auth.Actor{UserID: sup, Role: auth.RoleSupervisor}, DisputeID: d.ID,
			Outcome: merchant.DisputeLost}); err != nil {
			t.Fatal(err)
		}
		blocked, owed, err := svc.merchant.PayoutBlocked(ctx, m.ID, merchant.Live)
		if err != nil || !blocked || len(owed) != 1 {
			t.Errorf("payout blocked %v owed %v (%v): the fee left a shortfall", blocked, owed, err)
		}
		rows, err := db.Read().Query(ctx, `SELECT rcpt_to, subject FROM mail_outbox ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for rows.Next() {
			var to, subject string
			rows.Scan(&to, &subject)
			subjects = append(subjects, strings.Trim(to, `[]"`)+" "+subject)
		}
		rows.Close()
		all := strings.Join(subjects, "\n")
		for _, want := range []string{"buyer@example.com 您对茶馆的 US$50.00 付款争议已受理", "shop@example.com 客户对 US$50.00 提出争议",
			"buyer@example.com 您与茶馆的争议款 US$50.00 已退回", "shop@example.com US$50.00 的争议裁决支持客户"} {
			if !strings.Contains(all, want) {
				t.Errorf("no mail %q; queued:\n%s", want, all)
			}
		}
		l.Close()
		r := okpay(t, env, "--data", data, "ledger", "verify")
		if r.code != 0 || !strings.Contains(r.stdout, "ok") {
			t.Fatalf("ledger verify: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}
