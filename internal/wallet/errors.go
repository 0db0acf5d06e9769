package wallet

import (
	"errors"
	"fmt"
)

// Code is the stable, snake_case reason a wallet operation was refused. The
// web and API layers map each code to a message in the user's language
// saying what to check; the code itself never changes meaning.
type Code string

// The refusal codes. Retryable (see Error) says whether trying the very same
// thing again may succeed without the user changing anything.
const (
	// Wallet ids and recipients.
	CodeInvalidWalletID    Code = "invalid_wallet_id"     // not OK + 9 digits
	CodeWalletIDCheckDigit Code = "wallet_id_check_digit" // well formed, but mistyped: the check digit is wrong
	CodeWalletNotFound     Code = "wallet_not_found"      // the user has no wallet yet
	CodeInvalidRecipient   Code = "invalid_recipient"     // neither a wallet id, an email nor a phone number
	CodeRecipientNotFound  Code = "recipient_not_found"   // no active user with that wallet id, email or phone
	CodeSameWallet         Code = "same_wallet"           // sending to, or paying a request of, oneself

	// Amounts and fees.
	CodeInvalidAmount       Code = "invalid_amount"       // not positive, or not in a known currency
	CodeCurrencyNotEnabled  Code = "currency_not_enabled" // a currency the platform does not hold
	CodeFeeExceedsAmount    Code = "fee_exceeds_amount"   // the fee would take all of what arrives
	CodeInsufficientFunds   Code = "insufficient_funds"   // the wallet's available balance is too low
	CodeNoteTooLong         Code = "note_too_long"
	CodeInvalidFeePayer     Code = "invalid_fee_payer"
	CodeIdempotencyKeyReuse Code = "idempotency_key_reused"  // the same key was used for a different operation
	CodeInvalidKey          Code = "invalid_idempotency_key" // longer than 255 bytes or not UTF-8

	// Deposits (the payment rail's answer).
	CodeMethodNotAvailable    Code = "method_not_available" // no rail for the method (or not in the user's region)
	CodeCardDeclined          Code = "card_declined"        // the issuer said no without a reason to show
	CodeExpiredCard           Code = "expired_card"
	CodeIncorrectCVC          Code = "incorrect_cvc"
	CodeIncorrectNumber       Code = "incorrect_number"
	CodeInvalidExpiry         Code = "invalid_expiry"
	CodeCardNotSupported      Code = "card_not_supported"
	CodeSourceNoFunds         Code = "source_insufficient_funds" // the card or external wallet (not the OKPay wallet) lacks the money
	CodeEWalletDeclined       Code = "ewallet_declined"
	CodeInvalidPaymentAccount Code = "invalid_payment_account" // the external wallet account is unknown, closed or malformed
	CodeProcessingError       Code = "processing_error"        // the network failed; retrying is safe
	CodeAuthenticationFailed  Code = "authentication_failed"
	CodeAuthenticationExpired Code = "authentication_expired" // the confirmation step was not completed in time
	CodeMovementNotFound      Code = "movement_not_found"
	CodeNotAwaitingAction     Code = "not_awaiting_action" // confirming a movement that needs no confirmation

	// Large payments.
	CodeStepUpRequired Code = "step_up_required" // confirm this payment with the second factor first
	CodeStepUpFailed   Code = "step_up_failed"   // the confirmation was wrong, expired, used, or for another payment
	// CodeTwoFactorRequired: the payment is at or above the large-payment
	// threshold and the user has no second factor to confirm it with; they
	// must turn on two-factor authentication first.
	CodeTwoFactorRequired Code = "two_factor_required_for_large_payment"

	// Money requests.
	CodeRequestNotFound    Code = "request_not_found"
	CodeRequestAlreadyPaid Code = "request_already_paid"
	CodeRequestInProgress  Code = "request_payment_in_progress" // another payment of it is being processed
	CodeRequestCancelled   Code = "request_cancelled"
	CodeInvalidDueDate     Code = "invalid_due_date"

	// History.
	CodeInvalidCursor Code = "invalid_cursor"
	CodeInvalidFilter Code = "invalid_filter"

	// CodeUnavailable: a dependency (database, ledger, rates) failed.
	// Either nothing was done, or the movement was recorded (pending) and a
	// background job will finish it; retrying with the same idempotency
	// key is safe either way.
	CodeUnavailable Code = "temporarily_unavailable"
)

// Codes lists every refusal code, for the tables that translate them.
var Codes = []Code{
	CodeInvalidWalletID, CodeWalletIDCheckDigit, CodeWalletNotFound, CodeInvalidRecipient,
	CodeRecipientNotFound, CodeSameWallet,
	CodeInvalidAmount, CodeCurrencyNotEnabled, CodeFeeExceedsAmount, CodeInsufficientFunds,
	CodeNoteTooLong, CodeInvalidFeePayer, CodeIdempotencyKeyReuse, CodeInvalidKey,
	CodeMethodNotAvailable, CodeCardDeclined, CodeExpiredCard, CodeIncorrectCVC, CodeIncorrectNumber,
	CodeInvalidExpiry, CodeCardNotSupported, CodeSourceNoFunds, CodeEWalletDeclined, CodeInvalidPaymentAccount, CodeProcessingError, CodeAuthenticationFailed,
	CodeAuthenticationExpired, CodeMovementNotFound, CodeNotAwaitingAction,
	CodeStepUpRequired, CodeStepUpFailed, CodeTwoFactorRequired,
	CodeRequestNotFound, CodeRequestAlreadyPaid, CodeRequestInProgress, CodeRequestCancelled,
	CodeInvalidDueDate,
	CodeInvalidCursor, CodeInvalidFilter,
	CodeUnavailable,
}

// Error is a refusal: a stable Code, and whether retrying the same request
// unchanged may succeed. Callers match it with errors.Is against the Err
// variables (which compares codes) or read it with errors.As.
type Error struct {
	Code      Code
	Retryable bool
	// Detail is for logs, never shown to users.
	Detail string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	s := "wallet: " + string(e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a wallet *Error with the same code, so
// errors.Is(err, wallet.ErrInsufficientFunds) holds for any insufficient
// funds refusal, whatever its detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(c Code, retryable bool) *Error { return &Error{Code: c, Retryable: retryable} }

// The refusals, one per code, for errors.Is.
var (
	ErrInvalidWalletID       = newErr(CodeInvalidWalletID, false)
	ErrWalletIDCheckDigit    = newErr(CodeWalletIDCheckDigit, false)
	ErrWalletNotFound        = newErr(CodeWalletNotFound, false)
	ErrInvalidRecipient      = newErr(CodeInvalidRecipient, false)
	ErrRecipientNotFound     = newErr(CodeRecipientNotFound, false)
	ErrSameWallet            = newErr(CodeSameWallet, false)
	ErrInvalidAmount         = newErr(CodeInvalidAmount, false)
	ErrCurrencyNotEnabled    = newErr(CodeCurrencyNotEnabled, false)
	ErrFeeExceedsAmount      = newErr(CodeFeeExceedsAmount, false)
	ErrInsufficientFunds     = newErr(CodeInsufficientFunds, false)
	ErrNoteTooLong           = newErr(CodeNoteTooLong, false)
	ErrInvalidFeePayer       = newErr(CodeInvalidFeePayer, false)
	ErrIdempotencyKeyReused  = newErr(CodeIdempotencyKeyReuse, false)
	ErrInvalidKey            = newErr(CodeInvalidKey, false)
	ErrMethodNotAvailable    = newErr(CodeMethodNotAvailable, false)
	ErrCardDeclined          = newErr(CodeCardDeclined, false)
	ErrExpiredCard           = newErr(CodeExpiredCard, false)
	ErrIncorrectCVC          = newErr(CodeIncorrectCVC, false)
	ErrIncorrectNumber       = newErr(CodeIncorrectNumber, false)
	ErrInvalidExpiry         = newErr(CodeInvalidExpiry, false)
	ErrCardNotSupported      = newErr(CodeCardNotSupported, false)
	ErrSourceNoFunds         = newErr(CodeSourceNoFunds, false)
	ErrEWalletDeclined       = newErr(CodeEWalletDeclined, false)
	ErrInvalidPaymentAccount = newErr(CodeInvalidPaymentAccount, false)
	ErrProcessingError       = newErr(CodeProcessingError, true)
	ErrAuthenticationFailed  = newErr(CodeAuthenticationFailed, false)
	ErrAuthenticationExpired = newErr(CodeAuthenticationExpired, false)
	ErrMovementNotFound      = newErr(CodeMovementNotFound, false)
	ErrNotAwaitingAction     = newErr(CodeNotAwaitingAction, false)
	ErrStepUpRequired        = newErr(CodeStepUpRequired, false)
	ErrStepUpFailed          = newErr(CodeStepUpFailed, false)
	ErrTwoFactorRequired     = newErr(CodeTwoFactorRequired, false)
	ErrRequestNotFound       = newErr(CodeRequestNotFound, false)
	ErrRequestAlreadyPaid    = newErr(CodeRequestAlreadyPaid, false)
	ErrRequestInProgress     = newErr(CodeRequestInProgress, true)
	ErrRequestCancelled      = newErr(CodeRequestCancelled, false)
	ErrInvalidDueDate        = newErr(CodeInvalidDueDate, false)
	ErrInvalidCursor         = newErr(CodeInvalidCursor, false)
	ErrInvalidFilter         = newErr(CodeInvalidFilter, false)
	ErrUnavailable           = newErr(CodeUnavailable, true)
)

var byCode = func() map[Code]*Error {
	m := map[Code]*Error{}
	for _, e := range []*Error{
		ErrInvalidWalletID, ErrWalletIDCheckDigit, ErrWalletNotFound, ErrInvalidRecipient,
		ErrRecipientNotFound, ErrSameWallet, ErrInvalidAmount, ErrCurrencyNotEnabled,
		ErrFeeExceedsAmount, ErrInsufficientFunds, ErrNoteTooLong, ErrInvalidFeePayer,
		ErrIdempotencyKeyReused, ErrInvalidKey, ErrMethodNotAvailable, ErrCardDeclined, ErrExpiredCard,
		ErrIncorrectCVC, ErrIncorrectNumber, ErrInvalidExpiry, ErrCardNotSupported, ErrSourceNoFunds,
		ErrEWalletDeclined, ErrInvalidPaymentAccount,
		ErrProcessingError, ErrAuthenticationFailed, ErrAuthenticationExpired, ErrMovementNotFound,
		ErrNotAwaitingAction, ErrStepUpRequired, ErrStepUpFailed, ErrTwoFactorRequired,
		ErrRequestNotFound, ErrRequestAlreadyPaid, ErrRequestInProgress, ErrRequestCancelled,
		ErrInvalidDueDate, ErrInvalidCursor, ErrInvalidFilter, ErrUnavailable,
	} {
		m[e.Code] = e
	}
	return m
}()

// ErrorFor returns the refusal with code c (retryable as the code usually
// is), or a non-retryable one for a code not in Codes.
func ErrorFor(c Code) *Error {
	if e, ok := byCode[c]; ok {
		return e
	}
	return &Error{Code: c}
}

// refuse returns a copy of the refusal for code c with detail for logs.
func refuse(c Code, format string, args ...any) *Error {
	e := *ErrorFor(c)
	e.Detail = fmt.Sprintf(format, args...)
	return &e
}

// unavailable wraps an infrastructure failure as a retryable refusal.
func unavailable(what string, err error) *Error {
	return &Error{Code: CodeUnavailable, Retryable: true, Detail: what, Err: err}
}

// ErrorCode returns the code of a wallet refusal in err's chain, or "".
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsRetryable reports whether err is a wallet refusal that may succeed when
// the same request is sent again unchanged.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}
