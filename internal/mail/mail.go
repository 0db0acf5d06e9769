// Package mail owns OKPay's email. This part is the outgoing half:
// composing (out.go), DKIM signing (dkim.go), the transactional outbox
// (outbox.go), the sender worker and its SMTP relay client (sender.go,
// relay.go), and the development mailbox at /dev/mailbox (devmailbox.go).
// The inbound SMTP listener and parser will live beside them.
//
// A change that causes a mail calls Outbox.Queue inside its own database
// transaction; the mail.send job (Sender.Handle) sends it after commit.
//
// Invariants it keeps:
//   - A message is composed, signed and written to the outbox in the same
//     transaction as the change that caused it, together with its mail.send
//     job: nothing is sent for a change that rolled back, and nothing
//     committed is lost.
//   - The outbox keeps the exact bytes that will be sent, so every retry
//     sends the same message (same Message-ID, same DKIM signature) and the
//     dev mailbox shows what a relay would have received.
//   - Sending is at least once: a crash between the relay's "250 OK" and
//     marking the row sent sends the message again on retry; receivers can
//     tell the copies apart by their identical Message-ID.
//   - A relay's 5xx answer to the message (MAIL, RCPT, DATA) fails the
//     message for good; anything else (4xx, network, TLS, authentication:
//     problems of the moment or of our configuration) is retried.
//   - The dev mailbox answers loopback clients only.
//
// The package knows no SQL: sqlstore implements OutboxTx and Store.
package mail

import (
	"errors"
	"net/mail"
	"time"
)

// Errors returned by the package.
var (
	// ErrInvalidMessage: a Message that cannot be sent (no recipient, no
	// text, a header with a line break, an invalid address...).
	ErrInvalidMessage = errors.New("mail: invalid message")
	// ErrTooLarge: the composed message exceeds MaxMessageSize.
	ErrTooLarge = errors.New("mail: message too large")
	// ErrNotFound: no outbox message has the id.
	ErrNotFound = errors.New("mail: message not found")
	// ErrNotQueued: the message was already sent, failed or delivered
	// locally (by an earlier run of an at-least-once job).
	ErrNotQueued = errors.New("mail: message is not queued")
	// ErrInvalidConfig: the sender address, DKIM settings or relay URL are
	// unusable.
	ErrInvalidConfig = errors.New("mail: invalid configuration")
	// ErrWeakKey: a DKIM key that is neither Ed25519 nor RSA of at least
	// 2048 bits.
	ErrWeakKey = errors.New("mail: DKIM key must be Ed25519 or RSA of at least 2048 bits")
)

// MaxMessageSize caps a composed message, well under what relays accept.
const MaxMessageSize = 10 << 20

// Address is a mailbox: an optional display name and an address.
type Address = mail.Address

// Message is an email to compose: what callers hand to Outbox.Queue.
type Message struct {
	// From overrides the outbox's sender; leave it zero for the default.
	From Address
	// To are the recipients (at least one).
	To []Address
	// ReplyTo, when set, is where replies go (a support address).
	ReplyTo []Address
	// Subject is plain text in any language; it is RFC 2047 encoded.
	Subject string
	// Text is the text/plain body; required.
	Text string
	// HTML is the text/html alternative; empty sends the text alone.
	HTML string
	// Language is the Content-Language of the bodies, such as "zh-CN".
	Language string
	// InReplyTo and References thread replies (message ids without angle
	// brackets).
	InReplyTo  string
	References []string
	// Personal marks mail a person wrote (an agent's reply): it goes out
	// without Auto-Submitted, so the recipient's autoresponder may answer
	// it as it would any person's mail (RFC 3834). Everything else the
	// platform sends is auto-generated.
	Personal bool
}

// Status is where an outbox message is in its life.
type Status string

// The statuses of an outbox message: queued until the worker is done with
// it; then sent (the relay accepted it), failed (permanently refused, or
// out of attempts) or delivered_locally (no relay: it is in the dev
// mailbox).
const (
	StatusQueued           Status = "queued"
	StatusSent             Status = "sent"
	StatusFailed           Status = "failed"
	StatusDeliveredLocally Status = "delivered_locally"
)

// Stored is a message in the outbox.
type Stored struct {
	ID int64
	// MessageID is the Message-ID header without angle brackets.
	MessageID string
	// From and To are the SMTP envelope.
	From string
	To   []string
	// Subject is the decoded subject, for listings.
	Subject string
	// Raw is the composed, signed message, CRLF line endings.
	Raw       []byte
	Status    Status
	Attempts  int
	LastError string
	CreatedAt time.Time
	// SentAt is when the worker was done with it: sent, delivered locally,
	// or given up on (failed); zero while queued.
	SentAt time.Time
}
