package money

import (
	"testing"
)

func TestDecimalAndString(t *testing.T) {
	xts4 := Currency{Code: "XTS", Exponent: 4}
	tests := []struct {
		a           Amount
		wantDecimal string
		wantString  string
	}{
		{Amount{123450, usd}, "1234.50", "1234.50 USD"},
		{Amount{-5, usd}, "-0.05", "-0.05 USD"},
		{Amount{0, usd}, "0.00", "0.00 USD"},
		{Amount{1, usd}, "0.01", "0.01 USD"},
		{Amount{-100, usd}, "-1.00", "-1.00 USD"},
		{Amount{100, jpy}, "100", "100 JPY"},
		{Amount{-100, jpy}, "-100", "-100 JPY"},
		{Amount{0, jpy}, "0", "0 JPY"},
		{Amount{1234, bhd}, "1.234", "1.234 BHD"},
		{Amount{-1, bhd}, "-0.001", "-0.001 BHD"},
		{Amount{1, clf}, "0.0001", "0.0001 CLF"},
		{Amount{maxI, usd}, "92233720368547758.07", "92233720368547758.07 USD"},
		{Amount{minI, usd}, "-92233720368547758.08", "-92233720368547758.08 USD"},
		{Amount{maxI, jpy}, "9223372036854775807", "9223372036854775807 JPY"},
		{Amount{minI, jpy}, "-9223372036854775808", "-9223372036854775808 JPY"},
		{Amount{minI, clf}, "-922337203685477.5808", "-922337203685477.5808 CLF"},
		{Amount{7, Currency{Code: "XTS", Exponent: 18}}, "0.000000000000000007", "0.000000000000000007 XTS"},
		{Amount{minI, Currency{Code: "XTS", Exponent: 18}}, "-9.223372036854775808", "-9.223372036854775808 XTS"},
		{Amount{12, xts4}, "0.0012", "0.0012 XTS"},
		// Invalid currencies must still print something sensible, not panic.
		{Amount{5, Currency{Code: "XTS", Exponent: 25}}, "0.0000000000000000000000005", "0.0000000000000000000000005 XTS"},
		{Amount{5, Currency{Code: "XTS", Exponent: -3}}, "5", "5 XTS"},
		{Amount{}, "0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.wantString, func(t *testing.T) {
			if got := tt.a.Decimal(); got != tt.wantDecimal {
				t.Errorf("Decimal() = %q, want %q", got, tt.wantDecimal)
			}
			if got := tt.a.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	gbp, hkd, sgd, twd := MustCurrency("GBP"), MustCurrency("HKD"), MustCurrency("SGD"), MustCurrency("TWD")
	tests := []struct {
		a      Amount
		locale string
		want   string
	}{
		{Amount{123450, cny}, "zh-CN", "¥1,234.50"},
		{Amount{100, jpy}, "zh-CN", "JP¥100"},
		{Amount{1250, usd}, "zh-CN", "US$12.50"},
		{Amount{1250, eur}, "zh-CN", "€12.50"},
		{Amount{1250, gbp}, "zh-CN", "£12.50"},
		{Amount{1234, bhd}, "zh-CN", "BHD 1.234"},
		{Amount{-1250, usd}, "zh-CN", "-US$12.50"},
		{Amount{-1234, bhd}, "zh-CN", "-BHD 1.234"},
		{Amount{100000, hkd}, "zh-CN", "HK$1,000.00"},
		{Amount{100000, sgd}, "zh-CN", "SGD 1,000.00"},
		{Amount{100000, twd}, "zh-CN", "NT$1,000.00"},
		{Amount{1000000, krw}, "zh-CN", "₩1,000,000"},
		{Amount{123450, cny}, "en", "CN¥1,234.50"},
		{Amount{1250, usd}, "en", "$12.50"},
		{Amount{100, jpy}, "en", "¥100"},
		{Amount{1250, eur}, "en", "€12.50"},
		{Amount{-1250, usd}, "en", "-$12.50"},
		{Amount{1234, bhd}, "en", "BHD 1.234"},
		{Amount{12345678, clf}, "en", "CLF 1,234.5678"},
		{Amount{0, usd}, "en", "$0.00"},
		{Amount{-1, usd}, "en", "-$0.01"},
		{Amount{99999, usd}, "en", "$999.99"},
		{Amount{100000, usd}, "en", "$1,000.00"},
		{Amount{maxI, usd}, "en", "$92,233,720,368,547,758.07"},
		{Amount{minI, usd}, "en", "-$92,233,720,368,547,758.08"},
		{Amount{minI, jpy}, "zh-CN", "-JP¥9,223,372,036,854,775,808"},
		// Locale tags are matched loosely and default to zh-CN.
		{Amount{1250, usd}, "", "US$12.50"},
		{Amount{1250, usd}, "zh", "US$12.50"},
		{Amount{1250, usd}, "zh_Hans_CN", "US$12.50"},
		{Amount{1250, usd}, "EN-us", "$12.50"},
		{Amount{1250, usd}, "en_GB", "$12.50"},
		{Amount{1250, usd}, "fr-FR", "US$12.50"},
		{Amount{1250, usd}, "eng", "US$12.50"},
		{Amount{7, Currency{}}, "en", "7"},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.want, func(t *testing.T) {
			if got := Format(tt.a, tt.locale); got != tt.want {
				t.Errorf("Format(%v, %q) = %q, want %q", tt.a, tt.locale, got, tt.want)
			}
		})
	}
}

// TestSymbolsParseBack checks the invariant that every symbol Format can
// emit is a marker ParseLocalized accepts for its currency, in both locales.
func TestSymbolsParseBack(t *testing.T) {
	for loc, table := range symbols {
		for code, sym := range table {
			c, err := Lookup(code)
			if err != nil {
				t.Errorf("symbol table entry %s: %v", code, err)
				continue
			}
			for _, parseLoc := range []string{LocaleZhCN, LocaleEn} {
				if err := checkMarker(sym, c, parseLocale(parseLoc), sym); err != nil {
					t.Errorf("locale %d symbol %q for %s rejected when parsing %s: %v", loc, sym, code, parseLoc, err)
				}
			}
		}
	}
}
