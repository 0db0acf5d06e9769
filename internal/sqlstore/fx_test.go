package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func fxDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func fxRate(s string) money.Rate {
	r, err := money.ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// fxRows renders stored rates for comparison (money.Rate has unexported
// fields, so compare their text).
func fxRows(rs []fx.StoredRate) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s %s %s", r.Source, r.Date.Format(time.DateOnly), r.Currency, r.PerEUR))
	}
	return out
}

func mustInsertFxRates(tb testing.TB, s *sqlstore.FXStore, rs ...fx.StoredRate) []fx.StoredRate {
	tb.Helper()
	var got []fx.StoredRate
	err := s.InTx(context.Background(), func(tx fx.Tx) error {
		var err error
		got, err = tx.InsertRates(context.Background(), rs, time.Unix(1_800_000_000, 0))
		return err
	})
	if err != nil {
		tb.Fatalf("InsertRates: %v", err)
	}
	return got
}

func TestFxStoreReferenceRates(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		s := db.FX()
		ctx := context.Background()
		usd17 := fx.StoredRate{Source: fx.SourceECB, Date: fxDay("2026-11-17"), Currency: "USD", PerEUR: fxRate("1.0398")}
		usd20 := fx.StoredRate{Source: fx.SourceECB, Date: fxDay("2026-11-20"), Currency: "USD", PerEUR: fxRate("1.0412")}
		cny20 := fx.StoredRate{Source: fx.SourceECB, Date: fxDay("2026-11-20"), Currency: "CNY", PerEUR: fxRate("7.5391")}
		other := fx.StoredRate{Source: "other", Date: fxDay("2026-11-21"), Currency: "USD", PerEUR: fxRate("2")}

		got := mustInsertFxRates(t, s, usd17, usd20, cny20, other)
		if diff := cmp.Diff(fxRows([]fx.StoredRate{usd17, usd20, cny20, other}), fxRows(got)); diff != "" {
			t.Errorf("first insert returned (-want +got):\n%s", diff)
		}
		// Existing keys are skipped whatever the value: never overwritten.
		changed := usd20
		changed.PerEUR = fxRate("9.99")
		usd21 := fx.StoredRate{Source: fx.SourceECB, Date: fxDay("2026-11-21"), Currency: "USD", PerEUR: fxRate("1.05")}
		got = mustInsertFxRates(t, s, usd17, changed, usd21)
		if diff := cmp.Diff(fxRows([]fx.StoredRate{usd21}), fxRows(got)); diff != "" {
			t.Errorf("second insert returned (-want +got):\n%s", diff)
		}

		for _, tt := range []struct {
			source fx.Source
			cur    string
			day    string
			want   string // "" for ErrNoRate
		}{
			{fx.SourceECB, "USD", "2026-11-16", ""},
			{fx.SourceECB, "USD", "2026-11-17", "ecb 2026-11-17 USD 1.0398"},
			{fx.SourceECB, "USD", "2026-11-19", "ecb 2026-11-17 USD 1.0398"},
			{fx.SourceECB, "USD", "2026-11-20", "ecb 2026-11-20 USD 1.0412"},
			{fx.SourceECB, "USD", "2030-01-01", "ecb 2026-11-21 USD 1.05"},
			{fx.SourceECB, "CNY", "2026-11-19", ""},
			{fx.SourceECB, "JPY", "2030-01-01", ""},
			{"other", "USD", "2026-11-21", "other 2026-11-21 USD 2"},
		} {
			r, err := s.ReferenceRate(ctx, tt.source, tt.cur, fxDay(tt.day))
			if tt.want == "" {
				if !errors.Is(err, fx.ErrNoRate) {
					t.Errorf("ReferenceRate(%s, %s, %s) = %v, %v; want ErrNoRate", tt.source, tt.cur, tt.day, fxRows([]fx.StoredRate{r}), err)
				}
				continue
			}
			if err != nil {
				t.Errorf("ReferenceRate(%s, %s, %s): %v", tt.source, tt.cur, tt.day, err)
				continue
			}
			if got := fxRows([]fx.StoredRate{r})[0]; got != tt.want {
				t.Errorf("ReferenceRate(%s, %s, %s) = %s, want %s", tt.source, tt.cur, tt.day, got, tt.want)
			}
		}

		var rs []fx.StoredRate
		err := s.InTx(ctx, func(tx fx.Tx) error {
			var err error
			rs, err = tx.Rates(ctx, fx.SourceECB, fxDay("2026-11-18"), fxDay("2026-11-21"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fxRows([]fx.StoredRate{cny20, usd20, usd21}), fxRows(rs)); diff != "" {
			t.Errorf("Rates(18th..21st), by day and currency (-want +got):\n%s", diff)
		}
	})
}

func TestFxStoreInsertsManyAndRollsBack(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		s := db.FX()
		ctx := context.Background()
		// More rows than one INSERT carries.
		var rs []fx.StoredRate
		for i := range 250 {
			rs = append(rs, fx.StoredRate{Source: fx.SourceECB, Date: fxDay("2026-01-01").AddDate(0, 0, i/3),
				Currency: []string{"CNY", "JPY", "USD"}[i%3], PerEUR: fxRate(fmt.Sprintf("1.%04d", i+1))})
		}
		if got := mustInsertFxRates(t, s, rs...); len(got) != 250 {
			t.Errorf("inserted %d of 250 rates", len(got))
		}
		if got := mustInsertFxRates(t, s, rs...); len(got) != 0 {
			t.Errorf("re-insert stored %d rates, want 0", len(got))
		}

		errRollback := errors.New("roll back")
		err := s.InTx(ctx, func(tx fx.Tx) error {
			if _, err := tx.InsertRates(ctx, []fx.StoredRate{{Source: fx.SourceECB, Date: fxDay("2027-01-01"), Currency: "USD", PerEUR: fxRate("1.1")}}, time.Now()); err != nil {
				return err
			}
			if _, err := tx.InsertManualRate(ctx, fx.ManualRate{Base: "EUR", Quote: "USD", Rate: fxRate("1.2"), From: time.Unix(1, 0), SetBy: 1}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v", err)
		}
		if r, err := s.ReferenceRate(ctx, fx.SourceECB, "USD", fxDay("2027-06-01")); err != nil || r.Date.Year() != 2026 {
			t.Errorf("after rollback the newest USD rate is %v, %v; want one from 2026", fxRows([]fx.StoredRate{r}), err)
		}
		if _, err := s.ManualRate(ctx, "EUR", "USD", time.Unix(2, 0)); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("after rollback ManualRate = %v, want ErrNoRate", err)
		}
	})
}

func TestFxStoreManualRates(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		s := db.FX()
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 10, 0, 0, 123456789, time.UTC)
		insert := func(m fx.ManualRate) int64 {
			t.Helper()
			var id int64
			err := s.InTx(ctx, func(tx fx.Tx) error {
				var err error
				id, err = tx.InsertManualRate(ctx, m)
				return err
			})
			if err != nil {
				t.Fatalf("InsertManualRate: %v", err)
			}
			return id
		}
		first := fx.ManualRate{Base: "EUR", Quote: "CNY", Rate: fxRate("7.6"), From: t0, Until: t0.Add(48 * time.Hour),
			SetBy: 42, SetByRole: "supervisor", Note: "feed late", CreatedAt: t0.Add(-time.Minute)}
		first.ID = insert(first)
		// Same start, set later: the higher id wins.
		second := fx.ManualRate{Base: "EUR", Quote: "CNY", Rate: fxRate("7.61"), From: t0, SetBy: 43, CreatedAt: t0}
		second.ID = insert(second)
		third := fx.ManualRate{Base: "EUR", Quote: "CNY", Rate: fxRate("7.7"), From: t0.Add(time.Hour), SetBy: 42, CreatedAt: t0}
		third.ID = insert(third)
		insert(fx.ManualRate{Base: "CNY", Quote: "EUR", Rate: fxRate("0.1"), From: t0.Add(-time.Hour), SetBy: 1, CreatedAt: t0})

		if _, err := s.ManualRate(ctx, "EUR", "CNY", t0.Add(-time.Nanosecond)); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("ManualRate before any = %v, want ErrNoRate", err)
		}
		opts := cmp.Comparer(func(a, b money.Rate) bool { return a.String() == b.String() })
		got, err := s.ManualRate(ctx, "EUR", "CNY", t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(second, got, opts); diff != "" {
			t.Errorf("ManualRate at t0 (-want +got):\n%s", diff)
		}
		got, err = s.ManualRate(ctx, "EUR", "CNY", t0.Add(72*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(third, got, opts); diff != "" {
			t.Errorf("ManualRate later (-want +got):\n%s", diff)
		}
		// Every field survives the round trip, nanoseconds included.
		if _, err := db.Write().Exec(ctx, "DELETE FROM fx_manual_rates WHERE id <> $1", first.ID); err != nil {
			t.Fatal(err)
		}
		got, err = s.ManualRate(ctx, "EUR", "CNY", t0.Add(72*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, got, opts); diff != "" {
			t.Errorf("ManualRate round trip (-want +got):\n%s", diff)
		}
	})
}
