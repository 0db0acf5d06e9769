// Package ledgerbench drives a ledger with concurrent transfers and
// measures throughput and latency. `okpay bench ledger` and the package's
// go test benchmarks both use it.
package ledgerbench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/okpay/okpay/internal/ledger"
)

// Config says what to run.
type Config struct {
	Transfers   int
	Accounts    int
	Concurrency int
	// Hot is the fraction of transfers that credit one single account.
	Hot float64
	// Naive commits each transfer in a transaction of its own instead of
	// through the batch committer.
	Naive bool
	Seed  uint64
	// Progress, when set, is called with the number of transfers done.
	Progress func(done int)
}

// Result is what a run measured.
type Result struct {
	Mode            string  `json:"mode"`
	Transfers       int     `json:"transfers"`
	Failed          int     `json:"failed"`
	Seconds         float64 `json:"seconds"`
	TransfersPerSec float64 `json:"transfers_per_sec"`
	P50ms           float64 `json:"p50_ms"`
	P99ms           float64 `json:"p99_ms"`
	Accounts        int     `json:"accounts"`
	Concurrency     int     `json:"concurrency"`
	Hot             float64 `json:"hot"`
}

// funding is what every wallet starts with: enough that no generated
// transfer is refused for want of money.
const funding = 1 << 40

// Run creates cfg.Accounts funded wallets (plus a hot account) and submits
// cfg.Transfers random transfers between them from cfg.Concurrency
// goroutines.
func Run(ctx context.Context, l *ledger.Ledger, cfg Config) (Result, error) {
	if cfg.Transfers <= 0 || cfg.Accounts < 2 || cfg.Concurrency <= 0 || cfg.Hot < 0 || cfg.Hot > 1 {
		return Result{}, errors.New("ledgerbench: need transfers > 0, accounts >= 2, concurrency > 0, 0 <= hot <= 1")
	}
	accts, hot, err := setup(ctx, l, cfg)
	if err != nil {
		return Result{}, err
	}
	mode := "batched"
	submit := l.Submit
	if cfg.Naive {
		mode, submit = "naive", l.SubmitDirect
	}
	lat := make([]time.Duration, cfg.Transfers)
	var next, failed, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)))
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Transfers || ctx.Err() != nil {
					return
				}
				d := accts[rng.IntN(len(accts))]
				c := accts[rng.IntN(len(accts))]
				for c == d {
					c = accts[rng.IntN(len(accts))]
				}
				if rng.Float64() < cfg.Hot {
					c = hot
				}
				t := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: d, CreditAccountID: c,
					Amount: 1 + rng.Int64N(10_000), Currency: "USD", Code: 1}
				t0 := time.Now()
				res, err := submit(ctx, []ledger.Transfer{t})
				lat[i] = time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Add(1)
				} else if res[0].Code != ledger.OK {
					failed.Add(1)
				}
				if n := done.Add(1); cfg.Progress != nil && n%1000 == 0 {
					cfg.Progress(int(n))
				}
			}
		}(w)
	}
	wg.Wait()
	took := time.Since(start)
	if cfg.Progress != nil {
		cfg.Progress(int(done.Load()))
	}
	n := int(done.Load())
	lat = lat[:n]
	slices.Sort(lat)
	r := Result{
		Mode: mode, Transfers: n, Failed: int(failed.Load()),
		Seconds: took.Seconds(), TransfersPerSec: float64(n) / took.Seconds(),
		P50ms: ms(pct(lat, 0.50)), P99ms: ms(pct(lat, 0.99)),
		Accounts: cfg.Accounts, Concurrency: cfg.Concurrency, Hot: cfg.Hot,
	}
	if firstErr != nil {
		return r, fmt.Errorf("ledgerbench: %d transfers failed, first: %w", r.Failed, firstErr)
	}
	return r, ctx.Err()
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// setup creates the run's accounts under a fresh prefix and funds them.
func setup(ctx context.Context, l *ledger.Ledger, cfg Config) ([]int64, int64, error) {
	run := ledger.NewID().String()[:13]
	bank, err := l.CreateAccount(ctx, ledger.Account{Ref: "bench:" + run + ":bank", Currency: "USD"})
	if err != nil {
		return nil, 0, err
	}
	hot, err := l.CreateAccount(ctx, ledger.Account{Ref: "bench:" + run + ":hot", Currency: "USD", Flags: ledger.DebitsMustNotExceedCredits})
	if err != nil {
		return nil, 0, err
	}
	accts := make([]int64, cfg.Accounts)
	var fund []ledger.Transfer
	for i := range accts {
		a, err := l.CreateAccount(ctx, ledger.Account{Ref: fmt.Sprintf("bench:%s:%d", run, i), Currency: "USD", Flags: ledger.DebitsMustNotExceedCredits})
		if err != nil {
			return nil, 0, err
		}
		accts[i] = a.ID
		fund = append(fund, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: bank.ID, CreditAccountID: a.ID, Amount: funding, Currency: "USD"})
	}
	for len(fund) > 0 {
		n := min(len(fund), 1000)
		res, err := l.Submit(ctx, fund[:n])
		if err != nil {
			return nil, 0, err
		}
		for _, r := range res {
			if r.Code != ledger.OK {
				return nil, 0, fmt.Errorf("ledgerbench: funding refused: %s", r.Code)
			}
		}
		fund = fund[n:]
	}
	return accts, hot.ID, nil
}
