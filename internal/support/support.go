// Package support is the support desk (SUP-1, SUP-5..9): tickets with
// their timeline of messages, internal notes and events; the entry point
// for support mail (ReceiveMail, Acknowledge, MarkBounced: the SMTP side
// lives in support/mailin); replies from agents and the customer's web
// form; complaints with evidence and a recorded outcome; SLA clocks in
// business hours with an escalation job; canned replies; ratings.
//
// Invariants it keeps:
//   - Every text a customer or agent writes (mail, form, reply, note) is
//     passed through redact.Text before it is stored or shown: no table
//     holds a full card number, security code, password or identity
//     number that came in through the desk.
//   - Attachments are size- and type-checked against their bytes, stored
//     sealed (secretbox, bound to their ticket) and handed only to the
//     ticket's requester or to staff, always as a download.
//   - A mail is filed at most once per Message-ID; all threading decisions
//     are made here, in the transaction that stores the message.
//   - A sender who is not verified (no DMARC pass) can never cause an
//     account action: unlock requests on such tickets wait for the
//     customer to confirm from a signed-in session.
//   - Each outgoing mail is queued in the transaction that records it on
//     the ticket, and its Message-ID is kept so replies thread.
//   - The SLA clock runs in business hours only and stops while the
//     ticket waits on the customer; escalation is idempotent.
//
// The package knows no SQL: sqlstore implements Store.
package support

import (
	"errors"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/secretbox"
)

// Errors returned by the package.
var (
	ErrNotFound  = errors.New("support: not found")
	ErrForbidden = errors.New("support: not allowed")
	// ErrInvalid: bad input; the *FieldError says which field.
	ErrInvalid = errors.New("support: invalid input")
	// ErrState: the ticket is not in a state that allows it.
	ErrState = errors.New("support: not possible in this state")
	// ErrRateLimited: too many tickets from this address or IP.
	ErrRateLimited = errors.New("support: too many requests")
)

// FieldError is a validation error on one input field; it wraps ErrInvalid.
type FieldError struct {
	Field string // "subject", "body", "category", "email", "attachment", "reference", ...
	Code  string // "required", "too_long", "invalid", "too_large", "type", "too_many", "unknown"
}

func (e *FieldError) Error() string { return "support: " + e.Field + ": " + e.Code }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, code string) error { return &FieldError{Field: field, Code: code} }

// Config is the desk's configuration.
type Config struct {
	// SupportAddress and ComplaintsAddress are the mailboxes customers
	// write to; replies carry them as Reply-To.
	SupportAddress    mail.Address
	ComplaintsAddress mail.Address
	// BaseURL is the public site, for links in mail ("https://okpay.example").
	BaseURL string
	// ReopenWindow: a reply to a closed ticket within it reopens it;
	// later it opens a new, linked ticket. Default 14 days.
	ReopenWindow time.Duration
	// FormLimit tickets per FormWindow from one IP or email by the form.
	FormLimit  int
	FormWindow time.Duration
}

func (c Config) withDefaults() Config {
	if c.SupportAddress.Address == "" {
		c.SupportAddress = mail.Address{Name: "OKPay 客服", Address: "support@okpay.example"}
	}
	if c.ComplaintsAddress.Address == "" {
		c.ComplaintsAddress = mail.Address{Name: "OKPay 投诉", Address: "complaints@okpay.example"}
	}
	if c.ReopenWindow <= 0 {
		c.ReopenWindow = 14 * 24 * time.Hour
	}
	if c.FormLimit <= 0 {
		c.FormLimit = 5
	}
	if c.FormWindow <= 0 {
		c.FormWindow = time.Hour
	}
	return c
}

// Options configure a Service. Store, Outbox and Box are required.
type Options struct {
	Store    Store
	Outbox   *mail.Outbox
	Box      *secretbox.Box     // seals attachments ("support.attachment")
	Calendar *calendar.Calendar // nil: calendar.Default()
	Now      func() time.Time   // nil: time.Now
	Config   Config
	// Context is asked for the customer's context in the console; nil
	// shows none. Other packages (kyc, risk) add theirs with Providers.
	Context ContextProvider
	// Accounts takes the account actions (unlock, reset link); nil
	// refuses them.
	Accounts Accounts
	// Refs checks complaint transaction references; nil refuses them.
	Refs RefChecker
}

// Service is the support desk. It is safe for concurrent use.
type Service struct {
	store    Store
	outbox   *mail.Outbox
	box      *secretbox.Box
	cal      *calendar.Calendar
	now      func() time.Time
	cfg      Config
	ctxp     ContextProvider
	accounts Accounts
	refs     RefChecker
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, outbox: o.Outbox, box: o.Box, cal: o.Calendar, now: o.Now, cfg: o.Config.withDefaults(), ctxp: o.Context, accounts: o.Accounts, refs: o.Refs}
	if s.cal == nil {
		s.cal = calendar.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

// ErrDuplicate: a Message-ID already stored (Store's answer).
var ErrDuplicate = errors.New("support: duplicate message")

var zeroTime time.Time

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Outbox and Box return what the service was built with (tests build
// variants of one service).
func (s *Service) Outbox() *mail.Outbox { return s.outbox }
func (s *Service) Box() *secretbox.Box  { return s.box }
