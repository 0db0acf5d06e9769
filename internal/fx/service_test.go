package fx_test

import (
	"context"
	"errors"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustRate(tb testing.TB, s string) money.Rate {
	tb.Helper()
	r, err := money.ParseRate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

type fixture struct {
	svc *fx.Service
	db  *sqlstore.DB
	clk *testClock
}

func newFixture(t *testing.T, e sqlstore.Engine, o fx.Options) fixture {
	t.Helper()
	clk := &testClock{t: instant("2026-11-20T17:00:00Z")}
	db := sqltest.NewDB(t, e, "fx", clk.Now)
	o.Store, o.Now = db.FX(), clk.Now
	return fixture{svc: fx.New(o), db: db, clk: clk}
}

func (f fixture) mustImport(tb testing.TB, xml string) fx.ImportResult {
	tb.Helper()
	res, err := f.svc.ImportECB(context.Background(), strings.NewReader(xml))
	if err != nil {
		tb.Fatalf("ImportECB: %v", err)
	}
	return res
}

func (f fixture) mustRate(tb testing.TB, from, to string, at time.Time) fx.Quote {
	tb.Helper()
	q, err := f.svc.Rate(context.Background(), from, to, at)
	if err != nil {
		tb.Fatalf("Rate(%s, %s, %v): %v", from, to, at, err)
	}
	return q
}

// roundSig is the test's own oracle for the cross-rate rule: x rounded to
// n significant digits, ties to even, computed on big.Rat.
func roundSig(x *big.Rat, n int) *big.Rat {
	// Find e with 10^(n-1) <= x*10^e < 10^n.
	e := 0
	lo := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n-1)), nil))
	hi := new(big.Rat).Mul(lo, big.NewRat(10, 1))
	scaled := new(big.Rat).Set(x)
	for scaled.Cmp(lo) < 0 {
		scaled.Mul(scaled, big.NewRat(10, 1))
		e++
	}
	for scaled.Cmp(hi) >= 0 {
		scaled.Quo(scaled, big.NewRat(10, 1))
		e--
	}
	q, r := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	twice := new(big.Int).Mul(r, big.NewInt(2))
	switch twice.Cmp(scaled.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	out := new(big.Rat).SetInt(q)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil))
	if e > 0 {
		return out.Quo(out, p)
	}
	return out.Mul(out, p)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func rat(tb testing.TB, s string) *big.Rat {
	tb.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		tb.Fatalf("not a decimal: %q", s)
	}
	return r
}

func TestImportTestdataTwiceChangesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		ctx := context.Background()
		first, err := f.svc.ImportECB(ctx, mustOpenShared(t, "eurofxref-daily.xml"))
		if err != nil {
			t.Fatalf("first import: %v", err)
		}
		if want := (fx.ImportResult{Days: 1, Rates: 8, NewDays: 1, NewRates: 8}); first != want {
			t.Errorf("first import = %+v, want %+v", first, want)
		}
		second, err := f.svc.ImportECB(ctx, mustOpenShared(t, "eurofxref-daily.xml"))
		if err != nil {
			t.Fatalf("second import: %v", err)
		}
		if want := (fx.ImportResult{Days: 1, Rates: 8}); second != want || second.ExistingRates() != 8 || second.ExistingDays() != 1 {
			t.Errorf("second import = %+v, want %+v: all present already", second, want)
		}
		var n int
		if err := f.db.Read().QueryRow(ctx, "SELECT count(*) FROM fx_rates").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 8 {
			t.Errorf("fx_rates holds %d rows after importing one 8-rate day twice, want 8", n)
		}

		// The testdata's cross rates, against the exact quotient rounded by
		// the test's own oracle.
		perEUR := map[string]string{"EUR": "1", "USD": "1.0412", "JPY": "161.27", "GBP": "0.8321", "CHF": "0.9318",
			"RUB": "104.85", "CNY": "7.5391", "HKD": "8.1042", "KRW": "1456.22"}
		at := instant("2026-11-20T18:00:00Z")
		for from, fr := range perEUR {
			for to, tr := range perEUR {
				q := f.mustRate(t, from, to, at)
				exact := new(big.Rat).Quo(rat(t, tr), rat(t, fr))
				want := roundSig(exact, fx.CrossDigits)
				if from == to || from == "EUR" {
					want = exact // as stored, not rounded
				}
				if got := rat(t, q.Rate.String()); got.Cmp(want) != 0 {
					t.Errorf("Rate(%s→%s) = %s, want %s", from, to, q.Rate, want.FloatString(20))
				}
			}
		}
	})
}

func TestCrossRatesByHand(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		f.mustImport(t, mustReadShared(t, "eurofxref-daily.xml"))
		at := instant("2026-11-21T09:30:00Z")
		day := date("2026-11-20")
		tests := []struct {
			from, to string
			want     string
			computed bool
			legs     int
		}{
			// Worked by long division: 7.5391 / 1.0412 = 7.240779869381|48...
			// The 13th significant digit is 1: round down.
			{"USD", "CNY", "7.24077986938", true, 2},
			// 1.0412 / 7.5391 = 0.138106670557|49...: down.
			{"CNY", "USD", "0.138106670557", true, 2},
			// 1 / 1.0412 = 0.960430272762|197...: down.
			{"USD", "EUR", "0.960430272762", true, 1},
			// 161.27 / 1.0412 = 154.888590088|3596...: down.
			{"USD", "JPY", "154.888590088", true, 2},
			// 104.85 / 0.9318 = 112.524146812|6207...: the 13th digit is 6,
			// so the 12th goes up from 2 to 3.
			{"CHF", "RUB", "112.524146813", true, 2},
			// 8.1042 / 0.8321 = 9.73945439250|09...: down, trailing zero dropped.
			{"GBP", "HKD", "9.7394543925", true, 2},
			// EUR to anything is the published figure, untouched.
			{"EUR", "USD", "1.0412", false, 1},
			{"eur", "krw", "1456.22", false, 1},
			{"JPY", "JPY", "1", false, 0},
		}
		for _, tt := range tests {
			q := f.mustRate(t, tt.from, tt.to, at)
			if q.Rate.String() != tt.want || q.Computed != tt.computed || len(q.Legs) != tt.legs {
				t.Errorf("Rate(%s→%s) = %s (computed %v, %d legs), want %s (computed %v, %d legs)",
					tt.from, tt.to, q.Rate, q.Computed, len(q.Legs), tt.want, tt.computed, tt.legs)
			}
			if tt.from == tt.to {
				if q.Source != fx.SourceIdentity || !q.AsOf.Equal(at) {
					t.Errorf("identity quote = %+v", q)
				}
				continue
			}
			if q.Source != fx.SourceECB || !q.AsOf.Equal(day) || q.From != strings.ToUpper(tt.from) || q.To != strings.ToUpper(tt.to) {
				t.Errorf("Rate(%s→%s): source %s, as of %v, pair %s→%s; want ecb, %v, upper-case codes",
					tt.from, tt.to, q.Source, q.AsOf, q.From, q.To, day)
			}
		}
	})
}

func mustReadShared(tb testing.TB, name string) string {
	tb.Helper()
	b, err := io.ReadAll(mustOpenShared(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestCrossRateTiesRoundHalfEven(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		// AAA/2 lands exactly half-way at the 13th significant digit:
		// 2.00000000001 / 2 = 1.000000000005 → 1 (even), and
		// 2.00000000003 / 2 = 1.000000000015 → 1.00000000002 (even).
		f.mustImport(t, envelope(`<Cube time="2026-11-20">
			<Cube currency="XAA" rate="2"/>
			<Cube currency="XAB" rate="2.00000000001"/>
			<Cube currency="XAC" rate="2.00000000003"/>
			<Cube currency="XAD" rate="1.25"/>
			<Cube currency="XAE" rate="0.8"/>
		</Cube>`))
		at := instant("2026-11-20T12:00:00Z")
		for _, tt := range []struct{ from, to, want string }{
			{"XAA", "XAB", "1"},
			{"XAA", "XAC", "1.00000000002"},
			{"XAD", "XAE", "0.64"},   // exact: no rounding needed
			{"XAE", "XAD", "1.5625"}, // exact
			{"XAB", "EUR", "0.499999999998"},
		} {
			if q := f.mustRate(t, tt.from, tt.to, at); q.Rate.String() != tt.want {
				t.Errorf("Rate(%s→%s) = %s, want %s", tt.from, tt.to, q.Rate, tt.want)
			}
		}
	})
}

func TestRateHistory(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		ctx := context.Background()
		res := f.mustImport(t, history)
		if want := (fx.ImportResult{Days: 3, Rates: 6, NewDays: 3, NewRates: 6}); res != want {
			t.Errorf("import = %+v, want %+v", res, want)
		}
		for _, tt := range []struct {
			at     string
			want   string // USD per EUR
			asOf   string
			noRate bool
		}{
			{at: "2026-11-15T23:59:59Z", noRate: true},
			{at: "2026-11-16T00:00:00Z", want: "1.04", asOf: "2026-11-16"},
			{at: "2026-11-17T08:00:00Z", want: "1.0398", asOf: "2026-11-17"},
			{at: "2026-11-19T08:00:00Z", want: "1.0398", asOf: "2026-11-17"}, // no rates on the 18th and 19th
			{at: "2026-11-20T00:00:00Z", want: "1.0412", asOf: "2026-11-20"},
			{at: "2027-03-01T00:00:00Z", want: "1.0412", asOf: "2026-11-20"}, // no age limit by default
		} {
			q, err := f.svc.Rate(ctx, "EUR", "USD", instant(tt.at))
			if tt.noRate {
				if !errors.Is(err, fx.ErrNoRate) {
					t.Errorf("Rate at %s = %v, %v; want ErrNoRate", tt.at, q.Rate, err)
				}
				continue
			}
			if err != nil || q.Rate.String() != tt.want || !q.AsOf.Equal(date(tt.asOf)) {
				t.Errorf("Rate at %s = %s as of %v, %v; want %s as of %s", tt.at, q.Rate, q.AsOf, err, tt.want, tt.asOf)
			}
		}

		// CNY has no rate on the 16th: a cross rate needs both legs.
		if _, err := f.svc.Rate(ctx, "USD", "CNY", instant("2026-11-16T12:00:00Z")); !errors.Is(err, fx.ErrNoRate) || !strings.Contains(err.Error(), "CNY") {
			t.Errorf("USD→CNY on the 16th: %v, want ErrNoRate naming CNY", err)
		}
		// A cross rate is as old as its older leg.
		f.mustImport(t, envelope(`<Cube time="2026-11-21"><Cube currency="USD" rate="1.05"/></Cube>`))
		q := f.mustRate(t, "USD", "CNY", instant("2026-11-21T12:00:00Z"))
		if !q.AsOf.Equal(date("2026-11-20")) || q.Rate.String() != "7.1800952381" {
			t.Errorf("USD→CNY on the 21st = %s as of %v; want 7.5391/1.05 = 7.18009523809|5... → 7.1800952381 as of 2026-11-20", q.Rate, q.AsOf)
		}
		// Unknown and malformed currencies.
		if _, err := f.svc.Rate(ctx, "USD", "XOF", instant("2026-11-21T12:00:00Z")); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("USD→XOF = %v, want ErrNoRate", err)
		}
		if _, err := f.svc.Rate(ctx, "USD", "yuan", time.Time{}); !errors.Is(err, fx.ErrInvalid) {
			t.Errorf("USD→yuan = %v, want ErrInvalid", err)
		}
	})
}

func TestMaxAgeRefusesStaleRates(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{MaxAge: 7 * 24 * time.Hour})
		f.mustImport(t, history)
		if q := f.mustRate(t, "USD", "CNY", instant("2026-11-27T00:00:00Z")); q.Rate.String() != "7.24077986938" {
			t.Errorf("USD→CNY a week on = %s", q.Rate)
		}
		_, err := f.svc.Rate(context.Background(), "USD", "CNY", instant("2026-11-27T00:00:01Z"))
		if !errors.Is(err, fx.ErrNoRate) || !strings.Contains(err.Error(), "older than") {
			t.Errorf("USD→CNY a week and a second on = %v, want ErrNoRate: older than the limit", err)
		}
	})
}

func TestImportConflictIsRefusedAndChangesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		ctx := context.Background()
		f.mustImport(t, history)
		// A new day, plus the 20th again with USD changed: nothing of it
		// may land, not even the new day.
		changed := envelope(`<Cube time="2026-11-23"><Cube currency="USD" rate="1.0500"/></Cube>
			<Cube time="2026-11-20"><Cube currency="USD" rate="1.0413"/><Cube currency="CNY" rate="7.5391"/></Cube>`)
		res, err := f.svc.ImportECB(ctx, strings.NewReader(changed))
		if !errors.Is(err, fx.ErrConflict) {
			t.Fatalf("import of a changed rate = %+v, %v; want ErrConflict", res, err)
		}
		for _, w := range []string{"USD", "2026-11-20", "1.0412", "1.0413", "nothing was imported"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("conflict error %q does not say %q", err, w)
			}
		}
		if res.NewRates != 0 || res.NewDays != 0 {
			t.Errorf("refused import reports %+v stored", res)
		}
		if q := f.mustRate(t, "EUR", "USD", instant("2026-11-23T12:00:00Z")); q.Rate.String() != "1.0412" {
			t.Errorf("after the refused import EUR→USD on the 23rd = %s, want the 20th's 1.0412", q.Rate)
		}
		// The same values written differently are the same rates.
		res, err = f.svc.ImportECB(ctx, strings.NewReader(envelope(`<Cube time="2026-11-17"><Cube currency="CNY" rate="7.52100"/><Cube currency="USD" rate="01.0398"/></Cube>`)))
		if err != nil || res.NewRates != 0 {
			t.Errorf("re-import with different spelling = %+v, %v; want nothing new", res, err)
		}
		// A day already stored may gain a currency.
		res, err = f.svc.ImportECB(ctx, strings.NewReader(envelope(`<Cube time="2026-11-17"><Cube currency="USD" rate="1.0398"/><Cube currency="JPY" rate="160.5"/></Cube>`)))
		if want := (fx.ImportResult{Days: 1, Rates: 2, NewDays: 1, NewRates: 1}); err != nil || res != want {
			t.Errorf("import adding JPY to a stored day = %+v, %v; want %+v", res, err, want)
		}
	})
}

func TestImportRefusesMalformedBeforeStoring(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		ctx := context.Background()
		bad := envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="1.0412"/></Cube>
			<Cube time="2026-11-19"><Cube currency="USD" rate="one"/></Cube>`)
		if _, err := f.svc.ImportECB(ctx, strings.NewReader(bad)); !errors.Is(err, fx.ErrMalformed) {
			t.Fatalf("import of a malformed file = %v, want ErrMalformed", err)
		}
		if _, err := f.svc.Rate(ctx, "EUR", "USD", instant("2026-11-20T12:00:00Z")); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("after a refused file EUR→USD = %v, want ErrNoRate: nothing stored", err)
		}
		// Import validates days that did not come from the parser.
		one := mustRate(t, "1.1")
		for _, days := range [][]fx.Day{
			{{Source: "", Date: date("2026-11-20"), Rates: []fx.DayRate{{Currency: "USD", PerEUR: one}}}},
			{{Source: fx.SourceManual, Date: date("2026-11-20"), Rates: []fx.DayRate{{Currency: "USD", PerEUR: one}}}},
			{{Source: fx.SourceECB, Date: instant("2026-11-20T16:00:00Z"), Rates: []fx.DayRate{{Currency: "USD", PerEUR: one}}}},
			{{Source: fx.SourceECB, Date: date("2026-11-20"), Rates: []fx.DayRate{{Currency: "USD"}}}},
			{{Source: fx.SourceECB, Date: date("2026-11-20"), Rates: []fx.DayRate{{Currency: "USD", PerEUR: one}, {Currency: "usd", PerEUR: one}}}},
			{{Source: fx.SourceECB, Date: date("2026-11-20")}},
		} {
			if _, err := f.svc.Import(ctx, days); !errors.Is(err, fx.ErrInvalid) {
				t.Errorf("Import(%+v) = %v, want ErrInvalid", days, err)
			}
		}
	})
}

func TestConvert(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		f.mustImport(t, mustReadShared(t, "eurofxref-daily.xml"))
		ctx := context.Background()
		at := instant("2026-11-20T18:00:00Z")
		usd, cny, jpy, krw := money.MustCurrency("USD"), money.MustCurrency("CNY"), money.MustCurrency("JPY"), money.MustCurrency("KRW")
		for _, tt := range []struct {
			in   money.Amount
			to   money.Currency
			want int64
		}{
			// 100.00 × 7.24077986938 = 724.077986938 → 724.08
			{money.Amount{Minor: 10000, Currency: usd}, cny, 72408},
			// 12345 JPY × (1456.22/161.27 = 9.02970174242) = 111471.668... → 111472 KRW
			{money.Amount{Minor: 12345, Currency: jpy}, krw, 111472},
			// 1 KRW × 0.110745629095 = 0.11 JPY → 0
			{money.Amount{Minor: 1, Currency: krw}, jpy, 0},
			{money.Amount{Minor: 999, Currency: usd}, usd, 999},
		} {
			got, q, err := f.svc.Convert(ctx, tt.in, tt.to, at)
			if err != nil {
				t.Fatalf("Convert(%v → %s): %v", tt.in, tt.to.Code, err)
			}
			if got != (money.Amount{Minor: tt.want, Currency: tt.to}) {
				t.Errorf("Convert(%v → %s) = %v at %s, want %d minor units", tt.in, tt.to.Code, got, q.Rate, tt.want)
			}
		}
		if _, _, err := f.svc.Convert(ctx, money.Amount{Minor: 100, Currency: usd}, money.MustCurrency("AED"), at); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("Convert to AED (no rate) = %v, want ErrNoRate", err)
		}
	})
}

func TestManualRateTakesPrecedenceFromWhenSet(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		ctx := context.Background()
		f.mustImport(t, mustReadShared(t, "eurofxref-daily.xml"))
		set := instant("2026-11-21T10:00:00Z")
		f.clk.Set(set)
		m, err := f.svc.SetManualRate(ctx, fx.ManualRate{Base: "eur", Quote: "cny", Rate: mustRate(t, "7.6"),
			SetBy: 42, SetByRole: "supervisor", Note: "ECB feed late"})
		if err != nil {
			t.Fatalf("SetManualRate: %v", err)
		}
		if m.ID == 0 || m.Base != "EUR" || m.Quote != "CNY" || !m.From.Equal(set) || !m.CreatedAt.Equal(set) {
			t.Errorf("SetManualRate returned %+v", m)
		}

		// Before it was set: the ECB rate; from then on: the manual one,
		// directly and inside cross rates through CNY.
		if q := f.mustRate(t, "EUR", "CNY", set.Add(-time.Nanosecond)); q.Rate.String() != "7.5391" || q.Source != fx.SourceECB {
			t.Errorf("EUR→CNY just before = %s from %s, want ECB 7.5391", q.Rate, q.Source)
		}
		q := f.mustRate(t, "EUR", "CNY", set)
		if q.Rate.String() != "7.6" || q.Source != fx.SourceManual || len(q.Legs) != 1 || q.Legs[0].SetBy != 42 || q.Legs[0].ManualID != m.ID || !q.AsOf.Equal(set) {
			t.Errorf("EUR→CNY when set = %+v, want manual 7.6 by 42", q)
		}
		// 7.6 / 1.0412 = 7.29927007299|27...
		if q := f.mustRate(t, "USD", "CNY", set.Add(time.Hour)); q.Rate.String() != "7.29927007299" || q.Source != fx.SourceManual {
			t.Errorf("USD→CNY after = %s from %s, want 7.29927007299 (manual leg)", q.Rate, q.Source)
		}
		// A newer ECB day does not displace it.
		f.mustImport(t, envelope(`<Cube time="2026-11-23"><Cube currency="CNY" rate="7.5"/><Cube currency="USD" rate="1.04"/></Cube>`))
		if q := f.mustRate(t, "EUR", "CNY", instant("2026-11-24T00:00:00Z")); q.Rate.String() != "7.6" {
			t.Errorf("EUR→CNY after a newer ECB day = %s, want the manual 7.6", q.Rate)
		}

		// A manual rate for one direction of a pair applies to it alone.
		f.clk.Set(instant("2026-11-24T09:00:00Z"))
		if _, err := f.svc.SetManualRate(ctx, fx.ManualRate{Base: "USD", Quote: "CNY", Rate: mustRate(t, "7.25"), SetBy: 7,
			Until: instant("2026-11-25T09:00:00Z")}); err != nil {
			t.Fatal(err)
		}
		if q := f.mustRate(t, "USD", "CNY", instant("2026-11-24T12:00:00Z")); q.Rate.String() != "7.25" || q.Computed {
			t.Errorf("USD→CNY with a pair rate = %s (computed %v), want 7.25 as set", q.Rate, q.Computed)
		}
		// 1.04 / 7.6 = 0.136842105263|15...
		if q := f.mustRate(t, "CNY", "USD", instant("2026-11-24T12:00:00Z")); q.Rate.String() != "0.136842105263" {
			t.Errorf("CNY→USD = %s, want the cross rate 0.136842105263", q.Rate)
		}
		// When it ends, the cross rate is back (7.6 / 1.04 = 7.30769230769|23...).
		if q := f.mustRate(t, "USD", "CNY", instant("2026-11-25T09:00:00Z")); q.Rate.String() != "7.30769230769" {
			t.Errorf("USD→CNY after the pair rate ended = %s, want 7.30769230769", q.Rate)
		}

		// Ending the EUR→CNY override returns it to the ECB.
		f.clk.Set(instant("2026-11-26T09:00:00Z"))
		now := f.clk.Now()
		if _, err := f.svc.SetManualRate(ctx, fx.ManualRate{Base: "EUR", Quote: "CNY", Rate: mustRate(t, "7.6"), SetBy: 42, Until: now}); err != nil {
			t.Fatal(err)
		}
		if q := f.mustRate(t, "EUR", "CNY", now); q.Rate.String() != "7.5" || q.Source != fx.SourceECB {
			t.Errorf("EUR→CNY after ending the override = %s from %s, want ECB 7.5", q.Rate, q.Source)
		}
		// History is kept: the 22nd still answers with the manual rate.
		if q := f.mustRate(t, "EUR", "CNY", instant("2026-11-22T00:00:00Z")); q.Rate.String() != "7.6" {
			t.Errorf("EUR→CNY on the 22nd = %s, want 7.6 (the override then)", q.Rate)
		}

		// Each change is audited, with who made it.
		evs, err := f.db.Audit().AuditEvents(ctx, audit.Query{Action: fx.ActionRateSet, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range evs {
			got = append(got, ev.TargetID+" by "+ev.ActorRole+" "+ev.Details["rate"])
			if ev.ActorID == 0 || ev.TargetType != "fx_pair" {
				t.Errorf("audit record %+v lacks its actor or target", ev)
			}
		}
		if diff := cmp.Diff([]string{"EUR/CNY by  7.6", "USD/CNY by  7.25", "EUR/CNY by supervisor 7.6"}, got); diff != "" {
			t.Errorf("audit records, newest first (-want +got):\n%s", diff)
		}
	})
}

func TestSetManualRateRefusesBadRequests(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		ctx := context.Background()
		now := f.clk.Now()
		r := mustRate(t, "7.2")
		for name, m := range map[string]fx.ManualRate{
			"no author":    {Base: "USD", Quote: "CNY", Rate: r},
			"no rate":      {Base: "USD", Quote: "CNY", SetBy: 1},
			"same":         {Base: "USD", Quote: "usd", Rate: r, SetBy: 1},
			"bad code":     {Base: "US", Quote: "CNY", Rate: r, SetBy: 1},
			"in the past":  {Base: "USD", Quote: "CNY", Rate: r, SetBy: 1, From: now.Add(-time.Second)},
			"ends earlier": {Base: "USD", Quote: "CNY", Rate: r, SetBy: 1, From: now.Add(time.Hour), Until: now.Add(time.Minute)},
		} {
			if _, err := f.svc.SetManualRate(ctx, m); !errors.Is(err, fx.ErrInvalid) {
				t.Errorf("%s: SetManualRate = %v, want ErrInvalid", name, err)
			}
		}
		if _, err := f.svc.Rate(ctx, "USD", "CNY", now.Add(2*time.Hour)); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("after refused requests USD→CNY = %v, want ErrNoRate", err)
		}
		// A rate scheduled for later applies from then.
		later := now.Add(time.Hour)
		if _, err := f.svc.SetManualRate(ctx, fx.ManualRate{Base: "USD", Quote: "CNY", Rate: r, SetBy: 1, From: later}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Rate(ctx, "USD", "CNY", later.Add(-time.Nanosecond)); !errors.Is(err, fx.ErrNoRate) {
			t.Errorf("before a scheduled rate: %v, want ErrNoRate", err)
		}
		if q := f.mustRate(t, "USD", "CNY", later); q.Rate.String() != "7.2" {
			t.Errorf("when a scheduled rate starts: %s, want 7.2", q.Rate)
		}
	})
}

func TestConcurrentImportsStoreEachRateOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e, fx.Options{})
		const n = 6
		results := make([]fx.ImportResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Half the importers see the days in the file's order,
				// half in reverse: the store must not deadlock on either.
				days, err := fx.ParseECB(strings.NewReader(history))
				if err != nil {
					errs[i] = err
					return
				}
				if i%2 == 1 {
					slices.Reverse(days)
				}
				results[i], errs[i] = f.svc.Import(context.Background(), days)
			})
		}
		wg.Wait()
		total := 0
		for i := range n {
			if errs[i] != nil {
				t.Errorf("import %d: %v", i, errs[i])
			}
			total += results[i].NewRates
		}
		if total != 6 {
			t.Errorf("concurrent imports stored %d rates between them, want the file's 6 exactly once (%+v)", total, results)
		}
	})
}
