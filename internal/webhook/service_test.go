package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
)

func TestEndpointsBelongToTheirOwner(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, _ := v.endpoint(shop, "/hook", webhook.AllEvents)
		v.rcv.answer(http.StatusInternalServerError, false)
		ev := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_1"}, false)
		v.settle()
		d, _ := v.delivery(shop, ev, ep)

		for _, other := range []webhook.Owner{{Merchant: "mch_other", Mode: webhook.ModeTest}, {Merchant: shop.Merchant, Mode: webhook.ModeLive}} {
			if _, err := v.svc.Endpoint(v.ctx, other, ep.ID); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v reads the endpoint: %v", other, err)
			}
			if _, err := v.svc.Disable(v.ctx, other, ep.ID); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v disables the endpoint: %v", other, err)
			}
			if _, _, err := v.svc.RotateSecret(v.ctx, other, ep.ID, -1); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v rotates the secret: %v", other, err)
			}
			if _, err := v.svc.UpdateEndpoint(v.ctx, other, ep.ID, webhook.EndpointUpdate{Events: []string{"*"}}); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v updates the endpoint: %v", other, err)
			}
			if _, _, err := v.svc.Delivery(v.ctx, other, d.ID); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v reads the delivery: %v", other, err)
			}
			if _, err := v.svc.Resend(v.ctx, other, d.ID); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v resends the delivery: %v", other, err)
			}
			if _, err := v.svc.Event(v.ctx, other, ev.ID); !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%v reads the event: %v", other, err)
			}
			if ds, _ := v.svc.Deliveries(v.ctx, other, webhook.DeliveryFilter{}); len(ds) != 0 {
				t.Errorf("%v lists %d deliveries", other, len(ds))
			}
			if eps, _ := v.svc.Endpoints(v.ctx, other); len(eps) != 0 {
				t.Errorf("%v lists %d endpoints", other, len(eps))
			}
		}
		if got, err := v.svc.Event(v.ctx, shop, ev.ID); err != nil || string(got.Payload) != string(ev.Payload) {
			t.Errorf("owner reads the event: %v", err)
		}
		if evs, _ := v.svc.Events(v.ctx, shop, 0); len(evs) != 1 || evs[0].ID != ev.ID {
			t.Errorf("owner's events: %+v", evs)
		}
	})
}

func TestDisabledEndpoint(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, secret := v.endpoint(shop, "/hook", webhook.AllEvents)
		v.rcv.answer(http.StatusInternalServerError, false)
		ev := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_1"}, false)
		v.settle()
		if _, err := v.svc.Disable(v.ctx, shop, ep.ID); err != nil {
			t.Fatal(err)
		}
		v.rcv.answer(http.StatusOK, false)
		v.advance(start.Add(4 * 24 * time.Hour))
		d, log := v.delivery(shop, ev, ep)
		if d.Status != webhook.Failed || d.LastError != "endpoint disabled" || len(log) != 1 {
			t.Errorf("pending delivery of a disabled endpoint: %+v after %d attempts, want failed after 1", d, len(log))
		}
		if n := len(v.rcv.requests()); n != 1 {
			t.Errorf("the receiver got %d requests, want the 1 made before it was disabled", n)
		}
		if _, err := v.svc.Resend(v.ctx, shop, d.ID); !errors.Is(err, webhook.ErrDisabled) {
			t.Errorf("resend to a disabled endpoint: %v, want ErrDisabled", err)
		}
		// Enabled again, it gets new events, not the ones it missed.
		if _, err := v.svc.Enable(v.ctx, shop, ep.ID); err != nil {
			t.Fatal(err)
		}
		ev2 := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_2"}, false)
		v.settle()
		if got := ids(v.rcv.verified(t, "/hook", secret)); len(got) != 2 || got[1] != ev2.ID {
			t.Errorf("after enabling: received %v", got)
		}
	})
}

func TestEndpointValidation(t *testing.T) {
	db := sqltest.NewDB(t, sqlstore.SQLite, "webhook", func() time.Time { return start })
	svc, err := webhook.New(webhook.Options{Store: db.Webhooks(), Box: mustBox(t), Now: func() time.Time { return start },
		AllowPrivateNetworks: true, MaxEndpoints: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, tt := range []struct {
		name  string
		owner webhook.Owner
		in    webhook.EndpointInput
		want  error
	}{
		{"no merchant", webhook.Owner{Mode: webhook.ModeTest}, webhook.EndpointInput{URL: "http://127.0.0.1/", Events: []string{"*"}}, webhook.ErrInvalidOwner},
		{"bad mode", webhook.Owner{Merchant: "m", Mode: "prod"}, webhook.EndpointInput{URL: "http://127.0.0.1/", Events: []string{"*"}}, webhook.ErrInvalidOwner},
		{"no events", shop, webhook.EndpointInput{URL: "http://127.0.0.1/"}, webhook.ErrInvalidEvents},
		{"unknown event", shop, webhook.EndpointInput{URL: "http://127.0.0.1/", Events: []string{"payment_intent.succeded"}}, webhook.ErrInvalidEvents},
		{"star with others", shop, webhook.EndpointInput{URL: "http://127.0.0.1/", Events: []string{"*", "charge.refunded"}}, webhook.ErrInvalidEvents},
		{"long description", shop, webhook.EndpointInput{URL: "http://127.0.0.1/", Events: []string{"*"}, Description: strings.Repeat("描", 201)}, webhook.ErrInvalidDescription},
		{"bad url", shop, webhook.EndpointInput{URL: "javascript:alert(1)", Events: []string{"*"}}, webhook.ErrInvalidURL},
	} {
		if _, _, err := svc.CreateEndpoint(ctx, tt.owner, tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	e, secret, err := svc.CreateEndpoint(ctx, shop, webhook.EndpointInput{URL: "http://127.0.0.1/a", Description: " 商城 ",
		Events: []string{"dispute.created", " charge.refunded", "dispute.created"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Events, []string{"charge.refunded", "dispute.created"}) || e.Description != "商城" || e.Status != webhook.Enabled {
		t.Errorf("endpoint = %+v", e)
	}
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 || strings.Contains(string(e.Secret), secret) {
		t.Errorf("secret %q, stored %x: want a whsec_ secret stored sealed", secret, e.Secret)
	}
	if _, _, err := svc.CreateEndpoint(ctx, shop, webhook.EndpointInput{URL: "http://127.0.0.1/b", Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateEndpoint(ctx, shop, webhook.EndpointInput{URL: "http://127.0.0.1/c", Events: []string{"*"}}); !errors.Is(err, webhook.ErrTooManyEndpoints) {
		t.Errorf("third endpoint with a cap of 2: %v", err)
	}
	if eps, _ := svc.Endpoints(ctx, shop); len(eps) != 2 {
		t.Errorf("%d endpoints stored, want 2", len(eps))
	}
	if _, err := svc.UpdateEndpoint(ctx, shop, "we_missing", webhook.EndpointUpdate{Events: []string{"*"}}); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("update of a missing endpoint: %v", err)
	}
}

func TestNewEvent(t *testing.T) {
	live := webhook.Owner{Merchant: "mch_shop", Mode: webhook.ModeLive}
	a, err := webhook.NewEvent(live, "checkout.session.completed", json.RawMessage(`{"id":"cs_1","object":"checkout.session"}`), start)
	if err != nil {
		t.Fatal(err)
	}
	b, err := webhook.NewEvent(live, "checkout.session.completed", map[string]string{"id": "cs_2"}, start.Add(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "evt_") || len(a.ID) != 30 || a.ID >= b.ID {
		t.Errorf("ids %s, %s: want evt_ ids ordered by time", a.ID, b.ID)
	}
	// Within one millisecond too, in the order minted.
	prev := ""
	for i := range 1000 {
		ev, err := webhook.NewEvent(live, "charge.refunded", map[string]int{"n": i}, start)
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID <= prev || ev.ID[:13] != a.ID[:13] {
			t.Fatalf("id %d %s after %s: want ordered, same millisecond prefix as %s", i, ev.ID, prev, a.ID)
		}
		prev = ev.ID
	}
	want := `{"id":"` + a.ID + `","object":"event","type":"checkout.session.completed","livemode":true,"created":` +
		strconv.FormatInt(start.Unix(), 10) + `,"data":{"object":{"id":"cs_1","object":"checkout.session"}}}`
	if string(a.Payload) != want {
		t.Errorf("payload\n got %s\nwant %s", a.Payload, want)
	}
	for _, tt := range []struct {
		typ string
		obj any
	}{
		{"payment_intent.exploded", map[string]string{}},
		{"charge.refunded", json.RawMessage(`[1]`)},
		{"charge.refunded", json.RawMessage(`{`)},
		{"charge.refunded", make(chan int)},
	} {
		if _, err := webhook.NewEvent(live, tt.typ, tt.obj, start); !errors.Is(err, webhook.ErrInvalidEvent) {
			t.Errorf("NewEvent(%s, %v) = %v, want ErrInvalidEvent", tt.typ, tt.obj, err)
		}
	}
	if _, err := webhook.NewEvent(webhook.Owner{}, "charge.refunded", map[string]string{}, start); !errors.Is(err, webhook.ErrInvalidOwner) {
		t.Errorf("NewEvent without an owner: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	base := []time.Duration{time.Minute, 3 * time.Minute, 9 * time.Minute, 27 * time.Minute, 81 * time.Minute, 243 * time.Minute, 12 * time.Hour, 12 * time.Hour}
	for i, b := range base {
		for range 50 {
			if d := webhook.Backoff(i + 1); d < b || d > b+b/5 {
				t.Fatalf("Backoff(%d) = %s, want %s plus up to a fifth", i+1, d, b)
			}
		}
	}
	if d := webhook.Backoff(1000); d < 12*time.Hour || d > 12*time.Hour+12*time.Hour/5 {
		t.Errorf("Backoff(1000) = %s, want capped at 12h", d)
	}
}

// notices records the endpoints the merchant was told were disabled.
type notices struct {
	mu  sync.Mutex
	got []webhook.Endpoint
}

func (n *notices) EndpointDisabled(_ context.Context, e webhook.Endpoint) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, e)
	return nil
}

func (n *notices) list() []webhook.Endpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// TestEndpointDisabledAfterFailingForDays: a shop's endpoint that fails
// every attempt for five days is disabled and the merchant told once; a
// success in between starts the count again; enabled again, it is
// healthy and gets new events.
func TestEndpointDisabledAfterFailingForDays(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		told := &notices{}
		v := newEnv(t, e, func(o *webhook.Options) { o.Notifier = told })
		ep, secret := v.endpoint(shop, "/hook", webhook.AllEvents)
		day := 24 * time.Hour
		v.rcv.answer(http.StatusInternalServerError, false)
		for i := range 3 {
			v.advance(start.Add(time.Duration(i) * day))
			v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_" + strconv.Itoa(i)}, false)
		}
		v.advance(start.Add(3 * day))
		// One success on day 3 resets the count.
		v.rcv.answer(http.StatusOK, false)
		v.record(shop, "charge.refunded", paymentIntent{ID: "ch_ok"}, false)
		v.settle()
		if got, _ := v.svc.Endpoint(v.ctx, shop, ep.ID); !got.FailingSince.IsZero() {
			t.Errorf("after a success, failing since %s", got.FailingSince)
		}
		v.rcv.answer(http.StatusInternalServerError, false)
		for i := 4; i <= 8; i++ {
			v.advance(start.Add(time.Duration(i) * day))
			v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_" + strconv.Itoa(i)}, false)
		}
		v.settle()
		got, _ := v.svc.Endpoint(v.ctx, shop, ep.ID)
		// Retries of the first events kept failing after the success, so
		// the count restarted during day 3.
		if got.Status != webhook.Enabled || len(told.list()) != 0 || !got.FailingSince.After(start.Add(3*day)) || got.FailingSince.After(start.Add(4*day)) {
			t.Fatalf("on day 8: %s, failing since %s, %d notices; want enabled, failing since day 3", got.Status, got.FailingSince, len(told.list()))
		}
		v.advance(start.Add(10 * day))
		got, _ = v.svc.Endpoint(v.ctx, shop, ep.ID)
		if got.Status != webhook.Disabled || got.DisabledReason != webhook.DisabledFailing || got.UpdatedAt.Sub(got.FailingSince) < 5*day {
			t.Fatalf("on day 10: %s (%q) at %s, failing since %s; want disabled after 5 days of failures", got.Status, got.DisabledReason, got.UpdatedAt, got.FailingSince)
		}
		if n := told.list(); len(n) != 1 || n[0].ID != ep.ID || n[0].DisabledReason != webhook.DisabledFailing {
			t.Errorf("notices: %+v, want one for %s", n, ep.ID)
		}
		sent := len(v.rcv.requests())
		v.advance(start.Add(14 * day))
		if n := len(v.rcv.requests()); n != sent {
			t.Errorf("%d requests to the disabled endpoint", n-sent)
		}
		ds, _ := v.svc.Deliveries(v.ctx, shop, webhook.DeliveryFilter{EndpointID: ep.ID})
		for _, d := range ds {
			if d.Status == webhook.Pending {
				t.Errorf("delivery %d still pending on a disabled endpoint", d.ID)
			}
		}

		// The shop is fixed; the merchant enables the endpoint again.
		got, err := v.svc.Enable(v.ctx, shop, ep.ID)
		if err != nil || got.Status != webhook.Enabled || got.DisabledReason != "" || !got.FailingSince.IsZero() {
			t.Fatalf("enable: %+v, %v", got, err)
		}
		v.rcv.answer(http.StatusOK, false)
		ev := v.record(shop, "dispute.created", paymentIntent{ID: "dp_1"}, false)
		v.settle()
		if all := v.rcv.verified(t, "/hook", secret); all[len(all)-1].ID != ev.ID {
			t.Errorf("after enabling, the last event received is %s, want %s", all[len(all)-1].ID, ev.ID)
		}
		if len(told.list()) != 1 {
			t.Errorf("%d notices, want still 1", len(told.list()))
		}
	})
}
