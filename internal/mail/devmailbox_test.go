package mail_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// deliverLocally queues m and runs the sender without a relay, as
// development does.
func deliverLocally(tb testing.TB, db *sqlstore.DB, ob *mail.Outbox, m mail.Message) int64 {
	tb.Helper()
	id := mustQueue(tb, db, ob, m)
	s := mail.NewSender(mail.SenderOptions{Store: db.Mail(), Now: db.Now, Logger: slog.New(slog.DiscardHandler)})
	c := jobs.Claimed{Job: jobs.Job{Kind: mail.SendJob, Args: []byte(`{"id":` + itoa(id) + `}`)}, Attempt: 1}
	if err := s.Handle(context.Background(), c); err != nil {
		tb.Fatalf("deliver %d: %v", id, err)
	}
	return id
}

func mustGet(tb testing.TB, client *http.Client, url string) (*http.Response, string) {
	tb.Helper()
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	return resp, string(b)
}

func TestDevMailbox(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		ob := mustOutbox(t, mail.Options{Now: clk.Now, DKIM: mustDKIM(t, testKey())})
		srv := httptest.NewServer(mail.DevMailbox(db.Mail(), mail.DevMailboxOptions{Logger: slog.New(slog.DiscardHandler)}))
		t.Cleanup(srv.Close)
		c := srv.Client()

		resp, body := mustGet(t, c, srv.URL+"/dev/mailbox")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "No mail yet") {
			t.Fatalf("empty mailbox: %d\n%s", resp.StatusCode, body)
		}

		first := deliverLocally(t, db, ob, verifyMessage())
		clk.Add(60_000_000_000)
		reset := verifyMessage()
		reset.Subject = "Reset <your> password & more"
		reset.HTML = `<p>Reset it <a href="https://okpay.example/password/reset?token=t0k&amp;x=1">here</a>.</p><script>alert("x")</script>`
		reset.Text = "Reset it at https://okpay.example/password/reset?token=t0k&x=1\n"
		second := deliverLocally(t, db, ob, reset)
		// Queued but not delivered: not in the mailbox.
		queued := mustQueue(t, db, ob, verifyMessage())

		resp, body = mustGet(t, c, srv.URL+"/dev/mailbox")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list: %d\n%s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("list Content-Type %q", ct)
		}
		newer := strings.Index(body, `href="/dev/mailbox/`+itoa(second)+`"`)
		older := strings.Index(body, `href="/dev/mailbox/`+itoa(first)+`"`)
		if newer < 0 || older < 0 || newer > older {
			t.Errorf("list should link both messages, newest first (positions %d, %d):\n%s", newer, older, body)
		}
		for _, want := range []string{
			html.EscapeString(verifyMessage().Subject),
			"Reset &lt;your&gt; password &amp; more",
			"xiaoming@example.com",
			"2030-01-02 03:05:05 UTC",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("list lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, `/dev/mailbox/`+itoa(queued)+`"`) {
			t.Errorf("list shows queued message %d, which was not delivered", queued)
		}

		resp, body = mustGet(t, c, srv.URL+"/dev/mailbox/"+itoa(second))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("detail: %d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{
			// The link, clickable, from both parts, listed once.
			`<a href="https://okpay.example/password/reset?token=t0k&amp;x=1">`,
			// The HTML part in a frame where scripts cannot run, its links
			// opening in the tab.
			`<iframe class="html" title="HTML part of the message" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" srcdoc="&lt;base target=&#34;_top&#34;&gt;&lt;p&gt;Reset it`,
			`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`,
			// The text part and the headers, decoded.
			`<pre class="text">Reset it at https://okpay.example/password/reset?token=t0k&amp;x=1`,
			`<dt>Subject</dt><dd>Reset &lt;your&gt; password &amp; more</dd>`,
			`<dt>From</dt><dd>OKPay 支付 &lt;no-reply@okpay.example&gt;</dd>`,
			`<dt>Auto-Submitted</dt><dd>auto-generated</dd>`,
			`<dt>Message-ID</dt><dd>&lt;`,
			`<dt>DKIM-Signature</dt>`,
			// The raw source, signature and all.
			`<pre class="raw">DKIM-Signature: a=rsa-sha256;`,
			`href="/dev/mailbox/` + itoa(second) + `/raw"`,
			`href="/dev/mailbox/style.css"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
		if strings.Count(body, `<li><a href="https://okpay.example/password/reset`) != 1 {
			t.Errorf("the link should be listed exactly once:\n%s", body)
		}
		if strings.Contains(strings.ToLower(body), "<script") || strings.Contains(body, " style=") {
			t.Errorf("detail page carries a script or inline style (CSP forbids them):\n%s", body)
		}
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Cache-Control":          "no-store",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}

		resp, body = mustGet(t, c, srv.URL+"/dev/mailbox/"+itoa(first))
		if !strings.Contains(body, `<a href="https://okpay.example/verify?token=abc123&amp;lang=zh-CN">`) ||
			!strings.Contains(body, "您好，王小明") {
			t.Errorf("Chinese message detail (%d) lacks its link or its text:\n%s", resp.StatusCode, body)
		}

		resp, body = mustGet(t, c, srv.URL+"/dev/mailbox/"+itoa(first)+"/raw")
		if resp.StatusCode != http.StatusOK || body != string(mustMail(t, db, first).Raw) || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("raw: %d %q, want the stored bytes as text/plain", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		resp, body = mustGet(t, c, srv.URL+"/dev/mailbox/style.css")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(body, "iframe.html") {
			t.Errorf("style.css: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}

		for _, path := range []string{"/dev/mailbox/" + itoa(queued), "/dev/mailbox/999", "/dev/mailbox/abc", "/dev/mailbox/-1", "/dev/mailbox/1/nope"} {
			if resp, _ := mustGet(t, c, srv.URL+path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
	})
}

func TestDevMailboxAnswersThisMachineOnly(t *testing.T) {
	clk := newClock()
	db := sqltest.NewDB(t, sqlstore.SQLite, "mail", clk.Now)
	id := deliverLocally(t, db, mustOutbox(t, mail.Options{Now: clk.Now}), verifyMessage())
	h := mail.DevMailbox(db.Mail(), mail.DevMailboxOptions{Logger: slog.New(slog.DiscardHandler)})

	for _, tc := range []struct {
		name       string
		remote     string
		host       string
		header     [2]string
		wantStatus int
	}{
		{"IPv4 loopback", "127.0.0.1:50000", "127.0.0.1:8080", [2]string{}, 200},
		{"IPv6 loopback", "[::1]:50000", "[::1]:8080", [2]string{}, 200},
		{"localhost", "127.0.0.1:50000", "localhost:8080", [2]string{}, 200},
		{"another machine", "192.0.2.7:50000", "127.0.0.1:8080", [2]string{}, 404},
		{"IPv6 elsewhere", "[2001:db8::1]:50000", "[::1]:8080", [2]string{}, 404},
		{"garbage address", "nonsense", "127.0.0.1:8080", [2]string{}, 404},
		{"through a proxy (X-Forwarded-For)", "127.0.0.1:50000", "127.0.0.1:8080", [2]string{"X-Forwarded-For", "192.0.2.7"}, 404},
		{"through a proxy (Forwarded)", "127.0.0.1:50000", "127.0.0.1:8080", [2]string{"Forwarded", "for=192.0.2.7"}, 404},
		{"DNS rebinding", "127.0.0.1:50000", "attacker.example:8080", [2]string{}, 404},
		{"public IP as host", "127.0.0.1:50000", "192.0.2.1:8080", [2]string{}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/dev/mailbox", "/dev/mailbox/" + itoa(id), "/dev/mailbox/" + itoa(id) + "/raw"} {
				r := httptest.NewRequest("GET", path, nil)
				r.RemoteAddr = tc.remote
				r.Host = tc.host
				if tc.header[0] != "" {
					r.Header.Set(tc.header[0], tc.header[1])
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != tc.wantStatus {
					t.Errorf("GET %s from %s (Host %s) = %d, want %d", path, tc.remote, tc.host, w.Code, tc.wantStatus)
				}
				if tc.wantStatus == 404 && strings.Contains(w.Body.String(), "xiaoming") {
					t.Errorf("GET %s from %s leaked the message", path, tc.remote)
				}
			}
		})
	}
}
