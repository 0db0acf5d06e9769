package helpcenter

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Field says where in a text a term occurs; a title hit ranks above a
// body hit.
type Field int

const (
	FieldBody  Field = 0
	FieldTitle Field = 1
)

// Term is one index entry of a text: a term and how often it occurs in a
// field.
type Term struct {
	Term  string
	Field Field
	TF    int
}

// QueryTerm is one term of a search. Prefix terms (longer Latin words)
// also match the words they begin ("withdraw" finds "withdrawal").
type QueryTerm struct {
	Term   string
	Prefix bool
}

// Limits of the index and of queries.
const (
	// MaxQueryRunes bounds what a reader may type into the search box.
	MaxQueryRunes = 200
	// MaxQueryTerms bounds the terms one search looks up.
	MaxQueryTerms = 16
	// maxWordRunes: longer "words" (hashes, pasted junk) are not indexed.
	maxWordRunes = 40
	// minPrefixRunes: Latin query words at least this long match as
	// prefixes.
	minPrefixRunes = 4
)

// cjk reports whether r is written without spaces between words: Han,
// kana and Hangul. Such runs are indexed as single characters and
// overlapping bigrams, so that any two-character word is found without a
// dictionary.
func cjk(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// wordRune reports whether r belongs to a space-separated word.
func wordRune(r rune) bool {
	return !cjk(r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// foldRune is the search form of one rune: NFKC (full-width Ａ１ become
// A1, full-width punctuation plain) and lower case. It may be several
// runes ("㎏" is "kg") or none.
func foldRune(r rune) string {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	return strings.ToLower(norm.NFKC.String(string(buf[:n])))
}

// folded is a text in search form with, for each of its runes, the index
// of the original rune it came from, so matches found in the folded text
// can be marked in the original.
type folded struct {
	runes []rune
	from  []int
}

func fold(s string) folded {
	var f folded
	i := 0
	for _, r := range s {
		for _, fr := range foldRune(r) {
			f.runes = append(f.runes, fr)
			f.from = append(f.from, i)
		}
		i++
	}
	return f
}

// token is one word or CJK run of a folded text: runes [start, end).
type token struct {
	start, end int
	cjk        bool
}

func tokens(f folded) []token {
	var out []token
	rs := f.runes
	for i := 0; i < len(rs); {
		switch {
		case cjk(rs[i]):
			j := i
			for j < len(rs) && cjk(rs[j]) {
				j++
			}
			out = append(out, token{i, j, true})
			i = j
		case wordRune(rs[i]):
			j := i
			for j < len(rs) && wordRune(rs[j]) {
				j++
			}
			out = append(out, token{i, j, false})
			i = j
		default:
			i++
		}
	}
	return out
}

// stem is a very light English stemmer, the same for the index and the
// query: plural endings only ("payments" is "payment", "fees" is "fee").
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}

// stopWords are left out of queries (unless nothing else is left): they
// occur in every article and would only blur the ranking and the marks.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "to": true, "of": true, "and": true, "or": true, "in": true,
	"on": true, "for": true, "is": true, "it": true, "i": true, "my": true, "me": true, "do": true,
	"how": true, "what": true, "can": true, "be": true, "with": true, "at": true, "by": true, "you": true,
	"your": true, "if": true, "when": true, "why": true, "doe": true, "are": true, "wa": true,
	"的": true, "了": true, "吗": true, "呢": true, "是": true, "我": true, "怎么": true, "如何": true,
	"什么": true, "为什么": true, "我的": true, "怎样": true, "可以": true,
}

// IndexTerms returns the index entries of a text: for every CJK run its
// characters and overlapping bigrams, for every other word its stemmed
// lower-case form, with their counts per field.
func IndexTerms(title, body string) []Term {
	type key struct {
		term  string
		field Field
	}
	counts := map[key]int{}
	var order []key
	add := func(term string, field Field) {
		k := key{term, field}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	for _, part := range []struct {
		text  string
		field Field
	}{{title, FieldTitle}, {PlainText(body), FieldBody}} {
		f := fold(part.text)
		for _, tk := range tokens(f) {
			rs := f.runes[tk.start:tk.end]
			if tk.cjk {
				for i := range rs {
					add(string(rs[i]), part.field)
					if i+1 < len(rs) {
						add(string(rs[i:i+2]), part.field)
					}
				}
				continue
			}
			if len(rs) > maxWordRunes {
				continue
			}
			add(stem(string(rs)), part.field)
		}
	}
	out := make([]Term, 0, len(order))
	for _, k := range order {
		out = append(out, Term{Term: k.term, Field: k.field, TF: counts[k]})
	}
	return out
}

// QueryTerms splits what a reader typed the way IndexTerms splits texts:
// a one-character CJK run is that character, a longer one its bigrams
// ("退款" is one term, "提现到账" three), other words their stemmed lower
// case. Stop words go unless nothing else is left; at most MaxQueryTerms
// distinct terms are kept.
func QueryTerms(q string) []QueryTerm {
	f := fold(q)
	var all, kept []QueryTerm
	seen := map[string]bool{}
	add := func(t QueryTerm) {
		if seen[t.Term] {
			return
		}
		seen[t.Term] = true
		all = append(all, t)
		if !stopWords[t.Term] {
			kept = append(kept, t)
		}
	}
	for _, tk := range tokens(f) {
		rs := f.runes[tk.start:tk.end]
		if tk.cjk {
			if stopWords[string(rs)] {
				add(QueryTerm{Term: string(rs)})
				continue
			}
			if len(rs) == 1 {
				add(QueryTerm{Term: string(rs)})
				continue
			}
			for i := 0; i+1 < len(rs); i++ {
				add(QueryTerm{Term: string(rs[i : i+2])})
			}
			continue
		}
		if len(rs) > maxWordRunes {
			continue
		}
		w := stem(string(rs))
		add(QueryTerm{Term: w, Prefix: utf8.RuneCountInString(w) >= minPrefixRunes})
	}
	if len(kept) == 0 {
		kept = all
	}
	if len(kept) > MaxQueryTerms {
		kept = kept[:MaxQueryTerms]
	}
	return kept
}

// Segment is a piece of a snippet or title: text, marked when it matched
// the query.
type Segment struct {
	Text string `json:"text"`
	Mark bool   `json:"mark,omitempty"`
}

// Snippet is text with the query's matches marked.
type Snippet []Segment

// HTML writes the snippet as HTML: every piece escaped first, matches in
// <mark>. Templates may also range over the segments themselves.
func (s Snippet) HTML() string {
	var b strings.Builder
	for _, seg := range s {
		if seg.Mark {
			b.WriteString("<mark>" + html.EscapeString(seg.Text) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(seg.Text))
		}
	}
	return b.String()
}

// String is the snippet's plain text.
func (s Snippet) String() string {
	var b strings.Builder
	for _, seg := range s {
		b.WriteString(seg.Text)
	}
	return b.String()
}

// marks returns, for each rune of text, whether it is part of a match of
// one of the terms: CJK terms wherever they occur, words when the whole
// word matches (or begins with a prefix term).
func marks(text string, terms []QueryTerm) []bool {
	f := fold(text)
	n := utf8.RuneCountInString(text)
	out := make([]bool, n)
	mark := func(start, end int) { // folded runes [start, end)
		for i := start; i < end; i++ {
			out[f.from[i]] = true
		}
	}
	var cjkTerms [][]rune
	words := map[string]bool{}
	var prefixes []string
	for _, t := range terms {
		rs := []rune(t.Term)
		if len(rs) > 0 && cjk(rs[0]) {
			cjkTerms = append(cjkTerms, rs)
			continue
		}
		words[t.Term] = true
		if t.Prefix {
			prefixes = append(prefixes, t.Term)
		}
	}
	for _, tk := range tokens(f) {
		rs := f.runes[tk.start:tk.end]
		if tk.cjk {
			for _, t := range cjkTerms {
				for i := 0; i+len(t) <= len(rs); i++ {
					if string(rs[i:i+len(t)]) == string(t) {
						mark(tk.start+i, tk.start+i+len(t))
					}
				}
			}
			continue
		}
		w := string(rs)
		hit := words[stem(w)] || words[w]
		for _, p := range prefixes {
			hit = hit || strings.HasPrefix(w, p)
		}
		if hit {
			mark(tk.start, tk.end)
		}
	}
	return out
}

// segments cuts runes [start, end) of rs into marked and unmarked pieces.
func segments(rs []rune, m []bool, start, end int) Snippet {
	var out Snippet
	for i := start; i < end; {
		j := i
		for j < end && m[j] == m[i] {
			j++
		}
		out = append(out, Segment{Text: string(rs[i:j]), Mark: m[i]})
		i = j
	}
	return out
}

// Highlight marks the query's matches in all of s (a title).
func Highlight(s string, terms []QueryTerm) Snippet {
	rs := []rune(s)
	return segments(rs, marks(s, terms), 0, len(rs))
}

// snippetRunes is about how much of a body a result shows.
const snippetRunes = 110

// MakeSnippet picks the stretch of text (plain text, no markup) about
// snippetRunes long with the most matches and marks them; "…" says where
// it was cut. With no match it is the text's beginning.
func MakeSnippet(text string, terms []QueryTerm) Snippet {
	text = strings.Join(strings.Fields(text), " ")
	rs := []rune(text)
	m := marks(text, terms)
	if len(rs) <= snippetRunes {
		return segments(rs, m, 0, len(rs))
	}
	// Count match starts in each window; keep the best.
	best, bestAt := -1, 0
	starts := make([]int, 0, 16)
	for i := range rs {
		if m[i] && (i == 0 || !m[i-1]) {
			starts = append(starts, i)
		}
	}
	for k, s := range starts {
		n := 0
		for _, t := range starts[k:] {
			if t-s < snippetRunes-20 {
				n++
			}
		}
		if n > best {
			best, bestAt = n, s
		}
	}
	start := bestAt - 20
	if start < 0 || best < 0 {
		start = 0
	}
	// Begin at a sentence or word boundary when one is close before the
	// first match.
	if start > 0 && best >= 0 {
		for i := start; i < bestAt; i++ {
			if strings.ContainsRune("。！？；.!?; ", rs[i]) {
				start = i + 1
				break
			}
		}
	}
	end := start + snippetRunes
	if end > len(rs) {
		end = len(rs)
		start = max(0, end-snippetRunes)
	}
	out := segments(rs, m, start, end)
	if start > 0 {
		out = append(Snippet{{Text: "…"}}, out...)
	}
	if end < len(rs) {
		out = append(out, Segment{Text: "…"})
	}
	return out
}
