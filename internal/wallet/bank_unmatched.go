package wallet

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/money"
)

// Audit actions of staff handling unmatched money.
const (
	ActionBankUnmatchedAssigned = "bank_unmatched_assigned"
	ActionBankUnmatchedReturned = "bank_unmatched_returned"
)

// UnmatchedEntry is a bank credit no wallet was found for, as staff see
// it.
type UnmatchedEntry struct {
	ID     string
	Amount money.Amount
	// BookingDate and ValueDate are calendar dates (midnight UTC).
	BookingDate time.Time
	ValueDate   time.Time
	// Account is the platform's account the money arrived at.
	Account     string
	StatementID string
	EntryRef    string
	File        string
	// Counterparty and CounterpartyIBAN are the payer, as the bank names
	// them.
	Counterparty     string
	CounterpartyIBAN string
	EndToEndID       string
	Remittance       string
	CreditorRef      string
	// Reference is the deposit reference found in the transfer, if any
	// (one that belongs to no wallet, or to another currency).
	Reference string
	Reason    BankEntryReason
	Status    BankEntryStatus
	// InLedger: the money was booked into suspense (always, except for a
	// currency the platform does not hold, or while an import is at work).
	InLedger bool
	// ReturnInLedger: for a returned entry, the money has left suspense in
	// the ledger (false until then, and for an entry never in the ledger).
	ReturnInLedger bool
	// WalletID and MovementID: the deposit staff assigned it to.
	WalletID   WalletID
	MovementID string
	ResolvedBy int64
	ResolvedAt time.Time
	Note       string
	ImportedBy string
	ImportedAt time.Time
}

func unmatchedOf(e BankEntry) UnmatchedEntry {
	return UnmatchedEntry{
		ID: e.ID, Amount: e.Amount, BookingDate: e.BookingDate, ValueDate: e.ValueDate, Account: e.Account,
		StatementID: e.StatementID, EntryRef: e.EntryRef, File: e.File, Counterparty: e.CounterpartyName,
		CounterpartyIBAN: e.CounterpartyIBAN, EndToEndID: e.EndToEndID, Remittance: e.Remittance,
		CreditorRef: e.CreditorRef, Reference: e.Reference, Reason: e.Reason, Status: e.Status,
		InLedger: !e.PostedAt.IsZero(), ReturnInLedger: !e.ReturnPostedAt.IsZero(), WalletID: e.WalletID, MovementID: e.MovementID,
		ResolvedBy: e.ResolvedBy, ResolvedAt: e.ResolvedAt, Note: e.Note, ImportedBy: e.ImportedBy,
		ImportedAt: e.CreatedAt,
	}
}

// UnmatchedFilter selects unmatched entries.
type UnmatchedFilter struct {
	// Statuses are among BankEntrySuspense, BankEntryUnbooked,
	// BankEntryAssigned and BankEntryReturned; none means the open ones
	// (suspense and unbooked).
	Statuses []BankEntryStatus
	// Currency selects one currency ("" for all).
	Currency string
	// From and To bound the booking date, both inclusive; zero is open.
	From, To time.Time
	// Limit is the longest list (default 50, at most 200).
	Limit int
}

// Unmatched lists unmatched entries, oldest booking date first, so the
// money waiting longest is handled first. Errors: ErrInvalidFilter.
func (b *BankDeposits) Unmatched(ctx context.Context, f UnmatchedFilter) ([]UnmatchedEntry, error) {
	q := BankEntryQuery{Statuses: f.Statuses, From: dateOf(f.From), To: dateOf(f.To), Limit: pageLimit(f.Limit)}
	if len(q.Statuses) == 0 {
		q.Statuses = []BankEntryStatus{BankEntrySuspense, BankEntryUnbooked}
	}
	for _, st := range q.Statuses {
		if !st.Unmatched() {
			return nil, refuse(CodeInvalidFilter, "status %q is not one of unmatched money", st)
		}
	}
	q.Statuses = sortedStatuses(q.Statuses)
	if f.Currency != "" {
		c, err := money.Lookup(f.Currency)
		if err != nil {
			return nil, refuse(CodeInvalidFilter, "currency %q", f.Currency)
		}
		q.Currency = c.Code
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, refuse(CodeInvalidFilter, "from %s is after to %s", bookingDay(q.From), bookingDay(q.To))
	}
	es, err := b.store.BankEntries(ctx, q)
	if err != nil {
		return nil, unavailable("unmatched bank entries", err)
	}
	out := make([]UnmatchedEntry, len(es))
	for i, e := range es {
		out[i] = unmatchedOf(e)
	}
	return out, nil
}

// UnmatchedByID returns one unmatched entry. Errors: ErrBankEntryNotFound
// (also for an entry that was matched, or moved no money).
func (b *BankDeposits) UnmatchedByID(ctx context.Context, id string) (UnmatchedEntry, error) {
	e, err := b.unmatched(ctx, id)
	if err != nil {
		return UnmatchedEntry{}, err
	}
	return unmatchedOf(e), nil
}

func (b *BankDeposits) unmatched(ctx context.Context, id string) (BankEntry, error) {
	if !ValidBankEntryID(id) {
		return BankEntry{}, refuse(CodeBankEntryNotFound, "%q", id)
	}
	e, err := b.store.BankEntry(ctx, id)
	if err != nil {
		return BankEntry{}, storeErr("bank entry", err)
	}
	if !e.Status.Unmatched() {
		return BankEntry{}, refuse(CodeBankEntryNotFound, "%s is %s, not unmatched", id, e.Status)
	}
	return e, nil
}

// resolved is the refusal for an entry staff resolved already.
func resolved(e BankEntry) error {
	by := ""
	if e.ResolvedBy != 0 {
		by = " by user " + strconv.FormatInt(e.ResolvedBy, 10)
	}
	return refuse(CodeBankEntryResolved, "%s was %s%s", e.ID, e.Status, by)
}

// staffNote checks a staff note: the wallet's note rules.
func (b *BankDeposits) staffNote(note string) (string, error) { return b.s.cleanNote(note) }

// AssignUnmatched deposits unmatched money into a wallet, on staff's
// word: the money moves from suspense to the wallet as a deposit movement
// (method bank) that the customer sees in their history, less the
// deposit_bank fee like any bank deposit. It happens at most once: of two
// staff assigning or returning the same entry at once, exactly one wins.
// The audit record (ActionBankUnmatchedAssigned, by staffUserID) commits
// with the claim. Errors: ErrBankEntryNotFound, ErrBankEntryResolved,
// ErrCurrencyNotEnabled (an entry in a currency the platform does not
// hold can only be returned), ErrInvalidWalletID, ErrWalletIDCheckDigit,
// ErrWalletNotFound, ErrNoteTooLong, ErrFeeExceedsAmount, ErrUnavailable.
func (b *BankDeposits) AssignUnmatched(ctx context.Context, entryID, walletID string, staffUserID int64, note string) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	if staffUserID <= 0 {
		return Movement{}, errors.New("wallet: assign unmatched money: no staff user")
	}
	e, err := b.unmatched(ctx, entryID)
	if err != nil {
		return Movement{}, err
	}
	switch e.Status {
	case BankEntrySuspense:
	case BankEntryUnbooked:
		return Movement{}, refuse(CodeCurrencyNotEnabled, "%s is in %s, which the platform does not hold: it can only be returned",
			e.ID, e.Amount.Currency.Code)
	default:
		return Movement{}, resolved(e)
	}
	if _, err := b.s.enabled(e.Amount.Currency.Code); err != nil {
		return Movement{}, err
	}
	wid, err := ParseWalletID(walletID)
	if err != nil {
		return Movement{}, err
	}
	note, err = b.staffNote(note)
	if err != nil {
		return Movement{}, err
	}
	w, err := b.s.store.Wallet(ctx, wid)
	if err != nil {
		return Movement{}, storeErr("wallet", err)
	}
	if w, err = b.s.withAccounts(ctx, w); err != nil {
		return Movement{}, err
	}
	// The money must be in suspense before it leaves it.
	if e, err = b.post(ctx, e, false); err != nil {
		return Movement{}, err
	}
	m, err := b.bankDepositMovement(ctx, e, w, BankSuspense, stepAssign)
	if err != nil {
		return Movement{}, err
	}
	now := b.s.nowUTC()
	next := e
	next.Status, next.WalletID, next.UserID, next.MovementID = BankEntryAssigned, w.ID, w.UserID, m.ID
	next.ResolvedBy, next.ResolvedAt, next.Note, next.UpdatedAt = staffUserID, now, note, now
	errLost := errors.New("lost")
	err = b.store.InBankTx(ctx, func(tx BankTx) error {
		ok, err := tx.ResolveBankEntry(ctx, next, BankEntrySuspense)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		if ok, err = tx.InsertMovement(ctx, m); err != nil {
			return err
		} else if !ok {
			return errors.New("movement " + m.ID + " exists already")
		}
		if err := tx.Enqueue(ctx, resumeJob(m.ID, now.Add(b.s.cfg.ResumeAfter))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			ActorID: staffUserID, Action: ActionBankUnmatchedAssigned, TargetType: "bank_entry", TargetID: e.ID,
			Details: map[string]string{
				"amount": e.Amount.Decimal(), "currency": e.Amount.Currency.Code, "wallet": string(w.ID),
				"user": strconv.FormatInt(w.UserID, 10), "movement": m.ID, "fee": m.Fee.Decimal(), "note": note,
			},
		})
	})
	if errors.Is(err, errLost) {
		cur, err := b.store.BankEntry(ctx, e.ID)
		if err != nil {
			return Movement{}, storeErr("bank entry", err)
		}
		return Movement{}, resolved(cur)
	}
	if err != nil {
		return Movement{}, unavailable("assign "+e.ID, err)
	}
	return b.s.settle(ctx, m)
}

// ReturnUnmatched records that unmatched money goes back to its payer, on
// staff's word: the money moves from suspense back to the platform's bank
// account, from which staff send it back by bank transfer (outside the
// platform; the bank's next statement shows it as a debit). An entry in a
// currency the platform does not hold was never in the ledger and is only
// marked returned. It happens at most once, like AssignUnmatched, and the
// audit record (ActionBankUnmatchedReturned) commits with it. Errors:
// ErrBankEntryNotFound, ErrBankEntryResolved, ErrNoteTooLong,
// ErrUnavailable.
func (b *BankDeposits) ReturnUnmatched(ctx context.Context, entryID string, staffUserID int64, note string) (UnmatchedEntry, error) {
	ctx = context.WithoutCancel(ctx)
	if staffUserID <= 0 {
		return UnmatchedEntry{}, errors.New("wallet: return unmatched money: no staff user")
	}
	e, err := b.unmatched(ctx, entryID)
	if err != nil {
		return UnmatchedEntry{}, err
	}
	if !e.Status.Open() {
		return UnmatchedEntry{}, resolved(e)
	}
	note, err = b.staffNote(note)
	if err != nil {
		return UnmatchedEntry{}, err
	}
	next := e
	if e.Status == BankEntrySuspense {
		if e, err = b.post(ctx, e, false); err != nil {
			return UnmatchedEntry{}, err
		}
		next = e
		if next.ReturnPlan, err = b.platformTransfer(ctx, e, stepReturn, BankSuspense, Bank, TransferBankReturn); err != nil {
			return UnmatchedEntry{}, err
		}
	}
	now := b.s.nowUTC()
	next.Status, next.ResolvedBy, next.ResolvedAt, next.Note, next.UpdatedAt = BankEntryReturned, staffUserID, now, note, now
	errLost := errors.New("lost")
	err = b.store.InBankTx(ctx, func(tx BankTx) error {
		ok, err := tx.ResolveBankEntry(ctx, next, e.Status)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		if len(next.ReturnPlan) > 0 {
			if err := tx.Enqueue(ctx, bankPostJob(e.ID, stepReturn, now.Add(b.s.cfg.ResumeAfter))); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{
			ActorID: staffUserID, Action: ActionBankUnmatchedReturned, TargetType: "bank_entry", TargetID: e.ID,
			Details: map[string]string{
				"amount": e.Amount.Decimal(), "currency": e.Amount.Currency.Code,
				"counterparty": e.CounterpartyName, "counterparty_iban": e.CounterpartyIBAN,
				"in_ledger": strconv.FormatBool(len(next.ReturnPlan) > 0), "note": note,
			},
		})
	})
	if errors.Is(err, errLost) {
		cur, err := b.store.BankEntry(ctx, e.ID)
		if err != nil {
			return UnmatchedEntry{}, storeErr("bank entry", err)
		}
		return UnmatchedEntry{}, resolved(cur)
	}
	if err != nil {
		return UnmatchedEntry{}, unavailable("return "+e.ID, err)
	}
	if next, err = b.post(ctx, next, true); err != nil {
		// Recorded: BankPostJob moves the money back out of suspense.
		return unmatchedOf(next), err
	}
	return unmatchedOf(next), nil
}
