package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/web"
)

func (st *stack) mustSession(t *testing.T, a merchant.Access, minor int64) merchant.Session {
	t.Helper()
	cs, err := st.merchant.CreateSession(context.Background(), a, merchant.SessionRequest{Amount: usdAmount(minor),
		ItemName: "Oolong 250g", Invoice: "ORDER-9", SuccessURL: "https://shop.example/thanks", CancelURL: "https://shop.example/cart"})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func postEN(t *testing.T, h http.Handler, target string, form url.Values, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	return do(t, h, request{method: http.MethodPost, target: target, form: form,
		headers: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept-Language": "en"},
		cookies: append([]*http.Cookie{csrfCookie}, cookies...), remote: "192.0.2.1:1000"})
}

// TestCheckoutCardWithThreeDS: a test-mode session paid by a test card
// that asks for the issuer's code; a wrong code fails the attempt, the
// right one pays and the page sends the shopper to the shop. No page
// echoes the card number or security code.
func TestCheckoutCardWithThreeDS(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	live := st.mustMerchant(t, owner.ID, "Tea House")
	test := live
	test.Mode = merchant.Test
	cs := st.mustSession(t, test, 30_00)

	page := bodyOf(t, do(t, st.handler, request{target: "/checkout/" + cs.ID, headers: map[string]string{"Accept-Language": "en"}}))
	if !strings.Contains(page, `id="test-mode"`) || strings.Contains(page, `id="checkout-balance"`) {
		t.Errorf("test-mode page: want the test banner and no balance option:\n%s", page)
	}
	card := url.Values{"number": {"4000 0027 6000 3184"}, "exp": {"12/30"}, "cvc": {"987"}}
	resp := postEN(t, st.handler, "/checkout/"+cs.ID+"/card", card)
	body := bodyOf(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="checkout-3ds"`) {
		t.Fatalf("3-D Secure card = %d, want the confirmation form:\n%s", resp.StatusCode, body)
	}
	for _, secret := range []string{"4000002760003184", "4000 0027 6000 3184", "987"} {
		if strings.Contains(body, secret) {
			t.Errorf("the page echoes %q", secret)
		}
	}
	resp = postEN(t, st.handler, "/checkout/"+cs.ID+"/confirm", url.Values{"code": {"000000"}})
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The confirmation code was wrong") {
		t.Fatalf("wrong code = %d:\n%s", resp.StatusCode, body)
	}
	postEN(t, st.handler, "/checkout/"+cs.ID+"/card", card)
	resp = postEN(t, st.handler, "/checkout/"+cs.ID+"/confirm", url.Values{"code": {"123456"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/thanks" {
		t.Fatalf("right code = %d to %q, want 303 to the success URL", resp.StatusCode, resp.Header.Get("Location"))
	}
	page = bodyOf(t, do(t, st.handler, request{target: "/checkout/" + cs.ID, headers: map[string]string{"Accept-Language": "en"}}))
	if !strings.Contains(page, "This payment is complete") {
		t.Errorf("paid session page:\n%s", page)
	}
	bs, err := st.merchant.Balances(context.Background(), live)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Available.Minor != 0 || b.Pending.Minor != 0 {
			t.Errorf("live %s balance moved by a test payment: %v / %v", b.Currency.Code, b.Available, b.Pending)
		}
	}
}

var challengeRE = regexp.MustCompile(`name="challenge" value="([^"]+)"`)

// TestCheckoutLargeBalancePayment: at or above the threshold a balance
// payment asks for the second factor; without one it says how to get it.
func TestCheckoutLargeBalancePayment(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "correct horse battery", "en")
	st.mustDeposit(t, shopper.ID, usdAmount(2000_00))
	raiseLevel(t, st, shopper.ID, kyc.Verified) // 1,500.00 is over the unverified monthly send limit
	session := st.mustLogin(t, shopper.Email, "correct horse battery")
	cs := st.mustSession(t, acc, 1500_00)

	resp := postEN(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{}, session)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "need two-factor authentication") {
		t.Fatalf("large payment without two-factor = %d:\n%s", resp.StatusCode, body)
	}
	secret := st.mustEnableTOTP(t, clk, shopper)
	resp = postEN(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{}, session)
	body := bodyOf(t, resp)
	m := challengeRE.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("large payment = %d, want the code form:\n%s", resp.StatusCode, body)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 2000_00 {
		t.Fatalf("money moved before the code: %d", got)
	}
	resp = postEN(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{"challenge": {m[1]}, "method": {"totp"}, "code": {"000000"}}, session)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code = %d", resp.StatusCode)
	}
	resp = postEN(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{"challenge": {m[1]}, "method": {"totp"}, "code": {code(secret, clk)}}, session)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/thanks" {
		t.Fatalf("right code = %d to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
	}
	if got := available(t, st, shopper.ID, "USD"); got != 500_00 {
		t.Errorf("shopper has %d, want 50000", got)
	}
}

// TestCheckoutExpiredSession: a day later the page says the session has
// expired, and paying it is refused without moving money.
func TestCheckoutExpiredSession(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "correct horse battery", "zh-CN")
	st.mustDeposit(t, shopper.ID, usdAmount(100_00))
	cs := st.mustSession(t, acc, 10_00)
	clk.Add(25 * time.Hour)
	session := st.mustLogin(t, shopper.Email, "correct horse battery")
	page := bodyOf(t, get(t, st.handler, "/checkout/"+cs.ID, session))
	if !strings.Contains(page, "此付款页面已过期") || strings.Contains(page, `id="checkout-pay-balance"`) {
		t.Errorf("expired page:\n%s", page)
	}
	resp := post(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{}, "192.0.2.1:1000", session)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("paying an expired session = %d, want 422", resp.StatusCode)
	}
	if got := available(t, st, shopper.ID, "USD"); got != 100_00 {
		t.Errorf("shopper has %d, want 10000", got)
	}
	if resp := get(t, st.handler, "/checkout/cs_notanid"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("malformed session id = %d, want 404", resp.StatusCode)
	}
}

// TestMerchantDashboardActions: an owner captures part of one payment and
// cancels another from the dashboard, and manages the team.
func TestMerchantDashboardActions(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	buyer := st.mustSignUp(t, "buyer@example.com", "correct horse battery", "en")
	st.mustDeposit(t, buyer.ID, usdAmount(300_00))
	var ids []string
	for range 2 {
		p, err := st.merchant.CreatePayment(ctx, acc, merchant.PaymentRequest{Amount: usdAmount(100_00), CaptureMethod: merchant.CaptureManual})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.merchant.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: buyer.ID}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	so := st.mustLogin(t, owner.Email, "correct horse battery")
	home := get(t, st.handler, "/merchant", so)
	if home.StatusCode != http.StatusSeeOther || home.Header.Get("Location") != "/merchant/"+acc.MerchantID {
		t.Errorf("/merchant with one merchant = %d to %q", home.StatusCode, home.Header.Get("Location"))
	}
	dash := bodyOf(t, do(t, st.handler, request{target: "/merchant/" + acc.MerchantID + "?mode=live", cookies: []*http.Cookie{so},
		headers: map[string]string{"Accept-Language": "en"}}))
	if strings.Count(dash, "Authorised, to capture") != 2 {
		t.Errorf("dashboard does not list both authorised payments:\n%s", dash)
	}
	base := "/merchant/" + acc.MerchantID + "/payments/"
	resp := postEN(t, st.handler, base+ids[0]+"/capture", url.Values{"mode": {"live"}, "amount": {"100.01"}}, so)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "more than was authorised") {
		t.Errorf("over-capture = %d:\n%s", resp.StatusCode, body)
	}
	if resp := postEN(t, st.handler, base+ids[0]+"/capture", url.Values{"mode": {"live"}, "amount": {"60.00"}}, so); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("capture = %d:\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	if resp := postEN(t, st.handler, base+ids[1]+"/cancel", url.Values{"mode": {"live"}}, so); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel = %d:\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	if got := available(t, st, buyer.ID, "USD"); got != 240_00 {
		t.Errorf("buyer has %d, want 24000 (60.00 captured, the rest and the canceled payment released)", got)
	}
	page := bodyOf(t, do(t, st.handler, request{target: base + ids[0] + "?mode=live", cookies: []*http.Cookie{so},
		headers: map[string]string{"Accept-Language": "en"}}))
	if !strings.Contains(page, `id="payment-captured">$60.00`) || !strings.Contains(page, `id="refund-submit"`) {
		t.Errorf("captured payment page:\n%s", page)
	}

	team := "/merchant/" + acc.MerchantID + "/team"
	resp = postEN(t, st.handler, team, url.Values{"email": {"nobody@example.com"}, "role": {"viewer"}}, so)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "No OKPay account uses that email") {
		t.Errorf("invite a stranger = %d:\n%s", resp.StatusCode, body)
	}
	if resp := postEN(t, st.handler, team, url.Values{"email": {"buyer@example.com"}, "role": {"viewer"}}, so); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite = %d:\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	sb := st.mustLogin(t, buyer.Email, "correct horse battery")
	if resp := get(t, st.handler, "/merchant/"+acc.MerchantID+"?mode=live", sb); resp.StatusCode != http.StatusOK {
		t.Errorf("the new viewer's dashboard = %d", resp.StatusCode)
	}
	if resp := postEN(t, st.handler, team, url.Values{"email": {"owner@example.com"}, "role": {"viewer"}}, sb); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer invites = %d, want 403", resp.StatusCode)
	}
	if resp := postEN(t, st.handler, team+"/"+strconv.FormatInt(buyer.ID, 10)+"/remove", url.Values{}, so); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove = %d", resp.StatusCode)
	}
	if resp := get(t, st.handler, "/merchant/"+acc.MerchantID, sb); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a removed member's dashboard = %d, want 404", resp.StatusCode)
	}
}

// TestCheckoutPayTwice: the pay button posted twice (a double click, a
// reload) pays once and both answers lead to the shop.
func TestCheckoutPayTwice(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "correct horse battery", "en")
	st.mustDeposit(t, shopper.ID, usdAmount(100_00))
	session := st.mustLogin(t, shopper.Email, "correct horse battery")
	cs := st.mustSession(t, acc, 10_00)
	for i := range 2 {
		resp := postEN(t, st.handler, "/checkout/"+cs.ID+"/balance", url.Values{}, session)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/thanks" {
			t.Errorf("submit %d = %d to %q, want 303 to the shop", i+1, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if got := available(t, st, shopper.ID, "USD"); got != 90_00 {
		t.Errorf("shopper has %d, want 9000: paid more than once", got)
	}
}
