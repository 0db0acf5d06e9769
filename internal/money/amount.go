package money

import (
	"fmt"
	"math"
)

// Amount is an exact amount of money: Minor units of Currency. It is
// comparable; two Amounts are == exactly when they denote the same money.
// The zero value has no currency and is not a valid amount for parsing or
// formatting with symbols.
type Amount struct {
	Minor    int64
	Currency Currency
}

// New returns minor units of the currency with the given code.
func New(minor int64, code string) (Amount, error) {
	c, err := Lookup(code)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: minor, Currency: c}, nil
}

// IsZero reports whether a is zero minor units, in any currency.
func (a Amount) IsZero() bool { return a.Minor == 0 }

// Sign returns -1, 0 or +1 according to the sign of a.
func (a Amount) Sign() int {
	switch {
	case a.Minor < 0:
		return -1
	case a.Minor > 0:
		return 1
	}
	return 0
}

// Add returns a+b. The currencies must be equal.
func (a Amount) Add(b Amount) (Amount, error) {
	if err := sameCurrency(a, b); err != nil {
		return Amount{}, err
	}
	m, err := AddInt64(a.Minor, b.Minor)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: m, Currency: a.Currency}, nil
}

// Sub returns a-b. The currencies must be equal.
func (a Amount) Sub(b Amount) (Amount, error) {
	if err := sameCurrency(a, b); err != nil {
		return Amount{}, err
	}
	m, err := SubInt64(a.Minor, b.Minor)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: m, Currency: a.Currency}, nil
}

// Neg returns -a. It fails only for math.MinInt64 minor units, whose
// negation has no int64 representation.
func (a Amount) Neg() (Amount, error) {
	m, err := NegInt64(a.Minor)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: m, Currency: a.Currency}, nil
}

// MulInt returns a*n, for quantities ("3 items at 9.99"). Fractional
// multipliers must go through MulRate so that their rounding is explicit.
func (a Amount) MulInt(n int64) (Amount, error) {
	m, err := MulInt64(a.Minor, n)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: m, Currency: a.Currency}, nil
}

// Cmp compares a and b and returns -1, 0 or +1. Amounts in different
// currencies have no order, so that case is an error rather than a guess.
func (a Amount) Cmp(b Amount) (int, error) {
	if err := sameCurrency(a, b); err != nil {
		return 0, err
	}
	switch {
	case a.Minor < b.Minor:
		return -1, nil
	case a.Minor > b.Minor:
		return 1, nil
	}
	return 0, nil
}

func sameCurrency(a, b Amount) error {
	if a.Currency != b.Currency {
		return fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.Currency.Code, b.Currency.Code)
	}
	return nil
}

// The Int64 helpers below are for code such as the ledger that keeps raw
// minor-unit columns and has already established the currency. They are the
// only place in the package where overflow is detected, so every Amount
// operation inherits exactly the same rules.

// AddInt64 returns a+b, or ErrOverflow if the sum does not fit in an int64.
func AddInt64(a, b int64) (int64, error) {
	s := a + b
	// Overflow happened iff both operands have the same sign and the sum's
	// sign differs from it.
	if (a^s)&(b^s) < 0 {
		return 0, fmt.Errorf("%w: %d + %d", ErrOverflow, a, b)
	}
	return s, nil
}

// SubInt64 returns a-b, or ErrOverflow if the difference does not fit in an
// int64.
func SubInt64(a, b int64) (int64, error) {
	d := a - b
	// Overflow happened iff the operands have different signs and the
	// result's sign differs from a's.
	if (a^b)&(a^d) < 0 {
		return 0, fmt.Errorf("%w: %d - %d", ErrOverflow, a, b)
	}
	return d, nil
}

// MulInt64 returns a*b, or ErrOverflow if the product does not fit in an
// int64.
func MulInt64(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	p := a * b
	// The division check misses MinInt64 * -1 because MinInt64 / -1 itself
	// overflows back to MinInt64, so that case is tested separately.
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || p/b != a {
		return 0, fmt.Errorf("%w: %d * %d", ErrOverflow, a, b)
	}
	return p, nil
}

// NegInt64 returns -a, or ErrOverflow for math.MinInt64.
func NegInt64(a int64) (int64, error) {
	if a == math.MinInt64 {
		return 0, fmt.Errorf("%w: -(%d)", ErrOverflow, a)
	}
	return -a, nil
}
