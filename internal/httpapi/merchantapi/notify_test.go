package merchantapi_test

import (
	"context"
	"testing"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
)

// TestFormNotifyURL: an HTML form's session, once paid, is announced to
// the merchant's endpoint at its notify_url as a signed delivery of
// checkout.session.completed even when that endpoint chose other event
// types; a notify_url that is no registered endpoint gets nothing, and
// an endpoint already subscribed gets the event once.
func TestFormNotifyURL(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		m, _, _ := en.merchant()
		owner := webhook.Owner{Merchant: m.ID, Mode: webhook.ModeTest}
		notify, _, err := en.hooks.CreateEndpoint(ctx, owner, webhook.EndpointInput{URL: "http://127.0.0.1:9/notify",
			Events: []string{"payment_intent.canceled"}})
		if err != nil {
			t.Fatal(err)
		}
		all, _, err := en.hooks.CreateEndpoint(ctx, owner, webhook.EndpointInput{URL: "http://127.0.0.1:9/all", Events: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		pay := func(notifyURL string) {
			t.Helper()
			cs, err := en.svc.FormCheckout(ctx, merchant.FormRequest{Receiver: m.ID, Currency: "USD", ItemName: "Tea", Amount: "12.50",
				Invoice: "ORDER-1", ReturnURL: "https://shop.example/thanks", NotifyURL: notifyURL, Mode: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := en.svc.PaySessionCard(ctx, cs.ID, merchant.CardPayment{Card: en.testCard()}); err != nil {
				t.Fatal(err)
			}
		}
		completed := func(endpoint string) int {
			t.Helper()
			ds, err := en.hooks.Deliveries(ctx, owner, webhook.DeliveryFilter{EndpointID: endpoint})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, d := range ds {
				if d.EventType == merchant.EventSessionCompleted {
					n++
				}
			}
			return n
		}
		pay("http://127.0.0.1:9/notify")
		if got := completed(notify.ID); got != 1 {
			t.Errorf("the notify_url endpoint got %d completions, want 1", got)
		}
		pay("http://127.0.0.1:9/nobody")
		if got := completed(notify.ID); got != 1 {
			t.Errorf("after a session notifying an unregistered URL: %d, want still 1", got)
		}
		pay("http://127.0.0.1:9/all")
		if got := completed(all.ID); got != 3 {
			t.Errorf("the subscribed endpoint got %d completions, want 3 (one per session, none doubled)", got)
		}
	})
}
