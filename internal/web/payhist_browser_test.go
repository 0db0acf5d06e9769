package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserPayhistCheckoutThenHistory: a zh-CN shopper pays a shop on
// the hosted checkout from their balance, then finds the payment in their
// wallet history in their language and opens it.
func TestBrowserPayhistCheckoutThenHistory(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	ctx := context.Background()
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	shopper := st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	st.mustDeposit(t, shopper.ID, usdAmount(100_00))
	shop := shopSite(t, srv.URL, acc.MerchantID)
	cs, err := st.merchant.CreateSession(ctx, acc, merchant.SessionRequest{Amount: usdAmount(25_00), ItemName: "Jasmine tea",
		Invoice: "ORDER-41", SuccessURL: shop + "/thanks", CancelURL: shop + "/cart"})
	if err != nil {
		t.Fatal(err)
	}

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	if code := browserLogin(t, b, srv.URL, "mei@example.com", "a long quiet river"); code != http.StatusOK {
		t.Fatalf("login = %d", code)
	}
	if code := b.Navigate(srv.URL + "/checkout/" + cs.ID); code != http.StatusOK {
		t.Fatalf("checkout page = %d", code)
	}
	b.ClickAndWait("#checkout-pay-balance")
	if loc := b.Location(); loc != shop+"/thanks" {
		t.Fatalf("after paying the browser is at %s", loc)
	}

	if code := b.Navigate(srv.URL + "/wallet/history"); code != http.StatusOK {
		t.Fatalf("history = %d", code)
	}
	first := "table.movements tbody tr:first-child"
	if got := b.Text(first + " td:nth-child(2)"); got != "商户付款" {
		t.Errorf("newest movement is %q, want 商户付款", got)
	}
	if got := b.Text(first + " td:nth-child(3)"); !strings.Contains(got, "Tea House") || !strings.Contains(got, "Jasmine tea") {
		t.Errorf("counterparty cell %q, want the shop and the item", got)
	}
	if got := b.Text(first + " td:nth-child(4)"); !strings.Contains(got, "25.00") {
		t.Errorf("amount cell %q, want 25.00", got)
	}
	b.ClickAndWait(first + " td:nth-child(2) a")
	if got := b.Text("#merchant-reference"); !strings.HasPrefix(got, "pi_") {
		t.Errorf("movement page reference %q, want the payment id", got)
	}
	if got := b.Text("#status"); got != "已完成" {
		t.Errorf("movement status %q, want 已完成", got)
	}
}
