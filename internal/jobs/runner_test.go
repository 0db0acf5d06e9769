package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
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
	return clock.NewSettable(time.Date(2030, 1, 2, 3, 10, 0, 0, time.UTC))
}

// spyStore counts a runner's claims and records the jobs it enqueued, so
// tests can wait until a runner has had its chance.
type spyStore struct {
	jobs.Store
	mu       sync.Mutex
	claims   int
	enqueues []jobs.Job
}

func (s *spyStore) Claim(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) ([]jobs.Claimed, error) {
	cs, err := s.Store.Claim(ctx, worker, kinds, limit, lease)
	s.mu.Lock()
	s.claims++
	s.mu.Unlock()
	return cs, err
}

func (s *spyStore) Enqueue(ctx context.Context, js ...jobs.Job) error {
	err := s.Store.Enqueue(ctx, js...)
	if err == nil {
		s.mu.Lock()
		s.enqueues = append(s.enqueues, js...)
		s.mu.Unlock()
	}
	return err
}

func (s *spyStore) claimCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims
}

// enqueued reports whether a job of kind to run at runAt was enqueued.
func (s *spyStore) enqueued(kind string, runAt time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.enqueues, func(j jobs.Job) bool { return j.Kind == kind && j.RunAt.Equal(runAt) })
}

// calls records handler invocations.
type calls struct {
	mu   sync.Mutex
	list []call
}

type call struct {
	ID      int64
	Args    string
	Attempt int
}

func (cs *calls) add(c jobs.Claimed) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.list = append(cs.list, call{c.ID, string(c.Args), c.Attempt})
}

func (cs *calls) get() []call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(cs.list)
}

func testOptions(clk *clock.Settable) jobs.Options {
	return jobs.Options{
		Now:          clk.Now,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		PollInterval: 10 * time.Millisecond,
		Backoff:      func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute },
	}
}

// start runs r until the test ends or stop is called; stop returns Run's
// error.
func start(t *testing.T, r *jobs.Runner) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitJob polls the job with id until cond holds and returns it.
func waitJob(t *testing.T, s *sqlstore.JobStore, id int64, what string, cond func(jobs.Record) bool) jobs.Record {
	t.Helper()
	var r jobs.Record
	waitFor(t, fmt.Sprintf("job %d: %s", id, what), func() bool {
		var err error
		r, err = s.Job(context.Background(), id)
		if err != nil {
			t.Fatalf("Job(%d): %v", id, err)
		}
		return cond(r)
	})
	return r
}

func onlyJob(t *testing.T, s *sqlstore.JobStore, kind string) jobs.Record {
	t.Helper()
	rs, err := s.List(context.Background(), kind)
	if err != nil {
		t.Fatalf("List(%q): %v", kind, err)
	}
	if len(rs) != 1 {
		t.Fatalf("List(%q) = %d jobs, want 1", kind, len(rs))
	}
	return rs[0]
}

func finished(r jobs.Record) bool {
	return r.State == jobs.StateCompleted || r.State == jobs.StateDiscarded
}

func TestRunOnlyCommittedJobs(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		ctx := context.Background()
		var got calls
		r := jobs.New(db.Jobs(), testOptions(clk))
		r.Register("mail", func(_ context.Context, c jobs.Claimed) error {
			got.add(c)
			return nil
		})
		start(t, r)

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
		if err := db.InTx(ctx, func(tx sqlstore.Tx) error {
			return sqlstore.EnqueueJobs(ctx, tx, db.Now(), jobs.Job{Kind: "mail", Args: []byte(`"committed"`)})
		}); err != nil {
			t.Fatalf("InTx: %v", err)
		}
		r.Notify()

		job := onlyJob(t, db.Jobs(), "mail")
		waitJob(t, db.Jobs(), job.ID, "completed", func(r jobs.Record) bool { return r.State == jobs.StateCompleted })
		want := []call{{ID: job.ID, Args: `"committed"`, Attempt: 1}}
		if diff := cmp.Diff(want, got.get()); diff != "" {
			t.Errorf("handler calls (-want +got):\n%s", diff)
		}
	})
}

func TestRunRetriesWithBackoff(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		s := db.Jobs()
		var got calls
		r := jobs.New(s, testOptions(clk)) // backoff: attempt × 1m
		r.Register("webhook", func(_ context.Context, c jobs.Claimed) error {
			got.add(c)
			if c.Attempt < 3 {
				return fmt.Errorf("endpoint down (attempt %d)", c.Attempt)
			}
			return nil
		})
		start(t, r)
		if err := r.Enqueue(context.Background(), jobs.Job{Kind: "webhook", Args: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		id := onlyJob(t, s, "webhook").ID

		runAt := clk.Now()
		for attempt := 1; attempt <= 2; attempt++ {
			rec := waitJob(t, s, id, fmt.Sprintf("retry after attempt %d", attempt), func(r jobs.Record) bool {
				return r.State == jobs.StateAvailable && r.Attempt == attempt
			})
			runAt = runAt.Add(time.Duration(attempt) * time.Minute)
			if !rec.RunAt.Equal(runAt) {
				t.Errorf("after attempt %d: run at %v, want %v (backoff %dm)", attempt, rec.RunAt, runAt, attempt)
			}
			if want := fmt.Sprintf("endpoint down (attempt %d)", attempt); rec.LastError != want {
				t.Errorf("after attempt %d: last error %q, want %q", attempt, rec.LastError, want)
			}
			if n := len(got.get()); n != attempt {
				t.Fatalf("handler ran %d times before the backoff elapsed, want %d", n, attempt)
			}
			clk.Add(time.Duration(attempt) * time.Minute)
			r.Notify()
		}
		rec := waitJob(t, s, id, "completed", finished)
		if rec.State != jobs.StateCompleted || rec.Attempt != 3 {
			t.Errorf("job %s on attempt %d, want completed on attempt 3", rec.State, rec.Attempt)
		}
		want := []call{{id, "{}", 1}, {id, "{}", 2}, {id, "{}", 3}}
		if diff := cmp.Diff(want, got.get()); diff != "" {
			t.Errorf("handler calls (-want +got):\n%s", diff)
		}
	})
}

func TestRunDiscards(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		handler     func(c jobs.Claimed) error
		wantAttempt int
		wantError   string
	}{
		{
			name:        "permanent failure",
			maxAttempts: 5,
			handler:     func(jobs.Claimed) error { return jobs.Cancel(errors.New("card declined")) },
			wantAttempt: 1,
			wantError:   "jobs: permanent failure: card declined",
		},
		{
			name:        "wrapped ErrPermanent",
			maxAttempts: 5,
			handler:     func(jobs.Claimed) error { return fmt.Errorf("bad payload: %w", jobs.ErrPermanent) },
			wantAttempt: 1,
			wantError:   "bad payload: jobs: permanent failure",
		},
		{
			name:        "max attempts",
			maxAttempts: 3,
			handler:     func(c jobs.Claimed) error { return fmt.Errorf("boom %d", c.Attempt) },
			wantAttempt: 3,
			wantError:   "boom 3",
		},
		{
			name:        "panics count as failures",
			maxAttempts: 2,
			handler:     func(jobs.Claimed) error { panic("kaboom") },
			wantAttempt: 2,
			wantError:   "jobs: handler panicked: kaboom",
		},
	}
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				clk := newFakeClock()
				db := sqltest.NewDB(t, e, "jobs", clk.Now)
				s := db.Jobs()
				var got calls
				opts := testOptions(clk)
				opts.Backoff = func(int) time.Duration { return 0 } // retry at once
				r := jobs.New(s, opts)
				r.Register("k", func(_ context.Context, c jobs.Claimed) error {
					got.add(c)
					return tt.handler(c)
				})
				start(t, r)
				if err := r.Enqueue(context.Background(), jobs.Job{Kind: "k", MaxAttempts: tt.maxAttempts}); err != nil {
					t.Fatal(err)
				}
				id := onlyJob(t, s, "k").ID
				rec := waitJob(t, s, id, "finished", finished)

				type outcome struct {
					State      jobs.State
					Attempt    int
					LastError  string
					FinishedAt time.Time
					Calls      int
				}
				gotOut := outcome{rec.State, rec.Attempt, rec.LastError, rec.FinishedAt, len(got.get())}
				wantOut := outcome{jobs.StateDiscarded, tt.wantAttempt, tt.wantError, clk.Now(), tt.wantAttempt}
				if diff := cmp.Diff(wantOut, gotOut); diff != "" {
					t.Errorf("outcome (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestPeriodicOncePerPeriodAcrossRunners(t *testing.T) {
	const every = time.Hour
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		tg := sqltest.New(t, e, "jobs")
		var got calls
		var spies []*spyStore
		for i := range 2 { // two nodes, each with its own connections
			db := sqltest.Open(t, tg, clk.Now)
			spy := &spyStore{Store: db.Jobs()}
			spies = append(spies, spy)
			opts := testOptions(clk)
			opts.Worker = fmt.Sprint("node", i)
			r := jobs.New(spy, opts)
			r.Register("report", func(_ context.Context, c jobs.Claimed) error {
				got.add(c)
				return nil
			})
			r.Periodic("report", every, []byte(`{"daily":false}`))
			start(t, r)
		}
		s := sqltest.Open(t, tg, clk.Now).Jobs()

		var keys []string
		for period := range 3 {
			if period > 0 {
				clk.Add(every)
			}
			key := jobs.PeriodKey("report", every, clk.Now())
			keys = append(keys, key)
			periodStart := clk.Now().Truncate(every)
			waitFor(t, "both runners to enqueue "+key, func() bool {
				return spies[0].enqueued("report", periodStart) && spies[1].enqueued("report", periodStart)
			})
			waitFor(t, key+" to complete", func() bool {
				rs, err := s.List(context.Background(), "report")
				if err != nil {
					t.Fatal(err)
				}
				return len(rs) >= period+1 && !slices.ContainsFunc(rs, func(r jobs.Record) bool { return !finished(r) })
			})
			// Let both runners poll again within the period.
			n0, n1 := spies[0].claimCount(), spies[1].claimCount()
			waitFor(t, "both runners to poll", func() bool {
				return spies[0].claimCount() > n0+1 && spies[1].claimCount() > n1+1
			})
		}

		rs, err := s.List(context.Background(), "report")
		if err != nil {
			t.Fatal(err)
		}
		var gotKeys []string
		for _, r := range rs {
			gotKeys = append(gotKeys, r.UniqueKey)
			if r.State != jobs.StateCompleted || r.Attempt != 1 {
				t.Errorf("job %s: %s on attempt %d, want completed on attempt 1", r.UniqueKey, r.State, r.Attempt)
			}
		}
		if diff := cmp.Diff(keys, gotKeys); diff != "" {
			t.Errorf("periodic jobs' keys (-want +got):\n%s", diff)
		}
		if n := len(got.get()); n != len(keys) {
			t.Errorf("handler ran %d times over %d periods, want once per period", n, len(keys))
		}
		if want := "report@2030-01-02T03:00:00Z"; keys[0] != want {
			t.Errorf("first key = %q, want %q", keys[0], want)
		}
	})
}

func TestRunTakesOverExpiredLease(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		if err := s.Enqueue(ctx, jobs.Job{Kind: "settle"}); err != nil {
			t.Fatal(err)
		}
		// A node claims the job and crashes.
		if cs, err := s.Claim(ctx, "crashed-node", []string{"settle"}, 1, time.Minute); err != nil || len(cs) != 1 {
			t.Fatalf("Claim = %d jobs, %v; want 1", len(cs), err)
		}

		var got calls
		spy := &spyStore{Store: s}
		opts := testOptions(clk)
		opts.Worker = "rescuer"
		r := jobs.New(spy, opts)
		r.Register("settle", func(_ context.Context, c jobs.Claimed) error {
			got.add(c)
			return nil
		})
		start(t, r)

		waitFor(t, "the runner to poll while the lease holds", func() bool { return spy.claimCount() >= 3 })
		id := onlyJob(t, s, "settle").ID
		if rec := onlyJob(t, s, "settle"); rec.LockedBy != "crashed-node" || rec.State != jobs.StateRunning || len(got.get()) != 0 {
			t.Fatalf("before the lease expired: job %s, locked by %q, %d handler calls; want running, locked by crashed-node, none",
				rec.State, rec.LockedBy, len(got.get()))
		}

		clk.Add(time.Minute + time.Second)
		r.Notify()
		rec := waitJob(t, s, id, "completed", finished)
		if rec.State != jobs.StateCompleted || rec.Attempt != 2 || rec.LockedBy != "rescuer" {
			t.Errorf("job %s on attempt %d by %q, want completed on attempt 2 by rescuer", rec.State, rec.Attempt, rec.LockedBy)
		}
		if diff := cmp.Diff([]call{{id, "", 2}}, got.get()); diff != "" {
			t.Errorf("handler calls (-want +got):\n%s", diff)
		}
	})
}

func TestRunDiscardsJobWhoseLastAttemptCrashed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		if err := s.Enqueue(ctx, jobs.Job{Kind: "k", MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
		if cs, err := s.Claim(ctx, "crashed-node", []string{"k"}, 1, time.Minute); err != nil || len(cs) != 1 {
			t.Fatalf("Claim = %d jobs, %v; want 1", len(cs), err)
		}
		clk.Add(2 * time.Minute)
		var got calls
		r := jobs.New(s, testOptions(clk))
		r.Register("k", func(_ context.Context, c jobs.Claimed) error {
			got.add(c)
			return nil
		})
		start(t, r)
		rec := waitJob(t, s, onlyJob(t, s, "k").ID, "finished", finished)
		if rec.State != jobs.StateDiscarded || len(got.get()) != 0 {
			t.Errorf("job %s after %d handler calls, want discarded without a call", rec.State, len(got.get()))
		}
	})
}

func TestRunUniqueKey(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		s := db.Jobs()
		var got calls
		r := jobs.New(s, testOptions(clk))
		r.Register("receipt", func(_ context.Context, c jobs.Claimed) error {
			got.add(c)
			return nil
		})
		start(t, r)
		ctx := context.Background()
		j := jobs.Job{Kind: "receipt", Args: []byte(`"payment 42"`), UniqueKey: "receipt:42"}
		if err := r.Enqueue(ctx, j, j); err != nil {
			t.Fatal(err)
		}
		id := onlyJob(t, s, "receipt").ID
		waitJob(t, s, id, "completed", finished)
		if err := r.Enqueue(ctx, j); err != nil { // after it ran: still a no-op
			t.Fatal(err)
		}
		if err := r.Enqueue(ctx, jobs.Job{Kind: "receipt", Args: []byte(`"payment 43"`), UniqueKey: "receipt:43"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "second receipt", func() bool { return len(got.get()) >= 2 })
		waitFor(t, "every job to finish", func() bool {
			rs, err := s.List(ctx, "receipt")
			if err != nil {
				t.Fatal(err)
			}
			return !slices.ContainsFunc(rs, func(r jobs.Record) bool { return !finished(r) })
		})
		var args []string
		for _, c := range got.get() {
			args = append(args, c.Args)
		}
		if diff := cmp.Diff([]string{`"payment 42"`, `"payment 43"`}, args); diff != "" {
			t.Errorf("handled jobs (-want +got):\n%s", diff)
		}
	})
}

func TestRunGracefulShutdown(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		var (
			got       calls
			started   = make(chan struct{}, 10)
			release   = make(chan struct{})
			ctxErrEnd = make(chan error, 10)
		)
		opts := testOptions(clk)
		opts.Concurrency = 1
		r := jobs.New(s, opts)
		r.Register("slow", func(hctx context.Context, c jobs.Claimed) error {
			got.add(c)
			started <- struct{}{}
			<-release
			ctxErrEnd <- hctx.Err()
			return nil
		})
		stop := start(t, r)

		if err := r.Enqueue(ctx, jobs.Job{Kind: "slow", Args: []byte(`"first"`)}); err != nil {
			t.Fatal(err)
		}
		<-started
		// Waits for the only slot.
		if err := r.Enqueue(ctx, jobs.Job{Kind: "slow", Args: []byte(`"queued"`)}); err != nil {
			t.Fatal(err)
		}

		runErr := make(chan error, 1)
		go func() { runErr <- stop() }()
		select {
		case err := <-runErr:
			t.Fatalf("Run returned (%v) while a handler was running", err)
		case <-time.After(100 * time.Millisecond):
		}
		// Enqueued after cancel: must not be claimed either.
		if err := r.Enqueue(ctx, jobs.Job{Kind: "slow", Args: []byte(`"after cancel"`)}); err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-runErr; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if err := <-ctxErrEnd; err != nil {
			t.Errorf("handler's context was cancelled (%v) during a graceful shutdown", err)
		}

		rs, err := s.List(ctx, "slow")
		if err != nil {
			t.Fatal(err)
		}
		type state struct {
			Args    string
			State   jobs.State
			Attempt int
		}
		var gotStates []state
		for _, r := range rs {
			gotStates = append(gotStates, state{string(r.Args), r.State, r.Attempt})
		}
		want := []state{
			{`"first"`, jobs.StateCompleted, 1}, // recorded before Run returned
			{`"queued"`, jobs.StateAvailable, 0},
			{`"after cancel"`, jobs.StateAvailable, 0},
		}
		if diff := cmp.Diff(want, gotStates); diff != "" {
			t.Errorf("jobs after shutdown (-want +got):\n%s", diff)
		}
		if n := len(got.get()); n != 1 {
			t.Errorf("handler ran %d times, want 1", n)
		}
	})
}

func TestRunShutdownTimeout(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "jobs", clk.Now)
		s := db.Jobs()
		ctx := context.Background()
		started := make(chan struct{})
		opts := testOptions(clk)
		opts.ShutdownTimeout = 50 * time.Millisecond
		r := jobs.New(s, opts)
		r.Register("stuck", func(hctx context.Context, c jobs.Claimed) error {
			close(started)
			<-hctx.Done()
			return hctx.Err()
		})
		stop := start(t, r)
		if err := r.Enqueue(ctx, jobs.Job{Kind: "stuck"}); err != nil {
			t.Fatal(err)
		}
		<-started
		if err := stop(); !errors.Is(err, jobs.ErrShutdownTimeout) {
			t.Fatalf("Run = %v, want %v", err, jobs.ErrShutdownTimeout)
		}
		// The cancelled handler's failure is recorded: the job will be retried.
		rec := waitJob(t, s, onlyJob(t, s, "stuck").ID, "rescheduled", func(r jobs.Record) bool {
			return r.State == jobs.StateAvailable
		})
		if rec.Attempt != 1 || rec.LastError != context.Canceled.Error() || !rec.RunAt.Equal(clk.Now().Add(time.Minute)) {
			t.Errorf("job on attempt %d, last error %q, run at %v; want attempt 1, %q, %v",
				rec.Attempt, rec.LastError, rec.RunAt, context.Canceled, clk.Now().Add(time.Minute))
		}
	})
}

func TestRunTwice(t *testing.T) {
	clk := newFakeClock()
	db := sqltest.NewDB(t, sqlstore.SQLite, "jobs", clk.Now)
	spy := &spyStore{Store: db.Jobs()}
	r := jobs.New(spy, testOptions(clk))
	r.Register("k", func(context.Context, jobs.Claimed) error { return nil })
	start(t, r)
	waitFor(t, "the runner to poll", func() bool { return spy.claimCount() > 0 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // were the call not refused, it would return at once
	if err := r.Run(ctx); !errors.Is(err, jobs.ErrRunning) {
		t.Errorf("second Run = %v, want %v", err, jobs.ErrRunning)
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		min     time.Duration
	}{
		{1, time.Second},
		{2, 16 * time.Second},
		{3, 81 * time.Second},
		{10, 10000 * time.Second},
		{15, 6 * time.Hour},  // capped
		{500, 6 * time.Hour}, // no overflow
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			for range 100 {
				got := jobs.DefaultBackoff(tt.attempt)
				if maxD := tt.min + tt.min/4; got < tt.min || got > maxD {
					t.Fatalf("DefaultBackoff(%d) = %v, want within [%v, %v]", tt.attempt, got, tt.min, maxD)
				}
			}
		})
	}
}

func TestCancel(t *testing.T) {
	cause := errors.New("card declined")
	err := jobs.Cancel(cause)
	if !errors.Is(err, jobs.ErrPermanent) || !errors.Is(err, cause) {
		t.Errorf("Cancel(%v) = %v, want an error wrapping ErrPermanent and the cause", cause, err)
	}
	if err := jobs.Cancel(nil); !errors.Is(err, jobs.ErrPermanent) {
		t.Errorf("Cancel(nil) = %v, want ErrPermanent", err)
	}
}
