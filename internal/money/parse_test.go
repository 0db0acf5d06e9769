package money

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		s       string
		cur     Currency
		want    int64
		wantErr error
	}{
		{"1234.50", usd, 123450, nil},
		{"1234.5", usd, 123450, nil},
		{"1234", usd, 123400, nil},
		{"-3", usd, -300, nil},
		{"0.5", usd, 50, nil},
		{"-0.05", usd, -5, nil},
		{"+12.34", usd, 1234, nil},
		{"-0", usd, 0, nil},
		{"0.00", usd, 0, nil},
		{"007", usd, 700, nil},
		{"  12.50\t", usd, 1250, nil},
		{"\n-1\n", usd, -100, nil},
		{"100", jpy, 100, nil},
		{"-100", jpy, -100, nil},
		{"1.234", bhd, 1234, nil},
		{"1.2", bhd, 1200, nil},
		{"0.0001", clf, 1, nil},
		{"92233720368547758.07", usd, maxI, nil},
		{"-92233720368547758.08", usd, minI, nil},
		{"9223372036854775807", jpy, maxI, nil},
		{"-9223372036854775808", jpy, minI, nil},
		{"00000000000000000000000000009223372036854775807", jpy, maxI, nil},
		{"9223372036854775.807", bhd, maxI, nil},

		{"100.5", jpy, 0, ErrTooPrecise},
		{"100.0", jpy, 0, ErrTooPrecise},
		{"1.000", usd, 0, ErrTooPrecise},
		{"1.001", usd, 0, ErrTooPrecise},
		{"0.0005", bhd, 0, ErrTooPrecise},
		{"0.00001", clf, 0, ErrTooPrecise},
		{"92233720368547758.08", usd, 0, ErrOverflow},
		{"-92233720368547758.09", usd, 0, ErrOverflow},
		{"9223372036854775808", jpy, 0, ErrOverflow},
		{"-9223372036854775809", jpy, 0, ErrOverflow},
		{"99999999999999999999999999999", usd, 0, ErrOverflow},
		{"18446744073709551616", jpy, 0, ErrOverflow}, // 2^64, wraps uint64
		{"92233720368547758.07", bhd, 0, ErrOverflow},

		{"", usd, 0, ErrSyntax},
		{"   ", usd, 0, ErrSyntax},
		{"abc", usd, 0, ErrSyntax},
		{"1e5", usd, 0, ErrSyntax},
		{"1E5", usd, 0, ErrSyntax},
		{"+-1", usd, 0, ErrSyntax},
		{"-+1", usd, 0, ErrSyntax},
		{"--1", usd, 0, ErrSyntax},
		{"+", usd, 0, ErrSyntax},
		{"-", usd, 0, ErrSyntax},
		{".5", usd, 0, ErrSyntax},
		{"5.", usd, 0, ErrSyntax},
		{".", usd, 0, ErrSyntax},
		{"1.2.3", usd, 0, ErrSyntax},
		{"1,234.50", usd, 0, ErrSyntax},
		{"1 234", usd, 0, ErrSyntax},
		{"- 1", usd, 0, ErrSyntax},
		{"$1", usd, 0, ErrSyntax},
		{"1 USD", usd, 0, ErrSyntax},
		{"NaN", usd, 0, ErrSyntax},
		{"Inf", usd, 0, ErrSyntax},
		{"0x10", usd, 0, ErrSyntax},
		{"１２", usd, 0, ErrSyntax}, // full-width digits are ParseLocalized's job
		{"1_000", usd, 0, ErrSyntax},
		{"12\x00", usd, 0, ErrSyntax},
		// Syntax is checked before precision and overflow.
		{"1.2345x", usd, 0, ErrSyntax},
		// Precision is checked before overflow.
		{"99999999999999999999.999", usd, 0, ErrTooPrecise},

		{"1", Currency{}, 0, ErrUnknownCurrency},
		{"1", Currency{Code: "XTS", Exponent: 19}, 0, ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.cur.Code+"/"+tt.s, func(t *testing.T) {
			got, err := Parse(tt.s, tt.cur)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q, %s) error = %v, want %v", tt.s, tt.cur.Code, err, tt.wantErr)
			}
			want := Amount{}
			if tt.wantErr == nil {
				want = Amount{tt.want, tt.cur}
			}
			if got != want {
				t.Errorf("Parse(%q, %s) = %+v, want %+v", tt.s, tt.cur.Code, got, want)
			}
		})
	}
}

func TestParseErrorTruncatesInput(t *testing.T) {
	_, err := Parse(strings.Repeat("x", 10000), usd)
	if !errors.Is(err, ErrSyntax) {
		t.Fatalf("error = %v, want ErrSyntax", err)
	}
	if n := len(err.Error()); n > 200 {
		t.Errorf("error message is %d bytes long, want it truncated", n)
	}
}

func TestParseLocalized(t *testing.T) {
	aud, hkd, twd, rub := MustCurrency("AUD"), MustCurrency("HKD"), MustCurrency("TWD"), MustCurrency("RUB")
	tests := []struct {
		s       string
		cur     Currency
		locale  string
		want    int64
		wantErr error
	}{
		// Canonical forms still work.
		{"1234.50", cny, "zh-CN", 123450, nil},
		{"-3", usd, "en", -300, nil},
		{"+0.5", usd, "en", 50, nil},
		{".5", usd, "en", 50, nil},
		{"-.5", usd, "en", -50, nil},
		// Grouping.
		{"1,234.50", cny, "zh-CN", 123450, nil},
		{"1,234,567", jpy, "en", 1234567, nil},
		{"12,345", usd, "en", 1234500, nil},
		{"123,456.7", usd, "en", 12345670, nil},
		{"1\u00a0234.50", eur, "en", 123450, nil},
		{"1\u202f234\u202f567", eur, "en", 123456700, nil},
		{"1\u2009234", eur, "en", 123400, nil},
		{"1\u2007234", eur, "en", 123400, nil},
		{"1,23,4.5", usd, "en", 0, ErrSyntax},
		{"1,23,456", usd, "en", 0, ErrSyntax}, // Indian lakh grouping is not en
		{"1,5", usd, "en", 0, ErrSyntax},      // a decimal comma is not grouping
		{"1,5000", usd, "en", 0, ErrSyntax},
		{"1234,567", usd, "en", 0, ErrSyntax},
		{"0,123", usd, "en", 0, ErrSyntax},
		{",123", usd, "en", 0, ErrSyntax},
		{"1,234,", usd, "en", 0, ErrSyntax},
		{"1,,234", usd, "en", 0, ErrSyntax},
		{"1,234.567,8", bhd, "en", 0, ErrSyntax},
		{"1.234,50", usd, "en", 0, ErrSyntax},
		{"1,234\u00a0567", usd, "en", 0, ErrSyntax}, // mixed separators
		{"1 234", usd, "en", 0, ErrSyntax},          // plain space is not grouping
		{"1\u00a0\u00a0234", usd, "en", 0, ErrSyntax},
		// Full-width input from Chinese IMEs.
		{"１２３４．５０", cny, "zh-CN", 123450, nil},
		{"１，２３４．５", cny, "zh-CN", 123450, nil},
		{"１,２３４。５０", cny, "zh-CN", 123450, nil},
		{"－５", cny, "zh-CN", -500, nil},
		{"＋５", cny, "zh-CN", 500, nil},
		{"−5", cny, "zh-CN", -500, nil},
		{"￥１００", cny, "zh-CN", 10000, nil},
		{"１００　ＵＳＤ", usd, "zh-CN", 10000, nil},
		{"　１００　", usd, "zh-CN", 10000, nil},
		// Currency markers.
		{"¥100", cny, "zh-CN", 10000, nil},
		{"¥100", jpy, "zh-CN", 100, nil},
		{"¥100", jpy, "en", 100, nil},
		{"¥100", cny, "en", 10000, nil},
		{"CN¥1,234.50", cny, "en", 123450, nil},
		{"JP¥100", jpy, "zh-CN", 100, nil},
		{"US$12.50", usd, "zh-CN", 1250, nil},
		{"us$12.50", usd, "zh-CN", 1250, nil},
		{"$12.50", usd, "en", 1250, nil},
		{"$12.50", aud, "en", 1250, nil},
		{"A$12.50", aud, "en", 1250, nil},
		{"AU$12.50", aud, "zh-CN", 1250, nil},
		{"HK$12.50", hkd, "zh-CN", 1250, nil},
		{"NT$12", twd, "zh-CN", 1200, nil},
		{"12.50 USD", usd, "en", 1250, nil},
		{"12.50USD", usd, "en", 1250, nil},
		{"12.50 usd", usd, "en", 1250, nil},
		{"12.50\u00a0USD", usd, "en", 1250, nil},
		{"USD 12.50", usd, "en", 1250, nil},
		{"USD\u00a012.50", usd, "en", 1250, nil},
		{"100元", cny, "zh-CN", 10000, nil},
		{"100 元", cny, "zh-CN", 10000, nil},
		{"¥100元", cny, "zh-CN", 10000, nil},
		{"人民币100", cny, "zh-CN", 10000, nil},
		{"RMB 100", cny, "en", 10000, nil},
		{"rmb100", cny, "zh-CN", 10000, nil},
		{"100美元", usd, "zh-CN", 10000, nil},
		{"100日元", jpy, "zh-CN", 100, nil},
		{"₽100", rub, "en", 10000, nil},
		{"€12,50", eur, "en", 0, ErrSyntax},
		{"BHD 1.234", bhd, "zh-CN", 1234, nil},
		{"€1\u202f234.50", eur, "en", 123450, nil},
		// Sign placement.
		{"-US$12.50", usd, "zh-CN", -1250, nil},
		{"US$-12.50", usd, "zh-CN", -1250, nil},
		{"US$ -12.50", usd, "zh-CN", -1250, nil},
		{"- 12.50", usd, "zh-CN", -1250, nil},
		{"-BHD 1.234", bhd, "en", -1234, nil},
		{"-12.50 USD", usd, "en", -1250, nil},
		{"-US$-12.50", usd, "zh-CN", 0, ErrSyntax},
		{"+-1", usd, "en", 0, ErrSyntax},
		{"US$+-1", usd, "en", 0, ErrSyntax},
		{"12.50-", usd, "en", 0, ErrSyntax},
		// Markers that name another currency.
		{"US$12.50", cny, "zh-CN", 0, ErrCurrencyMismatch},
		{"$12.50", cny, "en", 0, ErrCurrencyMismatch},
		{"¥100", usd, "zh-CN", 0, ErrCurrencyMismatch},
		{"CN¥100", jpy, "en", 0, ErrCurrencyMismatch},
		{"12.50 EUR", usd, "en", 0, ErrCurrencyMismatch},
		{"100元", usd, "zh-CN", 0, ErrCurrencyMismatch},
		{"100美元", cny, "zh-CN", 0, ErrCurrencyMismatch},
		// Unknown markers and garbage.
		{"100元", cny, "en", 0, ErrSyntax}, // Chinese words are zh-CN only
		{"12.50 XYZ", usd, "en", 0, ErrSyntax},
		{"12.50 dollars", usd, "en", 0, ErrSyntax},
		{"100 200", usd, "en", 0, ErrSyntax},
		{"US$", usd, "en", 0, ErrSyntax},
		{"¥", cny, "zh-CN", 0, ErrSyntax},
		{"¥-", cny, "zh-CN", 0, ErrSyntax},
		{"", usd, "en", 0, ErrSyntax},
		{"   ", usd, "en", 0, ErrSyntax},
		{".", usd, "en", 0, ErrSyntax},
		{"5.", usd, "en", 0, ErrSyntax},
		{"1e5", usd, "en", 0, ErrSyntax},
		{"Infinity", usd, "en", 0, ErrSyntax},
		{"12\xff", usd, "en", 0, ErrSyntax},
		// Precision and overflow follow Parse.
		{"JP¥100.5", jpy, "zh-CN", 0, ErrTooPrecise},
		{"¥1,234.567", cny, "zh-CN", 0, ErrTooPrecise},
		{"$92,233,720,368,547,758.07", usd, "en", maxI, nil},
		{"-$92,233,720,368,547,758.08", usd, "en", minI, nil},
		{"$92,233,720,368,547,758.08", usd, "en", 0, ErrOverflow},
		{"1", Currency{}, "en", 0, ErrUnknownCurrency},
		// Unknown locales fall back to zh-CN.
		{"100元", cny, "de-DE", 10000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.cur.Code+"/"+tt.s, func(t *testing.T) {
			got, err := ParseLocalized(tt.s, tt.cur, tt.locale)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseLocalized(%q, %s, %q) error = %v, want %v", tt.s, tt.cur.Code, tt.locale, err, tt.wantErr)
			}
			want := Amount{}
			if tt.wantErr == nil {
				want = Amount{tt.want, tt.cur}
			}
			if got != want {
				t.Errorf("ParseLocalized(%q, %s, %q) = %+v, want %+v", tt.s, tt.cur.Code, tt.locale, got, want)
			}
		})
	}
}
