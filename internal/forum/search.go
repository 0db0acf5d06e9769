package forum

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The search index is a table of (term, post) rows, queried with plain
// SQL so that it works the same on SQLite and PostgreSQL and on every
// node. Terms are:
//   - for Chinese, Japanese and Korean text, which has no spaces between
//     words, every pair of adjacent characters (bigrams: 申请退款 gives
//     申请, 请退, 退款) and every single character, so that a one- or
//     two-character query finds a post wherever it stands, and a longer
//     query is the AND of the bigrams it is cut into;
//   - for other scripts, words of letters and digits, lower-cased, after
//     NFKC folding (full-width ＡＢＣ１ is abc1), as their prefixes (see
//     minPrefix).
//
// The help centre builds its own index the same way; the two tokenizers
// are kept apart until they can be shared without tying the packages
// together.

// maxTermLen bounds one indexed word, in bytes: longer ones are cut.
const maxTermLen = 64

// maxQueryTerms bounds how many terms one query looks up.
const maxQueryTerms = 8

// Words of other scripts are indexed by their prefixes of minPrefix to
// maxPrefix characters, each marked with a trailing "*" ("fees" gives
// fee*, fees*), so that a query word matches as a prefix with an equality
// look-up that needs no LIKE and no collation: the same plan on both
// engines. Shorter words are indexed as they are.
const (
	minPrefix = 3
	maxPrefix = 16
)

// cjk reports whether r is written without spaces between words.
func cjk(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// span is a run of text: CJK characters, or one word of other letters
// and digits.
type span struct {
	cjk   bool
	runes []rune
}

func spans(text string) []span {
	text = strings.ToLower(norm.NFKC.String(strings.ToValidUTF8(text, " ")))
	var out []span
	var cur *span
	for _, r := range text {
		switch {
		case cjk(r):
			if cur == nil || !cur.cjk {
				out = append(out, span{cjk: true})
				cur = &out[len(out)-1]
			}
			cur.runes = append(cur.runes, r)
		case wordRune(r):
			if cur == nil || cur.cjk {
				out = append(out, span{})
				cur = &out[len(out)-1]
			}
			cur.runes = append(cur.runes, r)
		default:
			cur = nil
		}
	}
	return out
}

func clip(s string) string {
	if len(s) <= maxTermLen {
		return s
	}
	cut := maxTermLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Terms returns the distinct index terms of text.
func Terms(text string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, sp := range spans(text) {
		if !sp.cjk {
			if len(sp.runes) < minPrefix {
				add(string(sp.runes))
				continue
			}
			for n := minPrefix; n <= min(len(sp.runes), maxPrefix); n++ {
				add(clip(string(sp.runes[:n])) + "*")
			}
			continue
		}
		for i, r := range sp.runes {
			add(string(r))
			if i+1 < len(sp.runes) {
				add(string(sp.runes[i : i+2]))
			}
		}
	}
	return out
}

// QueryTerms returns the terms a search for q looks up, every one of
// which a topic must hold: a CJK run cut into bigrams (or the character
// itself when it stands alone), and each other word; a word of three or more
// characters matches as a prefix (its index term, with a trailing "*":
// "withdraw" finds "withdrawal"; past maxPrefix characters only the first
// maxPrefix count). Nil means nothing to search for.
func QueryTerms(q string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] && len(out) < maxQueryTerms {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, sp := range spans(q) {
		switch {
		case sp.cjk && len(sp.runes) == 1:
			add(string(sp.runes))
		case sp.cjk:
			// Most Chinese words are two characters, so a run is read
			// as words side by side (退款到账: 退款, 到账) rather than
			// as a phrase, and an odd last character joins the one
			// before it.
			rs := sp.runes
			for i := 0; i+1 < len(rs); i += 2 {
				add(string(rs[i : i+2]))
			}
			if len(rs)%2 == 1 {
				add(string(rs[len(rs)-2:]))
			}
		case len(sp.runes) >= minPrefix:
			add(clip(string(sp.runes[:min(len(sp.runes), maxPrefix)])) + "*")
		default:
			add(string(sp.runes))
		}
	}
	return out
}
