// Package jobs owns OKPay's background work: a durable queue of jobs in the
// database and the Runner that executes them, with retries, backoff,
// periodic jobs and leases that let several nodes share one queue.
//
// Invariants it keeps:
//   - A job exists only once its enqueueing transaction commits: domain code
//     enqueues in the same transaction as its change (sqlstore.EnqueueJobs),
//     so nothing runs for a change that rolled back.
//   - A job is claimed by one worker at a time: Claim marks it running under
//     a lease (locked_by, locked_until) atomically, and only a lease that
//     expired (a crashed node) lets another worker take it over.
//   - Execution is at least once: a handler may run again after a crash, a
//     lost lease or a shutdown timeout, so handlers must be idempotent and
//     finish well within the lease.
//   - A job runs at most MaxAttempts times, then is discarded with its last
//     error kept; an error wrapping ErrPermanent discards it at once.
//   - A UniqueKey is taken at most once, whatever the state of the job that
//     holds it, which is what makes a periodic job run once per period even
//     when every node enqueues it.
//   - Every time comparison uses the injected clock (Options.Now and the
//     store's clock, which must be the same), so tests can move time.
//
// The package depends on no domain package and on no database: sqlstore
// implements Store, and each domain package registers its own handlers.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DefaultMaxAttempts is the number of attempts a Job with MaxAttempts 0 gets.
const DefaultMaxAttempts = 10

// Errors returned by Store implementations and the Runner.
var (
	// ErrNotFound: no job has the id.
	ErrNotFound = errors.New("jobs: job not found")
	// ErrNotRunning: the job is not in state running (it already finished,
	// or its lease expired and another worker finished or rescheduled it).
	ErrNotRunning = errors.New("jobs: job is not running")
	// ErrInvalidJob: a Job has no Kind, a negative MaxAttempts, or Args
	// that are not JSON.
	ErrInvalidJob = errors.New("jobs: invalid job")
	// ErrPermanent, wrapped in a handler's error, discards the job without
	// retrying it (see Cancel).
	ErrPermanent = errors.New("jobs: permanent failure")
	// ErrRunning: Run was called on a Runner that is already running.
	ErrRunning = errors.New("jobs: runner already running")
	// ErrShutdownTimeout: Run's shutdown timeout expired with handlers still
	// running; their contexts were cancelled.
	ErrShutdownTimeout = errors.New("jobs: shutdown timeout expired with jobs running")
)

// Job is a unit of work to enqueue.
type Job struct {
	// Kind selects the handler (Runner.Register).
	Kind string
	// Args is the handler's input, JSON; empty means none.
	Args []byte
	// RunAt is the earliest time to run the job; zero means now.
	RunAt time.Time
	// MaxAttempts caps the attempts; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// UniqueKey, when set, makes enqueueing a job whose key is already taken
	// (by a job in any state) a silent no-op.
	UniqueKey string
}

// Validate reports an error wrapping ErrInvalidJob when j cannot be enqueued.
func (j Job) Validate() error {
	switch {
	case j.Kind == "":
		return fmt.Errorf("%w: empty kind", ErrInvalidJob)
	case j.MaxAttempts < 0:
		return fmt.Errorf("%w: kind %s: negative max attempts %d", ErrInvalidJob, j.Kind, j.MaxAttempts)
	case len(j.Args) > 0 && !json.Valid(j.Args):
		return fmt.Errorf("%w: kind %s: args are not JSON", ErrInvalidJob, j.Kind)
	}
	return nil
}

// Claimed is a job a worker has claimed and holds the lease of.
type Claimed struct {
	ID int64
	Job
	// Attempt counts this run: 1 for the first.
	Attempt int
}

// State is where a job is in its life.
type State string

// The states of a job: available (waiting for RunAt), running (claimed,
// under a lease), and the final completed and discarded.
const (
	StateAvailable State = "available"
	StateRunning   State = "running"
	StateCompleted State = "completed"
	StateDiscarded State = "discarded"
)

// Record is a stored job as inspection sees it.
type Record struct {
	ID int64
	Job
	State State
	// Attempt counts the claims so far.
	Attempt     int
	LockedBy    string
	LockedUntil time.Time // zero when not running
	LastError   string
	CreatedAt   time.Time
	FinishedAt  time.Time // zero until completed or discarded
}

// Store is the durable queue the Runner works from.
type Store interface {
	// Enqueue inserts jobs in one transaction of its own; a job whose
	// UniqueKey is taken is silently skipped. Errors: ErrInvalidJob.
	Enqueue(ctx context.Context, js ...Job) error
	// Claim atomically takes up to limit ready jobs of the given kinds (none
	// when kinds is empty), oldest RunAt first: available with RunAt at or
	// before now, or running with a lease that expired before now. It marks
	// them running, adds one to their attempt, and leases them to worker
	// until now+lease.
	Claim(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) ([]Claimed, error)
	// Complete marks a running job completed. Errors: ErrNotFound,
	// ErrNotRunning.
	Complete(ctx context.Context, id int64) error
	// Retry makes a running job available again at runAt, keeping msg as
	// its last error. Errors: ErrNotFound, ErrNotRunning.
	Retry(ctx context.Context, id int64, runAt time.Time, msg string) error
	// Discard marks a running job discarded, keeping msg as its last error.
	// Errors: ErrNotFound, ErrNotRunning.
	Discard(ctx context.Context, id int64, msg string) error
}

// Cancel returns an error that makes the Runner discard the job without
// retrying it: it wraps ErrPermanent and err.
func Cancel(err error) error {
	if err == nil {
		return ErrPermanent
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}
