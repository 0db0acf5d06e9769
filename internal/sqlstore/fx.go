package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
)

// FXStore implements fx.Store: reference rates (fx_rates) and staff-set
// rates (fx_manual_rates). Rates are stored as exact decimal text and days
// as YYYY-MM-DD, which order correctly as strings.
type FXStore struct{ db *DB }

var _ fx.Store = (*FXStore)(nil)

// FX returns the exchange-rate store.
func (db *DB) FX() *FXStore { return &FXStore{db} }

// InTx implements fx.Store.
func (s *FXStore) InTx(ctx context.Context, fn func(fx.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(fxTx{q: tx, db: s.db}) })
}

// ReferenceRate implements fx.Store.
func (s *FXStore) ReferenceRate(ctx context.Context, source fx.Source, currency string, day time.Time) (fx.StoredRate, error) {
	var d, rate string
	err := s.db.Read().QueryRow(ctx, `SELECT day, rate FROM fx_rates
		WHERE source = $1 AND currency = $2 AND day <= $3
		ORDER BY day DESC LIMIT 1`, string(source), currency, day.UTC().Format(time.DateOnly)).Scan(&d, &rate)
	if errors.Is(err, ErrNoRows) {
		return fx.StoredRate{}, fmt.Errorf("%w: no %s rate for %s on or before %s", fx.ErrNoRate, source, currency, day.UTC().Format(time.DateOnly))
	}
	if err != nil {
		return fx.StoredRate{}, fmt.Errorf("sqlstore: %s rate for %s: %w", source, currency, err)
	}
	return storedRate(source, currency, d, rate)
}

const manualColumns = `id, base, quote, rate, effective_at, until_at, set_by, set_by_role, note, created_at`

// ManualRate implements fx.Store.
func (s *FXStore) ManualRate(ctx context.Context, base, quote string, at time.Time) (fx.ManualRate, error) {
	var (
		m                     fx.ManualRate
		rate                  string
		from, until, creation int64
	)
	err := s.db.Read().QueryRow(ctx, "SELECT "+manualColumns+` FROM fx_manual_rates
		WHERE base = $1 AND quote = $2 AND effective_at <= $3
		ORDER BY effective_at DESC, id DESC LIMIT 1`, base, quote, at.UnixNano()).Scan(
		&m.ID, &m.Base, &m.Quote, &rate, &from, &until, &m.SetBy, &m.SetByRole, &m.Note, &creation)
	if errors.Is(err, ErrNoRows) {
		return fx.ManualRate{}, fmt.Errorf("%w: no manual rate for %s→%s", fx.ErrNoRate, base, quote)
	}
	if err != nil {
		return fx.ManualRate{}, fmt.Errorf("sqlstore: manual rate %s→%s: %w", base, quote, err)
	}
	if m.Rate, err = money.ParseRate(rate); err != nil {
		return fx.ManualRate{}, fmt.Errorf("sqlstore: manual rate %d: %w", m.ID, err)
	}
	m.From, m.Until, m.CreatedAt = fromNanos(from), fromNanos(until), fromNanos(creation)
	return m, nil
}

type fxTx struct {
	q  Querier
	db *DB
}

func (t fxTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }

// fxInsertChunk is how many rates one INSERT carries: 500 parameters, few
// enough that SQLite's by-name parameter lookup stays cheap.
const fxInsertChunk = 100

// InsertRates implements fx.Tx. ON CONFLICT DO NOTHING makes a rate stored
// meanwhile by a concurrent import count as existing rather than fail the
// transaction; RETURNING lists only the rows actually inserted.
func (t fxTx) InsertRates(ctx context.Context, rates []fx.StoredRate, importedAt time.Time) ([]fx.StoredRate, error) {
	var inserted []fx.StoredRate
	for start := 0; start < len(rates); start += fxInsertChunk {
		chunk := rates[start:min(start+fxInsertChunk, len(rates))]
		var (
			b    strings.Builder
			args = make([]any, 0, 5*len(chunk))
		)
		b.WriteString("INSERT INTO fx_rates (source, currency, day, rate, imported_at) VALUES ")
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, string(r.Source), r.Currency, r.Date.UTC().Format(time.DateOnly), r.PerEUR.String(), importedAt.UnixNano())
		}
		b.WriteString(" ON CONFLICT (source, currency, day) DO NOTHING RETURNING source, currency, day, rate")
		rows, err := t.q.Query(ctx, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: insert rates: %w", err)
		}
		got, err := scanRates(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: insert rates: %w", err)
		}
		inserted = append(inserted, got...)
	}
	return inserted, nil
}

// Rates implements fx.Tx.
func (t fxTx) Rates(ctx context.Context, source fx.Source, first, last time.Time) ([]fx.StoredRate, error) {
	rows, err := t.q.Query(ctx, `SELECT source, currency, day, rate FROM fx_rates
		WHERE source = $1 AND day >= $2 AND day <= $3
		ORDER BY day, currency`,
		string(source), first.UTC().Format(time.DateOnly), last.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s rates: %w", source, err)
	}
	rs, err := scanRates(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s rates: %w", source, err)
	}
	return rs, nil
}

// InsertManualRate implements fx.Tx.
func (t fxTx) InsertManualRate(ctx context.Context, m fx.ManualRate) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO fx_manual_rates
		(base, quote, rate, effective_at, until_at, set_by, set_by_role, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		m.Base, m.Quote, m.Rate.String(), nanos(m.From), nanos(m.Until), m.SetBy, m.SetByRole, m.Note, nanos(m.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert manual rate %s→%s: %w", m.Base, m.Quote, err)
	}
	return id, nil
}

func scanRates(rows Rows) ([]fx.StoredRate, error) {
	defer rows.Close()
	var rs []fx.StoredRate
	for rows.Next() {
		var source, currency, day, rate string
		if err := rows.Scan(&source, &currency, &day, &rate); err != nil {
			return nil, err
		}
		r, err := storedRate(fx.Source(source), currency, day, rate)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

func storedRate(source fx.Source, currency, day, rate string) (fx.StoredRate, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return fx.StoredRate{}, fmt.Errorf("sqlstore: %s rate for %s: day %s: %w", source, currency, strconv.Quote(day), err)
	}
	r, err := money.ParseRate(rate)
	if err != nil {
		return fx.StoredRate{}, fmt.Errorf("sqlstore: %s rate for %s on %s: %w", source, currency, day, err)
	}
	return fx.StoredRate{Source: source, Date: d, Currency: currency, PerEUR: r}, nil
}
