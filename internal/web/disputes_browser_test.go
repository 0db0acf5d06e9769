package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserDisputeLost: a shopper disputes a payment from its page
// (zh-CN), the merchant's owner submits evidence with a file (en), a
// supervisor decides for the customer, and the shopper's wallet shows the
// money back.
func TestBrowserDisputeLost(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.enableTestDisputes(t)
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.mustPaid(t, acc, "regular@example.com", 100_00)
	p, buyer := st.paidBy(t, acc, "mei@example.com", "zh-CN", 25_00)
	if got := available(t, st, buyer.ID, "USD"); got != 0 {
		t.Fatalf("buyer starts with %d", got)
	}

	// The shopper disputes from the payment's page.
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	if code := browserLogin(t, b, srv.URL, buyer.Email, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("login = %d", code)
	}
	b.Navigate(srv.URL + "/payments")
	b.ClickAndWait(`#payer-payments tr[data-id="` + p.ID + `"] a`)
	if got := b.Text("#payment-merchant"); got != "Tea House" {
		t.Errorf("payment page names %q", got)
	}
	b.Fill("#dispute-reason", "not_received")
	b.Type("#dispute-message", "等了三周还没收到货")
	b.ClickAndWait("#dispute-submit")
	if got := b.Text("#done"); !strings.Contains(got, "争议已提交") {
		t.Errorf("after disputing the page says %q", got)
	}
	if got := b.Text("#dispute-status"); got != "等待商户答复" {
		t.Errorf("dispute status %q", got)
	}

	// The owner answers with a statement and a file.
	ob := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	if code := browserLogin(t, ob, srv.URL, owner.Email, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("owner login = %d", code)
	}
	ob.Navigate(srv.URL + "/merchant/" + acc.MerchantID + "/disputes?mode=live")
	if got := ob.Text("#dispute-terms"); !strings.Contains(got, "7 calendar days") {
		t.Errorf("terms say %q", got)
	}
	ob.ClickAndWait("#disputes tbody tr a")
	if got := ob.Text("#dispute-message"); got != "等了三周还没收到货" {
		t.Errorf("the owner reads %q", got)
	}
	ob.Type("#evidence-text", "Shipped by courier; tracking SF1234 shows it delivered.")
	attachFile(t, ob, "#evidence-files", "courier.png", "image/png", pngBytes(t))
	ob.ClickAndWait("#evidence-submit")
	if got := ob.Text("#done"); !strings.Contains(got, "evidence was submitted") {
		t.Errorf("after evidence the page says %q", got)
	}
	if got := ob.Text("#evidence"); !strings.Contains(got, "courier.png") || !strings.Contains(got, "SF1234") {
		t.Errorf("evidence list %q", got)
	}

	// A supervisor decides for the customer.
	if _, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: "sup@okpay.test", Password: "staff pass phrase",
		Role: auth.RoleSupervisor, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	sb := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	if code := browserLogin(t, sb, srv.URL, "sup@okpay.test", "staff pass phrase"); code != http.StatusOK {
		t.Fatalf("supervisor login = %d", code)
	}
	sb.Navigate(srv.URL + "/staff/disputes")
	sb.ClickAndWait("#staff-disputes tbody tr a")
	if got := sb.Text("#evidence"); !strings.Contains(got, "courier.png") {
		t.Errorf("staff sees evidence %q", got)
	}
	sb.Type("#decide-note", "The tracking number belongs to another address.")
	sb.ClickAndWait("#decide-lost")
	if got := sb.Text("#dispute-status"); got != "Decided for the customer" {
		t.Errorf("after deciding: %q", got)
	}

	// The shopper's balance shows the money back.
	b.Navigate(srv.URL + "/wallet")
	if got := b.Text(`#balances tr[data-currency="USD"] .available`); !strings.Contains(got, "25.00") {
		t.Errorf("wallet shows %q available, want 25.00", got)
	}
	b.Navigate(srv.URL + "/payments/" + p.ID)
	if got := b.Text("#dispute-status"); got != "裁决支持客户" {
		t.Errorf("payment page status %q", got)
	}
}
