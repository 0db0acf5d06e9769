package inbound_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/okpay/okpay/internal/inbound"
)

func FuzzParse(f *testing.F) {
	// The corpus, when it is there, and a few messages of our own.
	files, _ := filepath.Glob(filepath.Join(corpusPath(), "*.eml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add(raw("From: a@example.com", "Subject: =?GBK?B?zOHP1sqnsNw=?=", "Content-Type: multipart/mixed; boundary=b", "",
		"--b", "Content-Type: text/plain; charset=gbk", "Content-Transfer-Encoding: quoted-printable", "", "=CC=E1=CF=D6",
		"--b", "Content-Type: application/pdf", "Content-Disposition: attachment; filename*0*=utf-8''%E8%B4%A6; filename*1=.pdf", "", "x",
		"--b--"))
	f.Add(raw("From: MAILER-DAEMON@x", "Content-Type: multipart/report; report-type=delivery-status; boundary=r", "",
		"--r", "Content-Type: message/delivery-status", "", "Final-Recipient: rfc822; a@b", "Action: failed", "Status: 5.1.1",
		"--r", "Content-Type: text/rfc822-headers", "", "Message-ID: <x@y>", "--r--"))
	f.Add(raw("Subject: Re: x", "Content-Type: text/html", "", "<blockquote><p>q</blockquote><pre>a\n b</pre><!-- c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := inbound.Parse(b)
		if err != nil {
			if !errors.Is(err, inbound.ErrNotMessage) {
				t.Fatalf("Parse failed with %v", err)
			}
			return
		}
		checkMessage(t, m)
		inbound.TicketNumber(m.Subject)
		inbound.Urgent(m.Subject)
		inbound.CleanSubject(m.Subject)
	})
}
