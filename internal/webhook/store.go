package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// Store runs the webhook transactions; sqlstore implements it
// (DB.Webhooks).
type Store interface {
	// InTx runs fn in one read-write transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// View runs fn on a read-only view (writes through it fail).
	View(ctx context.Context, fn func(Tx) error) error
}

// DeliveryFilter selects deliveries for the log.
type DeliveryFilter struct {
	Owner      Owner
	EndpointID string // non-empty: this endpoint's
	EventID    string // non-empty: this event's
	Limit      int    // 0: 100
}

// Tx is the package's view of one transaction.
type Tx interface {
	RecordTx
	// InsertEndpoint stores e (Version 1). Errors: ErrConflict when the
	// id is taken.
	InsertEndpoint(ctx context.Context, e Endpoint) error
	// UpdateEndpoint writes every mutable field of e and Version+1, only
	// over the stored Version e.Version. Errors: ErrNotFound, ErrConflict.
	UpdateEndpoint(ctx context.Context, e Endpoint) error
	// Endpoint returns one endpoint, whatever its owner. Errors: ErrNotFound.
	Endpoint(ctx context.Context, id string) (Endpoint, error)
	// Endpoints lists an owner's endpoints, enabled or not, oldest first.
	Endpoints(ctx context.Context, owner Owner) ([]Endpoint, error)
	// Event returns one event, whatever its owner. Errors: ErrNotFound.
	Event(ctx context.Context, id string) (Event, error)
	// Events lists an owner's events, newest first.
	Events(ctx context.Context, owner Owner, limit int) ([]Event, error)
	// Delivery returns one delivery. Errors: ErrNotFound.
	Delivery(ctx context.Context, id int64) (Delivery, error)
	// Deliveries lists deliveries matching f, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// RecordAttempt logs a, and writes d's Status, Attempts,
	// NextAttemptAt, LastStatus, LastError and UpdatedAt, only when the
	// stored delivery is pending with Attempts a.Number-1 (so a job run
	// twice records once). Errors: ErrNotFound, ErrConflict.
	RecordAttempt(ctx context.Context, d Delivery, a Attempt) error
	// FailDelivery marks a pending delivery failed without an attempt
	// (its endpoint was disabled or deleted). Errors: ErrNotFound,
	// ErrConflict when it is not pending.
	FailDelivery(ctx context.Context, id int64, reason string, at time.Time) error
	// Attempts lists a delivery's attempts, first first.
	Attempts(ctx context.Context, deliveryID int64) ([]Attempt, error)
	// EndpointHealth records an attempt's outcome on its endpoint: a
	// success clears FailingSince, a failure sets it to at unless it is
	// set. It returns FailingSince as it now is (zero: healthy), without
	// changing the endpoint's Version (a merchant's concurrent edit must
	// not conflict with deliveries). Errors: ErrNotFound (on a failure).
	EndpointHealth(ctx context.Context, id string, ok bool, at time.Time) (time.Time, error)
	// DisableFailing disables an enabled endpoint with DisabledFailing
	// and reports whether it did (false: it was already disabled).
	DisableFailing(ctx context.Context, id string, at time.Time) (bool, error)
}

// RecordTx is the part of a transaction that records events: another
// store's transaction provides one (sqlstore's DB.WebhookTx) so that its
// change and the event commit together.
type RecordTx interface {
	// InsertEvent stores ev. Errors: ErrConflict when its id is taken.
	InsertEvent(ctx context.Context, ev Event) error
	// EnabledEndpoints lists the owner's enabled endpoints.
	EnabledEndpoints(ctx context.Context, owner Owner) ([]Endpoint, error)
	// InsertDelivery stores d (ID ignored) and returns its id.
	InsertDelivery(ctx context.Context, d Delivery) (int64, error)
	// EnqueueJobs enqueues js in the same transaction.
	// Errors: jobs.ErrInvalidJob.
	EnqueueJobs(ctx context.Context, js ...jobs.Job) error
}

// Recorder records an event inside the transaction it was obtained from.
// Domain code that changes a merchant's object asks its own transaction
// for one (the way it asks for an audit appender or the mail outbox):
//
//	ev, err := webhook.NewEvent(owner, "payment_intent.succeeded", pi, now)
//	...
//	err = tx.Events().Record(ctx, ev)
type Recorder interface {
	// Record stores ev and queues its delivery to every enabled endpoint
	// of ev.Owner subscribed to ev.Type, all in the transaction.
	// Errors: ErrInvalidEvent, ErrInvalidOwner, and the transaction's.
	Record(ctx context.Context, ev Event) error
}

// DeliverJob is the kind of the job that makes one delivery attempt;
// Service.Register registers its handler.
const DeliverJob = "webhook.deliver"

// jobAttempts bounds the runs of one attempt's job: its own failures
// (database unavailable) are retried by the runner, the receiver's by the
// delivery schedule.
const jobAttempts = 5

// DisabledNoticeJob is the kind of the job that tells the merchant an
// endpoint was disabled because its deliveries kept failing.
const DisabledNoticeJob = "webhook.disabled_notice"

type noticeArgs struct {
	Endpoint string `json:"endpoint"`
}

type deliverArgs struct {
	Delivery int64 `json:"delivery"`
	Attempt  int   `json:"attempt"`
}

// deliverJob is the job of attempt n of delivery id, due at at. Its unique
// key makes queueing the same attempt twice a no-op.
func deliverJob(id int64, n int, at time.Time) jobs.Job {
	args, _ := json.Marshal(deliverArgs{Delivery: id, Attempt: n}) // cannot fail
	return jobs.Job{
		Kind: DeliverJob, Args: args, RunAt: at, MaxAttempts: jobAttempts,
		UniqueKey: DeliverJob + ":" + strconv.FormatInt(id, 10) + ":" + strconv.Itoa(n),
	}
}

// Record stores ev through tx and queues a delivery (and its job, due at
// once) to every enabled endpoint of ev.Owner subscribed to ev.Type. Call
// it inside the transaction of the change the event tells of; build ev
// with NewEvent. Errors: ErrInvalidOwner, ErrInvalidEvent, and tx's.
func Record(ctx context.Context, tx RecordTx, ev Event) error {
	if err := ev.Owner.Validate(); err != nil {
		return err
	}
	if ev.ID == "" || !KnownEventType(ev.Type) || ev.Created.IsZero() || !json.Valid(ev.Payload) {
		return fmt.Errorf("%w: build events with webhook.NewEvent", ErrInvalidEvent)
	}
	if err := tx.InsertEvent(ctx, ev); err != nil {
		return fmt.Errorf("webhook: record %s: %w", ev.Type, err)
	}
	eps, err := tx.EnabledEndpoints(ctx, ev.Owner)
	if err != nil {
		return fmt.Errorf("webhook: record %s: %w", ev.Type, err)
	}
	for _, e := range eps {
		if !e.Subscribed(ev.Type) {
			continue
		}
		d := Delivery{EventID: ev.ID, EventType: ev.Type, EndpointID: e.ID, Owner: ev.Owner, Status: Pending,
			NextAttemptAt: ev.Created, CreatedAt: ev.Created, UpdatedAt: ev.Created}
		id, err := tx.InsertDelivery(ctx, d)
		if err != nil {
			return fmt.Errorf("webhook: record %s: %w", ev.Type, err)
		}
		if err := tx.EnqueueJobs(ctx, deliverJob(id, 1, ev.Created)); err != nil {
			return fmt.Errorf("webhook: record %s: %w", ev.Type, err)
		}
	}
	return nil
}
