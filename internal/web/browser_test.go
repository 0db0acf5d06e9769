package web_test

// Browser tests: the pages as chromium shows them. They skip without
// chromium, unless OKPAY_TEST_BROWSER=require.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// screenshotsDir is where OKPAY_SCREENSHOTS=1 writes the documentation
// screenshots, relative to this package.
var screenshotsDir = filepath.Join("..", "..", "docs", "screenshots")

// startSite serves a development site (with a dev clock standing at
// fixedReal) on a loopback port.
func startSite(t *testing.T) (*httptest.Server, *clock.Offset) {
	t.Helper()
	clk := clock.NewOffset(fixedReal)
	s := mustSite(t, web.Options{Development: true, DevClock: clk})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, clk
}

// TestBrowserLanguageSwitcher loads the home page as a Chinese reader,
// switches to English and back with the switcher, and checks what is
// shown each time.
func TestBrowserLanguageSwitcher(t *testing.T) {
	// Plain http as in development, but without the development bar: the
	// screenshots show the page as customers see it.
	srv := httptest.NewServer(mustSite(t, web.Options{Development: true}).Handler())
	defer srv.Close()
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})

	if code := b.Navigate(srv.URL + "/"); code != http.StatusOK {
		t.Fatalf("GET / = %d", code)
	}
	checkHome := func(lang, heading, footer string) {
		t.Helper()
		if got, _ := b.Attr("html", "lang"); got != lang {
			t.Errorf("<html lang> = %q, want %q", got, lang)
		}
		if got := b.Text("h1"); got != heading {
			t.Errorf("heading = %q, want %q", got, heading)
		}
		if got := b.Text(".site-footer"); !strings.Contains(got, footer) || !strings.Contains(got, "support@okpay.test") {
			t.Errorf("footer = %q, want %q and the support address", got, footer)
		}
		if got, _ := b.Attr(fmt.Sprintf(`.lang-switch button[value="%s"]`, lang), "aria-pressed"); got != "true" {
			t.Errorf("the switcher does not mark %s as current", lang)
		}
	}
	checkHome("zh-CN", homeZh, "OKPay 的官方网址只有 okpay.test。")
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		b.Screenshot(filepath.Join(screenshotsDir, "home-zh.png"))
	}

	if code := b.ClickAndWait(`.lang-switch button[value="en"]`); code != http.StatusOK {
		t.Fatalf("switching to English landed on a %d page", code)
	}
	if loc := b.Location(); loc != srv.URL+"/" {
		t.Errorf("the switcher went to %s, want back to %s/", loc, srv.URL)
	}
	checkHome("en", homeEn, "OKPay’s only official website is okpay.test.")
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		b.Screenshot(filepath.Join(screenshotsDir, "home-en.png"))
	}

	// The choice sticks, whatever the browser's languages say.
	b.Navigate(srv.URL + "/")
	checkHome("en", homeEn, "OKPay’s only official website is okpay.test.")

	// On another page the switcher returns to that page.
	if code := b.Navigate(srv.URL + "/no-such-page?from=test"); code != http.StatusNotFound {
		t.Fatalf("GET /no-such-page = %d, want 404", code)
	}
	if got := b.Text("h1"); got != "We can’t find that page" {
		t.Errorf("404 heading = %q", got)
	}
	b.ClickAndWait(`.lang-switch button[value="zh-CN"]`)
	if loc := b.Location(); loc != srv.URL+"/no-such-page?from=test" {
		t.Errorf("the switcher went to %s, want back to the 404 page", loc)
	}
	if got := b.Text("h1"); got != "找不到这个页面" {
		t.Errorf("404 heading after switching = %q", got)
	}
}

// TestBrowserPhoneLayout checks at a phone's width that no page scrolls
// sideways and that the home page's cards stack in one column.
func TestBrowserPhoneLayout(t *testing.T) {
	srv, _ := startSite(t)
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := browsertest.New(t, browsertest.Options{Width: 375, Height: 667, AcceptLanguage: lang})
			for _, path := range []string{"/", "/no-such-page", "/dev/clock"} {
				b.Navigate(srv.URL + path)
				if got, _ := b.Attr("html", "lang"); got != lang {
					t.Errorf("%s: <html lang> = %q, want %q", path, got, lang)
				}
				if w := browsertest.Eval[int](b, `window.innerWidth`); w != 375 {
					t.Fatalf("%s: viewport is %dpx wide, want 375", path, w)
				}
				scroll := browsertest.Eval[int](b, `document.documentElement.scrollWidth`)
				if scroll > 375 {
					t.Errorf("%s: page is %dpx wide on a 375px phone: it scrolls sideways", path, scroll)
				}
			}
			b.Navigate(srv.URL + "/")
			lefts := browsertest.Eval[[]float64](b, `[...document.querySelectorAll('.card')].map(c => c.getBoundingClientRect().left)`)
			if len(lefts) < 2 {
				t.Fatalf("found %d cards", len(lefts))
			}
			for i, l := range lefts {
				if l != lefts[0] {
					t.Errorf("card %d starts at x=%v, card 0 at x=%v: not one column", i, l, lefts[0])
				}
			}
		})
	}
}

// TestBrowserKeyboardFocus checks that the first Tab lands on the skip
// link, which then shows, with a visible focus outline.
func TestBrowserKeyboardFocus(t *testing.T) {
	srv, _ := startSite(t)
	b := browsertest.New(t, browsertest.Options{})
	b.Navigate(srv.URL + "/")
	b.Press(kb.Tab)
	if got := browsertest.Eval[string](b, `document.activeElement.className`); got != "skip" {
		t.Fatalf("first Tab focused %q, want the skip link", got)
	}
	if top := browsertest.Eval[float64](b, `document.activeElement.getBoundingClientRect().top`); top < 0 {
		t.Errorf("the focused skip link is off screen (top %v)", top)
	}
	b.Press(kb.Tab) // to the brand link
	style := browsertest.Eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`)
	width := browsertest.Eval[string](b, `getComputedStyle(document.activeElement).outlineWidth`)
	if style == "none" || width == "0px" {
		t.Errorf("focused link has outline %s %s: focus is invisible", style, width)
	}
}

// TestBrowserDevClock sets and advances the platform time through the
// /dev/clock forms, as an end-to-end test would.
func TestBrowserDevClock(t *testing.T) {
	srv, clk := startSite(t)
	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN"})
	b.Navigate(srv.URL + "/dev/clock")
	if got := b.Text("#platform-time"); got != "2026年11月22日 14:05" {
		t.Errorf("platform time = %q, want 2026年11月22日 14:05", got)
	}

	b.Fill("#clock-at", "2030-01-15T09:30")
	if code := b.ClickAndWait(`form:has(#clock-at) button[type="submit"]`); code != http.StatusOK {
		t.Fatalf("setting the clock landed on a %d page", code)
	}
	if got := b.Text("#platform-time"); got != "2030年1月15日 09:30" {
		t.Errorf("after setting, platform time = %q, want 2030年1月15日 09:30", got)
	}
	if got := b.Text(".alert-ok"); got != "时钟已更新。" {
		t.Errorf("confirmation = %q", got)
	}

	b.Fill("#clock-amount", "2")
	b.Fill("#clock-unit", "days")
	b.ClickAndWait(`form:has(#clock-amount) button[type="submit"]`)
	if got := b.Text("#platform-time"); got != "2030年1月17日 09:30" {
		t.Errorf("after advancing 2 days, platform time = %q, want 2030年1月17日 09:30", got)
	}
	if want := "2030-01-17T01:30:00Z"; clk.Now().UTC().Format("2006-01-02T15:04:05Z") != want {
		t.Errorf("the application clock reads %v, want %s", clk.Now().UTC(), want)
	}

	// A bad value comes back with the error next to the field, in Chinese.
	b.Fill("#clock-amount", "0")
	if code := b.ClickAndWait(`form:has(#clock-amount) button[type="submit"]`); code != http.StatusBadRequest {
		t.Errorf("a zero amount answered %d, want 400", code)
	}
	if got := b.Text("#clock-amount-error"); got != "请输入 1 到 100000 之间的整数。" {
		t.Errorf("field error = %q", got)
	}

	b.ClickAndWait(`form:has(input[value="reset"]) button[type="submit"]`)
	if got := b.Text("#clock-offset"); got != "没有偏移（真实时间）" {
		t.Errorf("after reset, offset = %q", got)
	}
}

// TestBrowserCrossSiteFormRefused submits a form from a page on another
// origin to our language switcher: chromium marks it cross-site and the
// site answers with the 403 page.
func TestBrowserCrossSiteFormRefused(t *testing.T) {
	srv, _ := startSite(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body>
<form method="post" action="%s/lang"><input type="hidden" name="lang" value="en">
<button id="go" type="submit">Win a prize</button></form></body></html>`, srv.URL)
	}))
	defer evil.Close()

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN"})
	b.Navigate(srv.URL + "/") // the victim has visited OKPay: it has cookies
	// localhost and 127.0.0.1 are different sites to the browser.
	b.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) + "/")
	if code := b.ClickAndWait("#go"); code != http.StatusForbidden {
		t.Errorf("cross-site form post answered %d, want 403", code)
	}
	if got := b.Text("h1"); got != "这个请求被拒绝了" {
		t.Errorf("403 heading = %q", got)
	}
	// The language did not change.
	b.Navigate(srv.URL + "/")
	if got, _ := b.Attr("html", "lang"); got != "zh-CN" {
		t.Errorf("after the refused post the site speaks %q", got)
	}
}
