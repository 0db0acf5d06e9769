package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func newFakeClock() *clock.Settable {
	return clock.NewSettable(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

func mustListJobs(tb testing.TB, s *sqlstore.JobStore, kind string) []jobs.Record {
	tb.Helper()
	rs, err := s.List(context.Background(), kind)
	if err != nil {
		tb.Fatalf("List(%q): %v", kind, err)
	}
	return rs
}

func mustJob(tb testing.TB, s *sqlstore.JobStore, id int64) jobs.Record {
	tb.Helper()
	r, err := s.Job(context.Background(), id)
	if err != nil {
		tb.Fatalf("Job(%d): %v", id, err)
	}
	return r
}

func mustEnqueue(tb testing.TB, s *sqlstore.JobStore, js ...jobs.Job) {
	tb.Helper()
	if err := s.Enqueue(context.Background(), js...); err != nil {
		tb.Fatalf("Enqueue: %v", err)
	}
}

func TestEnqueueJobsFollowsTransaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		errRollback := errors.New("roll back")

		err := db.InTx(ctx, func(tx sqlstore.Tx) error {
			if err := sqlstore.EnqueueJobs(ctx, tx, db.Now(), jobs.Job{Kind: "mail", Args: []byte(`"rolled back"`)}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want %v", err, errRollback)
		}
		err = db.InTx(ctx, func(tx sqlstore.Tx) error {
			return sqlstore.EnqueueJobs(ctx, tx, db.Now(), jobs.Job{Kind: "mail", Args: []byte(`"committed"`)})
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}

		var got []string
		for _, r := range mustListJobs(t, db.Jobs(), "mail") {
			got = append(got, string(r.Args))
		}
		if diff := cmp.Diff([]string{`"committed"`}, got); diff != "" {
			t.Errorf("stored jobs' args (-want +got):\n%s", diff)
		}
	})
}

func TestEnqueueDefaults(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		s := db.Jobs()
		later := clk.Now().Add(time.Hour)
		mustEnqueue(t, s,
			jobs.Job{Kind: "a"},
			jobs.Job{Kind: "b", Args: []byte(`{"n":1}`), RunAt: later, MaxAttempts: 3, UniqueKey: "b-1"},
		)
		want := []jobs.Record{
			{
				ID:        1,
				Job:       jobs.Job{Kind: "a", RunAt: clk.Now(), MaxAttempts: jobs.DefaultMaxAttempts},
				State:     jobs.StateAvailable,
				CreatedAt: clk.Now(),
			},
			{
				ID:        2,
				Job:       jobs.Job{Kind: "b", Args: []byte(`{"n":1}`), RunAt: later, MaxAttempts: 3, UniqueKey: "b-1"},
				State:     jobs.StateAvailable,
				CreatedAt: clk.Now(),
			},
		}
		if diff := cmp.Diff(want, mustListJobs(t, s, "")); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want[1], mustJob(t, s, 2)); diff != "" {
			t.Errorf("Job(2) (-want +got):\n%s", diff)
		}
		if _, err := s.Job(context.Background(), 99); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Job(99) error = %v, want %v", err, jobs.ErrNotFound)
		}
	})
}

func TestEnqueueInvalid(t *testing.T) {
	tests := []struct {
		name string
		job  jobs.Job
	}{
		{"no kind", jobs.Job{Args: []byte(`{}`)}},
		{"negative max attempts", jobs.Job{Kind: "k", MaxAttempts: -1}},
		{"args not JSON", jobs.Job{Kind: "k", Args: []byte(`{nope`)}},
	}
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// The valid job in the same call must not be stored either.
				err := db.Jobs().Enqueue(context.Background(), jobs.Job{Kind: "ok"}, tt.job)
				if !errors.Is(err, jobs.ErrInvalidJob) {
					t.Errorf("Enqueue error = %v, want %v", err, jobs.ErrInvalidJob)
				}
				if got := mustListJobs(t, db.Jobs(), ""); len(got) != 0 {
					t.Errorf("stored %d jobs, want 0", len(got))
				}
			})
		}
	})
}

func TestEnqueueUniqueKey(t *testing.T) {
	tests := []struct {
		name    string
		enqueue func(ctx context.Context, db *sqlstore.DB) error
		want    []string // args of the stored jobs
	}{
		{
			name: "same key in one call",
			enqueue: func(ctx context.Context, db *sqlstore.DB) error {
				return db.Jobs().Enqueue(ctx,
					jobs.Job{Kind: "k", Args: []byte(`1`), UniqueKey: "x"},
					jobs.Job{Kind: "k", Args: []byte(`2`), UniqueKey: "x"})
			},
			want: []string{"1"},
		},
		{
			name: "same key in two calls",
			enqueue: func(ctx context.Context, db *sqlstore.DB) error {
				if err := db.Jobs().Enqueue(ctx, jobs.Job{Kind: "k", Args: []byte(`1`), UniqueKey: "x"}); err != nil {
					return err
				}
				return db.Jobs().Enqueue(ctx, jobs.Job{Kind: "k", Args: []byte(`2`), UniqueKey: "x"})
			},
			want: []string{"1"},
		},
		{
			name: "key taken by a completed job, enqueued in a transaction",
			enqueue: func(ctx context.Context, db *sqlstore.DB) error {
				s := db.Jobs()
				if err := s.Enqueue(ctx, jobs.Job{Kind: "k", Args: []byte(`1`), UniqueKey: "x"}); err != nil {
					return err
				}
				cs, err := s.Claim(ctx, "w", []string{"k"}, 1, time.Minute)
				if err != nil || len(cs) != 1 {
					return fmt.Errorf("claim: %v, %d jobs", err, len(cs))
				}
				if err := s.Complete(ctx, cs[0].ID); err != nil {
					return err
				}
				return db.InTx(ctx, func(tx sqlstore.Tx) error {
					return sqlstore.EnqueueJobs(ctx, tx, db.Now(), jobs.Job{Kind: "k", Args: []byte(`2`), UniqueKey: "x"})
				})
			},
			want: []string{"1"},
		},
		{
			name: "different keys and no keys",
			enqueue: func(ctx context.Context, db *sqlstore.DB) error {
				return db.Jobs().Enqueue(ctx,
					jobs.Job{Kind: "k", Args: []byte(`1`), UniqueKey: "x"},
					jobs.Job{Kind: "k", Args: []byte(`2`), UniqueKey: "y"},
					jobs.Job{Kind: "k", Args: []byte(`3`)},
					jobs.Job{Kind: "k", Args: []byte(`4`)})
			},
			want: []string{"1", "2", "3", "4"},
		},
	}
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := sqltest.NewDB(t, e, "sqlstore", newFakeClock().Now)
				if err := tt.enqueue(context.Background(), db); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range mustListJobs(t, db.Jobs(), "k") {
					got = append(got, string(r.Args))
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("stored jobs' args (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestClaim(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		now := clk.Now()
		mustEnqueue(t, s,
			jobs.Job{Kind: "a", Args: []byte(`"third"`), RunAt: now.Add(-time.Second)},
			jobs.Job{Kind: "a", Args: []byte(`"first"`), RunAt: now.Add(-time.Hour)},
			jobs.Job{Kind: "a", Args: []byte(`"future"`), RunAt: now.Add(time.Second)},
			jobs.Job{Kind: "other", Args: []byte(`"other kind"`), RunAt: now.Add(-time.Hour)},
			jobs.Job{Kind: "b", Args: []byte(`"second"`), RunAt: now.Add(-time.Minute), MaxAttempts: 2, UniqueKey: "u"},
		)

		got, err := s.Claim(ctx, "w1", []string{"a", "b"}, 2, time.Minute)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		want := []jobs.Claimed{
			{ID: 2, Job: jobs.Job{Kind: "a", Args: []byte(`"first"`), RunAt: now.Add(-time.Hour), MaxAttempts: 10}, Attempt: 1},
			{ID: 5, Job: jobs.Job{Kind: "b", Args: []byte(`"second"`), RunAt: now.Add(-time.Minute), MaxAttempts: 2, UniqueKey: "u"}, Attempt: 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("first Claim (-want +got):\n%s", diff)
		}
		r := mustJob(t, s, 2)
		if r.State != jobs.StateRunning || r.LockedBy != "w1" || !r.LockedUntil.Equal(now.Add(time.Minute)) {
			t.Errorf("claimed job: state %s, locked by %q until %v; want running, locked by w1 until %v",
				r.State, r.LockedBy, r.LockedUntil, now.Add(time.Minute))
		}

		got, err = s.Claim(ctx, "w2", []string{"a", "b"}, 10, time.Minute)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		var args []string
		for _, c := range got {
			args = append(args, string(c.Args))
		}
		if diff := cmp.Diff([]string{`"third"`}, args); diff != "" {
			t.Errorf("second Claim's args (-want +got):\n%s", diff)
		}

		for _, kinds := range [][]string{nil, {"a", "b"}} {
			got, err = s.Claim(ctx, "w3", kinds, 10, time.Minute)
			if err != nil || len(got) != 0 {
				t.Errorf("Claim(kinds %q) = %d jobs, %v; want none", kinds, len(got), err)
			}
		}

		clk.Add(time.Second) // "future" is due
		got, err = s.Claim(ctx, "w3", []string{"a"}, 10, time.Minute)
		if err != nil || len(got) != 1 || string(got[0].Args) != `"future"` {
			t.Errorf("Claim once due = %+v, %v; want the future job", got, err)
		}
	})
}

func TestClaimTakesOverExpiredLease(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		t0 := clk.Now()
		mustEnqueue(t, s, jobs.Job{Kind: "k"})
		if cs, err := s.Claim(ctx, "crashed", []string{"k"}, 1, time.Minute); err != nil || len(cs) != 1 {
			t.Fatalf("Claim = %d jobs, %v; want 1", len(cs), err)
		}

		steps := []struct {
			advance     time.Duration
			wantClaimed int
		}{
			{0, 0},
			{time.Minute, 0}, // locked_until == now: still held
			{time.Nanosecond, 1},
		}
		for _, st := range steps {
			clk.Add(st.advance)
			cs, err := s.Claim(ctx, "rescuer", []string{"k"}, 1, time.Minute)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if len(cs) != st.wantClaimed {
				t.Fatalf("at +%v past the claim, Claim took %d jobs, want %d", clk.Now().Sub(t0), len(cs), st.wantClaimed)
			}
			if st.wantClaimed == 1 && cs[0].Attempt != 2 {
				t.Errorf("taken-over job's attempt = %d, want 2", cs[0].Attempt)
			}
		}
		r := mustJob(t, s, 1)
		if r.LockedBy != "rescuer" || r.Attempt != 2 {
			t.Errorf("job locked by %q on attempt %d, want rescuer on attempt 2", r.LockedBy, r.Attempt)
		}
		// The crashed worker's late outcome lands on the rescuer's run: the
		// runner's at-least-once contract, stated in package jobs.
	})
}

func TestClaimConcurrentTakesEachJobOnce(t *testing.T) {
	const nJobs, nWorkers = 60, 6
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", newFakeClock().Now)
		s := db.Jobs()
		var js []jobs.Job
		for i := range nJobs {
			js = append(js, jobs.Job{Kind: "k", Args: []byte(fmt.Sprint(i))})
		}
		mustEnqueue(t, s, js...)

		var (
			mu     sync.Mutex
			claims = map[int64]int{}
			wg     sync.WaitGroup
			errs   = make(chan error, nWorkers)
		)
		for w := range nWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					cs, err := s.Claim(context.Background(), fmt.Sprint("w", w), []string{"k"}, 3, time.Minute)
					if err != nil {
						errs <- err
						return
					}
					if len(cs) == 0 {
						return
					}
					mu.Lock()
					for _, c := range cs {
						claims[c.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Claim: %v", err)
		}
		if len(claims) != nJobs {
			t.Errorf("%d distinct jobs claimed, want %d", len(claims), nJobs)
		}
		for id, n := range claims {
			if n != 1 {
				t.Errorf("job %d claimed %d times, want once", id, n)
			}
		}
	})
}

func TestJobOutcomes(t *testing.T) {
	type outcome struct {
		State       jobs.State
		Attempt     int
		RunAt       time.Time
		LastError   string
		LockedUntil time.Time
		FinishedAt  time.Time
	}
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		t0 := clk.Now()
		tests := []struct {
			name   string
			finish func(id int64) error
			want   outcome
		}{
			{
				name:   "complete",
				finish: func(id int64) error { return s.Complete(ctx, id) },
				want:   outcome{State: jobs.StateCompleted, Attempt: 1, RunAt: t0, FinishedAt: t0.Add(time.Second)},
			},
			{
				name:   "retry",
				finish: func(id int64) error { return s.Retry(ctx, id, t0.Add(time.Hour), "timeout") },
				want:   outcome{State: jobs.StateAvailable, Attempt: 1, RunAt: t0.Add(time.Hour), LastError: "timeout"},
			},
			{
				name:   "discard",
				finish: func(id int64) error { return s.Discard(ctx, id, "bad input") },
				want:   outcome{State: jobs.StateDiscarded, Attempt: 1, RunAt: t0, LastError: "bad input", FinishedAt: t0.Add(time.Second)},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				kind := "k-" + tt.name
				mustEnqueue(t, s, jobs.Job{Kind: kind, RunAt: t0})
				id := mustListJobs(t, s, kind)[0].ID
				// Not running yet.
				if err := tt.finish(id); !errors.Is(err, jobs.ErrNotRunning) {
					t.Errorf("%s before Claim: error = %v, want %v", tt.name, err, jobs.ErrNotRunning)
				}
				if _, err := s.Claim(ctx, "w", []string{kind}, 1, time.Minute); err != nil {
					t.Fatal(err)
				}
				clk.Add(time.Second)
				defer clk.Add(-time.Second)
				if err := tt.finish(id); err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				r := mustJob(t, s, id)
				got := outcome{r.State, r.Attempt, r.RunAt, r.LastError, r.LockedUntil, r.FinishedAt}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("after %s (-want +got):\n%s", tt.name, diff)
				}
				// Finished once, it cannot be finished again.
				if err := tt.finish(id); !errors.Is(err, jobs.ErrNotRunning) {
					t.Errorf("second %s: error = %v, want %v", tt.name, err, jobs.ErrNotRunning)
				}
			})
		}
		for name, err := range map[string]error{
			"Complete": s.Complete(ctx, 404),
			"Retry":    s.Retry(ctx, 404, t0, ""),
			"Discard":  s.Discard(ctx, 404, ""),
		} {
			if !errors.Is(err, jobs.ErrNotFound) {
				t.Errorf("%s(unknown id) error = %v, want %v", name, err, jobs.ErrNotFound)
			}
		}
	})
}
