package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Ledger.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// MaxBatch caps the transfers in one database transaction (default 8192).
	MaxBatch int
	// Retries is how often a batch that failed on a database error is tried
	// again before its callers get ErrUnavailable (default 10).
	Retries int
	// Observe, when set, is told about every committed batch (metrics).
	Observe func(transfers int, took time.Duration, err error)
	// Hook, when set, is called at fixed points of a batch: "loaded" (rows
	// locked, nothing written), "written" (written, not committed) and
	// "committed" (committed, callers not yet answered). Crash tests kill
	// the process there; production leaves it nil.
	Hook func(point string)
}

// Ledger submits transfers. Concurrent Submit calls are coalesced by one
// committer goroutine into one database transaction per batch, so a burst
// of payments into one hot account costs one row lock and one update.
type Ledger struct {
	store Store
	opt   Options
	log   *slog.Logger

	queue    chan *submission
	mu       sync.RWMutex // guards closed against sends on queue
	closed   bool
	done     chan struct{}
	lastTS   atomic.Int64
	stopOnce sync.Once
}

type submission struct {
	transfers []Transfer
	results   []Result
	err       error
	done      chan struct{}
}

// New returns a Ledger over store and starts its committer; Close stops it.
func New(store Store, opt Options) *Ledger {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 8192
	}
	if opt.Retries <= 0 {
		opt.Retries = 10
	}
	l := &Ledger{
		store: store,
		opt:   opt,
		log:   opt.Logger,
		queue: make(chan *submission, 16384),
		done:  make(chan struct{}),
	}
	go l.committer()
	return l
}

// Close stops accepting submissions, commits what is queued, and waits for
// the committer to finish.
func (l *Ledger) Close() {
	l.stopOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.queue)
		l.mu.Unlock()
	})
	<-l.done
}

// Submit commits transfers and returns one Result per transfer, in order.
// The transfers of one call stay together in one database transaction.
// Once queued, the call waits for the commit even if ctx ends, so its answer
// is never unknown. Errors: ErrClosed, ErrTooManyTransfers, ErrUnavailable
// (submitting the same ids again is safe, and answers Exists for any that
// did commit).
func (l *Ledger) Submit(ctx context.Context, transfers []Transfer) ([]Result, error) {
	s, err := l.prepare(transfers)
	if err != nil || len(transfers) == 0 {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil, ErrClosed
	}
	l.queue <- s
	l.mu.RUnlock()
	<-s.done
	return s.results, s.err
}

// SubmitDirect commits transfers in a database transaction of their own, in
// the calling goroutine: the common one-transaction-per-request design, kept
// as the benchmark's baseline.
func (l *Ledger) SubmitDirect(ctx context.Context, transfers []Transfer) ([]Result, error) {
	s, err := l.prepare(transfers)
	if err != nil || len(transfers) == 0 {
		return nil, err
	}
	l.commit(context.WithoutCancel(ctx), []*submission{s})
	return s.results, s.err
}

func (l *Ledger) prepare(transfers []Transfer) (*submission, error) {
	if len(transfers) > l.opt.MaxBatch {
		return nil, fmt.Errorf("%w: %d, at most %d", ErrTooManyTransfers, len(transfers), l.opt.MaxBatch)
	}
	return &submission{transfers: slices.Clone(transfers), done: make(chan struct{})}, nil
}

func (l *Ledger) committer() {
	defer close(l.done)
	ctx := context.Background()
	for first := range l.queue {
		subs := []*submission{first}
		n := len(first.transfers)
	fill:
		for n < l.opt.MaxBatch {
			select {
			case s, ok := <-l.queue:
				if !ok {
					break fill
				}
				subs = append(subs, s)
				n += len(s.transfers)
			default:
				break fill
			}
		}
		// A submission that would overflow the batch waits for the next.
		var next *submission
		if n > l.opt.MaxBatch && len(subs) > 1 {
			next = subs[len(subs)-1]
			subs = subs[:len(subs)-1]
		}
		l.commit(ctx, subs)
		if next != nil {
			l.commit(ctx, []*submission{next})
		}
	}
}

// commit runs one batch, retrying it whole after a database error, then
// answers its callers.
func (l *Ledger) commit(ctx context.Context, subs []*submission) {
	start := time.Now()
	count := 0
	for _, s := range subs {
		count += len(s.transfers)
	}
	var err error
	for attempt := 0; attempt < l.opt.Retries; attempt++ {
		if attempt > 0 {
			time.Sleep(backoff(attempt))
		}
		err = l.store.Batch(ctx, func(tx BatchTx) error { return l.run(ctx, tx, subs) })
		if err == nil {
			break
		}
		l.log.Warn("ledger batch failed, retrying", "transfers", count, "attempt", attempt+1, "err", err)
	}
	if err == nil {
		l.hook("committed")
	}
	if l.opt.Observe != nil {
		l.opt.Observe(count, time.Since(start), err)
	}
	for _, s := range subs {
		if err != nil {
			s.results, s.err = nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		close(s.done)
	}
}

func backoff(attempt int) time.Duration {
	d := time.Millisecond << min(attempt, 9)
	return d + time.Duration(time.Now().UnixNano()%int64(d))
}

func (l *Ledger) hook(point string) {
	if l.opt.Hook != nil {
		l.opt.Hook(point)
	}
}

// stamp returns a commit timestamp, unique and increasing in this process.
func (l *Ledger) stamp() int64 {
	now := l.opt.Now().UnixNano()
	for {
		last := l.lastTS.Load()
		next := max(now, last+1)
		if l.lastTS.CompareAndSwap(last, next) {
			return next
		}
	}
}

// run is one attempt at a batch inside its transaction.
func (l *Ledger) run(ctx context.Context, tx BatchTx, subs []*submission) error {
	var pendIDs, ids []ID
	for _, s := range subs {
		for i := range s.transfers {
			t := &s.transfers[i]
			ids = append(ids, t.ID)
			if t.Flags&(PostPending|VoidPending) != 0 && !t.PendingID.IsZero() {
				pendIDs = append(pendIDs, t.PendingID)
			}
		}
	}
	pendings := map[ID]Transfer{}
	if len(pendIDs) > 0 {
		var err error
		if pendings, err = tx.Transfers(ctx, pendIDs); err != nil {
			return fmt.Errorf("load pending: %w", err)
		}
	}
	seen := make(map[int64]struct{})
	var accts []int64
	addAcct := func(id int64) {
		if _, ok := seen[id]; !ok && id != 0 {
			seen[id] = struct{}{}
			accts = append(accts, id)
		}
	}
	for _, s := range subs {
		for i := range s.transfers {
			addAcct(s.transfers[i].DebitAccountID)
			addAcct(s.transfers[i].CreditAccountID)
		}
	}
	for _, p := range pendings {
		addAcct(p.DebitAccountID)
		addAcct(p.CreditAccountID)
	}
	slices.Sort(accts)
	loaded, err := tx.Load(ctx, accts, ids, pendIDs)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	l.hook("loaded")
	b := newBatch(loaded, pendings, l.stamp)
	results := make([][]Result, len(subs))
	for i, s := range subs {
		results[i] = b.submit(s.transfers)
	}
	if err := tx.Write(ctx, b.writes()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	l.hook("written")
	for i, s := range subs {
		s.results = results[i]
	}
	return nil
}

// CreateAccount creates an account, or returns the one already stored under
// a.Ref when it matches. Errors: ErrInvalidAccount, ErrAccountExists.
func (l *Ledger) CreateAccount(ctx context.Context, a Account) (Account, error) {
	if a.Ref == "" || len(a.Ref) > 200 || len(a.Currency) != 3 ||
		a.Flags&^(DebitsMustNotExceedCredits|CreditsMustNotExceedDebits) != 0 {
		return Account{}, ErrInvalidAccount
	}
	a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted = 0, 0, 0, 0
	a.CreatedAt = l.opt.Now().UTC()
	return l.store.CreateAccount(ctx, a)
}

// Account returns an account with its balances. Errors: ErrAccountNotFound.
func (l *Ledger) Account(ctx context.Context, id int64) (Account, error) {
	return l.store.Account(ctx, id)
}

// AccountByRef returns the account named ref. Errors: ErrAccountNotFound.
func (l *Ledger) AccountByRef(ctx context.Context, ref string) (Account, error) {
	return l.store.AccountByRef(ctx, ref)
}

// Transfer returns a journal entry. Errors: ErrTransferNotFound.
func (l *Ledger) Transfer(ctx context.Context, id ID) (Transfer, error) {
	return l.store.Transfer(ctx, id)
}

var _ = errors.New
