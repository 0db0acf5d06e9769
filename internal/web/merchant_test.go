package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

// newTestMerchant is the merchant service as okpay serve builds it, with
// the card sandbox.
func newTestMerchant(t *testing.T, db *sqlstore.DB, l *ledger.Ledger, w *wallet.Service, second *twofactor.Service, now func() time.Time) *merchant.Service {
	t.Helper()
	m, err := merchant.New(merchant.Options{Store: db.Merchant(), Ledger: l, Wallets: merchant.FromWallet(w),
		Directory: db.MerchantDirectory(), Fees: merchant.ScheduleFees(fees.Default()), StepUp: second,
		Rates: adapt.Rates(fx.New(fx.Options{Store: db.FX(), Now: now})),
		Card:  connector.NewCardSandbox(connector.SandboxConfig{Now: now}), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func usdAmount(minor int64) money.Amount {
	return money.Amount{Minor: minor, Currency: money.MustCurrency("USD")}
}

// mustMerchant opens a merchant owned by userID and returns its live
// access.
func (st *stack) mustMerchant(t *testing.T, userID int64, name string) merchant.Access {
	t.Helper()
	ctx := context.Background()
	m, err := st.merchant.Create(ctx, merchant.CreateRequest{OwnerUserID: userID, Name: name, Country: "CN", Currency: "USD",
		SupportEmail: strings.ToLower(strings.ReplaceAll(name, " ", "")) + "@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.merchant.Access(ctx, userID, m.ID, merchant.Live)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mustPaid is a live balance payment of minor USD cents to a, paid by a
// fresh shopper; it returns the payment and the shopper's id.
func (st *stack) mustPaid(t *testing.T, a merchant.Access, email string, minor int64) (merchant.Payment, int64) {
	t.Helper()
	ctx := context.Background()
	u := st.mustSignUp(t, email, "correct horse battery", "en")
	st.mustDeposit(t, u.ID, usdAmount(minor))
	p, err := st.merchant.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: usdAmount(minor), Description: "tea"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = st.merchant.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: u.ID})
	if err != nil || p.Status != merchant.Succeeded {
		t.Fatalf("pay: %v (%s)", err, p.Status)
	}
	return p, u.ID
}

func get(t *testing.T, h http.Handler, target string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	return do(t, h, request{target: target, cookies: cookies})
}

// TestMerchantPagesAreTheMembers: a member of one merchant can neither
// see nor refund another merchant's payment, a viewer sees but cannot
// refund, and an owner refunds from the payment page.
func TestMerchantPagesAreTheMembers(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ownerA := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	ownerB := st.mustSignUp(t, "b@example.com", "correct horse battery", "en")
	viewer := st.mustSignUp(t, "v@example.com", "correct horse battery", "en")
	accA := st.mustMerchant(t, ownerA.ID, "Tea House")
	accB := st.mustMerchant(t, ownerB.ID, "Noodle Bar")
	if _, err := st.merchant.Invite(context.Background(), accA, viewer.Email, merchant.Viewer); err != nil {
		t.Fatal(err)
	}
	st.mustPaid(t, accA, "buyer1@example.com", 200_00) // funds A's balance for refunds
	pA, buyerA := st.mustPaid(t, accA, "buyer2@example.com", 50_00)
	pB, buyerB := st.mustPaid(t, accB, "buyer3@example.com", 50_00)
	sa := st.mustLogin(t, ownerA.Email, "correct horse battery")
	sv := st.mustLogin(t, viewer.Email, "correct horse battery")

	// Another merchant's payment, by its own path or under A's: 404.
	for _, target := range []string{
		"/merchant/" + accB.MerchantID + "?mode=live",
		"/merchant/" + accB.MerchantID + "/payments/" + pB.ID + "?mode=live",
		"/merchant/" + accA.MerchantID + "/payments/" + pB.ID + "?mode=live",
		"/merchant/" + accB.MerchantID + "/team",
	} {
		if resp := get(t, st.handler, target, sa); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s by A's owner = %d, want 404", target, resp.StatusCode)
		}
	}
	refund := url.Values{"mode": {"live"}, "amount": {"10.00"}}
	for _, target := range []string{
		"/merchant/" + accA.MerchantID + "/payments/" + pB.ID + "/refund",
		"/merchant/" + accB.MerchantID + "/payments/" + pB.ID + "/refund",
	} {
		if resp := post(t, st.handler, target, refund, "192.0.2.1:1000", sa); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s by A's owner = %d, want 404", target, resp.StatusCode)
		}
	}
	if got := available(t, st, buyerB, "USD"); got != 0 {
		t.Errorf("B's buyer got %d back from A's owner", got)
	}

	// The viewer reads A's payment but has no buttons, and a forged post
	// is refused.
	page := bodyOf(t, get(t, st.handler, "/merchant/"+accA.MerchantID+"/payments/"+pA.ID+"?mode=live", sv))
	if !strings.Contains(page, `id="read-only"`) || strings.Contains(page, `id="refund-submit"`) {
		t.Errorf("viewer's payment page shows actions:\n%s", page)
	}
	if resp := post(t, st.handler, "/merchant/"+accA.MerchantID+"/payments/"+pA.ID+"/refund", refund, "192.0.2.1:1000", sv); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's refund = %d, want 403", resp.StatusCode)
	}
	if got := available(t, st, buyerA, "USD"); got != 0 {
		t.Errorf("the viewer's refund moved %d", got)
	}

	// The owner refunds part, then asks for more than is left.
	resp := post(t, st.handler, "/merchant/"+accA.MerchantID+"/payments/"+pA.ID+"/refund", refund, "192.0.2.1:1000", sa)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=refunded") {
		t.Fatalf("owner's refund = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := available(t, st, buyerA, "USD"); got != 10_00 {
		t.Errorf("buyer got %d back, want 1000", got)
	}
	resp = post(t, st.handler, "/merchant/"+accA.MerchantID+"/payments/"+pA.ID+"/refund",
		url.Values{"mode": {"live"}, "amount": {"40.01"}}, "192.0.2.1:1000", sa)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "more than is left to refund") {
		t.Errorf("over-refund = %d:\n%s", resp.StatusCode, body)
	}
	if got := available(t, st, buyerA, "USD"); got != 10_00 {
		t.Errorf("after the refused refund the buyer has %d, want 1000", got)
	}
}

// TestPayFormFromAnotherSite: a shop's page on another origin posts the
// HTML form; OKPay answers 303 to the hosted page, or, for a bad field, a
// page naming it in the payer's language, creating nothing. Other posts
// from that origin are still refused.
func TestPayFormFromAnotherSite(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://shop.example"}
	form := url.Values{"receiver": {acc.MerchantID}, "currency": {"USD"}, "item_name": {"Green tea"}, "amount": {"12.50"},
		"invoice": {"A-7"}, "return_url": {"https://shop.example/ok"}, "cancel_url": {"https://shop.example/cart"},
		"notify_url": {"https://shop.example/notify"}}

	resp := do(t, st.handler, request{method: http.MethodPost, target: "/pay/form", form: form, headers: crossSite})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/cs_") {
		t.Fatalf("form post = %d %q, want 303 to /checkout/cs_...", resp.StatusCode, loc)
	}
	page := bodyOf(t, get(t, st.handler, loc))
	if !strings.Contains(page, "Tea House") || !strings.Contains(page, "Green tea") {
		t.Errorf("hosted page lacks the merchant or item:\n%s", page)
	}
	// Paying from that origin is refused: only the form is exempt.
	card := url.Values{"number": {"4242424242424242"}, "exp": {"12/30"}, "cvc": {"123"}}
	if resp := do(t, st.handler, request{method: http.MethodPost, target: loc + "/card", form: card, headers: crossSite}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site card payment = %d, want 403", resp.StatusCode)
	}

	for _, tc := range []struct {
		field, value, lang, want string
	}{
		{"currency", "BTC", "en", "Currency"},
		{"amount", "-3", "zh-CN", "金额"},
		{"receiver", "mer_00000000000000000000000000", "en", "Receiver (merchant)"},
		{"return_url", "javascript:alert(1)", "zh-CN", "返回地址"},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(tc.field, tc.value)
		h := map[string]string{"Sec-Fetch-Site": "cross-site", "Accept-Language": tc.lang}
		resp := do(t, st.handler, request{method: http.MethodPost, target: "/pay/form", form: bad, headers: h})
		body := bodyOf(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="form-error-field">`+tc.want) {
			t.Errorf("%s=%q: %d, want 400 naming %q:\n%s", tc.field, tc.value, resp.StatusCode, tc.want, body)
		}
	}
	ps, err := st.merchant.Payments(context.Background(), acc, time.Time{}, 10)
	if err != nil || len(ps) != 1 {
		t.Errorf("payments after one good and four bad forms = %d (%v), want 1", len(ps), err)
	}
}

func timeZero() time.Time { return time.Time{} }

// TestFeesPageShowsMerchantPayments: the fee merchants pay is on the
// public fee page, from the same schedule that charges it.
func TestFeesPageShowsMerchantPayments(t *testing.T) {
	site := mustSite(t, web.Options{})
	page := bodyOf(t, do(t, site.Handler(), request{target: "/fees", headers: map[string]string{"Accept-Language": "en"}}))
	for _, want := range []string{"Merchant payments", "2.9%", "Not returned on refunds"} {
		if !strings.Contains(page, want) {
			t.Errorf("/fees lacks %q", want)
		}
	}
}

// TestMerchantCreateForm: a customer opens a merchant from /merchant; a
// wrong field is named in their language and keeps what they typed.
func TestMerchantCreateForm(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	u := st.mustSignUp(t, "li@example.com", "correct horse battery", "zh-CN")
	s := st.mustLogin(t, u.Email, "correct horse battery")
	page := bodyOf(t, get(t, st.handler, "/merchant", s))
	if !strings.Contains(page, "您还没有加入任何商户") || !strings.Contains(page, `value="li@example.com"`) {
		t.Errorf("/merchant for a customer without merchants:\n%s", page)
	}
	form := url.Values{"name": {"李记茶庄"}, "country": {"China"}, "currency": {"CNY"}, "support_email": {"help@tea.example"}}
	resp := post(t, st.handler, "/merchant", form, "192.0.2.1:1000", s)
	body := bodyOf(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请用两位字母填写国家/地区") || !strings.Contains(body, `value="李记茶庄"`) {
		t.Fatalf("bad country = %d:\n%s", resp.StatusCode, body)
	}
	form.Set("country", "cn")
	resp = post(t, st.handler, "/merchant", form, "192.0.2.1:1000", s)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/merchant/mer_") {
		t.Fatalf("create = %d to %q", resp.StatusCode, loc)
	}
	dash := bodyOf(t, get(t, st.handler, loc, s))
	if !strings.Contains(dash, "李记茶庄") || !strings.Contains(dash, "所有者") || !strings.Contains(dash, "测试模式") {
		t.Errorf("new merchant's dashboard:\n%s", dash)
	}
}
