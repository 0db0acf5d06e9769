package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/web"
)

// chanStack is the site with accounts, the support desk and
// announcements, on a clock the test moves.
type chanStack struct {
	db       *sqlstore.DB
	clk      *clock.Settable
	auth     *auth.Service
	support  *support.Service
	announce *announce.Service
	handler  http.Handler
	logs     *lockedBuffer
}

func newChanStack(t *testing.T, at time.Time) *chanStack {
	t.Helper()
	clk := clock.NewSettable(at)
	db := sqltest.NewDB(t, sqlstore.SQLite, "web", clk.Now)
	outbox, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.test"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := web.NewMailer(web.MailerOptions{Outbox: outbox, BaseURL: "https://okpay.test"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := twofactor.New(twofactor.Config{MasterKey: testMasterKey, Store: db.TwoFactor(), Mailer: mailer, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.TestArgon2, 0), Mailer: mailer, SecondFactor: second.AuthHook(db.TwoFactorTx), Now: clk.Now})
	box, err := secretbox.New(testMasterKey, "support.attachment")
	if err != nil {
		t.Fatal(err)
	}
	desk := support.New(support.Options{Store: db.Support(), Outbox: outbox, Box: box, Now: clk.Now, Config: support.Config{BaseURL: "https://okpay.test"}})
	ann := announce.New(announce.Options{Store: db.Announcements(), Now: clk.Now})
	logs := &lockedBuffer{}
	site := mustSite(t, web.Options{Now: clk.Now, Auth: a, TwoFactor: second, Audit: db.Audit(), Support: desk, Announcements: ann,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	return &chanStack{db: db, clk: clk, auth: a, support: desk, announce: ann, handler: site.Handler(), logs: logs}
}

// staff creates a staff member and returns their signed-in client.
func (st *chanStack) staff(t *testing.T, email string, role auth.Role) *supportClient {
	t.Helper()
	if _, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: email, Password: "staff pass phrase", Role: role, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	return st.login(t, email)
}

// login signs a user in again (sessions expire when the clock moves on).
func (st *chanStack) login(t *testing.T, email string) *supportClient {
	t.Helper()
	res, err := st.auth.Login(context.Background(), auth.LoginRequest{Email: email, Password: "staff pass phrase", IP: "192.0.2.50"})
	if err != nil {
		t.Fatal(err)
	}
	return &supportClient{t: t, h: st.handler, cookie: []*http.Cookie{{Name: web.SessionCookie, Value: res.SessionToken}}}
}

// get fetches path as a visitor in lang with the given cookies.
func (st *chanStack) get(t *testing.T, path, lang string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept-Language", lang)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	st.handler.ServeHTTP(w, r)
	return w
}

var chanTagRE = regexp.MustCompile(`<[^>]+>`)

// text is a page's visible text, tags removed and entities decoded.
func chanText(w *httptest.ResponseRecorder) string { return chanTextOf(w.Body.String()) }

func chanTextOf(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(chanTagRE.ReplaceAllString(s, " "))), " ")
}

func TestChannelsVerifyPage(t *testing.T) {
	st := newChanStack(t, time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
	for _, tt := range []struct {
		lang, value string
		status      int
		want        []string
	}{
		{"en", "0kpay.com", 200, []string{"Warning: “0kpay.com” is not an OKPay channel, and it is made to look like one.",
			"It imitates “okpay.test” with look-alike characters: 0kpay → okpay", "It ends in .com; OKPay's domain is okpay.test."}},
		{"zh-CN", "0kpay.com", 200, []string{"警告：“0kpay.com”不是 OKPay 的官方渠道，而且是在仿冒 OKPay。", "用形似的字符冒充“okpay.test”：0kpay → okpay"}},
		{"en", "okpay-support.com", 200, []string{"It adds words to our name: okpay-support. Our only domain is okpay.test."}},
		{"en", "xn--kpay-45d.test", 200, []string{"really spells: оkpay.test", "It is an internationalised name (xn--); it really spells: оkpay.test",
			"It uses letters from other alphabets that look like Latin ones: о (U+043E Cyrillic) → o"}},
		{"zh-CN", "оkpay.test", 200, []string{"使用了外观与拉丁字母相似的其他文字：о (U+043E Cyrillic) → o"}},
		{"en", "https://okpay.test@evil.example/login", 200, []string{"The link contains @: browsers ignore everything before it and really open evil.example."}},
		{"en", "okpay.secure-login.com", 200, []string{"“okpay” is only on the left: this address really belongs to secure-login.com."}},
		{"en", "http://okpay.test/login", 200, []string{"is on an OKPay domain, but it is not a channel we publish", "The link uses http, not https"}},
		{"en", "support@okpay.test", 200, []string{"“support@okpay.test” is an official OKPay channel.", "It is a channel we publish: support@okpay.test"}},
		{"zh-CN", "+86 400 000 1234", 200, []string{"“+86 400 000 1234”是 OKPay 的官方渠道。"}},
		{"en", "+86 400 000 1243", 200, []string{"It is very close to our number +86 400 000 1234, but not the same."}},
		{"en", "", 422, []string{"Enter an email address, domain, link or phone number to check."}},
		{"zh-CN", "hello world", 422, []string{"无法识别：请输入邮箱地址、域名（如 okpay.test）、网址或电话号码。"}},
		{"en", strings.Repeat("a", 600) + ".com", 422, []string{"That is too long (512 characters at most)."}},
		{"en", "%zz\x00", 422, []string{"We cannot read that"}},
	} {
		w := st.get(t, "/verify?value="+url.QueryEscape(tt.value), tt.lang)
		if w.Code != tt.status {
			t.Errorf("%s %q: status %d, want %d", tt.lang, tt.value, w.Code, tt.status)
		}
		got := chanText(w)
		for _, want := range tt.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s %q: page lacks %q:\n%s", tt.lang, tt.value, want, got)
			}
		}
		if tt.lang == "en" && !strings.Contains(got, "DKIM-signed (d=okpay.test)") {
			t.Errorf("%s %q: the page does not explain DKIM", tt.lang, tt.value)
		}
	}
	// The official list says which lines are staffed, in the reader's zone.
	got := chanText(st.get(t, "/verify", "en", &http.Cookie{Name: web.TimeZoneCookie, Value: "Europe/Berlin"}))
	if !strings.Contains(got, "+86 21 5555 0100 · Phone · in English · Open Open now, until Mon 23 Nov 10:00") || !strings.Contains(got, "Times are shown in your time zone: Europe/Berlin.") {
		t.Errorf("official list with hours:\n%s", got)
	}
	// Without a value: just the form and the official list.
	if w := st.get(t, "/verify", "en"); w.Code != 200 || strings.Contains(w.Body.String(), `id="verdict"`) || !strings.Contains(chanText(w), "+86 21 5555 0100") {
		t.Errorf("empty /verify: %d", w.Code)
	}
}

func TestChannelsVerifyAPI(t *testing.T) {
	st := newChanStack(t, time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
	type reason struct{ Code, Detail, Message string }
	var got struct {
		Value, Kind, Verdict, Message, Host, Unicode, Imitates string
		Official                                               bool
		Channel                                                *struct{ ID, Kind, Value string }
		Reasons                                                []reason
	}
	for _, tt := range []struct {
		lang, value, verdict, message string
		codes                         []string
	}{
		{"en", "0kpay.com", "suspicious", "Warning: “0kpay.com” is not an OKPay channel, and it is made to look like one.", []string{"lookalike", "wrong_tld"}},
		{"zh-CN", "xn--kpay-45d.test", "suspicious", "警告：“xn--kpay-45d.test”不是 OKPay 的官方渠道，而且是在仿冒 OKPay。", []string{"punycode", "confusable", "lookalike"}},
		{"en", "complaints@okpay.test", "official", "“complaints@okpay.test” is an official OKPay channel.", nil},
		{"en", "example.org", "unknown", "“example.org” is not an OKPay channel.", nil},
	} {
		w := st.get(t, "/v1/verify?value="+url.QueryEscape(tt.value), tt.lang)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", tt.value, w.Code, w.Header().Get("Content-Type"))
		}
		got.Channel, got.Reasons, got.Imitates, got.Unicode = nil, nil, "", ""
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Verdict != tt.verdict || got.Message != tt.message || got.Official != (tt.verdict == "official") {
			t.Errorf("%s: verdict %q message %q official %v", tt.value, got.Verdict, got.Message, got.Official)
		}
		var codes []string
		for _, r := range got.Reasons {
			codes = append(codes, r.Code)
			if r.Message == "" {
				t.Errorf("%s: reason %s has no message", tt.value, r.Code)
			}
		}
		if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
			t.Errorf("%s: reasons %v, want %v", tt.value, codes, tt.codes)
		}
	}
	if got.Unicode != "example.org" || got.Imitates != "" {
		t.Errorf("example.org: %+v", got)
	}
	w := st.get(t, "/v1/verify?value=xn--kpay-45d.test", "en")
	got.Imitates, got.Unicode = "", ""
	json.Unmarshal(w.Body.Bytes(), &got)
	if got.Unicode != "оkpay.test" || got.Imitates != "okpay.test" {
		t.Errorf("punycode: unicode %q imitates %q", got.Unicode, got.Imitates)
	}
	w = st.get(t, "/v1/verify?value=complaints@okpay.test", "en")
	json.Unmarshal(w.Body.Bytes(), &got)
	if got.Channel == nil || got.Channel.ID != "complaints" {
		t.Errorf("official address: channel %+v", got.Channel)
	}
	// Bad input: a 400 in the API's error shape, never a 500.
	for _, tt := range []struct{ lang, query, code, message string }{
		{"en", "", "value_missing", "Enter an email address, domain, link or phone number to check."},
		{"zh-CN", "?value=", "value_missing", "请输入要核实的邮箱、域名、网址或电话号码。"},
		{"en", "?value=" + strings.Repeat("x", 700), "value_too_long", "That is too long (512 characters at most)."},
		{"en", "?value=%FF%FE", "value_unrecognized", "We cannot read that: enter an email address, a domain (such as okpay.test), a link or a phone number."},
		{"en", "?value=just+words", "value_unrecognized", "We cannot read that: enter an email address, a domain (such as okpay.test), a link or a phone number."},
	} {
		w := st.get(t, "/v1/verify"+tt.query, tt.lang)
		var e struct {
			Error struct{ Type, Code, Message, Param string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 400 {
			t.Fatalf("%q: %d %s %v", tt.query, w.Code, w.Body, err)
		}
		if e.Error.Type != "invalid_request_error" || e.Error.Code != tt.code || e.Error.Message != tt.message || e.Error.Param != "value" {
			t.Errorf("%q: error %+v", tt.query, e.Error)
		}
	}
}

// TestChannelsContactHours: the contact page converts Shanghai's hours to
// the visitor's zone, before and after the visitor's daylight saving
// change, says whether each line is open now, and closes on holidays.
func TestChannelsContactHours(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	st := newChanStack(t, time.Date(2026, 3, 2, 12, 0, 0, 0, sh)) // Monday noon
	ny := &http.Cookie{Name: web.TimeZoneCookie, Value: "America/New_York"}
	section := func(w *httptest.ResponseRecorder, id string) string {
		body := w.Body.String()
		i := strings.Index(body, `id="channel-`+id+`"`)
		if i < 0 {
			t.Fatalf("no channel %s on the page", id)
		}
		j := strings.Index(body[i:], "</details>")
		return chanTextOf(body[i : i+j])
	}
	w := st.get(t, "/contact", "en", ny)
	if w.Code != 200 {
		t.Fatalf("/contact: %d", w.Code)
	}
	page := chanText(w)
	if !strings.Contains(page, "Times are shown in your time zone: America/New_York.") {
		t.Errorf("zone note missing: %s", page)
	}
	en := section(w, "phone-en")
	for _, want := range []string{"+86 21 5555 0100", "Open now, until Mon 2 Mar 04:00", "Sun 1 Mar：20:00 – Mon 2 Mar 04:00",
		"Usually Mon–Fri, 09:00–17:00 Asia/Shanghai time", "Thu 5 Mar：20:00 – Fri 6 Mar 04:00", "Sat 7 Mar (Asia/Shanghai)：closed"} {
		if !strings.Contains(en, want) {
			t.Errorf("phone-en before the change lacks %q:\n%s", want, en)
		}
	}
	// The week after New York's change: the same Shanghai hours, an hour later there.
	st.clk.Set(time.Date(2026, 3, 9, 8, 59, 0, 0, sh))
	en = section(st.get(t, "/contact", "en", ny), "phone-en")
	for _, want := range []string{"Closed now; opens Sun 8 Mar 21:00", "Sun 8 Mar：21:00 – Mon 9 Mar 05:00"} {
		if !strings.Contains(en, want) {
			t.Errorf("phone-en at 08:59 after the change lacks %q:\n%s", want, en)
		}
	}
	st.clk.Set(time.Date(2026, 3, 9, 9, 0, 0, 0, sh))
	if en := section(st.get(t, "/contact", "en", ny), "phone-en"); !strings.Contains(en, "Open now, until Mon 9 Mar 05:00") {
		t.Errorf("phone-en at 09:00: %s", en)
	}
	// Berlin chosen on the page, in Chinese; 春节 closes the Chinese line.
	st.clk.Set(time.Date(2026, 2, 17, 10, 0, 0, 0, sh))
	w = st.get(t, "/contact?tz=Europe/Berlin", "zh-CN", ny)
	zh := section(w, "phone-zh")
	for _, want := range []string{"现在休息，下次开放：周六 2月21日 02:00", "周二 2月17日 (Asia/Shanghai)：休息（春节）", "周六 2月21日：02:00–14:00", "周一 2月23日 (Asia/Shanghai)：休息（春节）"} {
		if !strings.Contains(zh, want) {
			t.Errorf("phone-zh in Berlin over 春节 lacks %q:\n%s", want, zh)
		}
	}
	if chat := section(w, "chat"); !strings.Contains(chat, "现在开放") {
		t.Errorf("chat over 春节: %s", chat)
	}
	if !strings.Contains(chanText(w), "时间已换算为您的时区：Europe/Berlin。") {
		t.Errorf("zone note in zh-CN: %s", chanText(w))
	}
	// Every page's footer says whether support is staffed, in the reader's zone.
	st.clk.Set(time.Date(2026, 3, 9, 10, 0, 0, 0, sh))
	if got := chanText(st.get(t, "/fees", "en", ny)); !strings.Contains(got, "support@okpay.test (staffed now, until Mon 9 Mar 06:00 America/New_York time)") {
		t.Errorf("footer hours:\n%s", got)
	}
	st.clk.Set(time.Date(2026, 3, 7, 10, 0, 0, 0, sh)) // Saturday
	if got := chanText(st.get(t, "/fees", "zh-CN")); !strings.Contains(got, "（现在休息，周一 3月9日 09:00 开始服务，Asia/Shanghai 时间）") {
		t.Errorf("footer hours on Saturday:\n%s", got)
	}
	// No cookie, no choice: the platform's zone, said so.
	w = st.get(t, "/contact", "en")
	if !strings.Contains(chanText(w), "Times are shown in the platform's time zone, Asia/Shanghai.") {
		t.Errorf("platform zone note missing")
	}
	// A made-up zone is ignored, not an error.
	if w := st.get(t, "/contact?tz=Mars/Olympus", "en", &http.Cookie{Name: web.TimeZoneCookie, Value: "../../etc/passwd"}); w.Code != 200 || !strings.Contains(chanText(w), "Asia/Shanghai.") {
		t.Errorf("bad zones: %d", w.Code)
	}
	// Response times come from the SLA's targets.
	page = chanText(st.get(t, "/contact", "en"))
	for _, want := range []string{"Urgent 1 business hour 1 business day", "High 4 business hours 2 business days", "Normal 1 business day 5 business days", "Complaints 1 business day 10 business days",
		"support@okpay.test", "complaints@okpay.test", "/community"} {
		if !strings.Contains(page, want) {
			t.Errorf("contact page lacks %q", want)
		}
	}
}

// chanPost posts a form as c would, reading English.
func chanPost(c *supportClient, path string, v url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(v.Encode()))
	r.RemoteAddr = "192.0.2.50:1234"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Accept-Language", "en")
	for _, ck := range c.cookie {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// TestChannelsCallbackToAgent: a visitor asks to be called; the request is
// a phone ticket the agents see, with the time in both zones; the agent
// logs the call, masked, on the ticket.
func TestChannelsCallbackToAgent(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	st := newChanStack(t, time.Date(2026, 3, 9, 10, 0, 0, 0, sh))
	visitor := &supportClient{t: t, h: st.handler}
	form := url.Values{"email": {"ann@example.com"}, "phone": {"+1 212 555 0142"}, "line": {"phone-en"}, "tz": {"America/New_York"},
		"time": {"2026-03-09T22:30"}, "note": {"About my withdrawal"}}
	// Bad input first: nothing is created.
	for _, tt := range []struct {
		field, value, want string
	}{
		{"phone", "call me", "Enter a valid phone number"},
		{"time", "2026-03-10T10:00", "That line is not staffed at that time. It next opens Tue 10 Mar 21:00."},
		{"time", "2026-03-01T22:30", "That time has passed"},
		{"time", "tomorrow", "Choose when you would like us to call."},
		{"line", "phone-xx", "Choose a phone line."},
		{"email", "not-an-address", ""},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(tt.field, tt.value)
		w := chanPost(visitor, "/contact/callback", bad)
		if w.Code != http.StatusUnprocessableEntity || (tt.want != "" && !strings.Contains(chanText(w), tt.want)) {
			t.Errorf("%s=%q: %d, want 422 saying %q", tt.field, tt.value, w.Code, tt.want)
		}
	}
	w := chanPost(visitor, "/contact/callback", form)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/support/sent?n=") {
		t.Fatalf("callback: %d %s\n%s", w.Code, w.Header().Get("Location"), chanText(w))
	}
	number := strings.TrimPrefix(w.Header().Get("Location"), "/support/sent?n=")

	agent := st.staff(t, "agent@okpay.test", auth.RoleAgent)
	queue := chanText(agent.do("GET", "/agent?view=unassigned", nil, ""))
	if !strings.Contains(queue, "#"+number) || !strings.Contains(queue, "Callback request +12125550142 · 2026-03-09 22:30 EDT") {
		t.Fatalf("agent queue lacks the callback:\n%s", queue)
	}
	page := chanText(agent.do("GET", "/agent/tickets/"+number, nil, ""))
	for _, want := range []string{"Preferred time: 2026-03-09 22:30 EDT (America/New_York)", "Agents' time: 2026-03-10 10:30 CST (Asia/Shanghai)", "phone"} {
		if !strings.Contains(page, want) {
			t.Errorf("ticket lacks %q", want)
		}
	}
	// The call log.
	if w := chanPost(agent, "/agent/tickets/"+number+"/call", url.Values{"direction": {"out"}, "minutes": {"5"}, "seconds": {"30"},
		"summary": {"Called back; they read out card 4111 1111 1111 1111, told them never to."}}); w.Code != http.StatusSeeOther {
		t.Fatalf("log call: %d\n%s", w.Code, chanText(w))
	}
	page = chanText(agent.do("GET", "/agent/tickets/"+number+"?done=called", nil, ""))
	if !strings.Contains(page, "Outgoing call · 5 min 30 s") || !strings.Contains(page, "The call is logged.") || strings.Contains(page, "4111 1111 1111 1111") || !strings.Contains(page, "told them never to") {
		t.Errorf("timeline after the call:\n%s", page)
	}
	assertNoCard := func() {
		rows, err := st.db.Read().Query(context.Background(), "SELECT body FROM support_messages")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var b string
			rows.Scan(&b)
			if strings.Contains(b, "4111 1111 1111 1111") {
				t.Errorf("a full card number is stored: %q", b)
			}
		}
	}
	assertNoCard()
	for _, bad := range []url.Values{
		{"direction": {"out"}, "minutes": {"x"}, "summary": {"s"}},
		{"direction": {"up"}, "minutes": {"1"}, "summary": {"s"}},
		{"direction": {"in"}, "minutes": {"0"}, "seconds": {"0"}, "summary": {"s"}},
		{"direction": {"in"}, "minutes": {"3"}, "summary": {" "}},
	} {
		if w := chanPost(agent, "/agent/tickets/"+number+"/call", bad); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="call-error"`) {
			t.Errorf("bad call %v: %d", bad, w.Code)
		}
	}
	if w := chanPost(visitor, "/agent/tickets/"+number+"/call", url.Values{"direction": {"in"}, "minutes": {"1"}, "summary": {"x"}}); w.Code < 300 {
		t.Errorf("a visitor logged a call: %d", w.Code)
	}
}

// TestChannelsAnnouncements: a supervisor publishes a maintenance window;
// the banner shows on every page only while it is current; the list and
// the Atom feed carry it.
func TestChannelsAnnouncements(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	st := newChanStack(t, t0)
	agent := st.staff(t, "agent@okpay.test", auth.RoleAgent)
	sup := st.staff(t, "sup@okpay.test", auth.RoleSupervisor)
	form := url.Values{"kind": {"maintenance"}, "title_zh": {"系统维护"}, "title_en": {"Scheduled maintenance"}, "body_en": {"Withdrawals pause."},
		"tz": {"Asia/Shanghai"}, "starts": {"2026-11-23T12:00"}, "ends": {"2026-11-23T14:00"}}
	if w := chanPost(agent, "/staff/announcements", form); w.Code != http.StatusForbidden {
		t.Errorf("agent publishing: %d", w.Code)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("ends", "2026-11-23T11:00")
	if w := chanPost(sup, "/staff/announcements", bad); w.Code != http.StatusUnprocessableEntity || !strings.Contains(chanText(w), "It must end after it starts.") {
		t.Errorf("ends before start: %d", w.Code)
	}
	if w := chanPost(sup, "/staff/announcements", form); w.Code != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", w.Code, chanText(w))
	}
	banner := func(lang string) string {
		w := st.get(t, "/fees", lang)
		b := w.Body.String()
		i := strings.Index(b, `id="banners"`)
		if i < 0 {
			return ""
		}
		return chanTextOf(b[i : i+strings.Index(b[i:], "</div>\n</div>")])
	}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{t0, false},
		{time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC), true}, // 12:00 Shanghai
		{time.Date(2026, 11, 23, 5, 59, 0, 0, time.UTC), true},
		{time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC), false}, // 14:00 ends
	} {
		st.clk.Set(tt.at)
		got := banner("en")
		if (got != "") != tt.want {
			t.Errorf("at %v: banner %q, want shown=%v", tt.at, got, tt.want)
		}
		if tt.want && (!strings.Contains(got, "Scheduled maintenance · Withdrawals pause.") || !strings.Contains(got, "until 23 Nov 2026, 14:00 CST")) {
			t.Errorf("banner text: %q", got)
		}
		if tt.want && !strings.Contains(banner("zh-CN"), "系统维护 · Withdrawals pause.") {
			t.Errorf("zh-CN banner: %q", banner("zh-CN"))
		}
	}
	st.clk.Set(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
	if page := chanText(st.get(t, "/announcements", "en")); !strings.Contains(page, "Scheduled maintenance Current Maintenance") {
		t.Errorf("/announcements: %s", page)
	}
	// The Atom feed parses and carries the entry.
	w := st.get(t, "/announcements.atom", "en")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Author struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Updated   string `xml:"updated"`
			Published string `xml:"published"`
			Link      struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &feed); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, w.Body)
	}
	if feed.ID == "" || feed.Title != "OKPay announcements" || feed.Author.Name != "OKPay" || len(feed.Links) != 2 || feed.Links[0].Rel != "self" || !strings.HasSuffix(feed.Links[0].Href, "/announcements.atom") {
		t.Errorf("feed head: %+v", feed)
	}
	if _, err := time.Parse(time.RFC3339, feed.Updated); err != nil {
		t.Errorf("feed updated %q: %v", feed.Updated, err)
	}
	if len(feed.Entries) != 1 {
		t.Fatalf("entries: %+v", feed.Entries)
	}
	e := feed.Entries[0]
	if !strings.HasPrefix(e.ID, "tag:okpay.test,2026-11-23:announcements/") || e.Title != "Scheduled maintenance" || !strings.Contains(e.Link.Href, "/announcements#a") ||
		!strings.Contains(e.Content, "Withdrawals pause.") || !strings.Contains(e.Content, "From 2026-11-23T04:00:00Z to 2026-11-23T06:00:00Z (UTC)") {
		t.Errorf("entry: %+v", e)
	}
	if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
		t.Errorf("entry updated %q: %v", e.Updated, err)
	}
	// Ending it early takes the banner down.
	sup = st.login(t, "sup@okpay.test")
	if w := chanPost(sup, "/staff/announcements/"+strings.TrimPrefix(e.ID, "tag:okpay.test,2026-11-23:announcements/")+"/end", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("end: %d", w.Code)
	}
	if got := banner("en"); got != "" {
		t.Errorf("banner after ending: %q", got)
	}
	if w := chanPost(sup, "/staff/announcements/999/end", url.Values{}); w.Code != http.StatusNotFound {
		t.Errorf("ending an unknown one: %d", w.Code)
	}
}
