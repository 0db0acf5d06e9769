// Package webhook owns merchants' webhook endpoints, the events recorded
// for them and the delivery of those events: signed HTTP POSTs retried with
// backoff, with a log of every attempt and a manual resend.
//
// Invariants it keeps:
//   - An event is recorded in the same transaction as the change it tells
//     of (Record, through the caller's RecordTx), together with one pending
//     delivery and its job per subscribed endpoint: a change that rolls back
//     leaves no event and sends nothing; one that commits is delivered.
//   - The body of a delivery is the event's stored JSON, byte for byte the
//     same on every attempt and resend; only the signature's timestamp
//     changes.
//   - Deliveries are at least once and unordered: a crash between the POST
//     and recording its outcome sends it again, and retries overtake. Each
//     event has a unique, time-ordered evt_ id and its Created time, which
//     receivers use to deduplicate and order.
//   - A delivery is retried with exponential backoff and jitter until it
//     succeeds or RetryFor (3 days) has passed since it was created; then it
//     is failed. Every attempt is logged, whatever its outcome.
//   - An endpoint belongs to one Owner (merchant and mode); every method
//     taking an Owner treats another owner's endpoint or delivery as not
//     found.
//   - Endpoint secrets are stored sealed (secretbox, purpose "webhook",
//     bound to the endpoint id) and shown once, when created or rotated.
//     After a rotation the previous secret also signs until its overlap
//     ends.
//   - An endpoint whose attempts all failed for DisableAfter (5 days) is
//     disabled, and a notice job is queued in the same transaction for the
//     merchant (Options.Notifier).
//   - No request goes to a private, loopback, link-local or otherwise
//     internal address unless AllowPrivateNetworks (development) is set:
//     checked when an endpoint is saved, and again on every connection by
//     the dialer, after DNS resolution, so a name that later resolves
//     inward (DNS rebinding) is refused too.
package webhook

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errors returned by the package.
var (
	ErrNotFound = errors.New("webhook: not found")
	// ErrInvalidOwner: the owner has no merchant id or an unknown mode.
	ErrInvalidOwner = errors.New("webhook: invalid owner")
	// ErrInvalidURL: the endpoint URL is not an absolute http(s) URL, has
	// credentials or a fragment, or is too long.
	ErrInvalidURL = errors.New("webhook: invalid endpoint url")
	// ErrInsecureURL: a live-mode endpoint must use https.
	ErrInsecureURL = errors.New("webhook: live endpoints must use https")
	// ErrForbiddenAddress: the URL's host is, or resolves to, a private,
	// loopback, link-local or otherwise internal address.
	ErrForbiddenAddress = errors.New("webhook: endpoint address is not public")
	// ErrUnresolvable: the URL's host name does not resolve.
	ErrUnresolvable = errors.New("webhook: endpoint host does not resolve")
	// ErrInvalidEvents: no event type selected, or one that does not exist.
	ErrInvalidEvents = errors.New("webhook: invalid event types")
	// ErrInvalidEvent: an event to record has no known type or an object
	// that is not JSON.
	ErrInvalidEvent = errors.New("webhook: invalid event")
	// ErrTooManyEndpoints: the owner has MaxEndpoints endpoints already.
	ErrTooManyEndpoints = errors.New("webhook: too many endpoints")
	// ErrDisabled: the endpoint is disabled (resend refused).
	ErrDisabled = errors.New("webhook: endpoint is disabled")
	// ErrConflict: the endpoint changed concurrently; reload and retry.
	ErrConflict = errors.New("webhook: endpoint changed concurrently")
	// ErrInvalidOverlap: a rotation overlap is negative or longer than
	// MaxOverlap.
	ErrInvalidOverlap = errors.New("webhook: invalid rotation overlap")
)

// Mode separates test from live data; each has its own endpoints and events.
type Mode string

// The modes.
const (
	ModeTest Mode = "test"
	ModeLive Mode = "live"
)

// Owner is who an endpoint or event belongs to: a merchant in one mode.
type Owner struct {
	Merchant string
	Mode     Mode
}

// Validate reports ErrInvalidOwner for an owner no endpoint can have.
func (o Owner) Validate() error {
	if o.Merchant == "" || len(o.Merchant) > 64 || (o.Mode != ModeTest && o.Mode != ModeLive) {
		return fmt.Errorf("%w: merchant %q mode %q", ErrInvalidOwner, o.Merchant, o.Mode)
	}
	return nil
}

// Live reports whether o is live mode.
func (o Owner) Live() bool { return o.Mode == ModeLive }

// AllEvents, as an endpoint's only event type, subscribes it to every type.
const AllEvents = "*"

// EventTypes lists the event types an endpoint may select. Packages that
// record a new type add it here, so that a typo in a merchant's selection
// is refused instead of silently never matching.
var EventTypes = []string{
	"payment_intent.created",
	"payment_intent.amount_capturable_updated",
	"payment_intent.succeeded",
	"payment_intent.payment_failed",
	"payment_intent.canceled",
	"charge.succeeded",
	"charge.failed",
	"charge.refunded",
	"refund.created",
	"refund.updated",
	"checkout.session.completed",
	"checkout.session.expired",
	"dispute.created",
	"dispute.updated",
	"dispute.closed",
	"payout.paid",
	"payout.failed",
}

// KnownEventType reports whether t is in EventTypes.
func KnownEventType(t string) bool { return slices.Contains(EventTypes, t) }

// normalizeEvents validates a selection: AllEvents alone, or known types,
// sorted and without duplicates.
func normalizeEvents(in []string) ([]string, error) {
	var out []string
	for _, t := range in {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	switch {
	case len(out) == 0:
		return nil, fmt.Errorf("%w: select at least one type", ErrInvalidEvents)
	case slices.Contains(out, AllEvents):
		if len(out) > 1 {
			return nil, fmt.Errorf("%w: %q cannot be combined with other types", ErrInvalidEvents, AllEvents)
		}
		return out, nil
	}
	for _, t := range out {
		if !KnownEventType(t) {
			return nil, fmt.Errorf("%w: unknown type %q", ErrInvalidEvents, t)
		}
	}
	return out, nil
}

// Status is an endpoint's state.
type Status string

// Endpoint states: only enabled endpoints get new events.
const (
	Enabled  Status = "enabled"
	Disabled Status = "disabled"
)

// Endpoint is a URL a merchant receives events at.
type Endpoint struct {
	ID          string // we_...
	Owner       Owner
	URL         string
	Description string
	// Events are the subscribed types, sorted, or [AllEvents].
	Events []string
	Status Status
	// DisabledReason is DisabledFailing when deliveries disabled it, else
	// empty.
	DisabledReason string
	// FailingSince is the first failed attempt since the last success;
	// zero while the endpoint is healthy.
	FailingSince time.Time
	// Secret is the current signing secret, sealed.
	Secret []byte
	// PreviousSecret, sealed, also signs until PreviousUntil.
	PreviousSecret []byte
	PreviousUntil  time.Time
	// Version counts changes; UpdateEndpoint writes only over the version
	// it read.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DisabledFailing is the DisabledReason of an endpoint disabled because
// every attempt to it failed for Options.DisableAfter.
const DisabledFailing = "failing"

// Subscribed reports whether e wants events of type t.
func (e Endpoint) Subscribed(t string) bool {
	return slices.Contains(e.Events, AllEvents) || slices.Contains(e.Events, t)
}

// Rotating reports whether the previous secret still signs at now.
func (e Endpoint) Rotating(now time.Time) bool {
	return len(e.PreviousSecret) > 0 && now.Before(e.PreviousUntil)
}

// Event is something that happened to a merchant's object.
type Event struct {
	ID      string // evt_..., time-ordered
	Owner   Owner
	Type    string
	Created time.Time
	// Payload is the JSON delivered: {"id","object":"event","type",
	// "livemode","created","data":{"object":...}}.
	Payload []byte
}

// eventJSON is the delivered shape of an event.
type eventJSON struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Type     string `json:"type"`
	Livemode bool   `json:"livemode"`
	Created  int64  `json:"created"`
	Data     struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// NewEvent builds the event of type typ about object (marshalled to JSON
// as the API shows it, or given as json.RawMessage) for owner, happening
// at now. Errors: ErrInvalidOwner, ErrInvalidEvent.
func NewEvent(owner Owner, typ string, object any, now time.Time) (Event, error) {
	if err := owner.Validate(); err != nil {
		return Event{}, err
	}
	if !KnownEventType(typ) {
		return Event{}, fmt.Errorf("%w: unknown type %q (add it to webhook.EventTypes)", ErrInvalidEvent, typ)
	}
	raw, ok := object.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(object); err != nil {
			return Event{}, fmt.Errorf("%w: object: %w", ErrInvalidEvent, err)
		}
	}
	if !json.Valid(raw) || len(raw) == 0 || raw[0] != '{' {
		return Event{}, fmt.Errorf("%w: object is not a JSON object", ErrInvalidEvent)
	}
	ev := Event{ID: newID("evt_", now), Owner: owner, Type: typ, Created: now.UTC()}
	j := eventJSON{ID: ev.ID, Object: "event", Type: typ, Livemode: owner.Live(), Created: now.Unix()}
	j.Data.Object = raw
	p, err := json.Marshal(j)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	ev.Payload = p
	return ev, nil
}

// DeliveryStatus is where a delivery is.
type DeliveryStatus string

// Delivery states: pending (attempts to come), then succeeded or failed.
const (
	Pending   DeliveryStatus = "pending"
	Succeeded DeliveryStatus = "succeeded"
	Failed    DeliveryStatus = "failed"
)

// Delivery is the sending of one event to one endpoint, over one or more
// attempts.
type Delivery struct {
	ID         int64
	EventID    string
	EventType  string
	EndpointID string
	Owner      Owner
	Status     DeliveryStatus
	// Manual deliveries come from a resend: one attempt, no retries.
	Manual bool
	// Attempts made so far.
	Attempts int
	// NextAttemptAt is when the next attempt is due (pending only).
	NextAttemptAt time.Time
	// LastStatus is the HTTP status of the latest attempt (0: none or no
	// response); LastError says why it failed.
	LastStatus int
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Attempt is one POST of a delivery, as the log shows it.
type Attempt struct {
	DeliveryID int64
	// Number counts from 1 within the delivery.
	Number int
	At     time.Time
	URL    string
	// Signature is the OKPay-Signature header sent.
	Signature string
	// Status is the response's HTTP status, 0 when none came.
	Status int
	// Body is the start of the response body (MaxLoggedBody bytes).
	Body string
	// Error says why the attempt failed (connection refused, timeout,
	// status), empty when it succeeded.
	Error    string
	Duration time.Duration
}

// Succeeded reports whether the receiver accepted the attempt (2xx).
func (a Attempt) Succeeded() bool { return a.Error == "" && a.Status >= 200 && a.Status < 300 }

// idEncoding is Crockford's base32 in lower case: its alphabet is in ASCII
// order, so ids sort as their bytes do.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns prefix and 26 characters: 48 bits of milliseconds since
// the epoch at now, then 80 bits that are random for the first id of a
// millisecond and one more than the previous id's for the next ones, so
// ids minted later by one process sort later, and ids of different nodes
// do not collide.
func newID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("webhook: crypto/rand failed: " + err.Error()) // never on supported systems
	}
	idMu.Lock()
	if bytes.Equal(b[:6], lastID[:6]) {
		b = lastID
		for i := 15; i >= 6; i-- { // add one to the 80-bit tail
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	lastID = b
	idMu.Unlock()
	return prefix + idEncoding.EncodeToString(b[:])
}

var (
	idMu   sync.Mutex
	lastID [16]byte // the last id minted, for ordering within a millisecond
)
