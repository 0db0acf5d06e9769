package forum

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/redact"
)

// clean checks and tidies one text field and masks sensitive data in it.
// Invalid UTF-8 is refused rather than repaired: the member would not
// see what was stored.
func clean(field, s string, min, max int, multiline bool) (string, redact.Findings, error) {
	if !utf8.ValidString(s) {
		return "", 0, invalid(field, "invalid")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && multiline, r == '\t':
			return r
		case r == '\n', r == '\r':
			return ' '
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', r == '\ufeff':
			return -1
		}
		return r
	}, s)
	if !multiline {
		s = strings.Join(strings.Fields(s), " ")
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", 0, invalid(field, "required")
	case n < min:
		return "", 0, invalid(field, "too_short")
	case n > max:
		return "", 0, invalid(field, "too_long")
	}
	out, f := redact.Text(s)
	return out, f, nil
}

// Segment is a piece of a line: plain text, or a link when URL is set.
type Segment struct {
	Text string
	URL  string
}

// Paragraph is a block of lines separated by one line break; paragraphs
// are separated by blank lines.
type Paragraph struct {
	Lines [][]Segment
}

// maxLinkLen: longer URLs stay text.
const maxLinkLen = 2000

// Paragraphs splits plain text for display: paragraphs, lines and
// segments, where http and https URLs become links. The caller escapes
// every Text and URL (html/template does); nothing here is HTML.
func Paragraphs(text string) []Paragraph {
	var out []Paragraph
	for _, block := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		block = strings.Trim(block, "\n")
		if strings.TrimSpace(block) == "" {
			continue
		}
		var p Paragraph
		for _, line := range strings.Split(block, "\n") {
			p.Lines = append(p.Lines, linkify(line))
		}
		out = append(out, p)
	}
	return out
}

// linkify cuts a line into text and links.
func linkify(line string) []Segment {
	var out []Segment
	rest := line
	for rest != "" {
		i := urlStart(rest)
		if i < 0 {
			break
		}
		end := i
		for end < len(rest) {
			r, size := utf8.DecodeRuneInString(rest[end:])
			if r == utf8.RuneError || r <= ' ' || r > '~' || strings.ContainsRune(`<>"'`+"`", r) {
				break
			}
			end += size
		}
		// Sentence punctuation after a URL is not part of it.
		for end > i && strings.ContainsRune(".,;:!?)]}", rune(rest[end-1])) {
			end--
		}
		raw := rest[i:end]
		if u := safeURL(raw); u != "" {
			if i > 0 {
				out = append(out, Segment{Text: rest[:i]})
			}
			out = append(out, Segment{Text: raw, URL: u})
		} else {
			out = append(out, Segment{Text: rest[:end]})
		}
		rest = rest[end:]
		if end == 0 {
			break
		}
	}
	if rest != "" {
		out = append(out, Segment{Text: rest})
	}
	return out
}

func urlStart(s string) int {
	a, b := strings.Index(s, "https://"), strings.Index(s, "http://")
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// safeURL returns raw when it is an absolute http or https URL with a
// plain host name and no credentials, else "".
func safeURL(raw string) string {
	if len(raw) > maxLinkLen {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Host == "" || u.Opaque != "" {
		return ""
	}
	host := u.Hostname()
	if host == "" || len(host) > 253 {
		return ""
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '[' || r == ']') {
			return ""
		}
	}
	return u.String()
}

// excerpt is the start of text on one line, for listings.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	rs := []rune(text)
	return string(rs[:n]) + "…"
}
