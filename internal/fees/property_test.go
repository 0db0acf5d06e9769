package fees_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/money"
)

// The oracle reads the schedule's JSON on its own and computes fees with
// math/big.Rat, sharing no code with the package: not its parsing, not
// apd, not money's rounding.

type oracleDoc struct {
	Entries []struct {
		Kind           string `json:"kind"`
		Payer          string `json:"payer"`
		PayerMayChoose bool   `json:"payer_may_choose"`
		Rounding       string `json:"rounding"`
		CapAtAmount    bool   `json:"cap_at_amount"`
		Tiers          []struct {
			From    string `json:"from_volume_usd"`
			Percent string `json:"percent"`
		} `json:"tiers"`
		Currencies []struct {
			Currency string  `json:"currency"`
			Fixed    *string `json:"fixed"`
			Min      *string `json:"min"`
			Max      *string `json:"max"`
		} `json:"currencies"`
	} `json:"entries"`
}

type oracle struct{ doc oracleDoc }

// fataler is what the oracle needs of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func newOracle(tb fataler, js []byte) oracle {
	tb.Helper()
	var o oracle
	if err := json.Unmarshal(js, &o.doc); err != nil {
		tb.Fatalf("oracle: %v", err)
	}
	return o
}

func ratOf(tb fataler, s string) *big.Rat {
	tb.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		tb.Fatalf("oracle: %q is not a decimal", s)
	}
	return r
}

// minorOf converts a major-unit decimal into minor units (exact).
func minorOf(tb fataler, s string, exp int) *big.Int {
	tb.Helper()
	r := ratOf(tb, s)
	r.Mul(r, new(big.Rat).SetInt(pow10(exp)))
	if !r.IsInt() {
		tb.Fatalf("oracle: %s has more than %d decimals", s, exp)
	}
	return new(big.Int).Set(r.Num())
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundNonNeg rounds a non-negative rational to an integer.
func roundNonNeg(x *big.Rat, mode string) *big.Int {
	q, r := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	up := false
	twice := new(big.Int).Lsh(r, 1)
	switch mode {
	case "", "half_up":
		up = twice.Cmp(x.Denom()) >= 0
	case "half_even":
		c := twice.Cmp(x.Denom())
		up = c > 0 || (c == 0 && q.Bit(0) == 1)
	case "up":
		up = true
	case "down":
		up = false
	default:
		panic("oracle: rounding " + mode)
	}
	if up {
		q.Add(q, big.NewInt(1))
	}
	return q
}

type oracleFee struct {
	fee      *big.Int
	tier     int
	payer    string
	mayPick  bool
	overflow bool // percent part + fixed leaves int64
	none     bool // no rule for the currency
}

func (o oracle) fee(tb fataler, kind string, a money.Amount, vol int64) oracleFee {
	tb.Helper()
	for _, e := range o.doc.Entries {
		if e.Kind != kind {
			continue
		}
		out := oracleFee{payer: e.Payer, mayPick: e.PayerMayChoose}
		if out.payer == "" {
			out.payer = "sender"
		}
		exp := a.Currency.Exponent
		// The tier: the last whose lower bound (USD → cents) is ≤ vol.
		pct := ratOf(tb, e.Tiers[0].Percent)
		for i, t := range e.Tiers {
			if minorOf(tb, t.From, 2).Cmp(big.NewInt(vol)) <= 0 {
				out.tier, pct = i, ratOf(tb, t.Percent)
			}
		}
		ruleIdx := -1
		for i, c := range e.Currencies {
			if c.Currency == a.Currency.Code {
				ruleIdx = i
			}
		}
		if ruleIdx < 0 {
			for i, c := range e.Currencies {
				if c.Currency == "*" {
					ruleIdx = i
				}
			}
		}
		if ruleIdx < 0 {
			out.none = true
			return out
		}
		rule := e.Currencies[ruleIdx]
		amountOf := func(p *string) *big.Int {
			if p == nil {
				return new(big.Int)
			}
			return minorOf(tb, *p, exp)
		}
		part := new(big.Rat).Mul(new(big.Rat).SetInt64(a.Minor), pct)
		part.Quo(part, big.NewRat(100, 1))
		fee := roundNonNeg(part, e.Rounding)
		fee.Add(fee, amountOf(rule.Fixed))
		if !fee.IsInt64() {
			out.overflow = true
			return out
		}
		if m := amountOf(rule.Min); fee.Cmp(m) < 0 {
			fee = m
		}
		if rule.Max != nil {
			if m := amountOf(rule.Max); fee.Cmp(m) > 0 {
				fee = m
			}
		}
		if e.CapAtAmount && fee.Cmp(big.NewInt(a.Minor)) > 0 {
			fee = big.NewInt(a.Minor)
		}
		out.fee = fee
		return out
	}
	tb.Fatalf("oracle: no kind %q", kind)
	return oracleFee{}
}

// testCurrencies span every exponent the platform has: 0 (JPY, KRW),
// 2 (USD, CNY, EUR), 3 (BHD), 4 (CLF).
var testCurrencies = []string{"USD", "CNY", "EUR", "JPY", "KRW", "BHD", "CLF", "HKD", "GBP"}

// genAmount draws amounts weighted towards the interesting: small ones
// around minimums, multiples of 50 (where percentages land on exact halves
// and the rounding mode shows), mid-sized around caps, and the whole int64
// range.
func genAmount(t *rapid.T, label string) int64 {
	return rapid.OneOf(
		rapid.Int64Range(0, 1_000),
		rapid.Map(rapid.Int64Range(0, 1_000_000), func(n int64) int64 { return 50 * n }),
		rapid.Int64Range(0, 10_000_000),
		rapid.Int64Range(0, math.MaxInt64/1_000_000),
		rapid.Int64Range(0, math.MaxInt64),
		rapid.Int64Range(math.MaxInt64-1_000_000, math.MaxInt64),
	).Draw(t, label)
}

// genVolume draws volumes on and around tier boundaries as well as
// anywhere.
func genVolume(t *rapid.T, boundaries []int64) int64 {
	if len(boundaries) > 0 && rapid.Bool().Draw(t, "near boundary") {
		b := rapid.SampledFrom(boundaries).Draw(t, "boundary")
		return max(0, b+rapid.Int64Range(-2, 2).Draw(t, "offset"))
	}
	return rapid.OneOf(rapid.Int64Range(0, 20_000_000), rapid.Int64Range(0, math.MaxInt64)).Draw(t, "volume")
}

// checkAgainstOracle quotes each kind of s for a random currency, amount
// and volume, compares with the oracle, then checks Split's conservation.
func checkAgainstOracle(t *rapid.T, s *fees.Schedule, o oracle, boundaries []int64) {
	for _, kind := range s.Kinds() {
		checkKind(t, s, o, kind, boundaries)
	}
}

func checkKind(t *rapid.T, s *fees.Schedule, o oracle, kind fees.Kind, boundaries []int64) {
	code := rapid.SampledFrom(testCurrencies).Draw(t, "currency")
	a := money.Amount{Minor: genAmount(t, "amount"), Currency: money.MustCurrency(code)}
	vol := genVolume(t, boundaries)

	want := o.fee(t, string(kind), a, vol)
	q, err := s.Quote(kind, a, vol)
	switch {
	case want.none:
		if !errors.Is(err, fees.ErrNotOffered) {
			t.Fatalf("Quote(%s, %v) = %+v, %v; the schedule has no rule: want ErrNotOffered", kind, a, q, err)
		}
		return
	case want.overflow:
		if !errors.Is(err, money.ErrOverflow) {
			t.Fatalf("Quote(%s, %v) = %+v, %v; want ErrOverflow", kind, a, q, err)
		}
		return
	case err != nil:
		t.Fatalf("Quote(%s, %v, %d): %v", kind, a, vol, err)
	}
	if q.Fee.Currency != a.Currency || big.NewInt(q.Fee.Minor).Cmp(want.fee) != 0 || q.Tier.Index != want.tier {
		t.Fatalf("Quote(%s, %v, volume %d) = %v (tier %d), oracle says %s minor units (tier %d)",
			kind, a, vol, q.Fee, q.Tier.Index, want.fee, want.tier)
	}
	if q.Fee.Minor < 0 {
		t.Fatalf("negative fee %v", q.Fee)
	}

	for _, payer := range []fees.Payer{"", fees.Sender, fees.Receiver} {
		sp, err := q.Split(payer)
		effective := string(payer)
		if effective == "" {
			effective = want.payer
		}
		if effective != want.payer && !want.mayPick {
			if !errors.Is(err, fees.ErrPayerNotAllowed) {
				t.Fatalf("Split(%q) on %s = %+v, %v; want ErrPayerNotAllowed", payer, kind, sp, err)
			}
			continue
		}
		total := new(big.Int).Add(big.NewInt(a.Minor), want.fee)
		switch {
		case effective == "receiver" && q.Fee.Minor >= a.Minor:
			if !errors.Is(err, fees.ErrFeeExceedsAmount) {
				t.Fatalf("Split(receiver) of fee %v on %v = %+v, %v; want ErrFeeExceedsAmount", q.Fee, a, sp, err)
			}
			continue
		case effective == "sender" && !total.IsInt64():
			if !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("Split(sender) of %v + %v = %+v, %v; want ErrOverflow", a, q.Fee, sp, err)
			}
			continue
		case err != nil:
			t.Fatalf("Split(%q) of %v on %v: %v", payer, q.Fee, a, err)
		}
		// No minor unit created or lost, and each party's side is right.
		if sp.Debit != sp.Credit+sp.Revenue || sp.Revenue != q.Fee.Minor || sp.Credit <= 0 && a.Minor > 0 || sp.Credit < 0 {
			t.Fatalf("Split(%q) of fee %v on %v = %+v: debit must equal credit + revenue = fee", payer, q.Fee, a, sp)
		}
		if effective == "sender" && (sp.Credit != a.Minor || sp.Payer != fees.Sender) ||
			effective == "receiver" && (sp.Debit != a.Minor || sp.Payer != fees.Receiver) {
			t.Fatalf("Split(%q) of fee %v on %v = %+v: wrong side", payer, q.Fee, a, sp)
		}
	}
}

func defaultBoundaries() []int64 {
	var bs []int64
	for _, r := range fees.Default().Table() {
		bs = append(bs, r.Tier.FromUSD)
	}
	return bs
}

func TestDefaultScheduleMatchesOracle(t *testing.T) {
	o := newOracle(t, fees.DefaultJSON())
	s := fees.Default()
	bs := defaultBoundaries()
	rapid.Check(t, func(rt *rapid.T) { checkAgainstOracle(rt, s, o, bs) })
}

// genSchedule writes a random valid schedule as JSON, returning it with its
// tier boundaries.
func genSchedule(t *rapid.T) (string, []int64) {
	var b strings.Builder
	var bounds []int64
	b.WriteString(`{"entries": [`)
	n := rapid.IntRange(1, 3).Draw(t, "entries")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"kind": "k%d", "payer": %q, "payer_may_choose": %v, "rounding": %q, "cap_at_amount": %v, "tiers": [`,
			i, rapid.SampledFrom([]string{"sender", "receiver"}).Draw(t, "payer"), rapid.Bool().Draw(t, "choose"),
			rapid.SampledFrom([]string{"", "half_up", "half_even", "up", "down"}).Draw(t, "rounding"), rapid.Bool().Draw(t, "cap"))
		var from int64
		for j := range rapid.IntRange(1, 4).Draw(t, "tiers") {
			if j > 0 {
				b.WriteString(", ")
				from += rapid.Int64Range(1, 50_000_000).Draw(t, "step")
			}
			bounds = append(bounds, from)
			// Up to 100 % in steps of 0.0001 %, zero included.
			p := rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, 50_000), rapid.Int64Range(0, 1_000_000)).Draw(t, "percent")
			fmt.Fprintf(&b, `{"from_volume_usd": %q, "percent": "%d.%04d"}`,
				money.Amount{Minor: from, Currency: money.MustCurrency("USD")}.Decimal(), p/10_000, p%10_000)
		}
		b.WriteString(`], "currencies": [`)
		codes := rapid.SliceOfNDistinct(rapid.SampledFrom(append(testCurrencies[:len(testCurrencies):len(testCurrencies)], "*")), 1, 5, rapid.ID).Draw(t, "codes")
		for j, code := range codes {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `{"currency": %q`, code)
			if code != "*" {
				c := money.MustCurrency(code)
				lim := rapid.Int64Range(0, 1_000_000)
				dec := func(m int64) string { return money.Amount{Minor: m, Currency: c}.Decimal() }
				if rapid.Bool().Draw(t, "has fixed") {
					fmt.Fprintf(&b, `, "fixed": %q`, dec(lim.Draw(t, "fixed")))
				}
				minimum := int64(0)
				if rapid.Bool().Draw(t, "has min") {
					minimum = lim.Draw(t, "min")
					fmt.Fprintf(&b, `, "min": %q`, dec(minimum))
				}
				if rapid.Bool().Draw(t, "has max") {
					fmt.Fprintf(&b, `, "max": %q`, dec(minimum+lim.Draw(t, "max over min")))
				}
			}
			b.WriteString("}")
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return b.String(), bounds
}

func TestRandomSchedulesMatchOracle(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		js, bounds := genSchedule(rt)
		s, err := fees.Load(strings.NewReader(js))
		if err != nil {
			rt.Fatalf("Load refused a valid schedule: %v\n%s", err, js)
		}
		o := newOracle(rt, []byte(js))
		for range 3 {
			checkAgainstOracle(rt, s, o, bounds)
		}
	})
}
