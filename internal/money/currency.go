package money

import (
	"cmp"
	"fmt"
	"slices"
)

// Currency is an ISO 4217 currency. It is a small comparable value so that
// Amounts can be compared with ==.
type Currency struct {
	// Code is the three-letter alphabetic code, upper case ("USD").
	Code string
	// Numeric is the ISO 4217 numeric code (840 for USD). ISO writes it
	// with three digits; format it with %03d.
	Numeric int
	// Exponent is the number of decimal digits in the minor unit: 2 for
	// USD (cents), 0 for JPY, 3 for BHD (fils).
	Exponent int
}

// maxExponent is the largest minor-unit exponent a Currency may have: 10^18
// is the largest power of ten an int64 holds. ISO 4217 itself stops at 4.
const maxExponent = 18

// String returns the currency code.
func (c Currency) String() string { return c.Code }

// valid reports whether c can denote money. Hand-built currencies (test
// currencies such as XTS) are allowed as long as they are well formed.
func (c Currency) valid() bool {
	return c.Code != "" && c.Exponent >= 0 && c.Exponent <= maxExponent
}

func (c Currency) check() error {
	if !c.valid() {
		return fmt.Errorf("%w: %+v", ErrUnknownCurrency, c)
	}
	return nil
}

// currencies lists the ISO 4217 currencies OKPay handles, with minor-unit
// exponents from the ISO 4217 amendment list. Exponents differ from the
// common "2" often enough (JPY, KRW, BHD, CLF, ...) that they must never be
// assumed.
//
// It is built by a variable initializer, not init, so that package-level
// variables such as `var usd = MustCurrency("USD")` can rely on it.
var currencies = indexByCode([]Currency{
	{"AED", 784, 2},
	{"ARS", 32, 2},
	{"AUD", 36, 2},
	{"BDT", 50, 2},
	{"BHD", 48, 3},
	{"BIF", 108, 0},
	{"BRL", 986, 2},
	{"CAD", 124, 2},
	{"CHF", 756, 2},
	{"CLF", 990, 4},
	{"CLP", 152, 0},
	{"CNY", 156, 2},
	{"COP", 170, 2},
	{"CZK", 203, 2},
	{"DJF", 262, 0},
	{"DKK", 208, 2},
	{"EGP", 818, 2},
	{"EUR", 978, 2},
	{"GBP", 826, 2},
	{"GNF", 324, 0},
	{"HKD", 344, 2},
	{"HUF", 348, 2},
	{"IDR", 360, 2},
	{"ILS", 376, 2},
	{"INR", 356, 2},
	{"IQD", 368, 3},
	{"ISK", 352, 0},
	{"JOD", 400, 3},
	{"JPY", 392, 0},
	{"KMF", 174, 0},
	{"KRW", 410, 0},
	{"KWD", 414, 3},
	{"KZT", 398, 2},
	{"LKR", 144, 2},
	{"LYD", 434, 3},
	{"MOP", 446, 2},
	{"MXN", 484, 2},
	{"MYR", 458, 2},
	{"NGN", 566, 2},
	{"NOK", 578, 2},
	{"NZD", 554, 2},
	{"OMR", 512, 3},
	{"PEN", 604, 2},
	{"PHP", 608, 2},
	{"PKR", 586, 2},
	{"PLN", 985, 2},
	{"PYG", 600, 0},
	{"RUB", 643, 2},
	{"RWF", 646, 0},
	{"SAR", 682, 2},
	{"SEK", 752, 2},
	{"SGD", 702, 2},
	{"THB", 764, 2},
	{"TND", 788, 3},
	{"TRY", 949, 2},
	{"TWD", 901, 2},
	{"UAH", 980, 2},
	{"UGX", 800, 0},
	{"USD", 840, 2},
	{"UYW", 927, 4},
	{"VND", 704, 0},
	{"VUV", 548, 0},
	{"XAF", 950, 0},
	{"XOF", 952, 0},
	{"XPF", 953, 0},
	{"ZAR", 710, 2},
})

func indexByCode(list []Currency) map[string]Currency {
	m := make(map[string]Currency, len(list))
	for _, c := range list {
		m[c.Code] = c
	}
	return m
}

// Lookup returns the currency with the given ISO 4217 alphabetic code. The
// code is matched case-insensitively but must otherwise be exact: three
// ASCII letters, no surrounding space.
func Lookup(code string) (Currency, error) {
	if c, ok := currencies[upperCode(code)]; ok {
		return c, nil
	}
	return Currency{}, fmt.Errorf("%w: %s", ErrUnknownCurrency, quote(code))
}

// MustCurrency is like Lookup but panics on an unknown code. It is meant for
// package-level variables and tests with literal codes.
func MustCurrency(code string) Currency {
	c, err := Lookup(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Currencies returns every known currency, ordered by code.
func Currencies() []Currency {
	out := make([]Currency, 0, len(currencies))
	for _, c := range currencies {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Currency) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// upperCode upper-cases a three-letter ASCII code, returning "" for anything
// else. It deliberately avoids strings.ToUpper, which maps non-ASCII letters
// such as 'ſ' onto 'S' and would let look-alike input through.
func upperCode(s string) string {
	if len(s) != 3 {
		return ""
	}
	var b [3]byte
	for i := range 3 {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		default:
			return ""
		}
		b[i] = c
	}
	return string(b[:])
}
