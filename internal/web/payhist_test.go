package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// raiseLevel sets a user's verification level as a staff approval would.
func raiseLevel(t *testing.T, st *stack, userID int64, lv kyc.Level) {
	t.Helper()
	err := st.db.KYC().InTx(context.Background(), func(tx kyc.Tx) error {
		_, err := tx.RaiseLevel(context.Background(), userID, lv, "", 1, stackTime)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPayhistCheckoutShowsInHistory: a shopper who pays a shop on the
// hosted checkout from their balance sees the payment in /wallet/history
// (in their language), its CSV and the movement page; a refund shows as
// money in.
func TestPayhistCheckoutShowsInHistory(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.enableTestDisputes(t)
	for _, c := range []struct{ email, lang, typ, refund, status string }{
		{"mei@example.com", "en", "Paid to a shop", "Refund from a shop", "Completed"},
		{"li@example.com", "zh-CN", "商户付款", "商户退款", "已完成"},
	} {
		shopper := st.mustSignUp(t, c.email, "correct horse battery", c.lang)
		st.mustDeposit(t, shopper.ID, usdAmount(100_00))
		session := st.mustLogin(t, shopper.Email, "correct horse battery")
		cs := st.mustSession(t, acc, 30_00)
		resp := postEN(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{}, session)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("pay = %d:\n%s", resp.StatusCode, bodyOf(t, resp))
		}
		page := bodyOf(t, get(t, st.handler, "/wallet/history", session))
		for _, want := range []string{c.typ, "Tea House", "30.00", c.status} {
			if !strings.Contains(page, want) {
				t.Errorf("%s history: no %q:\n%s", c.lang, want, page)
			}
		}
		filtered := bodyOf(t, get(t, st.handler, "/wallet/history?type=merchant_payment&q=tea", session))
		if !strings.Contains(filtered, "Tea House") {
			t.Errorf("%s history filtered by type and search lost the payment:\n%s", c.lang, filtered)
		}
		p, err := st.wallet.History(ctx, wallet.History{UserID: shopper.ID, Types: []wallet.Type{wallet.TypeMerchantPayment}})
		if err != nil || len(p.Movements) != 1 {
			t.Fatalf("history: %v %+v", err, p.Movements)
		}
		mv := p.Movements[0]
		one := bodyOf(t, get(t, st.handler, "/wallet/movements/"+mv.ID, session))
		if !strings.Contains(one, `id="merchant-reference"`) || !strings.Contains(one, mv.ChargeID) || !strings.Contains(one, "Tea House") {
			t.Errorf("%s movement page lacks the shop or the payment:\n%s", c.lang, one)
		}
		// From the movement the payer reaches the payment, where they can dispute it.
		if !strings.Contains(one, `href="/payments/`+mv.ChargeID+`"`) {
			t.Errorf("%s movement page does not link to the payment's page", c.lang)
		}
		if code := get(t, st.handler, "/payments/"+mv.ChargeID, session).StatusCode; code != http.StatusOK {
			t.Errorf("%s the payment's page answers %d", c.lang, code)
		}
		csvBody := bodyOf(t, get(t, st.handler, "/wallet/history.csv", session))
		if !strings.Contains(csvBody, "merchant_payment,completed,USD,-30.00,0.00,-30.00,Tea House") {
			t.Errorf("%s csv lacks the payment:\n%s", c.lang, csvBody)
		}

		// The shop refunds 10.00: it shows as money in.
		if _, err := st.merchant.Refund(ctx, acc, merchantRefund(mv.ChargeID, 10_00)); err != nil {
			t.Fatalf("refund: %v", err)
		}
		page = bodyOf(t, get(t, st.handler, "/wallet/history", session))
		if !strings.Contains(page, c.refund) || !strings.Contains(page, "10.00") {
			t.Errorf("%s history lacks the refund:\n%s", c.lang, page)
		}
		if got := available(t, st, shopper.ID, "USD"); got != 80_00 {
			t.Errorf("available = %d, want 8000", got)
		}
	}
}

// TestPayhistCheckoutRefusals: the checkout page says when a payment
// would go over the monthly send limit (with what is left) and when the
// payer's outgoing payments are frozen after a "not my transaction"
// report; neither moves money.
func TestPayhistCheckoutRefusals(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "correct horse battery", "en")
	st.mustDeposit(t, shopper.ID, usdAmount(1500_00))
	session := st.mustLogin(t, shopper.Email, "correct horse battery")

	// An unverified account may send 1,000.00 a month; shops count.
	resp := postEN(t, st.handler, "/checkout/"+st.mustSession(t, acc, 600_00).ID+"/balance", url.Values{}, session)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first payment = %d:\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	resp = postEN(t, st.handler, "/checkout/"+st.mustSession(t, acc, 500_00).ID+"/balance", url.Values{}, session)
	body := bodyOf(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "monthly sending limit") ||
		!strings.Contains(body, "You can still pay $400.00") {
		t.Fatalf("over the limit = %d:\n%s", resp.StatusCode, body)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 900_00 {
		t.Errorf("available after the refusal = %d, want 90000", got)
	}

	p, err := st.wallet.History(ctx, wallet.History{UserID: shopper.ID, Types: []wallet.Type{wallet.TypeMerchantPayment},
		Statuses: []wallet.Status{wallet.StatusCompleted}})
	if err != nil || len(p.Movements) != 1 {
		t.Fatalf("history: %v %+v", err, p.Movements)
	}
	if _, err := st.risk.Report(ctx, shopper.ID, p.Movements[0].ID, "I did not buy this"); err != nil {
		t.Fatalf("report: %v", err)
	}
	resp = postEN(t, st.handler, "/checkout/"+st.mustSession(t, acc, 10_00).ID+"/balance", url.Values{}, session)
	body = bodyOf(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "payments from your balance are paused") {
		t.Fatalf("frozen payer = %d:\n%s", resp.StatusCode, body)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 900_00 {
		t.Errorf("available after the frozen refusal = %d, want 90000", got)
	}
}

func merchantRefund(paymentID string, minor int64) merchant.RefundRequest {
	return merchant.RefundRequest{PaymentID: paymentID, Amount: usdAmount(minor)}
}

// TestPayhistPartialCapturePage: while the shop's authorisation holds the
// money the movement page says it is reserved; after a partial capture it
// shows what was authorised, taken and released.
func TestPayhistPartialCapturePage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "correct horse battery", "en")
	st.mustDeposit(t, shopper.ID, usdAmount(100_00))
	session := st.mustLogin(t, shopper.Email, "correct horse battery")

	p, err := st.merchant.CreatePayment(ctx, acc, merchant.PaymentRequest{Amount: usdAmount(50_00),
		CaptureMethod: merchant.CaptureManual, Description: "Gift box"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.merchant.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: shopper.ID}); err != nil {
		t.Fatal(err)
	}
	h, err := st.wallet.History(ctx, wallet.History{UserID: shopper.ID, Types: []wallet.Type{wallet.TypeMerchantPayment}})
	if err != nil || len(h.Movements) != 1 {
		t.Fatalf("history: %v %+v", err, h.Movements)
	}
	page := bodyOf(t, get(t, st.handler, "/wallet/movements/"+h.Movements[0].ID, session))
	if !strings.Contains(page, `id="authorised"`) || !strings.Contains(page, "Processing (held)") {
		t.Errorf("authorised payment page lacks the reserved note:\n%s", page)
	}
	if _, err := st.merchant.Capture(ctx, acc, p.ID, usdAmount(30_00)); err != nil {
		t.Fatal(err)
	}
	page = bodyOf(t, get(t, st.handler, "/wallet/movements/"+h.Movements[0].ID, session))
	for _, want := range []string{`<dd id="amount">$30.00</dd>`, `<dd id="authorized">$50.00</dd>`, `<dd id="released">$20.00</dd>`,
		"Released back to your balance", "Completed"} {
		if !strings.Contains(page, want) {
			t.Errorf("captured payment page lacks %q:\n%s", want, page)
		}
	}
	if got := available(t, st, shopper.ID, "USD"); got != 70_00 {
		t.Errorf("available = %d, want 7000", got)
	}
}
