package redact

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// provinces are the first two digits of Chinese resident identity
// numbers: provinces, Taiwan, Hong Kong and Macau.
var provinces = map[int]bool{
	11: true, 12: true, 13: true, 14: true, 15: true, 21: true, 22: true, 23: true,
	31: true, 32: true, 33: true, 34: true, 35: true, 36: true, 37: true,
	41: true, 42: true, 43: true, 44: true, 45: true, 46: true, 50: true, 51: true,
	52: true, 53: true, 54: true, 61: true, 62: true, 63: true, 64: true, 65: true,
	71: true, 81: true, 82: true, 83: true,
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheck = "10X98765432"

// idNumber reports a valid resident identity number: 18 characters with
// the ISO 7064 MOD 11-2 check character, or the old 15-digit form.
func idNumber(d []byte) bool {
	switch len(d) {
	case 18:
		if !provinces[num(d[:2])] || !validDate(num(d[6:10]), num(d[10:12]), num(d[12:14])) {
			return false
		}
		if y := num(d[6:10]); y < 1900 || y > 2099 {
			return false
		}
		sum := 0
		for i := 0; i < 17; i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
			sum += int(d[i]-'0') * idWeights[i]
		}
		return idCheck[sum%11] == d[17]
	case 15:
		return provinces[num(d[:2])] && validDate(1900+num(d[6:8]), num(d[8:10]), num(d[10:12]))
	}
	return false
}

// maskIDs masks resident identity numbers: a run of 18 digits, 17 digits
// and X, or 15 digits, not glued to other letters or digits.
func maskIDs(rs []rune) ([]rune, bool) {
	var edits []edit
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isDigit(rs[j]) {
			j++
		}
		d := digitsOf(rs, i, j)
		end := j
		if len(d) == 17 && j < len(rs) && strings.ContainsRune("XxＸｘ", rs[j]) {
			d = append(d, 'X')
			end = j + 1
		}
		if (len(d) == 18 || len(d) == 15) && (end >= len(rs) || !isASCIILetter(rs[end])) && idNumber(d) {
			edits = append(edits, edit{span{i, end}, keepEnds(d)})
		}
		i = end
	}
	return apply(rs, edits), len(edits) > 0
}

var (
	cvcKeyword = regexp.MustCompile(`(?i)(\b(cvv2|cvc2|cvv|cvc|cid|csc)|\bsecurity\s*code|\bcard\s+verification\s+(code|value|number)|安全码|安全碼|验证码|驗證碼|校验码|校驗碼)`)
	cardWord   = regexp.MustCompile(`(?i)(卡|card|visa|master)`)
)

// maskCVCs masks the 3 or 4 digits after a security-code keyword.
func maskCVCs(rs []rune) ([]rune, bool) {
	s := string(rs)
	at := runeIndex(s)
	var edits []edit
	for _, loc := range cvcKeyword.FindAllStringIndex(s, -1) {
		kw := s[loc[0]:loc[1]]
		if strings.Contains(kw, "验证码") || strings.Contains(kw, "驗證碼") || strings.Contains(kw, "校验码") || strings.Contains(kw, "校驗碼") {
			from := at(loc[0]) - 12
			if from < 0 {
				from = 0
			}
			if !cardWord.MatchString(string(rs[from:at(loc[0])])) {
				continue
			}
		}
		start := at(loc[1])
		i := skipJoiners(rs, start, 8)
		j := i
		for j < len(rs) && isDigit(rs[j]) {
			j++
		}
		if n := j - i; n >= 3 && n <= 4 && (len(edits) == 0 || edits[len(edits)-1].at.end <= i) {
			edits = append(edits, edit{span{i, j}, strings.Repeat("*", n)})
		}
	}
	return apply(rs, edits), len(edits) > 0
}

// skipJoiners skips up to max runes of what joins a keyword to its value:
// white space, ":", "=", "#", "-", 是, 为, "is", "was".
func skipJoiners(rs []rune, i, max int) int {
	for n := 0; i < len(rs) && n < max; n++ {
		switch r := rs[i]; {
		case r == ' ' || r == '\t' || r == '\u3000' || r == '\u00a0' || r == ':' || r == '：' || r == '=' || r == '＝' || r == '#' || r == '-' || r == '是' || r == '为' || r == '為':
			i++
		case hasWordAt(rs, i, "is"):
			i += 2
		case hasWordAt(rs, i, "was"):
			i += 3
		default:
			return i
		}
	}
	return i
}

// hasWordAt reports the ASCII word w (any case) at rs[i], ending there.
func hasWordAt(rs []rune, i int, w string) bool {
	if i+len(w) > len(rs) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if unicode.ToLower(rs[i+k]) != rune(w[k]) {
			return false
		}
	}
	return i+len(w) == len(rs) || !isASCIILetter(rs[i+len(w)])
}

var (
	pwZH = regexp.MustCompile(`(密码|密碼|口令)[ \t\x{3000}]*(是|为|為|:|：|=|＝)?[ \t\x{3000}]*(:|：)?[ \t\x{3000}]*`)
	pwEN = regexp.MustCompile(`(?i)\b(password|pass\s?word|passwd|passcode|pwd|pin(\s?code)?)[ \t]*([:：=＝]|[ \t]+(is|was)\b)[ \t]*`)
)

// notSecrets are words that follow "password is" in sentences about a
// password rather than in ones that give it.
var notSecrets = map[string]bool{
	"not": true, "wrong": true, "incorrect": true, "invalid": true, "correct": true, "right": true,
	"too": true, "still": true, "being": true, "the": true, "a": true, "an": true, "expired": true,
	"locked": true, "reset": true, "changed": true, "ok": true, "okay": true, "fine": true,
	"working": true, "required": true, "same": true, "different": true, "also": true, "now": true,
	"weak": true, "strong": true, "very": true, "really": true, "my": true, "your": true, "that": true,
	"this": true, "it": true, "and": true, "or": true, "but": true, "no": true, "yes": true,
	"missing": true, "lost": true, "forgotten": true, "forgot": true, "please": true, "in": true,
	"on": true, "for": true, "to": true, "of": true, "with": true, "at": true, "by": true, "from": true,
	"as": true, "case": true, "blank": true, "empty": true, "set": true, "saved": true, "stored": true,
	"needed": true, "accepted": true, "rejected": true, "failing": true, "failed": true, "broken": true,
	"unknown": true, "longer": true, "shorter": true, "definitely": true, "probably": true, "just": true,
	"only": true, "always": true, "never": true, "sent": true, "here": true, "below": true, "above": true,
	"attached": true, "hidden": true, "masked": true, "none": true,
}

// maskPasswords masks the secret after a password keyword.
func maskPasswords(rs []rune) ([]rune, bool) {
	s := string(rs)
	at := runeIndex(s)
	var spans []span
	for _, re := range []*regexp.Regexp{pwZH, pwEN} {
		for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
			start := at(loc[1])
			i, j := secret(rs, start)
			if i == j {
				continue
			}
			word := strings.ToLower(string(rs[i:j]))
			if re == pwEN {
				if notSecrets[word] {
					continue
				}
				// PIN codes are digits.
				if kw := strings.ToLower(s[loc[2]:loc[3]]); strings.HasPrefix(kw, "pin") && !allDigits(rs[i:j]) {
					continue
				}
			}
			spans = append(spans, span{i, j})
		}
	}
	if len(spans) == 0 {
		return rs, false
	}
	// Both patterns may find the same secret: keep the first of
	// overlapping spans.
	sortSpans(spans)
	var edits []edit
	for _, sp := range spans {
		if len(edits) > 0 && sp.start < edits[len(edits)-1].at.end {
			continue
		}
		edits = append(edits, edit{sp, "******"})
	}
	return apply(rs, edits), len(edits) > 0
}

// secret returns the extent of the secret starting at rs[i]: up to white
// space, a Chinese character or Chinese punctuation, with quotes and
// brackets around it and trailing sentence punctuation left out. An
// already masked secret (only "*" or "•") counts as none.
func secret(rs []rune, i int) (int, int) {
	j := i
	for j < len(rs) && secretRune(rs[j]) {
		j++
	}
	for i < j && strings.ContainsRune(`"'“‘(<[{`, rs[i]) {
		i++
	}
	for j > i && strings.ContainsRune(`.,;:!?)]}>"'”’`, rs[j-1]) {
		j--
	}
	masked := true
	for _, r := range rs[i:j] {
		if r != '*' && r != '•' && r != '●' {
			masked = false
			break
		}
	}
	if masked {
		return i, i
	}
	return i, j
}

func secretRune(r rune) bool {
	switch {
	case unicode.IsSpace(r), unicode.Is(unicode.Han, r):
		return false
	case r >= 0x3000 && r <= 0x303F: // CJK punctuation
		return false
	case r >= 0xFF01 && r <= 0xFF0F, r >= 0xFF1A && r <= 0xFF20, r >= 0xFF3B && r <= 0xFF40, r >= 0xFF5B && r <= 0xFF65:
		return false // full-width punctuation
	case unicode.IsControl(r):
		return false
	}
	return true
}

// runeIndex maps byte offsets of s to rune offsets.
func runeIndex(s string) func(int) int {
	idx := make([]int, len(s)+1)
	n := 0
	for i := range s {
		for k := i; k < len(s) && (k == i || !utf8.RuneStart(s[k])); k++ {
			idx[k] = n
		}
		n++
	}
	idx[len(s)] = n
	return func(b int) int { return idx[b] }
}

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if !isDigit(r) {
			return false
		}
	}
	return len(rs) > 0
}

func sortSpans(s []span) {
	slices.SortStableFunc(s, func(a, b span) int { return a.start - b.start })
}
