// Package okpay is a small typed client for OKPay's /v1 API: payment
// intents, checkout sessions, refunds and webhook endpoints for a
// merchant's key, and the balance, transfers and history of a customer's
// wallet key. Webhook deliveries are verified with the sibling package
// github.com/okpay/okpay/pkg/okpay/webhook.
//
//	c := okpay.New("https://okpay.example", os.Getenv("OKPAY_SECRET_KEY"))
//	cs, err := c.CreateCheckoutSession(ctx, okpay.CheckoutSessionParams{
//		Amount: 8800, Currency: "CNY", ItemName: "乌龙茶 250g",
//		SuccessURL: "https://shop.example/thanks"})
//	// redirect the shopper to cs.URL
//
// Every POST carries an Idempotency-Key: a fresh random one per call, or
// the one given with WithIdempotencyKey (use your own, e.g. the order
// number, when a call may be retried after a crash of your program).
// Errors from the API are *Error, with the stable Type, Code and Param of
// the API's error table. List calls return one page; the All… helpers
// walk every page with the cursor.
//
// The package depends on the standard library only.
package okpay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// APIVersion is the version of the API this package was written for; it
// is sent on every request.
const APIVersion = "2026-12-01"

// Client calls the API with one key. It is safe for concurrent use.
type Client struct {
	base string
	key  string
	http *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client of the API at baseURL ("https://okpay.example")
// authenticated by key (sk_test_… or sk_live_…).
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: key, http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is an error answered by the API.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Type is the broad class: invalid_request_error, authentication_error,
	// permission_error, idempotency_error, refused_error, api_error.
	Type string
	// Code is the stable code (refund_exceeds_captured, resource_missing, …).
	Code string
	// Message is for the developer, not for shoppers.
	Message string
	// Param names the offending parameter, when there is one.
	Param string
	// RequestID identifies the request in OKPay's logs.
	RequestID string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("okpay: %d %s: %s", e.Status, e.Code, e.Message)
	if e.Param != "" {
		s += " (param " + e.Param + ")"
	}
	return s
}

// Retryable reports whether the same call (with the same Idempotency-Key)
// may succeed later: our side failed, or the first request with the key
// is still running.
func (e *Error) Retryable() bool { return e.Type == "api_error" || e.Code == "idempotency_key_in_use" }

// IsCode reports whether err is an API error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// CallOption changes one call.
type CallOption func(*call)

type call struct{ idem string }

// WithIdempotencyKey sends key as the POST's Idempotency-Key instead of a
// fresh random one: the same call again within 24 hours answers the first
// result and changes nothing.
func WithIdempotencyKey(key string) CallOption { return func(c *call) { c.idem = key } }

// NewIdempotencyKey returns a random key (a UUID v4 in form).
func NewIdempotencyKey() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// do sends one request and decodes a success into out.
func (c *Client) do(ctx context.Context, method, path string, body any, out any, opts []CallOption) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("okpay: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("okpay: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("OKPay-Version", APIVersion)
	req.Header.Set("Accept", "application/json")
	if method == http.MethodPost {
		cl := call{}
		for _, o := range opts {
			o(&cl)
		}
		if cl.idem == "" {
			cl.idem = NewIdempotencyKey()
		}
		req.Header.Set("Idempotency-Key", cl.idem)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("okpay: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("okpay: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct {
				Type    string  `json:"type"`
				Code    string  `json:"code"`
				Message string  `json:"message"`
				Param   *string `json:"param"`
			} `json:"error"`
		}
		apiErr := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("Request-Id")}
		if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
			apiErr.Type, apiErr.Code, apiErr.Message = e.Error.Type, e.Error.Code, e.Error.Message
			if e.Error.Param != nil {
				apiErr.Param = *e.Error.Param
			}
		} else {
			apiErr.Type, apiErr.Code, apiErr.Message = "api_error", "unexpected_response", strings.TrimSpace(string(raw))
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("okpay: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// send makes one call and answers its decoded result (nil on error).
func send[T any](ctx context.Context, c *Client, method, path string, body any, opts []CallOption) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, body, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListParams select one page: at most Limit objects (1-100, default 10)
// after StartingAfter (the next page) or before EndingBefore (the
// previous page), by object id.
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

func (p ListParams) query(v url.Values) string {
	if v == nil {
		v = url.Values{}
	}
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.StartingAfter != "" {
		v.Set("starting_after", p.StartingAfter)
	}
	if p.EndingBefore != "" {
		v.Set("ending_before", p.EndingBefore)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// List is one page of objects, newest first.
type List[T any] struct {
	Object  string `json:"object"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// identified is an object with an id, for the cursor.
type identified interface{ id() string }

// all walks every page from the newest, limit per page, calling page for
// each; it stops at the first error (yielded) or when the caller stops.
func all[T identified](limit int, page func(ListParams) (*List[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		p := ListParams{Limit: limit}
		for {
			l, err := page(p)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, x := range l.Data {
				if !yield(x, nil) {
					return
				}
			}
			if !l.HasMore || len(l.Data) == 0 {
				return
			}
			p.StartingAfter = l.Data[len(l.Data)-1].id()
		}
	}
}

func pathID(id string) string { return url.PathEscape(id) }
