package money

import (
	"errors"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		code    string
		want    Currency
		wantErr error
	}{
		{"USD", Currency{"USD", 840, 2}, nil},
		{"usd", Currency{"USD", 840, 2}, nil},
		{"uSd", Currency{"USD", 840, 2}, nil},
		{"EUR", Currency{"EUR", 978, 2}, nil},
		{"CNY", Currency{"CNY", 156, 2}, nil},
		{"GBP", Currency{"GBP", 826, 2}, nil},
		{"JPY", Currency{"JPY", 392, 0}, nil},
		{"RUB", Currency{"RUB", 643, 2}, nil},
		{"HKD", Currency{"HKD", 344, 2}, nil},
		{"TWD", Currency{"TWD", 901, 2}, nil},
		{"SGD", Currency{"SGD", 702, 2}, nil},
		{"KRW", Currency{"KRW", 410, 0}, nil},
		{"AUD", Currency{"AUD", 36, 2}, nil},
		{"CAD", Currency{"CAD", 124, 2}, nil},
		{"CHF", Currency{"CHF", 756, 2}, nil},
		{"INR", Currency{"INR", 356, 2}, nil},
		{"BHD", Currency{"BHD", 48, 3}, nil},
		{"KWD", Currency{"KWD", 414, 3}, nil},
		{"JOD", Currency{"JOD", 400, 3}, nil},
		{"OMR", Currency{"OMR", 512, 3}, nil},
		{"TND", Currency{"TND", 788, 3}, nil},
		{"CLF", Currency{"CLF", 990, 4}, nil},
		{"ISK", Currency{"ISK", 352, 0}, nil},
		{"VND", Currency{"VND", 704, 0}, nil},
		{"", Currency{}, ErrUnknownCurrency},
		{"XXX", Currency{}, ErrUnknownCurrency},
		{"US", Currency{}, ErrUnknownCurrency},
		{"USDD", Currency{}, ErrUnknownCurrency},
		{" USD", Currency{}, ErrUnknownCurrency},
		{"USD ", Currency{}, ErrUnknownCurrency},
		{"uſd", Currency{}, ErrUnknownCurrency}, // ſ upper-cases to S in Unicode
		{"ＵＳＤ", Currency{}, ErrUnknownCurrency},
		{"84\x00", Currency{}, ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, err := Lookup(tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Lookup(%q) error = %v, want %v", tt.code, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestMustCurrency(t *testing.T) {
	if got, want := MustCurrency("jpy"), (Currency{"JPY", 392, 0}); got != want {
		t.Errorf("MustCurrency(jpy) = %+v, want %+v", got, want)
	}
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("MustCurrency(ABC) panicked with %v, want ErrUnknownCurrency", r)
		}
	}()
	MustCurrency("ABC")
}

// TestCurrencyTable guards the hand-maintained table against typos.
func TestCurrencyTable(t *testing.T) {
	all := Currencies()
	if len(all) != len(currencies) {
		t.Fatalf("Currencies() returned %d, table has %d", len(all), len(currencies))
	}
	numerics := map[int]string{}
	for i, c := range all {
		if i > 0 && all[i-1].Code >= c.Code {
			t.Errorf("Currencies() not sorted at %s", c.Code)
		}
		if upperCode(c.Code) != c.Code {
			t.Errorf("%s: code is not three upper-case ASCII letters", c.Code)
		}
		if c.Numeric <= 0 || c.Numeric > 999 {
			t.Errorf("%s: numeric code %d out of range", c.Code, c.Numeric)
		}
		if other, dup := numerics[c.Numeric]; dup {
			t.Errorf("%s and %s share numeric code %03d", other, c.Code, c.Numeric)
		}
		numerics[c.Numeric] = c.Code
		if c.Exponent < 0 || c.Exponent > 4 {
			t.Errorf("%s: exponent %d outside ISO 4217's 0..4", c.Code, c.Exponent)
		}
		if !c.valid() {
			t.Errorf("%s: not valid()", c.Code)
		}
		if got := c.String(); got != c.Code {
			t.Errorf("%+v.String() = %q, want %q", c, got, c.Code)
		}
	}
}

func TestCurrencyValid(t *testing.T) {
	tests := []struct {
		c    Currency
		want bool
	}{
		{Currency{}, false},
		{Currency{Code: "XTS", Exponent: 2}, true},
		{Currency{Code: "XTS", Exponent: -1}, false},
		{Currency{Code: "XTS", Exponent: 18}, true},
		{Currency{Code: "XTS", Exponent: 19}, false},
	}
	for _, tt := range tests {
		if got := tt.c.valid(); got != tt.want {
			t.Errorf("%+v.valid() = %v, want %v", tt.c, got, tt.want)
		}
	}
}
