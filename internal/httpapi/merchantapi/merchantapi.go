// Package merchantapi is the merchants' part of the /v1 API: payment
// intents (create, retrieve, list, capture, cancel), checkout sessions
// (create, retrieve, list, expire), refunds (create, retrieve, list by
// payment intent) and webhook endpoints (create, list), for merchant
// secret keys.
//
// Invariants:
//   - Only secret keys owned by a merchant reach these routes. The key
//     decides the merchant and the mode: every call goes through a
//     merchant.Access for the key's merchant and mode, so a test key reads
//     and creates only test-mode objects, a live key only live ones, and
//     another merchant's (or the other mode's) id answers 404
//     resource_missing, exactly like an id that does not exist.
//   - Money moves only through merchant.Service, whose ledger rules hold
//     unchanged: refunds can never add up to more than was captured, even
//     when many arrive at once.
//   - A POST runs once per Idempotency-Key (httpapi). A refund's id is
//     also derived from the Idempotency-Key and the request, so a retry
//     after a failure on our side (which the framework does not save)
//     finds the first refund instead of refunding twice.
package merchantapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/webhook"
)

// Options are the merchant API's dependencies.
type Options struct {
	Merchants *merchant.Service
	// Webhooks manages the merchant's endpoints (nil: no endpoint routes).
	Webhooks *webhook.Service
	// BaseURL is the site's address, for a checkout session's url.
	BaseURL string
	Now     func() time.Time
}

type api struct {
	svc   *merchant.Service
	hooks *webhook.Service
	base  string
	now   func() time.Time
}

// The merchant API's error codes, besides the framework's.
const (
	CodeCurrencyUnsupported = "currency_unsupported"
	CodeTextInvalid         = "invalid_text"
	CodeURLInvalid          = "invalid_url"
	CodeUnexpectedState     = "payment_intent_unexpected_state"
	CodeCaptureExceeds      = "capture_exceeds_authorized"
	CodeRefundExceeds       = "refund_exceeds_captured"
	CodeMerchantBalance     = "merchant_balance_insufficient"
	CodeSessionComplete     = "checkout_session_complete"
	CodeSessionExpired      = "checkout_session_expired"
	CodeEndpointURL         = "endpoint_url_invalid"
	CodeEndpointEvents      = "endpoint_events_invalid"
	CodeEndpointLimit       = "endpoint_limit_reached"
	CodeUnavailable         = "temporarily_unavailable"
)

// Codes is the merchant API's part of the error table.
var Codes = []httpapi.ErrorCode{
	{Code: CodeCurrencyUnsupported, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "Merchants cannot charge in this currency (the list is the platform's merchant currencies)."},
	{Code: CodeTextInvalid, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "A text (description, item name, invoice, reason) is longer than 200 characters or has control characters."},
	{Code: CodeURLInvalid, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "A URL is not an absolute http(s) URL without credentials, or is longer than 2,000 characters; `param` names it."},
	{Code: CodeUnexpectedState, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "The payment intent's status does not allow this (capture needs `requires_capture`, cancel a payment not yet captured, a refund `succeeded`); the message gives the status."},
	{Code: CodeCaptureExceeds, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "`amount_to_capture` is more than the authorised amount."},
	{Code: CodeRefundExceeds, Status: http.StatusPaymentRequired, Type: httpapi.TypeRefused, Doc: "The refund would take the payment's refunds over what was captured (other refunds may have been accepted first); nothing was refunded."},
	{Code: CodeMerchantBalance, Status: http.StatusPaymentRequired, Type: httpapi.TypeRefused, Doc: "The merchant's balance in the payment's currency cannot cover the refund; nothing was refunded."},
	{Code: CodeSessionComplete, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "The checkout session is already paid."},
	{Code: CodeSessionExpired, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "The checkout session has expired (or was expired) and can no longer be paid."},
	{Code: CodeEndpointURL, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "The webhook endpoint URL is not an absolute URL, is not https in live mode, does not resolve, or points to a private, loopback or internal address."},
	{Code: CodeEndpointEvents, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "`enabled_events` is empty or names an event type that does not exist (`*` is every type)."},
	{Code: CodeEndpointLimit, Status: http.StatusBadRequest, Type: httpapi.TypeRefused, Doc: "The merchant has as many webhook endpoints in this mode as allowed; disable or change one."},
	{Code: CodeUnavailable, Status: http.StatusServiceUnavailable, Type: httpapi.TypeAPI, Doc: "A step could not finish now (the ledger or the database did not answer); it will be finished or undone by OKPay. Retry with the same `Idempotency-Key`."},
}

// byMerchant maps the merchant domain's refusals to API codes and params.
var byMerchant = map[error]struct{ code, param string }{
	merchant.ErrInvalidAmount:       {httpapi.CodeParameterInvalid, "amount"},
	merchant.ErrInvalidCurrency:     {CodeCurrencyUnsupported, "currency"},
	merchant.ErrInvalidText:         {CodeTextInvalid, ""},
	merchant.ErrInvalidURL:          {CodeURLInvalid, ""},
	merchant.ErrInvalidState:        {CodeUnexpectedState, ""},
	merchant.ErrCaptureExceeds:      {CodeCaptureExceeds, "amount_to_capture"},
	merchant.ErrRefundExceeds:       {CodeRefundExceeds, "amount"},
	merchant.ErrMerchantInsufficent: {CodeMerchantBalance, "amount"},
	merchant.ErrSessionComplete:     {CodeSessionComplete, ""},
	merchant.ErrSessionExpired:      {CodeSessionExpired, ""},
}

// mapError translates the merchant and webhook domains' errors. Errors it
// does not know (including merchant.ErrUnavailable with an unexpected
// cause) fall to the framework's internal_error.
func mapError(err error) (*httpapi.Error, bool) {
	// A refusal wrapped in unavailable reports the refusal (as
	// merchant.ErrorCode does): the order of the checks matters.
	for _, e := range merchant.Errors() {
		if !errors.Is(err, e) {
			continue
		}
		if m, ok := byMerchant[e]; ok {
			return httpapi.Errorf(m.code, m.param, "%s", strings.TrimPrefix(e.Error(), "merchant: ")), true
		}
		switch e {
		case merchant.ErrNotFound:
			return httpapi.Errorf(httpapi.CodeResourceMissing, "id", "no such object"), true
		case merchant.ErrUnavailable:
			return httpapi.Errorf(CodeUnavailable, "", "temporarily unavailable; retry with the same Idempotency-Key"), true
		}
	}
	switch {
	case errors.Is(err, webhook.ErrInvalidURL), errors.Is(err, webhook.ErrInsecureURL),
		errors.Is(err, webhook.ErrForbiddenAddress), errors.Is(err, webhook.ErrUnresolvable):
		return httpapi.Errorf(CodeEndpointURL, "url", "%s", strings.TrimPrefix(err.Error(), "webhook: ")), true
	case errors.Is(err, webhook.ErrInvalidEvents):
		return httpapi.Errorf(CodeEndpointEvents, "enabled_events", "%s", strings.TrimPrefix(err.Error(), "webhook: ")), true
	case errors.Is(err, webhook.ErrTooManyEndpoints):
		return httpapi.Errorf(CodeEndpointLimit, "", "too many webhook endpoints"), true
	}
	return nil, false
}

// Register adds the merchant routes, schemas and codes to reg.
func Register(reg *httpapi.Registry, o Options) {
	a := &api{svc: o.Merchants, hooks: o.Webhooks, base: strings.TrimRight(o.BaseURL, "/"), now: o.Now}
	if a.now == nil {
		a.now = time.Now
	}
	reg.Codes(Codes...)
	reg.MapErrors(mapError)
	registerSchemas(reg)
	merchants := []string{apikey.OwnerMerchant}
	id := func(doc string) []httpapi.Param {
		return []httpapi.Param{{Name: "id", In: "path", Doc: doc, Required: true, Schema: httpapi.String("")}}
	}
	reg.Add(
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/payment_intents", OperationID: "CreatePaymentIntent", Tag: "Payments",
			Summary: "Create a payment intent",
			Doc: "A payment waiting for its payment method, in the key's mode. With `capture_method` `manual` an authorised payment " +
				"waits in `requires_capture` until captured (all or part) or canceled.",
			Owners: merchants, Body: httpapi.Ref("PaymentIntentCreate"), Response: httpapi.Ref("PaymentIntent"), Handler: a.createPayment,
			Errors: []string{CodeCurrencyUnsupported, CodeTextInvalid},
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/payment_intents", OperationID: "ListPaymentIntents", Tag: "Payments",
			Summary: "List payment intents", Doc: "The merchant's payment intents in the key's mode, newest first.",
			Owners: merchants, Params: httpapi.ListQuery("pi_…"),
			Response: httpapi.ListSchema("A page of payment intents.", httpapi.Ref("PaymentIntent")), Handler: a.listPayments,
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/payment_intents/{id}", OperationID: "GetPaymentIntent", Tag: "Payments",
			Summary: "Retrieve a payment intent", Doc: "One of the merchant's payment intents in the key's mode.",
			Owners: merchants, Params: id("The payment intent's id (pi_…)."), Response: httpapi.Ref("PaymentIntent"), Handler: a.payment,
		},
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/payment_intents/{id}/capture", OperationID: "CapturePaymentIntent", Tag: "Payments",
			Summary: "Capture a payment intent",
			Doc: "Captures an authorised manual-capture payment: all of it, or `amount_to_capture`; the rest of the hold goes back " +
				"to the payer in the same ledger transfer.",
			Owners: merchants, Params: id("The payment intent's id (pi_…)."), Body: httpapi.Ref("PaymentIntentCapture"),
			Response: httpapi.Ref("PaymentIntent"), Handler: a.capture,
			Errors: []string{CodeUnexpectedState, CodeCaptureExceeds, CodeUnavailable},
		},
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/payment_intents/{id}/cancel", OperationID: "CancelPaymentIntent", Tag: "Payments",
			Summary: "Cancel a payment intent",
			Doc:     "Cancels a payment not yet captured; an authorised one has its hold released to the payer. Its checkout session, if any, expires.",
			Owners:  merchants, Params: id("The payment intent's id (pi_…)."), Body: httpapi.Object("No parameters.", map[string]*httpapi.Schema{}),
			Response: httpapi.Ref("PaymentIntent"), Handler: a.cancel, Errors: []string{CodeUnexpectedState, CodeUnavailable},
		},
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/checkout/sessions", OperationID: "CreateCheckoutSession", Tag: "Checkout",
			Summary: "Create a checkout session",
			Doc: "A hosted payment page for one item: send the shopper to `url`. Once paid they are sent to `success_url`; " +
				"\"cancel and return\" goes to `cancel_url`. The session expires after 24 hours.",
			Owners: merchants, Body: httpapi.Ref("CheckoutSessionCreate"), Response: httpapi.Ref("CheckoutSession"), Handler: a.createSession,
			Errors: []string{CodeCurrencyUnsupported, CodeTextInvalid, CodeURLInvalid},
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/checkout/sessions", OperationID: "ListCheckoutSessions", Tag: "Checkout",
			Summary: "List checkout sessions", Doc: "The merchant's checkout sessions in the key's mode, newest first.",
			Owners: merchants, Params: httpapi.ListQuery("cs_…"),
			Response: httpapi.ListSchema("A page of checkout sessions.", httpapi.Ref("CheckoutSession")), Handler: a.listSessions,
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/checkout/sessions/{id}", OperationID: "GetCheckoutSession", Tag: "Checkout",
			Summary: "Retrieve a checkout session", Doc: "One of the merchant's checkout sessions in the key's mode.",
			Owners: merchants, Params: id("The session's id (cs_…)."), Response: httpapi.Ref("CheckoutSession"), Handler: a.session,
		},
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/checkout/sessions/{id}/expire", OperationID: "ExpireCheckoutSession", Tag: "Checkout",
			Summary: "Expire a checkout session",
			Doc:     "Closes an open session at once, so it can no longer be paid, and cancels its payment intent.",
			Owners:  merchants, Params: id("The session's id (cs_…)."), Body: httpapi.Object("No parameters.", map[string]*httpapi.Schema{}),
			Response: httpapi.Ref("CheckoutSession"), Handler: a.expireSession,
			Errors: []string{CodeSessionComplete, CodeSessionExpired, CodeUnexpectedState, CodeUnavailable},
		},
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/refunds", OperationID: "CreateRefund", Tag: "Refunds",
			Summary: "Refund a payment intent",
			Doc: "Gives all that is left (no `amount`) or part of a succeeded payment back to the payer. Refunds of one payment can " +
				"never add up to more than was captured, however many arrive at once; a refund over what is left is refused and recorded as failed.",
			Owners: merchants, Body: httpapi.Ref("RefundCreate"), Response: httpapi.Ref("Refund"), Handler: a.createRefund,
			Errors: []string{CodeUnexpectedState, CodeTextInvalid, CodeRefundExceeds, CodeMerchantBalance, CodeUnavailable},
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/refunds", OperationID: "ListRefunds", Tag: "Refunds",
			Summary: "List a payment intent's refunds", Doc: "The refunds of one payment intent, newest first.",
			Owners: merchants,
			Params: append([]httpapi.Param{{Name: "payment_intent", In: "query", Required: true, Doc: "The payment intent (pi_…).", Schema: httpapi.String("")}},
				httpapi.ListQuery("re_…")...),
			Response: httpapi.ListSchema("A page of refunds.", httpapi.Ref("Refund")), Handler: a.listRefunds,
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/refunds/{id}", OperationID: "GetRefund", Tag: "Refunds",
			Summary: "Retrieve a refund", Doc: "One of the merchant's refunds in the key's mode.",
			Owners: merchants, Params: id("The refund's id (re_…)."), Response: httpapi.Ref("Refund"), Handler: a.refund,
		},
	)
	if a.hooks != nil {
		reg.Add(
			httpapi.Route{
				Method: http.MethodPost, Path: "/v1/webhook_endpoints", OperationID: "CreateWebhookEndpoint", Tag: "Webhooks",
				Summary: "Create a webhook endpoint",
				Doc: "Events of the chosen types in the key's mode are POSTed to `url`, signed in `OKPay-Signature` with `secret`, " +
					"which is returned only here (a replay of the request answers the endpoint without it).",
				Owners: merchants, Body: httpapi.Ref("WebhookEndpointCreate"), Response: httpapi.Ref("WebhookEndpoint"), Handler: a.createEndpoint,
				Saved:  withoutSecret,
				Errors: []string{CodeEndpointURL, CodeEndpointEvents, CodeEndpointLimit},
			},
			httpapi.Route{
				Method: http.MethodGet, Path: "/v1/webhook_endpoints", OperationID: "ListWebhookEndpoints", Tag: "Webhooks",
				Summary: "List webhook endpoints", Doc: "The merchant's endpoints in the key's mode, oldest first (at most a few, so one page).",
				Owners: merchants, Response: httpapi.ListSchema("The endpoints.", httpapi.Ref("WebhookEndpoint")), Handler: a.listEndpoints,
			},
		)
	}
}

func registerSchemas(reg *httpapi.Registry) {
	minor := func(doc string) *httpapi.Schema {
		return httpapi.Integer(doc + " In the currency's minor units (cents; yen).")
	}
	curIn := httpapi.String("Three-letter ISO 4217 code (either case).")
	curIn.Pattern = "^[A-Za-z]{3}$"
	curOut := httpapi.String("Three-letter ISO 4217 code, lower case.")
	curOut.Pattern = "^[a-z]{3}$"
	text := func(doc string) *httpapi.Schema { return httpapi.String(doc).Len(0, 200) }
	url := func(doc string) *httpapi.Schema { return httpapi.String(doc).Len(1, 2000) }
	reg.Schema("PaymentIntentCreate", httpapi.Object("A payment intent to create.", map[string]*httpapi.Schema{
		"amount":         httpapi.Integer("The amount to collect, in minor units.").Between(1, 1e15),
		"currency":       curIn,
		"capture_method": httpapi.Enum("automatic (default): captured once authorised; manual: capture it yourself.", "automatic", "manual"),
		"description":    text("What the payment is for."),
	}, "capture_method", "description"))
	reg.Schema("PaymentIntentCapture", httpapi.Object("What to capture.", map[string]*httpapi.Schema{
		"amount_to_capture": httpapi.Integer("How much to capture (default: all); the rest is released.").Between(1, 1e15),
	}, "amount_to_capture"))
	reg.Schema("PaymentIntent", httpapi.Object("A payment the merchant collects.", map[string]*httpapi.Schema{
		"id":                  httpapi.String("pi_ and 26 characters."),
		"object":              httpapi.Const("payment_intent"),
		"livemode":            httpapi.Boolean("Live or test mode."),
		"created":             httpapi.Integer("Unix seconds."),
		"merchant":            httpapi.String("The merchant (mer_…)."),
		"amount":              minor("The amount to collect."),
		"amount_capturable":   minor("What a manual capture may still take."),
		"amount_received":     minor("What was captured."),
		"amount_refunded":     minor("What was refunded."),
		"fee":                 minor("OKPay's fee on the captured amount."),
		"currency":            curOut,
		"status":              httpapi.Enum("Where the payment is.", "requires_payment_method", "requires_action", "processing", "requires_capture", "succeeded", "canceled"),
		"capture_method":      httpapi.Enum("How it is captured.", "automatic", "manual"),
		"payment_method_type": httpapi.Enum("How it was paid.", "balance", "card"),
		"card_brand":          httpapi.String("The card's brand."),
		"card_last4":          httpapi.String("The card's last four digits."),
		"description":         httpapi.String("What the payment is for."),
		"checkout_session":    httpapi.String("The checkout session (cs_…) that collects it."),
		"last_payment_error":  httpapi.String("Why the last attempt failed."),
	}, "payment_method_type", "card_brand", "card_last4", "description", "checkout_session", "last_payment_error"))
	reg.Schema("CheckoutSessionCreate", httpapi.Object("A checkout session to create.", map[string]*httpapi.Schema{
		"amount":      httpapi.Integer("The price, in minor units.").Between(1, 1e15),
		"currency":    curIn,
		"item_name":   httpapi.String("What the shopper buys, shown on the page.").Len(1, 200),
		"invoice":     text("Your order reference, shown on the page and returned in the session."),
		"success_url": url("Where the shopper goes once paid."),
		"cancel_url":  url("Where \"cancel and return\" goes (default: success_url)."),
	}, "invoice", "cancel_url"))
	reg.Schema("CheckoutSession", httpapi.Object("A hosted payment page for one item.", map[string]*httpapi.Schema{
		"id":             httpapi.String("cs_ and 26 characters."),
		"object":         httpapi.Const("checkout.session"),
		"livemode":       httpapi.Boolean("Live or test mode."),
		"created":        httpapi.Integer("Unix seconds."),
		"expires_at":     httpapi.Integer("When an unpaid session expires (unix seconds)."),
		"merchant":       httpapi.String("The merchant (mer_…)."),
		"payment_intent": httpapi.String("The payment intent it collects (pi_…)."),
		"amount_total":   minor("The price."),
		"currency":       curOut,
		"item_name":      httpapi.String("The item."),
		"invoice":        httpapi.String("Your order reference."),
		"status":         httpapi.Enum("open: waiting to be paid; complete: paid; expired.", "open", "complete", "expired"),
		"success_url":    httpapi.String("Where the shopper goes once paid."),
		"cancel_url":     httpapi.String("Where \"cancel and return\" goes."),
		"notify_url":     httpapi.String("The notification URL of an HTML form's session."),
		"url":            httpapi.String("The hosted payment page to send the shopper to."),
	}, "invoice", "notify_url"))
	reg.Schema("RefundCreate", httpapi.Object("A refund to make.", map[string]*httpapi.Schema{
		"payment_intent": httpapi.String("The succeeded payment intent to refund (pi_…).").Len(1, 100),
		"amount":         httpapi.Integer("How much to refund (default: all that is left), in minor units.").Between(1, 1e15),
		"reason":         text("Why (kept with the refund)."),
	}, "amount", "reason"))
	reg.Schema("Refund", httpapi.Object("Money given back to a payer.", map[string]*httpapi.Schema{
		"id":             httpapi.String("re_ and 26 characters."),
		"object":         httpapi.Const("refund"),
		"livemode":       httpapi.Boolean("Live or test mode."),
		"created":        httpapi.Integer("Unix seconds."),
		"payment_intent": httpapi.String("The refunded payment intent (pi_…)."),
		"amount":         minor("The amount refunded."),
		"currency":       curOut,
		"status":         httpapi.Enum("pending: being processed; succeeded; failed: nothing moved (see failure_reason).", "pending", "succeeded", "failed"),
		"reason":         httpapi.String("Why."),
		"failure_reason": httpapi.String("Why a failed refund failed."),
	}, "reason", "failure_reason"))
	reg.Schema("WebhookEndpointCreate", httpapi.Object("A webhook endpoint to create.", map[string]*httpapi.Schema{
		"url":            url("Where events are POSTed (https in live mode)."),
		"enabled_events": httpapi.Array("The event types to send, or [\"*\"] for all.", httpapi.String("")),
		"description":    text("A note for yourself."),
	}, "description"))
	reg.Schema("WebhookEndpoint", httpapi.Object("A URL that receives the merchant's events.", map[string]*httpapi.Schema{
		"id":             httpapi.String("we_…"),
		"object":         httpapi.Const("webhook_endpoint"),
		"livemode":       httpapi.Boolean("Live or test mode."),
		"created":        httpapi.Integer("Unix seconds."),
		"url":            httpapi.String("Where events are POSTed."),
		"enabled_events": httpapi.Array("The subscribed types, or [\"*\"].", httpapi.String("")),
		"description":    httpapi.String("The note."),
		"status":         httpapi.Enum("enabled or disabled.", "enabled", "disabled"),
		"secret":         httpapi.String("The signing secret (whsec_…): only in the answer to create."),
	}, "secret"))
}

// access is what a merchant key may do: its merchant, in its mode, as a
// developer (payments, refunds; not the team).
func access(k apikey.Key) merchant.Access {
	return merchant.Access{MerchantID: k.Owner.ID, Mode: merchant.ParseMode(string(k.Mode)), Role: merchant.Developer}
}

// missing answers ErrNotFound as resource_missing naming param.
func missing(err error, param, id string) error {
	if errors.Is(err, merchant.ErrNotFound) {
		return httpapi.Errorf(httpapi.CodeResourceMissing, param, "no such object: %q", id)
	}
	return err
}

func (a *api) currency(code string) (money.Currency, error) {
	c, err := money.Lookup(strings.ToUpper(code))
	if err != nil {
		return money.Currency{}, httpapi.Errorf(CodeCurrencyUnsupported, "currency", "unknown currency %q", code)
	}
	return c, nil
}

type paymentCreate struct {
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	CaptureMethod string `json:"capture_method"`
	Description   string `json:"description"`
}

func (a *api) createPayment(r *httpapi.Request) (any, error) {
	var in paymentCreate
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	cur, err := a.currency(in.Currency)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.CreatePayment(context.WithoutCancel(r.Context()), access(r.Key), merchant.PaymentRequest{
		Amount: money.Amount{Minor: in.Amount, Currency: cur}, CaptureMethod: merchant.CaptureMethod(in.CaptureMethod),
		Description: in.Description})
	if errors.Is(err, merchant.ErrInvalidText) {
		return nil, httpapi.Errorf(CodeTextInvalid, "description", "the description is not printable text")
	}
	if err != nil {
		return nil, err
	}
	return p.View(), nil
}

func (a *api) payment(r *httpapi.Request) (any, error) {
	id := r.PathValue("id")
	p, err := a.svc.Payment(r.Context(), access(r.Key), id)
	if err != nil {
		return nil, missing(err, "id", id)
	}
	return p.View(), nil
}

// page reads the list parameters.
func page(r *httpapi.Request) (merchant.Page, error) {
	p, err := httpapi.ParseList(r.Request)
	if err != nil {
		return merchant.Page{}, err
	}
	return merchant.Page{Limit: p.Limit, StartingAfter: p.StartingAfter, EndingBefore: p.EndingBefore}, nil
}

// cursorMissing answers a cursor that is not the merchant's.
func cursorMissing(pg merchant.Page) error {
	if pg.EndingBefore != "" {
		return httpapi.Errorf(httpapi.CodeResourceMissing, "ending_before", "no such object: %q", pg.EndingBefore)
	}
	return httpapi.Errorf(httpapi.CodeResourceMissing, "starting_after", "no such object: %q", pg.StartingAfter)
}

func (a *api) listPayments(r *httpapi.Request) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	ps, more, err := a.svc.PaymentsPage(r.Context(), access(r.Key), pg)
	if errors.Is(err, merchant.ErrNotFound) {
		return nil, cursorMissing(pg)
	}
	if err != nil {
		return nil, err
	}
	out := make([]merchant.PaymentView, len(ps))
	for i, p := range ps {
		out[i] = p.View()
	}
	return httpapi.NewList("/v1/payment_intents", out, more), nil
}

type captureIn struct {
	AmountToCapture int64 `json:"amount_to_capture"`
}

func (a *api) capture(r *httpapi.Request) (any, error) {
	var in captureIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	ctx := context.WithoutCancel(r.Context())
	id := r.PathValue("id")
	acc := access(r.Key)
	p, err := a.svc.Payment(ctx, acc, id)
	if err != nil {
		return nil, missing(err, "id", id)
	}
	var amount money.Amount
	if in.AmountToCapture > 0 {
		amount = money.Amount{Minor: in.AmountToCapture, Currency: p.Amount.Currency}
	}
	p, err = a.svc.Capture(ctx, acc, id, amount)
	if errors.Is(err, merchant.ErrInvalidAmount) {
		return nil, httpapi.Errorf(httpapi.CodeParameterInvalid, "amount_to_capture", "amount_to_capture must be positive")
	}
	if errors.Is(err, merchant.ErrInvalidState) {
		return nil, httpapi.Errorf(CodeUnexpectedState, "", "a payment intent in status %s cannot be captured", p.Status)
	}
	if err != nil {
		return nil, missing(err, "id", id)
	}
	return p.View(), nil
}

func (a *api) cancel(r *httpapi.Request) (any, error) {
	id := r.PathValue("id")
	p, err := a.svc.Cancel(context.WithoutCancel(r.Context()), access(r.Key), id)
	if errors.Is(err, merchant.ErrInvalidState) {
		return nil, httpapi.Errorf(CodeUnexpectedState, "", "a payment intent in status %s cannot be canceled", p.Status)
	}
	if err != nil {
		return nil, missing(err, "id", id)
	}
	return p.View(), nil
}

type sessionCreate struct {
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	ItemName   string `json:"item_name"`
	Invoice    string `json:"invoice"`
	SuccessURL string `json:"success_url"`
	CancelURL  string `json:"cancel_url"`
}

// sessionView is the API view with the hosted page's absolute URL.
func (a *api) sessionView(cs merchant.Session) merchant.SessionView {
	v := cs.View()
	v.URL = a.base + v.URL
	return v
}

func (a *api) createSession(r *httpapi.Request) (any, error) {
	var in sessionCreate
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	cur, err := a.currency(in.Currency)
	if err != nil {
		return nil, err
	}
	cs, err := a.svc.CreateSession(context.WithoutCancel(r.Context()), access(r.Key), merchant.SessionRequest{
		Amount: money.Amount{Minor: in.Amount, Currency: cur}, ItemName: in.ItemName, Invoice: in.Invoice,
		SuccessURL: in.SuccessURL, CancelURL: in.CancelURL})
	switch {
	case errors.Is(err, merchant.ErrInvalidURL):
		param := "success_url"
		if merchant.SafeURL(in.SuccessURL) {
			param = "cancel_url"
		}
		return nil, httpapi.Errorf(CodeURLInvalid, param, "%s must be an absolute http(s) URL without credentials", param)
	case errors.Is(err, merchant.ErrInvalidText):
		return nil, httpapi.Errorf(CodeTextInvalid, "item_name", "item_name and invoice must be printable text (item_name not empty)")
	case err != nil:
		return nil, err
	}
	return a.sessionView(cs), nil
}

func (a *api) session(r *httpapi.Request) (any, error) {
	id := r.PathValue("id")
	cs, err := a.svc.Session(r.Context(), access(r.Key), id)
	if err != nil {
		return nil, missing(err, "id", id)
	}
	return a.sessionView(cs), nil
}

func (a *api) listSessions(r *httpapi.Request) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	ss, more, err := a.svc.SessionsPage(r.Context(), access(r.Key), pg)
	if errors.Is(err, merchant.ErrNotFound) {
		return nil, cursorMissing(pg)
	}
	if err != nil {
		return nil, err
	}
	out := make([]merchant.SessionView, len(ss))
	for i, cs := range ss {
		out[i] = a.sessionView(cs)
	}
	return httpapi.NewList("/v1/checkout/sessions", out, more), nil
}

func (a *api) expireSession(r *httpapi.Request) (any, error) {
	id := r.PathValue("id")
	cs, err := a.svc.ExpireSession(context.WithoutCancel(r.Context()), access(r.Key), id)
	if err != nil {
		return nil, missing(err, "id", id)
	}
	return a.sessionView(cs), nil
}

type refundCreate struct {
	PaymentIntent string `json:"payment_intent"`
	Amount        int64  `json:"amount"`
	Reason        string `json:"reason"`
}

// refundKey is the refund's idempotency in the merchant domain: derived
// from the Idempotency-Key and the request, so a retry of the same
// request finds the first refund even when the API did not save its
// answer, while the key reused later for another refund makes that one.
func refundKey(r *httpapi.Request) string {
	h := sha256.Sum256([]byte(r.IdempotencyKey + "\n" + httpapi.RequestHash(r.Method, r.URL.Path, r.Body)))
	return hex.EncodeToString(h[:])
}

func (a *api) createRefund(r *httpapi.Request) (any, error) {
	var in refundCreate
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	ctx := context.WithoutCancel(r.Context())
	acc := access(r.Key)
	p, err := a.svc.Payment(ctx, acc, in.PaymentIntent)
	if err != nil {
		return nil, missing(err, "payment_intent", in.PaymentIntent)
	}
	var amount money.Amount
	if in.Amount > 0 {
		amount = money.Amount{Minor: in.Amount, Currency: p.Amount.Currency}
	}
	rf, err := a.svc.Refund(ctx, acc, merchant.RefundRequest{PaymentID: p.ID, Amount: amount, Reason: in.Reason,
		ID: merchant.RefundID(p.ID, refundKey(r))})
	switch {
	case errors.Is(err, merchant.ErrInvalidState):
		return nil, httpapi.Errorf(CodeUnexpectedState, "payment_intent", "a payment intent in status %s cannot be refunded", p.Status)
	case errors.Is(err, merchant.ErrInvalidText):
		return nil, httpapi.Errorf(CodeTextInvalid, "reason", "the reason is not printable text")
	case err != nil:
		return nil, missing(err, "payment_intent", in.PaymentIntent)
	}
	return rf.View(), nil
}

func (a *api) refund(r *httpapi.Request) (any, error) {
	id := r.PathValue("id")
	rf, err := a.svc.RefundOf(r.Context(), access(r.Key), id)
	if err != nil {
		return nil, missing(err, "id", id)
	}
	return rf.View(), nil
}

func (a *api) listRefunds(r *httpapi.Request) (any, error) {
	pi := r.URL.Query().Get("payment_intent")
	if pi == "" {
		return nil, httpapi.Errorf(httpapi.CodeParameterMissing, "payment_intent", "give the payment intent whose refunds to list")
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	rs, err := a.svc.Refunds(r.Context(), access(r.Key), pi)
	if err != nil {
		return nil, missing(err, "payment_intent", pi)
	}
	// A payment's refunds are few (each is at least one minor unit of
	// what was captured), so the page is cut from all of them, newest
	// first.
	all := make([]merchant.RefundView, len(rs))
	for i, rf := range rs {
		all[len(rs)-1-i] = rf.View()
	}
	lo, hi := 0, len(all)
	find := func(id, param string) (int, error) {
		for i, v := range all {
			if v.ID == id {
				return i, nil
			}
		}
		return 0, httpapi.Errorf(httpapi.CodeResourceMissing, param, "no refund %q of this payment intent", id)
	}
	more := false
	switch {
	case pg.StartingAfter != "":
		i, err := find(pg.StartingAfter, "starting_after")
		if err != nil {
			return nil, err
		}
		lo = i + 1
		more = hi-lo > pg.Limit
		hi = min(hi, lo+pg.Limit)
	case pg.EndingBefore != "":
		i, err := find(pg.EndingBefore, "ending_before")
		if err != nil {
			return nil, err
		}
		hi = i
		more = hi > pg.Limit
		lo = max(0, hi-pg.Limit)
	default:
		more = hi > pg.Limit
		hi = min(hi, pg.Limit)
	}
	return httpapi.NewList("/v1/refunds", all[lo:hi], more), nil
}

type endpointCreate struct {
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabled_events"`
	Description   string   `json:"description"`
}

type endpointView struct {
	ID            string   `json:"id"`
	Object        string   `json:"object"`
	Livemode      bool     `json:"livemode"`
	Created       int64    `json:"created"`
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabled_events"`
	Description   string   `json:"description"`
	Status        string   `json:"status"`
	Secret        string   `json:"secret,omitempty"`
}

func endpointOf(e webhook.Endpoint, secret string) endpointView {
	return endpointView{ID: e.ID, Object: "webhook_endpoint", Livemode: e.Owner.Live(), Created: e.CreatedAt.Unix(), URL: e.URL,
		EnabledEvents: append([]string{}, e.Events...), Description: e.Description, Status: string(e.Status), Secret: secret}
}

func owner(k apikey.Key) webhook.Owner {
	mode := webhook.ModeTest
	if k.Livemode() {
		mode = webhook.ModeLive
	}
	return webhook.Owner{Merchant: k.Owner.ID, Mode: mode}
}

func (a *api) createEndpoint(r *httpapi.Request) (any, error) {
	var in endpointCreate
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	e, secret, err := a.hooks.CreateEndpoint(context.WithoutCancel(r.Context()), owner(r.Key), webhook.EndpointInput{
		URL: in.URL, Description: in.Description, Events: in.EnabledEvents})
	if err != nil {
		return nil, err
	}
	return endpointOf(e, secret), nil
}

// withoutSecret is what a replay of an endpoint's creation answers: the
// secret is shown once and never stored outside the sealed column.
func withoutSecret(body []byte) []byte {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return body
	}
	delete(v, "secret")
	b, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return b
}

func (a *api) listEndpoints(r *httpapi.Request) (any, error) {
	es, err := a.hooks.Endpoints(r.Context(), owner(r.Key))
	if err != nil {
		return nil, err
	}
	out := make([]endpointView, len(es))
	for i, e := range es {
		out[i] = endpointOf(e, "")
	}
	return httpapi.NewList("/v1/webhook_endpoints", out, false), nil
}
