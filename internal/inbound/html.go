package inbound

import (
	"html"
	"strings"
)

// blockTags break the text into lines.
var blockTags = map[string]bool{
	"p": true, "div": true, "tr": true, "table": true, "ul": true, "ol": true, "li": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "pre": true,
	"hr": true, "section": true, "article": true, "header": true, "footer": true, "dl": true,
	"dt": true, "dd": true, "center": true, "form": true, "address": true, "blockquote": true,
	"tbody": true, "thead": true, "tfoot": true, "caption": true, "body": true, "html": true,
	"main": true, "nav": true, "aside": true, "figure": true, "figcaption": true, "fieldset": true,
}

// skipTags hide their content.
var skipTags = map[string]bool{"script": true, "style": true, "head": true, "title": true, "template": true, "noscript": true}

type htmlLine struct {
	text  strings.Builder
	depth int
}

// htmlToText renders HTML as readable plain text: block elements and <br>
// break lines, list items get "- ", table cells are separated by spaces,
// scripts, styles and the head are dropped, entities decoded, white space
// folded outside <pre>. Text inside <blockquote> is prefixed with "> " per
// level, so quoted history in HTML replies looks like quoted history in
// plain ones.
func htmlToText(s string) string {
	var lines []*htmlLine
	cur := &htmlLine{}
	depth, pre := 0, 0
	skip := ""
	newline := func() {
		lines = append(lines, cur)
		cur = &htmlLine{depth: depth}
	}
	write := func(t string) {
		if cur.text.Len() == 0 {
			cur.depth = depth
		}
		cur.text.WriteString(t)
	}
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			if skip == "" {
				t := html.UnescapeString(s[i : i+j])
				t = strings.ReplaceAll(t, "\u00a0", " ")
				if pre > 0 {
					parts := strings.Split(t, "\n")
					for k, p := range parts {
						if k > 0 {
							newline()
						}
						write(p)
					}
				} else {
					t = foldHTMLSpace(t, cur.text.Len() == 0 || strings.HasSuffix(cur.text.String(), " "))
					if t != "" {
						write(t)
					}
				}
			}
			i += j
			continue
		}
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		end := tagEnd(s, i+1)
		if end == -2 {
			// No ">" outside quotes nearby: the first ">" ends the tag,
			// and without one the rest is text.
			if k := strings.IndexByte(s[i:], '>'); k >= 0 {
				end = i + k
			} else {
				if skip == "" {
					write(foldHTMLSpace(html.UnescapeString(s[i:]), false))
				}
				break
			}
		}
		if end < 0 {
			// A lone "<": text.
			if skip == "" {
				write("<")
			}
			i++
			continue
		}
		name, closing, selfClosing := tagName(s[i+1 : end])
		i = end + 1
		if name == "" {
			continue
		}
		if skip != "" {
			if closing && name == skip {
				skip = ""
			}
			continue
		}
		switch {
		case skipTags[name]:
			if !closing && !selfClosing {
				skip = name
			}
		case name == "br":
			newline()
		case name == "td" || name == "th":
			if !closing && cur.text.Len() > 0 {
				write(" ")
			}
		case name == "img":
			// Images say nothing in text.
		case blockTags[name]:
			if cur.text.Len() > 0 {
				newline()
			}
			switch name {
			case "blockquote":
				if closing {
					if depth > 0 {
						depth--
					}
				} else {
					depth++
				}
				cur.depth = depth
			case "pre":
				if closing {
					if pre > 0 {
						pre--
					}
				} else {
					pre++
				}
			case "li":
				if !closing {
					write("- ")
				}
			case "hr":
				write("----")
				newline()
			}
		}
	}
	lines = append(lines, cur)
	var b strings.Builder
	blank := 0
	for _, l := range lines {
		t := strings.TrimSpace(l.text.String())
		if t == "" || t == "-" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteString("\n")
			}
		}
		blank = 0
		if l.depth > 0 {
			b.WriteString(strings.Repeat("> ", l.depth))
		}
		b.WriteString(t)
	}
	return b.String()
}

// tagEnd returns the index of the ">" closing the tag that starts before
// i, skipping quoted attribute values; -1 when s[i] cannot start a tag,
// -2 when no ">" outside quotes is found within maxTag bytes.
func tagEnd(s string, i int) int {
	if i >= len(s) || !(s[i] == '/' || s[i] == '!' || s[i] == '?' || isLetter(s[i])) {
		return -1
	}
	var q byte
	limit := min(len(s), i+maxTag)
	for ; i < limit; i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '>':
			return i
		}
	}
	return -2
}

// maxTag bounds the search for the end of a tag.
const maxTag = 1024

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// tagName reads "tag attrs", "/tag" or "tag/": the lower-case name, and
// whether the tag closes or closes itself.
func tagName(t string) (name string, closing, selfClosing bool) {
	if strings.HasPrefix(t, "/") {
		closing = true
		t = t[1:]
	}
	selfClosing = strings.HasSuffix(t, "/")
	end := 0
	for end < len(t) && (isLetter(t[end]) || ('0' <= t[end] && t[end] <= '9')) {
		end++
	}
	return strings.ToLower(t[:end]), closing, selfClosing
}

// foldHTMLSpace folds runs of white space into one space, as a browser
// does; a leading space is dropped after a line start or a space.
func foldHTMLSpace(t string, afterSpace bool) string {
	var b strings.Builder
	space := afterSpace
	for _, r := range t {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
