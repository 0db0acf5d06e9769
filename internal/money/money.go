// Package money owns OKPay's representation of monetary amounts: an exact
// count of a currency's minor units (cents, fen, yen, fils) held in an int64,
// together with the ISO 4217 currency that gives those units meaning.
//
// The package maintains these invariants:
//
//   - No float64 is ever used for money. Amounts are integers; exchange and
//     fee rates are exact decimals (github.com/cockroachdb/apd/v3).
//   - Arithmetic never wraps. Every operation that could leave the int64
//     range reports ErrOverflow instead of returning a wrong amount.
//   - Amounts in different currencies are never combined; doing so reports
//     ErrCurrencyMismatch.
//   - Nothing is rounded implicitly. Parsing rejects input finer than the
//     currency's minor unit with ErrTooPrecise, and the only operations that
//     round (Convert, ConvertRounding, MulRate) take or document an explicit
//     rounding mode.
//
// The canonical text form of an amount is its Decimal string ("1234.50",
// "-0.05", "100" for JPY) and Parse accepts exactly that form, so
// Parse(a.Decimal(), a.Currency) always returns a. Format and ParseLocalized
// deal with what people read and type; they are for user interfaces, never
// for storage or wire formats.
package money

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownCurrency reports a currency code missing from the table, or
	// a Currency value that cannot denote money (zero value, bad exponent).
	ErrUnknownCurrency = errors.New("money: unknown currency")
	// ErrCurrencyMismatch reports an operation combining two currencies, or
	// localized input whose currency marker names another currency.
	ErrCurrencyMismatch = errors.New("money: currency mismatch")
	// ErrOverflow reports a result outside the int64 range of minor units.
	ErrOverflow = errors.New("money: overflow")
	// ErrSyntax reports text that is not a number in the accepted form.
	ErrSyntax = errors.New("money: invalid syntax")
	// ErrTooPrecise reports input with more fractional digits than can be
	// represented; it is returned instead of rounding.
	ErrTooPrecise = errors.New("money: too many fractional digits")
	// ErrInvalidRate reports a rate that is not a finite, positive decimal
	// within the supported range. Every error from ParseRate matches it.
	ErrInvalidRate = errors.New("money: invalid rate")
	// ErrInvalidRounding reports a Rounding value outside the defined modes.
	ErrInvalidRounding = errors.New("money: invalid rounding mode")
)

// maxQuoted bounds how much of a caller's input is echoed in an error, so a
// hostile megabyte-long field does not end up in every log line.
const maxQuoted = 64

// quote renders user input for an error message.
func quote(s string) string {
	if len(s) > maxQuoted {
		// Cutting mid-rune is harmless: %q escapes the broken tail.
		return fmt.Sprintf("%q...", s[:maxQuoted])
	}
	return fmt.Sprintf("%q", s)
}
