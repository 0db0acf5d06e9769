package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// TestRiskHoldAndReportPages: a held send shows "under review" with its
// reasons; a customer or an agent posting a release gets 403 and moves
// nothing; a supervisor releases it once; "not my transaction" freezes
// sending, which the send form then explains.
func TestRiskHoldAndReportPages(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	a := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	b := st.mustSignUp(t, "b@example.com", "correct horse battery", "en")
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor} {
		if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: string(r) + "@okpay.test", Password: "staff pass phrase", Role: r, Locale: "en", ActorRole: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	st.mustDeposit(t, a.ID, money.Amount{Minor: 900_00, Currency: money.MustCurrency("USD")})
	bw, err := st.wallet.Open(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	session := st.mustLogin(t, a.Email, "correct horse battery")
	form := url.Values{"key": {"f_riskheld00001"}, "to": {string(bw.ID)}, "amount": {"600.00"}, "currency": {"USD"}, "payer": {"sender"}}
	r := post(t, st.handler, "/wallet/send/confirm", form, "192.0.2.1:1000", session)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	mvPath := r.Header.Get("Location")
	page := bodyOf(t, do(t, st.handler, request{target: mvPath, cookies: []*http.Cookie{session}}))
	for _, want := range []string{"Under review", "This payment is under review", "first payment to this recipient", "much higher than you usually pay"} {
		if !strings.Contains(page, want) {
			t.Errorf("the held payment's page lacks %q:\n%s", want, page)
		}
	}
	if got := available(t, st, b.ID, "USD"); got != 0 {
		t.Errorf("payee has %d before review", got)
	}

	sup := st.mustLogin(t, "supervisor@okpay.test", "staff pass phrase")
	agent := st.mustLogin(t, "agent@okpay.test", "staff pass phrase")
	queue := bodyOf(t, do(t, st.handler, request{target: "/staff/risk", cookies: []*http.Cookie{sup}}))
	id := regexp.MustCompile(`/staff/risk/(rc_[a-z2-7]+)/release`).FindStringSubmatch(queue)
	if id == nil {
		t.Fatalf("the supervisor's queue has no release form:\n%s", queue)
	}
	if q := bodyOf(t, do(t, st.handler, request{target: "/staff/risk", cookies: []*http.Cookie{agent}})); !strings.Contains(q, "$600.00") || strings.Contains(q, "/release") {
		t.Errorf("the agent should see the hold without the release form:\n%s", q)
	}
	if r := do(t, st.handler, request{target: "/staff/risk", cookies: []*http.Cookie{session}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a customer's /staff/risk = %d, want 403", r.StatusCode)
	}
	for who, c := range map[string]*http.Cookie{"customer": session, "agent": agent} {
		if r := post(t, st.handler, "/staff/risk/"+id[1]+"/release", url.Values{}, "192.0.2.1:1000", c); r.StatusCode != http.StatusForbidden {
			t.Errorf("a %s releasing = %d, want 403", who, r.StatusCode)
		}
	}
	if got := available(t, st, b.ID, "USD"); got != 0 {
		t.Errorf("payee has %d after refused releases", got)
	}
	if r := post(t, st.handler, "/staff/risk/"+id[1]+"/release", url.Values{"note": {"ok"}}, "192.0.2.1:1000", sup); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("supervisor's release = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	again := post(t, st.handler, "/staff/risk/"+id[1]+"/refuse", url.Values{}, "192.0.2.1:1000", sup)
	if body := bodyOf(t, again); again.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already decided") {
		t.Errorf("refusing after the release = %d:\n%s", again.StatusCode, body)
	}
	if got := available(t, st, b.ID, "USD"); got != 600_00 {
		t.Errorf("payee has %d after the release, want 60000", got)
	}

	// Not my transaction: the report freezes sending.
	r = post(t, st.handler, mvPath[:strings.Index(mvPath, "?")]+"/report", url.Values{"words": {"I did not do this"}}, "192.0.2.1:1000", session)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("report = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	page = bodyOf(t, do(t, st.handler, request{target: r.Header.Get("Location"), cookies: []*http.Cookie{session}}))
	if !strings.Contains(page, "We received your report") || !strings.Contains(page, "What happens next") {
		t.Errorf("after the report the page says:\n%s", page)
	}
	form.Set("key", "f_riskafter0001")
	form.Set("amount", "1.00")
	r = post(t, st.handler, "/wallet/send", form, "192.0.2.1:1000", session)
	if body := bodyOf(t, r); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "sending and withdrawing are paused") {
		t.Errorf("a send after the report = %d:\n%s", r.StatusCode, body)
	}
	if q := bodyOf(t, do(t, st.handler, request{target: "/staff/risk", cookies: []*http.Cookie{agent}})); !strings.Contains(q, "I did not do this") {
		t.Errorf("staff do not see the report:\n%s", q)
	}
	// The agent answering the customer's ticket sees the freeze and the
	// report beside it.
	opened, err := st.support.Open(ctx, support.NewTicket{UserID: a.ID, Category: support.CatAccount, Subject: "Someone paid from my wallet", Body: "Please help", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	console := bodyOf(t, do(t, st.handler, request{target: "/agent/tickets/" + itoa(opened.Ticket.Number), cookies: []*http.Cookie{agent}}))
	for _, want := range []string{"Outgoing payments frozen since", "Reported as not theirs", "I did not do this", "/staff/risk"} {
		if !strings.Contains(console, want) {
			t.Errorf("the console's customer context lacks %q", want)
		}
	}
	if r := post(t, st.handler, "/staff/risk/users/"+itoa(a.ID)+"/lift", url.Values{}, "192.0.2.1:1000", agent); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent lifting = %d, want 403", r.StatusCode)
	}
	if r := post(t, st.handler, "/staff/risk/users/"+itoa(a.ID)+"/lift", url.Values{"note": {"phone call"}}, "192.0.2.1:1000", sup); r.StatusCode != http.StatusSeeOther {
		t.Errorf("supervisor lifting = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	if m, err := st.wallet.Send(ctx, wallet.SendRequest{UserID: a.ID, To: string(bw.ID), Amount: money.Amount{Minor: 1_00, Currency: money.MustCurrency("USD")}}); err != nil || m.Status != wallet.StatusCompleted {
		t.Errorf("send after lifting: %s, %v", m.Status, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestHeldWithdrawalPage: a large withdrawal to a new bank account is held
// for review: its page says so (no "on its way"), nothing is sent, staff
// see it in the queue with the masked account, and once a supervisor
// releases it the page shows it at the bank.
func TestHeldWithdrawalPage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	a := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "supervisor@okpay.test", Password: "staff pass phrase", Role: auth.RoleSupervisor, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	st.mustDeposit(t, a.ID, money.Amount{Minor: 900_00, Currency: money.MustCurrency("USD")})
	session := st.mustLogin(t, a.Email, "correct horse battery")
	form := url.Values{"key": {"f_heldwithdraw01"}, "method": {"bank"}, "account": {"DE89370400440532013000"}, "holder": {"A Customer"}, "amount": {"600.00"}, "currency": {"USD"}}
	r := post(t, st.handler, "/wallet/withdraw/confirm", form, "192.0.2.1:1000", session)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	path := r.Header.Get("Location")
	page := bodyOf(t, do(t, st.handler, request{target: path, cookies: []*http.Cookie{session}}))
	for _, want := range []string{"Under review", "held for a security review before it is sent", "withdrawal-cancel"} {
		if !strings.Contains(page, want) {
			t.Errorf("the held withdrawal's page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `id="done"`) {
		t.Error("a held withdrawal's page says it is on its way")
	}
	sup := st.mustLogin(t, "supervisor@okpay.test", "staff pass phrase")
	queue := bodyOf(t, do(t, st.handler, request{target: "/staff/risk", cookies: []*http.Cookie{sup}}))
	id := regexp.MustCompile(`/staff/risk/(rc_[a-z2-7]+)/release`).FindStringSubmatch(queue)
	if id == nil || !strings.Contains(queue, "DE89 •••• 3000") {
		t.Fatalf("the queue lacks the held withdrawal to DE89 •••• 3000:\n%s", queue)
	}
	if r := post(t, st.handler, "/staff/risk/"+id[1]+"/release", url.Values{"note": {"ok"}}, "192.0.2.1:1000", sup); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("release = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	page = bodyOf(t, do(t, st.handler, request{target: path, cookies: []*http.Cookie{session}}))
	if !strings.Contains(page, "Processing") || strings.Contains(page, "Under review") {
		t.Errorf("after the release the page reads:\n%s", page)
	}
}
