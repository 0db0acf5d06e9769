package redact

import "time"

// maxGroups is how many digit groups a card number may be written in
// ("6222 0212 3456 7890 123" has five).
const maxGroups = 6

// isCardSep reports a separator allowed between the digit groups of a card
// number: one space or hyphen, ASCII, full-width or no-break.
func isCardSep(r rune) bool {
	switch r {
	case ' ', '-', '\u00a0', '\u3000', '－', '\u2010', '\u2011', '\u2012', '\u2013':
		return true
	}
	return false
}

type span struct{ start, end int }

// maskCards masks Luhn-valid card numbers. It looks at chains of digit
// groups joined by single separators and masks every window of up to
// maxGroups consecutive groups that makes a card number; overlapping
// windows are masked together. Masking every window rather than picking
// one means a card written next to another number ("订单 12 4242 4242 4242
// 4242") is hidden whole even when the other number happens to make a
// Luhn-valid window with part of it.
func maskCards(rs []rune) ([]rune, bool) {
	var groups []span
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isDigit(rs[j]) {
			j++
		}
		groups = append(groups, span{i, j})
		i = j
	}
	// windows over group indexes, in order of their first group.
	var windows []span
	for g := range groups {
		if !cardStart(rs, groups[g]) {
			continue
		}
		total := 0
		for k := g; k < len(groups) && k-g < maxGroups; k++ {
			if k > g && !(groups[k].start == groups[k-1].end+1 && isCardSep(rs[groups[k-1].end])) {
				break
			}
			total += groups[k].end - groups[k].start
			if total > 19 {
				break
			}
			if total < 13 || !cardEnd(rs, groups[k]) {
				continue
			}
			d := digitsOf(rs, groups[g].start, groups[k].end)
			if luhn(d) && !(k == g && timestamp(d)) {
				windows = append(windows, span{g, k})
			}
		}
	}
	if len(windows) == 0 {
		return rs, false
	}
	var merged []span
	for _, w := range windows {
		if n := len(merged); n > 0 && w.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, w.end)
			continue
		}
		merged = append(merged, w)
	}
	edits := make([]edit, len(merged))
	for i, m := range merged {
		from, to := groups[m.start].start, groups[m.end].end
		edits[i] = edit{span{from, to}, keepEnds(digitsOf(rs, from, to))}
	}
	return apply(rs, edits), true
}

// cardStart reports a group a card number may start with: not a leading
// 0, not glued to a letter, not after "+".
func cardStart(rs []rune, g span) bool {
	if v, _ := digit(rs[g.start]); v == 0 {
		return false
	}
	if g.start > 0 {
		if p := rs[g.start-1]; isASCIILetter(p) || p == '+' || p == '＋' {
			return false
		}
	}
	return true
}

// cardEnd reports a group a card number may end with: not glued to a
// letter.
func cardEnd(rs []rune, g span) bool {
	return g.end >= len(rs) || !isASCIILetter(rs[g.end])
}

// luhn checks the Luhn checksum of ASCII digits.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// timestamp reports a single run of digits shaped like a timestamp:
// milliseconds since 1970 up to 2033 (13 digits starting with 1), or
// yyyyMMddHHmmss with optional milliseconds in 1900..2099.
func timestamp(d []byte) bool {
	switch len(d) {
	case 13:
		return d[0] == '1'
	case 14, 17:
		return validDateTime(d)
	}
	return false
}

func num(d []byte) int {
	n := 0
	for _, c := range d {
		n = n*10 + int(c-'0')
	}
	return n
}

func validDateTime(d []byte) bool {
	y, mo, dd := num(d[0:4]), num(d[4:6]), num(d[6:8])
	h, mi, s := num(d[8:10]), num(d[10:12]), num(d[12:14])
	if y < 1900 || y > 2099 || h > 23 || mi > 59 || s > 59 {
		return false
	}
	return validDate(y, mo, dd)
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d && int(t.Month()) == m
}
