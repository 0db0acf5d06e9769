package connector

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/money"
)

// Statement is one account statement from OKPay's bank: the account's
// booked balance at the start and end of a period and the entries between.
type Statement struct {
	// Format is "camt.053.001.02" (the message's namespace version) or "csv".
	Format string
	// MessageID is the bank's id of the whole file (camt.053 GrpHdr/MsgId).
	MessageID string
	// ID is the bank's id of the statement (Stmt/Id).
	ID string
	// Account is the IBAN (or the bank's other id) of the account.
	Account string
	// Currency is the account's currency: Acct/Ccy, else that of the
	// opening or closing balance, else that of the first entry.
	Currency money.Currency
	// Created is when the bank produced the statement, if it says.
	Created time.Time
	// Opening is the opening booked balance (OPBD, or PRCD without one),
	// signed: negative for a debit balance. Its Currency is zero when the
	// statement has none.
	Opening money.Amount
	// Closing is the closing booked balance (CLBD), signed.
	Closing money.Amount
	// Balances are all balances of the statement, in file order.
	Balances []Balance
	Entries  []Entry
}

// Balance is one balance line of a statement.
type Balance struct {
	// Type is the ISO 20022 balance code: OPBD, CLBD, PRCD, OPAV, CLAV,
	// FWAV, INFO, ITAV, ITBD, XPCD, ... (or a proprietary code).
	Type string
	// Amount is signed: negative for a debit balance.
	Amount money.Amount
	Date   time.Time
}

// Entry statuses (camt.053 Ntry/Sts).
const (
	StatusBooked  = "BOOK"
	StatusPending = "PDNG"
	StatusInfo    = "INFO"
	StatusFuture  = "FUTR"
)

// Entry is one movement on the account.
type Entry struct {
	// Ref identifies the entry for de-duplication, together with the
	// statement's Account: the bank's AcctSvcrRef, else its NtryRef, else
	// (for entries with neither) the statement id and the entry's position,
	// "<Stmt/Id>#<n>", which is stable for the same file. Refs are unique
	// per account within a file.
	Ref string
	// Amount is positive; Credit says which way it went.
	Amount money.Amount
	// Credit is true for money in, false for money out.
	Credit bool
	// Reversal marks an entry that reverses an earlier one (RvslInd).
	Reversal bool
	// Status is StatusBooked, StatusPending, StatusInfo or StatusFuture.
	// Only booked entries move the booked balance.
	Status      string
	BookingDate time.Time
	ValueDate   time.Time
	// Remittance is the unstructured remittance information (every Ustrd
	// of every transaction, joined with spaces), where customers put the
	// deposit Reference.
	Remittance string
	// CreditorRef is the structured creditor reference (Strd/CdtrRefInf/
	// Ref), where some banks let customers put the Reference.
	CreditorRef string
	// AdditionalInfo is AddtlNtryInf and AddtlTxInf, joined with spaces.
	AdditionalInfo string
	// EndToEndID is the payer's end-to-end id of the (first) transaction.
	EndToEndID string
	// CounterpartyName and CounterpartyIBAN are the other side: the debtor
	// of a credit, the creditor of a debit (of the first transaction).
	CounterpartyName string
	CounterpartyIBAN string
	// Transactions is the number of transactions (TxDtls) in the entry. An
	// entry with more than one is a batch booking: its Remittance mixes
	// several payments and must not be matched to one deposit.
	Transactions int
}

// ErrUnbalanced reports a statement whose opening balance plus booked
// credits minus booked debits is not its closing balance, or whose balances
// cannot be checked (missing, or in another currency).
var ErrUnbalanced = errors.New("connector: statement does not add up")

// ErrStatementFormat reports a file that is not a statement in a supported
// format.
var ErrStatementFormat = errors.New("connector: malformed statement")

// StatementError locates a problem in a statement file.
type StatementError struct {
	// File is the name given to ParseStatements.
	File string
	// Line is the 1-based line of the offending element or CSV record; 0
	// when unknown.
	Line int
	// Path locates the element: "Stmt[0]/Ntry[2]/Amt" (indexes from 0), or
	// the CSV column.
	Path string
	Err  error
}

func (e *StatementError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Err.Error()
}

func (e *StatementError) Unwrap() error { return e.Err }

// maxStatementSize bounds a statement file; a year of a busy account fits
// comfortably.
const maxStatementSize = 64 << 20

// ParseStatements reads every statement in a bank statement file: ISO 20022
// camt.053 XML (versions 001.02 to 001.08, told apart by namespace) or the
// CSV layout described in the package comment. name is only used in errors.
//
// It refuses the whole file if anything is wrong, so that an import is
// all-or-nothing: a malformed element or record (a *StatementError naming
// the file, line and element, wrapping ErrStatementFormat or a money error
// such as money.ErrTooPrecise), or a statement that does not add up (a
// *StatementError wrapping ErrUnbalanced, with the numbers).
func ParseStatements(name string, data []byte) ([]Statement, error) {
	stmts, pos, err := decodeStatements(name, data)
	if err != nil {
		return nil, err
	}
	for i, s := range stmts {
		if err := s.Reconcile(); err != nil {
			return nil, &StatementError{File: name, Line: pos[i].line, Path: pos[i].path, Err: err}
		}
	}
	return stmts, nil
}

// ParseStatement is ParseStatements for a file that must hold exactly one
// statement.
func ParseStatement(name string, data []byte) (Statement, error) {
	stmts, err := ParseStatements(name, data)
	if err != nil {
		return Statement{}, err
	}
	if len(stmts) != 1 {
		return Statement{}, &StatementError{File: name,
			Err: fmt.Errorf("%w: the file holds %d statements, want one", ErrStatementFormat, len(stmts))}
	}
	return stmts[0], nil
}

// DecodeStatements is ParseStatements without the balance check: it reads
// everything and refuses malformed files alike, but returns statements that
// do not add up. It is for showing staff what a refused file holds; money
// must only ever be credited from ParseStatements.
func DecodeStatements(name string, data []byte) ([]Statement, error) {
	stmts, _, err := decodeStatements(name, data)
	return stmts, err
}

// position locates a statement and its entries in the file, for errors.
type position struct {
	line    int
	path    string
	entries []position
}

// decodeStatements detects the format and decodes.
func decodeStatements(name string, data []byte) ([]Statement, []position, error) {
	if len(data) > maxStatementSize {
		return nil, nil, &StatementError{File: name,
			Err: fmt.Errorf("%w: larger than %d MiB", ErrStatementFormat, maxStatementSize>>20)}
	}
	body := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(body) == 0 {
		return nil, nil, &StatementError{File: name, Err: fmt.Errorf("%w: empty file", ErrStatementFormat)}
	}
	var (
		stmts []Statement
		pos   []position
		err   error
	)
	if body[0] == '<' {
		stmts, pos, err = decodeCamt053(name, data)
	} else {
		stmts, pos, err = decodeCSV(name, data)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := checkRefs(name, stmts, pos); err != nil {
		return nil, nil, err
	}
	return stmts, pos, nil
}

// checkRefs refuses a file in which two entries of one account share a Ref,
// since the import de-duplicates by it.
func checkRefs(name string, stmts []Statement, pos []position) error {
	type key struct{ account, ref string }
	seen := make(map[key]position)
	for i, s := range stmts {
		for j, e := range s.Entries {
			k := key{s.Account, e.Ref}
			p := pos[i].entries[j]
			if prev, dup := seen[k]; dup {
				where := fmt.Sprintf("line %d", prev.line)
				if strings.HasPrefix(prev.path, "Stmt[") {
					where = prev.path + " (" + where + ")"
				}
				return &StatementError{File: name, Line: p.line, Path: p.path,
					Err: fmt.Errorf("%w: entry reference %q is also used by %s", ErrStatementFormat, e.Ref, where)}
			}
			seen[k] = p
		}
	}
	return nil
}

// BookedTotals returns the sums of the booked credits and booked debits,
// both positive, in the statement's currency.
func (s Statement) BookedTotals() (credits, debits money.Amount, err error) {
	credits = money.Amount{Currency: s.Currency}
	debits = money.Amount{Currency: s.Currency}
	for i, e := range s.Entries {
		if e.Status != StatusBooked {
			continue
		}
		if e.Amount.Currency != s.Currency {
			return money.Amount{}, money.Amount{}, fmt.Errorf("%w: entry %d (%s) is in %s, the statement in %s",
				ErrUnbalanced, i, e.Ref, e.Amount.Currency.Code, s.Currency.Code)
		}
		if e.Credit {
			credits, err = credits.Add(e.Amount)
		} else {
			debits, err = debits.Add(e.Amount)
		}
		if err != nil {
			return money.Amount{}, money.Amount{}, fmt.Errorf("%w: %w", ErrUnbalanced, err)
		}
	}
	return credits, debits, nil
}

// Reconcile checks that the statement adds up: it has an opening and a
// closing booked balance in its currency, every booked entry is in that
// currency, and opening + booked credits − booked debits = closing.
// Errors wrap ErrUnbalanced and carry the numbers.
func (s Statement) Reconcile() error {
	if s.Currency.Code == "" {
		return fmt.Errorf("%w: the statement has no currency", ErrUnbalanced)
	}
	if s.Opening.Currency.Code == "" {
		return fmt.Errorf("%w: no opening booked balance (OPBD or PRCD)", ErrUnbalanced)
	}
	if s.Closing.Currency.Code == "" {
		return fmt.Errorf("%w: no closing booked balance (CLBD)", ErrUnbalanced)
	}
	for _, b := range []struct {
		what string
		a    money.Amount
	}{{"opening", s.Opening}, {"closing", s.Closing}} {
		if b.a.Currency != s.Currency {
			return fmt.Errorf("%w: the %s booked balance %s %s is not in the statement's currency %s",
				ErrUnbalanced, b.what, b.a.Decimal(), b.a.Currency.Code, s.Currency.Code)
		}
	}
	credits, debits, err := s.BookedTotals()
	if err != nil {
		return err
	}
	sum, err := s.Opening.Add(credits)
	if err == nil {
		sum, err = sum.Sub(debits)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnbalanced, err)
	}
	if sum != s.Closing {
		diff, _ := s.Closing.Sub(sum)
		return fmt.Errorf("%w: opening %s + credits %s - debits %s = %s %s, but the closing balance is %s %s (off by %s)",
			ErrUnbalanced, s.Opening.Decimal(), credits.Decimal(), debits.Decimal(), sum.Decimal(), s.Currency.Code,
			s.Closing.Decimal(), s.Currency.Code, diff.Decimal())
	}
	return nil
}

// DepositReference finds the deposit Reference of a credit entry in its
// remittance information, structured creditor reference or additional
// information. It reports false for a debit, for a batch booking (more than
// one transaction: which deposit the reference belongs to is unknowable),
// and where FindReference does (none, or two different ones).
func (e Entry) DepositReference() (Reference, bool) {
	if !e.Credit || e.Transactions > 1 {
		return "", false
	}
	// "|" ends a reference, so one is never assembled across two fields.
	return FindReference(e.Remittance + " | " + e.CreditorRef + " | " + e.AdditionalInfo)
}
