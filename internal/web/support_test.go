package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/web"
)

// assertNoSecret fails when text appears in any support table or the logs.
func assertNoSecret(t *testing.T, st *stack, text string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{"SELECT body FROM support_messages", "SELECT subject FROM support_tickets", "SELECT CAST(raw AS TEXT) FROM mail_outbox"} {
		rows, err := st.db.Read().Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			if strings.Contains(s, text) {
				t.Errorf("%q holds %q", q, text)
			}
		}
		rows.Close()
	}
	if strings.Contains(st.logs.String(), text) {
		t.Errorf("the logs hold %q", text)
	}
}

// supportClient is a signed-in (or not) HTTP client of the stack.
type supportClient struct {
	t      *testing.T
	h      http.Handler
	cookie []*http.Cookie
}

func (c *supportClient) do(method, path string, body io.Reader, ctype string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.50:1234"
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, ck := range c.cookie {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

func signIn(t *testing.T, st *stack, email, password string) *supportClient {
	t.Helper()
	res, err := st.auth.Login(context.Background(), auth.LoginRequest{Email: email, Password: password, IP: "192.0.2.50"})
	if err != nil {
		t.Fatal(err)
	}
	return &supportClient{t: t, h: st.handler, cookie: []*http.Cookie{{Name: web.SessionCookie, Value: res.SessionToken}}}
}

// TestSupportAuthorisation: a customer cannot read another's ticket or
// attachment by any id or URL; an agent cannot take supervisor actions;
// a visitor sees no tickets.
func TestSupportAuthorisation(t *testing.T) {
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	st := newStack(t, func() time.Time { return now }, "https://okpay.localhost", web.Options{})
	ctx := context.Background()
	mei := st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	st.mustSignUp(t, "tom@example.com", "another long phrase", "en")
	agentU, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "en", ActorRole: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	opened, err := st.support.Open(ctx, support.NewTicket{UserID: mei.ID, Category: support.CatAccount, Subject: "cannot sign in", Body: "help",
		Attachments: []support.Attachment{{Name: "s.png", Data: screenshotPNG(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	n := strconv.FormatInt(opened.Ticket.Number, 10)
	_, msgs, err := st.support.View(ctx, auth.Actor{UserID: mei.ID, Role: auth.RoleCustomer}, opened.Ticket.Number)
	if err != nil || len(msgs) == 0 || len(msgs[0].Attachments) == 0 {
		t.Fatalf("owner's view: %v %+v", err, msgs)
	}
	att := strconv.FormatInt(msgs[0].Attachments[0].ID, 10)

	owner := signIn(t, st, "mei@example.com", "a long quiet river")
	if w := owner.do("GET", "/support/attachments/"+att, nil, ""); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("owner's attachment: %d %v", w.Code, w.Header())
	}
	tom := signIn(t, st, "tom@example.com", "another long phrase")
	for _, p := range []string{"/support/tickets/" + n, "/support/attachments/" + att, "/agent/tickets/" + n, "/agent", "/support/tickets/%23" + n} {
		w := tom.do("GET", p, nil, "")
		if w.Code == 200 || strings.Contains(w.Body.String(), "cannot sign in") {
			t.Errorf("another customer GET %s: %d", p, w.Code)
		}
	}
	for _, p := range []string{"/support/tickets/" + n + "/reply", "/support/tickets/" + n + "/rate", "/agent/tickets/" + n + "/reply", "/agent/tickets/" + n + "/note"} {
		w := tom.do("POST", p, strings.NewReader(url.Values{"body": {"x"}, "rating": {"1"}}.Encode()), "application/x-www-form-urlencoded")
		if w.Code < 400 {
			t.Errorf("another customer POST %s: %d", p, w.Code)
		}
	}
	visitor := &supportClient{t: t, h: st.handler}
	for _, p := range []string{"/support/tickets/" + n, "/support/attachments/" + att, "/agent", "/agent/tickets/" + n} {
		w := visitor.do("GET", p, nil, "")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
			t.Errorf("visitor GET %s: %d %s", p, w.Code, w.Header().Get("Location"))
		}
	}
	if w := visitor.do("GET", "/support", nil, ""); w.Code != 200 || strings.Contains(w.Body.String(), "cannot sign in") {
		t.Errorf("visitor's /support shows tickets: %d", w.Code)
	}

	agent := signIn(t, st, "agent@okpay.test", "staff pass phrase")
	if w := agent.do("GET", "/agent/tickets/"+n, nil, ""); w.Code != 200 || !strings.Contains(w.Body.String(), "cannot sign in") {
		t.Fatalf("agent's view: %d", w.Code)
	}
	for _, p := range []string{"/agent/tickets/" + n + "/unlock", "/agent/tickets/" + n + "/outcome", "/agent/canned"} {
		w := agent.do("POST", p, strings.NewReader(url.Values{"body": {"outcome"}, "title": {"t"}}.Encode()), "application/x-www-form-urlencoded")
		if w.Code != http.StatusForbidden {
			t.Errorf("agent POST %s (supervisor only): %d", p, w.Code)
		}
	}
	a := auth.Actor{UserID: agentU.ID, Role: auth.RoleAgent}
	if _, err := st.support.Unlock(ctx, a, opened.Ticket.Number, "", ""); err != support.ErrForbidden {
		t.Errorf("agent Unlock: %v", err)
	}

	// A visitor's form: a bad attachment is refused in their language and
	// changes nothing; the rate limit stops a flood.
	form := func(email string, file []byte) *httptest.ResponseRecorder {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("email", email)
		mw.WriteField("category", "other")
		mw.WriteField("subject", "question")
		mw.WriteField("body", "hello")
		if file != nil {
			fw, _ := mw.CreateFormFile("files", "evil.html")
			fw.Write(file)
		}
		mw.Close()
		return visitor.do("POST", "/support", &b, mw.FormDataContentType())
	}
	if w := form("v@example.org", []byte("<html><script>alert(1)</script>")); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("html attachment: %d", w.Code)
	}
	codes := []int{}
	for i := 0; i < 7; i++ {
		codes = append(codes, form("v@example.org", nil).Code)
	}
	if codes[0] != http.StatusSeeOther || codes[len(codes)-1] != http.StatusTooManyRequests {
		t.Errorf("form flood answered %v", codes)
	}
}
