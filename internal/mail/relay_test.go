package mail_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func TestRelayDelivers(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		d := mustDKIM(t, testKey())
		ob := mustOutbox(t, mail.Options{Now: clk.Now, DKIM: d})
		srv := startSMTP(t, smtpServerOptions{})
		startRunner(t, db, clk, &mail.Relay{Addr: srv.Addr, HelloName: "okpay.example"})

		want := verifyMessage()
		id := mustQueue(t, db, ob, want)
		waitJob(t, db, "completed", func(r jobs.Record) bool { return r.State == jobs.StateCompleted })

		got := srv.received()
		if len(got) != 1 {
			t.Fatalf("relay received %d messages, want 1", len(got))
		}
		r := got[0]
		if r.From != "no-reply@okpay.example" || !cmp.Equal(r.To, []string{"xiaoming@example.com"}) {
			t.Errorf("envelope MAIL FROM %q RCPT TO %v, want no-reply@okpay.example to xiaoming@example.com", r.From, r.To)
		}
		m := mustMail(t, db, id)
		if !bytes.Equal(r.Data, m.Raw) {
			t.Errorf("relay received other bytes than the outbox holds:\n%q\nwant\n%q", r.Data[:200], m.Raw[:200])
		}
		mustVerifyDKIM(t, r.Data, d)
		p := mustParse(t, r.Data)
		if p.subject != want.Subject {
			t.Errorf("received Subject decodes to %q, want %q", p.subject, want.Subject)
		}
		if diff := cmp.Diff(map[string]string{"text/plain": want.Text, "text/html": want.HTML}, p.parts); diff != "" {
			t.Errorf("received parts (-want +got):\n%s", diff)
		}
		if m.Status != mail.StatusSent || !m.SentAt.Equal(clk.Now()) || m.Attempts != 1 {
			t.Errorf("row = %s at %v after %d attempts, want sent at %v after 1", m.Status, m.SentAt, m.Attempts, clk.Now())
		}
		if box := mustDelivered(t, db); len(box) != 0 {
			t.Errorf("dev mailbox holds %d messages with a relay configured, want 0", len(box))
		}
	})
}

func TestRelayTemporaryFailureIsRetried(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		srv := startSMTP(t, smtpServerOptions{})
		srv.setRefuse(func(stage string) error {
			if stage == "data" {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
			}
			return nil
		})
		runner := startRunner(t, db, clk, &mail.Relay{Addr: srv.Addr})
		id := mustQueue(t, db, mustOutbox(t, mail.Options{Now: clk.Now}), verifyMessage())

		j := waitJob(t, db, "retrying", func(r jobs.Record) bool { return r.State == jobs.StateAvailable && r.Attempt == 1 })
		if !strings.Contains(j.LastError, "451") || !j.RunAt.Equal(clk.Now().Add(time.Minute)) {
			t.Errorf("job after a 451: last error %q, run at %v; want the 451 kept and a retry at %v", j.LastError, j.RunAt, clk.Now().Add(time.Minute))
		}
		m := mustMail(t, db, id)
		if m.Status != mail.StatusQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "451 4.3.0 try again later") {
			t.Errorf("row after a 451 = %s, %d attempts, error %q; want still queued, 1 attempt, the relay's answer", m.Status, m.Attempts, m.LastError)
		}

		srv.setRefuse(nil)
		clk.Add(time.Minute)
		runner.Notify()
		waitJob(t, db, "completed", func(r jobs.Record) bool { return r.State == jobs.StateCompleted })
		m = mustMail(t, db, id)
		if m.Status != mail.StatusSent || m.Attempts != 2 || !m.SentAt.Equal(clk.Now()) {
			t.Errorf("row after the retry = %s, %d attempts, sent %v; want sent on attempt 2 at %v", m.Status, m.Attempts, m.SentAt, clk.Now())
		}
		if n := len(srv.received()); n != 1 {
			t.Errorf("relay accepted %d messages, want 1", n)
		}
	})
}

func TestRelayPermanentFailure(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		srv := startSMTP(t, smtpServerOptions{})
		srv.setRefuse(func(stage string) error {
			if stage == "rcpt" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			}
			return nil
		})
		startRunner(t, db, clk, &mail.Relay{Addr: srv.Addr})
		id := mustQueue(t, db, mustOutbox(t, mail.Options{Now: clk.Now}), verifyMessage())

		j := waitJob(t, db, "discarded", func(r jobs.Record) bool { return r.State == jobs.StateDiscarded })
		if j.Attempt != 1 || !strings.Contains(j.LastError, "550") {
			t.Errorf("job = attempt %d, error %q; want discarded on the first attempt with the 550", j.Attempt, j.LastError)
		}
		m := mustMail(t, db, id)
		if m.Status != mail.StatusFailed || !strings.Contains(m.LastError, "550 5.1.1 no such user") || !m.SentAt.Equal(clk.Now()) {
			t.Errorf("row = %s, error %q, at %v; want failed with the relay's answer", m.Status, m.LastError, m.SentAt)
		}
		if n := len(srv.received()); n != 0 {
			t.Errorf("relay accepted %d messages, want 0", n)
		}
	})
}

func TestRelayLastAttemptFailsMessage(t *testing.T) {
	clk := newClock()
	db := sqltest.NewDB(t, sqlstore.SQLite, "mail", clk.Now)
	// Nothing listens there: a network error, retried until attempts run out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	runner := startRunner(t, db, clk, &mail.Relay{Addr: addr})
	id := mustQueue(t, db, mustOutbox(t, mail.Options{Now: clk.Now, MaxAttempts: 2}), verifyMessage())

	waitJob(t, db, "retrying", func(r jobs.Record) bool { return r.State == jobs.StateAvailable && r.Attempt == 1 })
	if m := mustMail(t, db, id); m.Status != mail.StatusQueued || m.Attempts != 1 {
		t.Errorf("row after a refused connection = %s after %d attempts, want queued after 1", m.Status, m.Attempts)
	}
	clk.Add(time.Minute)
	runner.Notify()
	waitJob(t, db, "discarded", func(r jobs.Record) bool { return r.State == jobs.StateDiscarded })
	if m := mustMail(t, db, id); m.Status != mail.StatusFailed || m.Attempts != 2 || m.LastError == "" {
		t.Errorf("row after the last attempt = %s after %d attempts (%q), want failed after 2 with the error", m.Status, m.Attempts, m.LastError)
	}
}

func TestRelaySTARTTLSAndAuth(t *testing.T) {
	serverTLS, clientTLS := selfSignedTLS(t)
	srv := startSMTP(t, smtpServerOptions{TLS: serverTLS, User: "okpay", Pass: "s3cret"})
	ctx := context.Background()
	raw := []byte("From: a@okpay.example\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n")

	r, err := mail.ParseRelay("smtp://okpay:s3cret@" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	r.TLSConfig = clientTLS
	if err := r.Send(ctx, "a@okpay.example", []string{"b@example.com"}, raw); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.received()
	if len(got) != 1 || !got[0].TLS || got[0].User != "okpay" || !bytes.Equal(got[0].Data, raw) {
		t.Fatalf("received %+v, want one message over STARTTLS, authenticated as okpay", got)
	}

	// A relay certificate we do not trust is an error, never a fallback to
	// plain text.
	r.TLSConfig = nil
	if err := r.Send(ctx, "a@okpay.example", []string{"b@example.com"}, raw); err == nil || mail.IsPermanent(err) {
		t.Errorf("Send to an untrusted certificate = %v, want a retryable error", err)
	}

	// Wrong credentials are a configuration problem: retried (so mail
	// waits for the fix), not a permanent failure of the message.
	r.TLSConfig = clientTLS
	r.Password = "wrong"
	err = r.Send(ctx, "a@okpay.example", []string{"b@example.com"}, raw)
	var se *mail.SMTPError
	if !errors.As(err, &se) || se.Stage != "auth" || se.Code != 535 || mail.IsPermanent(err) {
		t.Errorf("Send with a wrong password = %v, want a retryable 535 at auth", err)
	}
	if n := len(srv.received()); n != 1 {
		t.Errorf("relay accepted %d messages, want still 1", n)
	}
}

func TestRelayPermanenceByStage(t *testing.T) {
	for _, tc := range []struct {
		stage string
		code  int
		want  bool
	}{
		{"mail", 550, true}, {"rcpt", 550, true}, {"rcpt", 553, true}, {"data", 554, true}, {"data", 552, true},
		{"data", 451, false}, {"rcpt", 450, false}, {"mail", 421, false},
		{"auth", 535, false}, {"hello", 550, false}, {"connect", 554, false}, {"starttls", 554, false},
	} {
		err := error(&mail.SMTPError{Stage: tc.stage, Code: tc.code, Msg: "x"})
		if got := mail.IsPermanent(err); got != tc.want {
			t.Errorf("IsPermanent(%d at %s) = %v, want %v", tc.code, tc.stage, got, tc.want)
		}
	}
	if mail.IsPermanent(errors.New("connection refused")) {
		t.Error("a network error is permanent")
	}
}

func TestParseRelay(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want mail.Relay
	}{
		{"127.0.0.1:2525", mail.Relay{Addr: "127.0.0.1:2525"}},
		{"smtp://relay.example", mail.Relay{Addr: "relay.example:587"}},
		{"smtp://u%40x:p%3Ass@relay.example:25", mail.Relay{Addr: "relay.example:25", Username: "u@x", Password: "p:ss"}},
		{"smtps://u:p@relay.example", mail.Relay{Addr: "relay.example:465", ImplicitTLS: true, Username: "u", Password: "p"}},
		{"smtp://[::1]:25", mail.Relay{Addr: "[::1]:25"}},
	} {
		got, err := mail.ParseRelay(tc.in)
		if err != nil {
			t.Errorf("ParseRelay(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, *got); diff != "" {
			t.Errorf("ParseRelay(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, in := range []string{"", "relay.example", ":25", "http://relay.example", "smtp://", "smtp://h:25/path", "smtp://h:25?x=1"} {
		if _, err := mail.ParseRelay(in); !errors.Is(err, mail.ErrInvalidConfig) {
			t.Errorf("ParseRelay(%q) = %v, want ErrInvalidConfig", in, err)
		}
	}
	r, _ := mail.ParseRelay("smtps://user:topsecret@relay.example")
	if s := r.String(); strings.Contains(s, "topsecret") || !strings.Contains(s, "user") {
		t.Errorf("Relay.String() = %q, want the user without the password", s)
	}
}
