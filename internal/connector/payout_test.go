package connector

import (
	"context"
	"errors"
	"testing"
)

// TestPayoutReturnedAndCanceled: a payout to the returning test accounts is
// paid first and comes back later; a pending payout can be canceled (and
// then never pays), a settled one cannot; canceling a key before any
// payout spends it, so a late Payout with it sends nothing.
func TestPayoutReturnedAndCanceled(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock() // Wednesday 10:00
	cfg := SandboxConfig{Now: clk.Now}
	bank, ew := NewBankSandbox(cfg), NewEWalletSandbox(cfg)
	amt := mustAmount(t, 5000, "EUR")

	for _, tt := range []struct {
		name string
		p    Payer
		dest Destination
		paid int // business days until paid
		back int // business days after that until returned
	}{
		{"bank", bank, BankAccount{IBAN: "DE78370400440532013004", Name: "Li Lei"}, 1, 2},
		{"ewallet", ew, WalletAccount("returns@wallet.test"), 1, 1},
	} {
		p, err := tt.p.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_ret_" + tt.name, Amount: amt, Destination: tt.dest})
		mustNoErr(t, err)
		paidAt := Weekdays(t0, tt.paid)
		backAt := Weekdays(paidAt, tt.back)
		clk.Set(paidAt)
		got, err := tt.p.PayoutStatus(ctx, p.ID)
		mustNoErr(t, err)
		if got.Status != PayoutPaid {
			t.Errorf("%s: at %v status %s, want paid", tt.name, paidAt, got.Status)
		}
		if _, err := tt.p.CancelPayout(ctx, "wd_ret_"+tt.name); CodeOf(err) != CodePayoutNotCancelable {
			t.Errorf("%s: cancel a paid payout = %v, want payout_not_cancelable", tt.name, err)
		}
		clk.Set(backAt)
		got, err = tt.p.PayoutStatus(ctx, p.ID)
		mustNoErr(t, err)
		if got.Status != PayoutReturned || got.FailureCode != CodeAccountClosed || !got.ReturnedAt.Equal(backAt) {
			t.Errorf("%s: at %v payout = %s/%s returned %v, want returned/account_closed at %v",
				tt.name, backAt, got.Status, got.FailureCode, got.ReturnedAt, backAt)
		}
		clk.Set(t0)
	}

	// frozen@wallet.test is accepted, then fails.
	p, err := ew.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_frozen", Amount: amt, Destination: WalletAccount("frozen@wallet.test")})
	mustNoErr(t, err)
	clk.Set(p.ExpectedAt)
	if got, _ := ew.PayoutStatus(ctx, p.ID); got.Status != PayoutFailed || got.FailureCode != CodeAccountClosed {
		t.Errorf("frozen payout = %s/%s, want failed/account_closed", got.Status, got.FailureCode)
	}
	clk.Set(t0)

	// A pending payout is canceled, and stays canceled past its date.
	req := PayoutRequest{IdempotencyKey: "wd_cancel", Amount: amt, Destination: BankAccount{IBAN: "DE89370400440532013000"}}
	p, err = bank.Payout(ctx, req)
	mustNoErr(t, err)
	c, err := bank.CancelPayout(ctx, "wd_cancel")
	mustNoErr(t, err)
	if c.ID != p.ID || c.Status != PayoutCanceled {
		t.Errorf("cancel = %+v", c)
	}
	if again, err := bank.CancelPayout(ctx, "wd_cancel"); err != nil || again.Status != PayoutCanceled {
		t.Errorf("cancel again = %+v, %v", again, err)
	}
	clk.Set(Weekdays(t0, 5))
	if got, _ := bank.PayoutStatus(ctx, p.ID); got.Status != PayoutCanceled {
		t.Errorf("a canceled payout became %s", got.Status)
	}
	if got, err := bank.Payout(ctx, req); err != nil || got.Status != PayoutCanceled {
		t.Errorf("the canceled key paid out again: %+v, %v", got, err)
	}

	// Canceling a key nothing was sent under spends it.
	c, err = ew.CancelPayout(ctx, "wd_never")
	mustNoErr(t, err)
	late, err := ew.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_never", Amount: amt, Destination: WalletAccount("alice@wallet.test")})
	if err != nil || late.Status != PayoutCanceled || late.ID != c.ID {
		t.Errorf("a payout after its key was canceled = %+v, %v; want the canceled payout", late, err)
	}
	var ce *Error
	if _, err := bank.CancelPayout(ctx, ""); !errors.As(err, &ce) || ce.Code != CodeInvalidRequest {
		t.Errorf("cancel without a key = %v", err)
	}
}
