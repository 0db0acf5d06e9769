package connector

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/money"
)

// Rail is a kind of payment network a connector speaks to.
type Rail string

// The rails OKPay knows.
const (
	RailCard         Rail = "card"
	RailBankTransfer Rail = "bank_transfer"
	RailEWallet      Rail = "ewallet"
)

// rails lists every Rail, for validating configuration.
var rails = []Rail{RailCard, RailBankTransfer, RailEWallet}

// Charger takes money from a customer's card or external wallet (the deposit
// side). Bank transfers have no Charger: the customer sends the money and it
// is found in a bank statement (see ParseStatements and Reference).
//
// Every error is an *Error. Every Charge carries an idempotency key: a
// repeated key with the same request returns the same charge, as it is now,
// and never charges twice, including when the first answer was lost to a
// network error (CodeProcessingError, CodeTimeout). A key is bound to the
// first request that reached the network; the same key with another request
// is CodeIdempotencyConflict. A request refused before it reached the
// network (a malformed card number, a past expiry date, an unknown wallet
// account) binds nothing, so the customer can correct it and the same key
// may be used again.
type Charger interface {
	// Rail reports which rail the connector serves.
	Rail() Rail
	// Charge asks the network for money. On success the charge is
	// ChargeSucceeded, or ChargeRequiresAction when the customer must
	// complete a challenge first (then call Confirm). A decline is an
	// *Error with its code and the ChargeID the network gave it.
	// Errors: CodeInvalidRequest, CodeIdempotencyConflict,
	// CodeProcessingError, CodeTimeout, and the rail's validation and
	// decline codes (see CardSandbox.Charge, EWalletSandbox.Charge).
	Charge(ctx context.Context, req ChargeRequest) (Charge, error)
	// Confirm completes a charge in ChargeRequiresAction with the code the
	// customer entered. Confirming a charge that is already final returns it
	// (or its failure) again, so Confirm is safe to repeat.
	// Errors: CodeNotFound, CodeAuthenticationFailed, a decline code, or
	// CodeProcessingError for a canceled context.
	Confirm(ctx context.Context, chargeID, code string) (Charge, error)
	// LookupCharge returns a charge by id, including failed ones (with
	// FailureCode set) and ones still waiting for confirmation.
	// Errors: CodeNotFound.
	LookupCharge(ctx context.Context, chargeID string) (Charge, error)
	// ChargeByKey answers as Charge did for the request first made under
	// this idempotency key, for a caller that lost the answer and no longer
	// holds the request (the card number is never kept). Errors:
	// CodeNotFound when no charge was made under the key (nothing was
	// charged), or the charge's decline.
	ChargeByKey(ctx context.Context, key string) (Charge, error)
}

// Payer sends money out of OKPay to a bank account or external wallet (the
// withdrawal side). A payout is accepted at once (PayoutPending) and settles
// some business days later: PayoutStatus reports PayoutPaid, or PayoutFailed
// with FailureCode when it could not be made (no money left the platform).
// A paid payout may still come back later (PayoutReturned, with
// FailureCode): the recipient's bank or provider sent the money back. A
// pending payout can be canceled (CancelPayout). Payout is idempotent
// exactly like Charger.Charge. Every error is an *Error.
type Payer interface {
	// Rail reports which rail the connector serves.
	Rail() Rail
	// Payout sends money. Errors: CodeInvalidRequest, CodeInvalidAccount,
	// CodeAccountClosed, CodeAccountNotFound, CodeIdempotencyConflict,
	// CodeProcessingError, CodeTimeout.
	Payout(ctx context.Context, req PayoutRequest) (Payout, error)
	// PayoutStatus returns a payout as it is now. Errors: CodeNotFound.
	PayoutStatus(ctx context.Context, payoutID string) (Payout, error)
	// CancelPayout cancels the payout made under an idempotency key, if it
	// has not settled yet, and returns it (PayoutCanceled). When no payout
	// was made under the key, the key is spent: a later Payout with it
	// answers with a canceled payout and sends nothing, so a request whose
	// answer was lost cannot pay after its cancellation. Canceling again
	// returns the same canceled payout. Errors: CodePayoutNotCancelable
	// (with PayoutID) when it was paid or failed already,
	// CodeProcessingError, CodeTimeout.
	CancelPayout(ctx context.Context, idempotencyKey string) (Payout, error)
}

// ChargeRequest asks for money from a card or external wallet.
type ChargeRequest struct {
	// IdempotencyKey identifies this request: derive it from the business
	// object (the deposit id), so that a retried step reuses it. Required;
	// at most 255 bytes.
	IdempotencyKey string
	// Amount to take; positive.
	Amount money.Amount
	// Source is a *Card or a WalletAccount.
	Source Source
	// Description appears on the customer's statement. It must not hold
	// secrets.
	Description string
	// OffSession says the customer is not present, so no challenge can be
	// shown; a card that needs one is declined with
	// CodeAuthenticationRequired instead.
	OffSession bool
}

// Source is where a charge takes money from: a *Card or a WalletAccount.
type Source interface {
	rail() Rail
}

// WalletAccount is an account at an external e-wallet provider, identified
// by an email-like id ("alice@wallet.test").
type WalletAccount string

func (WalletAccount) rail() Rail { return RailEWallet }

// ChargeStatus is the state of a charge.
type ChargeStatus string

// The states of a charge.
const (
	ChargeSucceeded      ChargeStatus = "succeeded"
	ChargeRequiresAction ChargeStatus = "requires_action"
	ChargeFailed         ChargeStatus = "failed"
)

// Charge is the network's record of a charge. It holds nothing secret: for a
// card only the brand, the last four digits and the expiry date.
type Charge struct {
	// ID is the network's id, "ch_" and random characters.
	ID     string
	Rail   Rail
	Status ChargeStatus
	Amount money.Amount
	// Card describes the card charged (card rail only).
	Card *CardDetails
	// Account is the external wallet charged (e-wallet rail only).
	Account WalletAccount
	// Action is what the customer must do, when Status is
	// ChargeRequiresAction.
	Action *Action
	// FailureCode says why, when Status is ChargeFailed.
	FailureCode Code
	Created     time.Time
}

// ActionThreeDSecure is the Action type of a card issuer's challenge.
const ActionThreeDSecure = "three_d_secure"

// Action is a step the customer must complete before a charge can succeed.
type Action struct {
	// Type is ActionThreeDSecure.
	Type string
	// Challenge is what to show the customer: the issuer's prompt. The
	// answer goes to Confirm.
	Challenge string
}

// PayoutRequest asks to send money out.
type PayoutRequest struct {
	// IdempotencyKey identifies this request, as for ChargeRequest;
	// derive it from the withdrawal id.
	IdempotencyKey string
	// Amount to send; positive.
	Amount money.Amount
	// Destination is a BankAccount or a WalletAccount.
	Destination Destination
	// Description is the remittance text the recipient sees.
	Description string
}

// Destination is where a payout goes: a BankAccount or a WalletAccount.
type Destination interface {
	destinationRail() Rail
}

func (WalletAccount) destinationRail() Rail { return RailEWallet }

// BankAccount is a bank account identified by its IBAN.
type BankAccount struct {
	IBAN string
	// Name is the account holder's name.
	Name string
}

func (BankAccount) destinationRail() Rail { return RailBankTransfer }

// PayoutStatus is the state of a payout.
type PayoutStatus string

// The states of a payout.
const (
	PayoutPending PayoutStatus = "pending"
	PayoutPaid    PayoutStatus = "paid"
	PayoutFailed  PayoutStatus = "failed"
	// PayoutReturned: paid, then sent back by the recipient's side.
	PayoutReturned PayoutStatus = "returned"
	// PayoutCanceled: canceled before it settled; nothing was sent.
	PayoutCanceled PayoutStatus = "canceled"
)

// Payout is the provider's record of a payout.
type Payout struct {
	// ID is the provider's id, "po_" and random characters.
	ID     string
	Rail   Rail
	Status PayoutStatus
	Amount money.Amount
	// Destination is the normalised destination (an IBAN without spaces).
	Destination Destination
	Created     time.Time
	// ExpectedAt is when the payout is due to settle: Created plus its
	// business days, by the caller's calendar.
	ExpectedAt time.Time
	// SettledAt is when it was paid or failed; zero while pending.
	SettledAt time.Time
	// ReturnedAt is when a returned payout came back; zero otherwise.
	ReturnedAt time.Time
	// FailureCode says why, when Status is PayoutFailed (the payout was not
	// made) or PayoutReturned (it came back).
	FailureCode Code
}

// SandboxConfig configures a sandbox connector.
type SandboxConfig struct {
	// Now is the clock; nil means time.Now. Card expiry and payout
	// settlement follow it, so a test or a development server's settable
	// clock can move them.
	Now func() time.Time
	// AddBusinessDays returns the instant n business days after t by the
	// platform's calendar. Nil means Monday to Friday in t's location, no
	// holidays; pass the real calendar.
	AddBusinessDays func(t time.Time, n int) time.Time
}

func (c SandboxConfig) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c SandboxConfig) addBusinessDays(t time.Time, n int) time.Time {
	if c.AddBusinessDays != nil {
		return c.AddBusinessDays(t, n)
	}
	return Weekdays(t, n)
}

// Weekdays returns the instant n weekdays (Monday to Friday) after t, in t's
// location, ignoring holidays. It is the default calendar of the sandboxes.
func Weekdays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}
