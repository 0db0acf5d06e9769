package wallet_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func TestOpenIsIdempotent(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")

		var wg sync.WaitGroup
		got := make([]wallet.Wallet, 20)
		errs := make([]error, 20)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = en.svc.Open(ctx, alice)
			}()
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil {
				t.Fatalf("open %d: %v", i, errs[i])
			}
			if got[i].ID != got[0].ID {
				t.Fatalf("open %d gave wallet %s, open 0 gave %s", i, got[i].ID, got[0].ID)
			}
		}
		w := en.mustOpen(alice)
		if w.ID != got[0].ID || !w.ID.Valid() {
			t.Fatalf("open again: %s, want %s (and a valid id)", w.ID, got[0].ID)
		}
		if len(w.Accounts) != len(wallet.DefaultCurrencies) {
			t.Fatalf("accounts %v, want one per default currency %v", w.Accounts, wallet.DefaultCurrencies)
		}
		for _, c := range wallet.DefaultCurrencies {
			a, err := en.db.Ledger().AccountByRef(ctx, "wallet:"+string(w.ID)+":"+c)
			if err != nil {
				t.Fatalf("account %s: %v", c, err)
			}
			if a.ID != w.Accounts[c] || a.Flags != ledger.DebitsMustNotExceedCredits || a.Currency != c {
				t.Errorf("account %s: %+v, want id %d flagged never to be overdrawn", c, a, w.Accounts[c])
			}
		}
		var n int
		if err := en.db.Read().QueryRow(ctx, "SELECT count(*) FROM wallets WHERE user_id = $1", alice).Scan(&n); err != nil || n != 1 {
			t.Errorf("wallets of alice: %d, %v; want 1", n, err)
		}
		bs, err := en.svc.Balances(ctx, alice)
		if err != nil || len(bs) != 6 || bs[0].Currency.Code != "USD" || bs[0].Available.Minor != 0 {
			t.Errorf("balances: %+v, %v", bs, err)
		}
		if _, err := en.svc.Wallet(ctx, en.mustUser("nobody@example.com", "")); !errors.Is(err, wallet.ErrWalletNotFound) {
			t.Errorf("wallet of a user without one: %v, want wallet_not_found", err)
		}

		// A currency enabled later gets its account on the next open.
		more, err := wallet.New(wallet.Options{
			Config: wallet.Config{Currencies: []string{"USD", "EUR", "CNY", "GBP", "JPY", "RUB", "HKD"}},
			Store:  en.db.Wallet(), Ledger: en.l, Fees: en.fees, Rates: en.rates,
			Directory: en.db.WalletDirectory(), StepUp: en.stepUp, Now: en.clock.Now, Logger: quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		w2, err := more.Open(ctx, alice)
		if err != nil || w2.ID != w.ID || w2.Accounts["HKD"] == 0 || w2.Accounts["USD"] != w.Accounts["USD"] {
			t.Errorf("open with HKD enabled: %+v, %v", w2, err)
		}

		// Platform accounts exist per currency under documented refs.
		if err := en.svc.PreparePlatformAccounts(ctx); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"platform:card_clearing:USD", "platform:ewallet_clearing:JPY", "platform:bank:EUR",
			"platform:bank_suspense:CNY", "platform:fee_revenue:RUB"} {
			if _, err := en.db.Ledger().AccountByRef(ctx, ref); err != nil {
				t.Errorf("platform account %s: %v", ref, err)
			}
		}
	})
}

func TestDepositByCard(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeDepositCard, 290, 30) // 2.9% + 0.30
		alice := en.mustUser("alice@example.com", "")

		q, err := en.svc.QuoteDeposit(ctx, alice, wallet.MethodCard, amt(100_00, usd))
		if err != nil || q.Fee != amt(3_20, usd) || q.Credited != amt(96_80, usd) {
			t.Fatalf("quote: %+v, %v; want fee 3.20, credited 96.80", q, err)
		}
		m, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(100_00, usd), Source: cardOK, Note: "top up", IdempotencyKey: "k1"})
		if err != nil {
			t.Fatalf("deposit: %v", err)
		}
		if m.Status != wallet.StatusCompleted || m.Type != wallet.TypeDeposit || m.Fee != amt(3_20, usd) ||
			m.MethodDisplay != "Visa •••• 4242" || m.ChargeID == "" || m.PostedAt.IsZero() || len(m.TransferIDs()) != 2 {
			t.Fatalf("deposit movement: %+v", m)
		}
		if got := en.available(alice, usd); got != 96_80 {
			t.Errorf("available %d, want 9680", got)
		}
		if got := en.platformBalance(wallet.FeeRevenue, usd); got != 3_20 {
			t.Errorf("fee revenue %d, want 320", got)
		}
		if got := en.platformBalance(wallet.CardClearing, usd); got != -100_00 {
			t.Errorf("card clearing %d, want -10000 (owed by the network)", got)
		}
		// The transfers carry the movement's derived ids and codes.
		for _, id := range m.TransferIDs() {
			tr, err := en.l.Transfer(ctx, id)
			if err != nil || tr.Metadata != m.ID {
				t.Errorf("transfer %s: %+v, %v", id, tr, err)
			}
		}

		// The same form submitted again charges nothing more.
		again, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(100_00, usd), Source: cardOK, Note: "top up", IdempotencyKey: "k1"})
		if err != nil || again.ID != m.ID || again.Status != wallet.StatusCompleted {
			t.Errorf("deposit again: %+v, %v; want the first movement", again, err)
		}
		if got := en.card.takenTotal(); got != 100_00 {
			t.Errorf("card charged %d in all, want 10000", got)
		}
		// The same key for another amount is refused.
		_, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(50_00, usd), Source: cardOK, IdempotencyKey: "k1"})
		wantCode(t, "same key, other amount", err, wallet.CodeIdempotencyKeyReuse)

		// An external e-wallet deposit comes from the e-wallet clearing account.
		m, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodEWallet,
			Amount: amt(10_00, usd), Source: cardOK, IdempotencyKey: "ew"})
		if err != nil || m.Status != wallet.StatusCompleted || m.Method != wallet.MethodEWallet || m.MethodDisplay != "TestPay •••• 4242" {
			t.Errorf("e-wallet deposit: %+v, %v", m, err)
		}
		if got := en.platformBalance(wallet.EWalletClearing, usd); got != -10_00 {
			t.Errorf("e-wallet clearing %d, want -1000", got)
		}

		// A zero fee adds no fee transfer; JPY has no minor unit.
		en.fees.set(wallet.FeeDepositCard, 0, 0)
		m, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(5000, jpy), Source: cardOK, IdempotencyKey: "k2"})
		if err != nil || len(m.TransferIDs()) != 1 || !m.Fee.IsZero() || en.available(alice, jpy) != 5000 {
			t.Errorf("JPY deposit without fee: %+v, %v", m, err)
		}
	})
}

func TestDepositDeclines(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		tests := []struct {
			card testCard
			want wallet.Code
		}{
			{cardDeclined, wallet.CodeCardDeclined},
			{cardExpired, wallet.CodeExpiredCard},
			{cardBadCVC, wallet.CodeIncorrectCVC},
		}
		for i, tt := range tests {
			m, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
				Amount: amt(20_00, eur), Source: tt.card, IdempotencyKey: string(rune('a' + i))})
			wantCode(t, tt.card.Number, err, tt.want)
			if wallet.IsRetryable(err) {
				t.Errorf("%s: a decline is not retryable as it is", tt.card.Number)
			}
			if m.Status != wallet.StatusFailed || m.FailureCode != tt.want || m.ChargeID == "" {
				t.Errorf("%s: movement %+v, want failed with %s", tt.card.Number, m, tt.want)
			}
			// History shows the failure, and a retry of the form gets the
			// same answer without charging again.
			again, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
				Amount: amt(20_00, eur), Source: tt.card, IdempotencyKey: string(rune('a' + i))})
			wantCode(t, tt.card.Number+" again", err, tt.want)
			if again.ID != m.ID {
				t.Errorf("%s again: movement %s, want %s", tt.card.Number, again.ID, m.ID)
			}
		}
		if got := en.available(alice, eur); got != 0 {
			t.Errorf("available after declines: %d, want 0", got)
		}

		// Refusals before any movement.
		_, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodBank, Amount: amt(1, usd)})
		wantCode(t, "bank deposit (not built)", err, wallet.CodeMethodNotAvailable)
		_, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard, Amount: amt(1, currency("CHF")), Source: cardOK})
		wantCode(t, "CHF", err, wallet.CodeCurrencyNotEnabled)
		_, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard, Amount: amt(0, usd), Source: cardOK})
		wantCode(t, "zero", err, wallet.CodeInvalidAmount)
		en.fees.set(wallet.FeeDepositCard, 0, 100)
		_, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard, Amount: amt(100, usd), Source: cardOK})
		wantCode(t, "fee eats it all", err, wallet.CodeFeeExceedsAmount)
	})
}

func TestDepositRequiresAction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustOpen(bob)

		m, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(300_00, cny), Source: card3DS, IdempotencyKey: "3ds"})
		if err != nil || m.Status != wallet.StatusRequiresAction {
			t.Fatalf("deposit: %+v, %v; want requires_action", m, err)
		}
		if got := en.available(alice, cny); got != 0 {
			t.Fatalf("credited %d before confirmation", got)
		}
		// Only the owner can confirm.
		_, err = en.svc.ConfirmDeposit(ctx, bob, m.ID, "123456")
		wantCode(t, "another user's", err, wallet.CodeMovementNotFound)
		// A wrong code can be tried again.
		got, err := en.svc.ConfirmDeposit(ctx, alice, m.ID, "999999")
		wantCode(t, "wrong code", err, wallet.CodeAuthenticationFailed)
		if !wallet.IsRetryable(err) || got.Status != wallet.StatusRequiresAction {
			t.Errorf("wrong code: %+v, retryable %v", got, wallet.IsRetryable(err))
		}
		// Two confirmations at once credit once.
		var wg sync.WaitGroup
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := en.svc.ConfirmDeposit(ctx, alice, m.ID, "123456")
				if err != nil || m.Status != wallet.StatusCompleted {
					t.Errorf("confirm: %+v, %v", m, err)
				}
			}()
		}
		wg.Wait()
		if got := en.available(alice, cny); got != 300_00 {
			t.Errorf("available %d, want 30000", got)
		}

		// A failed confirmation fails the deposit.
		m, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(1_00, cny), Source: card3DS, IdempotencyKey: "3ds-2"})
		if err != nil {
			t.Fatal(err)
		}
		got, err = en.svc.ConfirmDeposit(ctx, alice, m.ID, "000000")
		wantCode(t, "failed confirmation", err, wallet.CodeAuthenticationFailed)
		if got.Status != wallet.StatusFailed {
			t.Errorf("after a failed confirmation: %+v", got)
		}
		_, err = en.svc.ConfirmDeposit(ctx, alice, m.ID, "123456")
		wantCode(t, "confirm a failed deposit", err, wallet.CodeAuthenticationFailed)

		// A confirmation in the last minute before the deadline is too late.
		m, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(3_00, cny), Source: card3DS, IdempotencyKey: "3ds-late"})
		if err != nil {
			t.Fatal(err)
		}
		en.clock.Add(29*time.Minute + 30*time.Second)
		got, err = en.svc.ConfirmDeposit(ctx, alice, m.ID, "123456")
		wantCode(t, "late confirmation", err, wallet.CodeAuthenticationExpired)
		if got.Status != wallet.StatusFailed || en.card.takenTotal() != 300_00 {
			t.Errorf("late confirmation: %+v, card charged %d", got, en.card.takenTotal())
		}

		// One never confirmed expires.
		m, err = en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(2_00, cny), Source: card3DS, IdempotencyKey: "3ds-3"})
		if err != nil {
			t.Fatal(err)
		}
		en.clock.Add(31 * time.Minute)
		en.runJobs(func() bool {
			cur, err := en.svc.Movement(ctx, alice, m.ID)
			return err == nil && cur.Status == wallet.StatusFailed
		})
		cur, _ := en.svc.Movement(ctx, alice, m.ID)
		if cur.FailureCode != wallet.CodeAuthenticationExpired {
			t.Errorf("expired deposit: %+v", cur)
		}
		if got := en.available(alice, cny); got != 300_00 {
			t.Errorf("available %d, want 30000", got)
		}
	})
}

// A charge whose answer was lost leaves the deposit pending; the resume job
// asks the rail again with the same key, and the wallet is credited once.
func TestDepositLostChargeAnswer(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		m, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(40_00, usd), Source: cardLost, IdempotencyKey: "lost"})
		wantCode(t, "lost answer", err, wallet.CodeProcessingError)
		if !wallet.IsRetryable(err) || m.Status != wallet.StatusPending {
			t.Fatalf("lost answer: %+v, retryable %v", m, wallet.IsRetryable(err))
		}
		if got := en.available(alice, usd); got != 0 {
			t.Fatalf("credited %d before the answer", got)
		}
		en.clock.Add(2 * time.Minute)
		en.runJobs(func() bool {
			cur, err := en.svc.Movement(ctx, alice, m.ID)
			return err == nil && cur.Status == wallet.StatusCompleted
		})
		if got := en.available(alice, usd); got != 40_00 {
			t.Errorf("available %d, want 4000", got)
		}
		if got := en.card.takenTotal(); got != 40_00 {
			t.Errorf("card charged %d, want 4000", got)
		}
		// The user's retry of the form now gets the completed deposit.
		again, err := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard,
			Amount: amt(40_00, usd), Source: cardLost, IdempotencyKey: "lost"})
		if err != nil || again.ID != m.ID || again.Status != wallet.StatusCompleted {
			t.Errorf("retry: %+v, %v", again, err)
		}
	})
}
