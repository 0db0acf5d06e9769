package support

import (
	"time"

	"github.com/okpay/okpay/internal/redact"
)

// Category is what a ticket is about.
type Category string

// Categories.
const (
	CatAccount        Category = "account"
	CatPaymentFailure Category = "payment_failure"
	CatWithdrawal     Category = "withdrawal"
	CatSecurity       Category = "security"
	CatDispute        Category = "dispute"
	CatFees           Category = "fees"
	CatComplaint      Category = "complaint"
	CatOther          Category = "other"
)

// Categories lists the categories in the order forms show them.
var Categories = []Category{CatAccount, CatPaymentFailure, CatWithdrawal, CatSecurity, CatDispute, CatFees, CatComplaint, CatOther}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// Priority orders tickets; the SLA targets depend on it.
type Priority string

// Priorities, lowest first.
const (
	PrioLow    Priority = "low"
	PrioNormal Priority = "normal"
	PrioHigh   Priority = "high"
	PrioUrgent Priority = "urgent"
)

// Priorities lists the priorities, lowest first.
var Priorities = []Priority{PrioLow, PrioNormal, PrioHigh, PrioUrgent}

// Valid reports whether p is one of Priorities.
func (p Priority) Valid() bool { return p.rank() >= 0 }

func (p Priority) rank() int {
	for i, k := range Priorities {
		if k == p {
			return i
		}
	}
	return -1
}

// Raise returns the next priority up (urgent stays urgent).
func (p Priority) Raise() Priority {
	if r := p.rank(); r >= 0 && r < len(Priorities)-1 {
		return Priorities[r+1]
	}
	return PrioUrgent
}

// Status is where a ticket is in its life.
type Status string

// Statuses. Waiting means waiting on the customer: the SLA clock stops.
const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusWaiting Status = "waiting"
	StatusSolved  Status = "solved"
	StatusClosed  Status = "closed"
)

// Statuses lists the statuses in their usual order.
var Statuses = []Status{StatusNew, StatusOpen, StatusWaiting, StatusSolved, StatusClosed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, k := range Statuses {
		if k == s {
			return true
		}
	}
	return false
}

// Done reports whether the ticket is solved or closed.
func (s Status) Done() bool { return s == StatusSolved || s == StatusClosed }

// Channel is how the ticket came in.
type Channel string

// Channels (chat and phone come later).
const (
	ChannelEmail Channel = "email"
	ChannelWeb   Channel = "web"
	ChannelChat  Channel = "chat"
	ChannelPhone Channel = "phone"
)

// Queues a ticket can sit in.
const (
	QueueGeneral    = "general"
	QueueComplaints = "complaints"
)

// Pending account actions that wait for the customer's confirmation.
const (
	ActionUnlock = "unlock"
)

// Escalation flags: which breaches the SLA job already handled.
const (
	EscalatedFirst   = 1 << iota // first response target missed
	EscalatedResolve             // resolution target missed
)

// Ticket is one support case.
type Ticket struct {
	ID, Number     int64
	Subject        string
	Category       Category
	Priority       Priority
	Status         Status
	Channel        Channel
	Mailbox        Mailbox
	RequesterID    int64  // 0: a visitor known only by email
	RequesterEmail string // lower-cased
	RequesterName  string
	Language       string // "zh-CN" or "en": the requester's
	// Unverified: opened or answered by mail whose sender could not be
	// verified although it names a registered customer.
	Unverified bool
	AssigneeID int64
	Queue      string
	Tags       []string
	Cc         []string // addresses copied on the mail that opened it
	LinkedTo   int64    // number of the closed ticket this one follows
	MergedInto int64    // number of the ticket this one was merged into
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// FirstResponseAt is the first public answer by staff.
	FirstResponseAt time.Time
	SolvedAt        time.Time
	ClosedAt        time.Time
	// FirstDue and ResolveDue are the SLA targets; PausedAt is set while
	// the ticket waits on the customer (the clock is stopped).
	FirstDue   time.Time
	ResolveDue time.Time
	PausedAt   time.Time
	Escalated  int // EscalatedFirst | EscalatedResolve
	// Acknowledged: the acknowledgement mail was queued.
	Acknowledged bool
	// Warned: the customer was told once that sensitive data was masked.
	Warned        bool
	Rating        int // 1..5, 0 none
	RatingComment string
	// PendingAction is an account action asked for by unverified mail,
	// waiting for the customer to confirm it signed in (ActionUnlock).
	PendingAction string
	// Outcome is a complaint's recorded outcome, sent to the customer.
	Outcome string
	// ComplaintRefs are the transaction references a complaint names.
	ComplaintRefs []string
}

// Kind is what an entry on a ticket's timeline is.
type Kind string

// Timeline entry kinds.
const (
	KindCustomer Kind = "customer" // from the requester (mail or web)
	KindAgent    Kind = "agent"    // a public reply by staff
	KindNote     Kind = "note"     // internal, staff only
	KindEvent    Kind = "event"    // something happened (Event, Detail)
	KindAuto     Kind = "auto"     // mail the desk sent by itself
)

// Events on the timeline.
const (
	EventCreated      = "created"
	EventAssigned     = "assigned"
	EventStatus       = "status"
	EventPriority     = "priority"
	EventReopened     = "reopened"
	EventMerged       = "merged"
	EventBreach       = "sla_breach"
	EventUnlocked     = "unlocked"
	EventResetSent    = "reset_sent"
	EventUnlockAsked  = "unlock_asked"
	EventEscalated    = "escalated"
	EventOutcome      = "outcome"
	EventRated        = "rated"
	EventBounced      = "bounced"
	EventLinked       = "linked"
	EventRedacted     = "redacted"
	EventAutomated    = "automated"
	EventUnverified   = "unverified"
	EventUnlockDenied = "unlock_denied"
)

// Message is one entry on a ticket's timeline.
type Message struct {
	ID, TicketID int64
	Kind         Kind
	AuthorID     int64  // a user, or 0
	AuthorEmail  string // the mail sender for KindCustomer by mail
	Body         string // redacted
	Event        string // KindEvent: what happened
	Detail       string // KindEvent: short data (a status, a number, a reason)
	MailID       string // Message-ID, in or out
	OutboxID     int64  // outgoing mail's outbox row
	Findings     redact.Findings
	RawID        int64
	Bounced      string // the bounce reason when the mail bounced
	CreatedAt    time.Time
	Attachments  []AttachmentInfo
}

// Public reports whether the requester may see the entry.
func (m Message) Public() bool {
	return m.Kind == KindCustomer || m.Kind == KindAgent || m.Kind == KindAuto
}

// AttachmentInfo describes a stored attachment (without its bytes).
type AttachmentInfo struct {
	ID, TicketID, MessageID int64
	Name, ContentType       string
	Size                    int64
	CreatedAt               time.Time
}

// Canned is a canned reply agents insert (SUP-9).
type Canned struct {
	ID       int64
	Title    string
	Body     string
	Language string
}
