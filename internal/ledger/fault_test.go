package ledger_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

var errInjected = errors.New("injected database fault")

// faultyStore is the real store, except that once armed, a batch's Load or
// Write (the one named by at) fails whenever fail says so for that call
// (counted from 1). It fails after the real call did its work, so the
// failing transaction holds locked rows or written rows that must not
// survive.
type faultyStore struct {
	ledger.Store
	at   string // "load" or "write"
	fail func(call int) bool

	mu     sync.Mutex
	armed  bool
	calls  int
	failed int
}

func (s *faultyStore) arm(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = on
}

func (s *faultyStore) failures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

func (s *faultyStore) inject(at string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.armed || at != s.at {
		return nil
	}
	s.calls++
	if !s.fail(s.calls) {
		return nil
	}
	s.failed++
	return errInjected
}

func (s *faultyStore) Batch(ctx context.Context, fn func(ledger.BatchTx) error) error {
	return s.Store.Batch(ctx, func(tx ledger.BatchTx) error { return fn(faultyTx{tx, s}) })
}

type faultyTx struct {
	ledger.BatchTx
	s *faultyStore
}

func (tx faultyTx) Load(ctx context.Context, accountIDs []int64, ids, pendingIDs []ledger.ID) (*ledger.Loaded, error) {
	l, err := tx.BatchTx.Load(ctx, accountIDs, ids, pendingIDs)
	if err != nil {
		return nil, err
	}
	if err := tx.s.inject("load"); err != nil {
		return nil, err
	}
	return l, nil
}

func (tx faultyTx) Write(ctx context.Context, w *ledger.Writes) error {
	if err := tx.BatchTx.Write(ctx, w); err != nil {
		return err
	}
	return tx.s.inject("write")
}

// TestTransientFaults: while the database fails some attempts, many
// concurrent callers still each get their real answer, once.
func TestTransientFaults(t *testing.T) {
	cases := []struct {
		name string
		at   string
		fail func(call int) bool
		// wantFailed is how many faults must have been injected (0: at
		// least one).
		wantFailed int
	}{
		{"write fails 4 times", "write", func(n int) bool { return n <= 4 }, 4},
		{"load fails 4 times", "load", func(n int) bool { return n <= 4 }, 4},
		{"write fails every other attempt", "write", func(n int) bool { return n%2 == 1 }, 0},
		{"load fails every third attempt", "load", func(n int) bool { return n%3 == 1 }, 0},
	}
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := newClock()
				db := sqltest.NewDB(t, eng, "ledger", c.Now)
				fs := &faultyStore{Store: db.Ledger(), at: tc.at, fail: tc.fail}
				e := newEnvOn(t, db, fs, c)
				var last time.Time
				m := newModel(&last)
				account := func(ref string, flags ledger.AccountFlags) int64 {
					id := e.mustAccount(t, ref, "USD", flags)
					m.addAccount(id, flags)
					return id
				}
				bank := account("bank", 0)
				w1 := account("wallet:1", wallet)
				w2 := account("wallet:2", wallet)
				w3 := account("wallet:3", wallet)

				funding := []ledger.Transfer{
					{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: w1, Amount: 1000, Currency: "USD"},
					{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: w2, Amount: 500, Currency: "USD"},
				}
				res, err := e.l.Submit(context.Background(), funding)
				if err != nil {
					t.Fatalf("fund: %v", err)
				}
				if diff := cmp.Diff(m.submit(funding, res), codesOf(res)); diff != "" {
					t.Fatalf("fund: results (-want +got):\n%s", diff)
				}

				// w1 can pay 10 of its 16 payments whatever the order;
				// w2 pays out and receives at once, so its answers depend
				// on the commit order.
				var ts []ledger.Transfer
				add := func(n int, from, to, amount int64) {
					for range n {
						ts = append(ts, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: from, CreditAccountID: to, Amount: amount, Currency: "USD"})
					}
				}
				add(16, w1, w3, 100)
				add(8, w2, bank, 150)
				add(4, bank, w2, 60)
				add(4, w3, w2, 70)

				fs.arm(true)
				got, errs := submitConcurrently(e.l, ts)
				for i, err := range errs {
					if err != nil {
						t.Errorf("caller %d: %v, want its result", i, err)
					}
				}
				if t.Failed() {
					t.FailNow()
				}
				want := m.replayConcurrent(ts, got)
				if diff := cmp.Diff(want, codesOf(got)); diff != "" {
					t.Errorf("results (-want +got):\n%s", diff)
				}
				if len(m.problems) > 0 {
					t.Errorf("timestamps: %v", m.problems)
				}
				count := map[ledger.Code]int{}
				for _, r := range got {
					count[r.Code]++
				}
				if count[ledger.OK] == 0 || count[ledger.InsufficientFunds] == 0 {
					t.Errorf("results %v, want both ok and insufficient_funds", count)
				}

				// Every transfer was recorded exactly once: resubmitting
				// them all gives exists or the first refusal.
				again, err := e.l.Submit(context.Background(), ts)
				if err != nil {
					t.Fatalf("resubmit: %v", err)
				}
				if diff := cmp.Diff(m.submit(ts, again), codesOf(again)); diff != "" {
					t.Errorf("resubmitted results (-want +got):\n%s", diff)
				}
				fs.arm(false)

				if n := fs.failures(); n == 0 || (tc.wantFailed > 0 && n != tc.wantFailed) {
					t.Errorf("%d faults injected, want %d (0: some)", n, tc.wantFailed)
				}
				for _, id := range []int64{bank, w1, w2, w3} {
					if diff := cmp.Diff(m.accounts[id].bal, balancesOf(e.balance(t, id))); diff != "" {
						t.Errorf("account %d balances (-want +got):\n%s", id, diff)
					}
				}
			})
		}
	})
}

// TestPermanentFault: when every attempt fails, callers get ErrUnavailable
// and nothing is committed, so the same transfers succeed afterwards.
func TestPermanentFault(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		for _, at := range []string{"load", "write"} {
			t.Run(at, func(t *testing.T) {
				ctx := context.Background()
				c := newClock()
				db := sqltest.NewDB(t, eng, "ledger", c.Now)
				fs := &faultyStore{Store: db.Ledger(), at: at, fail: func(int) bool { return true }}
				l := ledger.New(fs, ledger.Options{Now: c.Now, Retries: 2, Logger: slog.New(slog.DiscardHandler)})
				t.Cleanup(func() {
					l.Close()
					mustVerify(t, db.Ledger())
				})
				e := &env{db: db, store: fs, l: l, clock: c}
				bank := e.mustAccount(t, "bank", "USD", 0)
				w := e.mustAccount(t, "wallet", "USD", wallet)

				var ts []ledger.Transfer
				for range 8 {
					ts = append(ts, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: w, Amount: 25, Currency: "USD"})
				}
				fs.arm(true)
				got, errs := submitConcurrently(l, ts)
				for i, err := range errs {
					if !errors.Is(err, ledger.ErrUnavailable) {
						t.Errorf("caller %d: err %v (result %+v), want ErrUnavailable", i, err, got[i])
					}
				}
				if n := fs.failures(); n < 2 {
					t.Errorf("%d faults injected, want at least one batch tried twice", n)
				}
				fs.arm(false)

				for i, tr := range ts {
					if _, err := l.Transfer(ctx, tr.ID); !errors.Is(err, ledger.ErrTransferNotFound) {
						t.Errorf("transfer %d after the fault: %v, want ErrTransferNotFound", i, err)
					}
				}
				if diff := cmp.Diff(balances{}, balancesOf(e.balance(t, w))); diff != "" {
					t.Errorf("wallet after the fault (-want +got):\n%s", diff)
				}

				codes := e.mustSubmit(t, ts...)
				want := make([]ledger.Code, len(ts))
				for i := range want {
					want[i] = ledger.OK // not exists: the failed attempts left nothing
				}
				if diff := cmp.Diff(want, codes); diff != "" {
					t.Errorf("resubmitted after the fault (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(balances{CreditsPosted: 200}, balancesOf(e.balance(t, w))); diff != "" {
					t.Errorf("wallet after resubmitting (-want +got):\n%s", diff)
				}
			})
		}
	})
}
