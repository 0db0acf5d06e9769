package merchant_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

var payoutKey = []byte("0123456789abcdef0123456789abcdef")

// gate is a PayoutGate the test flips.
type gate struct {
	mu      sync.Mutex
	blocked map[string]bool
}

func (g *gate) PayoutBlocked(_ context.Context, merchantID string, _ bool) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.blocked[merchantID], nil
}

func (en *env) payouts(g merchant.PayoutGate) *merchant.Payouts {
	en.t.Helper()
	cal := calendar.Default()
	cfg := connector.SandboxConfig{Now: en.clock.Now, AddBusinessDays: cal.AddBusinessDays}
	p, err := merchant.NewPayouts(en.svc, merchant.PayoutOptions{
		Store: en.db.MerchantReports(),
		Live:  adapt.Payer(connector.NewBankSandbox(cfg)),
		Test:  adapt.Payer(connector.NewBankSandbox(cfg)),
		LiveBank: func(ctx context.Context, cur string) (int64, error) {
			return en.wallet.PlatformAccount(ctx, wallet.Bank, cur)
		},
		MasterKey: payoutKey, AddBusinessDays: cal.AddBusinessDays, Gate: g,
	})
	mustOK(en.t, "payouts", err)
	return p
}

const (
	ibanPaid     = "DE89370400440532013000" // paid after one business day
	ibanReturned = "DE62370400440532013001" // fails (account closed) after two
	// paid after one business day, returned two business days later
	ibanPaidReturned = "DE78370400440532013004"
)

// TestPayoutHeldSettledOnBusinessDay: a payout holds its money at once,
// stays processing until its business day, and the settlement posts it;
// the destination is stored sealed and shown masked.
func TestPayoutHeldSettledOnBusinessDay(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		pay := en.payouts(nil)
		_, live := en.merchant(merchant.Live)
		en.clock.Set(at(4, 10, 0)) // a Friday in Shanghai
		en.cardPaid(live, amt(100_00), "tea")
		avail, _ := en.merchantUSD(live)

		po, err := pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(40_00), IBAN: "de89 3704 0044 0532 0130 00", Holder: " Tea  House "})
		mustOK(t, "request", err)
		if po.Status != merchant.PayoutProcessing || po.HeldAt.IsZero() {
			t.Fatalf("status %s, held %v", po.Status, po.HeldAt)
		}
		if po.Display != "Tea House · DE89 •••• 3000" {
			t.Errorf("display %q", po.Display)
		}
		if string(po.Sealed) == "" || containsBytes(po.Sealed, "DE89370400440532013000") {
			t.Error("the IBAN is stored in clear")
		}
		if got, _ := en.merchantUSD(live); got != avail-40_00 {
			t.Errorf("available %d after the hold, want %d", got, avail-40_00)
		}
		bank := en.account("platform:bank:USD")
		if bank.CreditsPending != 40_00 {
			t.Errorf("bank pending %d", bank.CreditsPending)
		}
		// Saturday: the rail has not paid yet.
		en.clock.Set(at(5, 12, 0))
		_, err = pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, err := pay.Payout(ctx, live, po.ID)
		mustOK(t, "read", err)
		if got.Status != merchant.PayoutProcessing {
			t.Fatalf("on Saturday: %s", got.Status)
		}
		// Monday after the next business day: paid.
		en.clock.Set(at(8, 12, 0))
		n, err := pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ = pay.Payout(ctx, live, po.ID)
		if n != 1 || got.Status != merchant.PayoutPaid || got.SettledAt.IsZero() {
			t.Fatalf("settled %d, status %s", n, got.Status)
		}
		if b := en.balanceOf(live, "USD"); b != avail-40_00 {
			t.Errorf("balance %d, want %d", b, avail-40_00)
		}
		if bank := en.account("platform:bank:USD"); bank.CreditsPending != 0 || bank.CreditsPosted < 40_00 {
			t.Errorf("bank after posting: %+v", bank)
		}
		// Settling again changes nothing.
		if n, _ := pay.Settle(ctx); n != 0 {
			t.Errorf("a second settlement changed %d", n)
		}
		// Another merchant's member does not see it.
		_, other := en.merchant(merchant.Live)
		_, err = pay.Payout(ctx, other, po.ID)
		mustErr(t, "another merchant", err, merchant.ErrNotFound)
		list, err := pay.List(ctx, live, 10)
		mustOK(t, "list", err)
		if len(list) != 1 || list[0].ID != po.ID {
			t.Errorf("list %v", list)
		}
	})
}

func containsBytes(b []byte, s string) bool {
	return len(s) > 0 && string(b) != "" && bytesIndex(b, s) >= 0
}

func bytesIndex(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// TestPayoutFailedReturnsMoney: a payout the bank fails gives the money
// back to the available balance, and so does one the bank pays and then
// sends back.
func TestPayoutFailedReturnsMoney(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		pay := en.payouts(nil)
		_, live := en.merchant(merchant.Live)
		en.clock.Set(at(2, 10, 0)) // Wednesday
		en.cardPaid(live, amt(100_00), "tea")
		avail, _ := en.merchantUSD(live)
		po, err := pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(60_00), IBAN: ibanReturned, Holder: "Tea House"})
		mustOK(t, "request", err)
		if got, _ := en.merchantUSD(live); got != avail-60_00 {
			t.Fatalf("not held: %d", got)
		}
		en.clock.Set(at(8, 12, 0))
		_, err = pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ := pay.Payout(ctx, live, po.ID)
		if got.Status != merchant.PayoutFailed || got.FailureCode != "payout_account_closed" {
			t.Fatalf("status %s (%s)", got.Status, got.FailureCode)
		}
		if a, _ := en.merchantUSD(live); a != avail {
			t.Errorf("available %d after the failure, want %d", a, avail)
		}
		if bank := en.account("platform:bank:USD"); bank.CreditsPending != 0 || bank.CreditsPosted != 0 {
			t.Errorf("bank after the void: %+v", bank)
		}

		// Paid, then sent back by the bank two business days later: the
		// money comes back to the balance.
		po, err = pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(25_00), IBAN: ibanPaidReturned, Holder: "Tea House"})
		mustOK(t, "request", err)
		en.clock.Set(at(10, 12, 0)) // Thursday: paid
		_, err = pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ = pay.Payout(ctx, live, po.ID)
		if got.Status != merchant.PayoutPaid {
			t.Fatalf("status %s, want paid", got.Status)
		}
		if a, _ := en.merchantUSD(live); a != avail-25_00 {
			t.Errorf("available %d once paid, want %d", a, avail-25_00)
		}
		en.clock.Set(at(16, 12, 0)) // two business days after: returned
		n, err := pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ = pay.Payout(ctx, live, po.ID)
		if n != 1 || got.Status != merchant.PayoutReturned || got.FailureCode != "payout_account_closed" {
			t.Fatalf("settled %d, status %s (%s)", n, got.Status, got.FailureCode)
		}
		if a, _ := en.merchantUSD(live); a != avail {
			t.Errorf("available %d after the return, want %d", a, avail)
		}
		if n, _ := pay.Settle(ctx); n != 0 {
			t.Errorf("settling a returned payout again changed %d", n)
		}
	})
}

// TestPayoutRefusals: more than the available balance, only owners, a
// malformed IBAN, and the receivables gate.
func TestPayoutRefusals(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		g := &gate{blocked: map[string]bool{}}
		pay := en.payouts(g)
		m, live := en.merchant(merchant.Live)
		en.cardPaid(live, amt(10_00), "tea")
		avail, _ := en.merchantUSD(live)
		ok := merchant.PayoutRequest{Amount: amt(5_00), IBAN: ibanPaid, Holder: "Tea House"}

		r := ok
		r.Amount = amt(avail + 1)
		_, err := pay.Request(ctx, live, r)
		mustErr(t, "more than available", err, merchant.ErrInsufficientFunds)
		for _, role := range []merchant.Role{merchant.Developer, merchant.Viewer} {
			a := live
			a.Role = role
			_, err := pay.Request(ctx, a, ok)
			mustErr(t, string(role), err, merchant.ErrForbidden)
		}
		r = ok
		r.IBAN = "DE89370400440532013001"
		_, err = pay.Request(ctx, live, r)
		mustErr(t, "bad check digits", err, merchant.ErrInvalidPayoutAccount)
		r = ok
		r.Holder = "  "
		_, err = pay.Request(ctx, live, r)
		mustErr(t, "no holder", err, merchant.ErrInvalidAccountHolder)

		g.mu.Lock()
		g.blocked[m.ID] = true
		g.mu.Unlock()
		_, err = pay.Request(ctx, live, ok)
		mustErr(t, "blocked", err, merchant.ErrPayoutBlocked)
		if list, _ := pay.List(ctx, live, 10); len(list) != 0 {
			t.Errorf("refusals recorded %d payouts", len(list))
		}
		if a, _ := en.merchantUSD(live); a != avail {
			t.Errorf("refusals moved money: %d", a)
		}
		g.mu.Lock()
		g.blocked[m.ID] = false
		g.mu.Unlock()
		// The same form twice is one payout.
		r = ok
		r.ID = merchant.NewPayoutID()
		a1, err := pay.Request(ctx, live, r)
		mustOK(t, "first", err)
		a2, err := pay.Request(ctx, live, r)
		mustOK(t, "again", err)
		if a1.ID != a2.ID {
			t.Error("the same form made two payouts")
		}
		if a, _ := en.merchantUSD(live); a != avail-5_00 {
			t.Errorf("available %d, want %d", a, avail-5_00)
		}
	})
}

// TestPayoutConcurrentWholeBalance: several payouts of the whole balance
// at once: exactly one is held, the others are refused, and the balance
// never goes below zero.
func TestPayoutConcurrentWholeBalance(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		pay := en.payouts(nil)
		_, live := en.merchant(merchant.Live)
		en.cardPaid(live, amt(50_00), "tea")
		avail, _ := en.merchantUSD(live)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(avail), IBAN: ibanPaid, Holder: "Tea House"})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, merchant.ErrInsufficientFunds):
				t.Errorf("unexpected error %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d payouts of the whole balance succeeded", won)
		}
		if a, _ := en.merchantUSD(live); a != 0 {
			t.Errorf("available %d", a)
		}
	})
}

// TestPayoutTestMode: a test-mode payout takes the test balance to test
// mode's own bank account and never touches the live books.
func TestPayoutTestMode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		pay := en.payouts(nil)
		m, live := en.merchant(merchant.Live)
		test, err := en.svc.Access(ctx, mustOwner(t, en, m.ID), m.ID, merchant.Test)
		mustOK(t, "access", err)
		en.cardPaid(test, amt(30_00), "test tea")
		_, err = pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(1_00), IBAN: ibanPaid, Holder: "Tea House"})
		mustErr(t, "live has nothing", err, merchant.ErrInsufficientFunds)
		po, err := pay.Request(ctx, test, merchant.PayoutRequest{Amount: amt(10_00), IBAN: ibanPaid, Holder: "Tea House"})
		mustOK(t, "test payout", err)
		if po.Livemode {
			t.Error("a test payout is live")
		}
		en.clock.Add(7 * 24 * 3600e9)
		_, err = pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ := pay.Payout(ctx, test, po.ID)
		if got.Status != merchant.PayoutPaid {
			t.Fatalf("status %s", got.Status)
		}
		if tb := en.account("test:platform:bank:USD"); tb.CreditsPosted != 10_00 {
			t.Errorf("test bank %+v", tb)
		}
		if _, err := en.db.Ledger().AccountByRef(ctx, "platform:bank:USD"); err == nil {
			if lb := en.account("platform:bank:USD"); lb.CreditsPosted != 0 || lb.CreditsPending != 0 {
				t.Errorf("the live bank moved: %+v", lb)
			}
		}
		_, err = pay.Payout(ctx, live, po.ID)
		mustErr(t, "test payout in live mode", err, merchant.ErrNotFound)
	})
}

// TestPayoutLostAnswer: the bank's answer to a payout is lost; the
// request says so (the money stays held), and the settlement asks again
// under the same key, gets the same payout, and settles it once.
func TestPayoutLostAnswer(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		pay := en.payouts(nil)
		_, live := en.merchant(merchant.Live)
		en.clock.Set(at(2, 10, 0))
		en.cardPaid(live, amt(100_00), "tea")
		avail, _ := en.merchantUSD(live)
		po, err := pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(70_00), IBAN: "DE35370400440532013002", Holder: "Tea House"})
		mustErr(t, "lost answer", err, merchant.ErrUnavailable)
		if po.ID == "" || po.Status != merchant.PayoutPending || po.HeldAt.IsZero() {
			t.Fatalf("payout %+v", po)
		}
		if a, _ := en.merchantUSD(live); a != avail-70_00 {
			t.Errorf("available %d while the answer is lost, want %d", a, avail-70_00)
		}
		_, err = pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ := pay.Payout(ctx, live, po.ID)
		if got.Status != merchant.PayoutProcessing || got.RailID == "" {
			t.Fatalf("after asking again: %s", got.Status)
		}
		en.clock.Set(at(8, 12, 0))
		_, err = pay.Settle(ctx)
		mustOK(t, "settle", err)
		got, _ = pay.Payout(ctx, live, po.ID)
		if got.Status != merchant.PayoutPaid {
			t.Fatalf("status %s", got.Status)
		}
		if b := en.balanceOf(live, "USD"); b != avail-70_00 {
			t.Errorf("balance %d, want %d (paid once)", b, avail-70_00)
		}
	})
}

// TestPayoutLargeNeedsSecondFactor: a payout at or above the large-payment
// threshold needs the owner's second factor, approving exactly that
// payout; a smaller one does not.
func TestPayoutLargeNeedsSecondFactor(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		pay := en.payouts(nil)
		_, live := en.merchant(merchant.Live)
		en.cardPaid(live, amt(3000_00), "tea set")
		big := merchant.PayoutRequest{Amount: amt(1500_00), IBAN: ibanPaid, Holder: "Tea House"}

		_, err := pay.Request(ctx, live, big)
		mustErr(t, "no second factor", err, merchant.ErrTwoFactorOff)
		en.stepUp.mu.Lock()
		en.stepUp.enabled[live.UserID] = true
		en.stepUp.mu.Unlock()
		_, err = pay.Request(ctx, live, big)
		mustErr(t, "no code", err, merchant.ErrStepUpRequired)
		// A token approving another account does not approve this one.
		other := big
		other.IBAN = "GB82WEST12345698765432"
		act, err := merchant.PayoutAction(live.MerchantID, other)
		mustOK(t, "action", err)
		big.StepUpToken = en.stepUp.grant(live.UserID, act)
		_, err = pay.Request(ctx, live, big)
		mustErr(t, "another account's code", err, merchant.ErrStepUpRefused)
		if list, _ := pay.List(ctx, live, 10); len(list) != 0 {
			t.Fatalf("refused payouts recorded: %d", len(list))
		}
		act, err = merchant.PayoutAction(live.MerchantID, big)
		mustOK(t, "action", err)
		big.StepUpToken = en.stepUp.grant(live.UserID, act)
		po, err := pay.Request(ctx, live, big)
		mustOK(t, "approved", err)
		if po.Status != merchant.PayoutProcessing {
			t.Errorf("status %s", po.Status)
		}
		_, err = pay.Request(ctx, live, merchant.PayoutRequest{Amount: amt(10_00), IBAN: ibanPaid, Holder: "Tea House"})
		mustOK(t, "small payout", err)
	})
}
