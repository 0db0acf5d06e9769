package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/money"
)

// ActionBankStatementImported is the audit action of a statement import.
const ActionBankStatementImported = "bank_statement_imported"

// ImportOutcome is what an import did with one entry.
type ImportOutcome string

// The outcomes.
const (
	// OutcomeCredited: deposited into the wallet its reference names.
	OutcomeCredited ImportOutcome = "credited"
	// OutcomeSuspense: unmatched, moved to the suspense account for staff.
	OutcomeSuspense ImportOutcome = "suspense"
	// OutcomeNotEnabled: unmatched in a currency the platform does not
	// hold; recorded for staff, no money moved.
	OutcomeNotEnabled ImportOutcome = "not_enabled"
	// OutcomeAlreadyImported: a booked credit imported before (by this
	// file or another statement holding the same entry); nothing moved
	// again.
	OutcomeAlreadyImported ImportOutcome = "already_imported"
	// OutcomeSkipped: a debit or an entry not booked; recorded, no money
	// moved.
	OutcomeSkipped ImportOutcome = "skipped"
)

// ImportLine is one entry of an imported file and what became of it.
type ImportLine struct {
	EntryID     string
	StatementID string
	Account     string
	EntryRef    string
	Amount      money.Amount
	Credit      bool
	// EntryStatus is the bank's status: BOOK, PDNG, INFO or FUTR.
	EntryStatus string
	BookingDate time.Time
	Outcome     ImportOutcome
	// Status and Reason are the entry's as stored now (for an entry
	// imported before, they may be staff's resolution).
	Status       BankEntryStatus
	Reason       BankEntryReason
	WalletID     WalletID
	MovementID   string
	Counterparty string
	Remittance   string
}

// ImportResult says what ImportStatement did.
type ImportResult struct {
	File       string
	Statements int
	Entries    int
	// Credited counts booked credits deposited into wallets now;
	// ToSuspense those moved to suspense now; NotEnabled those recorded as
	// unmatched in a currency the platform does not hold.
	Credited, ToSuspense, NotEnabled int
	// AlreadyImported counts booked credits imported before.
	AlreadyImported int
	// Skipped counts debits and entries not booked.
	Skipped int
	// Warnings are for the person importing: statements that do not add
	// up (with the numbers), accounts that are not the platform's
	// receiving accounts, entries without a bank reference, entries that
	// differ from what an earlier import recorded for them.
	Warnings []string
	Lines    []ImportLine
}

func (r *ImportResult) add(l ImportLine) {
	r.Entries++
	switch l.Outcome {
	case OutcomeCredited:
		r.Credited++
	case OutcomeSuspense:
		r.ToSuspense++
	case OutcomeNotEnabled:
		r.NotEnabled++
	case OutcomeAlreadyImported:
		r.AlreadyImported++
	case OutcomeSkipped:
		r.Skipped++
	}
	r.Lines = append(r.Lines, l)
}

// ImportStatement imports a bank statement file (camt.053 or the CSV
// layout; see the type's comment for what happens to each entry). name is
// the file's name, for messages; actor says who imports it (recorded with
// every entry and in the audit log).
//
// A file that cannot be read is refused before anything changes, with a
// *connector.StatementError naming the file and the place. Once entries
// are being imported, an infrastructure failure stops the import with
// ErrUnavailable and the result so far; importing the file again carries
// on where it stopped and finishes what was begun. Cancelling ctx stops
// the import between two entries.
func (b *BankDeposits) ImportStatement(ctx context.Context, name string, data []byte, actor string) (ImportResult, error) {
	stmts, err := connector.DecodeStatements(name, data)
	if err != nil {
		return ImportResult{}, err
	}
	work := context.WithoutCancel(ctx)
	res := ImportResult{File: name, Statements: len(stmts)}
	res.Warnings = b.statementWarnings(stmts)
	for _, st := range stmts {
		for j, e := range st.Entries {
			if err = ctx.Err(); err != nil {
				err = fmt.Errorf("wallet: import %s stopped before statement %s entry %d: %w", name, st.ID, j+1, err)
				break
			}
			var (
				line    ImportLine
				warning string
			)
			line, warning, err = b.importEntry(work, name, st, e, actor)
			if warning != "" {
				res.Warnings = append(res.Warnings, warning)
			}
			if err != nil {
				err = fmt.Errorf("import %s: statement %s entry %s: %w", name, st.ID, e.Ref, err)
				break
			}
			res.add(line)
		}
		if err != nil {
			break
		}
	}
	if aerr := b.auditImport(work, name, data, actor, res, err); aerr != nil && err == nil {
		err = aerr
	}
	return res, err
}

// statementWarnings finds what the person importing should know about the
// statements themselves.
func (b *BankDeposits) statementWarnings(stmts []connector.Statement) []string {
	var ws []string
	foreign := map[string]bool{}
	for _, st := range stmts {
		if err := st.Reconcile(); err != nil {
			detail := strings.TrimPrefix(err.Error(), connector.ErrUnbalanced.Error()+": ")
			ws = append(ws, fmt.Sprintf("statement %s of account %s does not add up: %s", st.ID, st.Account, detail))
		}
		if !b.ours(st.Account) && !foreign[st.Account] {
			foreign[st.Account] = true
			ws = append(ws, fmt.Sprintf("account %s is not one of the platform's receiving accounts; its credits are booked as received at the platform's bank", st.Account))
		}
		if !strings.HasPrefix(st.Format, "camt.053") {
			continue
		}
		for j, e := range st.Entries {
			if e.Ref == st.ID+"#"+strconv.Itoa(j+1) {
				ws = append(ws, fmt.Sprintf("statement %s entry %d has no bank reference (AcctSvcrRef or NtryRef): it is known as %s, "+
					"so another statement holding the same entry would not be recognised as a repeat", st.ID, j+1, e.Ref))
			}
		}
	}
	return ws
}

// newBankEntry is the record of a statement entry, before its outcome.
func (b *BankDeposits) newBankEntry(file string, st connector.Statement, e connector.Entry, actor string) BankEntry {
	key := bankEntryKey(st.Account, e)
	now := b.s.nowUTC()
	return BankEntry{
		ID: bankEntryPrefix + encodeID(bankEntryParent(key, e.BookingDate)), Key: key,
		Account:  accountID(st.Account),
		EntryRef: entryText(e.Ref), BookingDate: dateOf(e.BookingDate), ValueDate: dateOf(e.ValueDate),
		StatementID: entryText(st.ID), File: entryText(file),
		Amount: e.Amount, Credit: e.Credit, EntryStatus: e.Status,
		Remittance: entryText(e.Remittance), CreditorRef: entryText(e.CreditorRef), EndToEndID: entryText(e.EndToEndID),
		CounterpartyName: entryText(e.CounterpartyName), CounterpartyIBAN: entryText(e.CounterpartyIBAN),
		ImportedBy: entryText(actor), CreatedAt: now, UpdatedAt: now,
	}
}

func lineOf(e BankEntry, o ImportOutcome) ImportLine {
	return ImportLine{
		EntryID: e.ID, StatementID: e.StatementID, Account: e.Account, EntryRef: e.EntryRef, Amount: e.Amount,
		Credit: e.Credit, EntryStatus: e.EntryStatus, BookingDate: e.BookingDate, Outcome: o,
		Status: e.Status, Reason: e.Reason, WalletID: e.WalletID, MovementID: e.MovementID,
		Counterparty: e.CounterpartyName, Remittance: e.Remittance,
	}
}

// importEntry records one entry and moves its money. The warning is about
// an entry imported before that now reads differently.
func (b *BankDeposits) importEntry(ctx context.Context, file string, st connector.Statement, e connector.Entry, actor string) (ImportLine, string, error) {
	be := b.newBankEntry(file, st, e, actor)
	switch {
	case e.Status != connector.StatusBooked:
		be.Status, be.Reason = BankEntryIgnored, ReasonNotBooked
	case !e.Credit:
		be.Status, be.Reason = BankEntryIgnored, ReasonDebit
	case e.Amount.Minor <= 0:
		be.Status, be.Reason = BankEntryIgnored, ReasonZeroAmount
	}
	if be.Status == BankEntryIgnored {
		stored, created, err := b.insert(ctx, be, nil)
		if err != nil {
			return ImportLine{}, "", err
		}
		var warning string
		if !created {
			warning = changed(stored, be)
		}
		return lineOf(stored, OutcomeSkipped), warning, nil
	}

	prev, err := b.store.BankEntry(ctx, be.ID)
	if err == nil {
		return b.again(ctx, prev, be)
	}
	if !errors.Is(err, ErrBankEntryNotFound) {
		return ImportLine{}, "", unavailable("bank entry", err)
	}
	w, reason, ref, err := b.match(ctx, e)
	if err != nil {
		return ImportLine{}, "", err
	}
	be.Reference = ref
	if reason == "" {
		m, err := b.bankDepositMovement(ctx, be, w, Bank, stepDeposit)
		switch {
		case errors.Is(err, ErrFeeExceedsAmount):
			reason = ReasonFeeExceedsAmount
		case err != nil:
			return ImportLine{}, "", err
		default:
			return b.credit(ctx, be, w, m)
		}
	}
	be.Reason = reason
	if reason == ReasonCurrencyNotEnabled {
		be.Status = BankEntryUnbooked
		stored, created, err := b.insert(ctx, be, nil)
		if err != nil {
			return ImportLine{}, "", err
		}
		if !created {
			return b.again(ctx, stored, be)
		}
		return lineOf(stored, OutcomeNotEnabled), "", nil
	}
	be.Status = BankEntrySuspense
	if be.Plan, err = b.platformTransfer(ctx, be, stepSuspense, Bank, BankSuspense, TransferBankUnmatched); err != nil {
		return ImportLine{}, "", err
	}
	stored, created, err := b.insert(ctx, be, func(tx BankTx) error {
		return tx.Enqueue(ctx, bankPostJob(be.ID, stepSuspense, b.s.nowUTC().Add(b.s.cfg.ResumeAfter)))
	})
	if err != nil {
		return ImportLine{}, "", err
	}
	if !created {
		return b.again(ctx, stored, be)
	}
	if _, err := b.post(ctx, stored, false); err != nil {
		return ImportLine{}, "", err
	}
	return lineOf(stored, OutcomeSuspense), "", nil
}

// credit records a matched entry with its deposit movement, then settles
// the movement.
func (b *BankDeposits) credit(ctx context.Context, be BankEntry, w Wallet, m Movement) (ImportLine, string, error) {
	be.Status, be.WalletID, be.UserID, be.MovementID = BankEntryCredited, w.ID, w.UserID, m.ID
	stored, created, err := b.insert(ctx, be, func(tx BankTx) error {
		ok, err := tx.InsertMovement(ctx, m)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("movement %s of bank entry %s exists without the entry", m.ID, be.ID)
		}
		return tx.Enqueue(ctx, resumeJob(m.ID, b.s.nowUTC().Add(b.s.cfg.ResumeAfter)))
	})
	if err != nil {
		return ImportLine{}, "", err
	}
	if !created {
		return b.again(ctx, stored, be)
	}
	got, err := b.s.settle(ctx, m)
	if err != nil && got.Status == StatusPending {
		return ImportLine{}, "", err
	}
	if got.Status == StatusFailed {
		// Crediting a wallet from the bank account has nothing to refuse;
		// the ledger said no for a reason that needs a person.
		b.log.Error("wallet: bank deposit failed", "entry", be.ID, "movement", m.ID, "code", got.FailureCode)
		return ImportLine{}, "", unavailable("bank deposit "+m.ID+" failed: "+string(got.FailureCode), nil)
	}
	return lineOf(stored, OutcomeCredited), "", nil
}

// insert records a new entry and runs also in the same transaction.
// created is false when the entry was recorded before (by an earlier or a
// concurrent import); the stored entry is returned then.
func (b *BankDeposits) insert(ctx context.Context, e BankEntry, also func(BankTx) error) (BankEntry, bool, error) {
	errDup := errors.New("duplicate")
	err := b.store.InBankTx(ctx, func(tx BankTx) error {
		ok, err := tx.InsertBankEntry(ctx, e)
		if err != nil {
			return err
		}
		if !ok {
			return errDup
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if errors.Is(err, errDup) {
		prev, err := b.store.BankEntry(ctx, e.ID)
		if err != nil {
			return BankEntry{}, false, unavailable("bank entry "+e.ID+" (key "+e.Key+")", err)
		}
		return prev, false, nil
	}
	if err != nil {
		return BankEntry{}, false, unavailable("record bank entry", err)
	}
	return e, true, nil
}

// again answers an entry imported before: it finishes what the earlier
// import began (a crash, or a concurrent import still at work) and
// reports it as already imported, with a warning when the statement now
// says something else about it.
func (b *BankDeposits) again(ctx context.Context, prev, now BankEntry) (ImportLine, string, error) {
	warning := changed(prev, now)
	prev, err := b.finish(ctx, prev)
	if err != nil {
		return ImportLine{}, warning, err
	}
	return lineOf(prev, OutcomeAlreadyImported), warning, nil
}

// changed is the warning about an entry recorded before that a statement
// now gives another amount or direction ("" when it does not).
func changed(prev, now BankEntry) string {
	if prev.Amount == now.Amount && prev.Credit == now.Credit {
		return ""
	}
	return fmt.Sprintf("entry %s of account %s booked %s was imported before as a %s of %s %s; statement %s says a %s of %s %s: "+
		"it was not imported again (ask the bank which is right)",
		now.EntryRef, now.Account, bookingDay(now.BookingDate), direction(prev.Credit), prev.Amount.Decimal(),
		prev.Amount.Currency.Code, now.StatementID, direction(now.Credit), now.Amount.Decimal(), now.Amount.Currency.Code)
}

func direction(credit bool) string {
	if credit {
		return "credit"
	}
	return "debit"
}

// match finds the wallet a booked credit belongs to, or the reason there
// is none. ref is the deposit reference found in it.
func (b *BankDeposits) match(ctx context.Context, e connector.Entry) (w Wallet, reason BankEntryReason, ref string, err error) {
	cur := e.Amount.Currency.Code
	r, found := e.DepositReference()
	if found {
		ref = string(r)
	}
	if _, err := b.s.enabled(cur); err != nil {
		return Wallet{}, ReasonCurrencyNotEnabled, ref, nil
	}
	switch {
	case e.Reversal:
		return Wallet{}, ReasonReversal, ref, nil
	case e.Transactions > 1:
		return Wallet{}, ReasonBatchBooking, ref, nil
	case !found:
		return Wallet{}, ReasonNoReference, ref, nil
	}
	br, err := b.store.BankReference(ctx, r)
	if errors.Is(err, ErrBankReferenceNotFound) {
		return Wallet{}, ReasonUnknownReference, ref, nil
	}
	if err != nil {
		return Wallet{}, "", ref, unavailable("deposit reference", err)
	}
	if br.Currency != cur {
		return Wallet{}, ReasonCurrencyMismatch, ref, nil
	}
	w, err = b.s.store.Wallet(ctx, br.WalletID)
	if err != nil {
		return Wallet{}, "", ref, unavailable("wallet "+string(br.WalletID)+" of deposit reference "+ref, err)
	}
	if w, err = b.s.withAccounts(ctx, w); err != nil {
		return Wallet{}, "", ref, err
	}
	return w, "", ref, nil
}

// auditImport records the import in the audit log, with its counts (and
// the error that stopped it, if one did).
func (b *BankDeposits) auditImport(ctx context.Context, name string, data []byte, actor string, res ImportResult, failed error) error {
	sum := sha256.Sum256(data)
	details := map[string]string{
		"actor":            actor,
		"sha256":           hex.EncodeToString(sum[:]),
		"statements":       strconv.Itoa(res.Statements),
		"entries":          strconv.Itoa(res.Entries),
		"credited":         strconv.Itoa(res.Credited),
		"to_suspense":      strconv.Itoa(res.ToSuspense),
		"not_enabled":      strconv.Itoa(res.NotEnabled),
		"already_imported": strconv.Itoa(res.AlreadyImported),
		"skipped":          strconv.Itoa(res.Skipped),
		"warnings":         strconv.Itoa(len(res.Warnings)),
	}
	if failed != nil {
		details["error"] = failed.Error()
	}
	err := b.store.InBankTx(ctx, func(tx BankTx) error {
		return audit.Record(ctx, tx, audit.Event{
			Action: ActionBankStatementImported, TargetType: "bank_statement", TargetID: name, Details: details,
		})
	})
	if err != nil {
		return unavailable("audit the import of "+name, err)
	}
	return nil
}
