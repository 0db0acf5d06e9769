package inbound

import (
	"bytes"
	"strings"
)

// rawField is a header field as received: name as written, value unfolded
// but otherwise untouched bytes.
type rawField struct {
	name  string
	lname string
	value []byte
}

type rawHeader []rawField

// get returns the first value of the field with the lower-case name lname.
func (h rawHeader) get(lname string) ([]byte, bool) {
	for _, f := range h {
		if f.lname == lname {
			return f.value, true
		}
	}
	return nil, false
}

// str returns the first value of lname as a string ("" when absent).
func (h rawHeader) str(lname string) string {
	v, _ := h.get(lname)
	return string(v)
}

func (h rawHeader) has(lname string) bool {
	_, ok := h.get(lname)
	return ok
}

func (h rawHeader) all(lname string) [][]byte {
	var vs [][]byte
	for _, f := range h {
		if f.lname == lname {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// lineKind classifies one header line.
type lineKind int

const (
	lineEmpty        lineKind = iota // "" : the end of the header
	lineBlank                        // white space only
	lineContinuation                 // starts with white space
	lineField                        // "Name: value"
	lineOther                        // anything else
	lineEOF
)

// nextLine returns the line starting at pos without its line end, and the
// position after its line end.
func nextLine(b []byte, pos int) (line []byte, next int) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return trimCR(b[pos:]), len(b)
	}
	return trimCR(b[pos : pos+i]), pos + i + 1
}

func trimCR(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\r' {
		return l[:n-1]
	}
	return l
}

func classifyLine(l []byte) lineKind {
	if len(l) == 0 {
		return lineEmpty
	}
	if l[0] == ' ' || l[0] == '\t' {
		if len(bytes.TrimLeft(l, " \t\r")) == 0 {
			return lineBlank
		}
		return lineContinuation
	}
	if _, _, ok := splitField(l); ok {
		return lineField
	}
	return lineOther
}

// splitField splits "Name: value". The name is printable ASCII without
// colon; white space before the colon (obsolete syntax, "Subject  :") is
// allowed, white space inside the name is not.
func splitField(l []byte) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(l, ':')
	if i <= 0 {
		return "", nil, false
	}
	n := bytes.TrimRight(l[:i], " \t")
	if len(n) == 0 {
		return "", nil, false
	}
	for _, c := range n {
		if c < 33 || c > 126 {
			return "", nil, false
		}
	}
	return string(n), l[i+1:], true
}

// peekKind returns the kind of the first line at or after pos that is not
// a continuation line.
func peekKind(b []byte, pos int) lineKind {
	for pos < len(b) {
		l, next := nextLine(b, pos)
		k := classifyLine(l)
		if k != lineContinuation {
			return k
		}
		pos = next
	}
	return lineEOF
}

// readHeader reads the header at the start of b and returns it with the
// body after the empty line. It is tolerant: a stray line between fields
// is skipped; a header that runs straight into text without an empty line
// ends at the text; white-space-only lines that are followed by more
// header (obsolete folding) continue the header.
func readHeader(b []byte, note func(string)) (rawHeader, []byte) {
	var h rawHeader
	pos := 0
	cur := -1
	for pos < len(b) {
		l, next := nextLine(b, pos)
		switch classifyLine(l) {
		case lineEmpty:
			return finishHeader(h), b[next:]
		case lineBlank:
			if nl, _ := nextLine(b, next); next >= len(b) || classifyLine(nl) != lineContinuation && peekKind(b, next) != lineField {
				return finishHeader(h), b[next:]
			}
			fallthrough
		case lineContinuation:
			if cur >= 0 {
				h[cur].value = append(h[cur].value, l...)
			}
		case lineField:
			name, value, _ := splitField(l)
			h = append(h, rawField{name: name, lname: strings.ToLower(name), value: append([]byte(nil), value...)})
			cur = len(h) - 1
		case lineOther:
			// A field folded without the leading white space, inside an
			// unclosed "<...>" (References, To).
			if cur >= 0 && len(h[cur].value) < 2000 && bytes.Count(h[cur].value, []byte("<")) > bytes.Count(h[cur].value, []byte(">")) {
				h[cur].value = append(append(h[cur].value, ' '), l...)
				break
			}
			if k := peekKind(b, next); k == lineField || k == lineEmpty || k == lineBlank {
				note("header: skipped a line that is not a field: " + clip(string(l), 60))
				break
			}
			if len(h) > 0 {
				note("header: no empty line before the body")
			}
			return finishHeader(h), b[pos:]
		}
		pos = next
	}
	return finishHeader(h), nil
}

// finishHeader trims the unfolded values.
func finishHeader(h rawHeader) rawHeader {
	for i := range h {
		h[i].value = bytes.TrimSpace(h[i].value)
	}
	return h
}

// clip shortens s to at most n bytes on a rune boundary, for notes.
func clip(s string, n int) string {
	s = sanitize(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !runeStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func runeStart(c byte) bool { return c&0xC0 != 0x80 }
