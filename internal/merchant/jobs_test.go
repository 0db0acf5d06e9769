package merchant_test

import (
	"context"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// A payment and a refund whose ledger answers were lost are finished by
// the sweep, moving the money exactly once.
func TestSweepFinishesLostAnswers(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 100_00) // the merchant's balance for the refund
		payer := en.user()
		en.fund(payer.ID, 500_00)
		p, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(100_00)})
		mustOK(t, "create", err)

		en.lossy.lose.Store(true)
		_, err = en.svc.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: payer.ID})
		mustErr(t, "pay with the answer lost", err, merchant.ErrUnavailable)
		en.lossy.lose.Store(false)
		got, _ := en.svc.Payment(ctx, a, p.ID)
		if got.Status != merchant.Processing {
			t.Fatalf("status after a lost answer = %s, want processing", got.Status)
		}
		en.clock.Add(merchant.SweepEvery + 1)
		mustOK(t, "sweep", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		got, _ = en.svc.Payment(ctx, a, p.ID)
		if got.Status != merchant.Succeeded || en.available(payer.ID) != 400_00 {
			t.Fatalf("after the sweep: %s, payer has %d; want succeeded, 40000", got.Status, en.available(payer.ID))
		}

		en.lossy.lose.Store(true)
		rf, err := en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(40_00)})
		mustErr(t, "refund with the answer lost", err, merchant.ErrUnavailable)
		en.lossy.lose.Store(false)
		if rf.Status != merchant.RefundPending {
			t.Fatalf("refund after a lost answer = %s, want pending", rf.Status)
		}
		en.clock.Add(merchant.SweepEvery + 1)
		mustOK(t, "sweep", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		mustOK(t, "sweep again", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		rs, err := en.svc.Refunds(ctx, a, p.ID)
		mustOK(t, "refunds", err)
		if len(rs) != 1 || rs[0].Status != merchant.RefundSucceeded {
			t.Fatalf("refunds = %+v", rs)
		}
		got, _ = en.svc.Payment(ctx, a, p.ID)
		if got.AmountRefunded != 40_00 || en.available(payer.ID) != 440_00 {
			t.Errorf("refunded %d, payer has %d; want 4000 once, 44000", got.AmountRefunded, en.available(payer.ID))
		}

		// An open session past its expiry is expired by the sweep.
		cs := session(t, en, a, 5_00)
		en.clock.Add(24*60*60*1e9 + merchant.SweepEvery + 1)
		mustOK(t, "sweep", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		if st, err := en.db.Merchant().Session(ctx, cs.ID); err != nil || st.Status != merchant.SessionExpired {
			t.Errorf("session after the sweep: %s (%v), want expired", st.Status, err)
		}
	})
}

// An authorisation nobody captures is canceled after the capture window,
// giving the payer their money back.
func TestSweepCancelsUncapturedAuthorisations(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := manualPayment(t, en, a, 100_00)
		en.clock.Add(6 * 24 * time.Hour)
		mustOK(t, "sweep", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		if got, _ := en.svc.Payment(ctx, a, p.ID); got.Status != merchant.RequiresCapture {
			t.Fatalf("after 6 days: %s, want still requires_capture", got.Status)
		}
		en.clock.Add(24*time.Hour + time.Second)
		mustOK(t, "sweep", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		got, _ := en.svc.Payment(ctx, a, p.ID)
		if got.Status != merchant.Canceled || en.available(payer) != 500_00 {
			t.Errorf("after 7 days: %s, payer has %d; want canceled, 50000", got.Status, en.available(payer))
		}
	})
}
