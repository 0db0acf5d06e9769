package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/webhook"
)

// MerchantEvents returns the merchant service's events sink that writes
// each event, with its webhook deliveries and their jobs, in the merchant
// store's own transaction (merchant.Service.SetEvents): a payment, session
// or refund change and its event commit together, and deliveries start
// after the commit. A form session's completion also goes to the
// merchant's endpoint at its notify_url. The event's object is the API
// view of the payment, session or refund as it is after the change (a
// session's url made absolute with baseURL, as the API shows it).
func (db *DB) MerchantEvents(baseURL string) merchant.Events {
	return merchantEvents{db: db, base: strings.TrimRight(baseURL, "/")}
}

type merchantEvents struct {
	db   *DB
	base string
}

func (m merchantEvents) Record(ctx context.Context, tx merchant.Tx, e merchant.Event) error {
	mt, ok := tx.(MerchantTx)
	if !ok {
		return fmt.Errorf("sqlstore: merchant event %s: not a sqlstore merchant transaction (%T)", e.Type, tx)
	}
	mode := webhook.ModeTest
	if e.Livemode {
		mode = webhook.ModeLive
	}
	view := e.View()
	if v, ok := view.(merchant.SessionView); ok {
		v.URL = m.base + v.URL
		view = v
	}
	ev, err := webhook.NewEvent(webhook.Owner{Merchant: e.MerchantID, Mode: mode}, e.Type, view, e.Created)
	if err != nil {
		return err
	}
	if err := recordEvent(ctx, m.db, mt.Querier(), ev); err != nil {
		return err
	}
	// The HTML form's notify_url hears of the payment through the
	// merchant's endpoint at that URL (see webhook.DeliverTo).
	if cs, ok := e.Object.(merchant.Session); ok && cs.NotifyURL != "" && e.Type == merchant.EventSessionCompleted {
		if _, err := webhook.DeliverTo(ctx, webhookTx{q: mt.Querier(), db: m.db}, ev, cs.NotifyURL); err != nil {
			return err
		}
	}
	return nil
}
