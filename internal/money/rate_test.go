package money

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

func mustRate(t testing.TB, s string) Rate {
	t.Helper()
	r, err := ParseRate(s)
	if err != nil {
		t.Fatalf("ParseRate(%q): %v", s, err)
	}
	return r
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		s        string
		want     string
		wantErrs []error
	}{
		{"7.1234", "7.1234", nil},
		{"+7.1234", "7.1234", nil},
		{" 0.0125 ", "0.0125", nil},
		{"1", "1", nil},
		{"110", "110", nil},
		{"007.500", "7.5", nil},
		{"100.000", "100", nil},
		{"0.000000000000000000000000000001", "0.000000000000000000000000000001", nil},
		{"12345678901234567890", "12345678901234567890", nil},
		{"99999999999999999999", "99999999999999999999", nil},
		{"1.2345678901234567890", "1.234567890123456789", nil},
		{"1.2345678901234567891000", "1.2345678901234567891", nil},

		{"0", "", []error{ErrInvalidRate}},
		{"0.000", "", []error{ErrInvalidRate}},
		{"-1", "", []error{ErrInvalidRate}},
		{"-0", "", []error{ErrInvalidRate}},
		{"100000000000000000000", "", []error{ErrInvalidRate}},
		{"1.23456789012345678901", "", []error{ErrInvalidRate, ErrTooPrecise}},
		{"0.0000000000000000000000000000001", "", []error{ErrInvalidRate, ErrTooPrecise}},
		{"", "", []error{ErrInvalidRate, ErrSyntax}},
		{"NaN", "", []error{ErrInvalidRate, ErrSyntax}},
		{"Inf", "", []error{ErrInvalidRate, ErrSyntax}},
		{"-Infinity", "", []error{ErrInvalidRate, ErrSyntax}},
		{"1e5", "", []error{ErrInvalidRate, ErrSyntax}},
		{".5", "", []error{ErrInvalidRate, ErrSyntax}},
		{"5.", "", []error{ErrInvalidRate, ErrSyntax}},
		{"+-1", "", []error{ErrInvalidRate, ErrSyntax}},
		{"1,000", "", []error{ErrInvalidRate, ErrSyntax}},
		{"7.1234 CNY", "", []error{ErrInvalidRate, ErrSyntax}},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			got, err := ParseRate(tt.s)
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("ParseRate(%q) error = %v, want it to match %v", tt.s, err, want)
				}
			}
			if len(tt.wantErrs) == 0 && err != nil {
				t.Fatalf("ParseRate(%q) error = %v", tt.s, err)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("ParseRate(%q) = %s, want %s", tt.s, got, tt.want)
			}
		})
	}
}

func TestNewRate(t *testing.T) {
	tests := []struct {
		d       *apd.Decimal
		want    string
		wantErr error
	}{
		{apd.New(71234, -4), "7.1234", nil},
		{apd.New(5000, 0), "5000", nil},
		{apd.New(1, 19), "10000000000000000000", nil},
		{apd.New(1, -30), "0.000000000000000000000000000001", nil},
		{apd.New(10, -31), "0.000000000000000000000000000001", nil},
		{apd.New(1, 20), "", ErrInvalidRate},
		{apd.New(1, -31), "", ErrTooPrecise},
		{apd.New(0, 0), "", ErrInvalidRate},
		{apd.New(-5, 0), "", ErrInvalidRate},
		{&apd.Decimal{Form: apd.NaN}, "", ErrInvalidRate},
		{&apd.Decimal{Form: apd.NaNSignaling}, "", ErrInvalidRate},
		{&apd.Decimal{Form: apd.Infinite}, "", ErrInvalidRate},
		{&apd.Decimal{Form: apd.Infinite, Negative: true}, "", ErrInvalidRate},
		{nil, "", ErrInvalidRate},
	}
	for _, tt := range tests {
		name := "nil"
		if tt.d != nil {
			name = tt.d.String()
		}
		t.Run(name, func(t *testing.T) {
			got, err := NewRate(tt.d)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewRate(%s) error = %v, want %v", name, err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("NewRate(%s) = %s, want %s", name, got, tt.want)
			}
		})
	}

	// The Rate must not alias the caller's decimal.
	d := apd.New(2, 0)
	r, err := NewRate(d)
	if err != nil {
		t.Fatal(err)
	}
	d.SetInt64(3)
	if got := r.String(); got != "2" {
		t.Errorf("Rate changed with its source decimal: %s", got)
	}
	r.Decimal().SetInt64(4)
	if got := r.String(); got != "2" {
		t.Errorf("Rate changed through Decimal(): %s", got)
	}
}

func TestRateHelpers(t *testing.T) {
	tests := []struct {
		name    string
		rate    func() (Rate, error)
		want    string
		wantErr error
	}{
		{"bp 125", func() (Rate, error) { return BasisPoints(125) }, "0.0125", nil},
		{"bp 1", func() (Rate, error) { return BasisPoints(1) }, "0.0001", nil},
		{"bp 10000", func() (Rate, error) { return BasisPoints(10000) }, "1", nil},
		{"bp 0", func() (Rate, error) { return BasisPoints(0) }, "", ErrInvalidRate},
		{"bp -5", func() (Rate, error) { return BasisPoints(-5) }, "", ErrInvalidRate},
		{"pct 2.9", func() (Rate, error) { return ParsePercent("2.9") }, "0.029", nil},
		{"pct 100", func() (Rate, error) { return ParsePercent("100") }, "1", nil},
		{"pct 0.5", func() (Rate, error) { return ParsePercent("0.5") }, "0.005", nil},
		{"pct 0", func() (Rate, error) { return ParsePercent("0") }, "", ErrInvalidRate},
		{"pct 2.9%", func() (Rate, error) { return ParsePercent("2.9%") }, "", ErrSyntax},
		// A percentage with 30 fractional digits is a rate with 32.
		{"pct tiny", func() (Rate, error) { return ParsePercent("0." + strings.Repeat("0", 29) + "1") }, "", ErrTooPrecise},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rate()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if got, want := (Rate{}).String(), "<invalid rate>"; got != want {
		t.Errorf("Rate{}.String() = %q, want %q", got, want)
	}
}

func TestRoundingString(t *testing.T) {
	tests := []struct {
		m    Rounding
		want string
	}{
		{RoundHalfEven, "half_even"},
		{RoundHalfUp, "half_up"},
		{RoundDown, "down"},
		{RoundUp, "up"},
		{RoundFloor, "floor"},
		{RoundCeiling, "ceiling"},
		{Rounding(-1), "Rounding(-1)"},
		{Rounding(6), "Rounding(6)"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Rounding(%d).String() = %q, want %q", int(tt.m), got, tt.want)
		}
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		a       Amount
		rate    string
		to      Currency
		want    int64
		wantErr error
	}{
		{Amount{10000, usd}, "7.1234", cny, 71234, nil},
		{Amount{1, usd}, "7.1234", cny, 7, nil},                          // 0.071234 → 0.07
		{Amount{10000, usd}, "149.5", jpy, 14950, nil},                   // 100 USD → 14950 JPY
		{Amount{1, usd}, "150.5", jpy, 2, nil},                           // 1.505 → 2
		{Amount{100, jpy}, "0.0067", usd, 67, nil},                       // 0.67 exactly
		{Amount{1, jpy}, "0.005", usd, 0, nil},                           // 0.005: tie → even 0.00
		{Amount{3, jpy}, "0.005", usd, 2, nil},                           // 0.015: tie → even 0.02
		{Amount{5, jpy}, "0.005", usd, 2, nil},                           // 0.025: tie → even 0.02
		{Amount{-5, jpy}, "0.005", usd, -2, nil},                         // -0.025 → -0.02
		{Amount{-3, jpy}, "0.005", usd, -2, nil},                         // -0.015 → -0.02
		{Amount{1000, usd}, "0.377", bhd, 3770, nil},                     // 10 USD → 3.770 BHD
		{Amount{1, bhd}, "2.65", usd, 0, nil},                            // 0.00265 → 0.00
		{Amount{1234, bhd}, "1", jpy, 1, nil},                            // 1.234 → 1
		{Amount{1500, bhd}, "1", jpy, 2, nil},                            // 1.5 → 2
		{Amount{2500, bhd}, "1", jpy, 2, nil},                            // 2.5 → 2
		{Amount{1, jpy}, "0.00001", clf, 0, nil},                         // 0.00001 → 0.0000
		{Amount{1, usd}, "1", clf, 100, nil},                             // 0.01 → 0.0100
		{Amount{0, usd}, "7", cny, 0, nil},                               // zero stays zero
		{Amount{maxI, usd}, "1", usd, maxI, nil},                         // identity at the edge
		{Amount{minI, usd}, "1", eur, minI, nil},                         // identity at the edge
		{Amount{maxI, jpy}, "1", usd, 0, ErrOverflow},                    // ×100 minor units
		{Amount{maxI, usd}, "1.0000000001", usd, 0, ErrOverflow},         // just over
		{Amount{minI, usd}, "2", usd, 0, ErrOverflow},                    // negative overflow
		{Amount{maxI, jpy}, "99999999999999999999", clf, 0, ErrOverflow}, // way over
		{Amount{1, usd}, "1", Currency{}, 0, ErrUnknownCurrency},
		{Amount{1, Currency{}}, "1", usd, 0, ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v*%s->%s", tt.a, tt.rate, tt.to.Code), func(t *testing.T) {
			got, err := Convert(tt.a, mustRate(t, tt.rate), tt.to)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Convert error = %v, want %v", err, tt.wantErr)
			}
			want := Amount{}
			if tt.wantErr == nil {
				want = Amount{tt.want, tt.to}
			}
			if got != want {
				t.Errorf("Convert(%v, %s, %s) = %v, want %v", tt.a, tt.rate, tt.to.Code, got, want)
			}
		})
	}
}

func TestConvertInvalidRate(t *testing.T) {
	_, err := Convert(Amount{1, usd}, Rate{}, cny)
	if !errors.Is(err, ErrInvalidRate) {
		t.Errorf("Convert with zero Rate error = %v, want ErrInvalidRate", err)
	}
	_, err = ConvertRounding(Amount{1, usd}, mustRate(t, "1"), cny, Rounding(42))
	if !errors.Is(err, ErrInvalidRounding) {
		t.Errorf("ConvertRounding with Rounding(42) error = %v, want ErrInvalidRounding", err)
	}
	_, err = MulRate(Amount{1, usd}, mustRate(t, "1"), Rounding(-1))
	if !errors.Is(err, ErrInvalidRounding) {
		t.Errorf("MulRate with Rounding(-1) error = %v, want ErrInvalidRounding", err)
	}
}

// TestConvertRounding pins every mode on both signs, on values above and
// below a tenth of a unit (the latter is where apd's Quantize is wrong, see
// cockroachdb/apd#122), ties, and exact results.
func TestConvertRounding(t *testing.T) {
	type want struct{ halfEven, halfUp, down, up, floor, ceiling int64 }
	tests := []struct {
		a    Amount // in JPY so that the amount in major units is the minor count
		rate string // converted to USD, so results are in cents
		want want
	}{
		{Amount{1, jpy}, "0.00001", want{0, 0, 0, 1, 0, 1}},    // 0.001 cents
		{Amount{-1, jpy}, "0.00001", want{0, 0, 0, -1, -1, 0}}, // -0.001 cents
		{Amount{1, jpy}, "0.0000000000000000000000000001", want{0, 0, 0, 1, 0, 1}},
		{Amount{-1, jpy}, "0.0000000000000000000000000001", want{0, 0, 0, -1, -1, 0}},
		{Amount{1, jpy}, "0.0001", want{0, 0, 0, 1, 0, 1}},        // 0.01 cents
		{Amount{1, jpy}, "0.0009", want{0, 0, 0, 1, 0, 1}},        // 0.09 cents
		{Amount{1, jpy}, "0.001", want{0, 0, 0, 1, 0, 1}},         // 0.1 cents
		{Amount{1, jpy}, "0.005", want{0, 1, 0, 1, 0, 1}},         // 0.5 cents
		{Amount{-1, jpy}, "0.005", want{0, -1, 0, -1, -1, 0}},     // -0.5 cents
		{Amount{3, jpy}, "0.005", want{2, 2, 1, 2, 1, 2}},         // 1.5 cents
		{Amount{-3, jpy}, "0.005", want{-2, -2, -1, -2, -2, -1}},  // -1.5 cents
		{Amount{1, jpy}, "0.0251", want{3, 3, 2, 3, 2, 3}},        // 2.51 cents
		{Amount{1, jpy}, "0.0249", want{2, 2, 2, 3, 2, 3}},        // 2.49 cents
		{Amount{-1, jpy}, "0.0251", want{-3, -3, -2, -3, -3, -2}}, // -2.51 cents
		{Amount{1, jpy}, "0.02", want{2, 2, 2, 2, 2, 2}},          // exact
		{Amount{-1, jpy}, "0.02", want{-2, -2, -2, -2, -2, -2}},   // exact
		{Amount{1, jpy}, "0.0999", want{10, 10, 9, 10, 9, 10}},    // 9.99 cents
		{Amount{1, jpy}, "0.00999", want{1, 1, 0, 1, 0, 1}},       // 0.999 cents
	}
	for _, tt := range tests {
		modes := []struct {
			m    Rounding
			want int64
		}{
			{RoundHalfEven, tt.want.halfEven},
			{RoundHalfUp, tt.want.halfUp},
			{RoundDown, tt.want.down},
			{RoundUp, tt.want.up},
			{RoundFloor, tt.want.floor},
			{RoundCeiling, tt.want.ceiling},
		}
		for _, m := range modes {
			t.Run(fmt.Sprintf("%v*%s/%v", tt.a, tt.rate, m.m), func(t *testing.T) {
				got, err := ConvertRounding(tt.a, mustRate(t, tt.rate), usd, m.m)
				if err != nil {
					t.Fatal(err)
				}
				if want := (Amount{m.want, usd}); got != want {
					t.Errorf("ConvertRounding(%v, %s, USD, %v) = %v, want %v", tt.a, tt.rate, m.m, got, want)
				}
			})
		}
	}
}

func TestMulRate(t *testing.T) {
	tests := []struct {
		a       Amount
		rate    string
		mode    Rounding
		want    int64
		wantErr error
	}{
		{Amount{10000, usd}, "0.029", RoundHalfEven, 290, nil},
		{Amount{1234, usd}, "0.029", RoundHalfEven, 36, nil},  // 35.786 → 36
		{Amount{1234, usd}, "0.029", RoundFloor, 35, nil},     // platform pays less
		{Amount{1234, usd}, "0.029", RoundCeiling, 36, nil},   // platform charges more
		{Amount{-1234, usd}, "0.029", RoundCeiling, -35, nil}, // refund of fee, platform's favour
		{Amount{-1234, usd}, "0.029", RoundFloor, -36, nil},
		{Amount{1, usd}, "0.029", RoundCeiling, 1, nil},       // minimum fee of a cent
		{Amount{1, usd}, "0.029", RoundHalfEven, 0, nil},      // 0.029 cents
		{Amount{999, jpy}, "0.035", RoundDown, 34, nil},       // 34.965
		{Amount{999, jpy}, "0.035", RoundHalfUp, 35, nil},     // 34.965
		{Amount{12345, bhd}, "0.1", RoundHalfEven, 1234, nil}, // 1234.5 fils → 1234
		{Amount{12355, bhd}, "0.1", RoundHalfEven, 1236, nil}, // 1235.5 fils → 1236
		{Amount{maxI, usd}, "1.5", RoundDown, 0, ErrOverflow},
		{Amount{maxI, usd}, "0.5", RoundDown, maxI / 2, nil},
		{Amount{minI, usd}, "0.5", RoundDown, minI / 2, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v*%s/%v", tt.a, tt.rate, tt.mode), func(t *testing.T) {
			got, err := MulRate(tt.a, mustRate(t, tt.rate), tt.mode)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("MulRate error = %v, want %v", err, tt.wantErr)
			}
			want := Amount{}
			if tt.wantErr == nil {
				want = Amount{tt.want, tt.a.Currency}
			}
			if got != want {
				t.Errorf("MulRate(%v, %s, %v) = %v, want %v", tt.a, tt.rate, tt.mode, got, want)
			}
		})
	}

	bp, err := BasisPoints(250)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := MulRate(Amount{10000, cny}, bp, RoundHalfEven); err != nil || got != (Amount{250, cny}) {
		t.Errorf("MulRate(100.00 CNY, 250bp) = %v, %v; want 2.50 CNY", got, err)
	}
}

// TestRateConcurrentUse shares one Rate between goroutines; with -race it
// checks that apd only reads the Rate's decimal.
func TestRateConcurrentUse(t *testing.T) {
	r := mustRate(t, "12345678901234567890")
	done := make(chan Amount)
	for i := range 8 {
		go func() {
			got, _ := Convert(Amount{int64(i), jpy}, r, jpy)
			done <- got
		}()
	}
	for range 8 {
		<-done
	}
	if got := r.String(); got != "12345678901234567890" {
		t.Errorf("rate changed to %s", got)
	}
}
