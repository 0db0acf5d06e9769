package support

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/mail"
)

// Store runs the desk's transactions; sqlstore implements it (DB.Support).
type Store interface {
	// InTx runs fn in one read-write transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// View runs fn on a read-only view (writes through it fail).
	View(ctx context.Context, fn func(Tx) error) error
}

// Customer is what the desk knows of a registered user.
type Customer struct {
	ID     int64
	Email  string
	Locale string
	Role   string
	Status string
}

// Filter selects tickets for listings.
type Filter struct {
	RequesterID int64    // >0: this customer's tickets
	AssigneeID  int64    // >0: assigned to this user
	Unassigned  bool     // no assignee
	Statuses    []Status // empty: any
	Priorities  []Priority
	Queue       string
	BreachingAt time.Time // non-zero: a target is due before this time
	Query       string    // number, subject words or requester email
	Limit       int       // 0: 100
}

// Tx is the desk's view of one transaction.
type Tx interface {
	// InsertTicket stores t (ID and Number ignored) and returns its id
	// and number (10001 upward).
	InsertTicket(ctx context.Context, t Ticket) (id, number int64, err error)
	// UpdateTicket writes every mutable field of t. Errors: ErrNotFound.
	UpdateTicket(ctx context.Context, t Ticket) error
	// Ticket and TicketByNumber. Errors: ErrNotFound.
	Ticket(ctx context.Context, id int64) (Ticket, error)
	TicketByNumber(ctx context.Context, number int64) (Ticket, error)
	// Tickets lists tickets matching f, most recently updated first.
	Tickets(ctx context.Context, f Filter) ([]Ticket, error)
	// TicketsToEscalate lists open tickets whose first-response or
	// resolution target passed before now and was not yet escalated.
	TicketsToEscalate(ctx context.Context, now time.Time, limit int) ([]Ticket, error)

	// InsertMessage stores m and returns its id. A MailID already stored
	// returns ErrDuplicate.
	InsertMessage(ctx context.Context, m Message) (int64, error)
	// Messages lists a ticket's timeline, oldest first, with attachments.
	Messages(ctx context.Context, ticketID int64) ([]Message, error)
	// TicketByMailID finds the ticket holding a message with that
	// Message-ID (ours or received). Errors: ErrNotFound.
	TicketByMailID(ctx context.Context, mailIDs []string) (int64, error)
	// MailIDs returns the ticket's Message-IDs, oldest first.
	MailIDs(ctx context.Context, ticketID int64) ([]string, error)
	// MessageByOutbox finds the message sent as that outbox row.
	// Errors: ErrNotFound.
	MessageByOutbox(ctx context.Context, outboxID int64) (Message, error)
	// SetBounced records a bounce reason on a message.
	SetBounced(ctx context.Context, messageID int64, reason string) error
	// MoveMessages moves every message and attachment of ticket from to ticket to.
	MoveMessages(ctx context.Context, from, to int64) error

	// InsertAttachment stores a sealed attachment; Attachment returns it.
	InsertAttachment(ctx context.Context, a AttachmentInfo, sealed []byte) (int64, error)
	Attachment(ctx context.Context, id int64) (AttachmentInfo, []byte, error)

	// CustomerByEmail and CustomerByID look up registered users.
	// Errors: ErrNotFound.
	CustomerByEmail(ctx context.Context, email string) (Customer, error)
	CustomerByID(ctx context.Context, id int64) (Customer, error)
	// Staff lists users with role supervisor or above (for notices).
	Supervisors(ctx context.Context) ([]Customer, error)

	// Canned replies.
	CannedReplies(ctx context.Context) ([]Canned, error)
	InsertCanned(ctx context.Context, c Canned) (int64, error)

	// Hit counts one use of key at at and returns how many uses key had
	// since since (this one included).
	Hit(ctx context.Context, key string, at, since time.Time) (int, error)

	// Outbox and Audit write in the same transaction.
	Outbox() mail.OutboxTx
	Audit() audit.Appender
}
