package wallet_test

import (
	"context"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// TestStatementAddsUpWithShopPayments is TestStatementAddsUp with
// payments to a shop from the balance: one authorised at the end of
// November and captured in part at the start of December (it counts in
// December, when it posted), one paid at a checkout, and a refund of it.
// Each statement adds up and agrees with the journal at both bounds, and
// (the env's cleanup) every wallet's ledger balance is the net of its
// completed movements.
func TestStatementAddsUpWithShopPayments(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		cst := time.FixedZone("CST", 8*3600)
		en := newEnv(t, e, func(_ *env, o *wallet.Options) { o.Config.Location = cst })
		ctx := context.Background()
		if err := en.svc.PreparePlatformAccounts(ctx); err != nil {
			t.Fatal(err)
		}
		shop, err := merchant.New(merchant.Options{Store: en.db.Merchant(), Ledger: en.l, Wallets: merchant.FromWallet(en.svc),
			Directory: en.db.MerchantDirectory(), Fees: merchant.ScheduleFees(fees.Default()), StepUp: en.stepUp,
			Rates: en.rates, Card: connector.NewCardSandbox(connector.SandboxConfig{Now: en.clock.Now}),
			Now: en.clock.Now, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		alice := en.mustUser("alice@example.com", "")
		owner := en.mustUser("owner@example.com", "")
		m, err := shop.Create(ctx, merchant.CreateRequest{OwnerUserID: owner, Name: "Tea House", Country: "CN",
			Currency: "USD", SupportEmail: "shop@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := shop.Access(ctx, owner, m.ID, merchant.Live)
		if err != nil {
			t.Fatal(err)
		}
		at := func(s string) {
			ts, err := time.ParseInLocation(time.DateTime, s, cst)
			if err != nil {
				t.Fatal(err)
			}
			en.clock.Set(ts)
		}

		at("2026-10-15 10:00:00")
		en.mustFund(alice, amt(100_00, usd))
		at("2026-11-30 23:00:00")
		p, err := shop.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(50_00, usd), CaptureMethod: merchant.CaptureManual})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := shop.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: alice}); err != nil {
			t.Fatalf("authorise: %v", err)
		}
		at("2026-12-01 00:30:00") // still November 30 in UTC
		if _, err := shop.Capture(ctx, a, p.ID, amt(30_00, usd)); err != nil {
			t.Fatalf("capture: %v", err)
		}
		at("2026-12-05 12:00:00")
		cs, err := shop.CreateSession(ctx, a, merchant.SessionRequest{Amount: amt(20_00, usd), ItemName: "Oolong",
			SuccessURL: "https://shop.example/thanks"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := shop.PaySessionBalance(ctx, cs.ID, alice, "")
		if err != nil {
			t.Fatalf("checkout: %v", err)
		}
		at("2026-12-06 12:00:00")
		if _, err := shop.Refund(ctx, a, merchant.RefundRequest{PaymentID: c.Payment.ID, Amount: amt(5_00, usd)}); err != nil {
			t.Fatalf("refund: %v", err)
		}
		at("2026-12-20 12:00:00")

		w := en.mustOpen(alice)
		want := map[time.Month][5]int64{ // opening, in, out, fees, closing
			time.October:  {0, 100_00, 0, 0, 100_00},
			time.November: {100_00, 0, 0, 0, 100_00},
			time.December: {100_00, 5_00, 50_00, 0, 55_00},
		}
		for _, month := range []time.Month{time.October, time.November, time.December} {
			st, err := en.svc.Statement(ctx, alice, 2026, month)
			if err != nil {
				t.Fatalf("statement %s: %v", month, err)
			}
			if len(st.Lines) != 1 {
				t.Fatalf("statement %s: %+v", month, st.Lines)
			}
			l := st.Lines[0]
			got := [5]int64{l.Opening.Minor, l.In.Minor, l.Out.Minor, l.Fees.Minor, l.Closing.Minor}
			if got != want[month] {
				t.Errorf("statement %s = %v, want %v", month, got, want[month])
			}
			if jb := en.journalBalance(w.Accounts["USD"], st.To); jb != l.Closing.Minor {
				t.Errorf("%s: closing %d, but the journal gives %d at %s", month, l.Closing.Minor, jb, st.To)
			}
			if jb := en.journalBalance(w.Accounts["USD"], st.From); jb != l.Opening.Minor {
				t.Errorf("%s: opening %d, but the journal gives %d at %s", month, l.Opening.Minor, jb, st.From)
			}
		}
		if got := en.available(alice, usd); got != 55_00 {
			t.Errorf("balance now %d, want 5500", got)
		}
	})
}
