package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// TestWithdrawFormBadInput: an unknown currency, too many decimals, zero,
// negative or huge amounts, a malformed IBAN or e-wallet id and invalid
// UTF-8 each get a message in the reader's language (422, never a 500)
// and change nothing.
func TestWithdrawFormBadInput(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	zh := st.mustSignUp(t, "zhou@example.com", "correct horse battery", "zh-CN")
	en := st.mustSignUp(t, "emma@example.com", "correct horse battery", "en")
	for _, u := range []int64{zh.ID, en.ID} {
		st.mustDeposit(t, u, money.Amount{Minor: 100_00, Currency: money.MustCurrency("USD")})
	}
	huge := strings.Repeat("9", 5000)
	bank := func(kv ...string) url.Values {
		v := url.Values{"method": {"bank"}, "account": {"DE89370400440532013000"}, "holder": {"Zhou Yu"}, "amount": {"10"}, "currency": {"USD"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name   string
		form   url.Values
		zh, en string
	}{
		{"unknown currency", bank("currency", "XYZ"), "币种", "currency"},
		{"too many decimals", bank("amount", "1.001"), "小数位", "decimals"},
		{"zero", bank("amount", "0"), "大于零", "greater than zero"},
		{"negative", bank("amount", "-5"), "大于零", "greater than zero"},
		{"huge", bank("amount", "9999999999999999999"), "大于零", "greater than zero"},
		{"more than the balance", bank("amount", "1000000"), "可用余额不足", "available balance is not enough"},
		{"malformed IBAN", bank("account", "DE00 1234"), "IBAN", "IBAN"},
		{"IBAN check digits", bank("account", "DE88370400440532013000"), "校验位", "check digits"},
		{"invalid UTF-8 account", bank("account", "\xff\xfe"), "IBAN", "IBAN"},
		{"invalid UTF-8 holder", bank("holder", "Zhou\xc3"), "持有人", "holder"},
		{"no holder", bank("holder", ""), "持有人", "holder"},
		{"e-wallet id", url.Values{"method": {"ewallet"}, "account": {"not an id"}, "amount": {"1"}, "currency": {"USD"}}, "电子钱包账号", "e-wallet id"},
		{"everything huge", url.Values{"method": {huge}, "account": {huge}, "holder": {huge}, "amount": {huge}, "currency": {huge}}, "币种", "currency"},
	}
	for _, u := range []struct {
		email string
		zh    bool
	}{{zh.Email, true}, {en.Email, false}} {
		session := st.mustLogin(t, u.email, "correct horse battery")
		for _, c := range cases {
			for _, path := range []string{"/wallet/withdraw", "/wallet/withdraw/confirm"} {
				resp := post(t, st.handler, path, c.form, "192.0.2.1:1000", session)
				body := bodyOf(t, resp)
				want := c.en
				if u.zh {
					want = c.zh
				}
				msg := body
				if i := strings.Index(body, `id="wallet-error"`); i >= 0 {
					msg = body[i:min(len(body), i+600)]
				}
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="wallet-error"`) || !strings.Contains(msg, want) {
					t.Errorf("%s: POST %s (%s) = %d, want 422 saying %q:\n%.600s", u.email, path, c.name, resp.StatusCode, want, msg)
				}
			}
		}
	}
	for _, u := range []int64{zh.ID, en.ID} {
		if got := available(t, st, u, "USD"); got != 100_00 {
			t.Errorf("bad input moved money: %d cents left", got)
		}
		ws, err := st.withdrawals.List(context.Background(), u, 10)
		if err != nil || len(ws) != 0 {
			t.Errorf("bad input recorded withdrawals: %v, %v", ws, err)
		}
	}
	// Another user's withdrawal is not found; its cancel neither.
	session := st.mustLogin(t, en.Email, "correct horse battery")
	wd, err := st.withdrawals.Withdraw(context.Background(), wallet.WithdrawRequest{UserID: zh.ID, Method: wallet.MethodEWallet,
		Account: "alice@wallet.test", Amount: money.Amount{Minor: 10_00, Currency: money.MustCurrency("USD")}, IdempotencyKey: "f_zhou0000001"})
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, st.handler, request{target: "/wallet/withdrawals/" + wd.ID, cookies: []*http.Cookie{session}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("another user's withdrawal = %d, want 404", r.StatusCode)
	}
	if r := post(t, st.handler, "/wallet/withdrawals/"+wd.ID+"/cancel", url.Values{}, "192.0.2.1:1000", session); r.StatusCode != http.StatusNotFound {
		t.Errorf("cancel another user's withdrawal = %d, want 404", r.StatusCode)
	}
	if got, _ := st.withdrawals.Withdrawal(context.Background(), zh.ID, wd.ID); got.Status != wallet.WithdrawalProcessing {
		t.Errorf("the withdrawal is %s after another user's cancel", got.Status)
	}
}

// TestWithdrawConfirmSubmittedTwiceWithdrawsOnce: the confirmation page
// posted twice withdraws once.
func TestWithdrawConfirmSubmittedTwiceWithdrawsOnce(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	a := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	st.mustDeposit(t, a.ID, money.Amount{Minor: 100_00, Currency: money.MustCurrency("USD")})
	session := st.mustLogin(t, a.Email, "correct horse battery")
	form := url.Values{"key": {"f_withdrawtwice01"}, "method": {"ewallet"}, "account": {"alice@wallet.test"}, "amount": {"10.00"}, "currency": {"USD"}}
	var loc []string
	for range 2 {
		r := post(t, st.handler, "/wallet/withdraw/confirm", form, "192.0.2.1:1000", session)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm = %d, want 303", r.StatusCode)
		}
		loc = append(loc, r.Header.Get("Location"))
	}
	if loc[0] != loc[1] {
		t.Errorf("two submits led to %q and %q, want the same withdrawal", loc[0], loc[1])
	}
	if got := available(t, st, a.ID, "USD"); got != 100_00-10_00-25 {
		t.Errorf("available %d, want 10000 - 1000 - 25 (one withdrawal and its fee)", got)
	}
}
