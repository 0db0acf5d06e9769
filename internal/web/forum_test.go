package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/forum"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/web"
)

// forumStack is the site with accounts and the forum only, on SQLite,
// with a settable clock.
type forumStack struct {
	db      *sqlstore.DB
	auth    *auth.Service
	forum   *forum.Service
	clk     *clock.Settable
	logs    *lockedBuffer
	site    *web.Site
	handler http.Handler
}

// forumStart is a Tuesday afternoon in Shanghai.
var forumStart = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func newForumStack(t *testing.T, o web.Options) *forumStack {
	t.Helper()
	clk := clock.NewSettable(forumStart.Add(-30 * 24 * time.Hour))
	db := sqltest.NewDB(t, sqlstore.SQLite, "web", clk.Now)
	outbox, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.localhost"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := web.NewMailer(web.MailerOptions{Outbox: outbox, BaseURL: "http://okpay.localhost"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := twofactor.New(twofactor.Config{MasterKey: testMasterKey, Store: db.TwoFactor(), Mailer: mailer, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.TestArgon2, 0), Mailer: mailer,
		SecondFactor: second.AuthHook(db.TwoFactorTx), Now: clk.Now})
	logs := &lockedBuffer{}
	f := forum.New(forum.Options{Store: db.Forum(), Now: clk.Now})
	o.Auth, o.TwoFactor, o.Audit, o.Forum, o.Now = svc, second, db.Audit(), f, clk.Now
	o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	site := mustSite(t, o)
	return &forumStack{db: db, auth: svc, forum: f, clk: clk, logs: logs, site: site, handler: site.Handler()}
}

// user creates an account (a month old, once the clock is moved to
// forumStart by begin).
func (st *forumStack) user(t *testing.T, email string, role auth.Role) auth.User {
	t.Helper()
	// Addresses at example.org read English: the saved language wins over
	// the browser's.
	locale := "zh-CN"
	if strings.HasSuffix(email, "@example.org") {
		locale = "en"
	}
	u, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: email, Password: "a long quiet river", Role: role, Locale: locale, ActorRole: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (st *forumStack) begin() { st.clk.Set(forumStart) }

// forumClient is a browser of the stack: its session, if any, and
// language.
type forumClient struct {
	t      *testing.T
	h      http.Handler
	cookie *http.Cookie
	lang   string
}

func (st *forumStack) signIn(t *testing.T, email string) *forumClient {
	t.Helper()
	res, err := st.auth.Login(context.Background(), auth.LoginRequest{Email: email, Password: "a long quiet river", IP: "192.0.2.50"})
	if err != nil {
		t.Fatal(err)
	}
	return &forumClient{t: t, h: st.handler, cookie: &http.Cookie{Name: web.SessionCookie, Value: res.SessionToken}, lang: "zh-CN"}
}

func (st *forumStack) visitor(t *testing.T) *forumClient {
	return &forumClient{t: t, h: st.handler, lang: "zh-CN"}
}

func (c *forumClient) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.50:1234"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Accept-Language", c.lang)
	if c.cookie != nil {
		r.AddCookie(c.cookie)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	if w.Code >= 500 {
		c.t.Errorf("%s %s: %d", method, path, w.Code)
	}
	return w
}

func (st *forumStack) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := st.db.Read().QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func topicPath(id int64) string { return "/community/t/" + strconv.FormatInt(id, 10) }

// TestForumVisitorsReadButMustLogInToPost: reading is public; every
// posting URL sends a visitor to the login page and stores nothing.
func TestForumVisitorsReadButMustLogInToPost(t *testing.T) {
	st := newForumStack(t, web.Options{})
	mei := st.user(t, "mei@example.com", auth.RoleCustomer)
	st.begin()
	p, err := st.forum.CreateTopic(context.Background(), auth.Actor{UserID: mei.ID, Role: auth.RoleCustomer},
		forum.NewTopic{Category: forum.CatWithdrawals, Title: "提现多久到账", Body: "工作日提交的提现一般多久到？"})
	if err != nil {
		t.Fatal(err)
	}
	v := st.visitor(t)
	w := v.do("GET", "/community", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "提现多久到账") || !strings.Contains(w.Body.String(), `href="/login?next=%2Fcommunity%2Fnew"`) {
		t.Fatalf("public index: %d\n%s", w.Code, st.logs.String())
	}
	w = v.do("GET", topicPath(p.TopicID), nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "工作日提交的提现一般多久到？") || !strings.Contains(w.Body.String(), "登录后回复") {
		t.Fatalf("public topic: %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "mei@example.com") {
		t.Error("the topic page shows the author's email")
	}
	for _, c := range []struct {
		method, path string
	}{
		{"GET", "/community/new"},
		{"POST", "/community/new"},
		{"POST", topicPath(p.TopicID) + "/reply"},
		{"POST", topicPath(p.TopicID) + "/accept"},
		{"POST", "/community/p/" + strconv.FormatInt(p.PostID, 10) + "/report"},
		{"GET", "/community/p/" + strconv.FormatInt(p.PostID, 10) + "/edit"},
		{"GET", "/staff/community"},
		{"POST", "/staff/community/p/" + strconv.FormatInt(p.PostID, 10) + "/hide"},
	} {
		var form url.Values
		if c.method == "POST" {
			form = url.Values{"category": {"other"}, "title": {"Visitor title"}, "body": {"visitor text"}, "post": {"1"}, "reason": {"x"}}
		}
		w := v.do(c.method, c.path, form)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
			t.Errorf("visitor %s %s: %d %q", c.method, c.path, w.Code, w.Header().Get("Location"))
		}
	}
	if n := st.count(t, "SELECT COUNT(*) FROM forum_posts"); n != 1 {
		t.Errorf("%d posts stored, want 1", n)
	}
	if n := st.count(t, "SELECT COUNT(*) FROM forum_reports"); n != 0 {
		t.Errorf("%d reports stored", n)
	}
}

// TestForumOthersCannotAcceptOrEdit: only the topic's author accepts an
// answer and only a post's author edits it; customers reach no
// moderation page.
func TestForumOthersCannotAcceptOrEdit(t *testing.T) {
	st := newForumStack(t, web.Options{})
	st.user(t, "mei@example.com", auth.RoleCustomer)
	st.user(t, "tom@example.com", auth.RoleCustomer)
	st.begin()
	mei, tom := st.signIn(t, "mei@example.com"), st.signIn(t, "tom@example.com")

	w := mei.do("POST", "/community/new", url.Values{"category": {"security"}, "title": {"怎么开启两步验证"}, "body": {"在哪里设置？"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", w.Code, w.Body.String())
	}
	topic := strings.SplitN(strings.TrimPrefix(w.Header().Get("Location"), "/community/t/"), "?", 2)[0]
	w = tom.do("POST", "/community/t/"+topic+"/reply", url.Values{"body": {"在“安全设置”里开启。"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d", w.Code)
	}
	var opening, reply int64
	st.db.Read().QueryRow(context.Background(), "SELECT id FROM forum_posts WHERE opening = 1").Scan(&opening)
	st.db.Read().QueryRow(context.Background(), "SELECT id FROM forum_posts WHERE opening = 0").Scan(&reply)

	// Tom may not accept his own reply on Mei's topic.
	w = tom.do("POST", "/community/t/"+topic+"/accept", url.Values{"post": {strconv.FormatInt(reply, 10)}})
	if w.Code != http.StatusForbidden {
		t.Errorf("another member accepts: %d", w.Code)
	}
	if n := st.count(t, "SELECT COUNT(*) FROM forum_topics WHERE accepted_post_id <> 0"); n != 0 {
		t.Errorf("answer accepted by another member")
	}
	page := tom.do("GET", "/community/t/"+topic, nil).Body.String()
	if strings.Contains(page, `id="accept-`) {
		t.Error("another member is offered the accept button")
	}
	if strings.Contains(page, `href="/community/p/`+strconv.FormatInt(opening, 10)+`/edit"`) {
		t.Error("another member is offered to edit the opening post")
	}
	// Tom may not edit Mei's post.
	edit := "/community/p/" + strconv.FormatInt(opening, 10) + "/edit"
	if w := tom.do("GET", edit, nil); w.Code != http.StatusForbidden {
		t.Errorf("another member's edit page: %d", w.Code)
	}
	if w := tom.do("POST", edit, url.Values{"body": {"changed by tom"}}); w.Code != http.StatusForbidden {
		t.Errorf("another member's edit: %d", w.Code)
	}
	if n := st.count(t, "SELECT COUNT(*) FROM forum_posts WHERE body LIKE '%tom%'"); n != 0 {
		t.Error("another member changed the post")
	}
	for _, p := range []string{"/staff/community/p/" + strconv.FormatInt(reply, 10) + "/hide", "/staff/community/t/" + topic + "/lock", "/staff/community/bans"} {
		if w := mei.do("POST", p, url.Values{"reason": {"x"}, "user": {"1"}}); w.Code != http.StatusForbidden {
			t.Errorf("customer POST %s: %d", p, w.Code)
		}
	}
	if w := mei.do("GET", "/staff/community", nil); w.Code != http.StatusForbidden {
		t.Errorf("customer's moderation page: %d", w.Code)
	}

	// Mei accepts Tom's answer and edits her post.
	w = mei.do("POST", "/community/t/"+topic+"/accept", url.Values{"post": {strconv.FormatInt(reply, 10)}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("author accepts: %d", w.Code)
	}
	page = mei.do("GET", "/community/t/"+topic+"?done=accepted", nil).Body.String()
	if !strings.Contains(page, "已采纳为答案") || !strings.Contains(page, `id="accepted"`) {
		t.Error("no acceptance shown")
	}
	if w := mei.do("POST", edit, url.Values{"body": {"在哪里设置？我用的是安卓手机。"}}); w.Code != http.StatusSeeOther {
		t.Errorf("author's edit: %d", w.Code)
	}
	if page := mei.do("GET", "/community/t/"+topic, nil).Body.String(); !strings.Contains(page, "我用的是安卓手机") || !strings.Contains(page, "已于") {
		t.Error("edit not shown")
	}
}

// TestForumBadInput: empty, too long and invalid UTF-8 input is refused
// with a clear message in the reader's language, what was typed kept
// (masked), and nothing stored.
func TestForumBadInput(t *testing.T) {
	st := newForumStack(t, web.Options{})
	st.user(t, "mei@example.com", auth.RoleCustomer)
	st.user(t, "mei@example.org", auth.RoleCustomer)
	st.begin()
	long := strings.Repeat("很长", forum.MaxBodyLen/2+1)
	cases := []struct {
		name, lang string
		form       url.Values
		want       []string // in the page
		kept       string   // a value shown again
	}{
		{"empty title zh", "zh-CN", url.Values{"category": {"payments"}, "title": {" "}, "body": {"退款没到"}}, []string{"请填写标题。"}, "退款没到"},
		{"empty title en", "en", url.Values{"category": {"payments"}, "title": {""}, "body": {"refund missing"}}, []string{"Please enter a title."}, "refund missing"},
		{"no category zh", "zh-CN", url.Values{"title": {"退款一直没到账"}, "body": {"x"}}, []string{"请选择分类。"}, "退款一直没到账"},
		{"no category en", "en", url.Values{"category": {"<script>"}, "title": {"Refund missing"}, "body": {"x"}}, []string{"Please choose a category."}, "Refund missing"},
		{"empty body zh", "zh-CN", url.Values{"category": {"other"}, "title": {"一个问题"}, "body": {"\n \n"}}, []string{"请填写内容。"}, "一个问题"},
		{"long body zh", "zh-CN", url.Values{"category": {"other"}, "title": {"很长的帖子"}, "body": {long}}, []string{"内容最多 10000 个字"}, "很长的帖子"},
		{"long body en", "en", url.Values{"category": {"other"}, "title": {"A long post"}, "body": {long}}, []string{"at most 10,000 characters"}, "A long post"},
		{"long title en", "en", url.Values{"category": {"other"}, "title": {strings.Repeat("t", 121)}, "body": {"x"}}, []string{"at most 120 characters"}, ""},
		{"invalid utf-8 zh", "zh-CN", url.Values{"category": {"other"}, "title": {"乱码标题"}, "body": {"ab\xff\xfecd"}}, []string{"内容包含无法识别的字符"}, "乱码标题"},
		{"invalid utf-8 en", "en", url.Values{"category": {"other"}, "title": {"Bad \xc3 title"}, "body": {"x"}}, []string{"characters we cannot read"}, ""},
		{"card echoed masked", "zh-CN", url.Values{"category": {"other"}, "title": {""}, "body": {"卡号 4242 4242 4242 4242"}}, []string{"请填写标题。", "424242******4242"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			email := "mei@example.com"
			if c.lang == "en" {
				email = "mei@example.org"
			}
			cl := st.signIn(t, email)
			cl.lang = c.lang
			w := cl.do("POST", "/community/new", c.form)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", w.Code)
			}
			body := w.Body.String()
			for _, s := range append(c.want, c.kept) {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if strings.Contains(body, "4242 4242 4242 4242") {
				t.Error("the card number is echoed")
			}
			if strings.Contains(body, "<script>") && !strings.Contains(c.name, "category") {
				t.Error("unescaped input")
			}
		})
	}
	// Every mistake is marked at once.
	cl := st.signIn(t, "mei@example.com")
	w := cl.do("POST", "/community/new", url.Values{"category": {""}, "title": {""}, "body": {""}})
	for _, want := range []string{"请选择分类。", "请填写标题。", "请填写内容。"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("empty form: page lacks %q", want)
		}
	}
	w = cl.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {"A valid title"}, "body": {"fine"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("valid topic: %d", w.Code)
	}
	topic := strings.SplitN(w.Header().Get("Location"), "?", 2)[0]
	en := st.signIn(t, "mei@example.org")
	for _, c := range []struct {
		lang, body, want string
	}{
		{"zh-CN", "", "请填写内容。"},
		{"en", "  ", "Please write something."},
		{"en", long, "at most 10,000 characters"},
		{"zh-CN", "\xff", "内容包含无法识别的字符"},
	} {
		who := cl
		if c.lang == "en" {
			who = en
		}
		w := who.do("POST", topic+"/reply", url.Values{"body": {c.body}})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("reply %.20q in %s: %d, want 422 with %q", c.body, c.lang, w.Code, c.want)
		}
	}
	// Malformed ids and pages are 404s, never 500s.
	for _, p := range []string{"/community/t/abc", "/community/t/0", "/community/t/99999", "/community/t/1?page=-5", "/community?page=x&c=nope&q=%FF", "/community/p/x/edit"} {
		w := cl.do("GET", p, nil)
		if w.Code != 200 && w.Code != 404 {
			t.Errorf("GET %s: %d", p, w.Code)
		}
	}
	if n := st.count(t, "SELECT COUNT(*) FROM forum_posts"); n != 1 {
		t.Errorf("%d posts stored, want 1", n)
	}
}

// TestForumRateLimitAndBanMessages: a refusal says when posting is
// possible again, or why the member is banned and until when, keeping
// what was typed.
func TestForumRateLimitAndBanMessages(t *testing.T) {
	st := newForumStack(t, web.Options{})
	st.begin()
	st.user(t, "new@example.com", auth.RoleCustomer) // created now: a new account
	st.user(t, "new@example.org", auth.RoleCustomer)
	agent := st.user(t, "agent@okpay.test", auth.RoleAgent)
	cl, en := st.signIn(t, "new@example.com"), st.signIn(t, "new@example.org")
	if w := en.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {"First question"}, "body": {"hello"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("first topic in English: %d", w.Code)
	}
	if w := cl.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {"第一个问题"}, "body": {"你好"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("first topic: %d", w.Code)
	}
	st.clk.Add(10 * time.Minute)
	w := cl.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {"第二个问题"}, "body": {"再问一个"}})
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("second topic: %d", w.Code)
	}
	// An hour after the first topic: 15:00 Shanghai time, in 50 minutes.
	if body := w.Body.String(); !strings.Contains(body, "请在 2026年12月1日 15:00 之后再发（约 50 分钟后）") || !strings.Contains(body, "第二个问题") || !strings.Contains(body, "再问一个") {
		t.Errorf("rate limit page: %s", body)
	}
	w = en.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {"Second question"}, "body": {"again"}})
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "please wait until 1 Dec 2026, 15:00 (about 50 min)") {
		t.Errorf("rate limit page in English: %d", w.Code)
	}
	st.clk.Add(51 * time.Minute)
	cl = st.signIn(t, "new@example.com") // the session went idle meanwhile
	if w := cl.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {"Second question"}, "body": {"again"}}); w.Code != http.StatusSeeOther {
		t.Errorf("after the window: %d", w.Code)
	}

	var me int64
	st.db.Read().QueryRow(context.Background(), "SELECT id FROM users WHERE email = 'new@example.com'").Scan(&me)
	staff := st.signIn(t, "agent@okpay.test")
	w = staff.do("POST", "/staff/community/bans", url.Values{"user": {strconv.FormatInt(me, 10)}, "reason": {"发广告"}, "days": {"3"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("ban: %d %s", w.Code, w.Body.String())
	}
	if n := st.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'forum_user_banned' AND actor_id = "+strconv.FormatInt(agent.ID, 10)); n != 1 {
		t.Errorf("ban audited %d times", n)
	}
	topic := "/community/t/1"
	w = cl.do("POST", topic+"/reply", url.Values{"body": {"我又来了"}})
	if loc := w.Header().Get("Location"); loc != "" {
		t.Fatalf("banned reply redirected to %s", loc)
	}
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "原因：发广告。禁言到 2026年12月4日 15:01 结束。") {
		t.Errorf("banned reply: %d %s", w.Code, w.Body.String())
	}
	if page := cl.do("GET", topic, nil).Body.String(); !strings.Contains(page, `id="reply-banned"`) {
		t.Error("the topic page offers a banned member the reply form")
	}
	// Bad ban input is explained, and changes nothing.
	for _, f := range []url.Values{
		{"user": {"abc"}, "reason": {"x"}},
		{"user": {strconv.FormatInt(me, 10)}, "reason": {""}},
		{"user": {strconv.FormatInt(me, 10)}, "reason": {"x"}, "days": {"-1"}},
		{"user": {strconv.FormatInt(agent.ID, 10)}, "reason": {"x"}},
	} {
		if w := staff.do("POST", "/staff/community/bans", f); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="staff-error"`) {
			t.Errorf("bad ban %v: %d", f, w.Code)
		}
	}
	if n := st.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'forum_user_banned'"); n != 1 {
		t.Errorf("bad bans audited: %d", n)
	}
}

// TestForumTextIsEscaped: what members write is shown as text, with
// paragraphs and links to http(s) URLs only.
func TestForumTextIsEscaped(t *testing.T) {
	st := newForumStack(t, web.Options{})
	st.user(t, "mei@example.com", auth.RoleCustomer)
	st.begin()
	cl := st.signIn(t, "mei@example.com")
	w := cl.do("POST", "/community/new", url.Values{"category": {"other"}, "title": {`<img src=x onerror=alert(1)> 标题`},
		"body": {"第一段 <script>alert(1)</script>\n\n看 https://okpay.test/help?a=1&b=2 和 javascript:alert(2) 和 <a href=\"http://evil.test\">x</a>"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d", w.Code)
	}
	page := cl.do("GET", strings.SplitN(w.Header().Get("Location"), "?", 2)[0], nil).Body.String()
	for _, bad := range []string{"<script>alert(1)", "<img src=x", `href="javascript:`, `<a href="http://evil.test">`} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt; 标题",
		`<a href="https://okpay.test/help?a=1&amp;b=2" rel="nofollow ugc noopener noreferrer">https://okpay.test/help?a=1&amp;b=2</a>`,
		"<p>第一段", "</p>\n    <p>看 "} {
		if !strings.Contains(page, good) {
			t.Errorf("page lacks %q", good)
		}
	}
}

// TestForumSearchPage: the search box finds Chinese and English posts.
func TestForumSearchPage(t *testing.T) {
	st := newForumStack(t, web.Options{})
	mei := st.user(t, "mei@example.com", auth.RoleCustomer)
	st.begin()
	a := auth.Actor{UserID: mei.ID, Role: auth.RoleCustomer}
	for _, n := range []forum.NewTopic{
		{Category: forum.CatPayments, Title: "商家退款多久到账", Body: "原路退回吗？"},
		{Category: forum.CatWithdrawals, Title: "Withdrawal pending", Body: "My withdrawal is still pending."},
	} {
		if _, err := st.forum.CreateTopic(context.Background(), a, n); err != nil {
			t.Fatal(err)
		}
		st.clk.Add(2 * time.Hour)
	}
	v := st.visitor(t)
	w := v.do("GET", "/community?q="+url.QueryEscape("退款"), nil)
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "商家退款多久到账") || strings.Contains(body, "Withdrawal pending") || !strings.Contains(body, "“退款”的搜索结果：1 个主题") {
		t.Errorf("search 退款: %d", w.Code)
	}
	v.lang = "en"
	w = v.do("GET", "/community?q=withdraw", nil)
	if body := w.Body.String(); !strings.Contains(body, "Withdrawal pending") || strings.Contains(body, "商家退款多久到账") {
		t.Errorf("search withdraw: %d", w.Code)
	}
	w = v.do("GET", "/community?q="+url.QueryEscape("比特币"), nil)
	if !strings.Contains(w.Body.String(), "No topics found") {
		t.Errorf("search with no result")
	}
}

// TestForumModerationPages: staff lock and hide a topic from its page
// and restore it; readers see the effects; the return address cannot
// leave the site; malformed requests get 4xx answers.
func TestForumModerationPages(t *testing.T) {
	st := newForumStack(t, web.Options{})
	mei := st.user(t, "mei@example.com", auth.RoleCustomer)
	st.user(t, "tom@example.com", auth.RoleCustomer)
	st.user(t, "sup@okpay.test", auth.RoleSupervisor)
	st.begin()
	p, err := st.forum.CreateTopic(context.Background(), auth.Actor{UserID: mei.ID, Role: auth.RoleCustomer},
		forum.NewTopic{Category: forum.CatSecurity, Title: "账户被冻结了", Body: "登录后提示账户冻结。"})
	if err != nil {
		t.Fatal(err)
	}
	topic := topicPath(p.TopicID)
	sup, tom, v := st.signIn(t, "sup@okpay.test"), st.signIn(t, "tom@example.com"), st.visitor(t)

	w := sup.do("POST", "/staff/community/t/"+strconv.FormatInt(p.TopicID, 10)+"/lock", url.Values{"next": {topic + "?page=1"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != topic+"?page=1&done=locked" {
		t.Fatalf("lock: %d %q", w.Code, w.Header().Get("Location"))
	}
	if page := tom.do("GET", topic, nil).Body.String(); !strings.Contains(page, `id="reply-locked"`) || strings.Contains(page, `id="reply-form"`) {
		t.Error("a locked topic offers the reply form")
	}
	if w := tom.do("POST", topic+"/reply", url.Values{"body": {"还能回复吗"}}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "该主题已锁定") {
		t.Errorf("reply to a locked topic: %d", w.Code)
	}
	w = sup.do("POST", "/staff/community/t/"+strconv.FormatInt(p.TopicID, 10)+"/unlock", url.Values{"next": {"//evil.example/x"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/community?done=unlocked" {
		t.Errorf("unlock with an outside return address: %d %q", w.Code, w.Header().Get("Location"))
	}

	// Hiding needs a reason, in the moderator's language.
	w = sup.do("POST", "/staff/community/t/"+strconv.FormatInt(p.TopicID, 10)+"/hide", url.Values{"reason": {" "}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "请填写原因") {
		t.Errorf("hide without a reason: %d", w.Code)
	}
	if w := sup.do("POST", "/staff/community/t/"+strconv.FormatInt(p.TopicID, 10)+"/hide", url.Values{"reason": {"重复主题"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("hide topic: %d", w.Code)
	}
	if w := v.do("GET", topic, nil); w.Code != http.StatusNotFound {
		t.Errorf("visitor reads a hidden topic: %d", w.Code)
	}
	if body := v.do("GET", "/community", nil).Body.String(); strings.Contains(body, "账户被冻结了") {
		t.Error("the index lists a hidden topic")
	}
	if page := sup.do("GET", topic, nil).Body.String(); !strings.Contains(page, "此主题已被隐藏，只有工作人员能看到。原因：重复主题") {
		t.Error("staff do not see the hidden topic with its reason")
	}
	if w := sup.do("POST", "/staff/community/t/"+strconv.FormatInt(p.TopicID, 10)+"/restore", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("restore: %d", w.Code)
	}
	if w := v.do("GET", topic, nil); w.Code != http.StatusOK {
		t.Errorf("visitor after restoring: %d", w.Code)
	}
	audited := st.count(t, "SELECT COUNT(*) FROM audit_log WHERE action IN ('forum_topic_locked','forum_topic_unlocked','forum_topic_hidden','forum_topic_restored')")
	if audited != 4 {
		t.Errorf("%d moderation actions audited, want 4", audited)
	}

	// Malformed requests.
	for _, c := range []struct {
		path string
		form url.Values
		want int
	}{
		{topic + "/accept", url.Values{"post": {"abc"}}, http.StatusForbidden}, // tom is not the author
		{"/community/t/abc/reply", url.Values{"body": {"x"}}, http.StatusNotFound},
		{"/community/p/99999/report", url.Values{"reason": {"x"}}, http.StatusNotFound},
		{"/community/p/" + strconv.FormatInt(p.PostID, 10) + "/report", url.Values{"reason": {strings.Repeat("长", 501)}}, http.StatusUnprocessableEntity},
		{"/staff/community/bans/abc/lift", nil, http.StatusForbidden},
	} {
		if w := tom.do("POST", c.path, c.form); w.Code != c.want {
			t.Errorf("POST %s: %d, want %d", c.path, w.Code, c.want)
		}
	}
	meiC := st.signIn(t, "mei@example.com")
	if w := meiC.do("POST", topic+"/accept", url.Values{"post": {"abc"}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "只能采纳本主题中的回复") {
		t.Errorf("accepting nothing: %d", w.Code)
	}
	if w := sup.do("POST", "/staff/community/bans/12345/lift", nil); w.Code != http.StatusNotFound {
		t.Errorf("lifting a ban that does not exist: %d", w.Code)
	}
	if n := st.count(t, "SELECT COUNT(*) FROM forum_reports"); n != 0 {
		t.Errorf("%d reports stored", n)
	}
}
