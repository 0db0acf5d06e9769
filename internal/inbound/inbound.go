// Package inbound reads the email the support mailbox receives: one raw
// message in, one Message out, with its threading headers, its sender and
// recipients, its text in UTF-8 (and the new part of a reply without the
// quoted history), its attachments, and whether a machine sent it (an
// auto-reply, or a bounce and what bounced). It also reads ticket numbers
// and urgency out of subjects.
//
// It is pure: no database, no network, no clock. The SMTP listener stores
// the raw bytes first and then calls Parse; the support desk threads and
// files the result.
//
// Real mail is often malformed: mis-declared or missing charsets, raw 8-bit
// headers, broken encoded words, missing boundaries, invented transfer
// encodings. The MIME walk is therefore the package's own rather than
// go-message's entity reader, which stops at the first malformed header line
// or boundary; golang.org/x/text supplies the charsets (GBK, GB18030, Big5,
// Shift_JIS, EUC-KR, ISO-2022-JP, ISO-8859-x, windows-125x...).
//
// Invariants it keeps:
//   - Parse never panics, whatever the bytes, and every string it returns
//     is valid UTF-8 without NUL bytes (so it can be stored as text).
//   - A broken part never costs the rest of the message: it is kept as
//     well as it can be, or skipped, and the reason is noted in
//     Message.Problems.
//   - Headers of an attached message (message/rfc822) never stand in for
//     the outer message's own headers or change its classification.
//   - Attachment file names are base names: no directory part, no control
//     characters.
//   - A message is a Bounce or an AutoReply, never both; either way nothing
//     should answer it automatically (Message.Automated).
package inbound

import (
	"errors"
	"strings"
	"time"
)

// ErrNotMessage is returned by Parse for input with nothing to work with:
// empty input, or bytes without a single "Name: value" header field before
// the first empty line (binary noise, a bare text). Without any header
// there is no sender to answer, nothing to thread on and nothing to
// classify.
var ErrNotMessage = errors.New("inbound: not an email message")

// Address is a mailbox: a decoded display name and an address as written
// (case preserved; compare addresses case-insensitively).
type Address struct {
	Name    string
	Address string
}

// String formats the address for display, not for a header.
func (a Address) String() string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

// Message is one received email, decoded.
type Message struct {
	// MessageID is the Message-ID without angle brackets; "" when absent.
	MessageID string
	// InReplyTo and References are the message ids this one answers,
	// without angle brackets, in header order.
	InReplyTo  []string
	References []string

	// From is the first author (Sender when there is no usable From).
	From    Address
	ReplyTo []Address
	To      []Address
	Cc      []Address
	// DeliveredTo lists the Delivered-To addresses, topmost (last hop)
	// first.
	DeliveredTo []string
	// ReturnPath is the envelope sender the final MTA recorded, without
	// angle brackets; "" when absent or null. NullReturnPath reports
	// "Return-Path: <>", the null sender of notifications and bounces.
	ReturnPath     string
	NullReturnPath bool
	// Date is the Date header; zero when missing or unreadable.
	Date time.Time
	// Subject is decoded (RFC 2047 in any charset, or raw 8-bit in the
	// message's charset) with runs of white space folded to one space.
	Subject string
	// AuthenticationResults are the raw Authentication-Results values,
	// topmost first. Any hop can add one: trust only those your own MTA
	// adds (the topmost, carrying its authserv-id).
	AuthenticationResults []string
	// Header is every header field of the message itself, in order.
	Header Header

	// Text is the body as plain text in UTF-8 with "\n" line ends: the
	// text/plain parts, or the text/html ones converted to text when there
	// is no plain alternative (or it is empty).
	Text string
	// HTML is the text/html body in UTF-8, as sent; untrusted, never to be
	// rendered unsanitised. "" when there is none.
	HTML string
	// Charset is the charset Text was read from, as resolved: the declared
	// one, or what the bytes turned out to be when the declaration was
	// wrong or missing ("utf-8", "gb18030", "windows-1252"...).
	Charset string
	// NewText is the new part of Text: quoted history ("> " lines, "On ...
	// wrote:", "在 ... 写道：", Outlook "-----Original Message-----" and
	// "From: ... Sent: ..." blocks) and a trailing signature ("-- ")
	// removed. When that would leave nothing, NewText is Text, so a
	// message is never shown empty because it looked like a quote. A
	// forward (subject "Fwd:", "FW:", "转发:") keeps what it forwards:
	// its NewText is Text.
	NewText string

	// Attachments are the files: attached parts, inline images, and
	// attached messages (message/rfc822, as .eml files). The signature of
	// a multipart/signed message and the machine-readable parts of a
	// delivery report (message/delivery-status, text/rfc822-headers) are
	// not files.
	Attachments []Attachment

	// AutoReply reports a message sent by a machine that is not a bounce:
	// Auto-Submitted other than "no", X-Autoreply/X-Autorespond,
	// Precedence bulk/junk/list, List-Id or List-Unsubscribe (mailing
	// lists and newsletters, RFC 3834 section 2), a null Return-Path, a
	// read receipt, or an "Automatic reply:"-style subject. AutoReplyReason
	// says which.
	AutoReply       bool
	AutoReplyReason string
	// Bounce is set when the message reports that mail could not be
	// delivered (or is delayed).
	Bounce *Bounce

	// Problems notes what was wrong with the message and how it was read
	// anyway, for logs and for the agent who wonders why a message looks
	// odd.
	Problems []string
}

// Automated reports a message no automatic answer (acknowledgement,
// auto-reply) may be sent to: a bounce or an auto-reply.
func (m *Message) Automated() bool { return m.AutoReply || m.Bounce != nil }

// ThreadIDs lists the message ids this message answers, most specific
// first: In-Reply-To, then References from the newest to the oldest, each
// once.
func (m *Message) ThreadIDs() []string {
	var ids []string
	seen := map[string]bool{m.MessageID: true}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range m.InReplyTo {
		add(id)
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		add(m.References[i])
	}
	return ids
}

// Attachment is a file carried by a message.
type Attachment struct {
	// Filename is the decoded base name (RFC 2231, RFC 2047, or raw 8-bit
	// in the part's charset); when the sender gave none, one is made up
	// from the content type ("attachment.png", "message.eml").
	Filename string
	// ContentType is the declared media type in lower case, such as
	// "image/png"; "application/octet-stream" when missing. Untrusted.
	ContentType string
	// ContentID is the Content-ID without angle brackets, which HTML
	// bodies refer to as "cid:...".
	ContentID string
	// Inline reports Content-Disposition inline: shown in the body (a
	// pasted screenshot) rather than attached.
	Inline bool
	// Size is len(Data).
	Size int
	// Data is the content, transfer encoding removed.
	Data []byte
}

// Bounce is what a delivery report says.
type Bounce struct {
	// Standard reports an RFC 3464 delivery-status report
	// (multipart/report); false for a recognised non-standard notice
	// (a MAILER-DAEMON or postmaster message quoting the original).
	Standard bool
	// Recipients are the recipients the report is about.
	Recipients []BounceRecipient
	// ReportingMTA is the MTA that wrote the report ("dns; " removed).
	ReportingMTA string
	// OriginalMessageID is the Message-ID of the message that bounced,
	// from the returned message or its headers, without angle brackets.
	OriginalMessageID string
	// OriginalSubject is the subject of the message that bounced.
	OriginalSubject string
	// OriginalReturnPath is the Return-Path of the returned message, when
	// it carries one: the envelope sender it was sent with (where a VERP
	// address is).
	OriginalReturnPath string
	// EnvelopeTo is the address the report was delivered to: Delivered-To,
	// X-Original-To or Envelope-To, else the first To. Reports go to the
	// original's envelope sender, so this is where a VERP address shows.
	EnvelopeTo string
}

// Permanent reports a bounce with at least one recipient that failed for
// good (action failed, or a 5.x.x status), as opposed to a delay warning.
func (b *Bounce) Permanent() bool {
	for _, r := range b.Recipients {
		if r.Action == "failed" || strings.HasPrefix(r.Status, "5") {
			return true
		}
	}
	return false
}

// BounceRecipient is one recipient of a delivery report.
type BounceRecipient struct {
	// Address is the final recipient, without its "rfc822;" type.
	Address string
	// Action is "failed", "delayed", "delivered", "relayed" or "expanded"
	// (lower case), or "" when the report does not say.
	Action string
	// Status is the enhanced status code, such as "5.1.1".
	Status string
	// Diagnostic is the remote server's answer, such as "550 5.1.1 user
	// unknown", white space folded.
	Diagnostic string
}

// Header is a message's header fields, in order.
type Header []Field

// Field is one header field: its name as written (case varies between
// senders) and its unfolded value, raw 8-bit bytes read as UTF-8 or in the
// message's charset; encoded words are left as they are.
type Field struct {
	Name  string
	Value string
}

// Get returns the value of the first field named name (case-insensitive),
// or "".
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field named name (case-insensitive),
// in order.
func (h Header) Values(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}
