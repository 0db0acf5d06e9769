package fx

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/audit"
)

// Store is the persistence fx needs; sqlstore implements it (DB.FX).
type Store interface {
	// InTx runs fn in one transaction, committing when it returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
	// ReferenceRate returns the newest rate from source for currency dated
	// on or before day (00:00 UTC). Errors: ErrNoRate.
	ReferenceRate(ctx context.Context, source Source, currency string, day time.Time) (StoredRate, error)
	// ManualRate returns the manual rate for base→quote that took effect
	// last at or before at (greatest From, then greatest ID), whether or
	// not it has ended by at. Errors: ErrNoRate.
	ManualRate(ctx context.Context, base, quote string, at time.Time) (ManualRate, error)
	// ManualRates returns the newest manual rates first (by when they were
	// set), at most limit, ended or not: the history staff read.
	ManualRates(ctx context.Context, limit int) ([]ManualRate, error)
}

// Tx is the store inside one transaction.
type Tx interface {
	// Audit writes audit records through this transaction.
	Audit() audit.Appender
	// InsertRates stores the rates whose (source, date, currency) is not
	// stored yet, leaves the others untouched whatever their value, and
	// returns the ones it stored. importedAt is recorded with them.
	InsertRates(ctx context.Context, rates []StoredRate, importedAt time.Time) ([]StoredRate, error)
	// Rates returns every stored rate from source dated from first to last
	// inclusive.
	Rates(ctx context.Context, source Source, first, last time.Time) ([]StoredRate, error)
	// InsertManualRate stores m (ID ignored) and returns its id.
	InsertManualRate(ctx context.Context, m ManualRate) (int64, error)
}
