package wallet_test

import (
	"context"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// TestLateFee: a request paid after its due date carries the schedule's
// late fee, paid by the payer, shown in the quote and in the same linked
// set as the payment; a payer who was not shown it is refused and nothing
// moves; the requester receives the amount in full.
func TestLateFee(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustOpen(alice)
		en.mustFund(bob, amt(500_00, cny))

		due := en.clock.Now().Add(72 * time.Hour)
		onTime, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, From: "bob@example.com", Amount: amt(100_00, cny), DueAt: due, IdempotencyKey: "a"})
		if err != nil {
			t.Fatal(err)
		}
		late, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, From: "bob@example.com", Amount: amt(200_00, cny), DueAt: due, IdempotencyKey: "b"})
		if err != nil {
			t.Fatal(err)
		}
		q, err := en.svc.QuotePayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: onTime.ID})
		if err != nil || !q.LateFee.IsZero() {
			t.Fatalf("quote before the due date: %+v, %v", q, err)
		}
		if _, err := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: onTime.ID, IdempotencyKey: "p1"}); err != nil {
			t.Fatalf("paying on time: %v", err)
		}

		// The quote is seen just before the due date; the payment comes after.
		en.clock.Add(72*time.Hour - time.Minute)
		q, err = en.svc.QuotePayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: late.ID})
		if err != nil || !q.LateFee.IsZero() {
			t.Fatalf("quote a minute before the due date: %+v, %v", q, err)
		}
		en.clock.Add(2 * time.Minute)
		before := en.available(bob, cny)
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: late.ID, IdempotencyKey: "p2", AcceptLateFee: q.LateFee})
		wantCode(t, "paying overdue after a quote without the late fee", err, wallet.CodeLateFeeChanged)
		if got := en.available(bob, cny); got != before {
			t.Fatalf("a refused late payment moved money: %d → %d", before, got)
		}
		// The fresh quote shows it: 1.5 % of 200.00 CNY is 3.00, below the
		// 5.00 minimum; the transfer fee is 1 % + 1.00 = 3.00.
		q, err = en.svc.QuotePayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: late.ID})
		if err != nil || q.LateFee != amt(5_00, cny) || q.Fee != amt(3_00, cny) || q.Debited != amt(208_00, cny) || q.Credited != amt(200_00, cny) {
			t.Fatalf("overdue quote: %+v, %v", q, err)
		}
		revenue := en.platformBalance(wallet.FeeRevenue, cny)
		m, err := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: late.ID, IdempotencyKey: "p3", AcceptLateFee: q.LateFee})
		if err != nil || m.Status != wallet.StatusCompleted || m.Fee != amt(8_00, cny) || len(m.Plan) != 3 {
			t.Fatalf("paying overdue: %+v, %v", m, err)
		}
		for i, tr := range m.Plan[:2] {
			if tr.Flags&1 == 0 {
				t.Errorf("transfer %d of the payment is not linked to the next: %+v", i, tr)
			}
		}
		if got := before - en.available(bob, cny); got != 208_00 {
			t.Errorf("bob paid %d, want 20800", got)
		}
		if got := en.available(alice, cny); got != 300_00 {
			t.Errorf("alice has %d, want 30000 (both requests in full)", got)
		}
		if got := en.platformBalance(wallet.FeeRevenue, cny) - revenue; got != 8_00 {
			t.Errorf("fee revenue grew by %d, want 800", got)
		}
		got, err := en.svc.Request(ctx, alice, late.ID)
		if err != nil || got.Status != wallet.RequestPaid {
			t.Errorf("the overdue request: %+v, %v", got, err)
		}
	})
}
