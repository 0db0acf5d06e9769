package ledgerbench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/ledger/ledgerbench"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// TestRunBalances runs a small load in both modes and proves the ledger it
// leaves behind verifies and that every transfer was counted.
func TestRunBalances(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		for _, naive := range []bool{false, true} {
			db := sqltest.NewDB(t, e, "ledgerbench", nil)
			l := ledger.New(db.Ledger(), ledger.Options{})
			r, err := ledgerbench.Run(context.Background(), l, ledgerbench.Config{
				Transfers: 500, Accounts: 20, Concurrency: 16, Hot: 0.5, Naive: naive, Seed: 1,
			})
			l.Close()
			if err != nil {
				t.Fatal(err)
			}
			if r.Transfers != 500 || r.Failed != 0 {
				t.Errorf("naive=%v: transfers %d failed %d, want 500 and 0", naive, r.Transfers, r.Failed)
			}
			rep, err := ledger.Verify(context.Background(), db.Ledger())
			if err != nil || !rep.OK() {
				t.Errorf("verify: %v %v", err, rep.Problems)
			}
			// 20 funded wallets + bank + hot account.
			if rep.Accounts != 22 {
				t.Errorf("verify saw %d accounts, want 22", rep.Accounts)
			}
		}
	})
}

// BenchmarkLedger reports transfers per second for each engine and mode:
// go test -run ^$ -bench Ledger ./internal/ledger/ledgerbench/
func BenchmarkLedger(b *testing.B) {
	for _, e := range sqltest.Engines {
		for _, mode := range []string{"batched", "naive"} {
			for _, hot := range []float64{0, 0.9} {
				b.Run(fmt.Sprintf("%s/%s/hot=%v", e, mode, hot), func(b *testing.B) {
					db := sqltest.NewDB(b, e, "ledgerbench", nil)
					l := ledger.New(db.Ledger(), ledger.Options{})
					defer l.Close()
					b.ResetTimer()
					r, err := ledgerbench.Run(context.Background(), l, ledgerbench.Config{
						Transfers: max(b.N, 256), Accounts: 10000, Concurrency: 256, Hot: hot, Naive: mode == "naive", Seed: 1,
					})
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(r.TransfersPerSec, "transfers/s")
					b.ReportMetric(r.P99ms, "p99_ms")
				})
			}
		}
	}
}
