package webhook

import (
	"context"
	"fmt"
)

// DeliverTo queues a delivery of ev, already recorded with Record in the
// same transaction, to the owner's enabled endpoint whose URL is url,
// when that endpoint is not subscribed to ev's type (Record queued the
// subscribed ones). It reports whether such an endpoint exists.
//
// It serves the no-code HTML form's notify_url: the notification is an
// ordinary signed delivery to an endpoint the merchant registered (so the
// shop holds its secret), retried and logged like any other. A notify_url
// that is no registered endpoint gets nothing: a form can be posted by
// anyone, and OKPay does not send to addresses a merchant never vouched
// for.
func DeliverTo(ctx context.Context, tx RecordTx, ev Event, url string) (bool, error) {
	if url == "" {
		return false, nil
	}
	eps, err := tx.EnabledEndpoints(ctx, ev.Owner)
	if err != nil {
		return false, fmt.Errorf("webhook: deliver %s to %s: %w", ev.Type, url, err)
	}
	for _, e := range eps {
		if e.URL != url {
			continue
		}
		if e.Subscribed(ev.Type) {
			return true, nil
		}
		d := Delivery{EventID: ev.ID, EventType: ev.Type, EndpointID: e.ID, Owner: ev.Owner, Status: Pending,
			NextAttemptAt: ev.Created, CreatedAt: ev.Created, UpdatedAt: ev.Created}
		id, err := tx.InsertDelivery(ctx, d)
		if err != nil {
			return false, fmt.Errorf("webhook: deliver %s to %s: %w", ev.Type, url, err)
		}
		if err := tx.EnqueueJobs(ctx, deliverJob(id, 1, ev.Created)); err != nil {
			return false, fmt.Errorf("webhook: deliver %s to %s: %w", ev.Type, url, err)
		}
		return true, nil
	}
	return false, nil
}
