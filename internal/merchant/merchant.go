// Package merchant owns OKPay's merchants (MER-1, MER-3, MER-4): the
// business profile on a customer account and its team, payment intents
// and their money movements in the ledger, checkout sessions (the hosted
// page and the no-code HTML form create them), and refunds. It knows no
// HTTP or SQL: sqlstore implements Store, internal/web renders what
// Service returns, and a /v1 JSON layer can be a thin mapping of the same
// objects (prefixed ids, Object, Livemode, Created).
//
// Invariants it keeps:
//   - A merchant's team is a per-merchant membership (owner, developer,
//     viewer), never a global role. Every read and change goes through an
//     Access for one merchant and one mode; an object of another merchant
//     or of the other mode is ErrNotFound, so a member of one merchant can
//     neither read nor change another's payments. Only owners manage the
//     team, viewers change nothing, and a merchant keeps at least one owner.
//   - Test mode and live mode are separate books: every object carries
//     Livemode, and test-mode money moves only among test ledger accounts
//     (the merchant's test balances, a test card-clearing and a test fee
//     account). Test mode takes test cards only, never an OKPay balance, so
//     no customer wallet and no live balance is ever touched by it.
//   - Authorising a payment is a pending ledger transfer (a hold on the
//     payer's wallet, or on card clearing for a card) into the merchant's
//     balance for its mode and currency; capturing posts it (a partial
//     capture posts part and the ledger releases the rest in the same
//     transfer), with the fee and the payment's refundable credit in one
//     linked set; canceling voids it. The ledger refuses a wallet overdraft
//     inside its commit, so a balance payment can never spend money twice.
//   - Refunds never exceed what was captured, even under concurrency: the
//     capture credits a per-payment "refundable" account (which can never
//     go below zero), and every refund debits it in the same linked set
//     that debits the merchant's balance (which can never go below zero
//     either) and credits the payer. The ledger commit is what enforces
//     both caps; nothing here reads a balance and then writes.
//   - Every transfer id is derived from its business object (the payment
//     and its attempt, or the refund), so a retried step answers "exists"
//     and never posts twice. State changes are conditional on the stored
//     version, so two requests racing on one payment cannot both win.
//   - No card number or security code is stored: the card goes to the
//     rail and is forgotten; only brand and last four digits are kept.
//   - A balance payment is the payer's too: its wallet movement (and each
//     refund's) is written in the transaction that changes the payment, it
//     counts against the payer's monthly send limit inside the ledger
//     commit of the hold, and a frozen payer is refused (payhist.go).
package merchant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Errors the service returns. ErrorCode gives each a stable snake_case
// code for pages and the API.
var (
	ErrNotFound            = errors.New("merchant: not found")
	ErrForbidden           = errors.New("merchant: your role does not allow this")
	ErrInvalidName         = errors.New("merchant: invalid business name")
	ErrInvalidCountry      = errors.New("merchant: invalid country")
	ErrInvalidCurrency     = errors.New("merchant: currency not supported")
	ErrInvalidEmail        = errors.New("merchant: invalid email")
	ErrInvalidDescriptor   = errors.New("merchant: invalid statement descriptor")
	ErrInvalidRole         = errors.New("merchant: invalid role")
	ErrUserNotFound        = errors.New("merchant: no OKPay account with that email")
	ErrAlreadyMember       = errors.New("merchant: already a member")
	ErrLastOwner           = errors.New("merchant: a merchant keeps at least one owner")
	ErrInvalidAmount       = errors.New("merchant: invalid amount")
	ErrInvalidURL          = errors.New("merchant: invalid url")
	ErrInvalidText         = errors.New("merchant: text too long or not printable")
	ErrInvalidState        = errors.New("merchant: the payment is not in a state that allows this")
	ErrTestModeBalance     = errors.New("merchant: test-mode payments take test cards only")
	ErrInsufficientFunds   = errors.New("merchant: insufficient available balance")
	ErrStepUpRequired      = errors.New("merchant: a second-factor code is required for this amount")
	ErrStepUpRefused       = errors.New("merchant: the second-factor confirmation was refused")
	ErrTwoFactorOff        = errors.New("merchant: two-factor authentication is needed for this amount")
	ErrCardDeclined        = errors.New("merchant: the card was declined")
	ErrCardInvalid         = errors.New("merchant: the card details are not valid")
	ErrAuthenticationFail  = errors.New("merchant: the card's confirmation code was wrong")
	ErrCardUnavailable     = errors.New("merchant: the card network is unavailable")
	ErrCaptureExceeds      = errors.New("merchant: capture exceeds the authorised amount")
	ErrRefundExceeds       = errors.New("merchant: refund exceeds what is left to refund")
	ErrMerchantInsufficent = errors.New("merchant: the merchant balance cannot cover the refund")
	ErrSessionExpired      = errors.New("merchant: the checkout session has expired")
	ErrSessionComplete     = errors.New("merchant: the checkout session is already paid")
	ErrSendLimit           = errors.New("merchant: the payment would exceed the payer's monthly send limit")
	ErrPayerFrozen         = errors.New("merchant: the payer's outgoing payments are paused")
	ErrUnavailable         = errors.New("merchant: temporarily unavailable")
)

// errorCodes gives each error its code; ErrUnavailable comes last, so an
// error wrapping it and a refusal reports the refusal.
var errorCodes = []struct {
	err  error
	code string
}{
	{ErrNotFound, "not_found"},
	{ErrForbidden, "forbidden"},
	{ErrInvalidName, "invalid_name"},
	{ErrInvalidCountry, "invalid_country"},
	{ErrInvalidCurrency, "invalid_currency"},
	{ErrInvalidEmail, "invalid_email"},
	{ErrInvalidDescriptor, "invalid_descriptor"},
	{ErrInvalidRole, "invalid_role"},
	{ErrUserNotFound, "user_not_found"},
	{ErrAlreadyMember, "already_member"},
	{ErrLastOwner, "last_owner"},
	{ErrInvalidAmount, "invalid_amount"},
	{ErrInvalidURL, "invalid_url"},
	{ErrInvalidText, "invalid_text"},
	{ErrInvalidState, "invalid_state"},
	{ErrTestModeBalance, "test_mode_balance"},
	{ErrInsufficientFunds, "insufficient_funds"},
	{ErrStepUpRequired, "step_up_required"},
	{ErrStepUpRefused, "step_up_refused"},
	{ErrTwoFactorOff, "two_factor_required"},
	{ErrCardDeclined, "card_declined"},
	{ErrCardInvalid, "card_invalid"},
	{ErrAuthenticationFail, "authentication_failed"},
	{ErrCardUnavailable, "card_unavailable"},
	{ErrCaptureExceeds, "capture_exceeds_authorized"},
	{ErrRefundExceeds, "refund_exceeds_captured"},
	{ErrMerchantInsufficent, "merchant_balance_insufficient"},
	{ErrSessionExpired, "session_expired"},
	{ErrSessionComplete, "session_complete"},
	// Disputes (dispute.go).
	{ErrDisputesOff, "disputes_off"},
	{ErrDisputeExists, "dispute_exists"},
	{ErrNotDisputable, "not_disputable"},
	{ErrNothingToDispute, "nothing_to_dispute"},
	{ErrInvalidReason, "invalid_reason"},
	{ErrDisputeText, "invalid_dispute_text"},
	{ErrDisputeClosed, "dispute_closed"},
	{ErrDeadlinePassed, "deadline_passed"},
	{ErrEvidenceEmpty, "evidence_empty"},
	{ErrEvidenceType, "evidence_type"},
	{ErrEvidenceTooLarge, "evidence_too_large"},
	{ErrEvidenceTooMany, "evidence_too_many"},
	{ErrInvalidOutcome, "invalid_outcome"},
	{ErrSendLimit, "send_limit_exceeded"},
	{ErrPayerFrozen, "outgoing_frozen"},
	{ErrUnavailable, "unavailable"},
}

// Errors lists every error the package returns, for tables that must map
// them all (pages, the API's error table).
func Errors() []error {
	out := make([]error, 0, len(errorCodes))
	for _, e := range errorCodes {
		out = append(out, e.err)
	}
	return out
}

// ErrorCode is the stable code of one of the package's errors (wrapped or
// not), or "" for any other error.
func ErrorCode(err error) string {
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return ""
}

func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// Mode is test or live. Objects carry it as Livemode.
type Mode string

const (
	Test Mode = "test"
	Live Mode = "live"
)

// Live reports whether m is live mode.
func (m Mode) Live() bool { return m == Live }

// ParseMode reads "test" or "live"; anything else is test, the safe side.
func ParseMode(s string) Mode {
	if s == string(Live) {
		return Live
	}
	return Test
}

func modeOf(live bool) Mode {
	if live {
		return Live
	}
	return Test
}

// Role is a member's role in one merchant.
type Role string

const (
	// Owner: everything, including the team.
	Owner Role = "owner"
	// Developer: payments (capture, cancel, refund), and, with
	// internal/apikey, API keys; not the team.
	Developer Role = "developer"
	// Viewer: reads only.
	Viewer Role = "viewer"
)

// ParseRole reads a role. Errors: ErrInvalidRole.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Owner, Developer, Viewer:
		return r, nil
	}
	return "", ErrInvalidRole
}

// CanMoveMoney reports whether the role may capture, cancel and refund.
func (r Role) CanMoveMoney() bool { return r == Owner || r == Developer }

// CanManageTeam reports whether the role may invite and remove members.
func (r Role) CanManageTeam() bool { return r == Owner }

// Merchant is a business profile on a customer account.
type Merchant struct {
	ID           string // "mer_..."
	Name         string
	Country      string // ISO 3166-1 alpha-2
	Currency     money.Currency
	SupportEmail string
	Descriptor   string // what shoppers see on their statement
	CreatedAt    time.Time
}

// Object is the API object name.
func (Merchant) Object() string { return "merchant" }

// Member is one person's membership in a merchant.
type Member struct {
	MerchantID string
	UserID     int64
	Email      string
	Role       Role
	CreatedAt  time.Time
}

// Membership is a merchant as one of its members sees it.
type Membership struct {
	Merchant Merchant
	Role     Role
}

// Access is what one caller may do in one merchant and one mode: a member
// signed in on the dashboard (Service.Access), or, later, an API key
// (built by the /v1 layer from the key's merchant, mode and its grant,
// Developer for a secret key).
type Access struct {
	MerchantID string
	Mode       Mode
	Role       Role
	// UserID is the member acting (0 for an API key), for the record.
	UserID int64
}

// Event is something a merchant's webhooks and the HTML form's notify URL
// hear about.
type Event struct {
	// ID is derived from the object and the type, so recording the same
	// event again (a retried step) can be deduplicated.
	ID         string
	Type       string // "payment_intent.succeeded", ...
	MerchantID string
	Livemode   bool
	Object     any // Payment, Session or Refund, as it is after the change (View gives its JSON)
	Created    time.Time
}

// Event types (internal/webhook's EventTypes must list them).
const (
	EventPaymentCreated    = "payment_intent.created"
	EventPaymentCapturable = "payment_intent.amount_capturable_updated"
	EventPaymentSucceeded  = "payment_intent.succeeded"
	EventPaymentCanceled   = "payment_intent.canceled"
	EventPaymentFailed     = "payment_intent.payment_failed"
	EventSessionCompleted  = "checkout.session.completed"
	EventSessionExpired    = "checkout.session.expired"
	EventRefundCreated     = "refund.created"
)

// Events records events in the transaction of the change they describe,
// so nothing is announced for a change that rolled back (internal/webhook
// implements it; nil records nothing).
type Events interface {
	Record(ctx context.Context, tx Tx, e Event) error
}

// Ledger is the part of *ledger.Ledger the service uses.
type Ledger interface {
	Submit(ctx context.Context, ts []ledger.Transfer) ([]ledger.Result, error)
	CreateAccount(ctx context.Context, a ledger.Account) (ledger.Account, error)
	Account(ctx context.Context, id int64) (ledger.Account, error)
}

// Wallets are the customers' wallets (*wallet.Service).
type Wallets interface {
	// WalletAccount returns the ledger account of the user's wallet in
	// currency, opening the wallet when needed.
	WalletAccount(ctx context.Context, userID int64, currency string) (int64, error)
	// CardClearing and FeeRevenue return the platform's live accounts.
	CardClearing(ctx context.Context, currency string) (int64, error)
	FeeRevenue(ctx context.Context, currency string) (int64, error)
}

// Directory finds users by email and shows them (the auth users).
type Directory interface {
	// UserByEmail returns the id of the active user with this email.
	// Errors: ErrUserNotFound.
	UserByEmail(ctx context.Context, email string) (int64, error)
	// Email returns a user's email. Errors: ErrUserNotFound.
	Email(ctx context.Context, userID int64) (string, error)
}

// Fees quotes the merchant payment fee from the fee schedule.
type Fees interface {
	// PaymentFee returns the fee on a captured amount, in its currency,
	// never more than the amount.
	PaymentFee(amount money.Amount) (money.Amount, error)
}

// StepUp confirms large balance payments with the second factor
// (*twofactor.Service).
type StepUp interface {
	Enabled(ctx context.Context, userID int64) (bool, error)
	UseStepUp(ctx context.Context, userID int64, token string, a twofactor.Action) error
}

// Rates converts amounts for the step-up threshold (internal/fx).
type Rates interface {
	Convert(ctx context.Context, a money.Amount, to money.Currency, at time.Time) (money.Amount, error)
}

// Config is the merchant part of the platform configuration.
type Config struct {
	// Currencies merchants may charge in (default: the wallet's).
	Currencies []string
	// LargePayment: a balance payment at or above it (converted) needs a
	// second-factor code (default 1,000.00 USD, as sends).
	LargePayment money.Amount
	// SessionTTL is how long a checkout session stays open (default 24h).
	SessionTTL time.Duration
	// CaptureWindow is how long an authorised manual-capture payment
	// waits for its capture before the sweep cancels it and releases the
	// payer's money (default 7 days).
	CaptureWindow time.Duration
}

// Options are a Service's dependencies.
type Options struct {
	Config    Config
	Store     Store
	Ledger    Ledger
	Wallets   Wallets
	Directory Directory
	Fees      Fees
	StepUp    StepUp
	Rates     Rates
	// Card is the card rail (the connector's card sandbox in development).
	Card connector.Charger
	// Events hears about payments, sessions and refunds; nil: nobody.
	Events Events
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the merchant domain. It is safe for concurrent use.
type Service struct {
	cfg     Config
	store   Store
	ledger  Ledger
	wallets Wallets
	dir     Directory
	fees    Fees
	stepUp  StepUp
	rates   Rates
	card    connector.Charger
	events  Events
	now     func() time.Time
	log     *slog.Logger

	accounts sync.Map // ledger ref -> account id

	disputes *disputes // nil until EnableDisputes
}

// New checks the options and returns the service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Ledger == nil || o.Wallets == nil || o.Directory == nil || o.Fees == nil || o.StepUp == nil || o.Rates == nil || o.Card == nil {
		return nil, errors.New("merchant: New needs a store, ledger, wallets, directory, fees, step-up, rates and a card rail")
	}
	c := o.Config
	if len(c.Currencies) == 0 {
		c.Currencies = []string{"USD", "EUR", "CNY", "GBP", "JPY", "RUB"}
	}
	for _, code := range c.Currencies {
		if _, err := money.Lookup(code); err != nil {
			return nil, fmt.Errorf("merchant: currency %q: %w", code, err)
		}
	}
	if c.LargePayment.Currency.Code == "" {
		c.LargePayment = money.Amount{Minor: 1000_00, Currency: money.MustCurrency("USD")}
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 24 * time.Hour
	}
	if c.CaptureWindow <= 0 {
		c.CaptureWindow = 7 * 24 * time.Hour
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: c, store: o.Store, ledger: o.Ledger, wallets: o.Wallets, dir: o.Directory, fees: o.Fees,
		stepUp: o.StepUp, rates: o.Rates, card: o.Card, events: o.Events, now: now, log: log}, nil
}

// SetEvents connects the events sink after construction (the webhook
// service is built later in cmd/okpay).
func (s *Service) SetEvents(e Events) { s.events = e }

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

// Currencies are those merchants may charge in.
func (s *Service) Currencies() []string { return append([]string(nil), s.cfg.Currencies...) }

func (s *Service) currency(code string) (money.Currency, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, c := range s.cfg.Currencies {
		if c == code {
			return money.Lookup(c)
		}
	}
	return money.Currency{}, ErrInvalidCurrency
}

// record records an event when an Events sink is connected.
func (s *Service) record(ctx context.Context, tx Tx, typ, merchantID string, live bool, objectID string, obj any) error {
	if s.events == nil {
		return nil
	}
	// The id is fixed by the object, the type and, for a payment (which
	// can fail more than once), the version the change wrote: the same
	// step recorded again has the same id, a later one a new id.
	step := typ
	if p, ok := obj.(Payment); ok {
		step += ":" + strconv.FormatInt(p.Version, 10)
	}
	return s.events.Record(ctx, tx, Event{ID: "evt_" + encodeID(ledger.DeriveID(idBits(objectID), step)), Type: typ,
		MerchantID: merchantID, Livemode: live, Object: obj, Created: s.nowUTC()})
}

// idBits returns the 128 bits of any of the package's prefixed ids.
func idBits(id string) ledger.ID {
	if i := strings.IndexByte(id, '_'); i > 0 {
		if b, ok := decodeID(id[i+1:]); ok {
			return b
		}
	}
	return ledger.ID{}
}
