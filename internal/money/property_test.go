package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// minorGen draws minor-unit counts, mixing uniformly random values with the
// boundaries where off-by-one and sign bugs live.
func minorGen() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64(),
		rapid.Int64Range(-1_000_000, 1_000_000),
		rapid.SampledFrom([]int64{0, 1, -1, 999, 1000, -1000, maxI, minI, maxI - 1, minI + 1}),
	)
}

// currencyGen draws a known currency, or occasionally a hand-built one
// with an exponent beyond ISO 4217's, up to the supported maximum.
func currencyGen() *rapid.Generator[Currency] {
	return rapid.OneOf(
		rapid.SampledFrom(Currencies()),
		rapid.Custom(func(t *rapid.T) Currency {
			return Currency{Code: "XTS", Numeric: 963, Exponent: rapid.IntRange(0, maxExponent).Draw(t, "exp")}
		}),
	)
}

func TestPropParseDecimalRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := Amount{Minor: minorGen().Draw(t, "minor"), Currency: currencyGen().Draw(t, "cur")}
		s := a.Decimal()
		got, err := Parse(s, a.Currency)
		if err != nil {
			t.Fatalf("Parse(%q, %s): %v", s, a.Currency.Code, err)
		}
		if got != a {
			t.Fatalf("Parse(%q) = %+v, want %+v", s, got, a)
		}
		// String is Decimal plus the code, and ParseLocalized reads it too.
		got, err = ParseLocalized(a.String(), a.Currency, LocaleEn)
		if err != nil || got != a {
			t.Fatalf("ParseLocalized(%q) = %+v, %v; want %+v", a.String(), got, err, a)
		}
	})
}

func TestPropFormatParseLocalizedRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := Amount{Minor: minorGen().Draw(t, "minor"), Currency: currencyGen().Draw(t, "cur")}
		for _, loc := range []string{LocaleZhCN, LocaleEn} {
			s := Format(a, loc)
			got, err := ParseLocalized(s, a.Currency, loc)
			if err != nil {
				t.Fatalf("ParseLocalized(%q, %s, %s): %v", s, a.Currency.Code, loc, err)
			}
			if got != a {
				t.Fatalf("ParseLocalized(%q, %s) = %+v, want %+v", s, loc, got, a)
			}
		}
	})
}

// TestPropInt64Ops checks the overflow helpers against math/big.
func TestPropInt64Ops(t *testing.T) {
	ops := []struct {
		name string
		fn   func(a, b int64) (int64, error)
		big  func(z, x, y *big.Int) *big.Int
	}{
		{"Add", AddInt64, (*big.Int).Add},
		{"Sub", SubInt64, (*big.Int).Sub},
		{"Mul", MulInt64, (*big.Int).Mul},
	}
	rapid.Check(t, func(t *rapid.T) {
		a, b := minorGen().Draw(t, "a"), minorGen().Draw(t, "b")
		for _, op := range ops {
			want := op.big(new(big.Int), big.NewInt(a), big.NewInt(b))
			got, err := op.fn(a, b)
			if want.IsInt64() {
				if err != nil || got != want.Int64() {
					t.Fatalf("%s(%d, %d) = %d, %v; want %d", op.name, a, b, got, err, want)
				}
			} else if !errors.Is(err, ErrOverflow) {
				t.Fatalf("%s(%d, %d) = %d, %v; want ErrOverflow", op.name, a, b, got, err)
			}
		}
		got, err := NegInt64(a)
		if a == math.MinInt64 {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("NegInt64(%d) = %d, %v; want ErrOverflow", a, got, err)
			}
		} else if err != nil || got != -a {
			t.Fatalf("NegInt64(%d) = %d, %v", a, got, err)
		}
	})
}

// roundRat rounds x to an integer with the given mode, independently of
// apd, as an oracle for ConvertRounding.
func roundRat(x *big.Rat, mode Rounding) *big.Int {
	num, den := x.Num(), x.Denom()                      // den > 0
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncated toward zero
	if r.Sign() == 0 {
		return q
	}
	away := func() *big.Int { return q.Add(q, big.NewInt(int64(x.Sign()))) }
	// Compare 2|r| with den to find which side of the half-way point x is.
	half := new(big.Int).Abs(r)
	half.Lsh(half, 1)
	c := half.Cmp(den)
	switch mode {
	case RoundDown:
		return q
	case RoundUp:
		return away()
	case RoundFloor:
		if x.Sign() < 0 {
			return away()
		}
		return q
	case RoundCeiling:
		if x.Sign() > 0 {
			return away()
		}
		return q
	case RoundHalfUp:
		if c >= 0 {
			return away()
		}
		return q
	case RoundHalfEven:
		if c > 0 || (c == 0 && q.Bit(0) == 1) {
			return away()
		}
		return q
	}
	panic(fmt.Sprintf("unknown mode %v", mode))
}

func TestPropConvertMatchesRationalOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := Amount{Minor: minorGen().Draw(t, "minor"), Currency: currencyGen().Draw(t, "from")}
		to := currencyGen().Draw(t, "to")
		mode := Rounding(rapid.IntRange(0, int(RoundCeiling)).Draw(t, "mode"))
		// A rate of up to MaxRateDigits digits with up to 30 fractional
		// digits, kept below 10^20.
		digits := rapid.IntRange(1, MaxRateDigits).Draw(t, "digits")
		coeff := new(big.Int)
		for i := range digits {
			lo := 0
			if i == 0 {
				lo = 1
			}
			coeff.Mul(coeff, big.NewInt(10))
			coeff.Add(coeff, big.NewInt(int64(rapid.IntRange(lo, 9).Draw(t, "digit"))))
		}
		frac := rapid.IntRange(max(0, digits-20), 30).Draw(t, "frac")
		rateText := coeff.String()
		if frac > 0 {
			if pad := frac + 1 - len(rateText); pad > 0 {
				rateText = strings.Repeat("0", pad) + rateText
			}
			rateText = rateText[:len(rateText)-frac] + "." + rateText[len(rateText)-frac:]
		}
		rate, err := ParseRate(rateText)
		if err != nil {
			t.Fatalf("ParseRate(%q): %v", rateText, err)
		}

		exact, ok := new(big.Rat).SetString(rateText)
		if !ok {
			t.Fatalf("big.Rat cannot parse %q", rateText)
		}
		exact.Mul(exact, new(big.Rat).SetInt64(a.Minor))
		exact.Mul(exact, new(big.Rat).SetFrac(pow10(to.Exponent), pow10(a.Currency.Exponent)))
		want := roundRat(exact, mode)

		got, err := ConvertRounding(a, rate, to, mode)
		if !want.IsInt64() {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("ConvertRounding(%v, %s, %s, %v) = %v, %v; want ErrOverflow (exact %s)",
					a, rateText, to.Code, mode, got, err, want)
			}
			return
		}
		if err != nil || got != (Amount{want.Int64(), to}) {
			t.Fatalf("ConvertRounding(%v, %s, %s, %v) = %v, %v; want %s minor units",
				a, rateText, to.Code, mode, got, err, want)
		}
	})
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
