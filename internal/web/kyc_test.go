package web_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/web"
)

// TestSendOverLimitSaysWhichAndWhatIsLeft: a send over the monthly
// limit is refused in the reader's language, naming the limit and what
// is left, and the limits page shows the same.
func TestSendOverLimitSaysWhichAndWhatIsLeft(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	usd := money.MustCurrency("USD")
	for _, c := range []struct {
		email, lang string
		want        []string
	}{
		{"zh@example.com", "zh-CN", []string{"本月的转账额度（US$1,000.00", "本月您还可以转出 US$100.00", "款项未转出"}},
		{"en@example.com", "en", []string{"monthly sending limit ($1,000.00", "You can still send $100.00 this month", "Nothing was sent"}},
	} {
		u := st.mustSignUp(t, c.email, "correct horse battery", c.lang)
		st.mustDeposit(t, u.ID, money.Amount{Minor: 1_500_00, Currency: usd})
		to := st.mustSignUp(t, "to-"+c.email, "correct horse battery", c.lang)
		tw, err := st.wallet.Open(context.Background(), to.ID)
		if err != nil {
			t.Fatal(err)
		}
		session := st.mustLogin(t, u.Email, "correct horse battery")
		send := func(key, amount string) *http.Response {
			return post(t, st.handler, "/wallet/send/confirm", url.Values{"key": {key}, "to": {string(tw.ID)},
				"amount": {amount}, "currency": {"USD"}, "payer": {"sender"}}, "192.0.2.1:1000", session)
		}
		// Two sends under the amount the risk rules hold for review.
		for _, key := range []string{"f_limit_first01", "f_limit_first02"} {
			if r := send(key, "450.00"); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: send %s = %d:\n%s", c.lang, key, r.StatusCode, bodyOf(t, r))
			}
		}
		r := send("f_limit_second1", "200.00")
		body := bodyOf(t, r)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: send over the limit = %d, want 422", c.lang, r.StatusCode)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the refusal does not say %q:\n%s", c.lang, w, textOf(body))
			}
		}
		if got := available(t, st, to.ID, "USD"); got != 900_00 {
			t.Errorf("%s: recipient has %d, want 90000", c.lang, got)
		}
		page := bodyOf(t, do(t, st.handler, request{target: "/account/limits", cookies: []*http.Cookie{session}}))
		if !strings.Contains(page, "$100.00") || !strings.Contains(page, "$900.00") {
			t.Errorf("%s: the limits page does not show 900 used and 100 left:\n%s", c.lang, textOf(page))
		}
	}
}

// textOf strips tags, for readable failure messages.
func textOf(html string) string {
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(html, " ")), " ")
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 32, 24))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a document as a browser does.
func upload(t *testing.T, st *stack, session *http.Cookie, name string, data []byte, level string) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(web.CSRFFieldName, csrfCookie.Value)
	mw.WriteField("kind", "passport")
	mw.WriteField("level", level)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/account/limits/documents", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(csrfCookie)
	r.AddCookie(session)
	w := httptest.NewRecorder()
	st.handler.ServeHTTP(w, r)
	return w.Result()
}

// TestDocumentUploadServedSafely: a file that is not an image or PDF is
// refused whatever its name; a real one is served back to its owner and
// staff only, as an attachment of its sniffed type.
func TestDocumentUploadServedSafely(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	u := st.mustSignUp(t, "doc@example.com", "correct horse battery", "zh-CN")
	st.mustSignUp(t, "other@example.com", "correct horse battery", "en")
	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	session := st.mustLogin(t, u.Email, "correct horse battery")

	r := upload(t, st, session, "photo.png", []byte("<html><script>alert(document.cookie)</script>"+strings.Repeat(" ", 100)+"</html>"), "verified")
	if body := bodyOf(t, r); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "只接受 JPEG、PNG 图片或 PDF 文件") {
		t.Errorf("an HTML file named .png = %d:\n%s", r.StatusCode, textOf(body))
	}
	pic := pngBytes(t)
	if r := upload(t, st, session, "passport.pdf", pic, "verified"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload = %d:\n%s", r.StatusCode, textOf(bodyOf(t, r)))
	}
	page := bodyOf(t, do(t, st.handler, request{target: "/account/limits", cookies: []*http.Cookie{session}}))
	m := regexp.MustCompile(`href="(/account/documents/doc_[0-9a-z]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "审核中") {
		t.Fatalf("the limits page does not list the document under review:\n%s", textOf(page))
	}
	for _, c := range []struct {
		who  *http.Cookie
		want int
	}{
		{session, http.StatusOK},
		{st.mustLogin(t, "agent@okpay.test", "staff pass phrase"), http.StatusOK},
		{st.mustLogin(t, "other@example.com", "correct horse battery"), http.StatusNotFound},
	} {
		r := do(t, st.handler, request{target: m[1], cookies: []*http.Cookie{c.who}})
		if r.StatusCode != c.want {
			t.Errorf("download = %d, want %d", r.StatusCode, c.want)
			continue
		}
		if c.want != http.StatusOK {
			continue
		}
		if got := bodyOf(t, r); got != string(pic) {
			t.Error("the download is not the uploaded file")
		}
		h := r.Header
		if h.Get("Content-Type") != "image/png" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("download headers: %v", h)
		}
	}
}

// TestStaffCorrectionsNeedTwoPeople: on /staff/corrections a supervisor
// cannot approve their own proposal and an agent cannot see the page; a
// second supervisor's approval posts it and the customer's history shows
// it.
func TestStaffCorrectionsNeedTwoPeople(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	ctx := context.Background()
	cust := st.mustSignUp(t, "cust@example.com", "correct horse battery", "zh-CN")
	cw, err := st.wallet.Open(ctx, cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		email string
		role  auth.Role
	}{{"agent@okpay.test", auth.RoleAgent}, {"sup1@okpay.test", auth.RoleSupervisor}, {"sup2@okpay.test", auth.RoleSupervisor}} {
		if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: e.email, Password: "staff pass phrase", Role: e.role, Locale: "en", ActorRole: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	agent := st.mustLogin(t, "agent@okpay.test", "staff pass phrase")
	sup1 := st.mustLogin(t, "sup1@okpay.test", "staff pass phrase")
	sup2 := st.mustLogin(t, "sup2@okpay.test", "staff pass phrase")
	if r := do(t, st.handler, request{target: "/staff/corrections", cookies: []*http.Cookie{agent}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent sees the corrections page: %d", r.StatusCode)
	}
	form := url.Values{"kind": {"goodwill"}, "to": {string(cw.ID)}, "amount": {"25.00"}, "currency": {"CNY"}, "reason": {"ticket 88: fee charged twice"}}
	if r := post(t, st.handler, "/staff/corrections", form, "192.0.2.1:1000", sup1); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose = %d:\n%s", r.StatusCode, textOf(bodyOf(t, r)))
	}
	page := bodyOf(t, do(t, st.handler, request{target: "/staff/corrections", cookies: []*http.Cookie{sup1}}))
	id := regexp.MustCompile(`id="co-(co_[0-9a-z]+)"`).FindStringSubmatch(page)
	if id == nil || strings.Contains(page, "/approve") {
		t.Fatalf("the proposer's page should list the correction without an approve form:\n%s", textOf(page))
	}
	r := post(t, st.handler, "/staff/corrections/"+id[1]+"/approve", url.Values{}, "192.0.2.1:1000", sup1)
	if body := bodyOf(t, r); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "another supervisor must approve it") {
		t.Errorf("the proposer approving = %d:\n%s", r.StatusCode, textOf(body))
	}
	if r := post(t, st.handler, "/staff/corrections/"+id[1]+"/approve", url.Values{}, "192.0.2.1:1000", agent); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent approving = %d, want 403", r.StatusCode)
	}
	if got := available(t, st, cust.ID, "CNY"); got != 0 {
		t.Fatalf("money moved before a second approval: %d", got)
	}
	if r := post(t, st.handler, "/staff/corrections/"+id[1]+"/approve", url.Values{"note": {"ok"}}, "192.0.2.1:1000", sup2); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("second supervisor approving = %d:\n%s", r.StatusCode, textOf(bodyOf(t, r)))
	}
	if got := available(t, st, cust.ID, "CNY"); got != 25_00 {
		t.Errorf("customer has %d fen, want 2500", got)
	}
	hist := bodyOf(t, do(t, st.handler, request{target: "/wallet/history", cookies: []*http.Cookie{st.mustLogin(t, cust.Email, "correct horse battery")}}))
	if !strings.Contains(hist, "账务更正（入账）") {
		t.Errorf("the customer's history does not show the correction:\n%s", textOf(hist))
	}
}
