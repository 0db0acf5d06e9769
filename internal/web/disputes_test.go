package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/web"
)

// enableTestDisputes turns disputes on in the stack's merchant service,
// with the stack's mailer.
func (st *stack) enableTestDisputes(t *testing.T) {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32), "dispute_evidence")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.merchant.EnableDisputes(merchant.DisputeOptions{Store: st.db.Disputes(), Sealer: box, Mailer: st.mails.Mailer}); err != nil {
		t.Fatal(err)
	}
}

// paidBy is a live balance payment of minor USD cents to a by a new
// shopper who reads pages in locale.
func (st *stack) paidBy(t *testing.T, a merchant.Access, email, locale string, minor int64) (merchant.Payment, auth.User) {
	t.Helper()
	ctx := context.Background()
	u := st.mustSignUp(t, email, "correct horse battery", locale)
	st.mustDeposit(t, u.ID, usdAmount(minor))
	p, err := st.merchant.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: usdAmount(minor), Description: "green tea"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = st.merchant.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	return p, u
}

func (st *stack) staffUser(t *testing.T, email string, role auth.Role) *http.Cookie {
	t.Helper()
	if _, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: email, Password: "staff pass phrase", Role: role,
		Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	return st.mustLogin(t, email, "staff pass phrase")
}

// postEvidence posts the evidence form as a browser does.
func postEvidence(t *testing.T, st *stack, session *http.Cookie, target, text string, files map[string][]byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(web.CSRFFieldName, csrfCookie.Value)
	mw.WriteField("mode", "live")
	mw.WriteField("text", text)
	for name, data := range files {
		fw, err := mw.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, target, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(csrfCookie)
	r.AddCookie(session)
	w := httptest.NewRecorder()
	st.handler.ServeHTTP(w, r)
	return w.Result()
}

func (st *stack) disputeCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := st.db.Read().QueryRow(context.Background(), `SELECT COUNT(*) FROM merchant_disputes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (st *stack) evidenceCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := st.db.Read().QueryRow(context.Background(), `SELECT COUNT(*) FROM merchant_dispute_evidence`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDisputePagesRefuseBadInput: a payer's bad dispute gets a clear
// error in their language (zh-CN and en) and changes nothing; a second
// dispute of the same payment is refused.
func TestDisputePagesRefuseBadInput(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.enableTestDisputes(t)
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "en")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	pZH, buyerZH := st.paidBy(t, acc, "zh@example.com", "zh-CN", 30_00)
	pEN, buyerEN := st.paidBy(t, acc, "en@example.com", "en", 20_00)
	szh := st.mustLogin(t, buyerZH.Email, "correct horse battery")
	sen := st.mustLogin(t, buyerEN.Email, "correct horse battery")

	page := bodyOf(t, get(t, st.handler, "/payments", szh))
	if !strings.Contains(page, pZH.ID) || strings.Contains(page, pEN.ID) {
		t.Errorf("/payments shows the wrong payments:\n%s", page)
	}
	page = bodyOf(t, get(t, st.handler, "/payments/"+pZH.ID, szh))
	if !strings.Contains(page, `id="dispute-form"`) || !strings.Contains(page, "Tea House") || !strings.Contains(page, "未收到商品或服务") {
		t.Errorf("payment page lacks the dispute form in Chinese:\n%s", page)
	}
	cases := []struct {
		who     *http.Cookie
		payment string
		form    url.Values
		want    string
	}{
		{szh, pZH.ID, url.Values{"message": {"没收到"}}, "请选择争议原因。"},
		{szh, pZH.ID, url.Values{"reason": {"angry"}, "message": {"没收到"}}, "请选择争议原因。"},
		{szh, pZH.ID, url.Values{"reason": {"not_received"}, "message": {"   "}}, "请用 1 到 2000 个字描述发生了什么"},
		{sen, pEN.ID, url.Values{"reason": {"other"}, "message": {strings.Repeat("x", 2001)}}, "Describe what happened in 1 to 2,000 characters"},
		{sen, pEN.ID, url.Values{"message": {"hm"}}, "Choose a reason for the dispute."},
	}
	for _, c := range cases {
		resp := post(t, st.handler, "/payments/"+c.payment+"/dispute", c.form, "192.0.2.1:1000", c.who)
		body := bodyOf(t, resp)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("dispute %v = %d, want 422 with %q:\n%s", c.form, resp.StatusCode, c.want, body)
		}
	}
	if n := st.disputeCount(t); n != 0 {
		t.Fatalf("refused disputes left %d rows", n)
	}
	before, _ := merchantAvailableUSD(t, st, acc)

	resp := post(t, st.handler, "/payments/"+pEN.ID+"/dispute", url.Values{"reason": {"not_as_described"}, "message": {"The tea was coffee."}},
		"192.0.2.1:1000", sen)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=disputed") {
		t.Fatalf("dispute = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	page = bodyOf(t, get(t, st.handler, resp.Header.Get("Location"), sen))
	if !strings.Contains(page, "Waiting for the merchant") || strings.Contains(page, `id="dispute-form"`) {
		t.Errorf("payment page after disputing:\n%s", page)
	}
	if after, _ := merchantAvailableUSD(t, st, acc); after != before-20_00 {
		t.Errorf("merchant available %d after the dispute, want %d (held)", after, before-20_00)
	}
	resp = post(t, st.handler, "/payments/"+pEN.ID+"/dispute", url.Values{"reason": {"other"}, "message": {"again"}}, "192.0.2.1:1000", sen)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already been disputed") {
		t.Errorf("second dispute = %d:\n%s", resp.StatusCode, body)
	}
	if n := st.disputeCount(t); n != 1 {
		t.Errorf("disputes = %d, want 1", n)
	}
	// The payer and the merchant's owner were both emailed.
	var n int
	if err := st.db.Read().QueryRow(context.Background(), `SELECT COUNT(*) FROM mail_outbox WHERE rcpt_to LIKE $1 OR rcpt_to LIKE $2`,
		"%en@example.com%", "%owner@example.com%").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Errorf("dispute mail queued = %d, want the payer's and the owner's", n)
	}
}

func merchantAvailableUSD(t *testing.T, st *stack, a merchant.Access) (int64, int64) {
	t.Helper()
	bs, err := st.merchant.Balances(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Currency.Code == "USD" {
			return b.Available.Minor, b.Pending.Minor
		}
	}
	t.Fatal("no USD")
	return 0, 0
}

// TestDisputeAuthorisation: another customer cannot see or dispute a
// payment; another merchant's member cannot see the dispute or answer
// it; a viewer reads but cannot answer; agents cannot decide; a
// supervisor decides once and the payer is paid back.
func TestDisputeAuthorisation(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.enableTestDisputes(t)
	ownerA := st.mustSignUp(t, "a@example.com", "correct horse battery", "en")
	ownerB := st.mustSignUp(t, "b@example.com", "correct horse battery", "zh-CN")
	viewer := st.mustSignUp(t, "v@example.com", "correct horse battery", "en")
	accA := st.mustMerchant(t, ownerA.ID, "Tea House")
	accB := st.mustMerchant(t, ownerB.ID, "Noodle Bar")
	if _, err := st.merchant.Invite(context.Background(), accA, viewer.Email, merchant.Viewer); err != nil {
		t.Fatal(err)
	}
	st.mustPaid(t, accA, "rich@example.com", 200_00)
	p, buyer := st.paidBy(t, accA, "buyer@example.com", "zh-CN", 40_00)
	stranger := st.mustSignUp(t, "stranger@example.com", "correct horse battery", "en")
	sStranger := st.mustLogin(t, stranger.Email, "correct horse battery")
	sBuyer := st.mustLogin(t, buyer.Email, "correct horse battery")
	sa := st.mustLogin(t, ownerA.Email, "correct horse battery")
	sb := st.mustLogin(t, ownerB.Email, "correct horse battery")
	sv := st.mustLogin(t, viewer.Email, "correct horse battery")

	if resp := get(t, st.handler, "/payments/"+p.ID, sStranger); resp.StatusCode != http.StatusNotFound {
		t.Errorf("stranger's GET of the payment = %d, want 404", resp.StatusCode)
	}
	if resp := post(t, st.handler, "/payments/"+p.ID+"/dispute", url.Values{"reason": {"other"}, "message": {"mine"}}, "192.0.2.1:1000", sStranger); resp.StatusCode != http.StatusNotFound {
		t.Errorf("stranger's dispute = %d, want 404", resp.StatusCode)
	}
	if n := st.disputeCount(t); n != 0 {
		t.Fatalf("the stranger opened %d disputes", n)
	}
	resp := post(t, st.handler, "/payments/"+p.ID+"/dispute", url.Values{"reason": {"not_received"}, "message": {"一直没到"}}, "192.0.2.1:1000", sBuyer)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("buyer's dispute = %d", resp.StatusCode)
	}
	ds, err := st.merchant.PayerDisputes(context.Background(), buyer.ID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("payer disputes %v %v", ds, err)
	}
	d := ds[0]
	pathA := "/merchant/" + accA.MerchantID + "/disputes/" + d.ID

	// Merchant B's owner: 404 by either path; nothing submitted.
	for _, target := range []string{pathA + "?mode=live", "/merchant/" + accB.MerchantID + "/disputes/" + d.ID + "?mode=live"} {
		if resp := get(t, st.handler, target, sb); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s by B's owner = %d, want 404", target, resp.StatusCode)
		}
	}
	page := bodyOf(t, get(t, st.handler, "/merchant/"+accB.MerchantID+"/disputes?mode=live", sb))
	if strings.Contains(page, d.ID) || !strings.Contains(page, "暂无争议") {
		t.Errorf("B's dispute list:\n%s", page)
	}
	for _, target := range []string{pathA + "/evidence", "/merchant/" + accB.MerchantID + "/disputes/" + d.ID + "/evidence"} {
		if resp := postEvidence(t, st, sb, target, "not yours", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s by B's owner = %d, want 404", target, resp.StatusCode)
		}
	}
	// The viewer reads, cannot answer.
	page = bodyOf(t, get(t, st.handler, pathA+"?mode=live", sv))
	if !strings.Contains(page, "一直没到") || !strings.Contains(page, `id="read-only"`) || strings.Contains(page, `id="evidence-submit"`) {
		t.Errorf("viewer's dispute page:\n%s", page)
	}
	if resp := postEvidence(t, st, sv, pathA+"/evidence", "viewer", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's evidence = %d, want 403", resp.StatusCode)
	}
	if n := st.evidenceCount(t); n != 0 {
		t.Fatalf("refused evidence stored %d rows", n)
	}
	// The owner: a bad file is refused with a clear error; a good one kept.
	resp = postEvidence(t, st, sa, pathA+"/evidence", "see file", map[string][]byte{"receipt.png": []byte("<script>alert(1)</script>")})
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "must be JPEG, PNG or PDF") {
		t.Errorf("bad evidence = %d:\n%s", resp.StatusCode, body)
	}
	resp = postEvidence(t, st, sa, pathA+"/evidence", "", nil)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Write a statement or attach a file.") {
		t.Errorf("empty evidence = %d:\n%s", resp.StatusCode, body)
	}
	if n := st.evidenceCount(t); n != 0 {
		t.Fatalf("refused evidence stored %d rows", n)
	}
	pic := pngBytes(t)
	resp = postEvidence(t, st, sa, pathA+"/evidence", "Courier record attached.", map[string][]byte{"courier.png": pic})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("owner's evidence = %d: %s", resp.StatusCode, bodyOf(t, resp))
	}
	page = bodyOf(t, get(t, st.handler, pathA+"?mode=live", sa))
	if !strings.Contains(page, "courier.png") || !strings.Contains(page, "Under review") {
		t.Errorf("dispute page after evidence:\n%s", page)
	}
	_, ev, _ := st.merchant.MerchantDispute(context.Background(), accA, d.ID)
	var fileID string
	for _, e := range ev {
		if e.IsFile() {
			fileID = e.ID
		}
	}
	dl := get(t, st.handler, pathA+"/evidence/"+fileID+"?mode=live", sv)
	got, _ := io.ReadAll(dl.Body)
	if dl.StatusCode != http.StatusOK || dl.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, pic) ||
		!strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download = %d %s %s", dl.StatusCode, dl.Header.Get("Content-Type"), dl.Header.Get("Content-Disposition"))
	}
	if resp := get(t, st.handler, "/merchant/"+accB.MerchantID+"/disputes/"+d.ID+"/evidence/"+fileID+"?mode=live", sb); resp.StatusCode != http.StatusNotFound {
		t.Errorf("B downloads A's evidence = %d", resp.StatusCode)
	}

	// Staff: customers are refused; agents read but cannot decide.
	if resp := get(t, st.handler, "/staff/disputes", sBuyer); resp.StatusCode != http.StatusForbidden {
		t.Errorf("customer's /staff/disputes = %d, want 403", resp.StatusCode)
	}
	agent := st.staffUser(t, "agent@okpay.test", auth.RoleAgent)
	page = bodyOf(t, get(t, st.handler, "/staff/disputes/"+d.ID, agent))
	if !strings.Contains(page, "Courier record attached.") || strings.Contains(page, `id="decide-lost"`) {
		t.Errorf("agent's dispute page:\n%s", page)
	}
	if resp := post(t, st.handler, "/staff/disputes/"+d.ID+"/decide", url.Values{"outcome": {"lost"}}, "192.0.2.1:1000", agent); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent's decision = %d, want 403", resp.StatusCode)
	}
	if resp := post(t, st.handler, "/staff/disputes/"+d.ID+"/decide", url.Values{"outcome": {"lost"}}, "192.0.2.1:1000", sa); resp.StatusCode != http.StatusForbidden {
		t.Errorf("merchant owner's decision = %d, want 403", resp.StatusCode)
	}
	if got := available(t, st, buyer.ID, "USD"); got != 0 {
		t.Fatalf("refused decisions paid the buyer %d", got)
	}
	sup := st.staffUser(t, "sup@okpay.test", auth.RoleSupervisor)
	resp = post(t, st.handler, "/staff/disputes/"+d.ID+"/decide", url.Values{"outcome": {"maybe"}}, "192.0.2.1:1000", sup)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose for the merchant or for the customer.") {
		t.Errorf("bad outcome = %d:\n%s", resp.StatusCode, body)
	}
	resp = post(t, st.handler, "/staff/disputes/"+d.ID+"/decide", url.Values{"outcome": {"lost"}, "note": {"no proof of delivery to the buyer"}}, "192.0.2.1:1000", sup)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("supervisor's decision = %d", resp.StatusCode)
	}
	resp = post(t, st.handler, "/staff/disputes/"+d.ID+"/decide", url.Values{"outcome": {"won"}}, "192.0.2.1:1000", sup)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already been decided") {
		t.Errorf("second decision = %d:\n%s", resp.StatusCode, body)
	}
	if got := available(t, st, buyer.ID, "USD"); got != 40_00 {
		t.Errorf("buyer has %d after the decision for the customer, want 4000", got)
	}
	page = bodyOf(t, get(t, st.handler, "/payments/"+p.ID, sBuyer))
	if !strings.Contains(page, "裁决支持客户") {
		t.Errorf("buyer's page after the decision:\n%s", page)
	}
	if resp := postEvidence(t, st, sa, pathA+"/evidence", "late", nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("evidence after the decision = %d, want 422", resp.StatusCode)
	}
}

// TestDisputeEvidenceDeadline: the merchant's page shows the terms and
// the deadline; after it the form is gone and a post is refused with a
// clear error, storing nothing.
func TestDisputeEvidenceDeadline(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	st.enableTestDisputes(t)
	owner := st.mustSignUp(t, "owner@example.com", "correct horse battery", "zh-CN")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.mustPaid(t, acc, "rich@example.com", 100_00)
	p, buyer := st.paidBy(t, acc, "buyer@example.com", "en", 10_00)
	d, err := st.merchant.Dispute(context.Background(), merchant.OpenDispute{PaymentID: p.ID, UserID: buyer.ID,
		Reason: merchant.ReasonDuplicate, Message: "charged twice"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/merchant/" + acc.MerchantID + "/disputes/" + d.ID
	so := st.mustLogin(t, owner.Email, "correct horse battery")
	page := bodyOf(t, get(t, st.handler, "/merchant/"+acc.MerchantID+"/disputes?mode=live", so))
	if !strings.Contains(page, "7 个自然日") || !strings.Contains(page, d.ID) {
		t.Errorf("dispute list lacks the terms or the dispute:\n%s", page)
	}
	page = bodyOf(t, get(t, st.handler, path+"?mode=live", so))
	if !strings.Contains(page, `id="evidence-submit"`) {
		t.Errorf("before the deadline the form is missing:\n%s", page)
	}
	clk.Add(7*24*time.Hour + time.Minute)
	so = st.mustLogin(t, owner.Email, "correct horse battery")
	page = bodyOf(t, get(t, st.handler, path+"?mode=live", so))
	if strings.Contains(page, `id="evidence-submit"`) || !strings.Contains(page, `id="deadline-passed"`) {
		t.Errorf("after the deadline the page still offers the form:\n%s", page)
	}
	resp := postEvidence(t, st, so, path+"/evidence", "late but true", map[string][]byte{"late.png": pngBytes(t)})
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "举证期限已过，无法再提交证据。") {
		t.Errorf("late evidence = %d:\n%s", resp.StatusCode, body)
	}
	if n := st.evidenceCount(t); n != 0 {
		t.Errorf("late evidence stored %d rows", n)
	}
}
