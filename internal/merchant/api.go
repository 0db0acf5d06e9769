package merchant

import "github.com/okpay/okpay/internal/money"

// The API views: what the /v1 JSON API and webhook events show of each
// object, in the conventions of the best payment APIs (prefixed id,
// "object", "livemode", "created" in Unix seconds, amounts in minor units
// with a lower-case currency). A JSON handler returns these as they are.

// PaymentView is a payment intent as the API shows it.
type PaymentView struct {
	ID               string `json:"id"`
	Object           string `json:"object"`
	Livemode         bool   `json:"livemode"`
	Created          int64  `json:"created"`
	Merchant         string `json:"merchant"`
	Amount           int64  `json:"amount"`
	AmountCapturable int64  `json:"amount_capturable"`
	AmountReceived   int64  `json:"amount_received"`
	AmountRefunded   int64  `json:"amount_refunded"`
	Fee              int64  `json:"fee"`
	Currency         string `json:"currency"`
	Status           string `json:"status"`
	CaptureMethod    string `json:"capture_method"`
	PaymentMethod    string `json:"payment_method_type,omitempty"`
	CardBrand        string `json:"card_brand,omitempty"`
	CardLast4        string `json:"card_last4,omitempty"`
	Description      string `json:"description,omitempty"`
	CheckoutSession  string `json:"checkout_session,omitempty"`
	LastPaymentError string `json:"last_payment_error,omitempty"`
}

func lower(c money.Currency) string {
	b := []byte(c.Code)
	for i, x := range b {
		if 'A' <= x && x <= 'Z' {
			b[i] = x + 'a' - 'A'
		}
	}
	return string(b)
}

// View is the API view of p.
func (p Payment) View() PaymentView {
	return PaymentView{ID: p.ID, Object: p.Object(), Livemode: p.Livemode, Created: p.CreatedAt.Unix(), Merchant: p.MerchantID,
		Amount: p.Amount.Minor, AmountCapturable: p.AmountCapturable().Minor, AmountReceived: p.AmountCaptured,
		AmountRefunded: p.AmountRefunded, Fee: p.Fee, Currency: lower(p.Amount.Currency), Status: string(p.Status),
		CaptureMethod: string(p.CaptureMethod), PaymentMethod: string(p.Method), CardBrand: p.CardBrand, CardLast4: p.CardLast4,
		Description: p.Description, CheckoutSession: p.SessionID, LastPaymentError: p.FailureCode}
}

// SessionView is a checkout session as the API shows it; URL is the
// hosted page's path (the API prefixes the site's base URL).
type SessionView struct {
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
	Status        string `json:"status"`
	SuccessURL    string `json:"success_url"`
	CancelURL     string `json:"cancel_url"`
	NotifyURL     string `json:"notify_url,omitempty"`
	URL           string `json:"url"`
}

// View is the API view of cs.
func (cs Session) View() SessionView {
	return SessionView{ID: cs.ID, Object: cs.Object(), Livemode: cs.Livemode, Created: cs.CreatedAt.Unix(),
		ExpiresAt: cs.ExpiresAt.Unix(), Merchant: cs.MerchantID, PaymentIntent: cs.PaymentID, AmountTotal: cs.Amount.Minor,
		Currency: lower(cs.Amount.Currency), ItemName: cs.ItemName, Invoice: cs.Invoice, Status: string(cs.Status),
		SuccessURL: cs.SuccessURL, CancelURL: cs.CancelURL, NotifyURL: cs.NotifyURL, URL: "/checkout/" + cs.ID}
}

// RefundView is a refund as the API shows it.
type RefundView struct {
	ID            string `json:"id"`
	Object        string `json:"object"`
	Livemode      bool   `json:"livemode"`
	Created       int64  `json:"created"`
	PaymentIntent string `json:"payment_intent"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Status        string `json:"status"`
	Reason        string `json:"reason,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
}

// View is the API view of r.
func (r Refund) View() RefundView {
	return RefundView{ID: r.ID, Object: r.Object(), Livemode: r.Livemode, Created: r.CreatedAt.Unix(), PaymentIntent: r.PaymentID,
		Amount: r.Amount.Minor, Currency: lower(r.Amount.Currency), Status: string(r.Status), Reason: r.Reason,
		FailureReason: r.FailureCode}
}

// View is the API view of the event's object, for its JSON payload.
func (e Event) View() any {
	switch o := e.Object.(type) {
	case Payment:
		return o.View()
	case Session:
		return o.View()
	case Refund:
		return o.View()
	}
	return e.Object
}
