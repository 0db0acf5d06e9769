package jobs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Handler runs one claimed job. Returning nil completes the job; an error
// wrapping ErrPermanent (see Cancel) discards it; any other error, or a
// panic, retries it with backoff until its MaxAttempts are spent, then
// discards it. ctx is cancelled only when the Runner's shutdown timeout
// expires.
type Handler func(ctx context.Context, c Claimed) error

// Options configures a Runner; zero fields take the documented defaults.
type Options struct {
	// Now is the clock, and must be the store's clock too; time.Now when nil.
	Now func() time.Time
	// Logger receives job failures and store errors; slog.Default when nil.
	Logger *slog.Logger
	// Worker names this runner in the jobs it locks; host-pid-random when
	// empty.
	Worker string
	// PollInterval is how long the runner waits between claims when it is
	// not woken by Notify (default 1s).
	PollInterval time.Duration
	// Concurrency caps the handlers running at once (default 4).
	Concurrency int
	// Lease is how long a claimed job stays locked to this runner; after it
	// another node may take the job over (default 5m).
	Lease time.Duration
	// Backoff is the delay before retrying a job whose attempt failed
	// (default DefaultBackoff).
	Backoff func(attempt int) time.Duration
	// ShutdownTimeout is how long Run waits for running handlers once its
	// context is cancelled, before cancelling theirs (default 30s).
	ShutdownTimeout time.Duration
}

// resultTimeout bounds recording a job's outcome, which runs even while the
// runner shuts down.
const resultTimeout = 30 * time.Second

// maxErrorLen bounds the error message kept in a job row.
const maxErrorLen = 4000

// DefaultBackoff waits attempt⁴ seconds (1s, 16s, 81s, 4m16s, 10m25s, ...),
// capped at 6h, plus a random jitter of up to a quarter of that so that jobs
// failing together do not retry together. Ten attempts span about five hours.
func DefaultBackoff(attempt int) time.Duration {
	const limit = 6 * time.Hour
	d := limit
	if attempt < 1 {
		attempt = 1
	}
	if attempt < 100 { // 100⁴ s is far beyond the cap; avoids overflow
		a := time.Duration(attempt)
		if s := a * a * a * a * time.Second; s < limit {
			d = s
		}
	}
	return d + rand.N(d/4+1)
}

// Runner claims jobs from a Store and runs their handlers.
type Runner struct {
	store  Store
	opts   Options
	log    *slog.Logger
	notify chan struct{}

	mu       sync.Mutex
	started  bool
	handlers map[string]Handler
	periodic []*periodic

	running atomic.Bool
}

type periodic struct {
	kind  string
	every time.Duration
	args  []byte
	last  time.Time // start of the last period enqueued by this runner
}

// New returns a Runner working from store. Register handlers, then call Run.
func New(store Store, opts Options) *Runner {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Worker == "" {
		opts.Worker = defaultWorker()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	return &Runner{
		store:    store,
		opts:     opts,
		log:      opts.Logger.With("worker", opts.Worker),
		notify:   make(chan struct{}, 1),
		handlers: make(map[string]Handler),
	}
}

func defaultWorker() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	b := make([]byte, 3)
	_, _ = crand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}

// Worker is the name this runner locks jobs under.
func (r *Runner) Worker() string { return r.opts.Worker }

// Register sets the handler of kind. It panics when kind is empty, fn is
// nil, kind already has a handler, or Run has started: these are wiring
// mistakes.
func (r *Runner) Register(kind string, fn Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.started:
		panic("jobs: Register after Run")
	case kind == "" || fn == nil:
		panic("jobs: Register needs a kind and a handler")
	case r.handlers[kind] != nil:
		panic("jobs: Register: kind " + kind + " registered twice")
	}
	r.handlers[kind] = fn
}

// Periodic makes the runner enqueue a job of kind with args once per period
// of length every: the period starts at the clock truncated to every, and
// the job's UniqueKey is kind+"@"+that start (RFC 3339, UTC), so however
// many nodes enqueue it, it runs once per period. The handler of kind may be
// registered on any node. It panics on an empty kind, a non-positive every,
// a kind already periodic, or after Run has started.
func (r *Runner) Periodic(kind string, every time.Duration, args []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.started:
		panic("jobs: Periodic after Run")
	case kind == "" || every <= 0:
		panic("jobs: Periodic needs a kind and a positive period")
	}
	for _, p := range r.periodic {
		if p.kind == kind {
			panic("jobs: Periodic: kind " + kind + " registered twice")
		}
	}
	r.periodic = append(r.periodic, &periodic{kind: kind, every: every, args: slices.Clone(args)})
}

// PeriodKey is the UniqueKey of the periodic job of kind for the period of
// length every that contains t.
func PeriodKey(kind string, every time.Duration, t time.Time) string {
	return kind + "@" + t.Truncate(every).UTC().Format(time.RFC3339Nano)
}

// Notify wakes the runner to claim at once, e.g. after a local enqueue
// committed. It never blocks.
func (r *Runner) Notify() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Enqueue enqueues jobs through the store (outside any transaction) and
// wakes the runner. Errors: those of Store.Enqueue.
func (r *Runner) Enqueue(ctx context.Context, js ...Job) error {
	if err := r.store.Enqueue(ctx, js...); err != nil {
		return err
	}
	r.Notify()
	return nil
}

// Run claims and runs jobs until ctx is cancelled. It then stops claiming
// and waits for running handlers up to Options.ShutdownTimeout; only when
// that expires does it cancel their context, and it returns an error
// wrapping ErrShutdownTimeout (those jobs are retried: by this runner's
// outcome recording if their handlers return, else when their lease
// expires). A clean shutdown returns nil. Errors: ErrRunning.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer r.running.Store(false)

	r.mu.Lock()
	r.started = true
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	r.mu.Unlock()

	// Handlers outlive ctx by up to the shutdown timeout; outcomes are
	// recorded even after it.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	bg := context.WithoutCancel(ctx)

	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, r.opts.Concurrency)
		freed = make(chan struct{}, 1)
		timer = time.NewTimer(0)
	)
	defer timer.Stop()
	<-timer.C

	r.log.Info("jobs runner started", "kinds", kinds, "concurrency", r.opts.Concurrency)
	for ctx.Err() == nil {
		r.enqueuePeriodic(ctx)

		// waitSlot: every slot is taken, or the claim filled them all so more
		// jobs may be ready; then a finishing handler wakes the loop.
		waitSlot := false
		if free := cap(slots) - len(slots); free == 0 {
			waitSlot = true
		} else if len(kinds) > 0 {
			cs, err := r.store.Claim(ctx, r.opts.Worker, kinds, free, r.opts.Lease)
			if err != nil && ctx.Err() == nil {
				r.log.Error("jobs: claim", "err", err)
			}
			for _, c := range cs {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() {
						<-slots
						wg.Done()
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					r.work(hctx, bg, c)
				}()
			}
			waitSlot = len(cs) >= free
		}

		var slotFreed <-chan struct{}
		if waitSlot {
			slotFreed = freed
		}
		timer.Reset(r.opts.PollInterval)
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-r.notify:
		case <-slotFreed:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}

	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	r.log.Info("jobs runner stopping", "running", len(slots))
	shutdown := time.NewTimer(r.opts.ShutdownTimeout)
	defer shutdown.Stop()
	select {
	case <-done:
		r.log.Info("jobs runner stopped")
		return nil
	case <-shutdown.C:
		n := len(slots)
		hcancel()
		r.log.Error("jobs runner stopped with jobs running", "running", n)
		return fmt.Errorf("%w: %d still running after %s", ErrShutdownTimeout, n, r.opts.ShutdownTimeout)
	}
}

func (r *Runner) enqueuePeriodic(ctx context.Context) {
	r.mu.Lock()
	ps := r.periodic
	r.mu.Unlock()
	for _, p := range ps {
		start := r.opts.Now().Truncate(p.every)
		if start.Equal(p.last) {
			continue
		}
		j := Job{Kind: p.kind, Args: p.args, RunAt: start, UniqueKey: PeriodKey(p.kind, p.every, start)}
		if err := r.store.Enqueue(ctx, j); err != nil {
			if ctx.Err() == nil {
				r.log.Error("jobs: enqueue periodic", "kind", p.kind, "err", err)
			}
			continue // try again next poll
		}
		p.last = start
	}
}

// work runs one claimed job and records its outcome.
func (r *Runner) work(hctx, bg context.Context, c Claimed) {
	log := r.log.With("job_id", c.ID, "kind", c.Kind, "attempt", c.Attempt)
	var err error
	if c.Attempt > c.MaxAttempts {
		// Its last attempt's lease expired (a node crashed running it).
		err = fmt.Errorf("%w: lease expired on the last of %d attempts", ErrPermanent, c.MaxAttempts)
	} else {
		r.mu.Lock()
		h := r.handlers[c.Kind]
		r.mu.Unlock()
		err = call(hctx, h, c, log)
	}

	ctx, cancel := context.WithTimeout(bg, resultTimeout)
	defer cancel()
	var serr error
	switch {
	case err == nil:
		log.Debug("job completed")
		serr = r.store.Complete(ctx, c.ID)
	case errors.Is(err, ErrPermanent) || c.Attempt >= c.MaxAttempts:
		log.Error("job discarded", "err", err, "max_attempts", c.MaxAttempts)
		serr = r.store.Discard(ctx, c.ID, truncate(err.Error()))
	default:
		delay := r.opts.Backoff(c.Attempt)
		log.Warn("job failed, will retry", "err", err, "in", delay)
		serr = r.store.Retry(ctx, c.ID, r.opts.Now().Add(delay), truncate(err.Error()))
	}
	if serr != nil {
		// ErrNotRunning: the lease expired and another worker has the job.
		log.Error("jobs: record outcome", "err", serr)
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, c Claimed, log *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("job handler panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("jobs: handler panicked: %v", p)
		}
	}()
	if h == nil {
		return fmt.Errorf("%w: no handler for kind %s", ErrPermanent, c.Kind)
	}
	return h(ctx, c)
}

func truncate(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	i := maxErrorLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
