package webhook_test

import (
	"io"
	"log"
	"net/http"
	"time"

	"github.com/okpay/okpay/pkg/okpay/webhook"
)

// A shop's receiver: read the raw body, verify it, deduplicate on the event
// id, answer 2xx quickly.
func ExampleVerify() {
	secrets := []string{"whsec_..."} // during a rotation: both secrets
	http.HandleFunc("POST /okpay/webhook", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		ev, err := webhook.Verify(body, r.Header.Get(webhook.SignatureHeader), secrets, 5*time.Minute, time.Now())
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		// Skip ev.ID if already handled; compare ev.Created with the
		// newest change you applied to the object.
		log.Printf("event %s %s", ev.ID, ev.Type)
		w.WriteHeader(http.StatusNoContent)
	})
}
