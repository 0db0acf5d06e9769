package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserExchange: a customer asks for a quote, sees the exact amounts
// and the rate, confirms, and sees the balances and history; a quote
// confirmed after it expired is not booked: a fresh one is shown, and
// confirming that one books it.
func TestBrowserExchange(t *testing.T) {
	clk := clock.NewOffset(time.Now)
	st, srv := serveWithMailbox(t, web.Options{Development: true, Now: clk.Now, DevClock: clk})
	lan := st.mustSignUp(t, "lan@example.com", "a long quiet river", "zh-CN")

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "lan@example.com", "a long quiet river")
	a.Navigate(srv.URL + "/wallet/deposit")
	a.Fill("#card-amount", "200.00")
	a.Fill("#card-number", "4242 4242 4242 4242")
	a.Fill("#card-exp", "12/30")
	a.Fill("#card-cvc", "739")
	browsertest.Eval[bool](a, `(document.querySelector("#card-currency").value = "CNY", true)`)
	a.ClickAndWait("#deposit-card-submit")
	if got := a.Text("#done"); !strings.Contains(got, "款项已到账") {
		t.Fatalf("deposit: %q", got)
	}

	quote := func(amount string) {
		t.Helper()
		a.Navigate(srv.URL + "/wallet/exchange")
		a.Fill("#exchange-amount", amount)
		browsertest.Eval[bool](a, `(document.querySelector("#exchange-sell").value = "CNY", document.querySelector("#exchange-buy").value = "USD", true)`)
		if code := a.ClickAndWait("#exchange-continue"); code != http.StatusOK {
			t.Fatalf("quote answered %d:\n%s", code, a.Text("main"))
		}
	}
	// 100 CNY at 1.10/7.70 USD per CNY (0.142857142857, a cross rate
	// through the euro) buys 14.29 USD; the fee is 0.5 %.
	quote("100")
	for sel, want := range map[string]string{
		"#quote-sell":    "¥100.00",
		"#quote-fee":     "¥0.50",
		"#quote-debited": "¥100.50",
		"#quote-bought":  "US$14.29",
		"#quote-rate":    "1 CNY = 0.142857142857 USD",
		"#quote-valid":   "30 秒",
	} {
		if got := a.Text(sel); !strings.Contains(got, want) {
			t.Errorf("quote %s = %q, want %q", sel, got, want)
		}
	}
	a.ClickAndWait("#exchange-confirm")
	if got := a.Text("#done"); !strings.Contains(got, "兑换已完成") {
		t.Fatalf("after confirming the page says %q:\n%s", got, a.Text("main"))
	}
	a.Navigate(srv.URL + "/wallet")
	if got := a.Text(`#balances tr[data-currency="USD"] .available`); got != "US$14.29" {
		t.Errorf("USD available %q, want US$14.29", got)
	}
	if got := a.Text(`#balances tr[data-currency="CNY"] .available`); got != "¥99.50" {
		t.Errorf("CNY available %q, want ¥99.50", got)
	}
	a.Navigate(srv.URL + "/wallet/history")
	hist := a.Text("table.movements")
	for _, want := range []string{"货币兑换（卖出）", "货币兑换（买入）", "US$14.29", "¥100.00"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}

	// Too late: the quote expires while the customer looks at it.
	quote("50")
	if got := a.Text("#quote-bought"); !strings.Contains(got, "US$7.14") {
		t.Fatalf("second quote: %q", got)
	}
	clk.Add(31 * time.Second)
	a.ClickAndWait("#exchange-confirm")
	if got := a.Text("#exchange-requoted"); !strings.Contains(got, "原报价已过期，没有进行任何兑换") {
		t.Fatalf("an expired quote confirmed: %q\n%s", got, a.Text("main"))
	}
	if got := a.Text("#quote-bought"); !strings.Contains(got, "US$7.14") {
		t.Errorf("the new quote: %q", got)
	}
	if b, err := st.wallet.Balance(context.Background(), lan.ID, "USD"); err != nil || b.Available.Minor != 14_29 {
		t.Fatalf("after the expired confirmation USD available %+v, %v: it was booked", b, err)
	}
	a.ClickAndWait("#exchange-confirm")
	if got := a.Text("#done"); !strings.Contains(got, "兑换已完成") {
		t.Fatalf("confirming the fresh quote: %q\n%s", got, a.Text("main"))
	}
	a.Navigate(srv.URL + "/wallet")
	if got := a.Text(`#balances tr[data-currency="USD"] .available`); got != "US$21.43" {
		t.Errorf("USD available %q, want US$21.43", got)
	}
}
