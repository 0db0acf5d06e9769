package inbound

import (
	"bytes"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a message's structure; beyond them the rest is dropped with a
// note. They keep a hostile message from costing unbounded work.
const (
	maxDepth    = 32
	maxParts    = 1000
	maxProblems = 100
)

// node is one MIME entity of the tree.
type node struct {
	path   string // "1.2" for the second part of the first part; "" at the top
	h      rawHeader
	ctype  string // lower-case media type, never empty
	params map[string]param
	body   []byte // raw body of a leaf, transfer encoding still on
	kids   []*node
}

// tree builds the MIME tree of a message.
type tree struct {
	parts int
	note  func(where, what string)
}

// build makes the node for an entity with header h and body. def is the
// type of a part without Content-Type (text/plain, or message/rfc822 in a
// multipart/digest).
func (t *tree) build(h rawHeader, body []byte, p string, depth int, def string) *node {
	t.parts++
	n := &node{path: p, h: h}
	n.ctype, n.params = contentType(h, def)
	if raw, ok := h.get("content-type"); ok && n.ctype == def && !strings.HasPrefix(strings.ToLower(string(raw)), def) {
		t.note(p, "unreadable Content-Type "+quote(string(raw))+", read as "+def)
	}
	if !strings.HasPrefix(n.ctype, "multipart/") {
		n.body = body
		return n
	}
	if depth >= maxDepth {
		t.note(p, "multipart nested too deep, the rest is dropped")
		n.ctype, n.body = "text/plain", nil
		return n
	}
	// Some senders encode a whole multipart; undo that first.
	switch cte := normCTE(h.str("content-transfer-encoding")); cte {
	case "base64", "quoted-printable":
		body = decodeTransfer(cte, body)
	}
	boundary := strings.TrimSpace(n.params["boundary"].v)
	parts, closed := splitMultipart(body, boundary)
	if len(parts) == 0 {
		if b := sniffBoundary(body); b != "" && b != boundary {
			parts, closed = splitMultipart(body, b)
			if len(parts) > 0 {
				t.note(p, "boundary "+quote(boundary)+" not found, used "+quote(b))
			}
		}
	}
	if len(parts) == 0 {
		t.note(p, n.ctype+" without parts, read as text")
		n.ctype, n.params, n.body = "text/plain", map[string]param{}, body
		return n
	}
	if !closed {
		t.note(p, "multipart not closed")
	}
	kidDef := "text/plain"
	if n.ctype == "multipart/digest" {
		kidDef = "message/rfc822"
	}
	for i, part := range parts {
		if t.parts >= maxParts {
			t.note(p, "too many parts, the rest is dropped")
			break
		}
		kp := strconv.Itoa(i + 1)
		if p != "" {
			kp = p + "." + kp
		}
		kh, kb := readHeader(part, func(what string) { t.note(kp, what) })
		n.kids = append(n.kids, t.build(kh, kb, kp, depth+1, kidDef))
	}
	return n
}

var mediaType = regexp.MustCompile(`^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$`)

// contentType reads the first Content-Type of h; def when it is missing or
// not a media type.
func contentType(h rawHeader, def string) (string, map[string]param) {
	raw, ok := h.get("content-type")
	if !ok {
		return def, map[string]param{}
	}
	v, params := parseParams(string(raw))
	switch {
	case mediaType.MatchString(v):
		return v, params
	case v == "text":
		return "text/plain", params
	}
	return def, params
}

// splitMultipart returns the parts of a multipart body, and whether the
// closing delimiter was found. A delimiter line is "--boundary" with
// optional trailing white space; "--boundary--" (or the truncated
// "--boundary-") closes. Text before the first delimiter and after the
// closing one is ignored, as is a delimiter that only starts with the
// boundary ("--boundary_alt" of a nested multipart).
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed bool) {
	if boundary == "" || len(boundary) > 200 {
		return nil, false
	}
	delim := []byte("--" + boundary)
	start := -1 // start of the current part's content
	pos := 0
	for pos < len(body) {
		lineStart := pos
		line, next := nextLine(body, pos)
		pos = next
		if !bytes.HasPrefix(line, delim) {
			continue
		}
		rest := bytes.TrimRight(line[len(delim):], " \t")
		isClose := string(rest) == "--" || string(rest) == "-"
		if len(rest) != 0 && !isClose {
			continue
		}
		if start >= 0 {
			parts = append(parts, trimLineEnd(body[start:lineStart]))
		}
		if isClose {
			return parts, true
		}
		start = next
		if len(parts) >= maxParts {
			return parts, false
		}
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// trimLineEnd removes the line end that belongs to the next delimiter.
func trimLineEnd(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// sniffBoundary guesses the boundary of a multipart whose declared one is
// missing or wrong: the first "--token" line that occurs at least twice.
func sniffBoundary(body []byte) string {
	pos := 0
	for i := 0; pos < len(body) && i < 200; i++ {
		line, next := nextLine(body, pos)
		pos = next
		line = bytes.TrimRight(line, " \t")
		if len(line) < 3 || !bytes.HasPrefix(line, []byte("--")) || bytes.ContainsAny(line, " \t") {
			continue
		}
		b := strings.TrimSuffix(string(line[2:]), "--")
		if b == "" || strings.Trim(b, "-") == "" {
			continue
		}
		if bytes.Count(body, []byte("--"+b)) >= 2 {
			return b
		}
	}
	return ""
}

// normCTE names a Content-Transfer-Encoding the way senders meant it:
// "Quoted-printable;", "quoted printable" and "qp" are quoted-printable;
// "7-bit", "8bits", "plain", "binary" and other inventions are identity
// (""), except an unknown name which is returned as is.
func normCTE(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	compact := strings.NewReplacer(" ", "", "-", "", "_", "").Replace(v)
	switch compact {
	case "base64", "b64":
		return "base64"
	case "quotedprintable", "qp":
		return "quoted-printable"
	case "xuuencode", "uuencode", "xuue", "uue":
		return "x-uuencode"
	case "", "7bit", "8bit", "8bits", "7bits", "binary", "plain", "none", "texthtml", "textplain", "ascii":
		return ""
	}
	return v
}

// decodeTransfer removes a (normalised) transfer encoding.
func decodeTransfer(cte string, b []byte) []byte {
	switch cte {
	case "base64":
		return decodeBase64(b)
	case "quoted-printable":
		return decodeQP(b)
	case "x-uuencode":
		return uudecode(b)
	}
	return b
}

// decodeQP decodes quoted-printable leniently: trailing white space is
// dropped from every line (RFC 2045 rule 3), "=" at the end of a line is a
// soft break even with white space after it, "=XX" is a byte in either
// case, and any other "=" is kept.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	pos := 0
	for pos < len(b) {
		i := bytes.IndexByte(b[pos:], '\n')
		var line []byte
		nl := false
		if i < 0 {
			line = b[pos:]
			pos = len(b)
		} else {
			line = b[pos : pos+i]
			pos += i + 1
			nl = true
		}
		cr := len(line) > 0 && line[len(line)-1] == '\r'
		line = bytes.TrimRight(line, " \t\r")
		soft := false
		if n := len(line); n > 0 && line[n-1] == '=' {
			soft = true
			line = line[:n-1]
		}
		for j := 0; j < len(line); j++ {
			c := line[j]
			if c == '=' && j+2 < len(line) && isHex(line[j+1]) && isHex(line[j+2]) {
				out = append(out, unhex(line[j+1])<<4|unhex(line[j+2]))
				j += 2
				continue
			}
			out = append(out, c)
		}
		if nl && !soft {
			if cr {
				out = append(out, '\r')
			}
			out = append(out, '\n')
		}
	}
	return out
}

// uudecode decodes the x-uuencode body between "begin" and "end"; without
// a begin line the body is returned as is.
func uudecode(b []byte) []byte {
	i := bytes.Index(b, []byte("begin "))
	if i < 0 {
		return b
	}
	_, pos := nextLine(b, i)
	var out []byte
	for pos < len(b) {
		line, next := nextLine(b, pos)
		pos = next
		if len(line) == 0 {
			continue
		}
		if bytes.HasPrefix(line, []byte("end")) || line[0] == '`' && len(line) == 1 {
			break
		}
		n := int((line[0] - ' ') & 63)
		var dec []byte
		for j := 1; j < len(line) && len(dec) < n; j += 4 {
			var q [4]byte
			for k := 0; k < 4; k++ {
				if j+k < len(line) {
					q[k] = (line[j+k] - ' ') & 63
				}
			}
			dec = append(dec, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		if len(dec) > n {
			dec = dec[:n]
		}
		out = append(out, dec...)
	}
	return out
}

// cleanFilename makes a sender's file name safe to store and offer as a
// download: the base name only (no "/" or "\" directories), no control
// characters, white space folded, at most 200 bytes (keeping the
// extension); "" when nothing is left.
func cleanFilename(s string) string {
	s = sanitize(s)
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = foldSpace(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == '\u202E' || r == '\u202D' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" || strings.Trim(s, ".") == "" {
		return ""
	}
	if len(s) > 200 {
		ext := path.Ext(s)
		if len(ext) > 20 || !utf8.ValidString(ext) {
			ext = ""
		}
		cut := 200 - len(ext)
		for cut > 0 && !runeStart(s[cut]) {
			cut--
		}
		s = s[:cut] + ext
	}
	return s
}

// extensions names files the sender did not name.
var extensions = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/pjpeg": ".jpg",
	"image/gif": ".gif", "image/webp": ".webp", "image/bmp": ".bmp", "image/tiff": ".tif",
	"image/heic": ".heic", "image/svg+xml": ".svg", "application/pdf": ".pdf",
	"text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "text/csv": ".csv",
	"text/enriched": ".txt", "text/rfc822-headers": ".txt", "message/rfc822": ".eml", "message/global": ".eml",
	"application/zip": ".zip", "application/pgp-signature": ".asc", "application/pkcs7-signature": ".p7s",
	"application/x-pkcs7-signature": ".p7s", "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       ".xlsx",
	"audio/mpeg": ".mp3", "video/mp4": ".mp4", "application/json": ".json", "application/xml": ".xml",
}

func defaultFilename(ctype string) string {
	if ext, ok := extensions[ctype]; ok {
		return "attachment" + ext
	}
	return "attachment.bin"
}
