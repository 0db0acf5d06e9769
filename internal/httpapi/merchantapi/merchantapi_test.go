package merchantapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
)

// TestKeyIsolation: merchant A's key cannot read or change merchant B's
// payment intents, sessions or refunds: each answers 404 resource_missing,
// exactly like an id that does not exist; lists show only A's own.
func TestKeyIsolation(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, aTest, _ := en.merchant()
		_, bTest, _ := en.merchant()
		mine := en.createPayment(aTest, 5_00, "").str("id")
		theirs := en.createPayment(bTest, 7_00, "manual").str("id")
		en.payCard(theirs)
		cs := en.call("POST", "/v1/checkout/sessions", bTest, "", map[string]any{
			"amount": 9_00, "currency": "USD", "item_name": "Oolong 250g", "success_url": "https://shop.example/thanks"})
		wantStatus(t, "B's session", cs, 200)
		paidB := en.createPayment(bTest, 20_00, "").str("id")
		en.payCard(paidB)
		rf := en.call("POST", "/v1/refunds", bTest, "", map[string]any{"payment_intent": paidB, "amount": 1_00})
		wantStatus(t, "B's refund", rf, 200)

		for _, c := range []struct{ what, method, path string }{
			{"read payment", "GET", "/v1/payment_intents/" + theirs},
			{"capture", "POST", "/v1/payment_intents/" + theirs + "/capture"},
			{"cancel", "POST", "/v1/payment_intents/" + theirs + "/cancel"},
			{"read session", "GET", "/v1/checkout/sessions/" + cs.str("id")},
			{"expire session", "POST", "/v1/checkout/sessions/" + cs.str("id") + "/expire"},
			{"read refund", "GET", "/v1/refunds/" + rf.str("id")},
			{"list refunds", "GET", "/v1/refunds?payment_intent=" + paidB},
			{"page after B's payment", "GET", "/v1/payment_intents?starting_after=" + theirs},
			{"nonexistent", "GET", "/v1/payment_intents/pi_0000000000000000000000000a"},
		} {
			var body any
			if c.method == "POST" {
				body = map[string]any{}
			}
			wantError(t, c.what, en.call(c.method, c.path, aTest, "", body), 404, "resource_missing")
		}
		r := en.call("POST", "/v1/refunds", aTest, "", map[string]any{"payment_intent": paidB})
		wantError(t, "refund B's payment", r, 404, "resource_missing")
		if r.body["error"].(map[string]any)["param"] != "payment_intent" {
			t.Errorf("refund of another's payment names param %v", r.body["error"])
		}
		// Nothing of B's changed.
		got := en.call("GET", "/v1/payment_intents/"+theirs, bTest, "", nil)
		if got.str("status") != "requires_capture" {
			t.Errorf("B's payment is %s after A's attempts, want requires_capture", got.str("status"))
		}
		if p := en.call("GET", "/v1/payment_intents/"+paidB, bTest, "", nil); p.num("amount_refunded") != 1_00 {
			t.Errorf("B's payment refunded %d, want 100", p.num("amount_refunded"))
		}
		list := en.call("GET", "/v1/payment_intents", aTest, "", nil)
		if ids := list.ids(); !slices.Equal(ids, []string{mine}) {
			t.Errorf("A's list = %v, want only %s", ids, mine)
		}
		if ids := en.call("GET", "/v1/checkout/sessions", aTest, "", nil).ids(); len(ids) != 0 {
			t.Errorf("A's sessions = %v, want none", ids)
		}
	})
}

// TestModesAreSeparate: a test key sees and creates only test-mode
// objects, a live key only live ones; a test key can never capture,
// cancel or refund a live payment.
func TestModesAreSeparate(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, test, live := en.merchant()
		tp := en.createPayment(test, 3_00, "")
		if tp.body["livemode"] != false {
			t.Fatalf("a test key made a live payment: %s", tp.raw)
		}
		lp := en.createPayment(live, 50_00, "")
		if lp.body["livemode"] != true {
			t.Fatalf("a live key made a test payment: %s", lp.raw)
		}
		lid := lp.str("id")
		en.payBalance(lid, 50_00)
		wantError(t, "test key reads live", en.call("GET", "/v1/payment_intents/"+lid, test, "", nil), 404, "resource_missing")
		wantError(t, "test key refunds live", en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": lid}), 404, "resource_missing")
		wantError(t, "test key cancels live", en.call("POST", "/v1/payment_intents/"+lid+"/cancel", test, "", map[string]any{}), 404, "resource_missing")
		wantError(t, "live key reads test", en.call("GET", "/v1/payment_intents/"+tp.str("id"), live, "", nil), 404, "resource_missing")
		if ids := en.call("GET", "/v1/payment_intents", test, "", nil).ids(); !slices.Equal(ids, []string{tp.str("id")}) {
			t.Errorf("test list = %v, want only the test payment", ids)
		}
		if ids := en.call("GET", "/v1/payment_intents", live, "", nil).ids(); !slices.Equal(ids, []string{lid}) {
			t.Errorf("live list = %v, want only the live payment", ids)
		}
		got := en.call("GET", "/v1/payment_intents/"+lid, live, "", nil)
		if got.str("status") != "succeeded" || got.num("amount_refunded") != 0 {
			t.Errorf("the live payment after the test key's attempts: %s", got.raw)
		}
		// A test session is paid with a test card only, never a balance.
		cs := en.call("POST", "/v1/checkout/sessions", test, "", map[string]any{
			"amount": 1_00, "currency": "usd", "item_name": "Tea", "success_url": "https://shop.example/ok"})
		wantStatus(t, "test session", cs, 200)
		if _, err := en.svc.PaySessionBalance(context.Background(), cs.str("id"), en.payer(1_00), ""); err == nil {
			t.Error("a test session was paid from a live balance")
		}
	})
}

// TestIdempotentCreate: the same POST with the same Idempotency-Key
// answers the first result (one object); the key with another body is
// refused with an idempotency_error.
func TestIdempotentCreate(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, test, _ := en.merchant()
		body := map[string]any{"amount": 12_50, "currency": "usd", "description": "order 42"}
		first := en.call("POST", "/v1/payment_intents", test, "order-42", body)
		again := en.call("POST", "/v1/payment_intents", test, "order-42", body)
		wantStatus(t, "first", first, 200)
		wantStatus(t, "replay", again, 200)
		if again.str("id") != first.str("id") || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay answered %s (replayed %q), want %s again", again.str("id"), again.header.Get("Idempotent-Replayed"), first.str("id"))
		}
		other := en.call("POST", "/v1/payment_intents", test, "order-42", map[string]any{"amount": 99_00, "currency": "usd"})
		wantError(t, "other body", other, 400, "idempotency_key_reused")
		if other.errType() != "idempotency_error" {
			t.Errorf("type %q, want idempotency_error", other.errType())
		}
		if ids := en.call("GET", "/v1/payment_intents", test, "", nil).ids(); len(ids) != 1 {
			t.Errorf("payments after replays: %v, want one", ids)
		}
		// A refund replayed moves money once.
		en.payCard(first.str("id"))
		rb := map[string]any{"payment_intent": first.str("id"), "amount": 2_00}
		r1 := en.call("POST", "/v1/refunds", test, "refund-1", rb)
		r2 := en.call("POST", "/v1/refunds", test, "refund-1", rb)
		wantStatus(t, "refund", r1, 200)
		if r2.str("id") != r1.str("id") {
			t.Errorf("refund replay made %s, want %s", r2.str("id"), r1.str("id"))
		}
		if p := en.call("GET", "/v1/payment_intents/"+first.str("id"), test, "", nil); p.num("amount_refunded") != 2_00 {
			t.Errorf("refunded %d after a replay, want 200", p.num("amount_refunded"))
		}
		// The refund id is derived from the key and the request, so the
		// same request after the API forgot the key (or failed on our side)
		// finds the first refund rather than refunding again.
		if _, err := en.db.APIIdempotency().Purge(context.Background(), en.clock.Now().Add(1)); err != nil {
			t.Fatal(err)
		}
		r3 := en.call("POST", "/v1/refunds", test, "refund-1", rb)
		if r3.str("id") != r1.str("id") || r3.header.Get("Idempotent-Replayed") == "true" {
			t.Errorf("after the key was forgotten: %s (replayed %q), want the first refund %s found again", r3.str("id"), r3.header.Get("Idempotent-Replayed"), r1.str("id"))
		}
		if rs := en.call("GET", "/v1/refunds?payment_intent="+first.str("id"), test, "", nil).ids(); len(rs) != 1 {
			t.Errorf("refunds = %v, want one", rs)
		}
	})
}

// TestConcurrentRefundsThroughTheAPI: 100 partial refunds of one payment
// at once, asking for twice what was captured: the accepted ones add up
// to exactly the captured amount, the others are refused with
// refund_exceeds_captured.
func TestConcurrentRefundsThroughTheAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, _, live := en.merchant()
		// An earlier payment keeps the merchant's balance above the
		// refunds (fees are not returned), so the cap tested is the
		// payment's own.
		en.payBalance(en.createPayment(live, 300_00, "").str("id"), 300_00)
		id := en.createPayment(live, 100_00, "").str("id")
		en.payBalance(id, 100_00)
		const n = 100
		var wg sync.WaitGroup
		var mu sync.Mutex
		var accepted, refused int64
		var other []string
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := en.call("POST", "/v1/refunds", live, fmt.Sprintf("r-%d", i), map[string]any{"payment_intent": id, "amount": 2_00})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.status == 200 && r.str("status") == "succeeded":
					accepted += r.num("amount")
				case r.status == 402 && r.code() == "refund_exceeds_captured":
					refused++
				default:
					other = append(other, fmt.Sprintf("%d %s", r.status, r.raw))
				}
			}()
		}
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected answers: %v", other)
		}
		if accepted != 100_00 || refused != n/2 {
			t.Errorf("accepted %d in all, %d refused; want exactly 10000 and 50", accepted, refused)
		}
		p := en.call("GET", "/v1/payment_intents/"+id, live, "", nil)
		if p.num("amount_refunded") != 100_00 {
			t.Errorf("amount_refunded %d, want 10000", p.num("amount_refunded"))
		}
		// Every refund, accepted or refused, is listed; paging through
		// them, 30 at a time, visits each once.
		seen := map[string]bool{}
		after := ""
		for range 10 {
			q := "/v1/refunds?limit=30&payment_intent=" + id
			if after != "" {
				q += "&starting_after=" + after
			}
			r := en.call("GET", q, live, "", nil)
			for _, x := range r.ids() {
				if seen[x] {
					t.Fatalf("refund %s listed twice", x)
				}
				seen[x] = true
				after = x
			}
			if r.body["has_more"] != true {
				break
			}
		}
		if len(seen) != n {
			t.Errorf("listed %d refunds, want %d", len(seen), n)
		}
	})
}

// TestPaymentIntentLifecycle: manual capture of part (the rest goes back
// to the payer), a second capture refused, cancel of an authorised
// payment releasing the hold, and the errors of bad input, each through
// the error table.
func TestPaymentIntentLifecycle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, test, _ := en.merchant()
		id := en.createPayment(test, 40_00, "manual").str("id")
		wantError(t, "capture before paying", en.call("POST", "/v1/payment_intents/"+id+"/capture", test, "", map[string]any{}), 400, "payment_intent_unexpected_state")
		en.payCard(id)
		got := en.call("GET", "/v1/payment_intents/"+id, test, "", nil)
		if got.str("status") != "requires_capture" || got.num("amount_capturable") != 40_00 {
			t.Fatalf("after paying: %s", got.raw)
		}
		wantError(t, "capture too much", en.call("POST", "/v1/payment_intents/"+id+"/capture", test, "", map[string]any{"amount_to_capture": 40_01}), 400, "capture_exceeds_authorized")
		wantError(t, "capture zero", en.call("POST", "/v1/payment_intents/"+id+"/capture", test, "", map[string]any{"amount_to_capture": 0}), 400, "parameter_invalid")
		c := en.call("POST", "/v1/payment_intents/"+id+"/capture", test, "", map[string]any{"amount_to_capture": 25_00})
		wantStatus(t, "capture part", c, 200)
		if c.str("status") != "succeeded" || c.num("amount_received") != 25_00 || c.num("amount_capturable") != 0 {
			t.Errorf("after capturing 2500: %s", c.raw)
		}
		wantError(t, "capture twice", en.call("POST", "/v1/payment_intents/"+id+"/capture", test, "", map[string]any{}), 400, "payment_intent_unexpected_state")
		wantError(t, "cancel captured", en.call("POST", "/v1/payment_intents/"+id+"/cancel", test, "", map[string]any{}), 400, "payment_intent_unexpected_state")
		wantError(t, "refund more than captured", en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": id, "amount": 25_01}), 402, "refund_exceeds_captured")
		// The fee was kept, so the balance cannot give all 2500 back yet.
		wantError(t, "refund beyond the balance", en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": id}), 402, "merchant_balance_insufficient")
		en.payCard(en.createPayment(test, 50_00, "").str("id"))
		full := en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": id, "reason": "customer asked"})
		if full.status != 200 || full.num("amount") != 25_00 || full.str("reason") != "customer asked" {
			t.Errorf("refund of the rest: %s", full.raw)
		}
		if r := en.call("GET", "/v1/refunds/"+full.str("id"), test, "", nil); r.str("status") != "succeeded" {
			t.Errorf("refund read back: %s", r.raw)
		}
		wantError(t, "refund when nothing is left", en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": id}), 402, "refund_exceeds_captured")

		held := en.createPayment(test, 10_00, "manual").str("id")
		en.payCard(held)
		cn := en.call("POST", "/v1/payment_intents/"+held+"/cancel", test, "", map[string]any{})
		if cn.status != 200 || cn.str("status") != "canceled" {
			t.Errorf("cancel authorised: %s", cn.raw)
		}
		wantError(t, "refund canceled", en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": held}), 400, "payment_intent_unexpected_state")

		for _, c := range []struct {
			what   string
			body   map[string]any
			status int
			code   string
			param  string
		}{
			{"no amount", map[string]any{"currency": "usd"}, 400, "parameter_missing", "amount"},
			{"negative", map[string]any{"amount": -1, "currency": "usd"}, 400, "parameter_invalid", "amount"},
			{"unknown currency", map[string]any{"amount": 100, "currency": "xyz"}, 400, "currency_unsupported", "currency"},
			{"bad capture method", map[string]any{"amount": 100, "currency": "usd", "capture_method": "later"}, 400, "parameter_invalid", "capture_method"},
			{"control character", map[string]any{"amount": 100, "currency": "usd", "description": "a\x07b"}, 400, "invalid_text", "description"},
			{"unknown field", map[string]any{"amount": 100, "currency": "usd", "customer": "x"}, 400, "parameter_unknown", "customer"},
		} {
			r := en.call("POST", "/v1/payment_intents", test, "", c.body)
			wantError(t, c.what, r, c.status, c.code)
			if p, _ := r.body["error"].(map[string]any)["param"].(string); p != c.param {
				t.Errorf("%s: param %q, want %q", c.what, p, c.param)
			}
		}
		wantError(t, "no key", en.call("GET", "/v1/payment_intents", "", "", nil), 401, "api_key_missing")
	})
}

// TestPaymentIntentPages: 25 payment intents walked 10 at a time forward
// with starting_after and back with ending_before, each seen once, newest
// first.
func TestPaymentIntentPages(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, test, _ := en.merchant()
		var made []string
		for i := range 25 {
			if i%3 == 0 {
				en.clock.Add(1) // some share an instant, some do not
			}
			made = append(made, en.createPayment(test, int64(100+i), "").str("id"))
		}
		slices.Reverse(made)
		var got []string
		after := ""
		var pages []string
		for range 5 {
			q := "/v1/payment_intents?limit=10"
			if after != "" {
				q += "&starting_after=" + after
			}
			r := en.call("GET", q, test, "", nil)
			ids := r.ids()
			got = append(got, ids...)
			pages = append(pages, ids[0])
			after = ids[len(ids)-1]
			if r.body["has_more"] != true {
				break
			}
		}
		if !slices.Equal(got, made) {
			t.Fatalf("forward pages:\n got %v\nwant %v", got, made)
		}
		// Back from the last page.
		r := en.call("GET", "/v1/payment_intents?limit=10&ending_before="+pages[2], test, "", nil)
		if !slices.Equal(r.ids(), made[10:20]) || r.body["has_more"] != true {
			t.Errorf("previous page = %v (more %v), want %v", r.ids(), r.body["has_more"], made[10:20])
		}
		r = en.call("GET", "/v1/payment_intents?limit=10&ending_before="+pages[1], test, "", nil)
		if !slices.Equal(r.ids(), made[0:10]) || r.body["has_more"] != false {
			t.Errorf("first page again = %v (more %v), want %v", r.ids(), r.body["has_more"], made[0:10])
		}
		wantError(t, "both cursors", en.call("GET", "/v1/payment_intents?starting_after="+made[0]+"&ending_before="+made[1], test, "", nil), 400, "parameter_invalid")
		wantError(t, "limit 0", en.call("GET", "/v1/payment_intents?limit=0", test, "", nil), 400, "parameter_invalid")
		wantError(t, "unknown cursor", en.call("GET", "/v1/payment_intents?ending_before=pi_x", test, "", nil), 404, "resource_missing")
	})
}

// TestCheckoutSessionsAndEvents: a session gets the hosted page's
// absolute URL; paid, its payment succeeds and the webhook endpoint
// registered through the API gets payment_intent.succeeded and
// checkout.session.completed events written with the change; a refund
// records refund.created; expiring an open session cancels its payment.
func TestCheckoutSessionsAndEvents(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		m, test, _ := en.merchant()
		epBody := map[string]any{"url": "http://127.0.0.1:9/hook", "enabled_events": []string{"*"}}
		ep := en.call("POST", "/v1/webhook_endpoints", test, "ep-1", epBody)
		wantStatus(t, "create endpoint", ep, 200)
		if !strings.HasPrefix(ep.str("secret"), "whsec_") || ep.body["livemode"] != false {
			t.Errorf("endpoint: %s", ep.raw)
		}
		// The secret is not kept for replays: a replay answers the same
		// endpoint without it.
		rep := en.call("POST", "/v1/webhook_endpoints", test, "ep-1", epBody)
		if rep.header.Get("Idempotent-Replayed") != "true" || rep.str("id") != ep.str("id") || strings.Contains(string(rep.raw), "whsec_") {
			t.Errorf("replayed endpoint: %s", rep.raw)
		}
		if l := en.call("GET", "/v1/webhook_endpoints", test, "", nil); len(l.ids()) != 1 || strings.Contains(string(l.raw), "whsec_") {
			t.Errorf("endpoint list: %s", l.raw)
		}
		wantError(t, "endpoint events", en.call("POST", "/v1/webhook_endpoints", test, "", map[string]any{
			"url": "http://127.0.0.1:9/x", "enabled_events": []string{"payment.done"}}), 400, "endpoint_events_invalid")
		wantError(t, "endpoint url", en.call("POST", "/v1/webhook_endpoints", test, "", map[string]any{
			"url": "ftp://shop.example/x", "enabled_events": []string{"*"}}), 400, "endpoint_url_invalid")

		cs := en.call("POST", "/v1/checkout/sessions", test, "", map[string]any{
			"amount": 88_00, "currency": "usd", "item_name": "乌龙茶 250g", "invoice": "ORDER-42",
			"success_url": "https://shop.example/thanks", "cancel_url": "https://shop.example/cart"})
		wantStatus(t, "create session", cs, 200)
		if cs.str("url") != baseURL+"/checkout/"+cs.str("id") || cs.str("status") != "open" || cs.str("invoice") != "ORDER-42" {
			t.Fatalf("session: %s", cs.raw)
		}
		wantError(t, "bad success url", en.call("POST", "/v1/checkout/sessions", test, "", map[string]any{
			"amount": 1, "currency": "usd", "item_name": "x", "success_url": "javascript:alert(1)"}), 400, "invalid_url")
		if _, err := en.svc.PaySessionCard(context.Background(), cs.str("id"), merchant.CardPayment{
			Card: en.testCard()}); err != nil {
			t.Fatal(err)
		}
		got := en.call("GET", "/v1/checkout/sessions/"+cs.str("id"), test, "", nil)
		if got.str("status") != "complete" {
			t.Errorf("paid session: %s", got.raw)
		}
		pi := cs.str("payment_intent")
		wantError(t, "expire a paid session", en.call("POST", "/v1/checkout/sessions/"+cs.str("id")+"/expire", test, "", map[string]any{}), 400, "checkout_session_complete")
		rf := en.call("POST", "/v1/refunds", test, "", map[string]any{"payment_intent": pi, "amount": 8_00})
		wantStatus(t, "refund", rf, 200)

		evs, err := en.hooks.Events(context.Background(), webhook.Owner{Merchant: m.ID, Mode: webhook.ModeTest}, 100)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		schemas := map[string]string{"payment_intent": "PaymentIntent", "checkout.session": "CheckoutSession", "refund": "Refund"}
		for _, ev := range evs {
			types = append(types, ev.Type)
			// Each event carries its object exactly as the API shows it.
			v, err := httpapi.DecodeJSON(ev.Payload)
			if err != nil {
				t.Fatal(err)
			}
			obj, _ := v.(map[string]any)["data"].(map[string]any)["object"].(map[string]any)
			name, _ := obj["object"].(string)
			if err := httpapi.Validate(en.defs[schemas[name]], en.defs, obj); schemas[name] == "" || err != nil {
				t.Errorf("event %s: object %q does not fit the API's schema: %v", ev.Type, name, err)
			}
			if ev.Type == "checkout.session.completed" && obj["url"] != baseURL+"/checkout/"+cs.str("id") {
				t.Errorf("the event's session url is %v", obj["url"])
			}
		}
		for _, want := range []string{"payment_intent.created", "payment_intent.succeeded", "checkout.session.completed", "refund.created"} {
			if !slices.Contains(types, want) {
				t.Errorf("events %v lack %s", types, want)
			}
		}
		ds, err := en.hooks.Deliveries(context.Background(), webhook.Owner{Merchant: m.ID, Mode: webhook.ModeTest}, webhook.DeliveryFilter{})
		if err != nil || len(ds) != len(evs) {
			t.Errorf("%d deliveries (%v) for %d events, want one each", len(ds), err, len(evs))
		}

		open := en.call("POST", "/v1/checkout/sessions", test, "", map[string]any{
			"amount": 5_00, "currency": "usd", "item_name": "Tea", "success_url": "https://shop.example/thanks"})
		ex := en.call("POST", "/v1/checkout/sessions/"+open.str("id")+"/expire", test, "", map[string]any{})
		if ex.status != 200 || ex.str("status") != "expired" {
			t.Errorf("expire: %s", ex.raw)
		}
		if p := en.call("GET", "/v1/payment_intents/"+open.str("payment_intent"), test, "", nil); p.str("status") != "canceled" {
			t.Errorf("payment of the expired session: %s", p.str("status"))
		}
		wantError(t, "expire again", en.call("POST", "/v1/checkout/sessions/"+open.str("id")+"/expire", test, "", map[string]any{}), 400, "checkout_session_expired")
		if _, err := en.svc.PaySessionCard(context.Background(), open.str("id"), merchant.CardPayment{Card: en.testCard()}); err == nil {
			t.Error("an expired session was paid")
		}
		if ids := en.call("GET", "/v1/checkout/sessions?limit=1", test, "", nil).ids(); !slices.Equal(ids, []string{open.str("id")}) {
			t.Errorf("newest session = %v, want %s", ids, open.str("id"))
		}
	})
}

// TestRefundRetryAfterLostAnswer: when the ledger's answer to a refund is
// lost, the API answers 503 temporarily_unavailable and does not save the
// answer; the same request retried with the same Idempotency-Key finds
// and finishes the first refund: the payer is refunded once.
func TestRefundRetryAfterLostAnswer(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, _, live := en.merchant()
		en.payBalance(en.createPayment(live, 100_00, "").str("id"), 100_00)
		id := en.createPayment(live, 40_00, "").str("id")
		en.payBalance(id, 40_00)
		body := map[string]any{"payment_intent": id, "amount": 15_00}
		en.lossy.lose.Store(true)
		first := en.call("POST", "/v1/refunds", live, "refund-lost", body)
		en.lossy.lose.Store(false)
		wantError(t, "lost answer", first, 503, "temporarily_unavailable")
		if first.errType() != "api_error" {
			t.Errorf("type %q, want api_error", first.errType())
		}
		again := en.call("POST", "/v1/refunds", live, "refund-lost", body)
		wantStatus(t, "retry", again, 200)
		if again.str("status") != "succeeded" || again.num("amount") != 15_00 {
			t.Errorf("retry: %s", again.raw)
		}
		rs := en.call("GET", "/v1/refunds?payment_intent="+id, live, "", nil)
		if len(rs.ids()) != 1 || rs.ids()[0] != again.str("id") {
			t.Errorf("refunds = %v, want only %s", rs.ids(), again.str("id"))
		}
		if p := en.call("GET", "/v1/payment_intents/"+id, live, "", nil); p.num("amount_refunded") != 15_00 {
			t.Errorf("refunded %d, want 1500 once", p.num("amount_refunded"))
		}
	})
}

// TestEndpointLimit: an owner's endpoints are capped; one more is refused
// with endpoint_limit_reached, in that mode only.
func TestEndpointLimit(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, test, live := en.merchant()
		for i := range webhook.DefaultMaxEndpoints {
			r := en.call("POST", "/v1/webhook_endpoints", test, "", map[string]any{
				"url": fmt.Sprintf("http://127.0.0.1:9/h%d", i), "enabled_events": []string{"*"}})
			wantStatus(t, "endpoint", r, 200)
		}
		wantError(t, "one too many", en.call("POST", "/v1/webhook_endpoints", test, "", map[string]any{
			"url": "http://127.0.0.1:9/more", "enabled_events": []string{"*"}}), 400, "endpoint_limit_reached")
		r := en.call("POST", "/v1/webhook_endpoints", live, "", map[string]any{
			"url": "https://shop.example/hook", "enabled_events": []string{"refund.created"}})
		if r.status != 200 || r.body["livemode"] != true {
			t.Errorf("a live endpoint beside the full test ones: %s", r.raw)
		}
	})
}
