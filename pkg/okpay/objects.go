package okpay

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

// PaymentIntent is a payment a merchant collects. Amounts are in the
// currency's minor units; Currency is lower case.
type PaymentIntent struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Livemode          bool   `json:"livemode"`
	Created           int64  `json:"created"`
	Merchant          string `json:"merchant"`
	Amount            int64  `json:"amount"`
	AmountCapturable  int64  `json:"amount_capturable"`
	AmountReceived    int64  `json:"amount_received"`
	AmountRefunded    int64  `json:"amount_refunded"`
	Fee               int64  `json:"fee"`
	Currency          string `json:"currency"`
	Status            string `json:"status"`
	CaptureMethod     string `json:"capture_method"`
	PaymentMethodType string `json:"payment_method_type,omitempty"`
	CardBrand         string `json:"card_brand,omitempty"`
	CardLast4         string `json:"card_last4,omitempty"`
	Description       string `json:"description,omitempty"`
	CheckoutSession   string `json:"checkout_session,omitempty"`
	LastPaymentError  string `json:"last_payment_error,omitempty"`
}

func (p PaymentIntent) id() string { return p.ID }

// PaymentIntentParams create a payment intent.
type PaymentIntentParams struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// CaptureMethod is "automatic" (default) or "manual".
	CaptureMethod string `json:"capture_method,omitempty"`
	Description   string `json:"description,omitempty"`
}

// CreatePaymentIntent creates a payment intent in the key's mode.
func (c *Client) CreatePaymentIntent(ctx context.Context, p PaymentIntentParams, opts ...CallOption) (*PaymentIntent, error) {
	return send[PaymentIntent](ctx, c, http.MethodPost, "/v1/payment_intents", p, opts)
}

// GetPaymentIntent retrieves a payment intent.
func (c *Client) GetPaymentIntent(ctx context.Context, id string) (*PaymentIntent, error) {
	return send[PaymentIntent](ctx, c, http.MethodGet, "/v1/payment_intents/"+pathID(id), nil, nil)
}

// CapturePaymentIntent captures an authorised manual-capture payment:
// amountToCapture of it, or all when 0.
func (c *Client) CapturePaymentIntent(ctx context.Context, id string, amountToCapture int64, opts ...CallOption) (*PaymentIntent, error) {
	body := map[string]any{}
	if amountToCapture > 0 {
		body["amount_to_capture"] = amountToCapture
	}
	return send[PaymentIntent](ctx, c, http.MethodPost, "/v1/payment_intents/"+pathID(id)+"/capture", body, opts)
}

// CancelPaymentIntent cancels a payment not yet captured.
func (c *Client) CancelPaymentIntent(ctx context.Context, id string, opts ...CallOption) (*PaymentIntent, error) {
	return send[PaymentIntent](ctx, c, http.MethodPost, "/v1/payment_intents/"+pathID(id)+"/cancel", map[string]any{}, opts)
}

// ListPaymentIntents returns one page of payment intents, newest first.
func (c *Client) ListPaymentIntents(ctx context.Context, p ListParams) (*List[PaymentIntent], error) {
	return send[List[PaymentIntent]](ctx, c, http.MethodGet, "/v1/payment_intents"+p.query(nil), nil, nil)
}

// AllPaymentIntents walks every payment intent, newest first, fetching
// pages of limit.
func (c *Client) AllPaymentIntents(ctx context.Context, limit int) iter.Seq2[PaymentIntent, error] {
	return all(limit, func(p ListParams) (*List[PaymentIntent], error) { return c.ListPaymentIntents(ctx, p) })
}

// CheckoutSession is a hosted payment page for one item.
type CheckoutSession struct {
	ID            string `json:"id"`
	Object        string `json:"object"`
	Livemode      bool   `json:"livemode"`
	Created       int64  `json:"created"`
	ExpiresAt     int64  `json:"expires_at"`
	Merchant      string `json:"merchant"`
	PaymentIntent string `json:"payment_intent"`
	AmountTotal   int64  `json:"amount_total"`
	Currency      string `json:"currency"`
	ItemName      string `json:"item_name"`
	Invoice       string `json:"invoice,omitempty"`
	// Status is open, complete (paid) or expired.
	Status     string `json:"status"`
	SuccessURL string `json:"success_url"`
	CancelURL  string `json:"cancel_url"`
	NotifyURL  string `json:"notify_url,omitempty"`
	// URL is the hosted page: send the shopper there.
	URL string `json:"url"`
}

func (s CheckoutSession) id() string { return s.ID }

// CheckoutSessionParams create a checkout session.
type CheckoutSessionParams struct {
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	ItemName   string `json:"item_name"`
	Invoice    string `json:"invoice,omitempty"`
	SuccessURL string `json:"success_url"`
	CancelURL  string `json:"cancel_url,omitempty"`
}

// CreateCheckoutSession creates a checkout session; send the shopper to
// its URL.
func (c *Client) CreateCheckoutSession(ctx context.Context, p CheckoutSessionParams, opts ...CallOption) (*CheckoutSession, error) {
	return send[CheckoutSession](ctx, c, http.MethodPost, "/v1/checkout/sessions", p, opts)
}

// GetCheckoutSession retrieves a checkout session.
func (c *Client) GetCheckoutSession(ctx context.Context, id string) (*CheckoutSession, error) {
	return send[CheckoutSession](ctx, c, http.MethodGet, "/v1/checkout/sessions/"+pathID(id), nil, nil)
}

// ExpireCheckoutSession closes an open session so it can no longer be
// paid.
func (c *Client) ExpireCheckoutSession(ctx context.Context, id string, opts ...CallOption) (*CheckoutSession, error) {
	return send[CheckoutSession](ctx, c, http.MethodPost, "/v1/checkout/sessions/"+pathID(id)+"/expire", map[string]any{}, opts)
}

// ListCheckoutSessions returns one page of sessions, newest first.
func (c *Client) ListCheckoutSessions(ctx context.Context, p ListParams) (*List[CheckoutSession], error) {
	return send[List[CheckoutSession]](ctx, c, http.MethodGet, "/v1/checkout/sessions"+p.query(nil), nil, nil)
}

// AllCheckoutSessions walks every session, newest first.
func (c *Client) AllCheckoutSessions(ctx context.Context, limit int) iter.Seq2[CheckoutSession, error] {
	return all(limit, func(p ListParams) (*List[CheckoutSession], error) { return c.ListCheckoutSessions(ctx, p) })
}

// Refund is money given back to a payer.
type Refund struct {
	ID            string `json:"id"`
	Object        string `json:"object"`
	Livemode      bool   `json:"livemode"`
	Created       int64  `json:"created"`
	PaymentIntent string `json:"payment_intent"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	// Status is pending, succeeded or failed.
	Status        string `json:"status"`
	Reason        string `json:"reason,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
}

func (r Refund) id() string { return r.ID }

// RefundParams refund a payment intent: Amount of it, or all that is
// left when 0.
type RefundParams struct {
	PaymentIntent string `json:"payment_intent"`
	Amount        int64  `json:"amount,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// CreateRefund refunds a succeeded payment intent. A refund over what is
// left is refused with code refund_exceeds_captured.
func (c *Client) CreateRefund(ctx context.Context, p RefundParams, opts ...CallOption) (*Refund, error) {
	return send[Refund](ctx, c, http.MethodPost, "/v1/refunds", p, opts)
}

// GetRefund retrieves a refund.
func (c *Client) GetRefund(ctx context.Context, id string) (*Refund, error) {
	return send[Refund](ctx, c, http.MethodGet, "/v1/refunds/"+pathID(id), nil, nil)
}

// ListRefunds returns one page of a payment intent's refunds, newest
// first.
func (c *Client) ListRefunds(ctx context.Context, paymentIntent string, p ListParams) (*List[Refund], error) {
	return send[List[Refund]](ctx, c, http.MethodGet, "/v1/refunds"+p.query(url.Values{"payment_intent": {paymentIntent}}), nil, nil)
}

// AllRefunds walks every refund of a payment intent, newest first.
func (c *Client) AllRefunds(ctx context.Context, paymentIntent string, limit int) iter.Seq2[Refund, error] {
	return all(limit, func(p ListParams) (*List[Refund], error) { return c.ListRefunds(ctx, paymentIntent, p) })
}

// WebhookEndpoint is a URL that receives the merchant's events.
type WebhookEndpoint struct {
	ID            string   `json:"id"`
	Object        string   `json:"object"`
	Livemode      bool     `json:"livemode"`
	Created       int64    `json:"created"`
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabled_events"`
	Description   string   `json:"description"`
	Status        string   `json:"status"`
	// Secret (whsec_…) signs deliveries; only CreateWebhookEndpoint
	// returns it.
	Secret string `json:"secret,omitempty"`
}

// WebhookEndpointParams create a webhook endpoint.
type WebhookEndpointParams struct {
	URL string `json:"url"`
	// EnabledEvents are event types, or {"*"} for all.
	EnabledEvents []string `json:"enabled_events"`
	Description   string   `json:"description,omitempty"`
}

// CreateWebhookEndpoint registers an endpoint; keep the returned Secret
// to verify deliveries.
func (c *Client) CreateWebhookEndpoint(ctx context.Context, p WebhookEndpointParams, opts ...CallOption) (*WebhookEndpoint, error) {
	return send[WebhookEndpoint](ctx, c, http.MethodPost, "/v1/webhook_endpoints", p, opts)
}

// ListWebhookEndpoints lists the endpoints of the key's mode.
func (c *Client) ListWebhookEndpoints(ctx context.Context) (*List[WebhookEndpoint], error) {
	return send[List[WebhookEndpoint]](ctx, c, http.MethodGet, "/v1/webhook_endpoints", nil, nil)
}

// Wallet keys (a customer's own sk_live_ keys).

// BalanceAmount is an amount of one currency (upper-case code).
type BalanceAmount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Balance is a wallet's balance per currency.
type Balance struct {
	Object    string          `json:"object"`
	Livemode  bool            `json:"livemode"`
	Created   int64           `json:"created"`
	Available []BalanceAmount `json:"available"`
	Pending   []BalanceAmount `json:"pending"`
}

// GetBalance reads the key owner's wallet balance (scope read).
func (c *Client) GetBalance(ctx context.Context) (*Balance, error) {
	return send[Balance](ctx, c, http.MethodGet, "/v1/balance", nil, nil)
}

// Party is the other side of a transfer or movement.
type Party struct {
	WalletID string `json:"wallet_id"`
	Name     string `json:"name"`
}

// Transfer is money sent to another OKPay user.
type Transfer struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Livemode bool   `json:"livemode"`
	Created  int64  `json:"created"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Fee      int64  `json:"fee"`
	FeePayer string `json:"fee_payer"`
	To       Party  `json:"to"`
	Note     string `json:"note"`
	// Status is pending, held (under review), completed or failed.
	Status      string  `json:"status"`
	FailureCode *string `json:"failure_code"`
	Movement    string  `json:"movement"`
}

// TransferParams send money from the key owner's wallet (scope send).
type TransferParams struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// To is a wallet id, email address or phone number.
	To       string `json:"to"`
	Note     string `json:"note,omitempty"`
	FeePayer string `json:"fee_payer,omitempty"`
}

// CreateTransfer sends money. Use WithIdempotencyKey with your own key
// when the call may be retried, so it never sends twice.
func (c *Client) CreateTransfer(ctx context.Context, p TransferParams, opts ...CallOption) (*Transfer, error) {
	return send[Transfer](ctx, c, http.MethodPost, "/v1/transfers", p, opts)
}

// GetTransfer retrieves a sent transfer.
func (c *Client) GetTransfer(ctx context.Context, id string) (*Transfer, error) {
	return send[Transfer](ctx, c, http.MethodGet, "/v1/transfers/"+pathID(id), nil, nil)
}

// Movement is one entry of a wallet's history.
type Movement struct {
	ID           string  `json:"id"`
	Object       string  `json:"object"`
	Livemode     bool    `json:"livemode"`
	Created      int64   `json:"created"`
	Type         string  `json:"type"`
	Status       string  `json:"status"`
	Amount       int64   `json:"amount"`
	Currency     string  `json:"currency"`
	Fee          int64   `json:"fee"`
	Net          int64   `json:"net"`
	Counterparty *Party  `json:"counterparty"`
	Note         string  `json:"note"`
	Posted       *int64  `json:"posted"`
	Transfer     *string `json:"transfer"`
}

func (m Movement) id() string { return m.ID }

// ListHistory returns one page of the wallet's movements, newest first.
func (c *Client) ListHistory(ctx context.Context, p ListParams) (*List[Movement], error) {
	return send[List[Movement]](ctx, c, http.MethodGet, "/v1/history"+p.query(nil), nil, nil)
}

// AllHistory walks the whole history, newest first.
func (c *Client) AllHistory(ctx context.Context, limit int) iter.Seq2[Movement, error] {
	return all(limit, func(p ListParams) (*List[Movement], error) { return c.ListHistory(ctx, p) })
}
