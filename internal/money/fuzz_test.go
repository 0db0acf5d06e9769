package money

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

// The fuzz targets are named so that no name contains another: "go test
// -fuzz=FuzzParse" treats its argument as a regexp and refuses to run when
// it matches more than one target, so FuzzParseLocalized would break that
// command.

var fuzzCurrencies = []Currency{
	MustCurrency("USD"),
	MustCurrency("CNY"),
	MustCurrency("JPY"),
	MustCurrency("BHD"),
	MustCurrency("CLF"),
	{Code: "XTS", Numeric: 963, Exponent: maxExponent},
}

var parseSeeds = []string{
	"0", "-0", "+0", "1234.50", "1234.5", "-3", "0.5", "-0.05", "+12.34", "007",
	" 12.50 ", "100.5", "1.000", "0.0001", "0.00001",
	"92233720368547758.07", "-92233720368547758.08", "92233720368547758.08",
	"9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"18446744073709551616", "99999999999999999999999999999",
	"", " ", "abc", "1e5", "+-1", "--1", ".5", "5.", ".", "1.2.3", "1,234.50",
	"NaN", "Inf", "0x1F", "１２", "\x00", "\xff", "-",
}

var localizedSeeds = []string{
	"¥1,234.50", "JP¥100", "US$12.50", "€12.50", "£12.50", "BHD 1.234",
	"CN¥1,234.50", "$12.50", "¥100", "-US$12.50", "US$ -12.50", "12.50 USD",
	"100元", "人民币100", "RMB 100", "１２３４．５０", "１，２３４。５", "－５",
	"1\u00a0234.50", "1\u202f234", "12.50\u00a0USD", "1,23,4.5", "0,123",
	"1,5", ".5", "¥", "¥-", "-US$-1", "US$+-1", "$92,233,720,368,547,758.08",
	"12.50 XYZ", "100 200", "　１００　", "\xff¥1",
}

// checkAccepted verifies the round-trip contract for an accepted value and,
// using math/big as an independent oracle, that it has the value written.
func checkAccepted(t *testing.T, s, number string, cur Currency, a Amount) {
	t.Helper()
	if a.Currency != cur {
		t.Fatalf("parse of %q in %s returned currency %+v", s, cur.Code, a.Currency)
	}
	back, err := Parse(a.Decimal(), cur)
	if err != nil || back != a {
		t.Fatalf("%q in %s: Parse(Decimal() = %q) = %+v, %v; want %+v", s, cur.Code, a.Decimal(), back, err, a)
	}
	if number == "" {
		return
	}
	want, ok := new(big.Rat).SetString(number)
	if !ok {
		t.Fatalf("%q accepted in %s but big.Rat rejects %q", s, cur.Code, number)
	}
	got := new(big.Rat).SetFrac(big.NewInt(a.Minor), pow10(cur.Exponent))
	if got.Cmp(want) != 0 {
		t.Fatalf("%q in %s parsed as %s, want %s", s, cur.Code, got.FloatString(cur.Exponent), want.FloatString(cur.Exponent))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cur := range fuzzCurrencies {
			a, err := Parse(s, cur)
			if err != nil {
				if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooPrecise) && !errors.Is(err, ErrOverflow) {
					t.Fatalf("Parse(%q, %s) returned unexpected error %v", s, cur.Code, err)
				}
				if a != (Amount{}) {
					t.Fatalf("Parse(%q, %s) returned %+v with error %v", s, cur.Code, a, err)
				}
				continue
			}
			checkAccepted(t, s, strings.TrimSpace(s), cur, a)
			// Whatever Parse accepts, ParseLocalized must accept identically.
			for _, loc := range []string{LocaleZhCN, LocaleEn} {
				if b, err := ParseLocalized(s, cur, loc); err != nil || b != a {
					t.Fatalf("ParseLocalized(%q, %s, %s) = %+v, %v; Parse gave %+v", s, cur.Code, loc, b, err, a)
				}
			}
		}
	})
}

func FuzzLocalized(f *testing.F) {
	for _, s := range append(localizedSeeds, parseSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cur := range fuzzCurrencies {
			for _, loc := range []string{LocaleZhCN, LocaleEn} {
				a, err := ParseLocalized(s, cur, loc)
				if err != nil {
					if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooPrecise) &&
						!errors.Is(err, ErrOverflow) && !errors.Is(err, ErrCurrencyMismatch) {
						t.Fatalf("ParseLocalized(%q, %s, %s) returned unexpected error %v", s, cur.Code, loc, err)
					}
					if a != (Amount{}) {
						t.Fatalf("ParseLocalized(%q, %s, %s) returned %+v with error %v", s, cur.Code, loc, a, err)
					}
					continue
				}
				checkAccepted(t, s, "", cur, a)
				formatted := Format(a, loc)
				if b, err := ParseLocalized(formatted, cur, loc); err != nil || b != a {
					t.Fatalf("%q: ParseLocalized(Format() = %q, %s, %s) = %+v, %v; want %+v",
						s, formatted, cur.Code, loc, b, err, a)
				}
			}
		}
	})
}

func FuzzRate(f *testing.F) {
	for _, s := range []string{
		"7.1234", "0.0125", "1", "0", "-1", "NaN", "1e5", "99999999999999999999",
		"100000000000000000000", "0.000000000000000000000000000001", "1.23456789012345678901",
		"007.500", "", "+", ".5",
	} {
		f.Add(s, int64(12345))
	}
	f.Fuzz(func(t *testing.T, s string, minor int64) {
		r, err := ParseRate(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidRate) {
				t.Fatalf("ParseRate(%q) error %v does not match ErrInvalidRate", s, err)
			}
			return
		}
		back, err := ParseRate(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("ParseRate(%q).String() = %q does not parse back: %v, %v", s, r.String(), back, err)
		}
		want, _ := new(big.Rat).SetString(strings.TrimSpace(s))
		if got, _ := new(big.Rat).SetString(r.String()); want == nil || got == nil || got.Cmp(want) != 0 {
			t.Fatalf("ParseRate(%q) = %s, a different value", s, r)
		}
		for _, from := range fuzzCurrencies {
			for _, to := range fuzzCurrencies {
				for m := RoundHalfEven; m <= RoundCeiling; m++ {
					got, err := ConvertRounding(Amount{minor, from}, r, to, m)
					if err != nil && !errors.Is(err, ErrOverflow) {
						t.Fatalf("ConvertRounding(%d %s, %s, %s, %v) error %v", minor, from.Code, r, to.Code, m, err)
					}
					if err == nil && got.Currency != to {
						t.Fatalf("ConvertRounding returned currency %+v, want %+v", got.Currency, to)
					}
				}
			}
		}
	})
}
