package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
)

// Distinctive text of the home page in each language.
const (
	homeZh = "安全、透明的在线支付"
	homeEn = "Online payments, safe and clear"
)

func mustSite(t *testing.T, o web.Options) *web.Site {
	t.Helper()
	s, err := web.New(o)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return s
}

// request is one request to send to a handler.
type request struct {
	method, target string
	form           url.Values
	headers        map[string]string
	cookies        []*http.Cookie
	remote         string // RemoteAddr; httptest's default is 192.0.2.1:1234
}

func do(t *testing.T, h http.Handler, rq request) *http.Response {
	t.Helper()
	if rq.method == "" {
		rq.method = http.MethodGet
	}
	var body io.Reader
	if rq.form != nil {
		body = strings.NewReader(rq.form.Encode())
	}
	r := httptest.NewRequest(rq.method, rq.target, body)
	if rq.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range rq.headers {
		r.Header.Set(k, v)
	}
	for _, c := range rq.cookies {
		r.AddCookie(c)
	}
	if rq.remote != "" {
		r.RemoteAddr = rq.remote
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var htmlLangRE = regexp.MustCompile(`<html lang="([^"]+)">`)

func htmlLang(body string) string {
	m := htmlLangRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// sameOrigin is what a browser sends with a form posted from our own page.
var sameOrigin = map[string]string{"Sec-Fetch-Site": "same-origin"}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestLocaleNegotiation(t *testing.T) {
	s := mustSite(t, web.Options{})
	// A signed-in user's setting arrives in the request context, put there
	// by the session middleware that later issues add.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := r.Header.Get("X-Test-User-Locale"); code != "" {
			r = r.WithContext(web.WithUserLocale(r.Context(), code))
		}
		s.Handler().ServeHTTP(w, r)
	})
	tests := []struct {
		name           string
		user, cookie   string
		acceptLanguage string
		want           string
	}{
		{"nothing: zh-CN", "", "", "", "zh-CN"},
		{"Accept-Language en", "", "", "en-US,en;q=0.9", "en"},
		{"Accept-Language zh", "", "", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"Accept-Language zh-TW reads zh-CN", "", "", "zh-TW", "zh-CN"},
		{"Accept-Language we lack: zh-CN", "", "", "fr-FR,de;q=0.8", "zh-CN"},
		{"Accept-Language second choice", "", "", "fr-FR,en;q=0.5", "en"},
		{"malformed Accept-Language", "", "", ";;;q=x", "zh-CN"},
		{"cookie beats Accept-Language", "", "zh-CN", "en", "zh-CN"},
		{"cookie en beats Accept-Language zh", "", "en", "zh-CN", "en"},
		{"unknown cookie falls through", "", "fr", "en", "en"},
		{"user setting beats cookie", "en", "zh-CN", "zh-CN", "en"},
		{"unknown user setting falls through", "xx", "en", "", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq := request{target: "/", headers: map[string]string{}}
			if tt.acceptLanguage != "" {
				rq.headers["Accept-Language"] = tt.acceptLanguage
			}
			if tt.user != "" {
				rq.headers["X-Test-User-Locale"] = tt.user
			}
			if tt.cookie != "" {
				rq.cookies = []*http.Cookie{{Name: web.LangCookie, Value: tt.cookie}}
			}
			resp := do(t, h, rq)
			body := bodyOf(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			if got := htmlLang(body); got != tt.want {
				t.Errorf("<html lang> = %q, want %q", got, tt.want)
			}
			if got := resp.Header.Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language = %q, want %q", got, tt.want)
			}
			want := map[string]string{"zh-CN": homeZh, "en": homeEn}[tt.want]
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
			if v := resp.Header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Accept-Language") {
				t.Errorf("Vary = %v, want it to name Accept-Language", v)
			}
		})
	}
}

func TestLanguageSwitcher(t *testing.T) {
	s := mustSite(t, web.Options{})
	h := s.Handler()

	// Every page carries the switcher, returning to that page.
	for _, path := range []string{"/", "/no-such-page?q=1"} {
		body := bodyOf(t, do(t, h, request{target: path}))
		for _, want := range []string{
			`<form class="lang-switch" method="post" action="/lang">`,
			`<input type="hidden" name="next" value="` + strings.ReplaceAll(path, "&", "&amp;") + `">`,
			`name="lang" value="zh-CN"`, `name="lang" value="en"`,
			`>中文</button>`, `>English</button>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: switcher lacks %s", path, want)
			}
		}
	}

	tests := []struct {
		name       string
		form       url.Values
		wantCookie string // "" = no lang cookie
		wantTo     string
	}{
		{"to English", url.Values{"lang": {"en"}, "next": {"/dev/clock?x=1"}}, "en", "/dev/clock?x=1"},
		{"to Chinese", url.Values{"lang": {"zh-CN"}, "next": {"/"}}, "zh-CN", "/"},
		{"unknown language", url.Values{"lang": {"fr"}, "next": {"/"}}, "", "/"},
		{"no next", url.Values{"lang": {"en"}}, "en", "/"},
		{"open redirect refused", url.Values{"lang": {"en"}, "next": {"//evil.example/x"}}, "en", "/"},
		{"absolute URL refused", url.Values{"lang": {"en"}, "next": {"https://evil.example/"}}, "en", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, h, request{method: http.MethodPost, target: "/lang", form: tt.form, headers: sameOrigin})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303", resp.StatusCode)
			}
			if got := resp.Header.Get("Location"); got != tt.wantTo {
				t.Errorf("Location = %q, want %q", got, tt.wantTo)
			}
			c := cookieNamed(resp, web.LangCookie)
			switch {
			case tt.wantCookie == "" && c != nil:
				t.Errorf("set lang cookie %v, want none", c)
			case tt.wantCookie != "" && (c == nil || c.Value != tt.wantCookie):
				t.Errorf("lang cookie = %v, want %q", c, tt.wantCookie)
			case c != nil && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0):
				t.Errorf("lang cookie %v: want HttpOnly, SameSite=Lax, Path=/, persistent", c)
			}
			// The cookie then chooses the language of the next page.
			if c != nil {
				body := bodyOf(t, do(t, h, request{target: "/", cookies: []*http.Cookie{c}, headers: map[string]string{"Accept-Language": "zh-CN"}}))
				if got := htmlLang(body); got != tt.wantCookie {
					t.Errorf("after switching, <html lang> = %q, want %q", got, tt.wantCookie)
				}
			}
		})
	}
}

func TestLanguageCookieSecureOutsideDevelopment(t *testing.T) {
	for _, dev := range []bool{false, true} {
		s := mustSite(t, web.Options{Development: dev})
		resp := do(t, s.Handler(), request{method: http.MethodPost, target: "/lang", form: url.Values{"lang": {"en"}}, headers: sameOrigin})
		for _, name := range []string{web.LangCookie} {
			if c := cookieNamed(resp, name); c == nil || c.Secure == dev {
				t.Errorf("development=%v: %s cookie %v, want Secure=%v", dev, name, c, !dev)
			}
		}
		resp = do(t, s.Handler(), request{target: "/"})
		if c := cookieNamed(resp, web.CSRFCookieName); c == nil || c.Secure == dev || !c.HttpOnly {
			t.Errorf("development=%v: form token cookie %v, want HttpOnly and Secure=%v", dev, c, !dev)
		}
	}
}

func TestNotFoundPage(t *testing.T) {
	s := mustSite(t, web.Options{})
	tests := []struct {
		lang, want string
	}{
		{"", "找不到这个页面"},
		{"zh-CN", "找不到这个页面"},
		{"en", "We can’t find that page"},
	}
	for _, path := range []string{"/no-such-page", "/static/nothing.css", "/dev/clock", "/lang"} {
		for _, tt := range tests {
			resp := do(t, s.Handler(), request{target: path, headers: map[string]string{"Accept-Language": tt.lang}})
			body := bodyOf(t, resp)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status = %d, want 404", path, resp.StatusCode)
			}
			if !strings.Contains(body, tt.want) || !strings.Contains(body, `class="site-footer"`) {
				t.Errorf("GET %s (%s): want the 404 page with %q in the layout, got:\n%s", path, tt.lang, tt.want, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type = %q", path, ct)
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	for _, dev := range []bool{false, true} {
		s := mustSite(t, web.Options{Development: dev})
		for _, path := range []string{"/", "/no-such-page"} {
			resp := do(t, s.Handler(), request{target: path})
			h := resp.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("GET %s: CSP %q lacks %q", path, csp, want)
				}
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
				"X-Frame-Options":        "DENY",
				"Cache-Control":          "no-store",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("GET %s: %s = %q, want %q", path, k, got, want)
				}
			}
			if hsts := h.Get("Strict-Transport-Security"); (hsts != "") == dev {
				t.Errorf("development=%v: Strict-Transport-Security = %q; want it only in production", dev, hsts)
			}
		}
	}
}

var assetRE = regexp.MustCompile(`href="(/static/style\.[0-9a-f]{12}\.css)"`)

func TestStaticAssets(t *testing.T) {
	s := mustSite(t, web.Options{})
	h := s.Handler()
	m := assetRE.FindStringSubmatch(bodyOf(t, do(t, h, request{target: "/"})))
	if m == nil {
		t.Fatal("home page links no hashed stylesheet")
	}
	resp := do(t, h, request{target: m[1]})
	css := bodyOf(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(css, `"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif`) {
		t.Fatalf("GET %s = %d, want the stylesheet with the CJK font stack", m[1], resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Type":           "text/css; charset=utf-8",
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if resp := do(t, h, request{target: m[1], headers: map[string]string{"If-None-Match": etag}}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status = %d, want 304", resp.StatusCode)
	}
	// A page from a node with another version asks for another hash: it
	// gets the current file, revalidated rather than cached for a year.
	resp = do(t, h, request{target: "/static/style.000000000000.css"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old hash: %d, Cache-Control %q; want 200 no-cache", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

// TestCrossOriginProtection proves a state-changing request from another
// site is refused with the 403 page in the reader's language, and one from
// our own pages passes.
func TestCrossOriginProtection(t *testing.T) {
	s := mustSite(t, web.Options{TrustedOrigins: []string{"https://pay.okpay.test"}})
	h := s.Handler()
	token := cookieNamed(do(t, h, request{target: "/"}), web.CSRFCookieName)
	if token == nil {
		t.Fatal("GET / issued no form token cookie")
	}
	otherToken := &http.Cookie{Name: web.CSRFCookieName, Value: strings.Repeat("A", 43)}
	form := func(tok string) url.Values {
		v := url.Values{"lang": {"en"}, "next": {"/"}}
		if tok != "" {
			v.Set(web.CSRFFieldName, tok)
		}
		return v
	}
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		cookies []*http.Cookie
		form    url.Values
		allowed bool
	}{
		{"same-origin fetch", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, nil, form(""), true},
		{"typed by the user", "POST", map[string]string{"Sec-Fetch-Site": "none"}, nil, form(""), true},
		{"cross-site fetch", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, form(""), false},
		{"same-site other origin", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, nil, form(""), false},
		{"cross-site even with the token", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, []*http.Cookie{token}, form(token.Value), false},
		{"Origin of another site", "POST", map[string]string{"Origin": "https://evil.example"}, nil, form(""), false},
		{"Origin of this host", "POST", map[string]string{"Origin": "http://example.com"}, nil, form(""), true},
		{"trusted origin", "POST", map[string]string{"Origin": "https://pay.okpay.test"}, nil, form(""), true},
		{"no headers, no token", "POST", nil, nil, form(""), false},
		{"no headers, matching token", "POST", nil, []*http.Cookie{token}, form(token.Value), true},
		{"no headers, token field without cookie", "POST", nil, nil, form(token.Value), false},
		{"no headers, another browser's token", "POST", nil, []*http.Cookie{otherToken}, form(token.Value), false},
		{"cross-site PUT", "PUT", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, form(""), false},
		{"cross-site PATCH", "PATCH", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, form(""), false},
		{"cross-site DELETE", "DELETE", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, form(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"Accept-Language": "en"}
			for k, v := range tt.headers {
				hdr[k] = v
			}
			resp := do(t, h, request{method: tt.method, target: "/lang", form: tt.form, headers: hdr, cookies: tt.cookies})
			body := bodyOf(t, resp)
			if tt.allowed {
				if resp.StatusCode != http.StatusSeeOther || cookieNamed(resp, web.LangCookie) == nil {
					t.Errorf("status = %d, want the switch to happen (303 with a lang cookie)", resp.StatusCode)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status = %d, want 403", resp.StatusCode)
			}
			if !strings.Contains(body, "This request was refused") || !strings.Contains(body, `class="site-footer"`) {
				t.Errorf("want the 403 page in English, got:\n%s", body)
			}
			if c := cookieNamed(resp, web.LangCookie); c != nil {
				t.Errorf("a refused request still set %v", c)
			}
		})
	}

	// The 403 page speaks the reader's language.
	resp := do(t, h, request{method: "POST", target: "/lang", form: form(""), headers: map[string]string{"Sec-Fetch-Site": "cross-site"}})
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "这个请求被拒绝了") {
		t.Errorf("403 in zh-CN: status %d, body:\n%s", resp.StatusCode, body)
	}
}

// fixedReal is a "real" time that stands still, so the page shows exactly
// what the test set.
func fixedReal() time.Time { return time.Date(2026, 11, 22, 6, 5, 0, 0, time.UTC) }

func devSite(t *testing.T) (http.Handler, *clock.Offset) {
	t.Helper()
	clk := clock.NewOffset(fixedReal)
	s := mustSite(t, web.Options{Development: true, DevClock: clk})
	return s.Handler(), clk
}

const loopback = "127.0.0.1:50000"

func TestDevClockOnlyInDevelopmentForLoopback(t *testing.T) {
	clk := clock.NewOffset(fixedReal)
	prod := mustSite(t, web.Options{DevClock: clk}).Handler() // production ignores DevClock
	dev, _ := devSite(t)
	tests := []struct {
		name   string
		h      http.Handler
		remote string
		want   int
	}{
		{"production, loopback", prod, loopback, http.StatusNotFound},
		{"production, remote", prod, "203.0.113.9:4000", http.StatusNotFound},
		{"development, IPv4 loopback", dev, loopback, http.StatusOK},
		{"development, IPv6 loopback", dev, "[::1]:50000", http.StatusOK},
		{"development, remote", dev, "203.0.113.9:4000", http.StatusNotFound},
		{"development, LAN", dev, "192.168.1.20:4000", http.StatusNotFound},
		{"development, remote claiming loopback", dev, "203.0.113.9:4000", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if strings.Contains(tt.name, "claiming") {
				hdr["X-Forwarded-For"] = "127.0.0.1"
				hdr["X-Real-IP"] = "127.0.0.1"
			}
			resp := do(t, tt.h, request{target: "/dev/clock", remote: tt.remote, headers: hdr})
			if resp.StatusCode != tt.want {
				t.Errorf("GET /dev/clock = %d, want %d", resp.StatusCode, tt.want)
			}
			post := do(t, tt.h, request{method: "POST", target: "/dev/clock", remote: tt.remote, headers: map[string]string{"Sec-Fetch-Site": "same-origin"},
				form: url.Values{"action": {"advance"}, "amount": {"1"}, "unit": {"days"}}})
			if tt.want == http.StatusNotFound && post.StatusCode != http.StatusNotFound {
				t.Errorf("POST /dev/clock = %d, want 404", post.StatusCode)
			}
		})
	}
	if clk.Offset() != 0 {
		t.Errorf("a refused client moved the clock by %v", clk.Offset())
	}

	// The development bar links the helper for loopback readers only.
	if body := bodyOf(t, do(t, dev, request{target: "/", remote: loopback})); !strings.Contains(body, `href="/dev/clock"`) {
		t.Error("development home page for a loopback reader lacks the /dev/clock link")
	}
	for _, h := range []http.Handler{prod, dev} {
		if body := bodyOf(t, do(t, h, request{target: "/", remote: "203.0.113.9:4000"})); strings.Contains(body, "/dev/clock") {
			t.Error("a remote reader's page mentions /dev/clock")
		}
	}
}

func TestDevClockSetAdvanceReset(t *testing.T) {
	h, clk := devSite(t)
	post := func(form url.Values, lang string) *http.Response {
		t.Helper()
		return do(t, h, request{method: "POST", target: "/dev/clock", remote: loopback, form: form,
			headers: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept-Language": lang}})
	}
	page := func(lang string) string {
		t.Helper()
		return bodyOf(t, do(t, h, request{target: "/dev/clock?changed=1", remote: loopback, headers: map[string]string{"Accept-Language": lang}}))
	}

	if body := page("zh-CN"); !strings.Contains(body, "2026年11月22日 14:05") || !strings.Contains(body, "Asia/Shanghai") {
		t.Errorf("dev clock page should show the platform time in Asia/Shanghai:\n%s", body)
	}

	resp := post(url.Values{"action": {"set"}, "at": {"2030-01-15T09:30"}}, "zh-CN")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dev/clock?changed=1" {
		t.Fatalf("set: %d %q, want 303 to /dev/clock?changed=1", resp.StatusCode, resp.Header.Get("Location"))
	}
	want := time.Date(2030, 1, 15, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai
	if got := clk.Now(); !got.Equal(want) {
		t.Errorf("after set, clock = %v, want %v", got, want)
	}
	if body := page("zh-CN"); !strings.Contains(body, "2030年1月15日 09:30") || !strings.Contains(body, "时钟已更新") {
		t.Errorf("page after set lacks the new time or the confirmation:\n%s", body)
	}

	post(url.Values{"action": {"set"}, "at": {"2030-01-15T09:30:45"}}, "en")
	if got := clk.Now(); !got.Equal(want.Add(45 * time.Second)) {
		t.Errorf("set with seconds: clock = %v", got)
	}

	if resp := post(url.Values{"action": {"advance"}, "amount": {"2"}, "unit": {"days"}}, "en"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("advance: status %d", resp.StatusCode)
	}
	if got := clk.Now(); !got.Equal(want.Add(48*time.Hour + 45*time.Second)) {
		t.Errorf("after advancing 2 days, clock = %v", got)
	}
	if body := page("en"); !strings.Contains(body, "17 Jan 2030, 09:30") || !strings.Contains(body, "ahead") {
		t.Errorf("English page after advance:\n%s", body)
	}

	post(url.Values{"action": {"reset"}}, "en")
	if clk.Offset() != 0 {
		t.Errorf("after reset, offset = %v", clk.Offset())
	}
	if body := page("en"); !strings.Contains(body, "No offset (real time)") {
		t.Errorf("page after reset should say real time")
	}
}

func TestDevClockBadInput(t *testing.T) {
	h, clk := devSite(t)
	tests := []struct {
		name     string
		form     url.Values
		lang     string
		want     []string
		wantKept string
	}{
		{"no action", url.Values{}, "en", []string{"Use one of the buttons below."}, ""},
		{"unknown action", url.Values{"action": {"explode"}}, "zh-CN", []string{"请使用下面的按钮之一。"}, ""},
		{"empty time", url.Values{"action": {"set"}, "at": {""}}, "en", []string{"Enter a valid date and time"}, ""},
		{"garbage time", url.Values{"action": {"set"}, "at": {"tomorrow<script>"}}, "zh-CN", []string{"请输入有效的日期和时间"}, "tomorrow&lt;script&gt;"},
		{"invalid UTF-8", url.Values{"action": {"set"}, "at": {"\xff\xfe"}}, "en", []string{"Enter a valid date and time"}, ""},
		{"year out of range", url.Values{"action": {"set"}, "at": {"9999-01-01T00:00"}}, "en", []string{"between 1970 and 2200"}, "9999-01-01T00:00"},
		{"zero amount", url.Values{"action": {"advance"}, "amount": {"0"}, "unit": {"hours"}}, "en", []string{"whole number from 1 to 100000"}, `value="0"`},
		{"huge amount", url.Values{"action": {"advance"}, "amount": {"99999999999999999999"}, "unit": {"days"}}, "zh-CN", []string{"请输入 1 到 100000 之间的整数"}, "99999999999999999999"},
		{"fractional amount", url.Values{"action": {"advance"}, "amount": {"1.5"}, "unit": {"hours"}}, "en", []string{"whole number"}, `value="1.5"`},
		{"unknown unit", url.Values{"action": {"advance"}, "amount": {"3"}, "unit": {"weeks"}}, "en", []string{"Choose minutes, hours or days."}, `value="3"`},
		{"huge body", url.Values{"action": {"set"}, "at": {strings.Repeat("x", 2<<20)}}, "en", []string{"Use one of the buttons below."}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, h, request{method: "POST", target: "/dev/clock", remote: loopback, form: tt.form,
				headers: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept-Language": tt.lang}})
			body := bodyOf(t, resp)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			if tt.wantKept != "" && !strings.Contains(body, tt.wantKept) {
				t.Errorf("the form lost the value %q", tt.wantKept)
			}
			if strings.Contains(body, "<script>") {
				t.Error("input echoed unescaped")
			}
			if !strings.Contains(body, `aria-invalid="true"`) && tt.form.Get("action") != "" && tt.name != "huge body" && tt.name != "unknown action" {
				t.Error("the field in error is not marked aria-invalid")
			}
		})
	}
	if clk.Offset() != 0 {
		t.Errorf("bad input moved the clock by %v", clk.Offset())
	}
}

func TestWithUserLocaleIgnoresEmptyContext(t *testing.T) {
	// A context without the value behaves as no setting at all.
	ctx := web.WithUserLocale(context.Background(), "")
	s := mustSite(t, web.Options{})
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	if got := s.Locale(r).Code(); got != "zh-CN" {
		t.Errorf("Locale with an empty user setting = %s, want zh-CN", got)
	}
}
