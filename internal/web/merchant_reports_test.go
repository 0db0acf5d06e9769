package web_test

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/i18n"
)

// newTestMerchantExtras are the merchant reports and payouts as okpay
// serve builds them: days of the platform's zone, payouts through two
// bank sandboxes on the platform's business calendar.
func newTestMerchantExtras(t *testing.T, db *sqlstore.DB, m *merchant.Service, w *wallet.Service, now func() time.Time) (*merchant.Reports, *merchant.Payouts) {
	t.Helper()
	cal := calendar.Default()
	reps, err := merchant.NewReports(m, db.MerchantReports(), cal.Location())
	if err != nil {
		t.Fatal(err)
	}
	cfg := connector.SandboxConfig{Now: now, AddBusinessDays: cal.AddBusinessDays}
	pay, err := merchant.NewPayouts(m, merchant.PayoutOptions{Store: db.MerchantReports(),
		Live: adapt.Payer(connector.NewBankSandbox(cfg)), Test: adapt.Payer(connector.NewBankSandbox(cfg)),
		LiveBank: func(ctx context.Context, cur string) (int64, error) {
			return w.PlatformAccount(ctx, wallet.Bank, cur)
		},
		MasterKey: testMasterKey, AddBusinessDays: cal.AddBusinessDays})
	if err != nil {
		t.Fatal(err)
	}
	return reps, pay
}

// wellFormed parses s as XML to its end.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
	}
}

// TestSVGChart: the chart is well-formed XML with its title, description,
// labels and escaped text; all-zero data draws no NaN or Inf.
func TestSVGChart(t *testing.T) {
	c := web.ChartForTest("c1", `Sales <script>&"x"`, "退款 & 净额", []string{"12-01", "12-02", "12-03"},
		[][]int64{{100, 0, 250}, {3, 0, 7}}, []int64{97, -40, 243})
	wellFormed(t, c)
	for _, want := range []string{`<title id="c1-title">Sales &lt;script&gt;&amp;&#34;x&#34;</title>`, `<desc id="c1-desc">退款 &amp; 净额</desc>`,
		`aria-labelledby="c1-title c1-desc"`, `role="img"`, ">12-01<", ">12-03<", "<polyline", "Noto Sans CJK SC"} {
		if !strings.Contains(c, want) {
			t.Errorf("chart lacks %q:\n%s", want, c)
		}
	}
	if strings.Contains(c, "<script") {
		t.Error("text reached the SVG unescaped")
	}
	zero := web.ChartForTest("z", "zero", "nothing", []string{"a", "b"}, [][]int64{{0, 0}}, []int64{0, 0})
	wellFormed(t, zero)
	empty := web.ChartForTest("e", "empty", "no days", nil, nil, nil)
	wellFormed(t, empty)
	for _, s := range []string{zero, empty} {
		if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
			t.Errorf("NaN or Inf in:\n%s", s)
		}
	}
	// Many days: labels thinned, the last one kept.
	var labels []string
	var vals []int64
	for i := range 31 {
		labels = append(labels, time.Date(2026, 12, 1+i%28, 0, 0, 0, 0, time.UTC).Format("01-02")+string(rune('a'+i%26)))
		vals = append(vals, int64(i*1000))
	}
	many := web.ChartForTest("m", "many", "31 days", labels, [][]int64{vals}, nil)
	wellFormed(t, many)
	if n := strings.Count(many, `class="xlabel"`); n > 11 || n < 5 {
		t.Errorf("%d x labels for 31 days", n)
	}
	if !strings.Contains(many, ">"+labels[30]+"<") {
		t.Error("the last day's label is missing")
	}
}

// TestMerchantReportsPageAndCSV: the owner's report shows the chart and
// the day's numbers; the CSV has the same numbers and defuses a formula
// in a description; a bad period is explained; another merchant's
// member gets 404.
func TestMerchantReportsPageAndCSV(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	other := st.mustSignUp(t, "b@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.mustMerchant(t, other.ID, "Noodle Bar")
	ctx := context.Background()
	u := st.mustSignUp(t, "buyer@example.com", "correct horse battery", "en")
	st.mustDeposit(t, u.ID, usdAmount(100_00))
	p, err := st.merchant.CreatePayment(ctx, acc, merchant.PaymentRequest{Amount: usdAmount(80_00), Description: "=SUM(A1:A9)"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = st.merchant.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.merchant.Refund(ctx, acc, merchant.RefundRequest{PaymentID: p.ID, Amount: usdAmount(5_00)}); err != nil {
		t.Fatal(err)
	}
	sa := st.mustLogin(t, owner.Email, "correct horse battery")
	so := st.mustLogin(t, other.Email, "correct horse battery")
	day := stackTime.In(calendar.Default().Location()).Format(time.DateOnly)
	base := "/merchant/" + acc.MerchantID + "/reports"

	resp := get(t, st.handler, base+"?mode=live", sa)
	page := bodyOf(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report = %d:\n%s", resp.StatusCode, page)
	}
	svg := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindString(page)
	if svg == "" {
		t.Fatalf("no chart:\n%s", page)
	}
	wellFormed(t, svg)
	net := p.Captured().Minor - p.Fee - 5_00
	row := regexp.MustCompile(`(?s)<tr data-day="` + day + `">.*?</tr>`).FindString(page)
	for _, want := range []string{"$80.00", "$5.00", moneyText(p.Fee), moneyText(net)} {
		if !strings.Contains(row, want) {
			t.Errorf("the day's row lacks %s: %s", want, row)
		}
	}
	if !strings.Contains(page, `href="/merchant/`+acc.MerchantID+`/reports?mode=test" id="mode-switch"`) {
		t.Error("the mode switch does not stay on the reports")
	}
	if !strings.Contains(page, `id="tab-reports"`) || !strings.Contains(page, `id="tab-payouts"`) || !strings.Contains(page, `id="tab-keys"`) {
		t.Error("the dashboard tabs do not link the new pages")
	}

	resp = get(t, st.handler, "/merchant/"+acc.MerchantID+"/reports.csv?mode=live", sa)
	body := strings.TrimPrefix(bodyOf(t, resp), "\ufeff")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV = %d %v", resp.StatusCode, resp.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var total []string
	guarded := false
	for _, r := range rows {
		if r[2] == "total" && r[0] == day && r[1] == "USD" {
			total = r[5:]
		}
		if r[2] == "payment" && r[3] == p.ID {
			guarded = r[4] == "'=SUM(A1:A9)"
		}
	}
	want := []string{"80.00", decimal(p.Fee), "5.00", decimal(net)}
	if strings.Join(total, ",") != strings.Join(want, ",") {
		t.Errorf("CSV day total %v, want %v:\n%s", total, want, body)
	}
	if !guarded {
		t.Errorf("formula not defused:\n%s", body)
	}

	resp = get(t, st.handler, base+"?mode=live&from=2026-13-40", sa)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="report-error"`) {
		t.Errorf("bad period = %d", resp.StatusCode)
	}
	for _, target := range []string{base + "?mode=live", "/merchant/" + acc.MerchantID + "/reports.csv?mode=live"} {
		if resp := get(t, st.handler, target, so); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s by another merchant's owner = %d, want 404", target, resp.StatusCode)
		}
	}
}

func decimal(minor int64) string {
	neg := ""
	if minor < 0 {
		neg, minor = "-", -minor
	}
	c := minor % 100
	return neg + itoa(minor/100) + "." + string(rune('0'+c/10)) + string(rune('0'+c%10))
}

func moneyText(minor int64) string {
	d := decimal(minor)
	if strings.HasPrefix(d, "-") {
		return "-$" + d[1:]
	}
	return "$" + d
}

// TestMerchantPayoutPages: the owner requests a payout (held at once,
// shown processing), it settles paid on its business day; developers and
// viewers cannot request; a bad IBAN is explained and changes nothing;
// another merchant's member gets 404.
func TestMerchantPayoutPages(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	dev := st.mustSignUp(t, "d@example.com", "correct horse battery", "en")
	viewer := st.mustSignUp(t, "v@example.com", "correct horse battery", "en")
	other := st.mustSignUp(t, "o@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.mustMerchant(t, other.ID, "Noodle Bar")
	ctx := context.Background()
	for _, m := range []struct {
		email string
		role  merchant.Role
	}{{dev.Email, merchant.Developer}, {viewer.Email, merchant.Viewer}} {
		if _, err := st.merchant.Invite(ctx, acc, m.email, m.role); err != nil {
			t.Fatal(err)
		}
	}
	st.mustPaid(t, acc, "buyer@example.com", 100_00)
	sa := st.mustLogin(t, owner.Email, "correct horse battery")
	sd := st.mustLogin(t, dev.Email, "correct horse battery")
	sv := st.mustLogin(t, viewer.Email, "correct horse battery")
	so := st.mustLogin(t, other.Email, "correct horse battery")
	target := "/merchant/" + acc.MerchantID + "/payouts"
	form := url.Values{"mode": {"live"}, "amount": {"30.00"}, "currency": {"USD"}, "iban": {"DE89 3704 0044 0532 0130 00"},
		"holder": {"Tea House Ltd"}, "id": {merchant.NewPayoutID()}}

	page := bodyOf(t, get(t, st.handler, target+"?mode=live", sv))
	if strings.Contains(page, `id="payout-submit"`) || !strings.Contains(page, `id="payout-owners-only"`) {
		t.Error("the viewer is offered the payout form")
	}
	for name, c := range map[string]*http.Cookie{"developer": sd, "viewer": sv} {
		if resp := post(t, st.handler, target, form, "192.0.2.1:1000", c); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s's payout = %d, want 403", name, resp.StatusCode)
		}
	}
	if resp := post(t, st.handler, "/merchant/"+acc.MerchantID+"/payouts", form, "192.0.2.1:1000", so); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant's owner = %d, want 404", resp.StatusCode)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("iban", "DE00 1234")
	resp := post(t, st.handler, target, bad, "192.0.2.1:1000", sa)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "valid IBAN") {
		t.Errorf("bad IBAN = %d:\n%s", resp.StatusCode, body)
	}
	bs, _ := st.merchant.Balances(ctx, acc)
	before := bs[0].Available.Minor

	resp = post(t, st.handler, target, form, "192.0.2.1:1000", sa)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/payouts/po_") {
		t.Fatalf("payout = %d %q:\n%s", resp.StatusCode, loc, bodyOf(t, resp))
	}
	bs, _ = st.merchant.Balances(ctx, acc)
	if got := bs[0].Available.Minor; got != before-30_00 {
		t.Errorf("available %d after the payout, want %d", got, before-30_00)
	}
	page = bodyOf(t, get(t, st.handler, loc, sa))
	if !strings.Contains(page, `id="status">On its way`) || !strings.Contains(page, "DE89 •••• 3000") {
		t.Errorf("payout page:\n%s", page)
	}
	if strings.Contains(page, "DE89370400440532013000") {
		t.Error("the payout page shows the whole IBAN")
	}
	// The same form again is the same payout.
	if again := post(t, st.handler, target, form, "192.0.2.1:1000", sa); again.Header.Get("Location") != loc {
		t.Errorf("a resubmitted form went to %q", again.Header.Get("Location"))
	}
	if resp := get(t, st.handler, strings.Replace(loc, acc.MerchantID, acc.MerchantID, 1), so); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant's owner reads the payout: %d", resp.StatusCode)
	}
	evs, err := st.db.Audit().AuditEvents(ctx, audit.Query{ActorID: owner.ID, Action: "merchant_payout_requested", Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].Details["amount"] != "30.00" || evs[0].Details["merchant"] != acc.MerchantID {
		t.Errorf("payout audit records %v (%v)", evs, err)
	}
	clk.Add(8 * 24 * time.Hour)
	if _, err := st.payouts.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	sa = st.mustLogin(t, owner.Email, "correct horse battery")
	if page := bodyOf(t, get(t, st.handler, loc, sa)); !strings.Contains(page, `id="status">Paid`) {
		t.Errorf("after the business day:\n%s", page)
	}
}

// TestMerchantKeysPage: a developer creates a secret key, shown once and
// never again on any page; rolls it (a new secret, the old revoked);
// revokes it; each change is audited. Viewers get 403, another
// merchant's member 404.
func TestMerchantKeysPage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	dev := st.mustSignUp(t, "d@example.com", "correct horse battery", "en")
	viewer := st.mustSignUp(t, "v@example.com", "correct horse battery", "en")
	other := st.mustSignUp(t, "o@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.mustMerchant(t, other.ID, "Noodle Bar")
	ctx := context.Background()
	for _, m := range []struct {
		email string
		role  merchant.Role
	}{{dev.Email, merchant.Developer}, {viewer.Email, merchant.Viewer}} {
		if _, err := st.merchant.Invite(ctx, acc, m.email, m.role); err != nil {
			t.Fatal(err)
		}
	}
	sd := st.mustLogin(t, dev.Email, "correct horse battery")
	sv := st.mustLogin(t, viewer.Email, "correct horse battery")
	so := st.mustLogin(t, other.Email, "correct horse battery")
	base := "/merchant/" + acc.MerchantID + "/keys"
	secretRE := regexp.MustCompile(`sk_test_[a-z2-7]{52}`)

	resp := post(t, st.handler, base, url.Values{"mode": {"test"}, "kind": {"secret"}, "name": {"server"}}, "192.0.2.1:1000", sd)
	page := bodyOf(t, resp)
	secret := secretRE.FindString(page)
	if resp.StatusCode != http.StatusOK || secret == "" || !strings.Contains(page, `id="key-once"`) {
		t.Fatalf("create = %d:\n%s", resp.StatusCode, page)
	}
	k, err := st.site.APIKeysForTest().Authenticate(ctx, secret)
	if err != nil || k.Owner.ID != acc.MerchantID || k.Mode != apikey.Test {
		t.Fatalf("the new key authenticates as %+v (%v)", k, err)
	}
	for _, target := range []string{base + "?mode=test", base + "?mode=live", "/merchant/" + acc.MerchantID + "?mode=test"} {
		if p := bodyOf(t, get(t, st.handler, target, sd)); strings.Contains(p, secret) || secretRE.MatchString(p) {
			t.Errorf("%s shows the secret again", target)
		}
	}
	if p := bodyOf(t, get(t, st.handler, base+"?mode=test", sd)); !strings.Contains(p, k.Masked()) {
		t.Errorf("the list lacks %s", k.Masked())
	}
	// Viewers and other merchants.
	if resp := get(t, st.handler, base+"?mode=test", sv); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer = %d, want 403", resp.StatusCode)
	}
	if resp := post(t, st.handler, base, url.Values{"mode": {"test"}}, "192.0.2.1:1000", sv); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's create = %d, want 403", resp.StatusCode)
	}
	if resp := get(t, st.handler, base+"?mode=test", so); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant's owner = %d, want 404", resp.StatusCode)
	}
	if resp := post(t, st.handler, base+"/"+k.ID+"/revoke", url.Values{"mode": {"test"}}, "192.0.2.1:1000", so); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant's owner revoking = %d, want 404", resp.StatusCode)
	}

	// Roll: a new secret, the old one refused.
	resp = post(t, st.handler, base+"/"+k.ID+"/roll", url.Values{"mode": {"test"}}, "192.0.2.1:1000", sd)
	page = bodyOf(t, resp)
	rolled := secretRE.FindString(page)
	if resp.StatusCode != http.StatusOK || rolled == "" || rolled == secret || !strings.Contains(page, `id="key-rolled"`) {
		t.Fatalf("roll = %d:\n%s", resp.StatusCode, page)
	}
	if _, err := st.site.APIKeysForTest().Authenticate(ctx, secret); !errors.Is(err, apikey.ErrRevoked) {
		t.Errorf("the rolled key still authenticates: %v", err)
	}
	nk, err := st.site.APIKeysForTest().Authenticate(ctx, rolled)
	if err != nil {
		t.Fatal(err)
	}
	// Revoke the new one.
	resp = post(t, st.handler, base+"/"+nk.ID+"/revoke", url.Values{"mode": {"test"}}, "192.0.2.1:1000", sd)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke = %d", resp.StatusCode)
	}
	if _, err := st.site.APIKeysForTest().Authenticate(ctx, rolled); !errors.Is(err, apikey.ErrRevoked) {
		t.Errorf("the revoked key still authenticates: %v", err)
	}
	// Publishable keys are shown in full.
	page = bodyOf(t, post(t, st.handler, base, url.Values{"mode": {"test"}, "kind": {"publishable"}}, "192.0.2.1:1000", sd))
	pk := regexp.MustCompile(`pk_test_[a-z2-7]{52}`).FindString(page)
	if pk == "" || !strings.Contains(bodyOf(t, get(t, st.handler, base+"?mode=test", sd)), pk) {
		t.Error("the publishable key is not listed in full")
	}
	// Audited.
	evs, err := st.db.Audit().AuditEvents(ctx, audit.Query{ActorID: dev.ID, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if e.TargetType == "api_key" && e.Details["merchant"] == acc.MerchantID {
			seen[e.Action] = true
		}
	}
	for _, a := range []string{"merchant_api_key_created", "merchant_api_key_rolled", "merchant_api_key_revoked"} {
		if !seen[a] {
			t.Errorf("no %s audit record (saw %v)", a, seen)
		}
	}
}

// TestPayoutRefusalsHaveWords: every payout refusal, status and failure
// has a message in every language, so no refusal reaches a page as a 500
// or a bare key.
func TestPayoutRefusalsHaveWords(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys := web.PayoutStatusKeys()
	for _, e := range merchant.PayoutErrors() {
		key, ok := web.PayoutRefusalKeys[merchant.PayoutErrorCode(e)]
		if !ok {
			t.Errorf("%v has no message key", e)
		}
		keys = append(keys, key)
	}
	for _, l := range cat.Locales() {
		for _, k := range keys {
			if !l.Has(k) {
				t.Errorf("%s lacks %q", l.Code(), k)
			}
		}
	}
}

// TestMerchantLargePayoutStepUp: a large payout asks for the owner's
// second factor; a wrong code changes nothing; the right code sends it.
// An owner without a second factor is told to turn it on.
func TestMerchantLargePayoutStepUp(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	owner := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	// Below the large-payment threshold each, above it together.
	st.mustPaid(t, acc, "buyer1@example.com", 900_00)
	st.mustPaid(t, acc, "buyer2@example.com", 900_00)
	sa := st.mustLogin(t, owner.Email, "correct horse battery")
	target := "/merchant/" + acc.MerchantID + "/payouts"
	form := url.Values{"mode": {"live"}, "amount": {"1200.00"}, "currency": {"USD"}, "iban": {"DE89370400440532013000"},
		"holder": {"Tea House Ltd"}, "id": {merchant.NewPayoutID()}}

	resp := post(t, st.handler, target, form, "192.0.2.1:1000", sa)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "two_factor_required") {
		t.Fatalf("without a second factor = %d:\n%s", resp.StatusCode, body)
	}
	secret := st.mustEnableTOTP(t, clk, owner)
	resp = post(t, st.handler, target, form, "192.0.2.1:1000", sa)
	body := bodyOf(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="payout-stepup"`) {
		t.Fatalf("asking for the code = %d:\n%s", resp.StatusCode, body)
	}
	challenge := challengeOf(t, body)
	withCode := func(c string) url.Values {
		v := url.Values{"challenge": {challenge}, "code": {c}}
		for k, vs := range form {
			v[k] = vs
		}
		return v
	}
	resp = post(t, st.handler, target, withCode("000000"), "192.0.2.1:1000", sa)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("wrong code = %d", resp.StatusCode)
	}
	if ps, _ := st.payouts.List(context.Background(), acc, 10); len(ps) != 0 {
		t.Fatalf("a payout was made without the code: %v", ps)
	}
	resp = post(t, st.handler, target, withCode(code(secret, clk)), "192.0.2.1:1000", sa)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/payouts/po_") {
		t.Fatalf("right code = %d:\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	ps, _ := st.payouts.List(context.Background(), acc, 10)
	if len(ps) != 1 || ps[0].Amount.Minor != 1200_00 {
		t.Errorf("payouts %v", ps)
	}
}
