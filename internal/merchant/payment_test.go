package merchant_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func session(t *testing.T, en *env, a merchant.Access, minor int64) merchant.Session {
	t.Helper()
	cs, err := en.svc.CreateSession(context.Background(), a, merchant.SessionRequest{Amount: amt(minor), ItemName: "Oolong 250g",
		Invoice: "INV-1", SuccessURL: "https://shop.example/thanks", CancelURL: "https://shop.example/cart"})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestPayWithBalance(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 500_00)
		cs := session(t, en, a, 100_00)

		c, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustOK(t, "pay", err)
		if c.Payment.Status != merchant.Succeeded || c.Session.Status != merchant.SessionComplete {
			t.Fatalf("payment %s, session %s; want succeeded, complete", c.Payment.Status, c.Session.Status)
		}
		// 2.9 % + 0.30 of 100.00 = 3.20, borne by the merchant.
		if c.Payment.AmountCaptured != 100_00 || c.Payment.Fee != 320 {
			t.Errorf("captured %d fee %d, want 10000 and 320", c.Payment.AmountCaptured, c.Payment.Fee)
		}
		if got := en.available(payer.ID); got != 400_00 {
			t.Errorf("payer available = %d, want 40000", got)
		}
		if avail, pending := en.merchantUSD(a); avail != 96_80 || pending != 0 {
			t.Errorf("merchant available %d pending %d, want 9680 and 0", avail, pending)
		}
		if got := en.account(wallet.PlatformRef(wallet.FeeRevenue, "USD")).Balance(); got != 320 {
			t.Errorf("fee revenue = %d, want 320", got)
		}
		want := []string{merchant.EventPaymentCreated, merchant.EventPaymentSucceeded}
		if diff := cmp.Diff(want, en.events.types(c.Payment.ID)); diff != "" {
			t.Errorf("payment events (-want +got):\n%s", diff)
		}
		if got := en.events.types(cs.ID); !slices.Contains(got, merchant.EventSessionCompleted) {
			t.Errorf("session events = %v, want %s", got, merchant.EventSessionCompleted)
		}
		// What a webhook or the API shows of the payment.
		b, err := json.Marshal(en.events.last(merchant.EventPaymentSucceeded).View())
		mustOK(t, "marshal", err)
		var view map[string]any
		mustOK(t, "unmarshal", json.Unmarshal(b, &view))
		for k, v := range map[string]any{"id": c.Payment.ID, "object": "payment_intent", "livemode": true, "amount": 10000.0,
			"amount_received": 10000.0, "fee": 320.0, "currency": "usd", "status": "succeeded", "checkout_session": cs.ID,
			"payment_method_type": "balance"} {
			if view[k] != v {
				t.Errorf("event object %s = %v, want %v (%s)", k, view[k], v, b)
			}
		}
		// Paying again is refused and moves nothing.
		_, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "pay twice", err, merchant.ErrSessionComplete)
		if got := en.available(payer.ID); got != 400_00 {
			t.Errorf("payer available after a second try = %d, want 40000", got)
		}
	})
}

func TestPayWithBalanceInsufficient(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 50_00)
		cs := session(t, en, a, 100_00)
		c, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "pay", err, merchant.ErrInsufficientFunds)
		if c.Payment.Status != merchant.RequiresPaymentMethod || c.Session.Status != merchant.SessionOpen {
			t.Errorf("payment %s session %s, want requires_payment_method, open", c.Payment.Status, c.Session.Status)
		}
		_, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "pay again", err, merchant.ErrInsufficientFunds)
		// Topped up, the same session can be paid (a new attempt, a new hold id).
		en.fund(payer.ID, 60_00)
		c, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustOK(t, "pay after top-up", err)
		if c.Payment.Status != merchant.Succeeded || c.Payment.Attempt != 3 {
			t.Errorf("payment %s attempt %d, want succeeded on attempt 3", c.Payment.Status, c.Payment.Attempt)
		}
		if got := en.available(payer.ID); got != 10_00 {
			t.Errorf("payer available = %d, want 1000", got)
		}
		// Every event recorded has its own id.
		seen := map[string]bool{}
		for _, ev := range en.events.all {
			if seen[ev.ID] {
				t.Errorf("event id %s recorded twice (%s)", ev.ID, ev.Type)
			}
			seen[ev.ID] = true
		}
	})
}

func TestLargeBalancePaymentNeedsStepUp(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 5000_00)
		cs := session(t, en, a, 1500_00)
		_, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "without two-factor", err, merchant.ErrTwoFactorOff)
		en.stepUp.enabled[payer.ID] = true
		_, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "without a code", err, merchant.ErrStepUpRequired)
		c, err := en.svc.Checkout(ctx, cs.ID)
		mustOK(t, "checkout", err)
		other := en.stepUp.grant(payer.ID, merchant.PaymentAction(merchant.Payment{ID: c.Payment.ID, Amount: amt(1)}))
		_, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, other)
		mustErr(t, "token for another amount", err, merchant.ErrStepUpRefused)
		if got := en.available(payer.ID); got != 5000_00 {
			t.Fatalf("available after refusals = %d, want 500000", got)
		}
		tok := en.stepUp.grant(payer.ID, merchant.PaymentAction(c.Payment))
		c, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, tok)
		mustOK(t, "with the code", err)
		if c.Payment.Status != merchant.Succeeded || en.available(payer.ID) != 3500_00 {
			t.Errorf("payment %s, available %d; want succeeded, 350000", c.Payment.Status, en.available(payer.ID))
		}
	})
}

// A test-mode card needing 3-D Secure: a wrong code fails the attempt, the
// right one pays; the live books never move.
func TestCardThreeDSInTestMode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		m, a := en.merchant(merchant.Test)
		cs := session(t, en, a, 100_00)
		if cs.Livemode {
			t.Fatal("a test-mode session says livemode")
		}
		card := "4000002760003184"
		c, err := en.svc.PaySessionCard(ctx, cs.ID, merchant.CardPayment{Card: testCard(card)})
		mustOK(t, "charge", err)
		if c.Payment.Status != merchant.RequiresAction || c.Payment.Challenge == "" {
			t.Fatalf("status %s challenge %q, want requires_action with a challenge", c.Payment.Status, c.Payment.Challenge)
		}
		c, err = en.svc.ConfirmSessionCard(ctx, cs.ID, "000000")
		mustErr(t, "wrong code", err, merchant.ErrAuthenticationFail)
		if c.Payment.Status != merchant.RequiresPaymentMethod || c.Payment.FailureCode != "authentication_failed" {
			t.Fatalf("after a wrong code: %s %q", c.Payment.Status, c.Payment.FailureCode)
		}
		c, err = en.svc.PaySessionCard(ctx, cs.ID, merchant.CardPayment{Card: testCard(card)})
		mustOK(t, "charge again", err)
		c, err = en.svc.ConfirmSessionCard(ctx, cs.ID, "123456")
		mustOK(t, "confirm", err)
		if c.Payment.Status != merchant.Succeeded || c.Session.Status != merchant.SessionComplete {
			t.Fatalf("payment %s session %s", c.Payment.Status, c.Session.Status)
		}
		if c.Payment.CardBrand != "visa" || c.Payment.CardLast4 != "3184" {
			t.Errorf("card shown as %q %q, want visa 3184", c.Payment.CardBrand, c.Payment.CardLast4)
		}
		if avail, _ := en.merchantUSD(a); avail != 96_80 {
			t.Errorf("test balance = %d, want 9680", avail)
		}
		// A test refund moves test money only.
		_, err = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: c.Payment.ID, Amount: amt(10_00)})
		mustOK(t, "test refund", err)
		if avail, _ := en.merchantUSD(a); avail != 86_80 {
			t.Errorf("test balance after refund = %d, want 8680", avail)
		}
		if got := en.account("test:platform:card_clearing:USD").Balance(); got != -90_00 {
			t.Errorf("test card clearing = %d, want -9000 (100.00 charged, 10.00 refunded)", got)
		}
		live := merchant.Access{MerchantID: m.ID, Mode: merchant.Live, Role: merchant.Owner}
		if avail, pending := en.merchantUSD(live); avail != 0 || pending != 0 {
			t.Errorf("live balance moved: %d / %d", avail, pending)
		}
		for _, ref := range []string{wallet.PlatformRef(wallet.CardClearing, "USD"), wallet.PlatformRef(wallet.FeeRevenue, "USD")} {
			if acc := en.account(ref); acc.DebitsPosted+acc.CreditsPosted+acc.DebitsPending+acc.CreditsPending != 0 {
				t.Errorf("live account %s moved in test mode: %+v", ref, acc)
			}
		}
		// The test payment is invisible in live mode.
		_, err = en.svc.Payment(ctx, live, c.Payment.ID)
		mustErr(t, "test payment read live", err, merchant.ErrNotFound)
	})
}

func TestTestModeRefusesBalance(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, a := en.merchant(merchant.Test)
		payer := en.user()
		en.fund(payer.ID, 500_00)
		cs := session(t, en, a, 100_00)
		_, err := en.svc.PaySessionBalance(context.Background(), cs.ID, payer.ID, "")
		mustErr(t, "balance in test mode", err, merchant.ErrTestModeBalance)
		if got := en.available(payer.ID); got != 500_00 {
			t.Errorf("wallet moved: %d, want 50000", got)
		}
	})
}

func TestCardDeclined(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, a := en.merchant(merchant.Live)
		cs := session(t, en, a, 100_00)
		c, err := en.svc.PaySessionCard(context.Background(), cs.ID, merchant.CardPayment{Card: testCard("4000000000000002")})
		mustErr(t, "declined card", err, merchant.ErrCardDeclined)
		if c.Payment.Status != merchant.RequiresPaymentMethod || c.Payment.FailureCode != "card_declined" {
			t.Errorf("payment %s %q", c.Payment.Status, c.Payment.FailureCode)
		}
		if avail, pending := en.merchantUSD(a); avail != 0 || pending != 0 {
			t.Errorf("merchant balance moved on a decline: %d / %d", avail, pending)
		}
	})
}

// manualPayment is an authorised manual-capture payment of minor USD from
// a payer funded with 500.00.
func manualPayment(t *testing.T, en *env, a merchant.Access, minor int64) (merchant.Payment, int64) {
	t.Helper()
	ctx := context.Background()
	payer := en.user()
	en.fund(payer.ID, 500_00)
	p, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(minor), CaptureMethod: merchant.CaptureManual})
	mustOK(t, "create", err)
	p, err = en.svc.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: payer.ID})
	mustOK(t, "authorise", err)
	if p.Status != merchant.RequiresCapture {
		t.Fatalf("status %s, want requires_capture", p.Status)
	}
	return p, payer.ID
}

func TestManualCapturePartial(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := manualPayment(t, en, a, 100_00)
		if got := en.available(payer); got != 400_00 {
			t.Errorf("available while authorised = %d, want 40000", got)
		}
		if avail, pending := en.merchantUSD(a); avail != 0 || pending != 100_00 {
			t.Errorf("merchant %d / %d, want 0 available, 10000 pending", avail, pending)
		}
		_, err := en.svc.Capture(ctx, a, p.ID, amt(100_01))
		mustErr(t, "capture more than authorised", err, merchant.ErrCaptureExceeds)
		viewer := a
		viewer.Role = merchant.Viewer
		_, err = en.svc.Capture(ctx, viewer, p.ID, amt(60_00))
		mustErr(t, "viewer captures", err, merchant.ErrForbidden)

		p, err = en.svc.Capture(ctx, a, p.ID, amt(60_00))
		mustOK(t, "capture", err)
		// 2.9 % of 60.00 + 0.30 = 2.04.
		if p.Status != merchant.Succeeded || p.AmountCaptured != 60_00 || p.Fee != 204 {
			t.Errorf("payment %s captured %d fee %d, want succeeded 6000 204", p.Status, p.AmountCaptured, p.Fee)
		}
		if got := en.available(payer); got != 440_00 {
			t.Errorf("payer available = %d, want 44000 (the 40.00 not captured released)", got)
		}
		if avail, pending := en.merchantUSD(a); avail != 57_96 || pending != 0 {
			t.Errorf("merchant %d / %d, want 5796 / 0", avail, pending)
		}
		if got := en.account(merchant.RefundableRef(p.ID, "USD")).Balance(); got != 60_00 {
			t.Errorf("refundable = %d, want 6000", got)
		}
		_, err = en.svc.Capture(ctx, a, p.ID, amt(10_00))
		mustErr(t, "capture twice", err, merchant.ErrInvalidState)
	})
}

func TestCancelAuthorised(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := manualPayment(t, en, a, 100_00)
		p, err := en.svc.Cancel(ctx, a, p.ID)
		mustOK(t, "cancel", err)
		if p.Status != merchant.Canceled {
			t.Errorf("status %s, want canceled", p.Status)
		}
		if got := en.available(payer); got != 500_00 {
			t.Errorf("payer available = %d, want 50000", got)
		}
		if avail, pending := en.merchantUSD(a); avail != 0 || pending != 0 {
			t.Errorf("merchant %d / %d, want nothing", avail, pending)
		}
		_, err = en.svc.Capture(ctx, a, p.ID, amt(0))
		mustErr(t, "capture after cancel", err, merchant.ErrInvalidState)
		if got := en.events.types(p.ID); !slices.Contains(got, merchant.EventPaymentCanceled) {
			t.Errorf("events %v lack %s", got, merchant.EventPaymentCanceled)
		}
	})
}

// A capture and a cancel racing on one authorisation: exactly one wins,
// and the books agree with it.
func TestCaptureCancelRace(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := manualPayment(t, en, a, 100_00)
		var wg sync.WaitGroup
		var capErr, cancelErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, capErr = en.svc.Capture(ctx, a, p.ID, amt(0)) }()
		go func() { defer wg.Done(); _, cancelErr = en.svc.Cancel(ctx, a, p.ID) }()
		wg.Wait()
		if (capErr == nil) == (cancelErr == nil) {
			t.Fatalf("capture err %v, cancel err %v: want exactly one to win", capErr, cancelErr)
		}
		got, err := en.svc.Payment(ctx, a, p.ID)
		mustOK(t, "read", err)
		wantAvail := int64(500_00)
		if capErr == nil {
			wantAvail = 400_00
		}
		if en.available(payer) != wantAvail {
			t.Errorf("status %s, payer available %d, want %d", got.Status, en.available(payer), wantAvail)
		}
	})
}

func TestExpiredSession(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 500_00)
		cs := session(t, en, a, 100_00)
		en.clock.Add(24*time.Hour + time.Second)
		c, err := en.svc.Checkout(ctx, cs.ID)
		mustOK(t, "checkout", err)
		if c.Session.Status != merchant.SessionExpired || c.Payment.Status != merchant.Canceled {
			t.Errorf("session %s payment %s, want expired, canceled", c.Session.Status, c.Payment.Status)
		}
		if got := en.events.types(cs.ID); !slices.Equal(got, []string{merchant.EventSessionExpired}) {
			t.Errorf("session events = %v, want one %s", got, merchant.EventSessionExpired)
		}
		_, err = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "pay expired", err, merchant.ErrSessionExpired)
		_, err = en.svc.PaySessionCard(ctx, cs.ID, merchant.CardPayment{Card: testCard("4242424242424242")})
		mustErr(t, "card on expired", err, merchant.ErrSessionExpired)
		if got := en.available(payer.ID); got != 500_00 {
			t.Errorf("wallet moved: %d", got)
		}
	})
}

// paid is a captured live balance payment of minor USD.
func paid(t *testing.T, en *env, a merchant.Access, minor int64) (merchant.Payment, int64) {
	t.Helper()
	payer := en.user()
	en.fund(payer.ID, minor)
	p, err := en.svc.CreatePayment(context.Background(), a, merchant.PaymentRequest{Amount: amt(minor)})
	mustOK(t, "create", err)
	p, err = en.svc.PayBalance(context.Background(), merchant.BalancePayment{PaymentID: p.ID, UserID: payer.ID})
	mustOK(t, "pay", err)
	return p, payer.ID
}

func TestRefunds(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := paid(t, en, a, 100_00)
		// The merchant holds 96.80: a full refund of 100.00 is more.
		_, err := en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(100_00)})
		mustErr(t, "refund beyond the merchant balance", err, merchant.ErrMerchantInsufficent)
		rf, err := en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(30_00), Reason: "broken lid"})
		mustOK(t, "partial refund", err)
		if rf.Status != merchant.RefundSucceeded {
			t.Errorf("refund %s", rf.Status)
		}
		if got := en.available(payer); got != 30_00 {
			t.Errorf("payer got back %d, want 3000", got)
		}
		_, err = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(100_01)})
		mustErr(t, "refund more than captured", err, merchant.ErrRefundExceeds)
		viewer := a
		viewer.Role = merchant.Viewer
		_, err = en.svc.Refund(ctx, viewer, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(1_00)})
		mustErr(t, "viewer refunds", err, merchant.ErrForbidden)
		rs, err := en.svc.Refunds(ctx, a, p.ID)
		mustOK(t, "list", err)
		var statuses []merchant.RefundStatus
		for _, r := range rs {
			statuses = append(statuses, r.Status)
		}
		if diff := cmp.Diff([]merchant.RefundStatus{merchant.RefundFailed, merchant.RefundSucceeded}, statuses); diff != "" {
			t.Errorf("refunds (-want +got):\n%s", diff)
		}
		got, _ := en.svc.Payment(ctx, a, p.ID)
		if got.AmountRefunded != 30_00 {
			t.Errorf("refunded = %d, want 3000", got.AmountRefunded)
		}
	})
}

// 100 concurrent partial refunds of 2.00 against a 100.00 capture (200.00
// asked in all): exactly 100.00 is accepted, whichever commit first.
func TestConcurrentRefundsNeverExceedCaptured(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00) // so the merchant balance is not what stops them
		p, payer := paid(t, en, a, 100_00)
		const n = 100
		var wg sync.WaitGroup
		var mu sync.Mutex
		var accepted, exceeded int64
		var other []error
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rf, err := en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(2_00)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					accepted += rf.Amount.Minor
				case errors.Is(err, merchant.ErrRefundExceeds):
					exceeded++
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected refusals: %v", other)
		}
		if accepted != 100_00 || exceeded != 50 {
			t.Errorf("accepted %d in all (%d refused), want exactly 10000 (50 refused)", accepted, exceeded)
		}
		if got := en.available(payer); got != 100_00 {
			t.Errorf("payer got back %d, want 10000", got)
		}
		got, _ := en.svc.Payment(ctx, a, p.ID)
		if got.AmountRefunded != 100_00 {
			t.Errorf("payment says refunded %d, want 10000", got.AmountRefunded)
		}
		if bal := en.account(merchant.RefundableRef(p.ID, "USD")).Balance(); bal != 0 {
			t.Errorf("refundable left = %d, want 0", bal)
		}
	})
}

// Two shoppers paying one session at once: one pays, the other is told
// the payment changed, and only one wallet is debited.
func TestConcurrentPayersOfOneSession(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		cs := session(t, en, a, 100_00)
		payers := []int64{en.user().ID, en.user().ID}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, id := range payers {
			en.fund(id, 100_00)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = en.svc.PaySessionBalance(ctx, cs.ID, id, "")
			}()
		}
		wg.Wait()
		var ok int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, merchant.ErrInvalidState), errors.Is(err, merchant.ErrSessionComplete):
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		left := en.available(payers[0]) + en.available(payers[1])
		if ok != 1 || left != 100_00 {
			t.Errorf("%d payments succeeded, %d left in the wallets; want 1 and 10000", ok, left)
		}
	})
}

// A card network that is down charges nothing: the shopper is told to
// try again later and can pay with another card at once.
func TestCardNetworkDown(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		cs := session(t, en, a, 20_00)
		c, err := en.svc.PaySessionCard(ctx, cs.ID, merchant.CardPayment{Card: testCard("4000000000000119")})
		mustErr(t, "network down", err, merchant.ErrCardUnavailable)
		if c.Payment.Status != merchant.RequiresPaymentMethod {
			t.Fatalf("status %s, want requires_payment_method", c.Payment.Status)
		}
		c, err = en.svc.PaySessionCard(ctx, cs.ID, merchant.CardPayment{Card: testCard("4242424242424242")})
		mustOK(t, "another card", err)
		if c.Payment.Status != merchant.Succeeded || c.Payment.Attempt != 2 {
			t.Errorf("status %s attempt %d, want succeeded on attempt 2", c.Payment.Status, c.Payment.Attempt)
		}
		// A response lost after the charge is found again by its key: one
		// charge, one payment.
		cs2 := session(t, en, a, 20_00)
		c, err = en.svc.PaySessionCard(ctx, cs2.ID, merchant.CardPayment{Card: testCard("4000000000000952")})
		mustOK(t, "response lost", err)
		if c.Payment.Status != merchant.Succeeded {
			t.Errorf("status %s, want succeeded", c.Payment.Status)
		}
		if avail, _ := en.merchantUSD(a); avail != 2*(20_00-88) {
			t.Errorf("merchant balance %d, want two payments less fees (%d)", avail, 2*(20_00-88))
		}
	})
}
