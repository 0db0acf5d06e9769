package fx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/money"
)

// ActionRateSet is the audit action recorded when staff set a manual rate.
const ActionRateSet = "fx_rate_set"

// Options configure a Service.
type Options struct {
	// Store keeps the rates. Required.
	Store Store
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Source is the reference source quotes are built from; SourceECB when
	// empty.
	Source Source
	// MaxAge, when positive, is how old a reference rate may be at the time
	// asked about before Rate refuses it with ErrNoRate (a currency the
	// source stopped publishing must not be quoted forever). Zero: no
	// limit. The ECB skips weekends and TARGET holidays, so a limit under
	// five days refuses rates on ordinary Mondays.
	MaxAge time.Duration
}

// Service imports, stores and quotes exchange rates. It is safe for
// concurrent use.
type Service struct {
	store  Store
	now    func() time.Time
	source Source
	maxAge time.Duration
}

// New returns a Service over o.Store.
func New(o Options) *Service {
	s := &Service{store: o.Store, now: o.Now, source: o.Source, maxAge: o.MaxAge}
	if s.now == nil {
		s.now = time.Now
	}
	if s.source == "" {
		s.source = SourceECB
	}
	return s
}

// maxConflictsShown bounds how many conflicting rates one error lists.
const maxConflictsShown = 5

// ImportECB parses an ECB rates file (see ParseECB) and imports it. A
// malformed file is refused before anything is stored.
func (s *Service) ImportECB(ctx context.Context, r io.Reader) (ImportResult, error) {
	days, err := ParseECB(r)
	if err != nil {
		return ImportResult{}, err
	}
	return s.Import(ctx, days)
}

// Import stores the days' rates in one transaction: rates already stored
// with the same value are left alone (importing a file twice changes
// nothing), new ones are added. If any rate differs from the stored rate
// for the same source, day and currency, nothing is stored and the error
// (matching ErrConflict) lists the differences. Errors: ErrInvalid for days
// that could not have come from ParseECB (no source, a date that is not
// midnight UTC, a repeated day or currency, an invalid code or rate),
// ErrConflict, and the store's.
func (s *Service) Import(ctx context.Context, days []Day) (ImportResult, error) {
	rows, err := flatten(days)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Days: len(days), Rates: len(rows)}
	if len(rows) == 0 {
		return res, nil
	}
	type key struct {
		source   Source
		date     time.Time
		currency string
	}
	// Money decisions must not be half made because a caller went away.
	ctx = context.WithoutCancel(ctx)
	err = s.store.InTx(ctx, func(tx Tx) error {
		inserted, err := tx.InsertRates(ctx, rows, s.now().UTC())
		if err != nil {
			return err
		}
		// Read back everything the input covers and compare: this sees
		// rows stored before, and rows a concurrent import stored first.
		stored := map[key]money.Rate{}
		for src, span := range spans(rows) {
			rs, err := tx.Rates(ctx, src, span[0], span[1])
			if err != nil {
				return err
			}
			for _, r := range rs {
				stored[key{r.Source, r.Date, r.Currency}] = r.PerEUR
			}
		}
		var conflicts []string
		n := 0
		for _, r := range rows {
			have, ok := stored[key{r.Source, r.Date, r.Currency}]
			if !ok {
				return fmt.Errorf("fx: import: %s rate for %s on %s missing after insert", r.Source, r.Currency, r.Date.Format(dateLayout))
			}
			if have.Decimal().Cmp(r.PerEUR.Decimal()) != 0 {
				n++
				if len(conflicts) < maxConflictsShown {
					conflicts = append(conflicts, fmt.Sprintf("%s %s on %s is stored as %s, the input says %s",
						r.Source, r.Currency, r.Date.Format(dateLayout), have, r.PerEUR))
				}
			}
		}
		if n > 0 {
			more := ""
			if n > len(conflicts) {
				more = fmt.Sprintf("; and %d more", n-len(conflicts))
			}
			return fmt.Errorf("%w: %d %s from stored history, which is never overwritten; nothing was imported: %s%s",
				ErrConflict, n, plural(n, "rate differs", "rates differ"), strings.Join(conflicts, "; "), more)
		}
		newDays := map[key]bool{}
		for _, r := range inserted {
			newDays[key{r.Source, r.Date, ""}] = true
		}
		res.NewRates, res.NewDays = len(inserted), len(newDays)
		return nil
	})
	if err != nil {
		return ImportResult{Days: res.Days, Rates: res.Rates}, err
	}
	return res, nil
}

// flatten checks days and lists their rates.
func flatten(days []Day) ([]StoredRate, error) {
	type dayKey struct {
		source Source
		date   time.Time
	}
	seen := map[dayKey]bool{}
	var rows []StoredRate
	for _, d := range days {
		date := d.Date.Format(dateLayout)
		switch {
		case d.Source == "" || d.Source == SourceManual || d.Source == SourceIdentity:
			return nil, fmt.Errorf("%w: day %s: source %q cannot be imported", ErrInvalid, date, d.Source)
		case !d.Date.Equal(dayOf(d.Date)) || d.Date.Location() != time.UTC:
			return nil, fmt.Errorf("%w: day %s: date %v is not 00:00 UTC", ErrInvalid, date, d.Date)
		case seen[dayKey{d.Source, d.Date}]:
			return nil, fmt.Errorf("%w: day %s given twice", ErrInvalid, date)
		case len(d.Rates) == 0:
			return nil, fmt.Errorf("%w: day %s has no rates", ErrInvalid, date)
		}
		seen[dayKey{d.Source, d.Date}] = true
		codes := map[string]bool{}
		for _, r := range d.Rates {
			code, err := normCode(r.Currency)
			if err != nil {
				return nil, fmt.Errorf("day %s: %w", date, err)
			}
			if code == Base || codes[code] {
				return nil, fmt.Errorf("%w: day %s: currency %s given twice or against itself", ErrInvalid, date, code)
			}
			codes[code] = true
			if err := validRate(r.PerEUR); err != nil {
				return nil, fmt.Errorf("%w: day %s: %s: %w", ErrInvalid, date, code, err)
			}
			rows = append(rows, StoredRate{Source: d.Source, Date: d.Date, Currency: code, PerEUR: r.PerEUR})
		}
	}
	// One order for every import, so that concurrent imports of
	// overlapping files wait for each other's rows instead of deadlocking.
	slices.SortFunc(rows, func(a, b StoredRate) int {
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.Currency, b.Currency)
	})
	return rows, nil
}

// spans returns the first and last date per source.
func spans(rows []StoredRate) map[Source][2]time.Time {
	m := map[Source][2]time.Time{}
	for _, r := range rows {
		sp, ok := m[r.Source]
		if !ok {
			m[r.Source] = [2]time.Time{r.Date, r.Date}
			continue
		}
		if r.Date.Before(sp[0]) {
			sp[0] = r.Date
		}
		if r.Date.After(sp[1]) {
			sp[1] = r.Date
		}
		m[r.Source] = sp
	}
	return m
}

// Rate returns how many units of to one unit of from buys at the instant
// at (the current time when at is zero): the rate in effect then, that is,
// the newest on or before at. Codes are matched case-insensitively.
//
// In order: the same currency gives rate 1; a manual rate for exactly
// from→to in effect at at is used as set; otherwise the rate is built from
// each currency's rate per 1 EUR (a manual EUR→X rate in effect, else the
// newest reference rate dated on or before at's UTC date). from = EUR uses
// the EUR→to rate as stored; any other case is the quotient
// EUR→to / EUR→from, computed exactly and rounded once, half-even, to
// CrossDigits significant digits.
//
// Errors: ErrInvalid for a malformed code, ErrNoRate when either currency
// has no rate in effect (or only one older than Options.MaxAge), and the
// store's.
func (s *Service) Rate(ctx context.Context, from, to string, at time.Time) (Quote, error) {
	f, err := normCode(from)
	if err != nil {
		return Quote{}, err
	}
	t, err := normCode(to)
	if err != nil {
		return Quote{}, err
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	if f == t {
		one, _ := money.ParseRate("1")
		return Quote{From: f, To: t, Rate: one, AsOf: at, Source: SourceIdentity}, nil
	}
	if leg, ok, err := s.manual(ctx, f, t, at); err != nil {
		return Quote{}, err
	} else if ok {
		return Quote{From: f, To: t, Rate: leg.Rate, AsOf: leg.AsOf, Source: SourceManual, Legs: []Leg{leg}}, nil
	}
	var fromLeg, toLeg Leg
	if f != Base {
		if fromLeg, err = s.perEUR(ctx, f, at); err != nil {
			return Quote{}, fmt.Errorf("fx: rate %s→%s at %s: %w", f, t, at.Format(time.RFC3339), err)
		}
	}
	if t != Base {
		if toLeg, err = s.perEUR(ctx, t, at); err != nil {
			return Quote{}, fmt.Errorf("fx: rate %s→%s at %s: %w", f, t, at.Format(time.RFC3339), err)
		}
	}
	q := Quote{From: f, To: t, Source: s.source}
	switch {
	case f == Base: // EUR→to, as stored
		q.Legs = []Leg{toLeg}
	case t == Base:
		q.Legs = []Leg{fromLeg}
	default:
		q.Legs = []Leg{fromLeg, toLeg}
	}
	q.AsOf = q.Legs[0].AsOf
	for _, l := range q.Legs {
		if l.Source == SourceManual {
			q.Source = SourceManual
		}
		if l.AsOf.Before(q.AsOf) {
			q.AsOf = l.AsOf
		}
	}
	if f == Base {
		q.Rate = toLeg.Rate
		return q, nil
	}
	num := apd.New(1, 0)
	if t != Base {
		num = toLeg.Rate.Decimal()
	}
	r, err := divide(num, fromLeg.Rate.Decimal())
	if err != nil {
		return Quote{}, fmt.Errorf("fx: %s→%s: %w", f, t, err)
	}
	q.Rate, q.Computed = r, true
	return q, nil
}

// divide returns x/y rounded half-even to CrossDigits significant digits.
func divide(x, y *apd.Decimal) (money.Rate, error) {
	c := apd.Context{
		Precision:   CrossDigits,
		MaxExponent: apd.MaxExponent,
		MinExponent: apd.MinExponent,
		Traps:       apd.DefaultTraps,
		Rounding:    apd.RoundHalfEven,
	}
	var q apd.Decimal
	if _, err := c.Quo(&q, x, y); err != nil {
		return money.Rate{}, err
	}
	return money.NewRate(&q)
}

// manual returns the manual rate for base→quote in effect at at, if any.
func (s *Service) manual(ctx context.Context, base, quote string, at time.Time) (Leg, bool, error) {
	m, err := s.store.ManualRate(ctx, base, quote, at)
	if errors.Is(err, ErrNoRate) {
		return Leg{}, false, nil
	}
	if err != nil {
		return Leg{}, false, err
	}
	if !m.Until.IsZero() && !at.Before(m.Until) {
		// The latest staff decision has ended: back to the reference rate.
		return Leg{}, false, nil
	}
	return Leg{Base: base, Quote: quote, Rate: m.Rate, Source: SourceManual, AsOf: m.From, SetBy: m.SetBy, ManualID: m.ID}, true, nil
}

// perEUR returns the EUR→c rate in effect at at.
func (s *Service) perEUR(ctx context.Context, c string, at time.Time) (Leg, error) {
	if leg, ok, err := s.manual(ctx, Base, c, at); err != nil || ok {
		return leg, err
	}
	day := dayOf(at)
	r, err := s.store.ReferenceRate(ctx, s.source, c, day)
	if errors.Is(err, ErrNoRate) {
		return Leg{}, fmt.Errorf("%w: no %s rate for %s on or before %s", ErrNoRate, s.source, c, day.Format(dateLayout))
	}
	if err != nil {
		return Leg{}, err
	}
	if s.maxAge > 0 && at.Sub(r.Date) > s.maxAge {
		return Leg{}, fmt.Errorf("%w: the newest %s rate for %s is from %s, older than %v", ErrNoRate, s.source, c, r.Date.Format(dateLayout), s.maxAge)
	}
	return Leg{Base: Base, Quote: c, Rate: r.PerEUR, Source: r.Source, AsOf: r.Date}, nil
}

// Convert converts a into currency to at the rate Rate gives for the instant
// at, rounding half-even to to's minor unit (money.Convert). It returns the
// quote used, which callers record with the movement. Errors: those of Rate
// and of money.Convert (money.ErrOverflow).
func (s *Service) Convert(ctx context.Context, a money.Amount, to money.Currency, at time.Time) (money.Amount, Quote, error) {
	q, err := s.Rate(ctx, a.Currency.Code, to.Code, at)
	if err != nil {
		return money.Amount{}, Quote{}, err
	}
	out, err := money.Convert(a, q.Rate, to)
	if err != nil {
		return money.Amount{}, Quote{}, fmt.Errorf("fx: convert %v to %s: %w", a, to.Code, err)
	}
	return out, q, nil
}

// SetManualRate records a staff-set rate for m.Base→m.Quote and an audit
// record of it, in one transaction, and returns it as stored. It takes
// effect at m.From (now when zero) and overrides the reference rate from
// then on: directly for that pair, and, when Base is EUR, in every cross
// rate through m.Quote. A zero m.Until leaves it in effect until another
// manual rate for the pair replaces it; setting a rate that ends at once
// (Until = From) returns the pair to the reference rate.
//
// Callers check that the actor may set rates. Errors: ErrInvalid (bad or
// equal codes, an invalid rate, no SetBy, From in the past, Until before
// From), and the store's.
func (s *Service) SetManualRate(ctx context.Context, m ManualRate) (ManualRate, error) {
	var err error
	if m.Base, err = normCode(m.Base); err != nil {
		return ManualRate{}, err
	}
	if m.Quote, err = normCode(m.Quote); err != nil {
		return ManualRate{}, err
	}
	now := s.now().UTC()
	switch {
	case m.Base == m.Quote:
		return ManualRate{}, fmt.Errorf("%w: manual rate from %s to itself", ErrInvalid, m.Base)
	case validRate(m.Rate) != nil:
		return ManualRate{}, fmt.Errorf("%w: manual rate %s→%s: %w", ErrInvalid, m.Base, m.Quote, validRate(m.Rate))
	case m.SetBy == 0:
		return ManualRate{}, fmt.Errorf("%w: manual rate %s→%s: who set it is required", ErrInvalid, m.Base, m.Quote)
	case !m.From.IsZero() && m.From.Before(now):
		// Quotes already given must stay reproducible.
		return ManualRate{}, fmt.Errorf("%w: manual rate %s→%s cannot take effect in the past (%s)", ErrInvalid, m.Base, m.Quote, m.From.UTC().Format(time.RFC3339))
	}
	if m.From.IsZero() {
		m.From = now
	}
	m.From = m.From.UTC()
	if !m.Until.IsZero() {
		if m.Until.Before(m.From) {
			return ManualRate{}, fmt.Errorf("%w: manual rate %s→%s ends before it starts", ErrInvalid, m.Base, m.Quote)
		}
		m.Until = m.Until.UTC()
	}
	m.CreatedAt = now
	m.ID = 0
	ctx = context.WithoutCancel(ctx)
	err = s.store.InTx(ctx, func(tx Tx) error {
		id, err := tx.InsertManualRate(ctx, m)
		if err != nil {
			return err
		}
		m.ID = id
		details := map[string]string{
			"rate": m.Rate.String(),
			"from": m.From.Format(time.RFC3339Nano),
		}
		if !m.Until.IsZero() {
			details["until"] = m.Until.Format(time.RFC3339Nano)
		}
		if m.Note != "" {
			details["note"] = m.Note
		}
		return audit.Record(ctx, tx.Audit(), audit.Event{
			At: now, ActorID: m.SetBy, ActorRole: m.SetByRole, Action: ActionRateSet,
			TargetType: "fx_pair", TargetID: m.Base + "/" + m.Quote, Details: details,
		})
	})
	if err != nil {
		return ManualRate{}, fmt.Errorf("fx: set manual rate %s→%s: %w", m.Base, m.Quote, err)
	}
	return m, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
