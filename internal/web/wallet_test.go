package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// mustDeposit puts money in the user's wallet by the sandbox's test card.
func (st *stack) mustDeposit(t *testing.T, userID int64, a money.Amount) {
	t.Helper()
	m, err := st.wallet.Deposit(context.Background(), wallet.DepositRequest{UserID: userID, Method: wallet.MethodCard, Amount: a,
		Source: &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, IdempotencyKey: "test-deposit-" + a.String()})
	if err != nil || m.Status != wallet.StatusCompleted {
		t.Fatalf("deposit: %v (%s)", err, m.Status)
	}
}

func available(t *testing.T, st *stack, userID int64, currency string) int64 {
	t.Helper()
	b, err := st.wallet.Balance(context.Background(), userID, currency)
	if err != nil {
		t.Fatal(err)
	}
	return b.Available.Minor
}

// TestSendFormSubmittedTwiceMovesMoneyOnce: the same confirmation page
// posted twice at once, and once more later, sends once.
func TestSendFormSubmittedTwiceMovesMoneyOnce(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	a := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	b := st.mustSignUp(t, "b@example.com", "correct horse battery", "en")
	st.mustDeposit(t, a.ID, money.Amount{Minor: 100_00, Currency: money.MustCurrency("USD")})
	bw, err := st.wallet.Open(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	session := st.mustLogin(t, a.Email, "correct horse battery")
	form := url.Values{"key": {"f_doubleclick0001"}, "to": {string(bw.ID)}, "amount": {"10.00"}, "currency": {"USD"}, "payer": {"sender"}}

	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := range 2 {
		wg.Go(func() {
			codes[i] = post(t, st.handler, "/wallet/send/confirm", form, "192.0.2.1:1000", session).StatusCode
		})
	}
	wg.Wait()
	codes[2] = post(t, st.handler, "/wallet/send/confirm", form, "192.0.2.1:1000", session).StatusCode
	for i, c := range codes {
		if c != http.StatusSeeOther {
			t.Errorf("submit %d answered %d, want 303 to the one send", i+1, c)
		}
	}
	if got := available(t, st, b.ID, "USD"); got != 10_00 {
		t.Errorf("recipient has %d cents, want 1000: the form moved money more than once", got)
	}
	if got := available(t, st, a.ID, "USD"); got >= 90_00 || got < 80_00 {
		t.Errorf("sender has %d cents left, want 100.00 - 10.00 - one fee", got)
	}
}

// TestWalletFormsBadInput: empty, huge, wrong-typed and invalid UTF-8
// input gets a form error in the reader's language, never a 500, and
// moves nothing.
func TestWalletFormsBadInput(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	a := st.mustSignUp(t, "a@example.com", "correct horse battery", "zh-CN")
	st.mustDeposit(t, a.ID, money.Amount{Minor: 100_00, Currency: money.MustCurrency("USD")})
	session := st.mustLogin(t, a.Email, "correct horse battery")
	huge := strings.Repeat("9", 5000)
	cases := []struct {
		path string
		form url.Values
	}{
		{"/wallet/send", url.Values{}},
		{"/wallet/send", url.Values{"to": {"OK12345678"}, "amount": {"abc"}, "currency": {"USD"}}},
		{"/wallet/send", url.Values{"to": {"\xff\xfe"}, "amount": {"1"}, "currency": {"USD"}}},
		{"/wallet/send", url.Values{"to": {huge}, "amount": {huge}, "currency": {huge}}},
		{"/wallet/send", url.Values{"to": {"b@example.com"}, "amount": {"-5"}, "currency": {"USD"}}},
		{"/wallet/send", url.Values{"to": {"b@example.com"}, "amount": {"1.001"}, "currency": {"USD"}}},
		{"/wallet/send/confirm", url.Values{"to": {"OK000000000"}, "amount": {"1"}, "currency": {"XXX"}, "key": {"'; DROP TABLE"}}},
		{"/wallet/deposit/card", url.Values{"amount": {"1"}, "currency": {"USD"}, "number": {huge}, "exp": {"13/99"}, "cvc": {"x"}}},
		{"/wallet/deposit/card", url.Values{"amount": {"1e9"}, "currency": {"USD"}}},
		{"/wallet/deposit/ewallet", url.Values{"amount": {"1"}, "currency": {"USD"}, "account": {"\x00"}}},
		{"/wallet/request", url.Values{"amount": {"1"}, "currency": {"USD"}, "due": {"yesterday"}}},
		{"/wallet/request", url.Values{"amount": {"1"}, "currency": {"USD"}, "from": {"nobody@nowhere.example"}}},
	}
	for _, c := range cases {
		resp := post(t, st.handler, c.path, c.form, "192.0.2.1:1000", session)
		body := bodyOf(t, resp)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="wallet-error"`) {
			t.Errorf("POST %s %v = %d, want 422 with the error:\n%.300s", c.path, c.form, resp.StatusCode, body)
		}
	}
	for _, q := range []string{"from=notadate", "cursor=%ff", "type=teleport", "to=2026-13-45"} {
		if r := do(t, st.handler, request{target: "/wallet/history?" + q, cookies: []*http.Cookie{session}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("history ?%s = %d, want 422", q, r.StatusCode)
		}
	}
	if r := do(t, st.handler, request{target: "/wallet/statement?month=2026-99", cookies: []*http.Cookie{session}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("statement of month 2026-99 = %d, want 422", r.StatusCode)
	}
	for _, p := range []string{"/wallet/movements/mv_nope", "/wallet/requests/rq_nope"} {
		if r := do(t, st.handler, request{target: p, cookies: []*http.Cookie{session}}); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, r.StatusCode)
		}
	}
	if got := available(t, st, a.ID, "USD"); got != 100_00 {
		t.Errorf("bad input moved money: %d cents left, want 10000", got)
	}
}

// TestWalletObjectsAreTheirOwners: one user cannot see another's
// movement or a request not addressed to them.
func TestWalletObjectsAreTheirOwners(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	a := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	b := st.mustSignUp(t, "b@example.com", "correct horse battery", "en")
	st.mustSignUp(t, "c@example.com", "correct horse battery", "en")
	st.mustDeposit(t, a.ID, money.Amount{Minor: 50_00, Currency: money.MustCurrency("USD")})
	rq, err := st.wallet.RequestMoney(context.Background(), wallet.CreateRequest{UserID: a.ID, From: b.Email,
		Amount: money.Amount{Minor: 5_00, Currency: money.MustCurrency("USD")}, IdempotencyKey: "rq-key-0001"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.wallet.History(context.Background(), wallet.History{UserID: a.ID})
	if err != nil || len(page.Movements) == 0 {
		t.Fatalf("history: %v", err)
	}
	c := st.mustLogin(t, "c@example.com", "correct horse battery")
	for _, p := range []string{"/wallet/movements/" + page.Movements[0].ID, "/wallet/requests/" + rq.ID} {
		if r := do(t, st.handler, request{target: p, cookies: []*http.Cookie{c}}); r.StatusCode != http.StatusNotFound {
			t.Errorf("another user's GET %s = %d, want 404", p, r.StatusCode)
		}
	}
	if r := post(t, st.handler, "/wallet/requests/"+rq.ID+"/pay", url.Values{}, "192.0.2.1:1000", c); r.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger paying a request addressed to another = %d, want 404", r.StatusCode)
	}
	bs := st.mustLogin(t, "b@example.com", "correct horse battery")
	if r := do(t, st.handler, request{target: "/wallet/requests/" + rq.ID, cookies: []*http.Cookie{bs}}); r.StatusCode != http.StatusOK {
		t.Errorf("the named payer's GET of the request = %d, want 200", r.StatusCode)
	}
}
