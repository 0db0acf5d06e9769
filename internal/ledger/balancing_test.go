package ledger_test

import (
	"context"
	"testing"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// TestBalancingDebit: a balancing debit moves at most what the account has
// available at commit, never overdraws it, answers a retry with the amount
// it moved, and is refused only when nothing is available.
func TestBalancingDebit(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		bank := e.mustAccount(t, "bank:USD", "USD", 0)
		alice := e.mustAccount(t, "wallet:alice:USD", "USD", wallet)
		fees := e.mustAccount(t, "fees:USD", "USD", 0)
		e.mustSubmit(t, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 150, Currency: "USD"})
		// A hold counts against what is available.
		e.mustSubmit(t, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: bank, Amount: 30, Currency: "USD", Flags: ledger.Pending})

		fee := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: fees, Amount: 200, Currency: "USD", Flags: ledger.BalancingDebit}
		res, err := e.l.Submit(ctx, []ledger.Transfer{fee})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Code != ledger.OK || res[0].Amount != 120 {
			t.Fatalf("balancing debit of 200 from 120 available: %v moved %d, want ok moving 120", res[0].Code, res[0].Amount)
		}
		if a := e.balance(t, alice); a.Available() != 0 || a.Balance() != 30 {
			t.Errorf("after the balancing debit: available %d balance %d, want 0 and 30", a.Available(), a.Balance())
		}
		res, err = e.l.Submit(ctx, []ledger.Transfer{fee})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Code != ledger.Exists || res[0].Amount != 120 {
			t.Errorf("retry: %v moved %d, want exists with 120", res[0].Code, res[0].Amount)
		}
		more := fee
		more.Amount = 100
		if got := e.mustSubmit(t, more); got[0] != ledger.ExistsWithDifferentFields {
			t.Errorf("same id with a maximum below what moved: %v, want exists_with_different_fields", got[0])
		}
		again := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: fees, Amount: 5, Currency: "USD", Flags: ledger.BalancingDebit}
		if got := e.mustSubmit(t, again); got[0] != ledger.InsufficientFunds {
			t.Errorf("balancing debit from nothing available: %v, want insufficient_funds", got[0])
		}
		small := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 7, Currency: "USD"}
		e.mustSubmit(t, small)
		under := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: fees, Amount: 5, Currency: "USD", Flags: ledger.BalancingDebit}
		if res, err := e.l.Submit(ctx, []ledger.Transfer{under}); err != nil || res[0].Code != ledger.OK || res[0].Amount != 5 {
			t.Errorf("balancing debit under the available amount: %+v %v, want ok moving 5", res, err)
		}
		for name, bad := range map[string]ledger.Transfer{
			"from an unconstrained account": {ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: fees, Amount: 5, Currency: "USD", Flags: ledger.BalancingDebit},
			"pending":                       {ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: fees, Amount: 1, Currency: "USD", Flags: ledger.BalancingDebit | ledger.Pending},
		} {
			if got := e.mustSubmit(t, bad); got[0] != ledger.InvalidFlags {
				t.Errorf("balancing debit %s: %v, want invalid_flags", name, got[0])
			}
		}
	})
}
