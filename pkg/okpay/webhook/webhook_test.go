package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/pkg/okpay/webhook"
)

const (
	oldSecret = "whsec_old0123456789abcdef"
	newSecret = "whsec_new0123456789abcdef"
)

var (
	payload = []byte(`{"id":"evt_01jh8x3k9v0000000000000000","object":"event","type":"payment_intent.succeeded","livemode":false,"created":1767225600,"data":{"object":{"id":"pi_1","amount":1250}}}`)
	signed  = time.Unix(1767225600, 0)
)

func TestVerify(t *testing.T) {
	tampered := []byte(strings.Replace(string(payload), "1250", "9250", 1))
	tests := []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		now     time.Time
		want    error
	}{
		{"valid", payload, webhook.Sign(payload, signed, newSecret), []string{newSecret}, signed.Add(time.Minute), nil},
		{"valid with the shop holding two secrets", payload, webhook.Sign(payload, signed, newSecret), []string{oldSecret, newSecret}, signed, nil},
		{"tampered body", tampered, webhook.Sign(payload, signed, newSecret), []string{newSecret}, signed, webhook.ErrBadSignature},
		{"tampered timestamp", payload, strings.Replace(webhook.Sign(payload, signed, newSecret), "t=1767225600", "t=1767225601", 1), []string{newSecret}, signed, webhook.ErrBadSignature},
		{"wrong secret", payload, webhook.Sign(payload, signed, oldSecret), []string{newSecret}, signed, webhook.ErrBadSignature},
		{"old timestamp", payload, webhook.Sign(payload, signed, newSecret), []string{newSecret}, signed.Add(5*time.Minute + time.Second), webhook.ErrTooOld},
		{"timestamp from the future", payload, webhook.Sign(payload, signed, newSecret), []string{newSecret}, signed.Add(-6 * time.Minute), webhook.ErrTooNew},
		{"empty header", payload, "", []string{newSecret}, signed, webhook.ErrNoSignature},
		{"no v1", payload, "t=1767225600", []string{newSecret}, signed, webhook.ErrNoSignature},
		{"only an unknown scheme", payload, "t=1767225600,v0=abcd", []string{newSecret}, signed, webhook.ErrNoSignature},
		{"no timestamp", payload, "v1=" + strings.Repeat("ab", 32), []string{newSecret}, signed, webhook.ErrMalformedHeader},
		{"timestamp not a number", payload, "t=yesterday,v1=" + strings.Repeat("ab", 32), []string{newSecret}, signed, webhook.ErrMalformedHeader},
		{"two timestamps", payload, "t=1,t=2,v1=" + strings.Repeat("ab", 32), []string{newSecret}, signed, webhook.ErrMalformedHeader},
		{"signature not hex", payload, "t=1767225600,v1=zz", []string{newSecret}, signed, webhook.ErrMalformedHeader},
		{"signature too short", payload, "t=1767225600,v1=abcd", []string{newSecret}, signed, webhook.ErrMalformedHeader},
		{"garbage", payload, "sha256=deadbeef;garbage", []string{newSecret}, signed, webhook.ErrMalformedHeader},
		{"no secret", payload, webhook.Sign(payload, signed, newSecret), nil, signed, webhook.ErrNoSecret},
		{"signed body that is not an event", []byte(`[1,2]`), webhook.Sign([]byte(`[1,2]`), signed, newSecret), []string{newSecret}, signed, webhook.ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := webhook.Verify(tt.body, tt.header, tt.secrets, 0, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (ev.ID != "evt_01jh8x3k9v0000000000000000" || ev.Type != "payment_intent.succeeded" || ev.Created != 1767225600 || string(ev.Data.Object) != `{"id":"pi_1","amount":1250}`) {
				t.Errorf("event = %+v", ev)
			}
		})
	}
}

// TestVerifyRotation follows a shop through a secret rotation: during the
// overlap each delivery carries a signature per secret, so a receiver
// holding either secret accepts it; afterwards only the new secret signs,
// and a receiver still on the old one refuses the delivery.
func TestVerifyRotation(t *testing.T) {
	during := webhook.Sign(payload, signed, newSecret, oldSecret)
	if n := strings.Count(during, "v1="); n != 2 {
		t.Fatalf("header during the overlap %q has %d v1 values, want 2", during, n)
	}
	for _, secrets := range [][]string{{oldSecret}, {newSecret}, {oldSecret, newSecret}} {
		if _, err := webhook.Verify(payload, during, secrets, time.Minute, signed); err != nil {
			t.Errorf("during the overlap, receiver with %v: %v", secrets, err)
		}
	}
	after := webhook.Sign(payload, signed, newSecret)
	if _, err := webhook.Verify(payload, after, []string{oldSecret}, time.Minute, signed); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("after the overlap, receiver with the old secret: %v, want ErrBadSignature", err)
	}
	if _, err := webhook.Verify(payload, after, []string{newSecret}, time.Minute, signed); err != nil {
		t.Errorf("after the overlap, receiver with the new secret: %v", err)
	}
}

func TestVerifyTolerance(t *testing.T) {
	h := webhook.Sign(payload, signed, newSecret)
	if _, err := webhook.Verify(payload, h, []string{newSecret}, time.Hour, signed.Add(59*time.Minute)); err != nil {
		t.Errorf("59 minutes old with an hour's tolerance: %v", err)
	}
	if _, err := webhook.Verify(payload, h, []string{newSecret}, -1, signed.Add(1000*time.Hour)); err != nil {
		t.Errorf("negative tolerance skips the check: %v", err)
	}
}

func TestSignKnownVector(t *testing.T) {
	// Computed independently: printf '1767225600.{}' | openssl dgst -sha256 -hmac whsec_test
	got := webhook.Sign([]byte("{}"), signed, "whsec_test")
	want := "t=1767225600,v1=" + knownVector
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

const knownVector = "4a942ef9477fb7b15b98664cf7ff2c2543984c1fa6bdf3520b48dcb25bcd1fe4"
