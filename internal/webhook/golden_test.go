package webhook_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/webhook"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestEventPayloadGolden pins the JSON shops receive, one event a line
// (ids, which are random, replaced by evt_TEST): changing it breaks
// receivers, so a change must be deliberate (go test -update).
func TestEventPayloadGolden(t *testing.T) {
	live := webhook.Owner{Merchant: "mch_shop", Mode: webhook.ModeLive}
	var out bytes.Buffer
	for _, c := range []struct {
		owner webhook.Owner
		typ   string
		obj   any
	}{
		{shop, "payment_intent.succeeded", paymentIntent{ID: "pi_01", Object: "payment_intent", Amount: 1250, Currency: "cny", Status: "succeeded"}},
		{live, "charge.refunded", map[string]any{"id": "ch_01", "object": "charge", "amount": 1250, "amount_refunded": 500, "currency": "cny", "refunded": false}},
		{live, "checkout.session.completed", map[string]any{"id": "cs_01", "object": "checkout.session", "payment_intent": "pi_01", "status": "complete", "metadata": map[string]string{"order": "A-1001 <订单>"}}},
		{shop, "dispute.created", map[string]any{"id": "dp_01", "object": "dispute", "charge": "ch_01", "amount": 1250, "reason": "fraudulent", "status": "needs_response"}},
	} {
		ev, err := webhook.NewEvent(c.owner, c.typ, c.obj, start)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(strings.Replace(string(ev.Payload), ev.ID, "evt_TEST", 1))
		out.WriteByte('\n')
	}
	path := filepath.Join("testdata", "events.jsonl")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("event payloads differ from %s (-want +got):\n%s", path, diff)
	}
}
