// Package chat is the support desk's live chat (SUP-3): a signed-in
// customer chats with an agent; agents see the chats waiting and take
// them; outside service hours, or with no agent online, the chat goes to
// the ticket queue and the customer is told so.
//
// Invariants it keeps:
//   - A message is stored (with the next per-chat sequence number, in the
//     transaction that takes it) before anyone is told of it: delivery
//     only ever reads what the database holds, so a client that comes
//     back with the last seq it has gets exactly what it missed, from
//     any node.
//   - Every text passes through redact.Text before it is stored or
//     delivered: no chat row holds a full card number, security code or
//     password.
//   - Every chat is kept on a support ticket (channel chat): each message
//     is also a line on the ticket's timeline, written in the same
//     transaction, so the desk's SLA, search and history see chats too.
//   - Only the chat's customer and staff may read a chat; only the
//     customer and the agent who took it may write in it. Anyone else is
//     told it does not exist.
//   - Nodes keep no state: agent presence is a row with an expiry, and
//     "chat N changed" travels as a signal that carries no data (NOTIFY on
//     PostgreSQL, in-process on SQLite), backed by polling by seq, so a
//     lost signal only delays a message.
//   - A message resent after a reconnect (same client id) is stored once.
//
// The package knows no HTTP or SQL: sqlstore implements Store, and
// internal/web speaks WebSocket to the browsers.
package chat

import (
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support"
)

// Errors returned by the package.
var (
	// ErrNotFound: no such chat, or one the caller may not see.
	ErrNotFound = errors.New("chat: not found")
	// ErrForbidden: not signed in, or not staff where staff is needed.
	ErrForbidden = errors.New("chat: not allowed")
	// ErrEmpty and ErrTooLong: a message with no text, or too much.
	ErrEmpty   = errors.New("chat: empty message")
	ErrTooLong = errors.New("chat: message too long")
	// ErrState: the chat is not in a state that allows it (ended, not
	// yet taken, or taken by another agent).
	ErrState = errors.New("chat: not possible in this state")
	// ErrRateLimited: too many chats started or transcripts asked for.
	ErrRateLimited = errors.New("chat: too many requests")
	// ErrDuplicate is the Store's answer to a client id already stored.
	ErrDuplicate = errors.New("chat: duplicate message")
	// ErrNoListen is the Store's answer to Listen on an engine without
	// signals between nodes (SQLite: one node, signals stay in process).
	ErrNoListen = errors.New("chat: no cross-node signals on this store")
)

// MaxLen is the longest message, in characters.
const MaxLen = 2000

// Status is where a chat is in its life.
type Status string

// Statuses.
const (
	StatusWaiting Status = "waiting" // for an agent to take it
	StatusActive  Status = "active"  // an agent took it
	StatusEnded   Status = "ended"
	StatusTicket  Status = "ticket" // no agent or outside hours: answered by mail
)

// Open reports whether messages may still be written.
func (s Status) Open() bool { return s == StatusWaiting || s == StatusActive }

// Kind is who wrote a message.
type Kind string

// Kinds.
const (
	KindCustomer Kind = "customer"
	KindAgent    Kind = "agent"
	KindSystem   Kind = "system" // Event says what happened
)

// Events of system messages.
const (
	EventWaiting    = "waiting"    // an agent will be with you shortly
	EventJoined     = "joined"     // an agent took the chat
	EventEnded      = "ended"      // Detail: customer or agent
	EventQueued     = "queued"     // Detail: hours or agents; the ticket number is the chat's
	EventTranscript = "transcript" // the transcript was mailed
)

// Reasons a chat went to the ticket queue (EventQueued's Detail).
const (
	ReasonHours  = "hours"
	ReasonAgents = "agents"
)

// Chat is one conversation.
type Chat struct {
	ID, TicketID, CustomerID, AgentID int64
	Status                            Status
	LastSeq                           int64
	Language                          string
	CustomerTyping, AgentTyping       time.Time // typing until
	CreatedAt, UpdatedAt              time.Time
	TakenAt, EndedAt                  time.Time
	// Read with the chat from its ticket, for lists.
	TicketNumber  int64
	CustomerEmail string
	Subject       string
}

// Message is one line of a chat.
type Message struct {
	ChatID, Seq int64
	Kind        Kind
	AuthorID    int64
	Body        string // redacted
	Event       string // KindSystem
	Detail      string
	Findings    redact.Findings // what the guard masked in Body
	ClientID    string
	CreatedAt   time.Time
}

// Hours says whether live chat is staffed at a time. The desk's business
// calendar answers by default (CalendarHours); per-channel service hours
// plug in here.
type Hours interface{ Open(time.Time) bool }

// CalendarHours is Hours from the business calendar's opening hours.
type CalendarHours struct{ Calendar *calendar.Calendar }

// Open implements Hours.
func (h CalendarHours) Open(t time.Time) bool { return h.Calendar.IsOpen(t) }

// HoursFunc adapts a function to Hours.
type HoursFunc func(time.Time) bool

// Open implements Hours.
func (f HoursFunc) Open(t time.Time) bool { return f(t) }

// Options configure a Service. Store and Desk are required.
type Options struct {
	Store Store
	Desk  *support.Service
	// Hours: nil means the default business calendar's opening hours.
	Hours Hours
	Now   func() time.Time // nil: time.Now
	// Presence is how long an agent counts as online after a heartbeat
	// (default 45 s; consoles beat every third of it).
	Presence time.Duration
	// Typing is how long "typing" shows after the last keystroke signal
	// (default 5 s).
	Typing time.Duration
	// StartLimit chats a customer may start per hour (default 10);
	// TranscriptLimit transcript mails per chat per hour (default 3).
	StartLimit, TranscriptLimit int
	Logger                      *slog.Logger
}

// Service is the live chat. It is safe for concurrent use.
type Service struct {
	store    Store
	desk     *support.Service
	hours    Hours
	now      func() time.Time
	presence time.Duration
	typing   time.Duration
	startMax int
	trMax    int
	log      *slog.Logger
	hub      *hub
	socks    *sockets
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, desk: o.Desk, hours: o.Hours, now: o.Now, presence: o.Presence, typing: o.Typing,
		startMax: o.StartLimit, trMax: o.TranscriptLimit, log: o.Logger, hub: newHub(), socks: newSockets()}
	if s.hours == nil {
		s.hours = CalendarHours{calendar.Default()}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.presence <= 0 {
		s.presence = 45 * time.Second
	}
	if s.typing <= 0 {
		s.typing = 5 * time.Second
	}
	if s.startMax <= 0 {
		s.startMax = 10
	}
	if s.trMax <= 0 {
		s.trMax = 3
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Heartbeat is how often an agent's console should renew its presence.
func (s *Service) Heartbeat() time.Duration { return s.presence / 3 }

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

// clean checks and masks a message's text.
func clean(text string) (string, redact.Findings, error) {
	if !utf8.ValidString(text) {
		return "", 0, ErrEmpty
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return "", 0, ErrEmpty
	}
	if utf8.RuneCountInString(text) > MaxLen {
		return "", 0, ErrTooLong
	}
	out, f := redact.Text(text)
	return out, f, nil
}

// cleanClientID keeps a client's message id only when it is short and
// plain; anything else is dropped (the message is then not deduplicated).
func cleanClientID(id string) string {
	if len(id) == 0 || len(id) > 64 {
		return ""
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return id
}

// IsStaff reports whether a works the support desk.
func IsStaff(a auth.Actor) bool {
	return a.UserID > 0 && auth.Authorize(a, auth.ActionSupportWork, auth.Resource{Kind: "ticket"}) == nil
}

// canSee reports whether a may read c: its customer or staff.
func canSee(a auth.Actor, c Chat) bool {
	if a.UserID <= 0 {
		return false
	}
	return c.CustomerID == a.UserID || IsStaff(a)
}

// side says how a writes in c: as the customer, as the agent who took
// it, or not at all.
func side(a auth.Actor, c Chat) (Kind, bool) {
	switch {
	case a.UserID <= 0:
		return "", false
	case c.CustomerID == a.UserID:
		return KindCustomer, true
	case c.AgentID == a.UserID && IsStaff(a):
		return KindAgent, true
	}
	return "", false
}
