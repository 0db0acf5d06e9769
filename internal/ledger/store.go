package ledger

import (
	"context"

	"github.com/okpay/okpay/internal/jobs"
)

// Store is the persistence the ledger needs. sqlstore implements it on
// SQLite and PostgreSQL.
type Store interface {
	// Batch runs fn in one database transaction and commits when fn returns
	// nil. Any error means nothing was committed, except that an error from
	// the commit itself may leave the outcome unknown; re-running the batch
	// is always safe because it re-reads what exists.
	Batch(ctx context.Context, fn func(BatchTx) error) error

	// CreateAccount inserts a, or returns the account already stored under
	// a.Ref when it has the same currency, code and flags. Errors:
	// ErrAccountExists when the ref holds another account.
	CreateAccount(ctx context.Context, a Account) (Account, error)
	// Account returns one account. Errors: ErrAccountNotFound.
	Account(ctx context.Context, id int64) (Account, error)
	// AccountByRef returns the account stored under ref. Errors:
	// ErrAccountNotFound.
	AccountByRef(ctx context.Context, ref string) (Account, error)
	// Transfer returns a journal entry. Errors: ErrTransferNotFound.
	Transfer(ctx context.Context, id ID) (Transfer, error)

	// VerifyRows returns every account with its balances as recomputed from
	// the journal, and the journal entries whose currency differs from an
	// account's.
	VerifyRows(ctx context.Context) ([]VerifyRow, []ID, error)
}

// BatchTx is one batch's transaction.
type BatchTx interface {
	// Transfers returns the journal entries among ids (committed ones, or
	// written earlier in this transaction).
	Transfers(ctx context.Context, ids []ID) (map[ID]Transfer, error)
	// Load locks the accounts (in ascending id order, which every node
	// uses, so batches never deadlock) and returns them with what is known
	// of the transfer ids and the pending transfers' resolutions. Accounts
	// that do not exist are absent from the map.
	Load(ctx context.Context, accountIDs []int64, transferIDs []ID, pendingIDs []ID) (*Loaded, error)
	// Write records the batch's outcome.
	Write(ctx context.Context, w *Writes) error
}

// Loaded is what a batch needs to know before it validates.
type Loaded struct {
	Accounts map[int64]*Account
	// Recorded holds the ids already in the journal or refused before.
	Recorded map[ID]Recorded
	// Resolved maps a pending transfer id to the flags (PostPending or
	// VoidPending) of the transfer that resolved it.
	Resolved map[ID]TransferFlags
}

// Recorded is a transfer id already seen: in the journal (Code OK) or
// refused with Code.
type Recorded struct {
	Transfer Transfer
	Code     Code
}

// Writes is a batch's outcome: new journal entries, refusals kept for
// idempotency, the new balances of every touched account, and jobs to run
// after commit.
type Writes struct {
	Transfers []Transfer
	Refused   []Recorded
	Accounts  []*Account
	Jobs      []jobs.Job
}

// VerifyRow is an account's stored balances beside the journal's.
type VerifyRow struct {
	Account Account
	// Journal sums for the account.
	DebitsPosted, DebitsPending, CreditsPosted, CreditsPending int64
}
