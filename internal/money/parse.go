package money

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse parses the canonical decimal form of an amount in major units of
// cur: an optional sign ("+" or "-"), one or more ASCII digits, and
// optionally "." followed by one or more digits. Surrounding white space is
// ignored. "1234.50", "-3", "+0.5" and "007" are accepted; "", ".5", "5.",
// "1e5", "+-1", "1,234" and "NaN" are ErrSyntax.
//
// Input is never rounded: more fractional digits than cur.Exponent is
// ErrTooPrecise even when they are zeros ("100.5" and "100.0" for JPY,
// "1.000" for USD), so that a value with an unexpected scale is noticed
// rather than silently reinterpreted. A value outside the int64 range of
// minor units is ErrOverflow.
func Parse(s string, cur Currency) (Amount, error) {
	if err := cur.check(); err != nil {
		return Amount{}, err
	}
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if !isDigits(intPart) || (hasDot && !isDigits(frac)) {
		return Amount{}, fmt.Errorf("%w: %s", ErrSyntax, quote(s))
	}
	return fromDigits(neg, intPart, frac, cur, s)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fromDigits builds an Amount from already validated digit strings. orig is
// the caller's input, for error messages.
func fromDigits(neg bool, intPart, frac string, cur Currency, orig string) (Amount, error) {
	if len(frac) > cur.Exponent {
		return Amount{}, fmt.Errorf("%w: %s has %d fractional digits, %s allows %d",
			ErrTooPrecise, quote(orig), len(frac), cur.Code, cur.Exponent)
	}
	// Accumulate the magnitude in uint64 so that math.MinInt64, whose
	// magnitude is one more than math.MaxInt64, is reachable.
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var mag uint64
	overflow := false
	push := func(d uint64) {
		if mag > (limit-d)/10 {
			overflow = true
			return
		}
		mag = mag*10 + d
	}
	for i := 0; i < len(intPart) && !overflow; i++ {
		push(uint64(intPart[i] - '0'))
	}
	for i := 0; i < len(frac) && !overflow; i++ {
		push(uint64(frac[i] - '0'))
	}
	for i := len(frac); i < cur.Exponent && !overflow; i++ {
		push(0)
	}
	if overflow {
		return Amount{}, fmt.Errorf("%w: %s %s", ErrOverflow, quote(orig), cur.Code)
	}
	minor := int64(mag)
	if neg {
		// Negating in uint64 first keeps math.MinInt64 exact.
		minor = int64(-mag)
	}
	return Amount{Minor: minor, Currency: cur}, nil
}

// ParseLocalized parses an amount of cur as a person might type it in the
// given locale (LocaleZhCN, the default, or LocaleEn). On top of the
// canonical form accepted by Parse it allows:
//
//   - full-width digits, signs, letters and punctuation as produced by
//     Chinese input methods ("１２３４．５０", "１，２３４", "－５"), the
//     ideographic full stop "。" as a decimal point, and "−" (U+2212) as a
//     minus sign;
//   - a leading "." (".5");
//   - thousands grouping with "," or with one of the no-break or thin
//     spaces U+00A0, U+2007, U+2009, U+202F. Grouping must be well formed:
//     a first group of one to three digits not starting with 0, then groups
//     of exactly three, one kind of separator, integer part only. So
//     "1,234.50" is accepted but "1,23,4.5", "1,5" and "0,123" are not;
//   - a currency marker before the number (after any sign) and/or after it,
//     optionally separated by white space: "¥100", "-US$12.50",
//     "US$ -12.50", "12.50 USD", "100元", "RMB 100", "usd 5".
//
// Markers are ISO codes (any case), the symbols Format uses in either
// locale, common unqualified symbols ("$", "¥", "€", "₩", ...), and, in
// zh-CN only, Chinese currency names ("元", "人民币", "美元", "日元", ...).
// cur is authoritative: a marker only has to be one that can denote cur, so
// "$5" is fine for USD, AUD or HKD and "¥100" for CNY or JPY, whereas a
// marker naming another currency ("US$5" for CNY) is ErrCurrencyMismatch and
// an unrecognised one is ErrSyntax. Everything else, including precision and
// overflow, follows Parse.
func ParseLocalized(s string, cur Currency, locale string) (Amount, error) {
	if err := cur.check(); err != nil {
		return Amount{}, err
	}
	loc := parseLocale(locale)
	syntaxErr := func() (Amount, error) {
		return Amount{}, fmt.Errorf("%w: %s", ErrSyntax, quote(s))
	}

	t := strings.TrimSpace(strings.Map(narrow, s))
	neg, signed := false, false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, signed = t[0] == '-', true
		t = strings.TrimLeftFunc(t[1:], unicode.IsSpace)
	}

	// A prefix marker runs up to the number, its sign or white space.
	i := strings.IndexFunc(t, func(r rune) bool {
		return isDigit(r) || r == '.' || r == '+' || r == '-' || unicode.IsSpace(r)
	})
	if i < 0 {
		return syntaxErr()
	}
	if prefix := t[:i]; prefix != "" {
		if err := checkMarker(prefix, cur, loc, s); err != nil {
			return Amount{}, err
		}
		t = strings.TrimLeftFunc(t[i:], unicode.IsSpace)
		if !signed && t != "" && (t[0] == '+' || t[0] == '-') {
			neg = t[0] == '-'
			t = t[1:]
		}
	}

	// The number runs over digits, points and commas, and over grouping
	// spaces only where a digit follows, since the same no-break space also
	// separates a number from a suffix code ("12.50\u00a0USD").
	j := 0
	for j < len(t) {
		r, n := utf8.DecodeRuneInString(t[j:])
		if isDigit(r) || r == '.' || r == ',' {
			j += n
			continue
		}
		if next, _ := utf8.DecodeRuneInString(t[j+n:]); isGroupSpace(r) && isDigit(next) {
			j += n
			continue
		}
		break
	}
	num := t[:j]
	if suffix := strings.TrimSpace(t[j:]); suffix != "" {
		if err := checkMarker(suffix, cur, loc, s); err != nil {
			return Amount{}, err
		}
	}

	intPart, frac, hasDot := strings.Cut(num, ".")
	if hasDot && intPart == "" {
		intPart = "0"
	}
	intPart, ok := ungroup(intPart)
	if !ok || (hasDot && !isDigits(frac)) {
		return syntaxErr()
	}
	return fromDigits(neg, intPart, frac, cur, s)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isGroupSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u2009', '\u202f':
		return true
	}
	return false
}

// ungroup validates the grouping of an integer part and returns its bare
// digits.
func ungroup(s string) (string, bool) {
	var sep rune
	for _, r := range s {
		if r == ',' || isGroupSpace(r) {
			if sep != 0 && r != sep {
				return "", false
			}
			sep = r
		}
	}
	if sep == 0 {
		return s, isDigits(s)
	}
	groups := strings.Split(s, string(sep))
	first := groups[0]
	if len(first) < 1 || len(first) > 3 || first[0] == '0' || !isDigits(first) {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !isDigits(g) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// narrow maps the full-width and other look-alike characters that input
// methods produce onto the ASCII (or canonical currency symbol) characters
// the parser expects.
func narrow(r rune) rune {
	switch {
	case '\uff01' <= r && r <= '\uff5e':
		// The Halfwidth and Fullwidth Forms block mirrors ASCII '!'..'~'.
		return r - 0xfee0
	}
	switch r {
	case '\u3000':
		return ' '
	case '\u3002', '\uff61': // ideographic full stop: "." in Chinese IME mode
		return '.'
	case '\u2212', '\ufe63': // minus sign, small hyphen-minus
		return '-'
	case '\uffe5':
		return '¥'
	case '\uffe1':
		return '£'
	case '\uffe6':
		return '₩'
	}
	return r
}

// markers maps a currency marker (ASCII letters upper-cased) to the
// currencies it can denote, in every locale. It holds every symbol Format
// emits, so that formatted output always parses back, plus symbols people
// type without qualification.
var markers = withSymbols(map[string][]string{
	"$":   {"USD", "ARS", "AUD", "CAD", "CLP", "COP", "HKD", "MOP", "MXN", "NZD", "SGD", "TWD"},
	"¥":   {"CNY", "JPY"},
	"RMB": {"CNY"},
	"S$":  {"SGD"},
	"C$":  {"CAD"},
	"₽":   {"RUB"},
	"฿":   {"THB"},
	"₺":   {"TRY"},
	"₱":   {"PHP"},
	"₴":   {"UAH"},
	"₸":   {"KZT"},
})

// zhMarkers are the Chinese currency names accepted in zh-CN.
var zhMarkers = map[string][]string{
	"元":    {"CNY"},
	"人民币":  {"CNY"},
	"美元":   {"USD"},
	"日元":   {"JPY"},
	"円":    {"JPY"},
	"欧元":   {"EUR"},
	"英镑":   {"GBP"},
	"港元":   {"HKD"},
	"港币":   {"HKD"},
	"新台币":  {"TWD"},
	"台币":   {"TWD"},
	"韩元":   {"KRW"},
	"澳元":   {"AUD"},
	"加元":   {"CAD"},
	"新加坡元": {"SGD"},
	"新元":   {"SGD"},
	"卢布":   {"RUB"},
	"瑞士法郎": {"CHF"},
}

// withSymbols adds every entry of the Format symbol tables to m.
func withSymbols(m map[string][]string) map[string][]string {
	for _, table := range symbols {
		for code, sym := range table {
			sym = upperASCII(sym)
			if !slices.Contains(m[sym], code) {
				m[sym] = append(m[sym], code)
			}
		}
	}
	return m
}

// checkMarker reports whether marker can denote cur.
func checkMarker(marker string, cur Currency, loc locale, orig string) error {
	m := upperASCII(marker)
	if m == cur.Code {
		return nil
	}
	codes, ok := markers[m]
	if !ok && loc == zhCN {
		codes, ok = zhMarkers[m]
	}
	if !ok {
		if c, known := currencies[upperCode(m)]; known {
			codes, ok = []string{c.Code}, true
		}
	}
	switch {
	case !ok:
		return fmt.Errorf("%w: unknown currency marker %s in %s", ErrSyntax, quote(marker), quote(orig))
	case !slices.Contains(codes, cur.Code):
		return fmt.Errorf("%w: %s does not denote %s", ErrCurrencyMismatch, quote(marker), cur.Code)
	}
	return nil
}

// upperASCII upper-cases ASCII letters only; see upperCode for why.
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}, s)
}
