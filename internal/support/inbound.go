package support

import (
	"context"
	"net/mail"
	"time"
)

// Mailbox names the support address a mail came to.
type Mailbox string

// The support mailboxes: the general one and the complaints one (SUP-5).
const (
	MailboxSupport    Mailbox = "support"
	MailboxComplaints Mailbox = "complaints"
)

// Attachment is one file sent with a message (mail or form).
type Attachment struct {
	Name        string // base name, as the sender called it
	ContentType string // as declared; the desk checks it against the bytes
	Data        []byte
}

// InboundMail is one accepted, parsed message addressed to a support mailbox.
type InboundMail struct {
	MessageID   string   // Message-ID without angle brackets ("" if none)
	InReplyTo   []string // ids without brackets
	References  []string
	From        mail.Address // net/mail
	Verified    bool         // a trusted Authentication-Results said dmarc=pass
	To, Cc      []string     // addresses as received (lower-cased)
	Mailbox     Mailbox      // MailboxSupport or MailboxComplaints: which address it came to
	Subject     string       // decoded
	Text        string       // the new part (quoted history removed), UTF-8, NOT yet redacted
	Attachments []Attachment // Name (base name), ContentType, Data
	Automated   bool         // an auto-reply: stored on the ticket, never acknowledged
	Urgent      bool         // urgency words in the subject
	RawID       int64        // the raw-store row (MAILIN's table), for staff
	ReceivedAt  time.Time
}

// Received says what the desk did with it.
type Received struct {
	TicketID, Number int64 // Number is what customers see (#10023)
	New, Reopened    bool
	LinkedTo         int64 // the closed ticket's Number a new one follows, or 0
	Duplicate        bool  // this Message-ID was already stored: nothing changed
}

// ReceiveMail threads and files one inbound mail (all threading rules of
// SUP-2 live here: our own Message-ID in In-Reply-To/References; then [#N]
// in the subject behind Re:/Fwd:/回复：/转发: only when the sender is the
// ticket's requester or was copied; closed < 14 days → reopen, later → new
// linked ticket; else a new ticket), redacts the text (internal/redact) and
// records it, in one transaction. Idempotent per MessageID.
func (s *Service) ReceiveMail(ctx context.Context, m InboundMail) (Received, error) {
	return s.receiveMail(ctx, m)
}

// Acknowledge queues the one acknowledgement of a ticket opened by mail
// (ticket number, expected first response time from the SLA, the reminder
// never to send passwords or card numbers), threaded, Auto-Submitted:
// auto-replied, in the requester's language; a second call does nothing.
func (s *Service) Acknowledge(ctx context.Context, ticketID int64) error {
	return s.acknowledge(ctx, ticketID)
}

// MarkBounced records on the ticket that the outbox message outboxID (a
// reply or notice the desk sent) bounced, with the reason the bounce gave.
// A message the desk did not send is ignored (nil error); a second call
// for the same message does nothing.
func (s *Service) MarkBounced(ctx context.Context, outboxID int64, reason string) error {
	return s.markBounced(ctx, outboxID, reason)
}
