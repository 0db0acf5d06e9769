// Package ledger is OKPay's double-entry engine: accounts with running
// balances, and an append-only journal of immutable transfers between them.
//
// Invariants it keeps:
//   - Every transfer moves one amount, in one currency, from one debit account
//     to one credit account of that currency, so per currency the sum of all
//     debits equals the sum of all credits.
//   - A transfer id is an idempotency key: a transfer is recorded at most once,
//     and submitting its id again answers Exists (or the first refusal, which
//     is recorded too) instead of moving money twice.
//   - Account balances change only inside the commit that records the
//     transfers changing them, with the account rows locked; constrained
//     accounts (wallets) never go below zero, even under concurrency.
//   - A pending transfer is resolved at most once: posted (in full or in part)
//     or voided, by the caller or by its timeout.
//   - Transfers flagged Linked commit or fail together with the next one.
//
// Concurrent submissions are coalesced by one committer per process into one
// database transaction per batch (see Ledger). The journal reproduces every
// balance; Verify proves it.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Errors returned by the ledger's methods.
var (
	ErrClosed = errors.New("ledger: closed")
	// ErrUnavailable: the batch failed on every retry. It did not commit,
	// unless its last COMMIT itself was cut off; resubmitting the same ids
	// is always safe and tells which (Exists).
	ErrUnavailable      = errors.New("ledger: database unavailable")
	ErrAccountNotFound  = errors.New("ledger: account not found")
	ErrAccountExists    = errors.New("ledger: account exists with different fields")
	ErrTransferNotFound = errors.New("ledger: transfer not found")
	ErrInvalidAccount   = errors.New("ledger: invalid account")
	ErrTooManyTransfers = errors.New("ledger: too many transfers in one submission")
)

// ID is a 128-bit transfer id chosen by the caller: time-ordered (UUIDv7
// layout) so the journal's primary key grows at its end.
type ID [16]byte

// NewID returns a fresh time-ordered id.
func NewID() ID {
	u, err := uuid.NewV7()
	if err != nil {
		// Only fails when the system's random source fails.
		panic(fmt.Sprintf("ledger: new id: %v", err))
	}
	return ID(u)
}

// DeriveID returns the id of a step of a business object whose own id is
// parent (for example a withdrawal's hold, post and void), so a retried step
// can never get a second id. It keeps the parent's time prefix.
func DeriveID(parent ID, step string) ID {
	h := sha256.New()
	h.Write(parent[:])
	h.Write([]byte(step))
	var id ID
	copy(id[:6], parent[:6])
	copy(id[6:], h.Sum(nil))
	id[6] = 0x80 | id[6]&0x0f // version 8: custom, still time-prefixed
	id[8] = 0x80 | id[8]&0x3f
	return id
}

// IsZero reports whether id is the zero id (never valid).
func (id ID) IsZero() bool { return id == ID{} }

func (id ID) String() string { return uuid.UUID(id).String() }

// MarshalText writes the canonical form, so ids read well in JSON.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	*id = v
	return err
}

// ParseID parses the canonical 36-character form or 32 hex digits.
func ParseID(s string) (ID, error) {
	if len(s) == 32 {
		var id ID
		if _, err := hex.Decode(id[:], []byte(s)); err != nil {
			return ID{}, fmt.Errorf("ledger: parse id: %w", err)
		}
		return id, nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return ID{}, fmt.Errorf("ledger: parse id: %w", err)
	}
	return ID(u), nil
}

// AccountFlags constrain an account's balance.
type AccountFlags uint32

const (
	// DebitsMustNotExceedCredits: the account can never be overdrawn
	// (customer wallets). Pending debits count against it.
	DebitsMustNotExceedCredits AccountFlags = 1 << iota
	// CreditsMustNotExceedDebits: the mirror image (control accounts that
	// cap what may flow into them).
	CreditsMustNotExceedDebits
)

// Account is a ledger account and its running balances, in minor units of
// its currency.
type Account struct {
	ID       int64
	Ref      string // unique, caller-chosen name, e.g. "wallet:OK123456789:USD"
	Currency string
	Code     uint16
	Flags    AccountFlags

	DebitsPending  int64
	DebitsPosted   int64
	CreditsPending int64
	CreditsPosted  int64

	CreatedAt time.Time
}

// Balance is credits posted minus debits posted.
func (a Account) Balance() int64 { return a.CreditsPosted - a.DebitsPosted }

// Available is what a wallet can spend: the balance less pending debits.
func (a Account) Available() int64 { return a.CreditsPosted - a.DebitsPosted - a.DebitsPending }

// TransferFlags select the kind of transfer.
type TransferFlags uint32

const (
	// Linked: this transfer commits only if the next one in the same
	// submission does, and the chain fails as a whole.
	Linked TransferFlags = 1 << iota
	// Pending: a hold; moves the amount into the pending balances until it
	// is posted or voided.
	Pending
	// PostPending posts the pending transfer PendingID (Amount 0 = all of it).
	PostPending
	// VoidPending voids the pending transfer PendingID.
	VoidPending
	// BalancingDebit makes Amount a maximum: the transfer moves as much of
	// it as the debit account has available (credits posted less debits
	// posted and pending) at commit, and is refused with InsufficientFunds
	// only when that is nothing. Only for a plain (not pending) transfer
	// from an account flagged DebitsMustNotExceedCredits. The journal keeps
	// the amount that moved, and Result.Amount reports it; resubmitting
	// the same id with the same maximum answers Exists. A fee that must
	// never take a balance below zero is charged this way, inside the
	// commit, instead of by reading the balance first.
	BalancingDebit
)

// Transfer is an immutable movement of Amount from the debit account to the
// credit account.
type Transfer struct {
	ID              ID
	DebitAccountID  int64
	CreditAccountID int64
	Amount          int64
	Currency        string
	Code            uint16 // what the movement is for (deposit, fee, ...)
	Flags           TransferFlags
	PendingID       ID            // for PostPending and VoidPending
	Timeout         time.Duration // for Pending: resolve by then or it is voided
	Metadata        string

	// Timestamp is assigned by the ledger at commit.
	Timestamp time.Time
}

// MaxMetadata is the longest metadata a transfer may carry, in bytes.
const MaxMetadata = 1024

// sameFields reports whether two transfers with the same id ask for the same
// movement (the timestamp is the ledger's, not the caller's).
func sameFields(a, b *Transfer) bool {
	sameAmount := a.Amount == b.Amount
	if a.Flags&BalancingDebit != 0 {
		// a is the recorded transfer: it moved at most what was asked.
		sameAmount = a.Amount > 0 && a.Amount <= b.Amount
	}
	return a.DebitAccountID == b.DebitAccountID && a.CreditAccountID == b.CreditAccountID &&
		sameAmount && a.Currency == b.Currency && a.Code == b.Code &&
		a.Flags == b.Flags && a.PendingID == b.PendingID && a.Timeout == b.Timeout &&
		a.Metadata == b.Metadata
}
