package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserContactAndVerify: a browser in New York opens /contact and
// sees the Shanghai phone hours in its own time (the page's script tells
// the server its zone), then asks /verify about 0kpay.com and is warned.
func TestBrowserContactAndVerify(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	st := newChanStack(t, time.Date(2026, 3, 2, 12, 0, 0, 0, sh)) // Monday noon in Shanghai
	srv := httptest.NewServer(st.handler)
	t.Cleanup(srv.Close)

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	if err := chromedp.Do(b.Context(), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"})
		return err
	})); err != nil {
		t.Fatalf("set the browser's time zone: %v", err)
	}
	b.Navigate(srv.URL + "/contact")
	// The first drawing uses the platform's zone; the script sets the
	// cookie and the page comes back in the browser's.
	source := ""
	for i := 0; i < 100 && source != "browser"; i++ {
		source = browsertest.Eval[string](b, `(document.querySelector("#zone-note") || {getAttribute: () => ""}).getAttribute("data-source") || ""`)
		if source != "browser" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if source != "browser" {
		t.Fatalf("the page never showed the browser's zone; zone note: %q", b.Text("#zone-note"))
	}
	if got := b.Text("#zone-note"); !strings.Contains(got, "Times are shown in your time zone: America/New_York.") {
		t.Errorf("zone note: %q", got)
	}
	phone := b.Text("#channel-phone-en")
	for _, want := range []string{"Open now, until Mon 2 Mar 04:00", "Usually Mon–Fri, 09:00–17:00 Asia/Shanghai time"} {
		if !strings.Contains(phone, want) {
			t.Errorf("English phone line lacks %q:\n%s", want, phone)
		}
	}
	// The callback form carries the browser's zone.
	if got := b.Value(`#callback-form input[name="tz"]`); got != "America/New_York" {
		t.Errorf("callback form zone = %q", got)
	}

	b.Navigate(srv.URL + "/verify")
	b.Fill("#value", "0kpay.com")
	b.ClickAndWait("#verify-submit")
	if got, _ := b.Attr("#verdict", "data-verdict"); got != "suspicious" {
		t.Errorf("verdict for 0kpay.com = %q", got)
	}
	if got := b.Text("#verdict"); !strings.Contains(got, "It imitates “okpay.test” with look-alike characters: 0kpay → okpay") || !strings.Contains(got, "Warning:") {
		t.Errorf("verdict text:\n%s", got)
	}
}
