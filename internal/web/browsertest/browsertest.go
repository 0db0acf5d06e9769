// Package browsertest drives a real browser, Debian's chromium in headless
// mode through chromedp, for tests of OKPay's web pages: navigate, fill
// forms, click, read what a person would see.
//
// Each Browser is a fresh chromium process with a fresh profile, so tests
// share no cookies. Every helper fails the test on error (with the
// selector or URL involved), and a test that fails leaves a full-page
// screenshot in the artefacts directory ($OKPAY_TEST_ARTIFACTS, default
// testdata/artifacts in the test's package, which git ignores) and logs
// its path.
//
// Without chromium the test is skipped with a message saying how to
// install it, unless OKPAY_TEST_BROWSER=require (as in CI), which makes
// that a failure. Chinese text renders only with CJK fonts installed:
//
//	apt-get install -y chromium fonts-noto-cjk
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Environment variables the harness reads.
const (
	// EnvBrowser set to "require" turns a missing chromium into a test
	// failure instead of a skip.
	EnvBrowser = "OKPAY_TEST_BROWSER"
	// EnvArtifacts names the directory failure screenshots go to.
	EnvArtifacts = "OKPAY_TEST_ARTIFACTS"
)

// Chromium is where Debian's chromium package installs the browser.
const Chromium = "/usr/bin/chromium"

// DefaultArtifacts is the screenshot directory, relative to the test's
// package, when EnvArtifacts is unset.
const DefaultArtifacts = "testdata/artifacts"

// ErrNoChromium reports that no chromium binary was found.
var ErrNoChromium = errors.New("browsertest: chromium not found")

// Defaults for Options.
const (
	DefaultWidth   = 1280
	DefaultHeight  = 900
	DefaultTimeout = 30 * time.Second
)

// Options adjust a Browser. The zero value is a desktop-sized window whose
// Accept-Language is chromium's own ("en-US,en").
type Options struct {
	// Width and Height are the viewport in CSS pixels.
	Width, Height int
	// AcceptLanguage, when set, is sent on every request instead of
	// chromium's default.
	AcceptLanguage string
	// Timeout bounds each helper call (default 30s).
	Timeout time.Duration
}

// Browser is one headless chromium with one tab. It is not safe for
// concurrent use: like a person, it does one thing at a time.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	timeout time.Duration
}

// chromiumPath is Chromium; the harness's own tests change it.
var chromiumPath = Chromium

// find returns the chromium binary to run.
func find() (string, error) {
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", ErrNoChromium
}

// New starts chromium for the test and stops it when the test ends. It
// skips the test when chromium is missing, or fails it under
// OKPAY_TEST_BROWSER=require.
func New(t testing.TB, o Options) *Browser {
	t.Helper()
	path, err := find()
	if err != nil {
		if os.Getenv(EnvBrowser) == "require" {
			t.Fatalf("a browser is required (%s=require) but %s is missing: apt-get install -y chromium fonts-noto-cjk", EnvBrowser, Chromium)
		}
		t.Skipf("SKIPPING browser test: %s is missing (apt-get install -y chromium fonts-noto-cjk; set %s=require to fail instead)", Chromium, EnvBrowser)
	}
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Height <= 0 {
		o.Height = DefaultHeight
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}

	// chromedp gives each browser a fresh --user-data-dir of its own and
	// removes it when the allocator is cancelled.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // containers and CI run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // /dev/shm is small in containers
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(o.Width, o.Height),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(func(format string, args ...any) {
		// chromedp reports protocol events it cannot decode; they do
		// not concern the page under test.
		t.Logf("chromedp: "+format, args...)
	}))
	b := &Browser{t: t, ctx: ctx, timeout: o.Timeout}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for chromium to exit and removes its profile
	})
	// Registered after the stop, so it runs before it.
	t.Cleanup(b.screenshotOnFailure)

	start := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(int64(o.Width), int64(o.Height)),
	}
	if o.AcceptLanguage != "" {
		start = append(start, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": o.AcceptLanguage},
			})
			return err
		}))
	}
	// The first action starts the browser: no timeout on it, or the
	// timeout would end the browser too.
	if err := chromedp.Do(ctx, start...); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return b
}

// Context returns the tab's chromedp context, for actions the helpers do
// not cover: chromedp.Do(b.Context(), ...).
func (b *Browser) Context() context.Context { return b.ctx }

// do runs actions with the per-call timeout and fails the test on error.
func (b *Browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// run runs one action that returns a value, failing the test on error.
func run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// navigation runs actions that lead to a new page (a link, a form) and
// waits for it to load; it returns the page's HTTP status.
func (b *Browser) navigation(what string, actions ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	if resp == nil {
		b.t.Fatalf("browser: %s: no page loaded", what)
	}
	return int(resp.Status)
}

// Navigate loads url and returns the HTTP status of the page.
func (b *Browser) Navigate(url string) int {
	b.t.Helper()
	return b.navigation("navigate to "+url, chromedp.Navigate(url))
}

// ClickAndWait clicks the element matching the CSS selector, which must
// lead to a new page (a link, a submit button), waits for that page, and
// returns its HTTP status.
func (b *Browser) ClickAndWait(selector string) int {
	b.t.Helper()
	return b.navigation("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// Click clicks the element matching the CSS selector and does not wait
// for anything to follow.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// Type focuses the field matching the CSS selector and types text into it
// with key events, as a person would.
func (b *Browser) Type(selector, text string) {
	b.t.Helper()
	b.do("type into "+selector, chromedp.Click(chromedp.CSS(selector)), chromedp.SendKeys(chromedp.CSS(selector), text))
}

// Press sends keys to the focused element, as typed on a keyboard;
// kb.Tab and kb.Enter from github.com/chromedp/chromedp/kb name the
// special keys.
func (b *Browser) Press(keys string) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// Fill sets the value of the input, select or textarea matching the CSS
// selector, replacing what was there. It suits fields that are awkward to
// type into (date pickers, selects).
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	b.do("fill "+selector, chromedp.SetValue(chromedp.CSS(selector), value))
}

// Value returns the current value of the form field matching the CSS
// selector.
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	return run(b, "read the value of "+selector, chromedp.Value(chromedp.CSS(selector)))
}

// Text returns the visible text (innerText) of the first element matching
// the CSS selector, waiting for it to appear.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	return run(b, "read text of "+selector, chromedp.Text(chromedp.CSS(selector)))
}

// Attr returns an attribute of the element matching the CSS selector, and
// whether it is present.
func (b *Browser) Attr(selector, name string) (string, bool) {
	b.t.Helper()
	r := run(b, "read "+name+" of "+selector, chromedp.AttributeValue(chromedp.CSS(selector), name))
	return r.Value, r.Exists
}

// Location returns the URL of the page shown.
func (b *Browser) Location() string {
	b.t.Helper()
	return run(b, "read the location", chromedp.Location())
}

// Title returns the title of the page shown.
func (b *Browser) Title() string {
	b.t.Helper()
	return run(b, "read the title", chromedp.Title())
}

// SetViewport resizes the viewport to width x height CSS pixels, as a
// phone (375 x 667) or a desktop would have it.
func (b *Browser) SetViewport(width, height int) {
	b.t.Helper()
	b.do(fmt.Sprintf("set the viewport to %dx%d", width, height), chromedp.EmulateViewport(int64(width), int64(height)))
}

// Eval evaluates a JavaScript expression in the page and returns its
// value decoded as T. The pages need no JavaScript; tests use this only to
// measure them (scroll widths, computed styles).
func Eval[T any](b *Browser, expression string) T {
	b.t.Helper()
	return run(b, "evaluate "+expression, chromedp.Evaluate[T](expression))
}

// Screenshot saves a PNG of the whole page (beyond the viewport) to path,
// creating its directory.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	png := run(b, "take a screenshot", chromedp.FullScreenshot(100))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
}

// ArtifactsDir returns the directory failure screenshots go to.
func ArtifactsDir() string {
	if d := os.Getenv(EnvArtifacts); d != "" {
		return d
	}
	return DefaultArtifacts
}

// screenshotOnFailure keeps a picture of what the browser showed when the
// test failed.
func (b *Browser) screenshotOnFailure() {
	if !b.t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("browser: no failure screenshot: %v", err)
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(b.t.Name())
	path := filepath.Join(ArtifactsDir(), fmt.Sprintf("%s-%s.png", name, time.Now().Format("20060102-150405.000")))
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Logf("browser: no failure screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("browser: no failure screenshot: %v", err)
		return
	}
	b.t.Logf("browser: screenshot of the failed page: %s", path)
}
