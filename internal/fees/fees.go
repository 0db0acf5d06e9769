// Package fees owns OKPay's fee schedule and its arithmetic: the one
// schedule the platform charges from and the public fee page is rendered
// from (FEE-1..6). The schedule is data, loaded from JSON (an embedded
// default, default.json, or a file the operator names); adding a fee is
// adding an entry, not code.
//
// # The schedule
//
// Each entry is keyed by a Kind ("transfer", "conversion",
// "withdrawal_bank", ...) and holds:
//
//   - tiers by the payer's monthly volume in US dollars: each tier applies
//     from its volume on (the first from 0), and gives the percentage;
//   - per currency, a fixed part, a minimum and an optional maximum (cap),
//     in that currency; the currency "*" stands for every other currency
//     and may carry the percentage only;
//   - who pays by default (sender or receiver) and whether the payer may
//     choose the other;
//   - the rounding mode of the percentage part; and whether the fee is
//     capped at the amount itself (a monthly fee on a dormant account never
//     takes a balance below zero).
//
// # The arithmetic
//
// For an amount A of minor units in currency C and a payer's monthly volume
// V (US cents), with the tier t that has the greatest "from" ≤ V and the
// rule r for C:
//
//	fee = round(A × t.percent / 100) + r.fixed     rounded once, to C's minor unit
//	fee = max(fee, r.min)
//	fee = min(fee, r.max)                           when the entry has a max
//	fee = min(fee, A)                               when capped at the amount
//
// The percentage part is computed exactly (apd, via money.MulRate) and
// rounded once with the entry's mode. The default is half-up: ties go up
// (in the platform's favour by half a minor unit at most) and everything
// else to the nearest minor unit. An entry that says "up" rounds every
// fraction in the platform's favour; "down" in the customer's. Nothing else
// is ever rounded: fixed parts, minimums and caps are exact amounts, and
// Split only adds and subtracts.
//
// # Invariants
//
//   - A fee is never negative, never has a fraction of a minor unit, and
//     never uses float64.
//   - Split conserves money: Debit == Credit + Revenue, always; a receiver
//     never gets a negative or zero amount (a fee that would eat the whole
//     amount is refused).
//   - A Schedule is immutable once loaded and safe for concurrent use.
package fees

import (
	"errors"
	"fmt"
	"strings"

	"github.com/okpay/okpay/internal/money"
)

// Errors returned by the package.
var (
	// ErrInvalidSchedule: a schedule that does not load; the message names
	// the entry and field.
	ErrInvalidSchedule = errors.New("fees: invalid schedule")
	// ErrUnknownKind: no entry for the kind.
	ErrUnknownKind = errors.New("fees: unknown fee kind")
	// ErrNotOffered: the entry has no rule for the amount's currency.
	ErrNotOffered = errors.New("fees: currency not offered")
	// ErrInvalidAmount: a negative amount or volume, or an amount without a
	// valid currency.
	ErrInvalidAmount = errors.New("fees: invalid amount")
	// ErrPayerNotAllowed: the payer asked for is not the entry's and the
	// entry lets nobody choose.
	ErrPayerNotAllowed = errors.New("fees: payer not allowed")
	// ErrFeeExceedsAmount: the receiver would pay a fee as large as the
	// amount itself.
	ErrFeeExceedsAmount = errors.New("fees: fee is not less than the amount")
)

// Kind names a fee. Kinds are stable snake_case: ledger transfer codes,
// reports and the fee page refer to them.
type Kind string

// The kinds in the default schedule. Only Transfer is charged so far; the
// others are published and ready for the code that will charge them.
const (
	Transfer          Kind = "transfer"           // sending money to another user (FEE-1)
	Conversion        Kind = "conversion"         // currency exchange (FEE-2, WAL-4)
	WithdrawalBank    Kind = "withdrawal_bank"    // withdrawal to a bank account (FEE-3)
	WithdrawalEWallet Kind = "withdrawal_ewallet" // withdrawal to an external e-wallet (FEE-3)
	DepositCard       Kind = "deposit_card"       // deposit by card
	DepositBank       Kind = "deposit_bank"       // deposit by bank transfer
	DepositEWallet    Kind = "deposit_ewallet"    // deposit from an external e-wallet
	DormantMonthly    Kind = "dormant_monthly"    // monthly maintenance on a dormant account (FEE-4)
	LatePayment       Kind = "late_payment"       // late fee on an overdue invoice (FEE-5)
	MerchantPayment   Kind = "merchant_payment"   // a payment a merchant receives (MER-3), never more than it
)

// Payer says who bears a fee.
type Payer string

const (
	// Sender: the sender pays amount + fee, the receiver gets the amount.
	Sender Payer = "sender"
	// Receiver: the sender pays the amount, the receiver gets amount − fee.
	Receiver Payer = "receiver"
)

// AnyCurrency is the currency key of a rule for every currency the entry
// does not list.
const AnyCurrency = "*"

// usd is the currency tiers' volumes are expressed in.
var usd = money.MustCurrency("USD")

// Percent is an exact, non-negative percentage: "2.9" means 2.9 %. The zero
// value is 0 %.
type Percent struct {
	s    string     // canonical text; "" for 0
	rate money.Rate // s / 100; unset for 0
}

// ParsePercent parses a percentage in plain decimal notation ("2.9",
// "0.5", "0"), between 0 and 100 inclusive.
func ParsePercent(s string) (Percent, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !digits(intPart) || (hasDot && !digits(frac)) {
		return Percent{}, fmt.Errorf("percent %q is not a plain decimal number such as \"2.9\"", s)
	}
	if strings.Trim(s, "0.") == "" {
		return Percent{}, nil
	}
	r, err := money.ParsePercent(s)
	if err != nil {
		return Percent{}, fmt.Errorf("percent %q: %w", s, err)
	}
	whole, _ := money.ParseRate(s)
	hundred, _ := money.ParseRate("100")
	if whole.Decimal().Cmp(hundred.Decimal()) > 0 {
		return Percent{}, fmt.Errorf("percent %q is more than 100", s)
	}
	return Percent{s: whole.String(), rate: r}, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the percentage without a sign, trailing zeros dropped:
// "2.9", "0".
func (p Percent) String() string {
	if p.s == "" {
		return "0"
	}
	return p.s
}

// IsZero reports whether p is 0 %.
func (p Percent) IsZero() bool { return p.s == "" }

// Equal reports whether p and q are the same percentage.
func (p Percent) Equal(q Percent) bool { return p.s == q.s }

// of returns a × p, rounded with mode.
func (p Percent) of(a money.Amount, mode money.Rounding) (money.Amount, error) {
	if p.IsZero() || a.Minor == 0 {
		return money.Amount{Minor: 0, Currency: a.Currency}, nil
	}
	return money.MulRate(a, p.rate, mode)
}

// MarshalText implements encoding.TextMarshaler.
func (p Percent) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Tier is a volume tier of an entry.
type Tier struct {
	// Index is the tier's position, 0 for the first.
	Index int
	// FromUSD is the monthly volume in US cents from which the tier applies.
	FromUSD int64
	// ToUSD is where the next tier starts (exclusive), or 0 for the last.
	ToUSD int64
	// Percent is the tier's percentage.
	Percent Percent
}

// Rule is an entry's fixed part and limits in one currency.
type Rule struct {
	// Currency is the rule's currency code, or AnyCurrency.
	Currency string
	// Fixed, Min and Max are in that currency (zero amounts without a
	// currency in an AnyCurrency rule). Max applies only when HasMax.
	Fixed, Min, Max money.Amount
	HasMax          bool
}
