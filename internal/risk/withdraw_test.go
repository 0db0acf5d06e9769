package risk_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// A test IBAN the bank sandbox pays on its settlement day.
const ibanPaid = "DE89370400440532013000"

// withdrawals adds withdrawals over the bank sandbox to en's wallet, as
// okpay serve does, and returns them with the sandbox.
func (en *env) withdrawals() (*wallet.Withdrawals, *connector.BankSandbox) {
	en.t.Helper()
	cal := calendar.Default()
	bank := connector.NewBankSandbox(connector.SandboxConfig{Now: en.clock.Now, AddBusinessDays: cal.AddBusinessDays})
	wd, err := wallet.NewWithdrawals(en.wallet, wallet.WithdrawOptions{
		Store:           en.db.Wallet(),
		Payers:          map[wallet.Method]wallet.PayoutRail{wallet.MethodBank: adapt.Payer(bank)},
		MasterKey:       make([]byte, 32),
		Mailer:          en.mailer,
		AddBusinessDays: cal.AddBusinessDays,
	})
	if err != nil {
		en.t.Fatal(err)
	}
	return wd, bank
}

// heldWithdrawal withdraws 600.00 USD of a fresh customer's 1000.00 to a
// bank account never paid before: large and new, so the rules hold it.
func (en *env) heldWithdrawal(wd *wallet.Withdrawals) (auth.User, wallet.Withdrawal) {
	en.t.Helper()
	u := en.user(auth.RoleCustomer)
	en.deposit(u, amt(1000_00, usd))
	w, err := wd.Withdraw(context.Background(), wallet.WithdrawRequest{UserID: u.ID, Method: wallet.MethodBank,
		Account: ibanPaid, Holder: "Li Lei", Amount: amt(600_00, usd), IdempotencyKey: fmt.Sprintf("wd-%d", en.n.Add(1))})
	if err != nil {
		en.t.Fatalf("withdraw: %v", err)
	}
	if w.Status != wallet.WithdrawalReview || w.PayoutID != "" || w.HeldAt.IsZero() {
		en.t.Fatalf("withdrawal is %s (payout %q, held at %v), want under review, held, nothing sent", w.Status, w.PayoutID, w.HeldAt)
	}
	return u, w
}

func (en *env) withdrawal(wd *wallet.Withdrawals, u auth.User, id string) wallet.Withdrawal {
	en.t.Helper()
	w, err := wd.Withdrawal(context.Background(), u.ID, id)
	if err != nil {
		en.t.Fatal(err)
	}
	return w
}

// TestHeldWithdrawalReleased: a withdrawal the rules hold keeps its money
// held and sends nothing to the bank (the settlement job included) until a
// supervisor releases it; then it is paid out once, on the calendar.
func TestHeldWithdrawalReleased(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		wd, _ := en.withdrawals()
		// Friday 2026-11-06 16:00 in Shanghai.
		en.clock.Set(time.Date(2026, 11, 6, 8, 0, 0, 0, time.UTC))
		u, w := en.heldWithdrawal(wd)
		debited := w.Amount.Minor + w.Fee.Minor
		if posted, avail := en.balance(u, usd); posted != 1000_00 || avail != 1000_00-debited {
			t.Errorf("balance %d, available %d; want 100000 and %d held", posted, avail, 1000_00-debited)
		}
		if m, _ := en.wallet.Movement(ctx, u.ID, w.ID); m.Status != wallet.StatusHeld {
			t.Errorf("movement is %s, want held", m.Status)
		}
		hold := en.holdOf(wallet.Movement{ID: w.ID})
		if hold.Payee != "Li Lei · DE89 •••• 3000" || len(hold.Reasons) == 0 {
			t.Errorf("case payee %q reasons %v", hold.Payee, hold.Reasons)
		}
		if en.mailsTo(u.Email, "under review") != 1 {
			t.Error("the customer was not emailed about the hold")
		}
		// The settlement job, days later, still sends nothing.
		en.clock.Set(time.Date(2026, 11, 12, 2, 0, 0, 0, time.UTC))
		if n, err := wd.Settle(ctx); err != nil || n != 0 {
			t.Errorf("Settle = %d, %v; want nothing while under review", n, err)
		}
		if got := en.withdrawal(wd, u, w.ID); got.Status != wallet.WithdrawalReview || got.PayoutID != "" {
			t.Fatalf("after the job: %s, payout %q", got.Status, got.PayoutID)
		}

		sup := en.user(auth.RoleSupervisor)
		if _, err := en.risk.Release(ctx, hold.ID, actorOf(sup), "customer confirmed by phone"); err != nil {
			t.Fatal(err)
		}
		// As after a crash: the job and the wallet are asked again.
		if err := en.risk.HandleResolve(ctx, resolveClaim(hold.ID)); err != nil {
			t.Errorf("resolve job: %v", err)
		}
		if _, err := en.wallet.ResolveHold(ctx, w.ID, true); err != nil {
			t.Errorf("resolve again: %v", err)
		}
		got := en.withdrawal(wd, u, w.ID)
		if got.Status != wallet.WithdrawalProcessing || got.PayoutID == "" {
			t.Fatalf("after release: %s, payout %q; want processing at the bank", got.Status, got.PayoutID)
		}
		en.clock.Set(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
		if _, err := wd.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		if got := en.withdrawal(wd, u, w.ID); got.Status != wallet.WithdrawalCompleted {
			t.Fatalf("after settlement: %s, want completed", got.Status)
		}
		if posted, avail := en.balance(u, usd); posted != 1000_00-debited || avail != posted {
			t.Errorf("balance %d, available %d; want %d paid out once", posted, avail, 1000_00-debited)
		}
		if en.audited(risk.ActionHoldReleased, w.ID) != 1 {
			t.Error("the release is not audited once")
		}
	})
}

// TestHeldWithdrawalRefused: refusing voids the hold, so every minor unit
// is back and the withdrawal reads failed, refused in review; no payout is
// ever made. A second held withdrawal is canceled by the customer while
// under review, which also gives the money back and ends the case.
func TestHeldWithdrawalRefused(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		wd, _ := en.withdrawals()
		u, w := en.heldWithdrawal(wd)
		sup := en.user(auth.RoleSupervisor)
		hold := en.holdOf(wallet.Movement{ID: w.ID})
		if _, err := en.risk.Refuse(ctx, hold.ID, actorOf(sup), "payee account reported as mule"); err != nil {
			t.Fatal(err)
		}
		if err := en.risk.HandleResolve(ctx, resolveClaim(hold.ID)); err != nil {
			t.Errorf("resolve job: %v", err)
		}
		got := en.withdrawal(wd, u, w.ID)
		if got.Status != wallet.WithdrawalFailed || got.FailureCode != wallet.CodeRefusedInReview || got.PayoutID != "" {
			t.Errorf("withdrawal is %s (%s, payout %q), want failed refused_in_review, never sent", got.Status, got.FailureCode, got.PayoutID)
		}
		if posted, avail := en.balance(u, usd); posted != 1000_00 || avail != 1000_00 {
			t.Errorf("balance %d, available %d; want all 100000 back", posted, avail)
		}
		if m, _ := en.wallet.Movement(ctx, u.ID, w.ID); m.Status != wallet.StatusFailed || m.FailureCode != wallet.CodeRefusedInReview {
			t.Errorf("movement %s (%s)", m.Status, m.FailureCode)
		}
		if en.mailsTo(u.Email, "did not pass review") != 1 {
			t.Error("the refusal was not mailed once")
		}

		// The customer cancels another held one before review.
		w2, err := wd.Withdraw(ctx, wallet.WithdrawRequest{UserID: u.ID, Method: wallet.MethodBank, Account: "DE62370400440532013001",
			Holder: "Li Lei", Amount: amt(700_00, usd), IdempotencyKey: "second"})
		if err != nil || w2.Status != wallet.WithdrawalReview {
			t.Fatalf("second withdrawal: %s, %v; want under review", w2.Status, err)
		}
		if got, err := wd.Cancel(ctx, u.ID, w2.ID); err != nil || got.Status != wallet.WithdrawalCanceled {
			t.Fatalf("cancel: %s, %v", got.Status, err)
		}
		if posted, avail := en.balance(u, usd); posted != 1000_00 || avail != 1000_00 {
			t.Errorf("after cancel: balance %d, available %d; want 100000", posted, avail)
		}
		open, err := en.risk.Queue(ctx, actorOf(sup), 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(open.Holds) != 0 {
			t.Errorf("the canceled withdrawal is still in the review queue: %+v", open.Holds)
		}
	})
}

// TestHeldWithdrawalReleaseRacingCancel: a supervisor releases a held
// withdrawal while its customer cancels it. Whichever wins, the money
// moves once: either it is canceled with every unit back and nothing paid
// out, or it goes to the bank and settles once; never both, never half.
func TestHeldWithdrawalReleaseRacingCancel(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		wd, _ := en.withdrawals()
		sup := en.user(auth.RoleSupervisor)
		for range 5 {
			u, w := en.heldWithdrawal(wd)
			hold := en.holdOf(wallet.Movement{ID: w.ID})
			var wg sync.WaitGroup
			wg.Go(func() { en.risk.Release(ctx, hold.ID, actorOf(sup), "") })
			wg.Go(func() { wd.Cancel(ctx, u.ID, w.ID) })
			wg.Wait()
			en.clock.Add(10 * 24 * time.Hour)
			if _, err := wd.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			got := en.withdrawal(wd, u, w.ID)
			posted, avail := en.balance(u, usd)
			switch got.Status {
			case wallet.WithdrawalCanceled:
				if posted != 1000_00 || avail != 1000_00 {
					t.Errorf("canceled, but balance %d, available %d; want all 100000 back", posted, avail)
				}
			case wallet.WithdrawalCompleted:
				if debited := w.Amount.Minor + w.Fee.Minor; posted != 1000_00-debited || avail != posted {
					t.Errorf("paid, but balance %d, available %d; want %d", posted, avail, 1000_00-debited)
				}
			default:
				t.Errorf("after the race and settlement the withdrawal is %s", got.Status)
			}
		}
	})
}
