package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// TestStaffRates: an agent sees the rates and their history but no form;
// a supervisor sets a rate, which is audited, shows in the history and is
// what the next exchange quote uses; bad input changes nothing; a customer
// is refused the page.
func TestStaffRates(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	cust := st.mustSignUp(t, "li@example.com", "correct horse battery", "en")
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor} {
		if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: string(r) + "@okpay.test", Password: "staff pass phrase", Role: r, Locale: "en", ActorRole: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	customer := st.mustLogin(t, cust.Email, "correct horse battery")
	if resp := do(t, st.handler, request{target: "/staff/rates", cookies: []*http.Cookie{customer}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a customer gets /staff/rates with %d", resp.StatusCode)
	}
	agent := st.mustLogin(t, "agent@okpay.test", "staff pass phrase")
	page := bodyOf(t, do(t, st.handler, request{target: "/staff/rates", cookies: []*http.Cookie{agent}}))
	if !strings.Contains(page, `data-pair="USDCNY"`) || !strings.Contains(page, "7") || strings.Contains(page, `id="rate-submit"`) ||
		!strings.Contains(page, "No rate has been set by hand yet.") {
		t.Errorf("the agent's rates page:\n%s", page)
	}
	if resp := post(t, st.handler, "/staff/rates", url.Values{"base": {"USD"}, "quote": {"CNY"}, "rate": {"9"}}, "192.0.2.1:1000", agent); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an agent sets a rate: %d", resp.StatusCode)
	}

	sup := st.mustLogin(t, "supervisor@okpay.test", "staff pass phrase")
	for _, bad := range []url.Values{
		{"base": {"USD"}, "quote": {"CNY"}, "rate": {"-7"}},
		{"base": {"USD"}, "quote": {"USD"}, "rate": {"1"}},
		{"base": {"USD"}, "quote": {"XAU"}, "rate": {"1"}},
		{"base": {"USD"}, "quote": {"CNY"}, "rate": {"7.2"}, "hours": {"soon"}},
	} {
		resp := post(t, st.handler, "/staff/rates", bad, "192.0.2.1:1000", sup)
		if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Nothing was changed.") {
			t.Errorf("rate form %v: %d\n%s", bad, resp.StatusCode, body)
		}
	}
	resp := post(t, st.handler, "/staff/rates", url.Values{"base": {"USD"}, "quote": {"CNY"}, "rate": {"7.2500"}, "note": {"bank holiday"}}, "192.0.2.1:1000", sup)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting a rate: %d\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	page = bodyOf(t, do(t, st.handler, request{target: "/staff/rates?done=set", cookies: []*http.Cookie{sup}}))
	hist := regexp.MustCompile(`(?s)<table id="rate-history">.*?</table>`).FindString(page)
	for _, want := range []string{"USD → CNY", "7.25", "bank holiday", "supervisor"} {
		if !strings.Contains(hist, want) {
			t.Errorf("the rate history lacks %q:\n%s", want, hist)
		}
	}
	events, err := audit.List(ctx, st.db.Audit(), audit.Filter{Action: fx.ActionRateSet})
	if err != nil || len(events.Events) != 1 || events.Events[0].TargetID != "USD/CNY" || events.Events[0].Details["rate"] != "7.25" {
		t.Errorf("audit: %+v, %v", events, err)
	}

	// The next quote uses it: 10 USD buys 72.50 CNY.
	st.mustDeposit(t, cust.ID, money.Amount{Minor: 20_00, Currency: money.MustCurrency("USD")})
	q := post(t, st.handler, "/wallet/exchange", url.Values{"key": {"f_exchange00001"}, "amount": {"10"}, "sell": {"USD"}, "buy": {"CNY"}}, "192.0.2.1:1000", customer)
	if body := bodyOf(t, q); q.StatusCode != http.StatusOK || !strings.Contains(body, "1 USD = 7.25 CNY") || !strings.Contains(body, "72.50") {
		t.Errorf("quote after the staff rate: %d\n%s", q.StatusCode, body)
	}
}

// TestExchangeFormRefusals: bad input is refused in the reader's language
// and moves nothing; a double-submitted confirmation books once.
func TestExchangeFormRefusals(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	cust := st.mustSignUp(t, "li@example.com", "correct horse battery", "zh-CN")
	st.mustDeposit(t, cust.ID, money.Amount{Minor: 50_00, Currency: money.MustCurrency("EUR")})
	s := st.mustLogin(t, cust.Email, "correct horse battery")
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"amount": {"10"}, "sell": {"EUR"}, "buy": {"EUR"}}, "卖出和买入的币种相同"},
		{url.Values{"amount": {"abc"}, "sell": {"EUR"}, "buy": {"USD"}}, "invalid_amount"},
		{url.Values{"amount": {"100"}, "sell": {"EUR"}, "buy": {"USD"}}, "insufficient_funds"},
		{url.Values{"amount": {"1"}, "sell": {"EUR"}, "buy": {"XAU"}}, "currency_not_enabled"},
	} {
		resp := post(t, st.handler, "/wallet/exchange", c.form, "192.0.2.1:1000", s)
		if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) || !strings.Contains(body, "未进行任何兑换") && !strings.Contains(body, "wallet-error") {
			t.Errorf("%v: %d, want 422 with %q\n%s", c.form, resp.StatusCode, c.want, body)
		}
	}
	resp := post(t, st.handler, "/wallet/exchange/confirm", url.Values{"key": {"f_exchange00002"}, "quote": {"xq_0000000000000000000000000"}}, "192.0.2.1:1000", s)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "找不到这份报价") {
		t.Errorf("an unknown quote: %d\n%s", resp.StatusCode, body)
	}
	page := bodyOf(t, post(t, st.handler, "/wallet/exchange", url.Values{"key": {"f_exchange00003"}, "amount": {"10"}, "sell": {"EUR"}, "buy": {"GBP"}}, "192.0.2.1:1000", s))
	id := regexp.MustCompile(`name="quote" value="(xq_[0-9a-z]+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no quote id on the confirmation page:\n%s", page)
	}
	for range 2 {
		resp := post(t, st.handler, "/wallet/exchange/confirm", url.Values{"key": {"f_exchange00003"}, "quote": {id[1]}}, "192.0.2.1:1000", s)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d\n%s", resp.StatusCode, bodyOf(t, resp))
		}
	}
	// 10 EUR at 0.85 is 8.50 GBP; the fee 0.05 EUR.
	if got := available(t, st, cust.ID, "GBP"); got != 8_50 {
		t.Errorf("GBP %d, want 850", got)
	}
	if got := available(t, st, cust.ID, "EUR"); got != 39_95 {
		t.Errorf("EUR %d, want 3995", got)
	}
}

// TestFeesPageShowsExchangeDormantAndLateFees: /fees publishes the fees
// this part of the wallet charges, from the same schedule.
func TestFeesPageShowsExchangeDormantAndLateFees(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	page := bodyOf(t, do(t, st.handler, request{target: "/fees", headers: map[string]string{"Accept-Language": "zh-CN"}}))
	for _, want := range []string{"货币兑换", "0.5", "休眠账户管理费", "逾期付款费", "1.5"} {
		if !strings.Contains(page, want) {
			t.Errorf("/fees lacks %q", want)
		}
	}
}

// TestLateFeeOnRequestPage: an overdue request's page shows the late fee
// before paying; a payment confirmed from a page that did not show it is
// refused and moves nothing.
func TestLateFeeOnRequestPage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	alice := st.mustSignUp(t, "alice@example.com", "correct horse battery", "en")
	bob := st.mustSignUp(t, "bob@example.com", "correct horse battery", "en")
	st.mustDeposit(t, bob.ID, money.Amount{Minor: 100_00, Currency: money.MustCurrency("USD")})
	rq, err := st.wallet.RequestMoney(ctx, wallet.CreateRequest{UserID: alice.ID, From: "bob@example.com",
		Amount: money.Amount{Minor: 40_00, Currency: money.MustCurrency("USD")}, DueAt: clk.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s := st.mustLogin(t, bob.Email, "correct horse battery")
	page := bodyOf(t, do(t, st.handler, request{target: "/wallet/requests/" + rq.ID, cookies: []*http.Cookie{s}}))
	if strings.Contains(page, "request-late-fee") {
		t.Errorf("a request not yet due shows a late fee:\n%s", page)
	}
	clk.Add(25 * time.Hour)
	s = st.mustLogin(t, bob.Email, "correct horse battery")
	resp := post(t, st.handler, "/wallet/requests/"+rq.ID+"/pay", url.Values{"key": {"f_pay000000001"}, "payer": {"sender"}, "late_fee": {"0"}}, "192.0.2.1:1000", s)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "late_fee_changed") ||
		!strings.Contains(body, `id="request-late-fee">$1.00`) {
		t.Fatalf("paying overdue from a page without the late fee: %d\n%s", resp.StatusCode, body)
	}
	if got := available(t, st, bob.ID, "USD"); got != 100_00 {
		t.Fatalf("the refused payment moved money: %d", got)
	}
	// 1.5 % of 40.00 is 0.60, below the 1.00 minimum; the transfer fee is
	// 1 % + 0.30 = 0.70.
	resp = post(t, st.handler, "/wallet/requests/"+rq.ID+"/pay", url.Values{"key": {"f_pay000000002"}, "payer": {"sender"}, "late_fee": {"100"}}, "192.0.2.1:1000", s)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("paying with the late fee shown: %d\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	if got := available(t, st, bob.ID, "USD"); got != 100_00-41_70 {
		t.Errorf("bob has %d, want %d", got, 100_00-41_70)
	}
}
