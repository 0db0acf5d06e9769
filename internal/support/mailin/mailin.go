// Package mailin is the support mailbox's receiving side (SUP-2): an SMTP
// listener for the support addresses and for the return paths (VERP) of
// our own outgoing mail, a raw store, and the pipeline that turns each
// accepted message into a desk call (support.Service.ReceiveMail), a
// bounce on the outbox, or nothing at all (our own mail, a loop).
//
// Invariants it keeps:
//   - A message is answered "250" only once its raw bytes are stored,
//     sealed with secretbox under associated data bound to their row
//     ("mailin:raw:<id>"), together with a job that processes it: a crash
//     after "250" loses nothing. One SMTP transaction is stored once,
//     however many support addresses it names.
//   - Mail for any other address is refused at RCPT (550 5.1.1); mail
//     over the size limit at MAIL (SIZE) or during DATA (552 5.3.4).
//   - Processing is idempotent: a row is claimed before it is processed
//     and the desk files a Message-ID once; a Message-ID already filed
//     from another row is a duplicate and its bytes are dropped at once.
//   - A sender is Verified only when the topmost Authentication-Results
//     carries the configured authserv-id of our own MTA and says
//     dmarc=pass for the From domain; without that setting nobody is.
//   - Nothing automatic answers automated mail (auto-replies, bounces),
//     our own mail or loops; acknowledgements are counted in the
//     database per recipient and per sending IP and stop at the limits,
//     so the desk cannot be used to mail a third party repeatedly.
//   - A bounce never opens a ticket; a permanent one marks its outbox
//     message failed (found by its VERP tag, else by the Message-ID the
//     report quotes) and tells the desk.
//   - Mail that cannot be parsed is kept, sealed, for staff to reprocess.
//     Processed mail's bytes are emptied after the retention period.
//   - No decoded content leaves this package except through the desk:
//     rows, job arguments and logs hold ids, addresses, statuses and
//     redacted notes only; Message-IDs are kept as digests.
//
// The package knows no SQL: sqlstore implements Store.
package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/support"
)

// Errors returned by the package.
var (
	// ErrNotFound: no stored message has the id.
	ErrNotFound = errors.New("mailin: message not found")
	// ErrState: the message cannot be reprocessed in its state.
	ErrState = errors.New("mailin: message is not waiting to be processed")
	// ErrInvalidConfig: unusable options.
	ErrInvalidConfig = errors.New("mailin: invalid configuration")
)

// Job kinds.
const (
	// ProcessJob processes one stored message (args {"id": N}); it is
	// enqueued with the message as the safety net behind the inline
	// processing of the listener.
	ProcessJob = "mailin.process"
	// PurgeJob runs periodically: it empties the bytes of processed
	// messages past the retention period and prunes old counters.
	PurgeJob = "mailin.purge"
)

// SealPurpose is the secretbox purpose of the raw store.
const SealPurpose = "mailin"

// Status is where a stored message is.
type Status string

// The statuses of a stored message.
const (
	StatusReceived   Status = "received"
	StatusProcessing Status = "processing"
	StatusFiled      Status = "filed"
	StatusDuplicate  Status = "duplicate"
	StatusBounce     Status = "bounce"
	StatusDropped    Status = "dropped"
	StatusUnparsed   Status = "unparsed"
)

// Envelope is what the SMTP transaction said about a message.
type Envelope struct {
	RemoteIP string
	Helo     string
	// From is MAIL FROM; "" for the null sender of notifications.
	From string
	// To are the accepted recipients, lower-cased, each once.
	To []string
}

// Raw is one stored message.
type Raw struct {
	ID int64
	Envelope
	ReceivedAt time.Time
	Size       int
	// Sealed is the message as received, sealed; empty once purged (and
	// left out of listings).
	Sealed []byte
	// MessageKey is a digest of the Message-ID ("" when none or not yet
	// parsed), for finding duplicates.
	MessageKey  string
	Status      Status
	Note        string
	TicketID    int64
	OutboxID    int64
	Attempts    int
	ProcessedAt time.Time
	PurgedAt    time.Time
}

// Outcome is what processing made of a message.
type Outcome struct {
	Status     Status
	Note       string
	MessageKey string
	TicketID   int64
	OutboxID   int64
}

// Store is the raw store and the acknowledgement counters; sqlstore
// implements it (DB.Mailin).
type Store interface {
	// InsertRaw stores a received message in one transaction: the row,
	// its sealed bytes (seal is called with the new id) and the job
	// (made by job from the id). It returns the id.
	InsertRaw(ctx context.Context, env Envelope, at time.Time, size int, seal func(id int64) ([]byte, error), job func(id int64) jobs.Job) (int64, error)
	// Raw returns one message with its sealed bytes. Errors: ErrNotFound.
	Raw(ctx context.Context, id int64) (Raw, error)
	// ClaimRaw moves a received message (or one stuck in processing
	// since before stale) to processing, counting an attempt; it reports
	// false when the message is in any other state.
	ClaimRaw(ctx context.Context, id int64, now, stale time.Time) (bool, error)
	// ReleaseRaw puts a message being processed back to received.
	ReleaseRaw(ctx context.Context, id int64) error
	// FinishRaw records the outcome of processing; a duplicate's sealed
	// bytes are emptied at once.
	FinishRaw(ctx context.Context, id int64, o Outcome, at time.Time) error
	// Requeue moves an unparsed message back to received. Errors:
	// ErrNotFound, ErrState.
	Requeue(ctx context.Context, id int64) error
	// FiledWithKey returns the id of another message (not id) with the
	// same message key that was filed, bounced or dropped; 0 if none.
	FiledWithKey(ctx context.Context, key string, id int64) (int64, error)
	// ListRaw returns up to limit messages in status, oldest first,
	// without their sealed bytes.
	ListRaw(ctx context.Context, status Status, limit int) ([]Raw, error)
	// PurgeRaw empties the sealed bytes of messages processed before
	// before (not received, processing or unparsed ones) and reports how
	// many it emptied.
	PurgeRaw(ctx context.Context, before, now time.Time) (int64, error)
	// CountAck adds one to each counter's count in the window starting
	// at window, unless that would take any of them past its limit (then
	// it changes nothing and reports false). Atomic across nodes.
	CountAck(ctx context.Context, window time.Time, counters []string, limits []int) (bool, error)
	// PruneAcks deletes counters of windows that started before before.
	PruneAcks(ctx context.Context, before time.Time) error
}

// Desk is the part of the support desk the pipeline calls;
// *support.Service implements it.
type Desk interface {
	ReceiveMail(ctx context.Context, m support.InboundMail) (support.Received, error)
	Acknowledge(ctx context.Context, ticketID int64) error
	MarkBounced(ctx context.Context, outboxID int64, reason string) error
}

var _ Desk = (*support.Service)(nil)

// Options configure a Service.
type Options struct {
	// Mailboxes maps each support address (lower case) to its mailbox,
	// e.g. "support@okpay.example" → support.MailboxSupport.
	Mailboxes map[string]support.Mailbox
	// VERP reads the return paths of our outgoing mail; nil accepts no
	// bounce addresses (bounces to a support address are still known).
	VERP *mail.VERP
	// OwnDomain is the Message-ID domain of our outgoing mail; OwnFrom
	// its sender address; DKIM its signer (to recognise our signature).
	OwnDomain string
	OwnFrom   string
	DKIM      *mail.DKIM
	// AuthServID is the authserv-id of our own MTA, whose topmost
	// Authentication-Results header is trusted; "" trusts none.
	AuthServID string
	// MaxSize is the largest message accepted, in bytes (default 25 MiB).
	MaxSize int64
	// MaxReceived is the most Received headers a message may carry
	// before it counts as a loop (default 30).
	MaxReceived int
	// Retention is how long processed raw bytes are kept (default 30
	// days).
	Retention time.Duration
	// AckPerRecipient and AckPerIP cap acknowledgements per AckWindow to
	// one address and for mail from one IP (defaults 3 and 20 per hour).
	AckPerRecipient int
	AckPerIP        int
	AckWindow       time.Duration

	Store   Store
	Bounces mail.BounceStore
	Desk    Desk
	// Box seals the raw store (purpose SealPurpose).
	Box    *secretbox.Box
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the inbound pipeline. It is safe for concurrent use.
type Service struct {
	o   Options
	log *slog.Logger
}

// Defaults.
const (
	DefaultMaxSize         = 25 << 20
	DefaultMaxReceived     = 30
	DefaultRetention       = 30 * 24 * time.Hour
	DefaultAckPerRecipient = 3
	DefaultAckPerIP        = 20
	DefaultAckWindow       = time.Hour
	// processLease is how long a claimed message may stay in processing
	// before another worker takes it over.
	processLease = 10 * time.Minute
	// retryDelay is when the safety-net job first runs.
	retryDelay = 2 * time.Minute
)

// New checks o and returns the Service. Errors: ErrInvalidConfig.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Desk == nil || o.Box == nil || o.Bounces == nil {
		return nil, fmt.Errorf("%w: Store, Bounces, Desk and Box are required", ErrInvalidConfig)
	}
	if len(o.Mailboxes) == 0 {
		return nil, fmt.Errorf("%w: no support address", ErrInvalidConfig)
	}
	mb := make(map[string]support.Mailbox, len(o.Mailboxes))
	for a, m := range o.Mailboxes {
		a = strings.ToLower(strings.TrimSpace(a))
		if !strings.Contains(a, "@") {
			return nil, fmt.Errorf("%w: support address %q", ErrInvalidConfig, a)
		}
		mb[a] = m
	}
	o.Mailboxes = mb
	o.OwnDomain = strings.ToLower(o.OwnDomain)
	o.OwnFrom = strings.ToLower(o.OwnFrom)
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxReceived <= 0 {
		o.MaxReceived = DefaultMaxReceived
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.AckPerRecipient <= 0 {
		o.AckPerRecipient = DefaultAckPerRecipient
	}
	if o.AckPerIP <= 0 {
		o.AckPerIP = DefaultAckPerIP
	}
	if o.AckWindow <= 0 {
		o.AckWindow = DefaultAckWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{o: o, log: o.Logger.With("component", "mailin")}, nil
}

// MaxSize is the size limit the listener advertises and enforces.
func (s *Service) MaxSize() int64 { return s.o.MaxSize }

// Register registers the job handlers on r and the purge as an hourly
// periodic job.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(ProcessJob, s.HandleProcess)
	r.Register(PurgeJob, s.HandlePurge)
	r.Periodic(PurgeJob, time.Hour, nil)
}

// Mailbox returns the mailbox of a support address, or false.
func (s *Service) Mailbox(addr string) (support.Mailbox, bool) {
	m, ok := s.o.Mailboxes[strings.ToLower(addr)]
	return m, ok
}

func ad(id int64) string { return fmt.Sprintf("mailin:raw:%d", id) }
