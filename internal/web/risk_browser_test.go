package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserHeldSendReleased: a large send to a new payee is held and
// the payer sees "under review" (in Chinese) with the reasons; a
// supervisor releases it at /staff/risk; the payee then has the money.
func TestBrowserHeldSendReleased(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	ctx := context.Background()
	fang := st.mustSignUp(t, "fang@example.com", "a long quiet river", "zh-CN")
	bob := st.mustSignUp(t, "bob@example.com", "another long phrase", "en")
	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "sup@okpay.test", Password: "staff pass phrase",
		Role: auth.RoleSupervisor, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	st.mustDeposit(t, fang.ID, money.Amount{Minor: 700_00, Currency: money.MustCurrency("USD")})
	bw, err := st.wallet.Open(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "fang@example.com", "a long quiet river")
	a.Navigate(srv.URL + "/wallet/send")
	a.Fill("#to", string(bw.ID))
	a.Fill("#amount", "600")
	browsertest.Eval[bool](a, `(document.querySelector("#currency").value = "USD", true)`)
	a.ClickAndWait("#send-continue")
	a.ClickAndWait("#send-confirm")
	if got := a.Text("#status"); got != "审核中" {
		t.Fatalf("the held send's status reads %q, want 审核中:\n%s", got, a.Text("main"))
	}
	held := a.Text("#held")
	for _, want := range []string{"这笔付款正在审核中", "第一次向该收款人付款", "明显高于您平时的付款金额", "全额退回"} {
		if !strings.Contains(held, want) {
			t.Errorf("the held notice lacks %q: %q", want, held)
		}
	}
	a.Navigate(srv.URL + "/wallet/history")
	if got := a.Text("table.movements"); !strings.Contains(got, "审核中") {
		t.Errorf("history does not show the payment under review:\n%s", got)
	}

	s := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	browserLogin(t, s, srv.URL, "sup@okpay.test", "staff pass phrase")
	s.Navigate(srv.URL + "/staff/risk")
	if got := s.Text("#holds"); !strings.Contains(got, "$600.00") || !strings.Contains(got, string(bw.ID)) {
		t.Fatalf("the queue shows %q", got)
	}
	s.ClickAndWait("#holds button.release")
	if got := s.Text("#staff-notice"); !strings.Contains(got, "Released") {
		t.Fatalf("after releasing the queue says %q:\n%s", got, s.Text("main"))
	}

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	browserLogin(t, b, srv.URL, "bob@example.com", "another long phrase")
	b.Navigate(srv.URL + "/wallet")
	if got := b.Text(`#balances tr[data-currency="USD"] .available`); got != "$600.00" {
		t.Errorf("payee's available USD = %q, want $600.00", got)
	}
	a.Navigate(srv.URL + "/wallet/history")
	if got := a.Text("table.movements"); !strings.Contains(got, "已完成") {
		t.Errorf("after the release the payer's history shows:\n%s", got)
	}
}
