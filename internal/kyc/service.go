package kyc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/secretbox"
)

// Ledger is the part of *ledger.Ledger the limits use.
type Ledger interface {
	Submit(ctx context.Context, ts []ledger.Transfer) ([]ledger.Result, error)
	CreateAccount(ctx context.Context, a ledger.Account) (ledger.Account, error)
	Account(ctx context.Context, id int64) (ledger.Account, error)
	// AccountByRef returns an account. Errors: ledger.ErrAccountNotFound.
	AccountByRef(ctx context.Context, ref string) (ledger.Account, error)
	// Transfer returns a journal entry. Errors: ledger.ErrTransferNotFound.
	Transfer(ctx context.Context, id ledger.ID) (ledger.Transfer, error)
}

// Store is the persistence of levels and documents; sqlstore implements
// it on SQLite and PostgreSQL (DB.KYC).
type Store interface {
	// InTx runs fn in one transaction and commits when it returns nil.
	// Never call the ledger inside it.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Level returns the user's level: Unverified when none was recorded.
	Level(ctx context.Context, userID int64) (Level, error)
	// Document returns one document with its sealed content. Errors:
	// ErrDocumentNotFound.
	Document(ctx context.Context, id string) (Document, error)
	// Documents lists the user's documents, newest first, without content.
	Documents(ctx context.Context, userID int64) ([]Document, error)
	// Pending lists the documents waiting for review, oldest first, at
	// most limit, without content.
	Pending(ctx context.Context, limit int) ([]Document, error)
}

// Tx is the store inside one transaction, with the audit log, so a
// decision, the level it raises and its audit record commit together.
type Tx interface {
	audit.Appender
	// InsertDocument stores a new document.
	InsertDocument(ctx context.Context, d Document) error
	// DecideDocument writes d's status, reason, reviewer and review time
	// when the stored document is still pending; false otherwise.
	DecideDocument(ctx context.Context, d Document) (bool, error)
	// RaiseLevel sets the user's level to lv unless it is already lv or
	// higher (levels in rising order: Levels); it reports whether it rose.
	RaiseLevel(ctx context.Context, userID int64, lv Level, documentID string, by int64, at time.Time) (bool, error)
}

// Options are a Service's dependencies.
type Options struct {
	Store  Store
	Ledger Ledger
	// Limits is the table of limits (default DefaultLimits()).
	Limits Limits
	// Location holds the month boundaries of the allowances (default UTC;
	// the platform's time zone in production).
	Location *time.Location
	// MasterKey seals documents at rest (32 bytes).
	MasterKey []byte
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service is verification: levels, limits and documents. It is safe for
// concurrent use.
type Service struct {
	store  Store
	ledger Ledger
	limits Limits
	loc    *time.Location
	box    *secretbox.Box
	now    func() time.Time
	log    *slog.Logger

	accts  limitAccounts
	funded sync.Map // ref|level -> true: funding known done
}

// DocumentPurpose is the secretbox purpose of identity documents.
const DocumentPurpose = "kyc_document"

// New returns the service. It checks the options and touches nothing.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Ledger == nil {
		return nil, errors.New("kyc: New needs a store and a ledger")
	}
	limits := o.Limits
	if limits == nil {
		limits = DefaultLimits()
	}
	if err := limits.Check(); err != nil {
		return nil, err
	}
	box, err := secretbox.New(o.MasterKey, DocumentPurpose)
	if err != nil {
		return nil, fmt.Errorf("kyc: %w", err)
	}
	s := &Service{store: o.Store, ledger: o.Ledger, limits: limits, loc: o.Location, box: box, now: o.Now, log: o.Logger}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.accts.ledger = o.Ledger
	return s, nil
}

// Limits returns the table of limits.
func (s *Service) Limits() Limits { return s.limits }

// Level returns the user's level.
func (s *Service) Level(ctx context.Context, userID int64) (Level, error) {
	lv, err := s.store.Level(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("kyc: level: %w", err)
	}
	if !lv.Valid() {
		return "", fmt.Errorf("kyc: user %d has unknown level %q", userID, lv)
	}
	return lv, nil
}
