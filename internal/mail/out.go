package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// LoopHeader is the loop marker on every message the outbox composes; its
// value is the Message-ID domain. The inbound listener drops mail that
// carries it with that value.
const LoopHeader = "X-OKPay-Loop"

// Options configure an Outbox.
type Options struct {
	// From is the default sender, such as OKPay <no-reply@okpay.example>.
	From Address
	// Domain is the right-hand side of Message-IDs; From's domain when
	// empty.
	Domain string
	// DKIM signs every message when set.
	DKIM *DKIM
	// Rand is the source of Message-IDs and MIME boundaries; crypto/rand
	// when nil. Tests fix it to get byte-identical messages; any other
	// source must be safe for concurrent use, as Compose is.
	Rand io.Reader
	// Now is the clock behind the Date header and the outbox times;
	// time.Now when nil.
	Now func() time.Time
	// MaxAttempts caps the send job's attempts; 0 means the jobs default.
	MaxAttempts int
}

// Outbox composes messages and queues them for sending.
type Outbox struct {
	from        Address
	domain      string
	dkim        *DKIM
	rand        io.Reader
	now         func() time.Time
	maxAttempts int
}

// NewOutbox checks o and returns an Outbox. Errors: ErrInvalidConfig.
func NewOutbox(o Options) (*Outbox, error) {
	if err := checkAddress(o.From); err != nil {
		return nil, fmt.Errorf("%w: sender: %w", ErrInvalidConfig, err)
	}
	domain := o.Domain
	if domain == "" {
		domain = domainOf(o.From.Address)
	}
	if !validDomain(domain) {
		return nil, fmt.Errorf("%w: message-id domain %q", ErrInvalidConfig, domain)
	}
	if o.MaxAttempts < 0 {
		return nil, fmt.Errorf("%w: negative max attempts", ErrInvalidConfig)
	}
	ob := &Outbox{from: o.From, domain: domain, dkim: o.DKIM, rand: o.Rand, now: o.Now, maxAttempts: o.MaxAttempts}
	if ob.rand == nil {
		ob.rand = rand.Reader
	}
	if ob.now == nil {
		ob.now = time.Now
	}
	return ob, nil
}

// From is the default sender.
func (ob *Outbox) From() Address { return ob.from }

// Domain is the right-hand side of the outbox's Message-IDs and the value
// of its loop marker.
func (ob *Outbox) Domain() string { return ob.domain }

// Compose builds m into the message the outbox stores: a
// multipart/alternative (text and HTML) MIME message with Message-ID, Date
// and Auto-Submitted headers, DKIM-signed when the outbox has a key.
// Errors: ErrInvalidMessage, ErrTooLarge.
func (ob *Outbox) Compose(m Message) (Stored, error) {
	if m.From == (Address{}) {
		m.From = ob.from
	}
	if err := checkMessage(m); err != nil {
		return Stored{}, err
	}
	token, err := ob.token(16)
	if err != nil {
		return Stored{}, err
	}
	msgID := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(token)) + "@" + ob.domain
	boundary, err := ob.token(12)
	if err != nil {
		return Stored{}, err
	}
	now := ob.now().UTC()
	date := now.Truncate(time.Second)

	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = a.Address
	}
	// go-message writes header fields in the reverse order of adding them:
	// list them top to bottom and add them backwards.
	fields := [][2]string{
		{"Date", date.Format(time.RFC1123Z)},
		{"From", formatAddresses([]Address{m.From})},
		{"To", formatAddresses(m.To)},
	}
	if len(m.ReplyTo) > 0 {
		fields = append(fields, [2]string{"Reply-To", formatAddresses(m.ReplyTo)})
	}
	fields = append(fields,
		[2]string{"Subject", encodeWords(m.Subject)},
		[2]string{"Message-ID", "<" + msgID + ">"},
	)
	if m.InReplyTo != "" {
		fields = append(fields, [2]string{"In-Reply-To", "<" + m.InReplyTo + ">"})
	}
	if len(m.References) > 0 {
		fields = append(fields, [2]string{"References", "<" + strings.Join(m.References, "> <") + ">"})
	}
	if !m.Personal {
		fields = append(fields,
			// RFC 3834: machine-written mail; well-behaved autoresponders
			// stay quiet, and Exchange's out-of-office replies too.
			[2]string{"Auto-Submitted", "auto-generated"},
			[2]string{"X-Auto-Response-Suppress", "All"},
		)
	}
	// Every message carries the loop marker: mail coming back with it
	// (an auto-forward to a support address) is dropped, not answered.
	fields = append(fields, [2]string{LoopHeader, ob.domain})
	fields = append(fields, [2]string{"MIME-Version", "1.0"})
	if m.Language != "" {
		fields = append(fields, [2]string{"Content-Language", m.Language})
	}
	// "=_" cannot occur in quoted-printable or base64 text, so the
	// boundary can never collide with a body line.
	bnd := "=_okpay_" + hex.EncodeToString(boundary)
	if m.HTML == "" {
		fields = append(fields, [2]string{"Content-Type", "text/plain; charset=utf-8"},
			[2]string{"Content-Transfer-Encoding", transferEncoding(m.Text)})
	} else {
		fields = append(fields, [2]string{"Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": bnd})})
	}
	var h message.Header
	for i := len(fields) - 1; i >= 0; i-- {
		switch k, v := fields[i][0], fields[i][1]; k {
		case "Message-ID", "MIME-Version", LoopHeader:
			// Add would respell them Message-Id and Mime-Version.
			h.AddRaw([]byte(k + ": " + v + "\r\n"))
		default:
			h.Add(k, v)
		}
	}

	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return Stored{}, fmt.Errorf("mail: compose: %w", err)
	}
	if m.HTML == "" {
		err = writeBody(w, m.Text, transferEncoding(m.Text))
	} else {
		err = writePart(w, "text/plain", m.Text)
		if err == nil {
			err = writePart(w, "text/html", m.HTML)
		}
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Stored{}, fmt.Errorf("mail: compose: %w", err)
	}
	raw := buf.Bytes()
	if ob.dkim != nil {
		if raw, err = ob.dkim.Sign(raw); err != nil {
			return Stored{}, err
		}
	}
	if len(raw) > MaxMessageSize {
		return Stored{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(raw), MaxMessageSize)
	}
	return Stored{
		MessageID: msgID,
		From:      m.From.Address,
		To:        to,
		Subject:   m.Subject,
		Raw:       raw,
		Status:    StatusQueued,
		CreatedAt: now,
	}, nil
}

func (ob *Outbox) token(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(ob.rand, b); err != nil {
		return nil, fmt.Errorf("mail: random: %w", err)
	}
	return b, nil
}

func writePart(w *message.Writer, mediaType, body string) error {
	enc := transferEncoding(body)
	var h message.Header
	h.Add("Content-Transfer-Encoding", enc)
	h.Add("Content-Type", mediaType+"; charset=utf-8")
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	if err := writeBody(pw, body, enc); err != nil {
		return err
	}
	return pw.Close()
}

// writeBody writes text in its canonical form: CRLF line breaks. The
// quoted-printable writer makes them itself from bare LFs.
func writeBody(w io.Writer, text, enc string) error {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if enc == "base64" {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	_, err := io.WriteString(w, text)
	return err
}

// transferEncoding picks the shorter encoding: quoted-printable for mostly
// ASCII text (it keeps links and markup readable in the raw source),
// base64 for text mostly in other scripts such as Chinese, where
// quoted-printable would triple every byte.
func transferEncoding(s string) string {
	non := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			non++
		}
	}
	if non*6 > len(s) {
		return "base64"
	}
	return "quoted-printable"
}

// formatAddresses writes a list of addresses, display names RFC 2047
// encoded when not ASCII.
func formatAddresses(as []Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		if a.Name == "" {
			parts[i] = a.Address
			continue
		}
		if !isASCII(a.Name) {
			parts[i] = encodeWords(a.Name) + " <" + a.Address + ">"
			continue
		}
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// maxWordText is the UTF-8 text one encoded word carries: 36 bytes make
// 48 base64 characters, a 60-character word, so that the header writer can
// fold between words and keep every line within 78 characters (mime's own
// encoder makes 75-character words, too long after "Subject: ").
const maxWordText = 36

// encodeWords encodes s as RFC 2047 base64 words ("B" encoding: a third
// the size of "Q" for Chinese) separated by spaces, each holding whole
// characters; ASCII text without controls is left as it is.
func encodeWords(s string) string {
	if isASCII(s) && !hasControl(s) {
		return s
	}
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxWordText {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

func checkMessage(m Message) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
	}
	if err := checkAddress(m.From); err != nil {
		return bad("from: %v", err)
	}
	if len(m.To) == 0 {
		return bad("no recipient")
	}
	for _, list := range [][]Address{m.To, m.ReplyTo} {
		for _, a := range list {
			if err := checkAddress(a); err != nil {
				return bad("%v", err)
			}
		}
	}
	if !utf8.ValidString(m.Subject) || hasControl(m.Subject) {
		return bad("subject must be valid UTF-8 on one line")
	}
	if strings.TrimSpace(m.Text) == "" {
		return bad("no text body")
	}
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
		return bad("body is not valid UTF-8")
	}
	if m.Language != "" && !validLanguage(m.Language) {
		return bad("language %q is not a language tag", m.Language)
	}
	for _, id := range append([]string{m.InReplyTo}, m.References...) {
		if id != "" && !validMsgID(id) {
			return bad("message id %q", id)
		}
	}
	return nil
}

// checkAddress accepts ASCII addresses (no SMTPUTF8 yet) whose display
// name, if any, is one line of valid UTF-8.
func checkAddress(a Address) error {
	if a.Address == "" {
		return fmt.Errorf("empty address")
	}
	if !isASCII(a.Address) || hasControl(a.Address) {
		return fmt.Errorf("address %q must be ASCII", a.Address)
	}
	p, err := mail.ParseAddress("<" + a.Address + ">")
	if err != nil || p.Address != a.Address || !validDomain(domainOf(a.Address)) {
		return fmt.Errorf("address %q is not a valid email address", a.Address)
	}
	if !utf8.ValidString(a.Name) || hasControl(a.Name) {
		return fmt.Errorf("display name of %s must be valid UTF-8 on one line", a.Address)
	}
	return nil
}

func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return addr[i+1:]
}

// validDomain accepts host names (letters, digits, hyphens, dots), which
// is what DKIM d= and a Message-ID right-hand side need.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || d[0] == '.' || d[len(d)-1] == '.' || strings.Contains(d, "..") {
		return false
	}
	for _, c := range []byte(d) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validLanguage(s string) bool {
	if len(s) > 35 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validMsgID accepts id-left "@" id-right in printable ASCII, without the
// angle brackets.
func validMsgID(s string) bool {
	l, r, ok := strings.Cut(s, "@")
	if !ok || l == "" || r == "" || len(s) > 250 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasControl reports characters that would break a header line or hide in
// it: C0 controls (tab excepted), DEL and line separators.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return true
		}
	}
	return false
}
