package money

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// MaxRateDigits is the number of significant digits a Rate may have. It is
// more than any FX feed or fee schedule quotes, and together with the range
// limits below it bounds the exact product of a rate and an int64 amount, so
// that products are computed without any intermediate rounding.
const MaxRateDigits = 20

const (
	maxRateIntDigit = 20 // a rate is below 10^20
	maxRateFrac     = 30 // and a multiple of 10^-30
)

// Rate is an exact, finite, positive decimal multiplier: an exchange rate
// ("7.1234" CNY per USD) or a fee rate ("0.029"). Create it with ParseRate,
// ParsePercent, BasisPoints or NewRate; the zero Rate is invalid and
// rejected by every operation.
//
// A Rate is immutable and safe to copy and to share between goroutines.
type Rate struct {
	// d is never mutated after construction and only ever passed to apd as
	// an operand, which is what makes sharing copies safe.
	d apd.Decimal
}

// ParseRate parses a rate in plain decimal notation: optional "+", digits,
// optionally "." and digits ("7.1234", "0.0125", "110"). Exponent notation,
// NaN and Infinity are not accepted. The rate must be positive, have at most
// MaxRateDigits significant digits, be below 10^20, and have at most 30
// fractional digits once trailing zeros are dropped.
//
// Every error matches ErrInvalidRate; malformed text also matches ErrSyntax
// and excess digits ErrTooPrecise.
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if !isDigits(intPart) || (hasDot && !isDigits(frac)) {
		return Rate{}, fmt.Errorf("%w: %w: %s", ErrInvalidRate, ErrSyntax, quote(s))
	}
	if neg {
		return Rate{}, fmt.Errorf("%w: %s is negative", ErrInvalidRate, quote(s))
	}
	// Canonicalise before handing the digits to apd so that limits are
	// checked on the value, not on the spelling ("007.500" is 7.5).
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if len(intPart) > maxRateIntDigit {
		return Rate{}, fmt.Errorf("%w: %s is too large", ErrInvalidRate, quote(s))
	}
	if len(frac) > maxRateFrac {
		return Rate{}, fmt.Errorf("%w: %w: %s", ErrInvalidRate, ErrTooPrecise, quote(s))
	}
	var d apd.Decimal
	if _, _, err := d.SetString("0" + intPart + "." + frac + "0"); err != nil {
		// Unreachable: the string is digits, a point and digits.
		return Rate{}, fmt.Errorf("%w: %s: %v", ErrInvalidRate, quote(s), err)
	}
	return NewRate(&d)
}

// NewRate returns a Rate equal to d, which is copied. d must satisfy the
// same conditions as a parsed rate.
func NewRate(d *apd.Decimal) (Rate, error) {
	if d == nil {
		return Rate{}, fmt.Errorf("%w: nil", ErrInvalidRate)
	}
	var r Rate
	r.d.Reduce(d) // drop trailing zeros so digit counts measure the value
	switch {
	case r.d.Form != apd.Finite:
		return Rate{}, fmt.Errorf("%w: %s", ErrInvalidRate, d.String())
	case r.d.Sign() <= 0:
		return Rate{}, fmt.Errorf("%w: %s is not positive", ErrInvalidRate, d.String())
	case r.d.NumDigits() > MaxRateDigits:
		return Rate{}, fmt.Errorf("%w: %w: %s has more than %d significant digits",
			ErrInvalidRate, ErrTooPrecise, d.String(), MaxRateDigits)
	case r.d.NumDigits()+int64(r.d.Exponent) > maxRateIntDigit:
		return Rate{}, fmt.Errorf("%w: %s is too large", ErrInvalidRate, d.String())
	case r.d.Exponent < -maxRateFrac:
		return Rate{}, fmt.Errorf("%w: %w: %s", ErrInvalidRate, ErrTooPrecise, d.String())
	}
	return r, nil
}

// ParsePercent parses a percentage such as "2.9" (meaning 0.029) with the
// syntax and limits of ParseRate.
func ParsePercent(s string) (Rate, error) {
	r, err := ParseRate(s)
	if err != nil {
		return Rate{}, err
	}
	return scaleRate(r, -2)
}

// BasisPoints returns the rate bp/10000: BasisPoints(125) is 1.25%. bp must
// be positive; a waived fee is expressed by not applying a rate at all.
func BasisPoints(bp int64) (Rate, error) {
	return NewRate(apd.New(bp, -4))
}

func scaleRate(r Rate, exp int32) (Rate, error) {
	var d apd.Decimal
	d.Set(&r.d)
	d.Exponent += exp
	return NewRate(&d)
}

// String returns the rate in plain decimal notation, without trailing zeros.
func (r Rate) String() string {
	if r.d.Form != apd.Finite || r.d.Sign() <= 0 {
		return "<invalid rate>"
	}
	return r.d.Text('f')
}

// Decimal returns a copy of the rate's value.
func (r Rate) Decimal() *apd.Decimal {
	return new(apd.Decimal).Set(&r.d)
}

func (r Rate) check() error {
	if r.d.Form != apd.Finite || r.d.Sign() <= 0 {
		return fmt.Errorf("%w: zero or uninitialised Rate", ErrInvalidRate)
	}
	return nil
}

// Rounding selects how a result between two minor units is rounded. The
// zero value is RoundHalfEven.
type Rounding int

const (
	// RoundHalfEven rounds to the nearest minor unit, and ties to the even
	// one (banker's rounding): 2.5 → 2, 3.5 → 4, -2.5 → -2. It is unbiased
	// over many conversions, hence the default for FX.
	RoundHalfEven Rounding = iota
	// RoundHalfUp rounds to the nearest minor unit, and ties away from
	// zero: 2.5 → 3, -2.5 → -3.
	RoundHalfUp
	// RoundDown truncates toward zero: 2.9 → 2, -2.9 → -2.
	RoundDown
	// RoundUp rounds away from zero: 2.1 → 3, -2.1 → -3.
	RoundUp
	// RoundFloor rounds toward negative infinity: 2.9 → 2, -2.1 → -3.
	RoundFloor
	// RoundCeiling rounds toward positive infinity: 2.1 → 3, -2.9 → -2.
	RoundCeiling
)

var rounders = [...]apd.Rounder{
	RoundHalfEven: apd.RoundHalfEven,
	RoundHalfUp:   apd.RoundHalfUp,
	RoundDown:     apd.RoundDown,
	RoundUp:       apd.RoundUp,
	RoundFloor:    apd.RoundFloor,
	RoundCeiling:  apd.RoundCeiling,
}

var roundingNames = [...]string{
	RoundHalfEven: "half_even",
	RoundHalfUp:   "half_up",
	RoundDown:     "down",
	RoundUp:       "up",
	RoundFloor:    "floor",
	RoundCeiling:  "ceiling",
}

// String returns the mode's name, such as "half_even", as used by apd.
func (m Rounding) String() string {
	if m < 0 || int(m) >= len(roundingNames) {
		return fmt.Sprintf("Rounding(%d)", int(m))
	}
	return roundingNames[m]
}

// Convert converts a into currency to at the given rate (units of to per
// unit of a's currency). The exact product is rounded to the nearest minor
// unit of to, and a product exactly half-way between two minor units goes
// to the even one (banker's rounding): 0.125 → 0.12, 0.135 → 0.14,
// -0.125 → -0.12. It is ConvertRounding(a, rate, to, RoundHalfEven).
func Convert(a Amount, rate Rate, to Currency) (Amount, error) {
	return ConvertRounding(a, rate, to, RoundHalfEven)
}

// ConvertRounding converts a into currency to at the given rate. The
// product of a (in major units) and the rate is computed exactly, and only
// then rounded once, with the given mode, to a whole number of to's minor
// units. Fee code that must round in the platform's favour passes
// RoundFloor or RoundCeiling according to which side of the ledger the
// amount lands on; FX uses RoundHalfEven.
//
// Negative amounts (refunds, reversals) are converted like positive ones;
// see Rounding for how each mode treats them. The result is ErrOverflow if
// it does not fit in int64 minor units.
func ConvertRounding(a Amount, rate Rate, to Currency, mode Rounding) (Amount, error) {
	if err := a.Currency.check(); err != nil {
		return Amount{}, err
	}
	if err := to.check(); err != nil {
		return Amount{}, err
	}
	if err := rate.check(); err != nil {
		return Amount{}, err
	}
	if mode < 0 || int(mode) >= len(rounders) {
		return Amount{}, fmt.Errorf("%w: %v", ErrInvalidRounding, mode)
	}

	// The precision is large enough for every product to be exact: at most
	// 19 digits of amount times MaxRateDigits digits of rate, and quantizing
	// adds at most maxExponent+maxRateFrac trailing digits. Traps are on so
	// that any inexact or out-of-range step is an error, never a silently
	// rounded intermediate.
	ctx := apd.Context{
		Precision:   100,
		MaxExponent: apd.MaxExponent,
		MinExponent: apd.MinExponent,
		Traps:       apd.DefaultTraps | apd.Inexact,
		Rounding:    rounders[mode],
	}
	var product apd.Decimal
	if _, err := ctx.Mul(&product, apd.New(a.Minor, -int32(a.Currency.Exponent)), &rate.d); err != nil {
		return Amount{}, fmt.Errorf("money: converting %v at %v: %w", a, rate, err)
	}

	target := -int32(to.Exponent)
	// apd's Quantize drops a nonzero value smaller than a tenth of the
	// target unit straight to zero, whatever the rounding mode
	// (https://github.com/cockroachdb/apd/issues/122), so 0.001 rounded up
	// to 0 decimals would give 0 instead of 1. A tenth of a unit, with the
	// same sign, rounds identically to any such value under every mode, so
	// substitute it.
	if !product.IsZero() && product.NumDigits()+int64(product.Exponent) < int64(target) {
		product.Set(apd.New(int64(product.Sign()), target-1))
	}

	ctx.Traps &^= apd.Inexact // rounding is the point of this step
	var rounded apd.Decimal
	if _, err := ctx.Quantize(&rounded, &product, target); err != nil {
		// InvalidOperation here means the result needs more than
		// ctx.Precision digits: far beyond int64 anyway.
		return Amount{}, fmt.Errorf("%w: %v at %v to %s", ErrOverflow, a, rate, to.Code)
	}
	// The rounded coefficient is the result in minor units.
	rounded.Exponent = 0
	minor, err := rounded.Int64()
	if err != nil {
		return Amount{}, fmt.Errorf("%w: %v at %v to %s", ErrOverflow, a, rate, to.Code)
	}
	return Amount{Minor: minor, Currency: to}, nil
}

// MulRate returns a multiplied by rate in a's own currency, rounded with
// mode: the fee on a payment, a percentage discount, a tax. It is
// ConvertRounding(a, rate, a.Currency, mode).
func MulRate(a Amount, rate Rate, mode Rounding) (Amount, error) {
	return ConvertRounding(a, rate, a.Currency, mode)
}
