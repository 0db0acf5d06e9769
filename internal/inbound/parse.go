package inbound

import (
	"bytes"
	"fmt"
	"net/textproto"
	"strings"
)

// Parse reads one raw received message (CRLF or bare LF line ends; an
// mbox "From " line in front is skipped).
//
// It returns ErrNotMessage when there is nothing useful in it: empty
// input, or no header field at all before the first empty line. Anything
// with a header is a Message, however broken the rest: a missing or
// unreadable part, charset or date leaves its field empty and adds a note
// to Message.Problems. A message with headers but no text is still a
// Message (it has a sender, perhaps attachments).
//
// Parse never panics; should a bug make it try, it returns an error that
// is not ErrNotMessage instead.
func Parse(raw []byte) (m *Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("inbound: parse: internal error: %v", r)
		}
	}()
	b := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if l, next := nextLine(b, 0); bytes.HasPrefix(l, []byte("From ")) && classifyLine(l) != lineField {
		b = b[next:]
	}
	m = &Message{}
	note := func(where, what string) {
		if len(m.Problems) >= maxProblems {
			return
		}
		if where != "" {
			what = "part " + where + ": " + what
		}
		m.Problems = append(m.Problems, sanitize(what))
	}
	h, body := readHeader(b, func(what string) { note("", what) })
	if len(h) == 0 {
		return nil, ErrNotMessage
	}
	t := &tree{note: note}
	root := t.build(h, body, "", 0, "text/plain")

	cs := headerCharset(root)
	readHeaders(m, h, cs, note)

	w := &walker{cs: cs, note: note}
	w.walk(root, modeBody)
	m.Text = strings.Join(w.pieces, "\n\n")
	m.HTML = strings.Join(w.html, "\n")
	m.Charset = w.charset
	if m.Text == "" && m.HTML != "" {
		// An empty plain alternative next to a full HTML one.
		m.Text = htmlToText(m.HTML)
		if m.Text != "" {
			m.Charset = w.htmlCharset
		}
	}
	m.Attachments = w.files
	if isForward(m.Subject) {
		m.NewText = m.Text
	} else {
		m.NewText = newText(m.Text)
	}
	classify(m, h, w)
	return m, nil
}

// headerCharset is the charset raw 8-bit header bytes are read in: the
// top-level charset parameter, else that of the first text part.
func headerCharset(n *node) string {
	if cs := strings.TrimSpace(n.params["charset"].v); cs != "" {
		return cs
	}
	for _, k := range n.kids {
		if strings.HasPrefix(k.ctype, "text/") || strings.HasPrefix(k.ctype, "multipart/") {
			if cs := headerCharset(k); cs != "" {
				return cs
			}
		}
	}
	return ""
}

// readHeaders fills the header fields of m.
func readHeaders(m *Message, h rawHeader, cs string, note func(where, what string)) {
	text := func(v []byte) string { return sanitize(headerText(v, cs)) }
	for _, f := range h {
		m.Header = append(m.Header, Field{Name: textproto.CanonicalMIMEHeaderKey(sanitize(f.name)), Value: text(f.value)})
	}
	if v, ok := h.get("message-id"); ok {
		if ids := messageIDs(text(v)); len(ids) > 0 {
			m.MessageID = ids[0]
		} else {
			note("", "empty Message-ID")
		}
	}
	for _, v := range h.all("in-reply-to") {
		m.InReplyTo = append(m.InReplyTo, messageIDs(text(v))...)
	}
	for _, v := range h.all("references") {
		m.References = append(m.References, messageIDs(text(v))...)
	}

	if from := addressesIn(h.all("from"), cs); len(from) > 0 {
		m.From = from[0]
	} else if sender := addressesIn(h.all("sender"), cs); len(sender) > 0 {
		m.From = sender[0]
		note("", "no usable From, used Sender")
	} else if h.has("from") {
		note("", "unreadable From "+quote(text(mustGet(h, "from"))))
	} else {
		note("", "no From")
	}
	m.ReplyTo = addressesIn(h.all("reply-to"), cs)
	m.To = addressesIn(h.all("to"), cs)
	m.Cc = addressesIn(h.all("cc"), cs)
	for _, v := range h.all("delivered-to") {
		for _, a := range parseAddresses(text(v)) {
			m.DeliveredTo = append(m.DeliveredTo, a.Address)
		}
	}
	if v, ok := h.get("return-path"); ok {
		rp := strings.TrimSpace(stripComments(text(v)))
		switch {
		case rp == "<>" || strings.ReplaceAll(rp, " ", "") == "<>":
			m.NullReturnPath = true
		default:
			m.ReturnPath = cleanAddr(rp)
		}
	}
	if v, ok := h.get("date"); ok {
		if d, ok := parseDate(text(v)); ok {
			m.Date = d
		} else {
			note("", "unreadable Date "+quote(text(v)))
		}
	}
	if v, ok := h.get("subject"); ok {
		m.Subject = foldSpace(sanitize(decodeWords(text(v))))
	}
	for _, v := range h.all("authentication-results") {
		m.AuthenticationResults = append(m.AuthenticationResults, text(v))
	}
}

func mustGet(h rawHeader, lname string) []byte {
	v, _ := h.get(lname)
	return v
}
