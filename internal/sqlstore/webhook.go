package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/webhook"
)

// WebhookStore is the webhook endpoints, events, deliveries and their log
// (webhook_* tables, migration 0022); it implements webhook.Store.
type WebhookStore struct{ db *DB }

var (
	_ webhook.Store    = (*WebhookStore)(nil)
	_ webhook.Tx       = webhookTx{}
	_ webhook.RecordTx = webhookTx{}
)

// Webhooks returns the webhooks' store.
func (db *DB) Webhooks() *WebhookStore { return &WebhookStore{db} }

// InTx implements webhook.Store.
func (s *WebhookStore) InTx(ctx context.Context, fn func(webhook.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(webhookTx{q: tx, db: s.db}) })
}

// View implements webhook.Store.
func (s *WebhookStore) View(ctx context.Context, fn func(webhook.Tx) error) error {
	return fn(webhookTx{q: s.db.Read(), db: s.db})
}

// EventRecorder returns the webhook.Recorder that writes through q, normally
// another store's Tx: the event, its deliveries and their jobs commit or
// roll back with that store's change. A domain Tx exposes it the way it
// exposes Outbox(), e.g.
//
//	func (t merchantTx) Events() webhook.Recorder { return t.db.EventRecorder(t.q) }
func (db *DB) EventRecorder(q Querier) webhook.Recorder { return eventRecorder{q: q, db: db} }

type eventRecorder struct {
	q  Querier
	db *DB
}

func (r eventRecorder) Record(ctx context.Context, ev webhook.Event) error {
	return recordEvent(ctx, r.db, r.q, ev)
}

// recordEvent records ev in the transaction q, with its deliveries and
// their jobs: for sqlstore code that changes a merchant's object in q.
func recordEvent(ctx context.Context, db *DB, q Querier, ev webhook.Event) error {
	return webhook.Record(ctx, webhookTx{q: q, db: db}, ev)
}

type webhookTx struct {
	q  Querier
	db *DB
}

// EnqueueJobs implements webhook.RecordTx.
func (t webhookTx) EnqueueJobs(ctx context.Context, js ...jobs.Job) error {
	if len(js) == 0 {
		return nil
	}
	return EnqueueJobs(ctx, t.q, t.db.Now(), js...)
}

const endpointColumns = `id, merchant_id, mode, url, description, events, status, secret, previous_secret,
	previous_until, version, created_at, updated_at, disabled_reason, failing_since`

func scanEndpoint(r scanner) (webhook.Endpoint, error) {
	var (
		e                                    webhook.Endpoint
		mode, events, status                 string
		prevUntil, created, updated, failing int64
	)
	if err := r.Scan(&e.ID, &e.Owner.Merchant, &mode, &e.URL, &e.Description, &events, &status, &e.Secret,
		&e.PreviousSecret, &prevUntil, &e.Version, &created, &updated, &e.DisabledReason, &failing); err != nil {
		return webhook.Endpoint{}, err
	}
	e.Owner.Mode, e.Status, e.Events = webhook.Mode(mode), webhook.Status(status), splitList(events)
	e.PreviousUntil, e.CreatedAt, e.UpdatedAt = fromNanos(prevUntil), fromNanos(created), fromNanos(updated)
	e.FailingSince = fromNanos(failing)
	if len(e.PreviousSecret) == 0 {
		e.PreviousSecret = nil
	}
	return e, nil
}

// sealedOrNull stores an empty sealed secret as NULL.
func sealedOrNull(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// InsertEndpoint implements webhook.Tx.
func (t webhookTx) InsertEndpoint(ctx context.Context, e webhook.Endpoint) error {
	_, err := t.q.Exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		e.ID, e.Owner.Merchant, string(e.Owner.Mode), e.URL, e.Description, joinList(e.Events), string(e.Status),
		e.Secret, sealedOrNull(e.PreviousSecret), nanos(e.PreviousUntil), e.Version, nanos(e.CreatedAt), nanos(e.UpdatedAt),
		e.DisabledReason, nanos(e.FailingSince))
	if IsUniqueViolation(err) {
		return fmt.Errorf("sqlstore: insert endpoint %s: %w", e.ID, webhook.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: insert endpoint: %w", err)
	}
	return nil
}

// UpdateEndpoint implements webhook.Tx.
func (t webhookTx) UpdateEndpoint(ctx context.Context, e webhook.Endpoint) error {
	// failing_since is the deliveries' (EndpointHealth), never written here.
	n, err := t.q.Exec(ctx, `UPDATE webhook_endpoints SET url = $3, description = $4, events = $5, status = $6,
		secret = $7, previous_secret = $8, previous_until = $9, updated_at = $10, disabled_reason = $11, version = version + 1
		WHERE id = $1 AND version = $2`,
		e.ID, e.Version, e.URL, e.Description, joinList(e.Events), string(e.Status),
		e.Secret, sealedOrNull(e.PreviousSecret), nanos(e.PreviousUntil), nanos(e.UpdatedAt), e.DisabledReason)
	if err != nil {
		return fmt.Errorf("sqlstore: update endpoint %s: %w", e.ID, err)
	}
	if n == 1 {
		return nil
	}
	if _, err := t.Endpoint(ctx, e.ID); err != nil {
		return err
	}
	return fmt.Errorf("sqlstore: update endpoint %s: %w", e.ID, webhook.ErrConflict)
}

// Endpoint implements webhook.Tx.
func (t webhookTx) Endpoint(ctx context.Context, id string) (webhook.Endpoint, error) {
	e, err := scanEndpoint(t.q.QueryRow(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints WHERE id = $1", id))
	if errors.Is(err, ErrNoRows) {
		return webhook.Endpoint{}, fmt.Errorf("sqlstore: endpoint %s: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("sqlstore: endpoint %s: %w", id, err)
	}
	return e, nil
}

func (t webhookTx) endpoints(ctx context.Context, owner webhook.Owner, where string) ([]webhook.Endpoint, error) {
	rows, err := t.q.Query(ctx, "SELECT "+endpointColumns+` FROM webhook_endpoints
		WHERE merchant_id = $1 AND mode = $2`+where+` ORDER BY created_at, id`, owner.Merchant, string(owner.Mode))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: endpoints: %w", err)
	}
	defer rows.Close()
	var out []webhook.Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: endpoints: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Endpoints implements webhook.Tx.
func (t webhookTx) Endpoints(ctx context.Context, owner webhook.Owner) ([]webhook.Endpoint, error) {
	return t.endpoints(ctx, owner, "")
}

// EnabledEndpoints implements webhook.RecordTx.
func (t webhookTx) EnabledEndpoints(ctx context.Context, owner webhook.Owner) ([]webhook.Endpoint, error) {
	return t.endpoints(ctx, owner, " AND status = 'enabled'")
}

const eventColumns = `id, merchant_id, mode, type, payload, created_at`

func scanEvent(r scanner) (webhook.Event, error) {
	var (
		ev            webhook.Event
		mode, payload string
		created       int64
	)
	if err := r.Scan(&ev.ID, &ev.Owner.Merchant, &mode, &ev.Type, &payload, &created); err != nil {
		return webhook.Event{}, err
	}
	ev.Owner.Mode, ev.Payload, ev.Created = webhook.Mode(mode), []byte(payload), fromNanos(created)
	return ev, nil
}

// InsertEvent implements webhook.RecordTx.
func (t webhookTx) InsertEvent(ctx context.Context, ev webhook.Event) error {
	_, err := t.q.Exec(ctx, "INSERT INTO webhook_events ("+eventColumns+") VALUES ($1, $2, $3, $4, $5, $6)",
		ev.ID, ev.Owner.Merchant, string(ev.Owner.Mode), ev.Type, string(ev.Payload), nanos(ev.Created))
	if IsUniqueViolation(err) {
		return fmt.Errorf("sqlstore: insert event %s: %w", ev.ID, webhook.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: insert event: %w", err)
	}
	return nil
}

// Event implements webhook.Tx.
func (t webhookTx) Event(ctx context.Context, id string) (webhook.Event, error) {
	ev, err := scanEvent(t.q.QueryRow(ctx, "SELECT "+eventColumns+" FROM webhook_events WHERE id = $1", id))
	if errors.Is(err, ErrNoRows) {
		return webhook.Event{}, fmt.Errorf("sqlstore: event %s: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return webhook.Event{}, fmt.Errorf("sqlstore: event %s: %w", id, err)
	}
	return ev, nil
}

// Events implements webhook.Tx.
func (t webhookTx) Events(ctx context.Context, owner webhook.Owner, limit int) ([]webhook.Event, error) {
	rows, err := t.q.Query(ctx, "SELECT "+eventColumns+` FROM webhook_events
		WHERE merchant_id = $1 AND mode = $2 ORDER BY id DESC LIMIT $3`, owner.Merchant, string(owner.Mode), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: events: %w", err)
	}
	defer rows.Close()
	var out []webhook.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: events: %w", err)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

const deliveryColumns = `id, event_id, endpoint_id, merchant_id, mode, event_type, status, manual, attempts,
	next_attempt_at, last_status, last_error, created_at, updated_at`

func scanDelivery(r scanner) (webhook.Delivery, error) {
	var (
		d                      webhook.Delivery
		mode, status           string
		manual                 int64
		next, created, updated int64
	)
	if err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.Owner.Merchant, &mode, &d.EventType, &status, &manual,
		&d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &updated); err != nil {
		return webhook.Delivery{}, err
	}
	d.Owner.Mode, d.Status, d.Manual = webhook.Mode(mode), webhook.DeliveryStatus(status), manual != 0
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
	return d, nil
}

// InsertDelivery implements webhook.RecordTx.
func (t webhookTx) InsertDelivery(ctx context.Context, d webhook.Delivery) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, merchant_id, mode, event_type,
		status, manual, attempts, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		d.EventID, d.EndpointID, d.Owner.Merchant, string(d.Owner.Mode), d.EventType, string(d.Status), b2i(d.Manual),
		d.Attempts, nanos(d.NextAttemptAt), nanos(d.CreatedAt), nanos(d.UpdatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert delivery: %w", err)
	}
	return id, nil
}

// Delivery implements webhook.Tx.
func (t webhookTx) Delivery(ctx context.Context, id int64) (webhook.Delivery, error) {
	d, err := scanDelivery(t.q.QueryRow(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = $1", id))
	if errors.Is(err, ErrNoRows) {
		return webhook.Delivery{}, fmt.Errorf("sqlstore: delivery %d: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return webhook.Delivery{}, fmt.Errorf("sqlstore: delivery %d: %w", id, err)
	}
	return d, nil
}

// Deliveries implements webhook.Tx.
func (t webhookTx) Deliveries(ctx context.Context, f webhook.DeliveryFilter) ([]webhook.Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	where := []string{"merchant_id = $1", "mode = $2"}
	args := []any{f.Owner.Merchant, string(f.Owner.Mode), limit}
	if f.EndpointID != "" {
		args = append(args, f.EndpointID)
		where = append(where, fmt.Sprintf("endpoint_id = $%d", len(args)))
	}
	if f.EventID != "" {
		args = append(args, f.EventID)
		where = append(where, fmt.Sprintf("event_id = $%d", len(args)))
	}
	rows, err := t.q.Query(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE "+
		strings.Join(where, " AND ")+" ORDER BY id DESC LIMIT $3", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: deliveries: %w", err)
	}
	defer rows.Close()
	var out []webhook.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RecordAttempt implements webhook.Tx.
func (t webhookTx) RecordAttempt(ctx context.Context, d webhook.Delivery, a webhook.Attempt) error {
	n, err := t.q.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4,
		last_status = $5, last_error = $6, updated_at = $7
		WHERE id = $1 AND status = 'pending' AND attempts = $8`,
		d.ID, string(d.Status), a.Number, nanos(d.NextAttemptAt), d.LastStatus, d.LastError, nanos(d.UpdatedAt), a.Number-1)
	if err != nil {
		return fmt.Errorf("sqlstore: record attempt %d of delivery %d: %w", a.Number, d.ID, err)
	}
	if n != 1 {
		if _, err := t.Delivery(ctx, d.ID); err != nil {
			return err
		}
		return fmt.Errorf("sqlstore: record attempt %d of delivery %d: %w", a.Number, d.ID, webhook.ErrConflict)
	}
	if _, err := t.q.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, number, at, url, signature, status, body, error, duration)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.ID, a.Number, nanos(a.At), a.URL, a.Signature, a.Status, a.Body, a.Error, int64(a.Duration)); err != nil {
		return fmt.Errorf("sqlstore: record attempt %d of delivery %d: %w", a.Number, d.ID, err)
	}
	return nil
}

// FailDelivery implements webhook.Tx.
func (t webhookTx) FailDelivery(ctx context.Context, id int64, reason string, at time.Time) error {
	n, err := t.q.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_error = $2, next_attempt_at = 0, updated_at = $3
		WHERE id = $1 AND status = 'pending'`, id, reason, nanos(at))
	if err != nil {
		return fmt.Errorf("sqlstore: fail delivery %d: %w", id, err)
	}
	if n != 1 {
		if _, err := t.Delivery(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("sqlstore: fail delivery %d: %w", id, webhook.ErrConflict)
	}
	return nil
}

// Attempts implements webhook.Tx.
func (t webhookTx) Attempts(ctx context.Context, deliveryID int64) ([]webhook.Attempt, error) {
	rows, err := t.q.Query(ctx, `SELECT delivery_id, number, at, url, signature, status, body, error, duration
		FROM webhook_attempts WHERE delivery_id = $1 ORDER BY number`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: attempts of delivery %d: %w", deliveryID, err)
	}
	defer rows.Close()
	var out []webhook.Attempt
	for rows.Next() {
		var (
			a      webhook.Attempt
			at, ns int64
		)
		if err := rows.Scan(&a.DeliveryID, &a.Number, &at, &a.URL, &a.Signature, &a.Status, &a.Body, &a.Error, &ns); err != nil {
			return nil, fmt.Errorf("sqlstore: attempts of delivery %d: %w", deliveryID, err)
		}
		a.At, a.Duration = fromNanos(at), time.Duration(ns)
		out = append(out, a)
	}
	return out, rows.Err()
}

// EndpointHealth implements webhook.Tx.
func (t webhookTx) EndpointHealth(ctx context.Context, id string, ok bool, at time.Time) (time.Time, error) {
	if ok {
		// Written only when it changes: most attempts succeed.
		if _, err := t.q.Exec(ctx, "UPDATE webhook_endpoints SET failing_since = 0 WHERE id = $1 AND failing_since <> 0", id); err != nil {
			return time.Time{}, fmt.Errorf("sqlstore: endpoint health %s: %w", id, err)
		}
		return time.Time{}, nil
	}
	var since int64
	err := t.q.QueryRow(ctx, `UPDATE webhook_endpoints SET failing_since = CASE WHEN failing_since = 0 THEN $2 ELSE failing_since END
		WHERE id = $1 RETURNING failing_since`, id, nanos(at)).Scan(&since)
	if errors.Is(err, ErrNoRows) {
		return time.Time{}, fmt.Errorf("sqlstore: endpoint health %s: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlstore: endpoint health %s: %w", id, err)
	}
	return fromNanos(since), nil
}

// DisableFailing implements webhook.Tx.
func (t webhookTx) DisableFailing(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'failing',
		updated_at = $2, version = version + 1
		WHERE id = $1 AND status = 'enabled'`, id, nanos(at))
	if err != nil {
		return false, fmt.Errorf("sqlstore: disable endpoint %s: %w", id, err)
	}
	return n == 1, nil
}
