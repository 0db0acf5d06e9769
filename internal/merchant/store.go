package merchant

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Store is the persistence the merchant service needs; sqlstore implements
// it on SQLite and PostgreSQL (DB.Merchant). Reads see committed data.
type Store interface {
	// InTx runs fn in one transaction and commits when it returns nil.
	// Never call the ledger inside it (on SQLite the ledger's committer
	// needs the same single writer connection).
	InTx(ctx context.Context, fn func(Tx) error) error

	// Merchant returns one merchant. Errors: ErrNotFound.
	Merchant(ctx context.Context, id string) (Merchant, error)
	// MerchantsBySupportEmail lists merchants whose support email is email
	// (normalised lower case), oldest first, at most limit.
	MerchantsBySupportEmail(ctx context.Context, email string, limit int) ([]Merchant, error)
	// Memberships lists the merchants a user belongs to, oldest first.
	Memberships(ctx context.Context, userID int64) ([]Membership, error)
	// Role returns the user's role in a merchant. Errors: ErrNotFound.
	Role(ctx context.Context, merchantID string, userID int64) (Role, error)
	// Members lists a merchant's members, owners first, then by join time.
	Members(ctx context.Context, merchantID string) ([]Member, error)

	// Payment returns one payment. Errors: ErrNotFound.
	Payment(ctx context.Context, id string) (Payment, error)
	// Payments lists a merchant's payments in one mode, newest first,
	// created before q.Before (zero: the newest), at most q.Limit.
	Payments(ctx context.Context, q PaymentQuery) ([]Payment, error)
	// Session returns one checkout session. Errors: ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// Refund returns one refund. Errors: ErrNotFound.
	Refund(ctx context.Context, id string) (Refund, error)
	// Refunds lists a payment's refunds, oldest first.
	Refunds(ctx context.Context, paymentID string) ([]Refund, error)
	// Stale lists, oldest first and at most limit of each, the payments
	// Processing and refunds pending unchanged since before, the open
	// sessions that expired before it, and the payments RequiresCapture
	// unchanged since uncaptured.
	Stale(ctx context.Context, before, uncaptured time.Time, limit int) (Stale, error)
}

// Stale is work the sweep finishes.
type Stale struct {
	Payments, Refunds, Sessions, Uncaptured []string
}

// Tx is the store inside one transaction. Every change of state is
// conditional and reports whether it took effect.
type Tx interface {
	InsertMerchant(ctx context.Context, m Merchant) error
	// InsertMember adds a membership; false when the user is a member.
	InsertMember(ctx context.Context, m Member) (bool, error)
	// DeleteMember removes a membership; false when there was none.
	DeleteMember(ctx context.Context, merchantID string, userID int64) (bool, error)
	// CountOwners counts a merchant's owners, locking its memberships
	// for the rest of the transaction where the engine allows.
	CountOwners(ctx context.Context, merchantID string) (int, error)

	InsertPayment(ctx context.Context, p Payment) error
	// UpdatePayment writes p's mutable fields when the stored version is
	// p.Version, and stores p.Version+1; false when another writer won.
	UpdatePayment(ctx context.Context, p Payment) (bool, error)
	// AddRefunded adds amount to a payment's refunded total.
	AddRefunded(ctx context.Context, paymentID string, amount int64, at time.Time) error

	InsertSession(ctx context.Context, cs Session) error
	// Session reads a session inside the transaction. Errors: ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// UpdateSessionStatus moves a session from one status to another;
	// false when it was not in from.
	UpdateSessionStatus(ctx context.Context, id string, from, to SessionStatus, at time.Time) (bool, error)

	InsertRefund(ctx context.Context, r Refund) error
	// FinishRefund records a pending refund's outcome; false when it was
	// no longer pending.
	FinishRefund(ctx context.Context, r Refund) (bool, error)

	// Wallet is this transaction as the wallet's store sees it, so the
	// payer's movement commits with the payment's change (payhist.go).
	Wallet() wallet.Tx
}

// PaymentQuery selects payments of one merchant and mode.
type PaymentQuery struct {
	MerchantID string
	Livemode   bool
	Before     time.Time
	Limit      int
}

// PaymentStatus is where a payment intent is in its life.
type PaymentStatus string

// The statuses, as the /v1 API names them.
const (
	RequiresPaymentMethod PaymentStatus = "requires_payment_method"
	RequiresAction        PaymentStatus = "requires_action"
	Processing            PaymentStatus = "processing"
	RequiresCapture       PaymentStatus = "requires_capture"
	Succeeded             PaymentStatus = "succeeded"
	Canceled              PaymentStatus = "canceled"
)

// CaptureMethod says whether an authorised payment is captured at once.
type CaptureMethod string

const (
	CaptureAutomatic CaptureMethod = "automatic"
	CaptureManual    CaptureMethod = "manual"
)

// Method is how a payment was paid.
type Method string

const (
	MethodBalance Method = "balance"
	MethodCard    Method = "card"
)

// Payment is a payment intent.
type Payment struct {
	ID            string // "pi_..."
	MerchantID    string
	Livemode      bool
	Amount        money.Amount // asked for
	CaptureMethod CaptureMethod
	Status        PaymentStatus
	Description   string
	SessionID     string // the checkout session that made it, if any

	// The attempt being made or made: which method, who paid, from which
	// ledger account. Attempt numbers the tries, so a declined attempt's
	// transfer ids are never reused by the next one.
	Method        Method
	Attempt       int
	PayerUserID   int64
	SourceAccount int64
	ChargeID      string // the card network's charge
	CardBrand     string
	CardLast4     string
	Challenge     string // what the card issuer asks, while RequiresAction
	FailureCode   string // why the last attempt failed

	AmountCaptured int64
	AmountRefunded int64
	Fee            int64

	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Object is the API object name.
func (Payment) Object() string { return "payment_intent" }

// AmountCapturable is what a manual capture may still take.
func (p Payment) AmountCapturable() money.Amount {
	if p.Status != RequiresCapture {
		return money.Amount{Currency: p.Amount.Currency}
	}
	return p.Amount
}

// Captured, Refunded and FeeAmount are in the payment's currency.
func (p Payment) Captured() money.Amount {
	return money.Amount{Minor: p.AmountCaptured, Currency: p.Amount.Currency}
}
func (p Payment) Refunded() money.Amount {
	return money.Amount{Minor: p.AmountRefunded, Currency: p.Amount.Currency}
}
func (p Payment) FeeAmount() money.Amount {
	return money.Amount{Minor: p.Fee, Currency: p.Amount.Currency}
}

// Refundable is what may still be refunded (a read for display: the
// ledger is what enforces it).
func (p Payment) Refundable() money.Amount {
	return money.Amount{Minor: p.AmountCaptured - p.AmountRefunded, Currency: p.Amount.Currency}
}

// SessionStatus is where a checkout session is.
type SessionStatus string

const (
	SessionOpen     SessionStatus = "open"
	SessionComplete SessionStatus = "complete"
	SessionExpired  SessionStatus = "expired"
)

// Session is a checkout session: what the hosted page shows and where it
// sends the shopper afterwards.
type Session struct {
	ID         string // "cs_..."
	MerchantID string
	Livemode   bool
	PaymentID  string
	Amount     money.Amount
	ItemName   string
	Invoice    string
	SuccessURL string
	CancelURL  string
	// NotifyURL is where the shop of an HTML form wants the signed
	// notification (the events sink delivers it).
	NotifyURL string
	// Form: made by the no-code HTML form rather than by code.
	Form      bool
	Status    SessionStatus
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Object is the API object name.
func (Session) Object() string { return "checkout.session" }

// RefundStatus is a refund's outcome.
type RefundStatus string

const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund gives captured money back to the payer.
type Refund struct {
	ID          string // "re_..."
	PaymentID   string
	MerchantID  string
	Livemode    bool
	Amount      money.Amount
	Reason      string
	Status      RefundStatus
	FailureCode string
	CreatedBy   int64 // the member, 0 for an API key
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Object is the API object name.
func (Refund) Object() string { return "refund" }
