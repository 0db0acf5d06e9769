package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func mustInsertMail(tb testing.TB, db *sqlstore.DB, m mail.Stored) int64 {
	tb.Helper()
	var id int64
	err := db.InTx(context.Background(), func(tx sqlstore.Tx) error {
		var err error
		id, err = db.OutboxTx(tx).InsertMail(context.Background(), m)
		return err
	})
	if err != nil {
		tb.Fatalf("InsertMail: %v", err)
	}
	return id
}

func TestMailStoreRoundTripAndAttempts(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		s := db.Mail()
		ctx := context.Background()

		in := mail.Stored{MessageID: "a1@okpay.example", From: "no-reply@okpay.example",
			To: []string{"x@example.com", "y@example.com"}, Subject: "您好", Raw: []byte("Subject: x\r\n\r\nhi\r\n"),
			Status: mail.StatusQueued, CreatedAt: clk.Now()}
		id := mustInsertMail(t, db, in)
		got, err := s.Mail(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := in
		want.ID = id
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Mail (-want +got):\n%s", diff)
		}

		// A retry keeps it queued; the final outcome moves it on once.
		if err := s.RecordAttempt(ctx, id, mail.Attempt{Status: mail.StatusQueued, Err: "451 later"}); err != nil {
			t.Fatal(err)
		}
		done := clk.Now().Add(time.Minute)
		if err := s.RecordAttempt(ctx, id, mail.Attempt{Status: mail.StatusDeliveredLocally, At: done}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Mail(ctx, id)
		if got.Status != mail.StatusDeliveredLocally || got.Attempts != 2 || !got.SentAt.Equal(done) || got.LastError != "" {
			t.Errorf("after two attempts: %s, %d attempts, at %v, error %q", got.Status, got.Attempts, got.SentAt, got.LastError)
		}
		if err := s.RecordAttempt(ctx, id, mail.Attempt{Status: mail.StatusSent, At: done}); !errors.Is(err, mail.ErrNotQueued) {
			t.Errorf("RecordAttempt on a delivered message = %v, want ErrNotQueued", err)
		}
		if err := s.RecordAttempt(ctx, 999, mail.Attempt{Status: mail.StatusSent, At: done}); !errors.Is(err, mail.ErrNotFound) {
			t.Errorf("RecordAttempt on no message = %v, want ErrNotFound", err)
		}
		if _, err := s.Mail(ctx, 999); !errors.Is(err, mail.ErrNotFound) {
			t.Errorf("Mail(999) = %v, want ErrNotFound", err)
		}

		// The dev mailbox lists delivered messages only, newest first,
		// without their bytes.
		second := mustInsertMail(t, db, mail.Stored{MessageID: "a2@okpay.example", From: "f@okpay.example", To: []string{"z@example.com"}, Raw: []byte("x")})
		mustInsertMail(t, db, mail.Stored{MessageID: "a3@okpay.example", From: "f@okpay.example", To: []string{"z@example.com"}, Raw: []byte("x")})
		if err := s.RecordAttempt(ctx, second, mail.Attempt{Status: mail.StatusDeliveredLocally, At: done}); err != nil {
			t.Fatal(err)
		}
		box, err := s.Delivered(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range box {
			ids = append(ids, m.ID)
			if m.Raw != nil {
				t.Errorf("Delivered returned the bytes of message %d", m.ID)
			}
		}
		if diff := cmp.Diff([]int64{second, id}, ids); diff != "" {
			t.Errorf("Delivered ids (-want +got):\n%s", diff)
		}
		if box, _ := s.Delivered(ctx, 1); len(box) != 1 || box[0].ID != second {
			t.Errorf("Delivered(limit 1) = %+v, want the newest only", box)
		}

		// Message-IDs are unique: the same message is never stored twice.
		err = db.InTx(ctx, func(tx sqlstore.Tx) error {
			_, err := db.OutboxTx(tx).InsertMail(ctx, in)
			return err
		})
		if !sqlstore.IsUniqueViolation(err) {
			t.Errorf("inserting a Message-ID twice = %v, want a unique violation", err)
		}

		// EnqueueJobs through the outbox transaction lands in the jobs table.
		err = db.InTx(ctx, func(tx sqlstore.Tx) error {
			return db.OutboxTx(tx).EnqueueJobs(ctx, jobs.Job{Kind: mail.SendJob, Args: []byte(`{"id":1}`)})
		})
		if err != nil {
			t.Fatal(err)
		}
		if rs := mustListJobs(t, db.Jobs(), mail.SendJob); len(rs) != 1 || !rs[0].CreatedAt.Equal(clk.Now()) {
			t.Errorf("jobs = %+v, want one created at the database clock", rs)
		}
	})
}
