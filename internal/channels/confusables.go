package channels

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// confusables maps letters of other scripts that look like Latin ones to
// the Latin letter they imitate: the Cyrillic and Greek ones that have no
// decomposition (NFKD already folds full-width letters and accents). It
// is the part of Unicode's confusables list that can spell "okpay" and
// the words phishing domains add to it.
var confusables = map[rune]rune{
	// Cyrillic.
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'к': 'k',
	'ӏ': 'l', 'м': 'm', 'п': 'n', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'т': 't', 'ц': 'u',
	'ѵ': 'v', 'ԝ': 'w', 'х': 'x', 'у': 'y', 'ү': 'y', 'з': '3',
	// Greek.
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w',
	// Latin letters outside ASCII that pass for plain ones.
	'ı': 'i', 'ɑ': 'a', 'ɡ': 'g', 'ʏ': 'y', 'ɩ': 'i', 'ꮃ': 'w',
}

// asciiLookalikes are ASCII characters read as another in most fonts.
var asciiLookalikes = strings.NewReplacer("0", "o", "1", "l", "i", "l", "|", "l", "3", "e", "5", "s", "rn", "m", "vv", "w", "cl", "d")

// foldRune returns the plain Latin letter r passes for, if any.
func foldRune(r rune) (rune, bool) {
	if r < 0x80 {
		return r, false
	}
	if c, ok := confusables[unicode.ToLower(r)]; ok {
		return c, true
	}
	// Accented and full-width letters: the base letter after NFKD.
	var base rune
	for _, c := range norm.NFKD.String(string(r)) {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		if base != 0 {
			return r, false
		}
		base = unicode.ToLower(c)
	}
	if base != 0 && base < 0x80 && (unicode.IsLetter(base) || unicode.IsDigit(base)) {
		return base, true
	}
	return r, false
}

// skeleton is what a label looks like on screen: foreign look-alikes
// folded to Latin, then the ASCII confusions (0/o, 1/l, rn/m) merged, so
// two labels with the same skeleton cannot be told apart at a glance.
func skeleton(label string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(label) {
		c, _ := foldRune(r)
		b.WriteRune(c)
	}
	return asciiLookalikes.Replace(b.String())
}

// confusableNotes names each non-ASCII letter of label that imitates a
// Latin one: "о (U+043E Cyrillic) → o"; mixed reports a letter of another
// script among Latin ones.
func confusableNotes(label string) (notes []string, mixed bool) {
	latin, other := false, false
	for _, r := range label {
		if unicode.IsLetter(r) {
			if unicode.Is(unicode.Latin, r) {
				latin = true
			} else {
				other = true
			}
		}
		c, ok := foldRune(r)
		if !ok {
			continue
		}
		note := fmt.Sprintf("%c (U+%04X %s) → %c", r, r, scriptOf(r), c)
		if !contains(notes, note) {
			notes = append(notes, note)
		}
	}
	return notes, latin && other
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func scriptOf(r rune) string {
	for _, s := range []struct {
		name  string
		table *unicode.RangeTable
	}{{"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek}, {"Cherokee", unicode.Cherokee}, {"Latin", unicode.Latin}} {
		if unicode.Is(s.table, r) {
			return s.name
		}
	}
	return "Unicode"
}
