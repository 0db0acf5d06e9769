package money

import (
	"strconv"
	"strings"
)

// Locales understood by Format and ParseLocalized. Tags are matched by
// language only, in any case and with "-" or "_": "en-GB" and "EN_us" use
// the en tables, and every other tag, including "", uses zh-CN.
const (
	LocaleZhCN = "zh-CN" // the default
	LocaleEn   = "en"
)

type locale int

const (
	zhCN locale = iota
	en
)

// parseLocale maps a BCP 47-ish tag to one of the supported locales. Both
// "-" and "_" separators and any case are accepted, and any English or
// Chinese variant ("en-GB", "zh_Hans_CN") picks its language's table.
// Anything else falls back to zh-CN, the platform default, because a
// display function has no good way to fail and parsing depends on the
// locale only for the Chinese currency words it additionally accepts.
func parseLocale(s string) locale {
	lang, _, _ := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	if strings.EqualFold(lang, "en") {
		return en
	}
	return zhCN
}

// Display symbols, per locale. This is a deliberately small hand-written
// table rather than CLDR data via golang.org/x/text: it is exact (no
// floating point anywhere in the formatting path), tiny, reviewable, and its
// every entry is something ParseLocalized reads back. The symbols follow
// CLDR's short forms; each locale keeps the bare "¥" and "$" for the
// currency its readers mean by them and qualifies the rest ("JP¥" in
// zh-CN, "CN¥" in en). Currencies missing here are shown by ISO code.
var symbols = [...]map[string]string{
	zhCN: {
		"AUD": "AU$",
		"BRL": "R$",
		"CAD": "CA$",
		"CNY": "¥",
		"EUR": "€",
		"GBP": "£",
		"HKD": "HK$",
		"ILS": "₪",
		"INR": "₹",
		"JPY": "JP¥",
		"KRW": "₩",
		"MXN": "MX$",
		"NZD": "NZ$",
		"TWD": "NT$",
		"USD": "US$",
		"VND": "₫",
	},
	en: {
		"AUD": "A$",
		"BRL": "R$",
		"CAD": "CA$",
		"CNY": "CN¥",
		"EUR": "€",
		"GBP": "£",
		"HKD": "HK$",
		"ILS": "₪",
		"INR": "₹",
		"JPY": "¥",
		"KRW": "₩",
		"MXN": "MX$",
		"NZD": "NZ$",
		"TWD": "NT$",
		"USD": "$",
		"VND": "₫",
	},
}

// Decimal returns the canonical decimal form of a in major units, with
// exactly Currency.Exponent fractional digits: "1234.50", "-0.05", "100"
// for JPY. Parse reads it back exactly.
func (a Amount) Decimal() string {
	var b []byte
	if a.Minor < 0 {
		b = append(b, '-')
	}
	return string(appendDecimal(b, magnitude(a.Minor), a.Currency.Exponent, false))
}

// String returns the canonical form followed by the currency code, as in
// "1234.50 USD". It is meant for logs and debugging; use Format for people.
func (a Amount) String() string {
	if a.Currency.Code == "" {
		return a.Decimal()
	}
	return a.Decimal() + " " + a.Currency.Code
}

// Format returns a for display in the given locale (LocaleZhCN or LocaleEn;
// see the Locale constants for other tags): the minus sign first, then the currency
// symbol, then the amount with comma thousands grouping and exactly the
// currency's number of fractional digits. Currencies without a symbol in the
// locale's table are prefixed by their code and a space.
//
//	zh-CN: ¥1,234.50  US$12.50  JP¥100  €12.50  -US$12.50  BHD 1.234
//	en:    CN¥1,234.50  $12.50  ¥100  €12.50  -$12.50  BHD 1.234
func Format(a Amount, locale string) string {
	var b []byte
	if a.Minor < 0 {
		b = append(b, '-')
	}
	if sym, ok := symbols[parseLocale(locale)][a.Currency.Code]; ok {
		b = append(b, sym...)
	} else if a.Currency.Code != "" {
		b = append(b, a.Currency.Code...)
		b = append(b, ' ')
	}
	return string(appendDecimal(b, magnitude(a.Minor), a.Currency.Exponent, true))
}

// magnitude returns |n|. Working in uint64 keeps math.MinInt64 exact.
func magnitude(n int64) uint64 {
	if n < 0 {
		return -uint64(n)
	}
	return uint64(n)
}

// appendDecimal appends mag/10^exp in plain decimal notation, optionally
// with comma grouping of the integer part. It is pure string manipulation,
// so it is exact for every magnitude and exponent.
func appendDecimal(dst []byte, mag uint64, exp int, group bool) []byte {
	exp = max(exp, 0)
	var buf [20]byte
	digits := strconv.AppendUint(buf[:0], mag, 10)
	if pad := exp + 1 - len(digits); pad > 0 {
		digits = append([]byte(strings.Repeat("0", pad)), digits...)
	}
	intPart, frac := digits[:len(digits)-exp], digits[len(digits)-exp:]
	for i, d := range intPart {
		if group && i > 0 && (len(intPart)-i)%3 == 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, d)
	}
	if exp > 0 {
		dst = append(dst, '.')
		dst = append(dst, frac...)
	}
	return dst
}
