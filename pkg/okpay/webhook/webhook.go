// Package webhook verifies the webhook deliveries OKPay sends to a shop.
//
// Every delivery is an HTTP POST whose body is one event as JSON and whose
// OKPay-Signature header looks like
//
//	OKPay-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// t is the Unix time the delivery was signed and each v1 is the lower-case
// hex HMAC-SHA256, keyed with an endpoint secret (whsec_...), of the
// timestamp, a full stop and the raw body: HMAC(secret, "<t>.<body>").
// While a secret is being rotated the header carries one v1 per valid
// secret, so a shop that still knows only the old secret, or already only
// the new one, accepts the delivery.
//
// Verify checks the signature in constant time against each secret the shop
// holds and refuses a timestamp outside the tolerance, which stops a
// captured delivery from being replayed later. Deliveries can arrive more
// than once and out of order: a receiver should remember the event ids it
// has handled and use Created, not arrival order, to decide which change
// is the newest.
//
// The package depends on the standard library only, so a shop can vendor it.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the name of the header that carries the signature.
const SignatureHeader = "OKPay-Signature"

// DefaultTolerance is the age (either way) Verify accepts when given a
// tolerance of 0.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify; match them with errors.Is.
var (
	// ErrNoSignature: the header is empty or carries no v1 signature.
	ErrNoSignature = errors.New("webhook: no signature")
	// ErrMalformedHeader: the header is not t=<unix>,v1=<hex>[,v1=<hex>...].
	ErrMalformedHeader = errors.New("webhook: malformed signature header")
	// ErrBadSignature: no v1 signature matches any of the secrets: the body
	// or timestamp was altered, or the secret is wrong or retired.
	ErrBadSignature = errors.New("webhook: signature does not match")
	// ErrTooOld: the signature is authentic but its timestamp is older than
	// the tolerance (a replay, or a clock far behind).
	ErrTooOld = errors.New("webhook: timestamp too old")
	// ErrTooNew: the signature is authentic but its timestamp is further in
	// the future than the tolerance (a clock far ahead).
	ErrTooNew = errors.New("webhook: timestamp too new")
	// ErrNoSecret: Verify was given no secret to check against.
	ErrNoSecret = errors.New("webhook: no secret")
	// ErrMalformedPayload: the signature is valid but the body is not an
	// event.
	ErrMalformedPayload = errors.New("webhook: malformed event")
)

// Event is one event as delivered.
type Event struct {
	// ID starts with evt_ and is unique: deduplicate on it.
	ID string `json:"id"`
	// Object is always "event".
	Object string `json:"object"`
	// Type names what happened, e.g. payment_intent.succeeded.
	Type string `json:"type"`
	// Livemode is false for events of test mode.
	Livemode bool `json:"livemode"`
	// Created is the Unix time the change happened; deliveries may arrive
	// out of order, Created orders them.
	Created int64 `json:"created"`
	// Data.Object is the object the event is about, as the API shows it.
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// Sign returns the OKPay-Signature header value for payload signed at t
// with each of secrets (one v1 per secret, in order).
func Sign(payload []byte, t time.Time, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, ts, payload)))
	}
	return b.String()
}

func mac(secret, ts string, payload []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(payload)
	return m.Sum(nil)
}

// Verify checks header (the OKPay-Signature value) against payload, the raw
// request body exactly as received, with each of secrets, and returns the
// event. A delivery is accepted when any v1 value matches any secret, and
// its timestamp is within tolerance of now (DefaultTolerance when tolerance
// is 0; a negative tolerance skips the check, which only a test should do).
// Pass both secrets while you rotate one.
//
// Errors: ErrNoSecret, ErrNoSignature, ErrMalformedHeader, ErrBadSignature,
// ErrTooOld, ErrTooNew, ErrMalformedPayload.
func Verify(payload []byte, header string, secrets []string, tolerance time.Duration, now time.Time) (Event, error) {
	if len(secrets) == 0 {
		return Event{}, ErrNoSecret
	}
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return Event{}, err
	}
	ok := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		want := mac(s, ts, payload)
		for _, sig := range sigs {
			// hmac.Equal takes time independent of where the values
			// differ; every pair is compared so the time does not tell
			// which secret matched either.
			if hmac.Equal(want, sig) {
				ok = true
			}
		}
	}
	if !ok {
		return Event{}, ErrBadSignature
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // parseHeader checked it
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	if tolerance > 0 {
		signed := time.Unix(unix, 0)
		switch {
		case now.Sub(signed) > tolerance:
			return Event{}, fmt.Errorf("%w: signed %s before now, tolerance %s", ErrTooOld, now.Sub(signed).Round(time.Second), tolerance)
		case signed.Sub(now) > tolerance:
			return Event{}, fmt.Errorf("%w: signed %s after now, tolerance %s", ErrTooNew, signed.Sub(now).Round(time.Second), tolerance)
		}
	}
	var ev Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrMalformedPayload, err)
	}
	if ev.Object != "event" || ev.ID == "" || ev.Type == "" {
		return Event{}, fmt.Errorf("%w: not an event object", ErrMalformedPayload)
	}
	return ev, nil
}

// parseHeader splits t=<unix>,v1=<hex>,... into the timestamp as written and
// the decoded v1 signatures. Unknown schemes are ignored so that a future
// v2 can be added beside v1.
func parseHeader(header string) (ts string, sigs [][]byte, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", nil, ErrNoSignature
	}
	for part := range strings.SplitSeq(header, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || k == "" {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrMalformedHeader, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: more than one t", ErrMalformedHeader)
			}
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
				return "", nil, fmt.Errorf("%w: t=%q is not a Unix time", ErrMalformedHeader, v)
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not a hex HMAC-SHA256", ErrMalformedHeader)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no t", ErrMalformedHeader)
	}
	if len(sigs) == 0 {
		return "", nil, ErrNoSignature
	}
	return ts, sigs, nil
}
