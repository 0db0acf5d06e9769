package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
	okwebhook "github.com/okpay/okpay/pkg/okpay/webhook"
)

type paymentIntent struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
}

func TestRecordedInTransaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, secret := v.endpoint(shop, "/hook", webhook.AllEvents)

		rolled := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_rolled"}, true)
		v.advance(start.Add(time.Hour))
		if got := v.rcv.requests(); len(got) != 0 {
			t.Fatalf("a rolled-back event was sent: %d requests", len(got))
		}
		if _, err := v.svc.Event(v.ctx, shop, rolled.ID); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("rolled-back event: %v, want ErrNotFound", err)
		}
		if ds, _ := v.svc.Deliveries(v.ctx, shop, webhook.DeliveryFilter{}); len(ds) != 0 {
			t.Errorf("rolled-back event left %d deliveries", len(ds))
		}

		pi := paymentIntent{ID: "pi_1", Object: "payment_intent", Amount: 1250, Currency: "cny", Status: "succeeded"}
		ev := v.record(shop, "payment_intent.succeeded", pi, false)
		v.advance(start.Add(26 * time.Hour))
		got := v.rcv.verified(t, "/hook", secret)
		if len(got) != 1 {
			t.Fatalf("committed event delivered %d times, want once", len(got))
		}
		if g := got[0]; g.ID != ev.ID || !strings.HasPrefix(g.ID, "evt_") || g.Object != "event" || g.Type != "payment_intent.succeeded" ||
			g.Livemode || g.Created != start.Add(time.Hour).Unix() {
			t.Errorf("delivered event = %+v", g)
		}
		var gotPI paymentIntent
		if err := json.Unmarshal(got[0].Data.Object, &gotPI); err != nil || gotPI != pi {
			t.Errorf("data.object = %s (%v), want %+v", got[0].Data.Object, err, pi)
		}
		req := v.rcv.requests()[0]
		if ct := req.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if n := strings.Count(req.header.Get(okwebhook.SignatureHeader), "v1="); n != 1 {
			t.Errorf("signature header %q has %d v1 values, want 1 outside a rotation", req.header.Get(okwebhook.SignatureHeader), n)
		}

		d, log := v.delivery(shop, ev, ep)
		if d.Status != webhook.Succeeded || d.Attempts != 1 || d.LastStatus != 200 || d.Manual {
			t.Errorf("delivery = %+v, want succeeded after 1 attempt", d)
		}
		if len(log) != 1 || log[0].Number != 1 || log[0].Status != 200 || log[0].Body != "OK from the shop" ||
			log[0].Error != "" || log[0].URL != ep.URL || log[0].Signature != req.header.Get(okwebhook.SignatureHeader) {
			t.Errorf("log = %+v", log)
		}
	})
}

func TestRetriesWithGrowingBackoff(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, secret := v.endpoint(shop, "/hook", "payment_intent.succeeded")
		v.rcv.answer(http.StatusInternalServerError, false)
		ev := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_2"}, false)
		v.settle() // attempt 1: 500

		d, _ := v.delivery(shop, ev, ep)
		v.advance(d.NextAttemptAt) // attempt 2: 500
		v.rcv.answer(0, true)
		d, _ = v.delivery(shop, ev, ep)
		v.advance(d.NextAttemptAt) // attempt 3: no answer within the timeout
		v.rcv.answer(http.StatusInternalServerError, false)
		d, _ = v.delivery(shop, ev, ep)
		v.advance(d.NextAttemptAt) // attempt 4: 500
		v.rcv.answer(http.StatusOK, false)
		v.rcv.mu.Lock()
		v.rcv.slow = 1500 * time.Millisecond
		v.rcv.mu.Unlock()
		v.advance(start.Add(24 * time.Hour)) // attempt 5: 200, taking 1.5 s

		d, log := v.delivery(shop, ev, ep)
		if d.Status != webhook.Succeeded || d.Attempts != 5 {
			t.Fatalf("delivery = %+v, want succeeded on attempt 5", d)
		}
		var statuses []int
		var errs []string
		for _, a := range log {
			statuses = append(statuses, a.Status)
			errs = append(errs, a.Error)
		}
		if diff := cmp.Diff([]int{500, 500, 0, 500, 200}, statuses); diff != "" {
			t.Errorf("attempt statuses (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"HTTP 500", "HTTP 500", "timeout", "HTTP 500", ""}, errs); diff != "" {
			t.Errorf("attempt errors (-want +got):\n%s", diff)
		}
		if log[0].Body != "Internal Server Error from the shop" {
			t.Errorf("logged body = %q", log[0].Body)
		}
		if log[4].Duration != 1500*time.Millisecond {
			t.Errorf("attempt 5 took %s, want the 1.5 s the shop took", log[4].Duration)
		}
		for i := 2; i < len(log); i++ {
			prev, gap := log[i-1].At.Sub(log[i-2].At), log[i].At.Sub(log[i-1].At)
			if gap <= prev {
				t.Errorf("wait before attempt %d is %s, not longer than the %s before attempt %d", i+1, gap, prev, i)
			}
		}
		if first := log[1].At.Sub(log[0].At); first < time.Minute || first > 72*time.Second {
			t.Errorf("first retry after %s, want 1m plus up to a fifth", first)
		}
		// Every attempt was signed at its own time and verifies then.
		if got := v.rcv.verified(t, "/hook", secret); len(got) != 5 || got[0].ID != ev.ID || got[4].ID != ev.ID {
			t.Errorf("receiver verified %v, want %s five times", ids(got), ev.ID)
		}
	})
}

// TestReceiverDownForADay: a shop's server is down for a day while events
// keep happening; once it is back every event reaches it, each verified.
func TestReceiverDownForADay(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, secret := v.endpoint(shop, "/hook", webhook.AllEvents)
		v.rcv.answer(http.StatusServiceUnavailable, false)
		var want []string
		for i := range 6 {
			v.advance(start.Add(time.Duration(i) * 4 * time.Hour))
			ev := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_" + string(rune('a'+i))}, false)
			want = append(want, ev.ID)
		}
		v.advance(start.Add(24 * time.Hour))
		if got := v.rcv.verified(t, "/hook", secret); len(got) == 0 {
			t.Fatal("no attempt reached the receiver while it was down")
		}
		before := len(v.rcv.requests())
		v.rcv.answer(http.StatusOK, false)
		v.advance(start.Add(48 * time.Hour))

		var accepted []string
		for _, q := range v.rcv.requests()[before:] {
			ev, err := okwebhook.Verify(q.body, q.header.Get(okwebhook.SignatureHeader), []string{secret}, time.Minute, q.at)
			if err != nil {
				t.Fatalf("delivery after recovery does not verify: %v", err)
			}
			accepted = append(accepted, ev.ID)
		}
		slices.Sort(accepted)
		if diff := cmp.Diff(want, accepted); diff != "" {
			t.Errorf("events received after recovery, each once (-want +got):\n%s", diff)
		}
		ds, err := v.svc.Deliveries(v.ctx, shop, webhook.DeliveryFilter{EndpointID: ep.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status != webhook.Succeeded || d.Attempts < 2 {
				t.Errorf("delivery %d of %s: %s after %d attempts", d.ID, d.EventID, d.Status, d.Attempts)
			}
		}
	})
}

func TestFailedAfterThreeDaysThenResent(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, secret := v.endpoint(shop, "/hook", "charge.refunded")
		v.rcv.answer(http.StatusBadGateway, false)
		ev := v.record(shop, "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "amount_refunded": 500}, false)
		v.advance(start.Add(71 * time.Hour))
		d, _ := v.delivery(shop, ev, ep)
		if d.Status != webhook.Pending {
			t.Fatalf("after 71 hours the delivery is %s, want still pending", d.Status)
		}
		v.advance(start.Add(5 * 24 * time.Hour))
		d, log := v.delivery(shop, ev, ep)
		if d.Status != webhook.Failed || d.LastError != "HTTP 502" {
			t.Fatalf("after 5 days: %+v, want failed with HTTP 502", d)
		}
		if len(log) < 10 || len(log) > 20 || d.Attempts != len(log) {
			t.Errorf("%d attempts logged (delivery says %d), want 10 to 20 over three days", len(log), d.Attempts)
		}
		last := log[len(log)-1].At
		if deadline := start.Add(72 * time.Hour); last.Before(deadline) || last.After(deadline.Add(time.Minute)) {
			t.Errorf("last attempt at %s, want at the 3-day deadline %s", last, deadline)
		}
		sent := len(v.rcv.requests())
		v.advance(start.Add(10 * 24 * time.Hour))
		if n := len(v.rcv.requests()); n != sent {
			t.Errorf("%d more requests after the delivery failed", n-sent)
		}

		// The shop fixed its server; the merchant resends from the log.
		v.rcv.answer(http.StatusOK, false)
		nd, err := v.svc.Resend(v.ctx, shop, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		v.settle()
		nd, log, err = v.svc.Delivery(v.ctx, shop, nd.ID)
		if err != nil {
			t.Fatal(err)
		}
		if nd.Status != webhook.Succeeded || !nd.Manual || nd.EventID != ev.ID || len(log) != 1 {
			t.Errorf("resent delivery = %+v with %d attempts", nd, len(log))
		}
		reqs := v.rcv.requests()
		if string(reqs[len(reqs)-1].body) != string(ev.Payload) {
			t.Errorf("resend body differs from the event")
		}
		if got := v.rcv.verified(t, "/hook", secret); got[len(got)-1].ID != ev.ID {
			t.Errorf("resent event %s, want %s", got[len(got)-1].ID, ev.ID)
		}

		// A resend that fails is not retried.
		v.rcv.answer(http.StatusInternalServerError, false)
		nd, err = v.svc.Resend(v.ctx, shop, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		v.advance(start.Add(12 * 24 * time.Hour))
		if nd, log, _ = v.svc.Delivery(v.ctx, shop, nd.ID); nd.Status != webhook.Failed || len(log) != 1 {
			t.Errorf("failed resend = %+v after %d attempts, want failed after 1", nd, len(log))
		}
	})
}

func TestEventTypeFiltering(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		live := webhook.Owner{Merchant: shop.Merchant, Mode: webhook.ModeLive}
		other := webhook.Owner{Merchant: "mch_other", Mode: webhook.ModeTest}
		payEP, sPay := v.endpoint(shop, "/payments", "payment_intent.succeeded", "checkout.session.completed")
		_, sAll := v.endpoint(shop, "/all", webhook.AllEvents)
		off, sOff := v.endpoint(shop, "/off", webhook.AllEvents)
		_, sLive := v.endpoint(live, "/live", webhook.AllEvents)
		_, sOther := v.endpoint(other, "/other", webhook.AllEvents)
		if _, err := v.svc.Disable(v.ctx, shop, off.ID); err != nil {
			t.Fatal(err)
		}

		pay := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_1"}, false)
		v.clk.Add(time.Second)
		refund := v.record(shop, "charge.refunded", paymentIntent{ID: "ch_1"}, false)
		v.clk.Add(time.Second)
		dispute := v.record(shop, "dispute.created", paymentIntent{ID: "dp_1"}, false)
		liveEv := v.record(live, "checkout.session.completed", paymentIntent{ID: "cs_1"}, false)
		v.advance(start.Add(time.Hour))

		sorted := func(evs []okwebhook.Event) []string { s := ids(evs); slices.Sort(s); return s }
		for _, c := range []struct {
			path, secret string
			want         []string
		}{
			{"/payments", sPay, []string{pay.ID}},
			{"/all", sAll, []string{pay.ID, refund.ID, dispute.ID}},
			{"/off", sOff, nil},
			{"/live", sLive, []string{liveEv.ID}},
			{"/other", sOther, nil},
		} {
			if diff := cmp.Diff(c.want, sorted(v.rcv.verified(t, c.path, c.secret))); diff != "" {
				t.Errorf("%s received (-want +got):\n%s", c.path, diff)
			}
		}
		if got := v.rcv.verified(t, "/live", sLive); len(got) == 1 && !got[0].Livemode {
			t.Errorf("live event delivered with livemode false")
		}

		// The selection can change: a new type reaches the endpoint.
		if _, err := v.svc.UpdateEndpoint(v.ctx, shop, payEP.ID, webhook.EndpointUpdate{Events: []string{"dispute.created"}}); err != nil {
			t.Fatal(err)
		}
		d2 := v.record(shop, "dispute.created", paymentIntent{ID: "dp_2"}, false)
		v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_2"}, false)
		v.advance(start.Add(2 * time.Hour))
		if diff := cmp.Diff([]string{pay.ID, d2.ID}, sorted(v.rcv.verified(t, "/payments", sPay))); diff != "" {
			t.Errorf("/payments after changing its types (-want +got):\n%s", diff)
		}
	})
}

// TestSecretRotation: during the overlap every delivery carries both
// signatures and a shop holding either secret accepts it; after the
// overlap only the new secret signs.
func TestSecretRotation(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		ep, oldSecret := v.endpoint(shop, "/hook", webhook.AllEvents)
		ep2, newSecret, err := v.svc.RotateSecret(v.ctx, shop, ep.ID, -1) // the default overlap, 24 h
		if err != nil {
			t.Fatal(err)
		}
		if newSecret == oldSecret || !strings.HasPrefix(newSecret, "whsec_") || !ep2.PreviousUntil.Equal(start.Add(24*time.Hour)) {
			t.Fatalf("rotated: secret %q, previous until %s", newSecret, ep2.PreviousUntil)
		}
		v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_1"}, false)
		v.settle()
		during := v.rcv.requests()
		if len(during) != 1 || strings.Count(during[0].header.Get(okwebhook.SignatureHeader), "v1=") != 2 {
			t.Fatalf("during the overlap: %d requests, header %q", len(during), during[0].header.Get(okwebhook.SignatureHeader))
		}
		for _, secrets := range [][]string{{oldSecret}, {newSecret}} {
			if _, err := okwebhook.Verify(during[0].body, during[0].header.Get(okwebhook.SignatureHeader), secrets, time.Minute, during[0].at); err != nil {
				t.Errorf("during the overlap, a shop with only %v refuses: %v", secrets, err)
			}
		}

		v.advance(start.Add(24*time.Hour + time.Second))
		v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_2"}, false)
		v.settle()
		after := v.rcv.requests()[1]
		h := after.header.Get(okwebhook.SignatureHeader)
		if _, err := okwebhook.Verify(after.body, h, []string{oldSecret}, time.Minute, after.at); !errors.Is(err, okwebhook.ErrBadSignature) {
			t.Errorf("after the overlap, the old secret: %v, want ErrBadSignature", err)
		}
		if _, err := okwebhook.Verify(after.body, h, []string{newSecret}, time.Minute, after.at); err != nil {
			t.Errorf("after the overlap, the new secret: %v", err)
		}

		// Rotating with no overlap retires the old secret at once.
		_, third, err := v.svc.RotateSecret(v.ctx, shop, ep.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_3"}, false)
		v.settle()
		last := v.rcv.requests()[2]
		if _, err := okwebhook.Verify(last.body, last.header.Get(okwebhook.SignatureHeader), []string{newSecret}, time.Minute, last.at); !errors.Is(err, okwebhook.ErrBadSignature) {
			t.Errorf("after a rotation without overlap, the previous secret: %v, want ErrBadSignature", err)
		}
		if _, err := okwebhook.Verify(last.body, last.header.Get(okwebhook.SignatureHeader), []string{third}, time.Minute, last.at); err != nil {
			t.Errorf("the newest secret: %v", err)
		}
		if _, _, err := v.svc.RotateSecret(v.ctx, shop, ep.ID, 8*24*time.Hour); !errors.Is(err, webhook.ErrInvalidOverlap) {
			t.Errorf("8-day overlap: %v, want ErrInvalidOverlap", err)
		}
	})
}

// TestTwoNodesDeliverOnce: two nodes' runners share the queue; every event
// reaches the shop once and each delivery logs one attempt.
func TestTwoNodesDeliverOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e)
		second, err := webhook.New(webhook.Options{Store: v.db.Webhooks(), Box: mustBox(t), Now: v.clk.Now, Logger: quiet,
			AllowPrivateNetworks: true, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		run := jobs.New(v.db.Jobs(), jobs.Options{Now: v.clk.Now, Logger: quiet, PollInterval: 5 * time.Millisecond, Concurrency: 4, Worker: "node-2"})
		second.Register(run)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("second runner: %v", err)
			}
		}()

		_, secret := v.endpoint(shop, "/hook", webhook.AllEvents)
		var want []string
		for i := range 20 {
			ev := v.record(shop, "payment_intent.succeeded", paymentIntent{ID: "pi_" + strconv.Itoa(i)}, false)
			want = append(want, ev.ID)
			run.Notify()
		}
		v.settle()
		got := ids(v.rcv.verified(t, "/hook", secret))
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events received (-want +got):\n%s", diff)
		}
		ds, err := v.svc.Deliveries(v.ctx, shop, webhook.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status != webhook.Succeeded || d.Attempts != 1 {
				t.Errorf("delivery %d: %s after %d attempts", d.ID, d.Status, d.Attempts)
			}
		}
	})
}
