package helpcenter

import (
	"regexp"
	"strings"
)

// An article body is plain text with a few marks, so that staff can write
// it in a textarea and nothing they type is ever HTML:
//
//	## A heading            (a line starting with "## ")
//	- an item               (consecutive lines starting with "- ")
//	1. a step               (consecutive lines starting with "1. ", "2. " …)
//	**strong** and [a link](/fees)
//
// Blank lines separate paragraphs. Links may only point at this site's
// own pages (a path starting with "/"): a help article must never send a
// customer elsewhere. Anything else stays literal text.

// BlockKind is the kind of a body block.
type BlockKind string

const (
	BlockParagraph BlockKind = "p"
	BlockHeading   BlockKind = "h"
	BlockList      BlockKind = "ul"
	BlockSteps     BlockKind = "ol"
)

// Inline is a run of text in a block: plain, strong, or a link to Href.
type Inline struct {
	Text   string
	Strong bool
	Href   string
}

// Block is a paragraph, a heading, or a list whose Items are its entries
// (a paragraph or heading has one item).
type Block struct {
	Kind  BlockKind
	Items [][]Inline
}

var (
	stepLine   = regexp.MustCompile(`^\d{1,2}[.、)]\s+`)
	inlineMark = regexp.MustCompile(`\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)`)
)

// Parse splits a body into blocks.
func Parse(body string) []Block {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var out []Block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, Block{Kind: BlockParagraph, Items: [][]Inline{inlines(strings.Join(para, " "))}})
			para = nil
		}
	}
	addItem := func(kind BlockKind, text string) {
		if n := len(out); n > 0 && out[n-1].Kind == kind {
			out[n-1].Items = append(out[n-1].Items, inlines(text))
			return
		}
		out = append(out, Block{Kind: kind, Items: [][]Inline{inlines(text)}})
	}
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			flush()
			out = append(out, Block{}) // a break between lists
		case strings.HasPrefix(line, "## "):
			flush()
			out = append(out, Block{Kind: BlockHeading, Items: [][]Inline{inlines(strings.TrimSpace(line[3:]))}})
		case strings.HasPrefix(line, "- "):
			flush()
			addItem(BlockList, strings.TrimSpace(line[2:]))
		case stepLine.MatchString(line):
			flush()
			addItem(BlockSteps, stepLine.ReplaceAllString(line, ""))
		default:
			para = append(para, line)
		}
	}
	flush()
	blocks := out[:0]
	for _, b := range out {
		if b.Kind != "" {
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// localHref reports whether href is a path on this site.
func localHref(href string) bool {
	return len(href) > 1 && href[0] == '/' && href[1] != '/' && href[1] != '\\' && !strings.ContainsAny(href, "\\\"'<>")
}

func inlines(s string) []Inline {
	var out []Inline
	last := 0
	for _, m := range inlineMark.FindAllStringSubmatchIndex(s, -1) {
		if m[2] >= 0 { // **strong**
			if m[0] > last {
				out = append(out, Inline{Text: s[last:m[0]]})
			}
			out = append(out, Inline{Text: s[m[2]:m[3]], Strong: true})
			last = m[1]
			continue
		}
		text, href := s[m[4]:m[5]], s[m[6]:m[7]]
		if !localHref(href) {
			continue // stays literal
		}
		if m[0] > last {
			out = append(out, Inline{Text: s[last:m[0]]})
		}
		out = append(out, Inline{Text: text, Href: href})
		last = m[1]
	}
	if last < len(s) {
		out = append(out, Inline{Text: s[last:]})
	}
	return out
}

// PlainText is the body as a reader sees it, without the marks: what is
// indexed and what snippets quote.
func PlainText(body string) string {
	var b strings.Builder
	for _, bl := range Parse(body) {
		for _, item := range bl.Items {
			for _, in := range item {
				b.WriteString(in.Text)
			}
			b.WriteString("\n")
		}
	}
	return strings.TrimSpace(b.String())
}
