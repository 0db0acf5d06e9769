package wallet

import (
	"context"
	"errors"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// Store is the persistence the wallet needs; sqlstore implements it on
// SQLite and PostgreSQL (DB.Wallet). Reads outside a transaction see
// committed data only.
type Store interface {
	// InTx runs fn in one transaction and commits when it returns nil.
	// Never call the ledger inside it: on SQLite the ledger's committer
	// needs the same single writer connection.
	InTx(ctx context.Context, fn func(Tx) error) error

	// Wallet returns a wallet with its accounts. Errors: ErrWalletNotFound.
	Wallet(ctx context.Context, id WalletID) (Wallet, error)
	// WalletByUser returns the user's wallet. Errors: ErrWalletNotFound.
	WalletByUser(ctx context.Context, userID int64) (Wallet, error)

	// Movement returns one movement. Errors: ErrMovementNotFound.
	Movement(ctx context.Context, id string) (Movement, error)
	// MovementByKey returns the movement the user created with an
	// idempotency key. Errors: ErrMovementNotFound.
	MovementByKey(ctx context.Context, userID int64, key string) (Movement, error)
	// Movements lists a user's movements matching q, newest first
	// (created_at, then id, descending), after q.After, at most q.Limit.
	Movements(ctx context.Context, q MovementQuery) ([]Movement, error)
	// StaleMovements lists pending movements not updated since before,
	// oldest first, at most limit.
	StaleMovements(ctx context.Context, before time.Time, limit int) ([]Movement, error)
	// Totals sums the completed movements of a wallet whose PostedAt is in
	// [from, to) (from zero: since the beginning), per currency and type.
	Totals(ctx context.Context, walletID WalletID, from, to time.Time) ([]Total, error)

	// Request returns one money request. Errors: ErrRequestNotFound.
	Request(ctx context.Context, id string) (Request, error)
	// RequestByKey returns the request a user created with an idempotency
	// key. Errors: ErrRequestNotFound.
	RequestByKey(ctx context.Context, userID int64, key string) (Request, error)
	// Requests lists requests matching q, newest first, after q.After, at
	// most q.Limit.
	Requests(ctx context.Context, q RequestQuery) ([]Request, error)
}

// Tx is the store inside one transaction. Every change of state is one
// conditional statement that reports whether it took effect, so two
// requests (or a request and the resume job) racing for the same movement
// cannot both win.
type Tx interface {
	// InsertWallet stores a new wallet. Errors: ErrWalletIDTaken when the
	// id is taken, ErrUserHasWallet when the user has one.
	InsertWallet(ctx context.Context, w Wallet) error
	// AddAccounts records ledger account ids of a wallet's currencies,
	// keeping those already recorded.
	AddAccounts(ctx context.Context, id WalletID, accounts map[string]int64) error

	// InsertMovement stores m and reports false, storing nothing, when the
	// id or the user's idempotency key is taken.
	InsertMovement(ctx context.Context, m Movement) (bool, error)
	// UpdateMovement writes m's mutable fields (status, failure code,
	// charge, method display, ready, posted and updated times, and the
	// amount, which only a balancing fee changes) when the
	// stored version is m.Version, and increments the version; false when
	// another writer got there first.
	UpdateMovement(ctx context.Context, m Movement) (bool, error)
	// PutMovement inserts m or, when a movement with its id is stored and
	// not final, writes m's status, amounts, failure code, posted and
	// updated times (the plan is the one first inserted); false when the stored one is final already. Merchant
	// payments' movements are recorded this way (merchantpay.go).
	PutMovement(ctx context.Context, m Movement) (bool, error)

	// InsertRequest stores r and reports false when the requester's
	// idempotency key is taken.
	InsertRequest(ctx context.Context, r Request) (bool, error)
	// ClaimRequest moves an open request to paying by movementID; false
	// when it is not open.
	ClaimRequest(ctx context.Context, id, movementID string, at time.Time) (bool, error)
	// ReleaseRequest moves a request paying by movementID back to open.
	ReleaseRequest(ctx context.Context, id, movementID string, at time.Time) (bool, error)
	// PayRequest moves a request paying by movementID to paid.
	PayRequest(ctx context.Context, id, movementID string, at time.Time) (bool, error)
	// CancelRequest moves the requester's open request to cancelled.
	CancelRequest(ctx context.Context, id string, requesterID int64, at time.Time) (bool, error)

	// Enqueue adds jobs in this transaction (see jobs).
	Enqueue(ctx context.Context, js ...jobs.Job) error
}

// Errors of Tx.InsertWallet; Open handles both, so users never see them.
var (
	ErrWalletIDTaken = errors.New("wallet: wallet id taken")
	ErrUserHasWallet = errors.New("wallet: user already has a wallet")
)

// MovementQuery selects movements for History.
type MovementQuery struct {
	UserID int64
	// From and To bound CreatedAt: From ≤ CreatedAt < To; zero is open.
	From, To   time.Time
	Types      []Type
	Currencies []string
	Statuses   []Status
	// Search matches, case-insensitively, a substring of the note, the
	// counterparty's display or wallet id, or the method's display.
	Search string
	// After is the last movement of the previous page (zero: first page).
	After Cursor
	// Before, when set, selects the movements newer than it instead,
	// oldest first (the page before a page, read backwards).
	Before Cursor
	Limit  int
}

// Cursor is a position in a newest-first list.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == "" }

// Total is the sum of a wallet's completed movements of one type and
// currency, in minor units.
type Total struct {
	Currency string
	Type     Type
	Amount   int64
	Fee      int64
}

// RequestQuery selects money requests.
type RequestQuery struct {
	// RequesterID lists the requests a user made; PayerID those addressed
	// to a user. Exactly one is set.
	RequesterID, PayerID int64
	Statuses             []RequestStatus
	After                Cursor
	Limit                int
}
