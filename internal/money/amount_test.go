package money

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

var (
	usd = MustCurrency("USD")
	eur = MustCurrency("EUR")
	cny = MustCurrency("CNY")
	jpy = MustCurrency("JPY")
	bhd = MustCurrency("BHD")
	clf = MustCurrency("CLF")
	krw = MustCurrency("KRW")
)

const (
	maxI = math.MaxInt64
	minI = math.MinInt64
)

func TestNew(t *testing.T) {
	tests := []struct {
		minor   int64
		code    string
		want    Amount
		wantErr error
	}{
		{150, "USD", Amount{150, usd}, nil},
		{-7, "jpy", Amount{-7, jpy}, nil},
		{maxI, "BHD", Amount{maxI, bhd}, nil},
		{1, "ZZZ", Amount{}, ErrUnknownCurrency},
		{1, "", Amount{}, ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.minor, tt.code), func(t *testing.T) {
			got, err := New(tt.minor, tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New(%d, %q) error = %v, want %v", tt.minor, tt.code, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("New(%d, %q) = %+v, want %+v", tt.minor, tt.code, got, tt.want)
			}
		})
	}
}

type int64Case struct {
	a, b    int64
	want    int64
	wantErr error
}

func testInt64Op(t *testing.T, name string, op func(a, b int64) (int64, error), tests []int64Case) {
	t.Helper()
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s(%d,%d)", name, tt.a, tt.b), func(t *testing.T) {
			got, err := op(tt.a, tt.b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s(%d, %d) error = %v, want %v", name, tt.a, tt.b, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("%s(%d, %d) = %d, want %d", name, tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestAddInt64(t *testing.T) {
	testInt64Op(t, "AddInt64", AddInt64, []int64Case{
		{0, 0, 0, nil},
		{1, 2, 3, nil},
		{-1, -2, -3, nil},
		{maxI, 0, maxI, nil},
		{maxI, minI, -1, nil},
		{maxI - 1, 1, maxI, nil},
		{minI + 1, -1, minI, nil},
		{maxI, 1, 0, ErrOverflow},
		{1, maxI, 0, ErrOverflow},
		{maxI, maxI, 0, ErrOverflow},
		{minI, -1, 0, ErrOverflow},
		{minI, minI, 0, ErrOverflow},
	})
}

func TestSubInt64(t *testing.T) {
	testInt64Op(t, "SubInt64", SubInt64, []int64Case{
		{0, 0, 0, nil},
		{5, 7, -2, nil},
		{maxI, maxI, 0, nil},
		{minI, minI, 0, nil},
		{-1, maxI, minI, nil},
		{minI, -1, minI + 1, nil},
		{0, maxI, -maxI, nil},
		{0, minI, 0, ErrOverflow},
		{-2, maxI, 0, ErrOverflow},
		{maxI, -1, 0, ErrOverflow},
		{minI, 1, 0, ErrOverflow},
		{maxI, minI, 0, ErrOverflow},
	})
}

func TestMulInt64(t *testing.T) {
	testInt64Op(t, "MulInt64", MulInt64, []int64Case{
		{0, maxI, 0, nil},
		{minI, 0, 0, nil},
		{3, -4, -12, nil},
		{maxI, 1, maxI, nil},
		{minI, 1, minI, nil},
		{maxI, -1, -maxI, nil},
		{1 << 31, 1 << 31, 1 << 62, nil},
		{-(1 << 31), 1 << 32, minI, nil},
		{minI, -1, 0, ErrOverflow},
		{-1, minI, 0, ErrOverflow},
		{maxI, 2, 0, ErrOverflow},
		{1 << 32, 1 << 31, 0, ErrOverflow},
		{minI, 2, 0, ErrOverflow},
		{3037000500, 3037000500, 0, ErrOverflow}, // just above sqrt(MaxInt64)
		{minI, minI, 0, ErrOverflow},
	})
}

func TestNegInt64(t *testing.T) {
	tests := []struct {
		a       int64
		want    int64
		wantErr error
	}{
		{0, 0, nil},
		{5, -5, nil},
		{maxI, -maxI, nil},
		{minI + 1, maxI, nil},
		{minI, 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, err := NegInt64(tt.a)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("NegInt64(%d) = %d, %v; want %d, %v", tt.a, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestAmountArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		op      func() (Amount, error)
		want    Amount
		wantErr error
	}{
		{"add", func() (Amount, error) { return Amount{150, usd}.Add(Amount{-200, usd}) }, Amount{-50, usd}, nil},
		{"add mismatch", func() (Amount, error) { return Amount{1, usd}.Add(Amount{1, eur}) }, Amount{}, ErrCurrencyMismatch},
		// Same code but different exponent must not be treated as the same
		// currency; a hand-built Currency could otherwise misplace the point.
		{"add exponent mismatch", func() (Amount, error) {
			return Amount{1, usd}.Add(Amount{1, Currency{Code: "USD", Numeric: 840, Exponent: 3}})
		}, Amount{}, ErrCurrencyMismatch},
		{"add overflow", func() (Amount, error) { return Amount{maxI, jpy}.Add(Amount{1, jpy}) }, Amount{}, ErrOverflow},
		{"sub", func() (Amount, error) { return Amount{100, bhd}.Sub(Amount{1001, bhd}) }, Amount{-901, bhd}, nil},
		{"sub mismatch", func() (Amount, error) { return Amount{1, jpy}.Sub(Amount{1, krw}) }, Amount{}, ErrCurrencyMismatch},
		{"sub overflow", func() (Amount, error) { return Amount{minI, usd}.Sub(Amount{1, usd}) }, Amount{}, ErrOverflow},
		{"sub to min", func() (Amount, error) { return Amount{-1, usd}.Sub(Amount{maxI, usd}) }, Amount{minI, usd}, nil},
		{"neg", func() (Amount, error) { return Amount{5, cny}.Neg() }, Amount{-5, cny}, nil},
		{"neg max", func() (Amount, error) { return Amount{maxI, cny}.Neg() }, Amount{-maxI, cny}, nil},
		{"neg min", func() (Amount, error) { return Amount{minI, cny}.Neg() }, Amount{}, ErrOverflow},
		{"mul", func() (Amount, error) { return Amount{999, usd}.MulInt(3) }, Amount{2997, usd}, nil},
		{"mul negative", func() (Amount, error) { return Amount{999, usd}.MulInt(-3) }, Amount{-2997, usd}, nil},
		{"mul zero", func() (Amount, error) { return Amount{minI, usd}.MulInt(0) }, Amount{0, usd}, nil},
		{"mul overflow", func() (Amount, error) { return Amount{maxI/2 + 1, usd}.MulInt(2) }, Amount{}, ErrOverflow},
		{"mul min by -1", func() (Amount, error) { return Amount{minI, usd}.MulInt(-1) }, Amount{}, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAmountCmpSign(t *testing.T) {
	tests := []struct {
		a, b     Amount
		wantCmp  int
		wantErr  error
		wantSign int
	}{
		{Amount{1, usd}, Amount{2, usd}, -1, nil, 1},
		{Amount{2, usd}, Amount{2, usd}, 0, nil, 1},
		{Amount{0, usd}, Amount{minI, usd}, 1, nil, 0},
		{Amount{minI, usd}, Amount{maxI, usd}, -1, nil, -1},
		{Amount{1, usd}, Amount{1, cny}, 0, ErrCurrencyMismatch, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.a, " vs ", tt.b), func(t *testing.T) {
			got, err := tt.a.Cmp(tt.b)
			if !errors.Is(err, tt.wantErr) || got != tt.wantCmp {
				t.Errorf("Cmp = %d, %v; want %d, %v", got, err, tt.wantCmp, tt.wantErr)
			}
			if got := tt.a.Sign(); got != tt.wantSign {
				t.Errorf("Sign = %d, want %d", got, tt.wantSign)
			}
			if got, want := tt.a.IsZero(), tt.wantSign == 0; got != want {
				t.Errorf("IsZero = %v, want %v", got, want)
			}
		})
	}
}
