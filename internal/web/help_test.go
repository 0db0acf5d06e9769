package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/web"
)

// newTestHelp is the help centre as okpay serve builds it, with the
// shipped articles loaded.
func newTestHelp(t *testing.T, db *sqlstore.DB, now func() time.Time) *helpcenter.Service {
	t.Helper()
	h := helpcenter.New(helpcenter.Options{Store: db.Help(), Now: now})
	if _, err := h.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

func helpNow() time.Time { return time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC) }

// visitorGet is a GET by a visitor reading lang.
func visitorGet(t *testing.T, h http.Handler, path, lang string) (int, string) {
	t.Helper()
	resp := do(t, h, request{method: "GET", target: path, headers: map[string]string{"Accept-Language": lang}})
	return resp.StatusCode, bodyOf(t, resp)
}

// TestHelpPublicPages: the categories, a search with marked matches, an
// article in the reader's language, on the seeded articles.
func TestHelpPublicPages(t *testing.T) {
	st := newStack(t, helpNow, "https://okpay.localhost", web.Options{})
	code, body := visitorGet(t, st.handler, "/help", "zh-CN")
	if code != 200 || !strings.Contains(body, "账户与密码") || !strings.Contains(body, `href="/help/reset-password"`) || !strings.Contains(body, "提现流程与到账时间") {
		t.Fatalf("/help: %d\n%s", code, body)
	}
	code, body = visitorGet(t, st.handler, "/help/search?q="+url.QueryEscape("退款"), "zh-CN")
	if code != 200 || !strings.Contains(body, `id="help-results"`) {
		t.Fatalf("search 退款: %d\n%s", code, body)
	}
	first := body[strings.Index(body, `id="help-results"`):]
	if i := strings.Index(first, `href="/help/`); i < 0 || !strings.HasPrefix(first[i:], `href="/help/payment-failed"`) {
		t.Errorf("first result is not payment-failed: %s", first[:min(len(first), 400)])
	}
	if !strings.Contains(body, "<mark>退款</mark>") {
		t.Errorf("no marked match in the results")
	}
	code, body = visitorGet(t, st.handler, "/help/withdrawal-process", "en")
	if code != 200 || !strings.Contains(body, "Withdrawals: how they work") || !strings.Contains(body, "<strong>1–3 business days</strong>") || !strings.Contains(body, `<a href="/fees">our fees</a>`) {
		t.Fatalf("article in English: %d\n%s", code, body)
	}
	if !strings.Contains(body, `id="help-yes"`) {
		t.Errorf("no feedback form")
	}
}

// TestHelpBadInput: what cannot be searched or found gets a clear page in
// the reader's language, never a 500.
func TestHelpBadInput(t *testing.T) {
	st := newStack(t, helpNow, "https://okpay.localhost", web.Options{})
	for _, c := range []struct {
		path, lang string
		code       int
		want       string
	}{
		{"/help/search?q=" + strings.Repeat("%E9%80%80", 300), "zh-CN", 400, "搜索内容太长了，请控制在 200 个字以内。"},
		{"/help/search?q=" + strings.Repeat("refund+", 100), "en", 400, "That search is too long"},
		{"/help/search?q=%FF%FE%E9%80%80", "zh-CN", 400, "搜索内容里有无法识别的字符"},
		{"/help/search?q=%FF", "en", 400, "characters we cannot read"},
		{"/help/search?q=%E2%80%A6%21%3F", "zh-CN", 200, "没有可以搜索的词语"},
		{"/help/search?q=", "en", 200, "Type what you want to know"},
		{"/help/search?q=zzqqxx", "en", 200, "No articles match"},
		{"/help/no-such-article", "zh-CN", 404, "没有找到这篇文章"},
		{"/help/no-such-article", "en", 404, "We could not find that article"},
		{"/help/%FF%FE", "en", 404, "We could not find that article"},
		{"/help/" + strings.Repeat("a", 500), "en", 404, "We could not find that article"},
		{"/help/suggest?subject=%FF%00" + strings.Repeat("x", 5000), "en", 200, `{"results":[]`},
	} {
		code, body := visitorGet(t, st.handler, c.path, c.lang)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s (%s) = %d, want %d with %q:\n%.600s", c.path[:min(len(c.path), 60)], c.lang, code, c.code, c.want, body)
		}
	}
	// A vote that is neither yes nor no, or on no article.
	resp := post(t, st.handler, "/help/reset-password/feedback", url.Values{"helpful": {"maybe"}}, "192.0.2.5:1")
	if b := bodyOf(t, resp); resp.StatusCode != 400 || !strings.Contains(b, "请选择“有帮助”或“没有帮助”") {
		t.Errorf("bad vote: %d\n%.400s", resp.StatusCode, b)
	}
	resp = post(t, st.handler, "/help/no-such/feedback", url.Values{"helpful": {"yes"}}, "192.0.2.5:1")
	if resp.StatusCode != 404 {
		t.Errorf("vote on unknown article: %d", resp.StatusCode)
	}
	if strings.Contains(st.logs.String(), `"level":"ERROR"`) {
		t.Errorf("bad input logged errors:\n%s", st.logs.String())
	}
}

// TestHelpFeedbackOncePerVisitor: a visitor's second vote replaces the
// first; staff see the counts; customers cannot open the console.
func TestHelpFeedbackOncePerVisitor(t *testing.T) {
	st := newStack(t, helpNow, "https://okpay.localhost", web.Options{})
	ctx := context.Background()
	resp := post(t, st.handler, "/help/reset-password/feedback", url.Values{"helpful": {"no"}}, "192.0.2.5:1")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/help/reset-password?voted=1#feedback" {
		t.Fatalf("vote: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	voter := cookieNamed(resp, web.HelpVoterCookie)
	if voter == nil || !voter.HttpOnly {
		t.Fatalf("no voter cookie: %v", resp.Cookies())
	}
	post(t, st.handler, "/help/reset-password/feedback", url.Values{"helpful": {"yes"}}, "192.0.2.5:1", voter)
	post(t, st.handler, "/help/reset-password/feedback", url.Values{"helpful": {"yes"}}, "192.0.2.6:1") // another visitor
	code, body := visitorGet(t, st.handler, "/help/reset-password?voted=1", "zh-CN")
	if code != 200 || !strings.Contains(body, "谢谢您的反馈") {
		t.Errorf("thanks: %d", code)
	}

	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "zh-CN", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	agent := signIn(t, st, "agent@okpay.test", "staff pass phrase")
	w := agent.do("GET", "/staff/help", nil, "")
	b := w.Body.String()
	row := b[strings.Index(b, `data-slug="reset-password"`):]
	row = row[:strings.Index(row, "</tr>")]
	if w.Code != 200 || !strings.Contains(row, `<td class="num helpful">2</td>`) || !strings.Contains(row, `<td class="num not-helpful">0</td>`) {
		t.Errorf("staff counts: %d %s", w.Code, row)
	}
	st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	mei := signIn(t, st, "mei@example.com", "a long quiet river")
	for _, p := range []string{"/staff/help", "/staff/help/new", "/staff/help/1"} {
		if w := mei.do("GET", p, nil, ""); w.Code != http.StatusForbidden {
			t.Errorf("customer GET %s: %d", p, w.Code)
		}
	}
	if w := mei.do("POST", "/staff/help/1", strings.NewReader("category=fees&title_en=x&body_en=y&action=publish"), "application/x-www-form-urlencoded"); w.Code != http.StatusForbidden {
		t.Errorf("customer POST: %d", w.Code)
	}
}

// TestHelpStaffDraftsInvisible: a staff draft is not public until
// published; bad input is refused next to its field.
func TestHelpStaffDraftsInvisible(t *testing.T) {
	st := newStack(t, helpNow, "https://okpay.localhost", web.Options{})
	ctx := context.Background()
	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	agent := signIn(t, st, "agent@okpay.test", "staff pass phrase")
	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	const ct = "application/x-www-form-urlencoded"
	w := agent.do("POST", "/staff/help/new", form(url.Values{"slug": {"Bad Slug"}, "category": {"fees"}, "title_en": {"<b>x</b>"}, "body_en": {"y"}}), ct)
	if w.Code != 422 || !strings.Contains(w.Body.String(), "An address name has only lower-case letters") || !strings.Contains(w.Body.String(), `value="&lt;b&gt;x&lt;/b&gt;"`) {
		t.Fatalf("bad slug: %d\n%s", w.Code, w.Body.String())
	}
	w = agent.do("POST", "/staff/help/new", form(url.Values{"slug": {"card-expired"}, "category": {"payments"},
		"title_en": {"My card expired"}, "body_en": {"Add your new card. <script>alert(1)</script>"}}), ct)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", w.Code, w.Body.String())
	}
	edit := w.Header().Get("Location")
	if code, _ := visitorGet(t, st.handler, "/help/card-expired", "en"); code != 404 {
		t.Errorf("draft visible: %d", code)
	}
	if _, body := visitorGet(t, st.handler, "/help/search?q=expired", "en"); strings.Contains(body, "card-expired") {
		t.Errorf("draft found by search")
	}
	path := strings.TrimSuffix(edit, "?done=saved")
	w = agent.do("POST", path, form(url.Values{"category": {"payments"}, "title_en": {"My card expired"},
		"body_en": {"Add your new card. <script>alert(1)</script>"}, "title_zh-CN": {"银行卡过期"}, "body_zh-CN": {"请添加新卡。"}, "action": {"publish"}}), ct)
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?done=published") {
		t.Fatalf("publish: %d %s", w.Code, w.Body.String())
	}
	code, body := visitorGet(t, st.handler, "/help/card-expired", "en")
	if code != 200 || !strings.Contains(body, "My card expired") || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("published article: %d\n%s", code, body)
	}
	if _, body := visitorGet(t, st.handler, "/help/search?q=expired", "en"); !strings.Contains(body, `href="/help/card-expired"`) {
		t.Errorf("published article not found by search")
	}
	// A Chinese reader gets the Chinese text; an English one too (there
	// is English), the fallback note only where a language is missing.
	if _, body := visitorGet(t, st.handler, "/help/card-expired", "zh-CN"); !strings.Contains(body, "银行卡过期") || strings.Contains(body, `id="help-fallback"`) {
		t.Errorf("Chinese reader")
	}
	w = agent.do("POST", "/staff/help/new", form(url.Values{"slug": {"only-chinese"}, "category": {"fees"},
		"title_zh-CN": {"只有中文的文章"}, "body_zh-CN": {"正文。"}}), ct)
	only := strings.TrimSuffix(w.Header().Get("Location"), "?done=saved")
	if w = agent.do("POST", only, form(url.Values{"category": {"fees"}, "title_zh-CN": {"只有中文的文章"}, "body_zh-CN": {"正文。"}, "action": {"publish"}}), ct); w.Code != http.StatusSeeOther {
		t.Fatalf("publish only-chinese: %d %s", w.Code, w.Body.String())
	}
	if code, body := visitorGet(t, st.handler, "/help/only-chinese", "en"); code != 200 || !strings.Contains(body, "This article is not available in English yet; it is shown in 中文 (Chinese).") || !strings.Contains(body, `<article class="help-article" lang="zh-CN">`) {
		t.Errorf("fallback for an English reader: %d\n%s", code, body)
	}
	// Publishing again with nothing changed says so, next to the form.
	w = agent.do("POST", path, form(url.Values{"category": {"payments"}, "title_en": {"My card expired"},
		"body_en": {"Add your new card. <script>alert(1)</script>"}, "title_zh-CN": {"银行卡过期"}, "body_zh-CN": {"请添加新卡。"}, "action": {"publish"}}), ct)
	if w.Code != 422 || !strings.Contains(w.Body.String(), "There is nothing to publish") {
		t.Errorf("publishing nothing: %d", w.Code)
	}
	w = agent.do("POST", path+"/unpublish", form(url.Values{}), ct)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("unpublish: %d", w.Code)
	}
	if code, _ := visitorGet(t, st.handler, "/help/card-expired", "en"); code != 404 {
		t.Errorf("taken-down article: %d", code)
	}
	page, err := audit.List(ctx, st.db.Audit(), audit.Filter{TargetType: "help_article", TargetID: "card-expired"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range page.Events {
		actions = append(actions, ev.Action)
	}
	if got, want := strings.Join(actions, " "), "help_article_unpublished help_article_published help_draft_saved help_article_created"; got != want {
		t.Errorf("audit: %s, want %s", got, want)
	}
}

// TestHelpSuggestionsOnSupportForm: without JavaScript, "search help
// first" reloads the form with the articles found and the words kept as
// the subject; the script's JSON carries text only.
func TestHelpSuggestionsOnSupportForm(t *testing.T) {
	st := newStack(t, helpNow, "https://okpay.localhost", web.Options{})
	code, body := visitorGet(t, st.handler, "/support?help_q="+url.QueryEscape("提现 没到账"), "zh-CN")
	if code != 200 {
		t.Fatalf("GET /support?help_q: %d", code)
	}
	list := body[strings.Index(body, `id="help-suggest-list"`):]
	list = list[:strings.Index(list, "</ul>")]
	if !strings.Contains(list, `href="/help/withdrawal-process"`) || !strings.Contains(list, "<mark>提现</mark>") {
		t.Errorf("suggestions: %s", list)
	}
	if !strings.Contains(body, `id="subject" name="subject" maxlength="200" required value="提现 没到账"`) {
		t.Errorf("the search is not kept as the subject")
	}
	if !strings.Contains(body, `<script src="/static/help.`) {
		t.Errorf("the suggestion script is not on the form")
	}
	_, body = visitorGet(t, st.handler, "/help/suggest?subject="+url.QueryEscape("<b>reset</b> password"), "en")
	if !strings.HasPrefix(body, `{"results":[{"url":"/help/reset-password","title":[`) || strings.Contains(body, "<b>") || !strings.Contains(body, `{"text":"password","mark":true}`) {
		t.Errorf("suggest JSON: %s", body)
	}
}
