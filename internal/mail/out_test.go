package mail_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/mail"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestComposeGolden pins the exact bytes of a composed message: with a
// fixed random source and clock, Message-ID, Date and boundary are fixed.
// Run with -update after an intended change, and read the diff.
func TestComposeGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    mail.Message
	}{
		{"verify_zh.eml", verifyMessage()},
		{"text_only_en.eml", mail.Message{
			To:       []mail.Address{{Address: "alice@example.com"}},
			Subject:  "Your password was changed",
			Language: "en",
			Text:     "Hello,\n\nThe password of your OKPay account was changed just now.\nIf this was not you, reset it at https://okpay.example/password/forgot and contact support.\n",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ob := mustOutbox(t, mail.Options{Rand: fixedRand(), Now: newClock().Now})
			s, err := ob.Compose(tc.m)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			path := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(path, s.Raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), string(s.Raw)); diff != "" {
				t.Errorf("composed message differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestComposeHeadersAndParts(t *testing.T) {
	clk := newClock()
	ob := mustOutbox(t, mail.Options{Now: clk.Now})
	m := verifyMessage()
	s, err := ob.Compose(m)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	p := mustParse(t, s.Raw)

	if p.subject != m.Subject {
		t.Errorf("decoded Subject = %q, want %q", p.subject, m.Subject)
	}
	if raw := rawHeader(t, s.Raw, "Subject"); !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("raw Subject %q, want RFC 2047 encoded words", raw)
	}
	if len(p.from) != 1 || p.from[0].Name != "OKPay 支付" || p.from[0].Address != "no-reply@okpay.example" {
		t.Errorf("From = %v, want OKPay 支付 <no-reply@okpay.example>", p.from)
	}
	if len(p.to) != 1 || p.to[0].Name != "王小明" || p.to[0].Address != "xiaoming@example.com" {
		t.Errorf("To = %v, want 王小明 <xiaoming@example.com>", p.to)
	}
	if !p.date.Equal(clk.Now()) {
		t.Errorf("Date = %v, want the clock's %v", p.date, clk.Now())
	}
	if p.msgID != s.MessageID || !strings.HasSuffix(p.msgID, "@okpay.example") || len(p.msgID) < len("@okpay.example")+20 {
		t.Errorf("Message-ID = %q (stored %q), want <random@okpay.example>", p.msgID, s.MessageID)
	}
	for name, want := range map[string]string{
		"Auto-Submitted":   "auto-generated",
		"MIME-Version":     "1.0",
		"Content-Language": "zh-CN",
	} {
		if got := p.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if rt, err := p.header.AddressList("Reply-To"); err != nil || len(rt) != 1 || *rt[0] != m.ReplyTo[0] {
		t.Errorf("Reply-To = %v (%v), want %v", rt, err, m.ReplyTo)
	}
	if p.topType != "multipart/alternative" {
		t.Errorf("Content-Type %s, want multipart/alternative", p.topType)
	}
	if diff := cmp.Diff(map[string]string{"text/plain": m.Text, "text/html": m.HTML}, p.parts); diff != "" {
		t.Errorf("decoded parts (-want +got):\n%s", diff)
	}
	for typ, cs := range p.charsets {
		if cs != "utf-8" {
			t.Errorf("%s part charset %q, want utf-8", typ, cs)
		}
	}

	// The stored envelope and listing fields.
	if s.From != "no-reply@okpay.example" || !cmp.Equal(s.To, []string{"xiaoming@example.com"}) ||
		s.Subject != m.Subject || s.Status != mail.StatusQueued || !s.CreatedAt.Equal(clk.Now()) {
		t.Errorf("Compose = %+v, want the envelope, subject, queued status and clock time", s)
	}

	// SMTP needs CRLF line endings and lines of at most 998 octets; 78 is
	// what well-behaved writers keep to.
	for i, line := range strings.Split(string(s.Raw), "\r\n") {
		if strings.Contains(line, "\n") {
			t.Errorf("line %d has a bare LF: %q", i+1, line)
		}
		if len(line) > 78 {
			t.Errorf("line %d is %d octets long: %q", i+1, len(line), line)
		}
	}
}

func TestComposeUniqueIDs(t *testing.T) {
	ob := mustOutbox(t, mail.Options{})
	seen := map[string]bool{}
	for range 50 {
		s, err := ob.Compose(verifyMessage())
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.MessageID] {
			t.Fatalf("Message-ID %s repeated", s.MessageID)
		}
		seen[s.MessageID] = true
	}
}

func TestComposeRefusesBadMessages(t *testing.T) {
	ok := verifyMessage()
	for _, tc := range []struct {
		name string
		edit func(*mail.Message)
	}{
		{"no recipient", func(m *mail.Message) { m.To = nil }},
		{"empty address", func(m *mail.Message) { m.To = []mail.Address{{Name: "x"}} }},
		{"not an address", func(m *mail.Message) { m.To = []mail.Address{{Address: "xiaoming"}} }},
		{"header injection in address", func(m *mail.Message) {
			m.To = []mail.Address{{Address: "a@example.com\r\nBcc: victim@example.com"}}
		}},
		{"header injection in name", func(m *mail.Message) {
			m.To = []mail.Address{{Name: "A\r\nBcc: victim@example.com", Address: "a@example.com"}}
		}},
		{"non-ASCII address", func(m *mail.Message) { m.To = []mail.Address{{Address: "小明@例子.中国"}} }},
		{"header injection in subject", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: victim@example.com" }},
		{"subject not UTF-8", func(m *mail.Message) { m.Subject = "\xff\xfe" }},
		{"no text", func(m *mail.Message) { m.Text = " \n" }},
		{"HTML not UTF-8", func(m *mail.Message) { m.HTML = "<p>\xff</p>" }},
		{"bad language", func(m *mail.Message) { m.Language = "zh CN" }},
		{"bad reply-to", func(m *mail.Message) { m.ReplyTo = []mail.Address{{Address: "support"}} }},
		{"bad in-reply-to", func(m *mail.Message) { m.InReplyTo = "<x@y>" }},
		{"bad references", func(m *mail.Message) { m.References = []string{"no-at-sign"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			m.To = append([]mail.Address(nil), ok.To...)
			tc.edit(&m)
			_, err := mustOutbox(t, mail.Options{}).Compose(m)
			if !errors.Is(err, mail.ErrInvalidMessage) {
				t.Errorf("Compose = %v, want ErrInvalidMessage", err)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		m := ok
		m.Text = strings.Repeat("大", mail.MaxMessageSize/3)
		if _, err := mustOutbox(t, mail.Options{}).Compose(m); !errors.Is(err, mail.ErrTooLarge) {
			t.Errorf("Compose = %v, want ErrTooLarge", err)
		}
	})
}

func TestComposeThreadsReplies(t *testing.T) {
	m := verifyMessage()
	m.InReplyTo = "abc@customer.example"
	m.References = []string{"first@okpay.example", "abc@customer.example"}
	s, err := mustOutbox(t, mail.Options{}).Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, s.Raw)
	ids, err := p.header.MsgIDList("References")
	if err != nil || !cmp.Equal(ids, m.References) {
		t.Errorf("References = %v (%v), want %v", ids, err, m.References)
	}
	if got := p.header.Get("In-Reply-To"); got != "<abc@customer.example>" {
		t.Errorf("In-Reply-To = %q", got)
	}
}

func TestNewOutboxRefusesBadConfig(t *testing.T) {
	for _, o := range []mail.Options{
		{},
		{From: mail.Address{Address: "not an address"}},
		{From: mail.Address{Address: "a@example.com"}, Domain: "bad domain"},
		{From: mail.Address{Address: "a@example.com"}, MaxAttempts: -1},
	} {
		if _, err := mail.NewOutbox(o); !errors.Is(err, mail.ErrInvalidConfig) {
			t.Errorf("NewOutbox(%+v) = %v, want ErrInvalidConfig", o, err)
		}
	}
}

func TestComposePersonalMailIsNotAutoSubmitted(t *testing.T) {
	ob := mustOutbox(t, mail.Options{Now: newClock().Now})
	m := verifyMessage()
	m.Personal = true
	s, err := ob.Compose(m)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	p := mustParse(t, s.Raw)
	for _, name := range []string{"Auto-Submitted", "X-Auto-Response-Suppress"} {
		if got := p.header.Get(name); got != "" {
			t.Errorf("an agent's reply carries %s: %q", name, got)
		}
	}
}
