// Package kyc owns verification (ACC-7): each user's level (unverified,
// verified, business), the limits of each level on sending, withdrawing
// and holding money, and the identity documents staff review to raise a
// level. It knows no HTTP or SQL: sqlstore implements Store, the web layer
// renders what Service returns.
//
// # Limits
//
// The limits are one table (Limits, in US dollars) and are enforced inside
// the ledger's commit, never by a read followed by a write, so concurrent
// payments can never together exceed them:
//
//   - Each user has, per calendar month (in the platform's time zone) and
//     per kind (send, withdraw), an allowance account in USD
//     ("kyc:send:42:2026-11") that can never be overdrawn. It is credited
//     from the control account (kyc:control:USD) with the level's monthly
//     limit by transfers whose ids are derived from the account and the
//     level, so it is funded once; when the level rises mid-month the next
//     payment tops it up by the difference.
//   - Every send (and withdrawal) adds to its linked set of transfers one
//     that debits the allowance by the amount's USD equivalent (Service
//     implements wallet.Limiter), so the ledger refuses the whole set when
//     the month's limit would be exceeded: accepted payments add up to at
//     most the limit, exactly.
//   - The holding limit caps the balance: a per-user holding account in USD
//     ("kyc:holding:42") is funded with the level's limit; money arriving
//     in the wallet (deposits, payments received) debits it and money
//     leaving (sends, withdrawals) credits it back, each in the same linked
//     set as the movement, so a deposit or payment that would take the
//     balance over the limit is refused by the ledger. Amounts count at the
//     rate of the day they moved.
//
// Limits are read from the table when an allowance is funded: a changed
// table applies from the next month (and to levels reached later), never
// to an allowance already funded.
//
// # Documents
//
// A user uploads identity documents (JPEG, PNG or PDF, at most
// MaxDocumentSize). The type is what the bytes are (content sniffing and
// a full decode of images), never what the file name or the browser
// claim. The file is sealed with secretbox under a key of its own purpose,
// bound to the document's id, and stored in the database; it is served
// only to its owner and staff, as an attachment. Staff approve a document
// (the user's level rises to the one the document asks for, never falls)
// or reject it with a reason the user reads; the decision is one
// conditional update, so a document is decided once, and its audit record
// commits with it. A staff member cannot decide their own document.
package kyc

import (
	"errors"
	"fmt"

	"github.com/okpay/okpay/internal/money"
)

// Level is how well the platform knows a user.
type Level string

// The levels, from least to most known.
const (
	Unverified Level = "unverified"
	Verified   Level = "verified"
	Business   Level = "business"
)

// Levels lists every level in rising order.
var Levels = []Level{Unverified, Verified, Business}

// rank orders levels; -1 for an unknown one.
func (l Level) rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return l.rank() >= 0 }

// Below reports whether l is a lower level than m.
func (l Level) Below(m Level) bool { return l.rank() < m.rank() }

// Kind is a limit.
type Kind string

// The limits: money sent to other users per month, money withdrawn per
// month, and the most a wallet may hold.
const (
	KindSend     Kind = "send"
	KindWithdraw Kind = "withdraw"
	KindHolding  Kind = "holding"
)

// Kinds lists every limit.
var Kinds = []Kind{KindSend, KindWithdraw, KindHolding}

// Limit is one level's limits, in US cents.
type Limit struct {
	SendMonthly     int64
	WithdrawMonthly int64
	Holding         int64
}

func (l Limit) of(k Kind) int64 {
	switch k {
	case KindSend:
		return l.SendMonthly
	case KindWithdraw:
		return l.WithdrawMonthly
	}
	return l.Holding
}

// Limits is the one table of limits per level.
type Limits map[Level]Limit

// USD is the currency limits are kept in.
var USD = money.MustCurrency("USD")

// DefaultLimits are the platform's limits unless configured otherwise.
func DefaultLimits() Limits {
	return Limits{
		Unverified: {SendMonthly: 1_000_00, WithdrawMonthly: 1_000_00, Holding: 3_000_00},
		Verified:   {SendMonthly: 20_000_00, WithdrawMonthly: 20_000_00, Holding: 100_000_00},
		Business:   {SendMonthly: 250_000_00, WithdrawMonthly: 250_000_00, Holding: 1_000_000_00},
	}
}

// ErrLimits reports a limits table that cannot work: a level missing, a
// limit not positive, or a higher level with a lower limit (a rising
// level only ever tops an allowance up).
var ErrLimits = errors.New("kyc: bad limits")

// Check validates the table.
func (ls Limits) Check() error {
	var prev Limit
	for i, lv := range Levels {
		l, ok := ls[lv]
		if !ok {
			return fmt.Errorf("%w: no limits for %s", ErrLimits, lv)
		}
		for _, k := range Kinds {
			if l.of(k) <= 0 {
				return fmt.Errorf("%w: %s %s limit is not positive", ErrLimits, lv, k)
			}
			if i > 0 && l.of(k) < prev.of(k) {
				return fmt.Errorf("%w: %s %s limit is below the level under it", ErrLimits, lv, k)
			}
		}
		prev = l
	}
	return nil
}
