package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeTB is a test that the harness runs under, so that its reactions to
// failures, skips and cleanups can be observed.
type fakeTB struct {
	testing.TB
	failed   bool
	mu       sync.Mutex // chromedp may log from its own goroutines
	logs     []string
	cleanups []func()
	stopped  string // "skip: ..." or "fatal: ..."
}

// errStopped stands in for runtime.Goexit, which SkipNow and FailNow use.
type errStopped struct{}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Name() string      { return "TestFake/phone layout" }
func (f *fakeTB) Failed() bool      { return f.failed }
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.stopped = "skip: " + fmt.Sprintf(format, args...)
	panic(errStopped{})
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = true
	f.stopped = "fatal: " + fmt.Sprintf(format, args...)
	panic(errStopped{})
}

// runCleanups runs the registered cleanups last first, as testing does.
func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// start calls New under f, reporting whether New returned normally.
func start(f *fakeTB, o Options) (b *Browser, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if _, stopped := v.(errStopped); !stopped {
				panic(v)
			}
		}
	}()
	return New(f, o), true
}

func TestMissingChromium(t *testing.T) {
	old := chromiumPath
	chromiumPath = filepath.Join(t.TempDir(), "no-chromium")
	t.Cleanup(func() { chromiumPath = old })
	t.Setenv("PATH", t.TempDir())

	t.Setenv(EnvBrowser, "")
	f := &fakeTB{TB: t}
	if _, ok := start(f, Options{}); ok {
		t.Fatal("New returned a browser without chromium")
	}
	if !strings.HasPrefix(f.stopped, "skip: ") || !strings.Contains(f.stopped, "apt-get install -y chromium fonts-noto-cjk") || f.failed {
		t.Errorf("without chromium: %q, want a skip that says how to install it", f.stopped)
	}

	t.Setenv(EnvBrowser, "require")
	f = &fakeTB{TB: t}
	start(f, Options{})
	if !strings.HasPrefix(f.stopped, "fatal: ") || !f.failed {
		t.Errorf("without chromium under %s=require: %q, want a failure", EnvBrowser, f.stopped)
	}
}

func TestScreenshotOnFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="zh-CN"><body><h1 id="t">你好, browser</h1><input id="f"></body></html>`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	t.Setenv(EnvArtifacts, dir)

	for _, failed := range []bool{false, true} {
		f := &fakeTB{TB: t}
		b, ok := start(f, Options{Width: 400, Height: 300})
		if !ok {
			if strings.HasPrefix(f.stopped, "skip: ") {
				t.Skip(f.stopped)
			}
			t.Fatalf("New: %s", f.stopped)
		}
		if code := b.Navigate(srv.URL); code != http.StatusOK {
			t.Fatalf("Navigate = %d", code)
		}
		if got := b.Text("#t"); got != "你好, browser" {
			t.Errorf("Text = %q", got)
		}
		b.Type("#f", "typed")
		if got := b.Value("#f"); got != "typed" {
			t.Errorf("Value after Type = %q", got)
		}
		b.Fill("#f", "filled")
		if got := b.Value("#f"); got != "filled" {
			t.Errorf("Value after Fill = %q", got)
		}
		if got, ok := b.Attr("html", "lang"); got != "zh-CN" || !ok {
			t.Errorf("Attr(html, lang) = %q, %v", got, ok)
		}
		if _, ok := b.Attr("html", "data-nope"); ok {
			t.Error("Attr reports an absent attribute as present")
		}
		f.failed = failed
		f.runCleanups()

		shots, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		if !failed {
			if len(shots) != 0 {
				t.Errorf("a passing test left screenshots: %v", shots)
			}
			continue
		}
		if len(shots) != 1 {
			t.Fatalf("a failed test left %d screenshots in %s, want 1", len(shots), dir)
		}
		if base := filepath.Base(shots[0]); !strings.HasPrefix(base, "TestFake_phone_layout-") {
			t.Errorf("screenshot name %q does not name the test", base)
		}
		png, err := os.ReadFile(shots[0])
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("screenshot is not a PNG (err %v)", err)
		}
		f.mu.Lock()
		logs := strings.Join(f.logs, "\n")
		f.mu.Unlock()
		if !strings.Contains(logs, shots[0]) {
			t.Errorf("the screenshot's path was not logged:\n%s", logs)
		}
	}
}
