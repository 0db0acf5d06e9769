package ledger

import "time"

// Code is the outcome of one submitted transfer.
type Code uint8

const (
	OK Code = iota
	// Exists: a transfer with this id and these fields is already in the
	// journal (an idempotent retry; the money moved once).
	Exists
	ExistsWithDifferentFields
	IDMustNotBeZero
	InvalidFlags
	AccountsMustBeDifferent
	AmountMustBePositive
	AccountNotFound
	CurrencyMismatch
	InsufficientFunds
	ExceedsDebits
	PendingNotFound
	PendingAlreadyResolved
	PendingExpired
	PendingAmountExceeded
	PendingFieldsMismatch
	TimeoutRequiresPending
	MetadataTooLong
	Overflow
	LinkedEventFailed
	LinkedEventChainOpen
	TooManyTransfers

	numCodes
)

var codeNames = [numCodes]string{
	OK:                        "ok",
	Exists:                    "exists",
	ExistsWithDifferentFields: "exists_with_different_fields",
	IDMustNotBeZero:           "id_must_not_be_zero",
	InvalidFlags:              "invalid_flags",
	AccountsMustBeDifferent:   "accounts_must_be_different",
	AmountMustBePositive:      "amount_must_be_positive",
	AccountNotFound:           "account_not_found",
	CurrencyMismatch:          "currency_mismatch",
	InsufficientFunds:         "insufficient_funds",
	ExceedsDebits:             "exceeds_debits",
	PendingNotFound:           "pending_not_found",
	PendingAlreadyResolved:    "pending_already_resolved",
	PendingExpired:            "pending_expired",
	PendingAmountExceeded:     "pending_amount_exceeded",
	PendingFieldsMismatch:     "pending_fields_mismatch",
	TimeoutRequiresPending:    "timeout_requires_pending",
	MetadataTooLong:           "metadata_too_long",
	Overflow:                  "overflow",
	LinkedEventFailed:         "linked_event_failed",
	LinkedEventChainOpen:      "linked_event_chain_open",
	TooManyTransfers:          "too_many_transfers",
}

// String is the stable snake_case name callers and APIs show.
func (c Code) String() string {
	if c < numCodes {
		return codeNames[c]
	}
	return "unknown"
}

// Done reports whether the transfer is in the journal: committed now (OK) or
// earlier (Exists).
func (c Code) Done() bool { return c == OK || c == Exists }

// Result answers one submitted transfer.
type Result struct {
	Code Code
	// Timestamp is when the transfer was committed (for Exists, the first
	// time), or when it was refused.
	Timestamp time.Time
	// Amount is what the transfer moved, for OK and Exists: the amount
	// asked for, or less for a BalancingDebit.
	Amount int64
}
