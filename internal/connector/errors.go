package connector

import (
	"errors"
	"slices"
)

// Code is the stable, snake_case reason a connector call failed. Codes are
// part of OKPay's public surface (API error bodies, user-facing messages in
// every language, support tooling), so a code is never renamed or reused for
// another meaning.
type Code string

// The codes a connector returns. The comment after each says what the
// customer should check; Retryable says whether repeating the call can help.
const (
	// CodeCardDeclined: the issuer declined without a more specific reason.
	// Try another card or contact the bank.
	CodeCardDeclined Code = "card_declined"
	// CodeInsufficientFunds: the card, account or external wallet does not
	// hold enough money. Check the balance.
	CodeInsufficientFunds Code = "insufficient_funds"
	// CodeExpiredCard: the card is past its expiry date. Check the expiry
	// date or use another card.
	CodeExpiredCard Code = "expired_card"
	// CodeInvalidExpiry: the expiry month or year is not a valid date.
	// Check the expiry date.
	CodeInvalidExpiry Code = "invalid_expiry"
	// CodeIncorrectCVC: the security code is malformed or wrong. Check the
	// three digits on the back (four on the front for American Express).
	CodeIncorrectCVC Code = "incorrect_cvc"
	// CodeIncorrectNumber: the card number is malformed or fails its check
	// digit. Check the card number.
	CodeIncorrectNumber Code = "incorrect_number"
	// CodeCardNotSupported: the card's brand is not one OKPay takes.
	CodeCardNotSupported Code = "card_not_supported"
	// CodeAuthenticationRequired: the issuer requires the cardholder to
	// confirm (3-D Secure), which cannot happen without the customer present.
	// Ask the customer to pay again while present.
	CodeAuthenticationRequired Code = "authentication_required"
	// CodeAuthenticationFailed: the confirmation step failed (wrong code).
	// The charge is over; start a new payment.
	CodeAuthenticationFailed Code = "authentication_failed"
	// CodeAccountClosed: the external wallet or bank account is closed.
	CodeAccountClosed Code = "account_closed"
	// CodeAccountNotFound: no external wallet has this id.
	CodeAccountNotFound Code = "account_not_found"
	// CodeInvalidAccount: the account id or IBAN is malformed (an IBAN that
	// fails its check digits, a wallet id that is not an address).
	CodeInvalidAccount Code = "invalid_account"
	// CodeMethodNotAvailable: the payment method (or card brand) is not
	// offered in the customer's country.
	CodeMethodNotAvailable Code = "method_not_available"
	// CodeProcessingError: the network could not be reached or failed
	// mid-request. Whether the charge happened is unknown to the caller;
	// repeating the call with the same idempotency key is safe and answers
	// the truth.
	CodeProcessingError Code = "processing_error"
	// CodeTimeout: the provider did not answer in time. As for
	// CodeProcessingError, repeat with the same idempotency key.
	CodeTimeout Code = "timeout"
	// CodeIdempotencyConflict: the idempotency key was used before for a
	// different request. A programming error on OKPay's side: every new
	// request needs a new key.
	CodeIdempotencyConflict Code = "idempotency_conflict"
	// CodeInvalidRequest: the request itself is malformed (no idempotency
	// key, an amount that is not positive, no payment source).
	CodeInvalidRequest Code = "invalid_request"
	// CodeNotFound: no charge or payout has the given id.
	CodeNotFound Code = "not_found"
	// CodePayoutNotCancelable: the payout has settled (paid or failed) and
	// can no longer be canceled.
	CodePayoutNotCancelable Code = "payout_not_cancelable"
)

// codes lists every Code, in documentation order.
var codes = []Code{
	CodeCardDeclined,
	CodeInsufficientFunds,
	CodeExpiredCard,
	CodeInvalidExpiry,
	CodeIncorrectCVC,
	CodeIncorrectNumber,
	CodeCardNotSupported,
	CodeAuthenticationRequired,
	CodeAuthenticationFailed,
	CodeAccountClosed,
	CodeAccountNotFound,
	CodeInvalidAccount,
	CodeMethodNotAvailable,
	CodeProcessingError,
	CodeTimeout,
	CodeIdempotencyConflict,
	CodeInvalidRequest,
	CodeNotFound,
	CodePayoutNotCancelable,
}

// Codes returns every code a connector can return, so that a table of
// user-facing messages can be proved complete by a test.
func Codes() []Code { return slices.Clone(codes) }

// Retryable reports whether repeating the same call, with the same
// idempotency key, may succeed. Only transport failures qualify: a decline
// is an answer, and asking again gets the same answer.
func (c Code) Retryable() bool {
	return c == CodeProcessingError || c == CodeTimeout
}

// Error is the error every connector method returns. It never contains a
// card number, a security code or any other secret: messages are fixed
// texts chosen by the connector, not echoes of the request.
type Error struct {
	Code Code
	// Message is a short English explanation for logs and developers.
	// Customers see a message chosen by Code in their own language.
	Message string
	// ChargeID is set when the network recorded a charge that then failed
	// (a decline has an id, so support can find it).
	ChargeID string
	// PayoutID is set when a payout was accepted and failed later.
	PayoutID string

	cause error
}

func (e *Error) Error() string {
	s := "connector: " + string(e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.ChargeID != "" {
		s += " (charge " + e.ChargeID + ")"
	}
	if e.PayoutID != "" {
		s += " (payout " + e.PayoutID + ")"
	}
	return s
}

// Retryable reports whether repeating the call with the same idempotency
// key may succeed; see Code.Retryable.
func (e *Error) Retryable() bool { return e.Code.Retryable() }

// Unwrap returns the underlying cause, such as context.Canceled.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.ChargeID == "" && t.PayoutID == ""
}

// CodeOf returns the code of the *Error in err's chain, or "" if there is
// none.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

// Retryable reports whether err is a connector error whose call may succeed
// when repeated with the same idempotency key.
func Retryable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Retryable()
}

func newError(c Code, msg string) *Error { return &Error{Code: c, Message: msg} }

// clone returns a copy, so that a stored answer handed out twice cannot be
// changed through either copy.
func (e *Error) clone() *Error {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}
