package main

import (
	"net/smtp"
	"regexp"
	"strings"
	"testing"
	"time"
)

var smtpLine = regexp.MustCompile(`msg="smtp listening" addr=(\S+)`)

// TestServeSupportMailbox: `okpay serve` answers SMTP for the support
// addresses, files a mail as a ticket, refuses other recipients, and
// `okpay mail reprocess` lists and reruns what could not be parsed.
func TestServeSupportMailbox(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		n := startServe(t, env, "--data", data, "--smtp", "127.0.0.1:0")
		var addr string
		for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := smtpLine.FindStringSubmatch(n.output.String()); m != nil {
				addr = m[1]
			}
		}
		if addr == "" {
			t.Fatalf("no SMTP listening line; output:\n%s", n.output)
		}
		mail := "From: Li Wei <li.wei@example.com>\r\nTo: support@okpay.test\r\nSubject: Payment failed\r\n" +
			"Message-ID: <serve1@example.com>\r\n\r\nMy payment failed twice.\r\n"
		if err := smtp.SendMail(addr, nil, "li.wei@example.com", []string{"support@okpay.test"}, []byte(mail)); err != nil {
			t.Fatalf("send to support: %v", err)
		}
		err := smtp.SendMail(addr, nil, "li.wei@example.com", []string{"nobody@okpay.test"}, []byte(mail))
		if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "5.1.1 <nobody@okpay.test>: no such mailbox") {
			t.Errorf("send to nobody@okpay.test: %v, want 550 5.1.1", err)
		}
		if err := smtp.SendMail(addr, nil, "x@example.com", []string{"support@okpay.test"}, []byte("no header at all\r\n")); err != nil {
			t.Fatalf("send garbage: %v", err)
		}
		out := n.output.String()
		if !strings.Contains(out, `note="new ticket #10001; acknowledged"`) {
			t.Errorf("the mail was not filed and acknowledged; output:\n%s", out)
		}
		if code := n.stop(); code != 0 {
			t.Fatalf("serve exited %d", code)
		}
		r := okpay(t, env, "mail", "reprocess", "--data", data)
		if r.code != 0 || !strings.Contains(r.stdout, "not an email message") {
			t.Fatalf("okpay mail reprocess = %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		r = okpay(t, env, "mail", "reprocess", "--data", data, "2")
		if r.code != 1 || !strings.Contains(r.stdout, "2: unparsed") {
			t.Errorf("okpay mail reprocess 2 = %d %q, want 1 and still unparsed", r.code, r.stdout)
		}
		r = okpay(t, env, "mail", "reprocess", "--data", data, "1")
		if r.code != 0 || !strings.Contains(r.stdout, "already processed") {
			t.Errorf("okpay mail reprocess 1 = %d %q", r.code, r.stdout)
		}
	})
}
