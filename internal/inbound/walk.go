package inbound

import (
	"bytes"
	"regexp"
	"strings"
)

// mode says what a part of the tree contributes.
type mode int

const (
	// modeBody: text parts are the body.
	modeBody mode = iota
	// modeHTMLOnly: the HTML alternative of a body that has a plain one;
	// it fills Message.HTML, not Message.Text.
	modeHTMLOnly
	// modeFilesOnly: an alternative that was not chosen (text/enriched,
	// or a second plain version); only its files (inline images) count.
	modeFilesOnly
)

// walker collects what the tree holds.
type walker struct {
	cs   string // the message's charset, for raw 8-bit in part headers
	note func(where, what string)

	pieces      []string // body text, one per text part, in order
	html        []string
	htmlCharset string
	charset     string
	files       []Attachment
	dsn         []dsnReport
	originals   []rawHeader // headers of returned or attached messages
	reports     []string    // report-type of each multipart/report
	mdn         bool        // a message/disposition-notification (read receipt)
}

func (w *walker) walk(n *node, m mode) {
	switch {
	case n.ctype == "multipart/alternative":
		w.walkAlternative(n, m)
	case n.ctype == "multipart/signed":
		// The signature is protocol, not content.
		for i, k := range n.kids {
			if i > 0 && isSignature(k.ctype) {
				continue
			}
			w.walk(k, m)
		}
	case strings.HasPrefix(n.ctype, "multipart/"):
		if n.ctype == "multipart/report" {
			w.reports = append(w.reports, strings.ToLower(strings.TrimSpace(n.params["report-type"].v)))
		}
		for _, k := range n.kids {
			w.walk(k, m)
		}
	default:
		w.leaf(n, m)
	}
}

func isSignature(ctype string) bool {
	switch ctype {
	case "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature":
		return true
	}
	return false
}

// walkAlternative takes the body text from the first plain alternative,
// the HTML from the last HTML one (the body text too when there is no
// plain one), and the files of all of them.
func (w *walker) walkAlternative(n *node, m mode) {
	plain, html := -1, -1
	for i, k := range n.kids {
		switch w.firstText(k) {
		case "text/plain":
			if plain < 0 {
				plain = i
			}
		case "text/html":
			html = i
		}
	}
	for i, k := range n.kids {
		km := modeFilesOnly
		switch {
		case m == modeFilesOnly:
		case i == plain:
			km = m
		case i == html && plain >= 0:
			km = modeHTMLOnly
		case i == html, plain < 0 && html < 0 && i == len(n.kids)-1:
			km = m
		}
		w.walk(k, km)
	}
}

// firstText returns the type of the first inline text part under n.
func (w *walker) firstText(n *node) string {
	if len(n.kids) == 0 {
		if w.isInlineText(n) {
			return n.ctype
		}
		return ""
	}
	for _, k := range n.kids {
		if t := w.firstText(k); t != "" {
			return t
		}
	}
	return ""
}

// isInlineText reports a text/plain or text/html part that is body text
// rather than an attached text file: no attachment disposition, no file
// name.
func (w *walker) isInlineText(n *node) bool {
	if n.ctype != "text/plain" && n.ctype != "text/html" {
		return false
	}
	disp, dp := parseParams(n.h.str("content-disposition"))
	return disp != "attachment" && w.filename(n, dp) == ""
}

func (w *walker) leaf(n *node, m mode) {
	cte := normCTE(n.h.str("content-transfer-encoding"))
	switch cte {
	case "", "base64", "quoted-printable", "x-uuencode":
	default:
		w.note(n.path, "unknown transfer encoding "+quote(cte)+", read as is")
		cte = ""
	}
	data := decodeTransfer(cte, n.body)
	switch n.ctype {
	case "message/delivery-status", "message/global-delivery-status":
		w.dsn = append(w.dsn, parseDSN(data))
		return
	case "message/disposition-notification", "message/global-disposition-notification":
		w.mdn = true
		return
	case "text/rfc822-headers", "message/global-headers":
		h, _ := readHeader(data, func(string) {})
		w.originals = append(w.originals, h)
		return
	}
	disp, dp := parseParams(n.h.str("content-disposition"))
	name := w.filename(n, dp)
	if (n.ctype == "text/plain" || n.ctype == "text/html") && disp != "attachment" && name == "" {
		if m != modeFilesOnly {
			w.text(n, data, m)
		}
		return
	}
	if m == modeFilesOnly && strings.HasPrefix(n.ctype, "text/") && name == "" {
		return
	}
	if n.ctype == "message/rfc822" || n.ctype == "message/global" {
		h, _ := readHeader(data, func(string) {})
		w.originals = append(w.originals, h)
		if name == "" {
			if subj, ok := h.get("subject"); ok {
				name = cleanFilename(foldSpace(decodeWords(headerText(subj, ""))) + ".eml")
			}
		}
	}
	if name == "" {
		if loc := strings.TrimSpace(n.h.str("content-location")); loc != "" {
			name = cleanFilename(decodeWords(headerText([]byte(loc), w.cs)))
		}
	}
	if name == "" {
		name = defaultFilename(n.ctype)
	}
	ctype := n.ctype
	if _, ok := n.h.get("content-type"); !ok || !mediaType.MatchString(ctype) {
		if !strings.HasPrefix(ctype, "message/") {
			ctype = "application/octet-stream"
		}
	}
	w.files = append(w.files, Attachment{
		Filename:    name,
		ContentType: ctype,
		ContentID:   firstID(n.h.str("content-id")),
		Inline:      disp == "inline",
		Size:        len(data),
		Data:        data,
	})
}

func firstID(v string) string {
	if ids := messageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// filename returns the decoded file name of a part: Content-Disposition's
// filename, else Content-Type's name, each in RFC 2231, RFC 2047 or raw
// 8-bit form. "" when neither is given.
func (w *walker) filename(n *node, dp map[string]param) string {
	cs := n.params["charset"].v
	if cs == "" {
		cs = w.cs
	}
	for _, p := range []param{dp["filename"], n.params["name"]} {
		if p.v == "" {
			continue
		}
		v := p.v
		if !p.decoded {
			v = decodeWords(headerText([]byte(v), cs))
		}
		if f := cleanFilename(v); f != "" {
			return f
		}
	}
	return ""
}

var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)`)

func (w *walker) text(n *node, data []byte, m mode) {
	label := n.params["charset"].v
	if n.ctype == "text/html" && strings.TrimSpace(label) == "" {
		head := data
		if len(head) > 4096 {
			head = head[:4096]
		}
		if sm := metaCharset.FindSubmatch(head); sm != nil {
			label = string(sm[1])
		}
	}
	s, used, note := decodeText(data, label)
	if note != "" {
		w.note(n.path, note)
	}
	s = sanitize(normalizeNewlines(s))
	if n.ctype == "text/html" {
		w.html = append(w.html, s)
		if w.htmlCharset == "" {
			w.htmlCharset = used
		}
		if m == modeHTMLOnly {
			return
		}
		s = htmlToText(s)
	} else {
		if m == modeHTMLOnly {
			return
		}
		if strings.EqualFold(strings.TrimSpace(n.params["format"].v), "flowed") {
			s = unflow(s, strings.EqualFold(strings.TrimSpace(n.params["delsp"].v), "yes"))
		}
	}
	s = trimBlankLines(s)
	if s == "" {
		return
	}
	w.pieces = append(w.pieces, s)
	if w.charset == "" {
		w.charset = used
	}
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// trimBlankLines removes trailing white space from every line and empty
// lines at both ends.
func trimBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676):
// a line ending in a space continues on the next line of the same quote
// depth; space-stuffing is removed; "-- " is never joined.
func unflow(s string, delsp bool) string {
	var out []string
	var cur strings.Builder
	curDepth, open := 0, false
	emit := func() {
		if open {
			out = append(out, strings.Repeat(">", curDepth)+sep(curDepth)+cur.String())
		}
		cur.Reset()
		open = false
	}
	for _, l := range strings.Split(s, "\n") {
		depth := 0
		for depth < len(l) && l[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(l[depth:], " ")
		sig := content == "-- "
		if open && (depth != curDepth || sig) {
			emit()
		}
		if !open {
			curDepth, open = depth, true
		}
		if strings.HasSuffix(content, " ") && !sig {
			if delsp {
				content = content[:len(content)-1]
			}
			cur.WriteString(content)
			continue
		}
		cur.WriteString(content)
		emit()
	}
	emit()
	return strings.Join(out, "\n")
}

func sep(depth int) string {
	if depth > 0 {
		return " "
	}
	return ""
}

// dsnReport is one message/delivery-status part.
type dsnReport struct {
	mta    string
	recips []BounceRecipient
}

var statusCode = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)

// parseDSN reads the field groups of a delivery-status body (RFC 3464):
// the per-message group (Reporting-MTA) and one group per recipient.
// Lines that are not fields are ignored.
func parseDSN(b []byte) dsnReport {
	var r dsnReport
	for _, block := range blocks(b) {
		h, _ := readHeader(block, func(string) {})
		rcpt := h.str("final-recipient")
		if rcpt == "" {
			rcpt = h.str("original-recipient")
		}
		action, status := h.str("action"), h.str("status")
		if rcpt == "" && action == "" && status == "" {
			if mta := h.str("reporting-mta"); mta != "" && r.mta == "" {
				r.mta = sanitize(foldSpace(typed(mta)))
			}
			continue
		}
		rec := BounceRecipient{
			Address:    cleanAddr(typed(rcpt)),
			Status:     statusCode.FindString(status),
			Diagnostic: sanitize(foldSpace(typed(h.str("diagnostic-code")))),
		}
		if f := strings.Fields(strings.ToLower(action)); len(f) > 0 {
			rec.Action = sanitize(strings.Trim(f[0], ";,."))
		}
		if rec.Address == "" && rec.Action == "" && rec.Status == "" {
			continue
		}
		r.recips = append(r.recips, rec)
	}
	return r
}

// typed removes the type of a DSN value: "rfc822; a@b" is "a@b", "smtp;
// 550 ..." is "550 ...".
func typed(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i >= 0 && !strings.ContainsAny(strings.TrimSpace(v[:i]), " \t") {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// blocks splits b at empty (or white-space-only) lines.
func blocks(b []byte) [][]byte {
	var out [][]byte
	start, pos := -1, 0
	for pos < len(b) {
		l, next := nextLine(b, pos)
		if len(bytes.TrimSpace(l)) == 0 {
			if start >= 0 {
				out = append(out, b[start:pos])
				start = -1
			}
		} else if start < 0 {
			start = pos
		}
		pos = next
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}
