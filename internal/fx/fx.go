// Package fx owns exchange rates: importing reference rates (the European
// Central Bank's daily XML), keeping their history, staff-set ("manual")
// rates, and quoting the rate between two currencies at a point in time.
//
// Invariants it keeps:
//
//   - Rates are exact decimals (money.Rate), never float64.
//   - History is never rewritten. Importing a day that is already stored
//     changes nothing; a value that differs from the stored one for the same
//     source, day and currency refuses the whole import (ErrConflict).
//     Imports are all or nothing.
//   - A reference rate dated D is in effect from 00:00 UTC on D until the
//     next stored day for that currency. Rate answers with the newest rate
//     on or before the instant asked about, so a quote given yesterday can
//     be reproduced today.
//   - Cross rates are computed from two rates per 1 EUR as an exact
//     quotient, rounded once, half-even, to CrossDigits significant digits.
//     A rate read straight from the table (EUR to X, or a manual rate for
//     the exact pair) is used as stored, unrounded.
//   - A manual rate takes precedence over the reference rate from the
//     instant it takes effect until its end (if it has one) or until a
//     newer manual rate for the same pair replaces it. A manual rate is
//     directional: one for USD→CNY says nothing about CNY→USD.
//
// The package knows no SQL: sqlstore implements Store.
package fx

import (
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/money"
)

// Errors returned by the package.
var (
	// ErrNoRate: no rate is known for the pair at the time asked about.
	ErrNoRate = errors.New("fx: no rate")
	// ErrMalformed: a rates file that does not have the expected layout.
	// Every error from ParseECB matches it.
	ErrMalformed = errors.New("fx: malformed rates file")
	// ErrConflict: an import carries a different value for a day and
	// currency already stored from the same source.
	ErrConflict = errors.New("fx: conflicting rate")
	// ErrInvalid: a request that cannot be served as given (a bad currency
	// code, a manual rate without its author, an end before its start).
	ErrInvalid = errors.New("fx: invalid request")
)

// Source names where a rate came from.
type Source string

const (
	// SourceECB is the European Central Bank's euro foreign exchange
	// reference rates (rates per 1 EUR).
	SourceECB Source = "ecb"
	// SourceManual is a rate set by staff.
	SourceManual Source = "manual"
	// SourceIdentity is the rate 1 between a currency and itself.
	SourceIdentity Source = "identity"
)

// Base is the currency reference rates are quoted against: every stored
// reference rate is "units of the currency per 1 EUR".
const Base = "EUR"

// CrossDigits is the number of significant digits a computed rate (a cross
// rate, or the inverse of a reference rate) is rounded to, half-even. The
// rounding moves the rate by at most 5 parts in 10^12: less than half a
// minor unit on any converted result under 10^11 minor units (a billion
// US dollars). It stays well within money.MaxRateDigits.
const CrossDigits = 12

// dateLayout is how a day is written in files, in the store and in errors.
const dateLayout = time.DateOnly

// Day is one day of reference rates from one source.
type Day struct {
	// Source is where the rates come from (SourceECB for ParseECB).
	Source Source
	// Date is the reference date, at 00:00 UTC.
	Date time.Time
	// Rates are per 1 EUR, one per currency, ordered by currency.
	Rates []DayRate
}

// DayRate is one currency's reference rate on a day.
type DayRate struct {
	// Currency is the ISO 4217 code, upper case.
	Currency string
	// PerEUR is how many units of Currency one euro buys.
	PerEUR money.Rate
}

// StoredRate is a reference rate as the store keeps it.
type StoredRate struct {
	Source   Source
	Date     time.Time // 00:00 UTC of the reference date
	Currency string
	PerEUR   money.Rate
}

// ManualRate is an exchange rate set by staff for one direction of one
// pair: one unit of Base buys Rate units of Quote.
type ManualRate struct {
	// ID is set by the store.
	ID int64
	// Base and Quote are ISO 4217 codes, upper case.
	Base, Quote string
	// Rate is units of Quote per unit of Base.
	Rate money.Rate
	// From is when the rate takes effect; SetManualRate fills in the
	// current time when it is zero and refuses a time in the past.
	From time.Time
	// Until, when not zero, is when it stops applying; the reference rate
	// applies again from then on.
	Until time.Time
	// SetBy is the id of the staff user who set it; SetByRole their role.
	SetBy     int64
	SetByRole string
	// Note is the reason given, shown to other staff.
	Note string
	// CreatedAt is when it was recorded, by the service's clock.
	CreatedAt time.Time
}

// Leg is one rate a Quote was built from.
type Leg struct {
	// Base and Quote name the direction: Rate units of Quote per Base.
	Base, Quote string
	Rate        money.Rate
	Source      Source
	// AsOf is the reference date (00:00 UTC) of a reference rate, or the
	// instant a manual rate took effect.
	AsOf time.Time
	// SetBy is the staff user behind a manual rate.
	SetBy int64
	// ManualID is the id of the manual rate, if it is one.
	ManualID int64
}

// Quote is the answer to "how many To for one From, at this time".
type Quote struct {
	From, To string
	// Rate is units of To per unit of From.
	Rate money.Rate
	// AsOf is when the rate took effect: the reference date of a reference
	// rate, the start of a manual rate; for a cross rate, the older of its
	// two legs. Identity quotes carry the time asked about.
	AsOf time.Time
	// Source is SourceIdentity, SourceManual when any leg is manual, else
	// the reference source.
	Source Source
	// Legs are the stored rates used: one for a direct rate, two for a
	// cross rate (EUR→From, EUR→To), none for identity.
	Legs []Leg
	// Computed reports whether Rate is a quotient rounded to CrossDigits
	// significant digits rather than a stored value.
	Computed bool
}

// ImportResult says what an import did.
type ImportResult struct {
	// Days and Rates count what the input held.
	Days, Rates int
	// NewDays counts days of which at least one rate was new; NewRates the
	// rates stored by this import. The rest were already present with the
	// same value.
	NewDays, NewRates int
}

// ExistingRates is how many of the input's rates were already stored.
func (r ImportResult) ExistingRates() int { return r.Rates - r.NewRates }

// ExistingDays is how many of the input's days were already fully stored.
func (r ImportResult) ExistingDays() int { return r.Days - r.NewDays }

// normCode checks a currency code's shape and returns it upper case. The
// code need not be one money knows: the ECB publishes currencies (BGN,
// RON, ...) the platform may not hold, and their history is kept anyway.
func normCode(code string) (string, error) {
	if len(code) != 3 {
		return "", fmt.Errorf("%w: currency code %q is not three letters", ErrInvalid, code)
	}
	b := []byte(code)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		default:
			return "", fmt.Errorf("%w: currency code %q is not three letters", ErrInvalid, code)
		}
	}
	return string(b), nil
}

// dayOf returns 00:00 UTC of t's UTC date.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// validRate reports whether r is a usable rate (not the zero Rate).
func validRate(r money.Rate) error {
	_, err := money.NewRate(r.Decimal())
	return err
}
