package wallet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// DifferenceKind is what kind of disagreement between a statement and the
// ledger a Difference is.
type DifferenceKind string

// The kinds of difference.
const (
	// DiffUnbalanced: the statement itself does not add up (opening +
	// booked credits − booked debits ≠ closing, or a balance is missing or
	// in another currency).
	DiffUnbalanced DifferenceKind = "does_not_add_up"
	// DiffCurrencyNotEnabled: the statement is in a currency the platform
	// does not hold, so the ledger has none of it.
	DiffCurrencyNotEnabled DifferenceKind = "currency_not_enabled"
	// DiffNotInLedger: a booked entry of the statement whose money the
	// ledger does not have: not imported, a debit (the import books no
	// debits), or imported but not yet posted.
	DiffNotInLedger DifferenceKind = "not_in_ledger"
	// DiffAmount: an entry the ledger has with another amount or
	// direction than the statement says.
	DiffAmount DifferenceKind = "amount_differs"
	// DiffNotInStatement: a bank credit in the ledger, booked at the
	// statement's account within the statement's period, that the
	// statement does not list.
	DiffNotInStatement DifferenceKind = "not_in_statement"
	// DiffClosingBalance: the closing balance is not what the ledger holds
	// at the bank (platform:bank in the statement's currency), or cannot
	// be compared with it (missing, or in another currency).
	DiffClosingBalance DifferenceKind = "closing_balance"
)

// Difference is one disagreement between a statement and the ledger.
type Difference struct {
	Kind DifferenceKind
	// EntryID, EntryRef, Amount, Credit and BookingDate describe the
	// entry, for the kinds about one entry.
	EntryID     string
	EntryRef    string
	Amount      money.Amount
	Credit      bool
	BookingDate time.Time
	// Statement and Ledger are the two balances of a closing_balance
	// difference.
	Statement, Ledger money.Amount
	// Detail says it in words, with the numbers.
	Detail string
}

// StatementReconciliation compares one statement with the ledger.
type StatementReconciliation struct {
	StatementID string
	Account     string
	Currency    money.Currency
	// From and To are the period compared: the first booking date to the
	// closing balance's date (or the last booking date); zero when the
	// statement has neither.
	From, To time.Time
	// Opening and Closing are the statement's booked balances (zero
	// Currency when it has none).
	Opening, Closing money.Amount
	// LedgerBalance is what the ledger says the platform holds at its bank
	// in the statement's currency now: the debit balance of platform:bank.
	LedgerBalance money.Amount
	Differences   []Difference
}

// Reconciliation is the report of Reconcile.
type Reconciliation struct {
	File       string
	Statements []StatementReconciliation
}

// Differences counts the differences of every statement.
func (r Reconciliation) Differences() int {
	n := 0
	for _, s := range r.Statements {
		n += len(s.Differences)
	}
	return n
}

// OK reports whether the file agrees with the ledger in everything.
func (r Reconciliation) OK() bool { return r.Differences() == 0 }

// Reconcile compares every statement of a file with the ledger and lists
// each difference: the statement not adding up, booked entries whose money
// is not in the ledger, bank credits in the ledger for the statement's
// account and period that the statement lacks, and a closing balance that
// is not what the ledger holds at the bank. It changes nothing. Debits are
// always differences until the platform books them (bank charges,
// payouts): the import records them but moves no money. Errors: a
// *connector.StatementError for a file that cannot be read,
// ErrUnavailable.
func (b *BankDeposits) Reconcile(ctx context.Context, name string, data []byte) (Reconciliation, error) {
	stmts, err := connector.DecodeStatements(name, data)
	if err != nil {
		return Reconciliation{}, err
	}
	// An entry in any statement of the file is not missing from it: a
	// file is what staff reconcile.
	seen := map[string]bool{}
	for _, st := range stmts {
		for _, e := range st.Entries {
			seen[bankEntryPrefix+encodeID(bankEntryParent(bankEntryKey(st.Account, e), e.BookingDate))] = true
		}
	}
	r := Reconciliation{File: name}
	for _, st := range stmts {
		sr, err := b.reconcile(ctx, st, seen)
		if err != nil {
			return Reconciliation{}, err
		}
		r.Statements = append(r.Statements, sr)
	}
	return r, nil
}

func (b *BankDeposits) reconcile(ctx context.Context, st connector.Statement, seen map[string]bool) (StatementReconciliation, error) {
	cur := st.Currency
	account := accountID(st.Account)
	sr := StatementReconciliation{StatementID: st.ID, Account: account, Currency: cur, Opening: st.Opening, Closing: st.Closing}
	sr.From, sr.To = statementPeriod(st)
	diff := func(d Difference) { sr.Differences = append(sr.Differences, d) }
	if err := st.Reconcile(); err != nil {
		diff(Difference{Kind: DiffUnbalanced, Detail: strings.TrimPrefix(err.Error(), connector.ErrUnbalanced.Error()+": ")})
	}
	_, cerr := b.s.enabled(cur.Code)
	if cerr != nil && cur.Code != "" {
		diff(Difference{Kind: DiffCurrencyNotEnabled,
			Detail: fmt.Sprintf("the statement is in %s, which the platform does not hold", cur.Code)})
	}

	for _, e := range st.Entries {
		id := bankEntryPrefix + encodeID(bankEntryParent(bankEntryKey(st.Account, e), e.BookingDate))
		if e.Status != connector.StatusBooked || e.Amount.Minor == 0 {
			continue
		}
		d := Difference{EntryID: id, EntryRef: e.Ref, Amount: e.Amount, Credit: e.Credit, BookingDate: dateOf(e.BookingDate)}
		stored, err := b.store.BankEntry(ctx, id)
		if errors.Is(err, ErrBankEntryNotFound) {
			d.Kind, d.Detail = DiffNotInLedger, fmt.Sprintf("%s of %s %s booked %s: not imported",
				direction(e.Credit), e.Amount.Decimal(), e.Amount.Currency.Code, bookingDay(e.BookingDate))
			diff(d)
			continue
		}
		if err != nil {
			return sr, unavailable("bank entry", err)
		}
		if stored.Amount != e.Amount || stored.Credit != e.Credit {
			d.Kind, d.Detail = DiffAmount, fmt.Sprintf("the statement says a %s of %s %s; the ledger has a %s of %s %s",
				direction(e.Credit), e.Amount.Decimal(), e.Amount.Currency.Code,
				direction(stored.Credit), stored.Amount.Decimal(), stored.Amount.Currency.Code)
			diff(d)
			continue
		}
		in, why, err := b.inLedger(ctx, stored)
		if err != nil {
			return sr, err
		}
		if !in {
			d.Kind, d.Detail = DiffNotInLedger, fmt.Sprintf("%s of %s %s booked %s: %s",
				direction(e.Credit), e.Amount.Decimal(), e.Amount.Currency.Code, bookingDay(e.BookingDate), why)
			diff(d)
		}
	}

	if cerr == nil && !sr.From.IsZero() {
		es, err := b.store.BankEntries(ctx, BankEntryQuery{
			Statuses: []BankEntryStatus{BankEntryAssigned, BankEntryCredited, BankEntryReturned, BankEntrySuspense},
			Account:  account, Currency: cur.Code, From: sr.From, To: sr.To,
		})
		if err != nil {
			return sr, unavailable("bank entries", err)
		}
		slices.SortStableFunc(es, func(x, y BankEntry) int {
			if c := x.BookingDate.Compare(y.BookingDate); c != 0 {
				return c
			}
			return strings.Compare(x.EntryRef, y.EntryRef)
		})
		for _, e := range es {
			if seen[e.ID] {
				continue
			}
			in, _, err := b.inLedger(ctx, e)
			if err != nil {
				return sr, err
			}
			if !in {
				continue
			}
			diff(Difference{Kind: DiffNotInStatement, EntryID: e.ID, EntryRef: e.EntryRef, Amount: e.Amount, Credit: e.Credit,
				BookingDate: e.BookingDate, Detail: fmt.Sprintf("credit of %s %s booked %s (statement %s of %s) is in the ledger, not in this statement",
					e.Amount.Decimal(), e.Amount.Currency.Code, bookingDay(e.BookingDate), e.StatementID, e.File)})
		}
	}

	if cerr == nil {
		held, err := b.bankHeld(ctx, cur)
		if err != nil {
			return sr, err
		}
		sr.LedgerBalance = held
		d := Difference{Kind: DiffClosingBalance, Statement: st.Closing, Ledger: held}
		switch {
		case st.Closing.Currency.Code == "":
			d.Detail = fmt.Sprintf("the statement has no closing booked balance to compare with the %s %s the ledger holds at the bank",
				held.Decimal(), cur.Code)
			diff(d)
		case st.Closing.Currency != cur:
			d.Detail = fmt.Sprintf("the closing balance %s %s is not in the statement's currency %s; the ledger holds %s %s at the bank",
				st.Closing.Decimal(), st.Closing.Currency.Code, cur.Code, held.Decimal(), cur.Code)
			diff(d)
		case st.Closing != held:
			off, _ := st.Closing.Sub(held)
			d.Amount = off
			d.Detail = fmt.Sprintf("the closing balance is %s %s; the ledger holds %s %s at the bank (off by %s)",
				st.Closing.Decimal(), cur.Code, held.Decimal(), cur.Code, off.Decimal())
			diff(d)
		}
	}
	return sr, nil
}

// statementPeriod is the span of booking dates a statement covers: its
// first booked entry to its closing balance's date (or its last booked
// entry).
func statementPeriod(st connector.Statement) (from, to time.Time) {
	for _, e := range st.Entries {
		if e.Status != connector.StatusBooked || e.BookingDate.IsZero() {
			continue
		}
		d := dateOf(e.BookingDate)
		if from.IsZero() || d.Before(from) {
			from = d
		}
		if d.After(to) {
			to = d
		}
	}
	for _, bal := range st.Balances {
		if bal.Type == "CLBD" && !bal.Date.IsZero() {
			d := dateOf(bal.Date)
			if d.After(to) {
				to = d
			}
			if from.IsZero() {
				from = d
			}
		}
	}
	return from, to
}

// inLedger reports whether the ledger has the money of a recorded entry
// at the bank, and if not, why.
func (b *BankDeposits) inLedger(ctx context.Context, e BankEntry) (bool, string, error) {
	var id ledger.ID
	switch e.Status {
	case BankEntryIgnored:
		if !e.Credit {
			return false, "a debit: the import records debits (bank charges, payouts, returns) but books none", nil
		}
		if e.Amount.Minor <= 0 {
			return false, "no money", nil
		}
		return false, "not booked when it was imported", nil
	case BankEntryUnbooked:
		return false, "in a currency the platform does not hold", nil
	case BankEntryCredited:
		m, err := b.s.store.Movement(ctx, e.MovementID)
		if err != nil {
			return false, "", storeErr("movement "+e.MovementID, err)
		}
		if len(m.Plan) == 0 {
			return false, "deposit " + m.ID + " has no transfer", nil
		}
		id = m.Plan[0].ID
	default: // suspense, assigned, returned: first booked into suspense
		if len(e.Plan) == 0 {
			return false, "no transfer into suspense recorded", nil
		}
		id = e.Plan[0].ID
	}
	_, err := b.ledger.Transfer(ctx, id)
	if errors.Is(err, ledger.ErrTransferNotFound) {
		return false, "imported as " + string(e.Status) + " but its transfer is not in the ledger yet", nil
	}
	if err != nil {
		return false, "", unavailable("ledger transfer", err)
	}
	return true, "", nil
}

// bankHeld is what the ledger says the platform holds at its bank in cur:
// the debit balance of platform:bank (zero when it has no account yet).
func (b *BankDeposits) bankHeld(ctx context.Context, cur money.Currency) (money.Amount, error) {
	a, err := b.ledger.AccountByRef(ctx, PlatformRef(Bank, cur.Code))
	if errors.Is(err, ledger.ErrAccountNotFound) {
		return money.Amount{Currency: cur}, nil
	}
	if err != nil {
		return money.Amount{}, unavailable("bank account balance", err)
	}
	held, err := money.SubInt64(a.DebitsPosted, a.CreditsPosted)
	if err != nil {
		return money.Amount{}, unavailable("bank account balance", err)
	}
	return money.Amount{Minor: held, Currency: cur}, nil
}
