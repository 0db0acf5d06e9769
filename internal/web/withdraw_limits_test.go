package web_test

import (
	"context"
	"testing"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// TestWithdrawalsCountAgainstLimitsAndFreezes: a withdrawal counts against
// the month's withdrawal limit (fee included), a canceled one gives its
// allowance back, and a "not my transaction" report stops withdrawals as
// it stops sends.
func TestWithdrawalsCountAgainstLimitsAndFreezes(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	usd := money.MustCurrency("USD")
	u := st.mustSignUp(t, "limit@example.com", "correct horse battery", "en")
	st.mustDeposit(t, u.ID, money.Amount{Minor: 2_500_00, Currency: usd})
	withdraw := func(key string, minor int64) (wallet.Withdrawal, error) {
		return st.withdrawals.Withdraw(ctx, wallet.WithdrawRequest{UserID: u.ID, Method: wallet.MethodEWallet,
			Account: "alice@wallet.test", Amount: money.Amount{Minor: minor, Currency: usd}, IdempotencyKey: key})
	}
	first, err := withdraw("f_wlimit000001", 900_00)
	if err != nil {
		t.Fatalf("first withdrawal: %v", err)
	}
	// An unverified account may withdraw $1,000.00 a month; $900.00 plus
	// its fee leaves less than $200.00.
	if _, err := withdraw("f_wlimit000002", 200_00); wallet.ErrorCode(err) != wallet.CodeWithdrawLimit {
		t.Fatalf("withdrawal over the limit: %v, want %s", err, wallet.CodeWithdrawLimit)
	}
	if _, err := st.withdrawals.Cancel(ctx, u.ID, first.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	second, err := withdraw("f_wlimit000003", 200_00)
	if err != nil {
		t.Fatalf("after the cancel gave the allowance back: %v", err)
	}

	if _, err := st.risk.Report(ctx, u.ID, second.ID, "I did not ask for this"); err != nil {
		t.Fatalf("report: %v", err)
	}
	before := available(t, st, u.ID, "USD")
	if _, err := withdraw("f_wlimit000004", 10_00); wallet.ErrorCode(err) != wallet.CodeOutgoingFrozen {
		t.Fatalf("withdrawal after a report: %v, want outgoing_frozen", err)
	}
	if got := available(t, st, u.ID, "USD"); got != before {
		t.Errorf("a refused withdrawal moved money: %d → %d", before, got)
	}
}
