package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// mistype changes the last digit of a wallet id, so its check digit no
// longer matches.
func mistype(id string) string {
	last := id[len(id)-1]
	return id[:len(id)-1] + string('0'+(last-'0'+1)%10)
}

// TestBrowserDepositAndSend: a declined card is refused in Chinese with
// nothing charged; a test card deposits; a mistyped wallet id is refused
// before the confirmation page; the send goes through with its fee shown
// first; the recipient sees it in their history.
func TestBrowserDepositAndSend(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.mustSignUp(t, "fang@example.com", "a long quiet river", "zh-CN")
	bob := st.mustSignUp(t, "bob@example.com", "another long phrase", "en")
	bw, err := st.wallet.Open(context.Background(), bob.ID)
	if err != nil {
		t.Fatal(err)
	}

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "fang@example.com", "a long quiet river")
	a.Navigate(srv.URL + "/wallet")
	if id := a.Text("#wallet-id"); len(id) != 11 || !strings.HasPrefix(id, "OK") {
		t.Fatalf("wallet page shows id %q", id)
	}

	deposit := func(number string) int {
		a.Navigate(srv.URL + "/wallet/deposit")
		a.Fill("#card-amount", "200.00")
		a.Fill("#card-number", number)
		a.Fill("#card-exp", "12/30")
		a.Fill("#card-cvc", "739")
		browsertest.Eval[bool](a, `(document.querySelector("#card-currency").value = "CNY", true)`)
		return a.ClickAndWait("#deposit-card-submit")
	}
	if code := deposit("4000 0000 0000 0002"); code != http.StatusUnprocessableEntity {
		t.Errorf("declined card answered %d, want 422", code)
	}
	if got := a.Text("#wallet-error"); !strings.Contains(got, "您的银行卡被发卡行拒绝") || !strings.Contains(got, "未扣款") {
		t.Errorf("declined card message: %q", got)
	}
	if v := a.Value("#card-number"); v != "" {
		t.Errorf("the card number is shown again after the decline: %q", v)
	}
	deposit("4242 4242 4242 4242")
	if got := a.Text("#done"); !strings.Contains(got, "款项已到账") {
		t.Fatalf("after a good card the page says %q:\n%s", got, a.Text("main"))
	}

	// A mistyped wallet id stops at the form.
	a.Navigate(srv.URL + "/wallet/send")
	a.Fill("#to", mistype(string(bw.ID)))
	a.Fill("#amount", "50")
	browsertest.Eval[bool](a, `(document.querySelector("#currency").value = "CNY", true)`)
	a.ClickAndWait("#send-continue")
	if got := a.Text("#wallet-error"); !strings.Contains(got, "校验位不符") {
		t.Fatalf("mistyped wallet id: %q", got)
	}
	if browsertest.Eval[bool](a, `!!document.querySelector("#send-confirm")`) {
		t.Fatal("a mistyped wallet id reached the confirmation page")
	}
	a.Fill("#to", string(bw.ID))
	a.ClickAndWait("#send-continue")
	if got := a.Text("#quote-fee"); !strings.Contains(got, "¥") {
		t.Errorf("confirmation shows fee %q", got)
	}
	if got := a.Text("#quote-to"); !strings.Contains(got, string(bw.ID)) {
		t.Errorf("confirmation shows recipient %q", got)
	}
	a.ClickAndWait("#send-confirm")
	if got := a.Text("#done"); !strings.Contains(got, "款项已转出") {
		t.Fatalf("after sending the page says %q:\n%s", got, a.Text("main"))
	}

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	browserLogin(t, b, srv.URL, "bob@example.com", "another long phrase")
	b.Navigate(srv.URL + "/wallet/history")
	hist := b.Text("table.movements")
	for _, want := range []string{"Received", "CN¥50.00", "Completed"} {
		if !strings.Contains(hist, want) {
			t.Errorf("the recipient's history lacks %q:\n%s", want, hist)
		}
	}
	b.Navigate(srv.URL + "/wallet")
	if got := b.Text(`#balances tr[data-currency="CNY"] .available`); got != "CN¥50.00" {
		t.Errorf("recipient's available CNY = %q, want CN¥50.00", got)
	}
	assertNoCardData(t, st.db, st.logs.String(), "739")
}
