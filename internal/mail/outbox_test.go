package mail_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func countRows(tb testing.TB, db *sqlstore.DB, table string) int {
	tb.Helper()
	var n int
	if err := db.Read().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestQueueFollowsTransaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		ob := mustOutbox(t, mail.Options{Now: clk.Now, DKIM: mustDKIM(t, testKey())})
		ctx := context.Background()
		errRollback := errors.New("the change failed")

		err := db.InTx(ctx, func(tx sqlstore.Tx) error {
			if _, err := ob.Queue(ctx, db.OutboxTx(tx), verifyMessage()); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want %v", err, errRollback)
		}
		if n := countRows(t, db, "mail_outbox"); n != 0 {
			t.Errorf("%d outbox rows after a rollback, want 0", n)
		}
		if n := countRows(t, db, "jobs"); n != 0 {
			t.Errorf("%d jobs after a rollback, want 0", n)
		}

		// A message that cannot be composed fails the caller's
		// transaction before anything is written.
		bad := verifyMessage()
		bad.To = nil
		err = db.InTx(ctx, func(tx sqlstore.Tx) error { _, err := ob.Queue(ctx, db.OutboxTx(tx), bad); return err })
		if !errors.Is(err, mail.ErrInvalidMessage) {
			t.Errorf("Queue(no recipient) = %v, want ErrInvalidMessage", err)
		}

		id := mustQueue(t, db, ob, verifyMessage())
		m := mustMail(t, db, id)
		if m.Status != mail.StatusQueued || !m.CreatedAt.Equal(clk.Now()) || !m.SentAt.IsZero() || m.Attempts != 0 {
			t.Errorf("queued row = %+v, want queued at the clock's time, never attempted", m)
		}
		rs, err := db.Jobs().List(ctx, mail.SendJob)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].State != jobs.StateAvailable || string(rs[0].Args) != `{"id":`+itoa(id)+`}` {
			t.Fatalf("jobs = %+v, want one available mail.send job for message %d", rs, id)
		}
		if got := mustDelivered(t, db); len(got) != 0 {
			t.Errorf("dev mailbox holds %d messages before the worker ran, want 0", len(got))
		}
	})
}

func TestSenderDeliversLocallyWithoutRelay(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		d := mustDKIM(t, testKey())
		ob := mustOutbox(t, mail.Options{Now: clk.Now, DKIM: d})
		startRunner(t, db, clk, nil)

		want := verifyMessage()
		id := mustQueue(t, db, ob, want)
		waitJob(t, db, "completed", func(r jobs.Record) bool { return r.State == jobs.StateCompleted })

		m := mustMail(t, db, id)
		if m.Status != mail.StatusDeliveredLocally || !m.SentAt.Equal(clk.Now()) || m.Attempts != 1 || m.LastError != "" {
			t.Errorf("row after delivery = status %s, sent %v, attempts %d, error %q; want delivered_locally at %v, 1 attempt",
				m.Status, m.SentAt, m.Attempts, m.LastError, clk.Now())
		}
		box := mustDelivered(t, db)
		if len(box) != 1 || box[0].ID != id || box[0].Subject != want.Subject || !cmp.Equal(box[0].To, []string{"xiaoming@example.com"}) {
			t.Fatalf("dev mailbox = %+v, want message %d", box, id)
		}

		// What the mailbox holds is the message a relay would have got.
		mustVerifyDKIM(t, m.Raw, d)
		p := mustParse(t, m.Raw)
		if p.subject != want.Subject || p.msgID != m.MessageID || !p.date.Equal(clk.Now()) ||
			p.header.Get("Auto-Submitted") != "auto-generated" || p.topType != "multipart/alternative" {
			t.Errorf("delivered headers: subject %q, id %q, date %v, auto-submitted %q, type %s",
				p.subject, p.msgID, p.date, p.header.Get("Auto-Submitted"), p.topType)
		}
		if diff := cmp.Diff(map[string]string{"text/plain": want.Text, "text/html": want.HTML}, p.parts); diff != "" {
			t.Errorf("delivered parts (-want +got):\n%s", diff)
		}
	})
}

func TestSenderIsIdempotent(t *testing.T) {
	// At-least-once jobs: a second run for the same message sends nothing.
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newClock()
		db := sqltest.NewDB(t, e, "mail", clk.Now)
		relay := startSMTP(t, smtpServerOptions{})
		id := mustQueue(t, db, mustOutbox(t, mail.Options{Now: clk.Now}), verifyMessage())
		s := mail.NewSender(mail.SenderOptions{Store: db.Mail(), Transport: &mail.Relay{Addr: relay.Addr}, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
		c := jobs.Claimed{ID: 1, Job: jobs.Job{Kind: mail.SendJob, Args: []byte(`{"id":` + itoa(id) + `}`), MaxAttempts: 3}, Attempt: 1}
		for run := 1; run <= 2; run++ {
			if err := s.Handle(context.Background(), c); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
		}
		if n := len(relay.received()); n != 1 {
			t.Errorf("relay got %d copies, want 1", n)
		}
		if m := mustMail(t, db, id); m.Attempts != 1 || m.Status != mail.StatusSent {
			t.Errorf("row = %s after %d attempts, want sent after 1", m.Status, m.Attempts)
		}

		// A job for a message that does not exist, or with broken args,
		// is cancelled rather than retried.
		for _, args := range []string{`{"id":999}`, `{}`, `nonsense`} {
			c.Args = []byte(args)
			if err := s.Handle(context.Background(), c); !errors.Is(err, jobs.ErrPermanent) {
				t.Errorf("Handle(%s) = %v, want a permanent failure", args, err)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
