package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/web"
)

// TestBankDepositAndUnmatchedMoney: the deposit page gives the customer's
// reference; a statement credits the wallet that reference names and
// puts a credit without one in suspense; an agent sees it but cannot move
// it; a supervisor assigns it to a wallet, once.
func TestBankDepositAndUnmatchedMoney(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	cust := st.mustSignUp(t, "li@example.com", "correct horse battery", "en")
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor} {
		if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: string(r) + "@okpay.test", Password: "staff pass phrase", Role: r, Locale: "en", ActorRole: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	session := st.mustLogin(t, cust.Email, "correct horse battery")
	page := bodyOf(t, do(t, st.handler, request{target: "/wallet/deposit?bank=EUR", cookies: []*http.Cookie{session}}))
	m := regexp.MustCompile(`id="bank-reference">([^<]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the deposit page shows no bank reference:\n%s", page)
	}
	ref := m[1]

	var buf bytes.Buffer
	buf.WriteString(connector.CSVHeader() + "\n")
	w := csv.NewWriter(&buf)
	iban := "NL45OKPY0123456789"
	for _, r := range [][]string{
		{"opening", "S1", iban, "2026-11-20", "2026-11-20", "0.00", "EUR", "CRDT", "", "", "", "", "", ""},
		{"entry", "S1", iban, "2026-11-20", "2026-11-20", "25.00", "EUR", "CRDT", "BOOK", "E1", "", "deposit " + ref, "Li Wei", "DE89370400440532013000"},
		{"entry", "S1", iban, "2026-11-20", "2026-11-20", "40.00", "EUR", "CRDT", "BOOK", "E2", "", "for my wallet", "Zhang San", "DE89370400440532013000"},
		{"closing", "S1", iban, "2026-11-20", "2026-11-20", "65.00", "EUR", "CRDT", "", "", "", "", "", ""},
	} {
		w.Write(r)
	}
	w.Flush()
	res, err := st.bank.ImportStatement(ctx, "s1.csv", buf.Bytes(), "test")
	if err != nil || res.Credited != 1 || res.ToSuspense != 1 {
		t.Fatalf("import = %+v, %v; want one credited and one to suspense", res, err)
	}
	if got := available(t, st, cust.ID, "EUR"); got != 25_00 {
		t.Errorf("customer's EUR after the statement = %d, want 2500", got)
	}

	agent := st.mustLogin(t, "agent@okpay.test", "staff pass phrase")
	queue := bodyOf(t, do(t, st.handler, request{target: "/staff/bank", cookies: []*http.Cookie{agent}}))
	if !strings.Contains(queue, "Zhang San") || strings.Contains(queue, "/assign") {
		t.Errorf("the agent's queue should list the entry without the assign form:\n%s", queue)
	}
	id := regexp.MustCompile(`/staff/bank/([^/"]+)/`).FindStringSubmatch(bodyOf(t, do(t, st.handler, request{target: "/staff/bank",
		cookies: []*http.Cookie{st.mustLogin(t, "supervisor@okpay.test", "staff pass phrase")}})))
	if id == nil {
		t.Fatal("the supervisor's queue has no forms")
	}
	wl, err := st.wallet.Open(ctx, cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"wallet": {string(wl.ID)}, "note": {"called the customer"}}
	if r := post(t, st.handler, "/staff/bank/"+id[1]+"/assign", form, "192.0.2.1:1000", agent); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent assigning money = %d, want 403", r.StatusCode)
	}
	sup := st.mustLogin(t, "supervisor@okpay.test", "staff pass phrase")
	if r := post(t, st.handler, "/staff/bank/"+id[1]+"/assign", form, "192.0.2.1:1000", sup); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("supervisor's assign = %d:\n%s", r.StatusCode, bodyOf(t, r))
	}
	again := post(t, st.handler, "/staff/bank/"+id[1]+"/assign", form, "192.0.2.1:1000", sup)
	if body := bodyOf(t, again); again.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already assigned or returned") {
		t.Errorf("assigning twice = %d:\n%s", again.StatusCode, body)
	}
	if got := available(t, st, cust.ID, "EUR"); got != 65_00 {
		t.Errorf("customer's EUR after the assignment = %d, want 6500", got)
	}
	audit := bodyOf(t, do(t, st.handler, request{target: "/staff/audit?action=bank_unmatched_assigned", cookies: []*http.Cookie{sup}}))
	if !strings.Contains(audit, "<code>bank_unmatched_assigned</code>") {
		t.Errorf("the assignment is not in the audit log:\n%s", audit)
	}
}
