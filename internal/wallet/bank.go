package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// BankDeposits is the bank-transfer side of the wallet (WAL-2): deposit
// references, statement import, the staff queue of unmatched money, and
// reconciliation of statements with the ledger. It is safe for concurrent
// use.
//
// # References
//
// A customer deposits by bank transfer to the platform's receiving account
// of a currency (BankConfig), writing their deposit reference
// (connector.Reference, "OKP 7M2 K9Q X4T") in the remittance information.
// Each wallet has one reference per currency, drawn the first time it is
// asked for (BankDetails) and kept for good, so a customer can save the
// payee with its reference in their banking app and always use it. A
// reference belongs to one currency so that money sent in another currency
// with it is not guessed into a wallet: it waits for staff instead.
//
// # Import
//
// ImportStatement reads a camt.053 or CSV statement file with
// connector.DecodeStatements: a malformed file is refused whole and changes
// nothing, but a statement that does not add up is imported with a warning
// (balances are Reconcile's business, and real banks' files do not always
// add up). Every entry is recorded once under a key of the bank's own: the
// account's IBAN, the entry's bank reference and its booking date
// (bankEntryKey). The entry's id, and the ids of every movement and ledger
// transfer made for it, are derived from that key, so importing the same
// statement again, or a later statement that overlaps it, moves no money a
// second time, also when two imports run at once.
//
//   - A booked credit whose remittance information (or structured creditor
//     reference) holds the deposit reference of a wallet, in the
//     reference's currency, is a deposit: a movement of type deposit,
//     method bank, like the wallet's card deposits, whose transfer takes
//     the amount from the platform's bank account (platform:bank:CUR) into
//     the wallet (less the deposit_bank fee, if the schedule has one).
//   - Any other booked credit is unmatched: it is moved from platform:bank
//     to platform:bank_suspense and waits for staff (Unmatched), who assign
//     it to a wallet (AssignUnmatched) or send it back to the payer
//     (ReturnUnmatched). The reason is kept (BankEntryReason).
//   - A booked credit in a currency the platform does not hold has no
//     ledger account to go to: it is recorded as unmatched with the reason
//     currency_not_enabled, outside the ledger, and can only be returned.
//   - Debits (bank charges, payouts, returns), entries that are not
//     booked (pending, information, future) and entries of no money are
//     recorded as seen and move no money. A pending entry is recorded
//     under a key of its own, so the same entry is imported as a credit
//     once a later statement books it.
//
// An entry the bank gives no reference of its own (no AcctSvcrRef or
// NtryRef in camt.053) is known by its statement's id and its position,
// which only the same statement repeats; the import warns about each.
//
// # Crash safety
//
// An entry is first recorded, with the movement or the suspense transfer
// it needs and a job to finish it, in one transaction; then its transfers
// are submitted; then the outcome is recorded. A crash in between leaves a
// pending movement (finished by the wallet's ResumeJob) or an entry whose
// transfer is not marked posted (finished by BankPostJob, by the periodic
// BankSweepJob, or by importing the file again). Resubmitting derived ids
// can never post twice. Assigning and returning unmatched money work the
// same way; each claims the entry with one conditional update, so of two
// staff acting at once exactly one wins, and the audit record is written
// in that transaction.
type BankDeposits struct {
	s      *Service
	cfg    BankConfig
	store  BankStore
	ledger BankLedger
	log    *slog.Logger
}

// FeeDepositBank is the fee kind of a deposit by bank transfer (the name
// of internal/fees).
const FeeDepositBank = "deposit_bank"

// Ledger transfer codes of bank entries that are not deposits into a
// wallet. They are apart from the other transfer codes so that the wallet
// can add codes of its own without renumbering these.
const (
	// TransferBankUnmatched moves a credit no wallet was found for from
	// platform:bank to platform:bank_suspense.
	TransferBankUnmatched uint16 = 120
	// TransferBankReturn moves unmatched money back from
	// platform:bank_suspense to platform:bank, when staff send it back to
	// the payer (the bank transfer back happens outside the platform).
	TransferBankReturn uint16 = 121
)

// BankAccount is an account of the platform at its bank, as customers are
// shown it to send money to.
type BankAccount struct {
	// IBAN in electronic form, "NL45OKPY0123456789".
	IBAN string
	// AccountName is the beneficiary's name the customer enters.
	AccountName string
	BankName    string
	BIC         string
}

// IBANDisplay is the IBAN in groups of four, as printed for people:
// "NL45 OKPY 0123 4567 89".
func (a BankAccount) IBANDisplay() string { return groupsOf(a.IBAN, 4) }

func groupsOf(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// SandboxBankAccount is the receiving account of development and test
// setups. It is not a real account: its IBAN is valid in form only (bank
// code OKPY does not exist) and its BIC is a test BIC (location code
// ending in 0), so no bank will send money to it. Configure the platform's
// real accounts in production.
var SandboxBankAccount = BankAccount{
	IBAN:        "NL45OKPY0123456789",
	AccountName: "OKPay Sandbox Client Funds",
	BankName:    "OKPay Sandbox Bank",
	BIC:         "OKPYNL20",
}

// AnyCurrency is the BankConfig.Accounts key of the account receiving
// every currency that has no account of its own.
const AnyCurrency = "*"

// BankConfig is the bank-transfer part of the platform configuration.
type BankConfig struct {
	// Accounts maps a currency code to the account receiving transfers in
	// it; AnyCurrency serves the others. Default: SandboxBankAccount for
	// every currency.
	Accounts map[string]BankAccount
}

// BankLedger reads the journal for reconciliation; *ledger.Ledger
// implements it.
type BankLedger interface {
	// AccountByRef returns the account named ref. Errors:
	// ledger.ErrAccountNotFound.
	AccountByRef(ctx context.Context, ref string) (ledger.Account, error)
	// Transfer returns a journal entry. Errors: ledger.ErrTransferNotFound.
	Transfer(ctx context.Context, id ledger.ID) (ledger.Transfer, error)
}

// BankOptions are the dependencies of BankDeposits besides the wallet.
type BankOptions struct {
	Config BankConfig
	// Store keeps references and statement entries; sqlstore's wallet store
	// (DB.Wallet) implements it.
	Store  BankStore
	Ledger BankLedger
}

// NewBankDeposits returns the bank-transfer side of s. It checks the
// configuration and touches nothing.
func NewBankDeposits(s *Service, o BankOptions) (*BankDeposits, error) {
	if s == nil || o.Store == nil || o.Ledger == nil {
		return nil, errors.New("wallet: NewBankDeposits needs the wallet, a store and a ledger")
	}
	accounts := map[string]BankAccount{}
	for cur, a := range o.Config.Accounts {
		if cur != AnyCurrency {
			c, err := money.Lookup(cur)
			if err != nil {
				return nil, fmt.Errorf("wallet: bank account for %q: %w", cur, err)
			}
			cur = c.Code
		}
		iban, err := connector.ParseIBAN(a.IBAN)
		if err != nil {
			return nil, fmt.Errorf("wallet: bank account for %s: IBAN %q: %w", cur, a.IBAN, err)
		}
		a.IBAN = iban
		a.AccountName, a.BankName, a.BIC = strings.TrimSpace(a.AccountName), strings.TrimSpace(a.BankName), strings.ToUpper(strings.TrimSpace(a.BIC))
		if a.AccountName == "" {
			return nil, fmt.Errorf("wallet: bank account for %s: no account name", cur)
		}
		if _, dup := accounts[cur]; dup {
			return nil, fmt.Errorf("wallet: two bank accounts for %s", cur)
		}
		accounts[cur] = a
	}
	if len(accounts) == 0 {
		accounts[AnyCurrency] = SandboxBankAccount
	}
	return &BankDeposits{s: s, cfg: BankConfig{Accounts: accounts}, store: o.Store, ledger: o.Ledger, log: s.log}, nil
}

// Config returns the configuration with its defaults filled in.
func (b *BankDeposits) Config() BankConfig {
	return BankConfig{Accounts: maps.Clone(b.cfg.Accounts)}
}

// account returns the receiving account of a currency.
func (b *BankDeposits) account(currency string) (BankAccount, bool) {
	if a, ok := b.cfg.Accounts[currency]; ok {
		return a, true
	}
	a, ok := b.cfg.Accounts[AnyCurrency]
	return a, ok
}

// ours reports whether iban is one of the configured receiving accounts.
func (b *BankDeposits) ours(iban string) bool {
	n := accountID(iban)
	for _, a := range b.cfg.Accounts {
		if a.IBAN == n {
			return true
		}
	}
	return false
}

// BankReference is a wallet's deposit reference in one currency.
type BankReference struct {
	Reference connector.Reference
	WalletID  WalletID
	Currency  string
	CreatedAt time.Time
}

// BankDetails is what the deposit page shows for a bank transfer.
type BankDetails struct {
	Currency money.Currency
	WalletID WalletID
	// Account is where to send the money.
	Account BankAccount
	// IBANDisplay is Account's IBAN in groups of four.
	IBANDisplay string
	// Reference is what the customer writes in the transfer's remittance
	// information (or payment reference) field, every time.
	Reference connector.Reference
	// ReferenceDisplay is Reference in groups of three, "OKP 7M2 K9Q X4T".
	ReferenceDisplay string
	// Sandbox: Account is SandboxBankAccount, which no real money reaches.
	Sandbox bool
}

// maxReferenceDraws bounds the draws of a free reference; with 40 random
// bits a collision is already rare.
const maxReferenceDraws = 10

// BankDetails returns the receiving account for currency and the user's
// deposit reference in it, opening the wallet and drawing the reference
// the first time. It is idempotent, also when called concurrently. Errors:
// ErrCurrencyNotEnabled, ErrMethodNotAvailable (no receiving account for
// the currency), ErrUnavailable.
func (b *BankDeposits) BankDetails(ctx context.Context, userID int64, currency string) (BankDetails, error) {
	ctx = context.WithoutCancel(ctx)
	cur, err := b.s.enabled(strings.ToUpper(strings.TrimSpace(currency)))
	if err != nil {
		return BankDetails{}, err
	}
	acct, ok := b.account(cur.Code)
	if !ok {
		return BankDetails{}, refuse(CodeMethodNotAvailable, "no receiving bank account for %s", cur.Code)
	}
	w, err := b.s.Open(ctx, userID)
	if err != nil {
		return BankDetails{}, err
	}
	ref, err := b.reference(ctx, w.ID, cur.Code)
	if err != nil {
		return BankDetails{}, err
	}
	return BankDetails{
		Currency: cur, WalletID: w.ID, Account: acct, IBANDisplay: acct.IBANDisplay(),
		Reference: ref.Reference, ReferenceDisplay: ref.Reference.Display(),
		Sandbox: acct == SandboxBankAccount,
	}, nil
}

// reference returns the wallet's reference in currency, drawing one when
// it has none.
func (b *BankDeposits) reference(ctx context.Context, id WalletID, currency string) (BankReference, error) {
	r, err := b.store.BankReferenceOf(ctx, id, currency)
	for attempt := 0; errors.Is(err, ErrBankReferenceNotFound); attempt++ {
		if attempt == maxReferenceDraws {
			return BankReference{}, unavailable(fmt.Sprintf("no free deposit reference after %d draws", maxReferenceDraws), nil)
		}
		nr := BankReference{Reference: connector.NewReference(), WalletID: id, Currency: currency, CreatedAt: b.s.nowUTC()}
		err = b.store.InBankTx(ctx, func(tx BankTx) error { return tx.InsertBankReference(ctx, nr) })
		switch {
		case err == nil:
			r = nr
		case errors.Is(err, ErrBankReferenceTaken):
			err = ErrBankReferenceNotFound // draw again
		case errors.Is(err, ErrWalletHasBankReference):
			r, err = b.store.BankReferenceOf(ctx, id, currency)
		}
	}
	if err != nil {
		return BankReference{}, unavailable("deposit reference", err)
	}
	return r, nil
}

// BankEntryStatus is what became of a statement entry.
type BankEntryStatus string

// The statuses of a statement entry. Suspense and Unbooked are unmatched
// money waiting for staff; Assigned and Returned are how staff resolved it.
const (
	// BankEntryCredited: a booked credit matched by its reference and
	// deposited into the wallet (MovementID).
	BankEntryCredited BankEntryStatus = "credited"
	// BankEntrySuspense: a booked credit no wallet was found for; the money
	// is in platform:bank_suspense.
	BankEntrySuspense BankEntryStatus = "suspense"
	// BankEntryUnbooked: a booked credit in a currency the platform does
	// not hold; it is not in the ledger and can only be returned.
	BankEntryUnbooked BankEntryStatus = "unbooked"
	// BankEntryAssigned: unmatched money staff deposited into a wallet
	// (MovementID).
	BankEntryAssigned BankEntryStatus = "assigned"
	// BankEntryReturned: unmatched money staff sent back to the payer.
	BankEntryReturned BankEntryStatus = "returned"
	// BankEntryIgnored: a debit, or an entry not booked: recorded as seen,
	// no money moved.
	BankEntryIgnored BankEntryStatus = "ignored"
)

// BankEntryStatuses lists every status.
var BankEntryStatuses = []BankEntryStatus{BankEntryCredited, BankEntrySuspense, BankEntryUnbooked,
	BankEntryAssigned, BankEntryReturned, BankEntryIgnored}

// Unmatched reports whether the entry is (or was) unmatched money for
// staff: the statuses Unmatched lists.
func (s BankEntryStatus) Unmatched() bool {
	return s == BankEntrySuspense || s == BankEntryUnbooked || s == BankEntryAssigned || s == BankEntryReturned
}

// Open reports whether the entry waits for staff.
func (s BankEntryStatus) Open() bool { return s == BankEntrySuspense || s == BankEntryUnbooked }

// BankEntryReason says why an entry was not deposited into a wallet.
type BankEntryReason string

// The reasons.
const (
	// ReasonNoReference: the remittance information holds no valid deposit
	// reference, or two different ones.
	ReasonNoReference BankEntryReason = "no_reference"
	// ReasonUnknownReference: a well-formed reference that belongs to no
	// wallet.
	ReasonUnknownReference BankEntryReason = "unknown_reference"
	// ReasonCurrencyMismatch: the reference is a wallet's reference for
	// another currency.
	ReasonCurrencyMismatch BankEntryReason = "currency_mismatch"
	// ReasonBatchBooking: one entry for several transfers; which deposit a
	// reference in it belongs to cannot be told.
	ReasonBatchBooking BankEntryReason = "batch_booking"
	// ReasonReversal: the bank reversed an earlier entry; not a deposit.
	ReasonReversal BankEntryReason = "reversal"
	// ReasonCurrencyNotEnabled: a currency the platform does not hold.
	ReasonCurrencyNotEnabled BankEntryReason = "currency_not_enabled"
	// ReasonFeeExceedsAmount: the deposit fee would take all of it.
	ReasonFeeExceedsAmount BankEntryReason = "fee_exceeds_amount"
	// ReasonDebit: money out of the account (ignored entries).
	ReasonDebit BankEntryReason = "debit"
	// ReasonNotBooked: a pending, information or future entry (ignored
	// entries).
	ReasonNotBooked BankEntryReason = "not_booked"
	// ReasonZeroAmount: an entry of no money (ignored entries).
	ReasonZeroAmount BankEntryReason = "zero_amount"
)

// BankEntry is one entry of an imported statement, as the store keeps it.
type BankEntry struct {
	// ID is "be_" and 26 base32 characters, derived from Key.
	ID string
	// Key is the entry's identity (bankEntryKey).
	Key string
	// Account is the IBAN (or other id) of the platform's account.
	Account     string
	EntryRef    string
	BookingDate time.Time // a calendar date, midnight UTC; zero if none
	ValueDate   time.Time
	StatementID string
	File        string
	// Amount is positive; Credit says which way it went.
	Amount money.Amount
	Credit bool
	// EntryStatus is the bank's: BOOK, PDNG, INFO or FUTR.
	EntryStatus      string
	Remittance       string
	CreditorRef      string
	EndToEndID       string
	CounterpartyName string
	CounterpartyIBAN string
	// Reference is the deposit reference found in it, if any.
	Reference string

	Status BankEntryStatus
	Reason BankEntryReason
	// WalletID, UserID and MovementID: the deposit that credited or was
	// assigned it.
	WalletID   WalletID
	UserID     int64
	MovementID string
	// Plan is the transfer into suspense, as submitted; PostedAt is when
	// the ledger committed it (zero until known).
	Plan     []ledger.Transfer
	PostedAt time.Time
	// ReturnPlan is the transfer back out of suspense of a returned entry.
	ReturnPlan     []ledger.Transfer
	ReturnPostedAt time.Time

	ImportedBy string
	ResolvedBy int64
	ResolvedAt time.Time
	Note       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// BankEntryQuery selects entries; the store lists them by booking date,
// then id.
type BankEntryQuery struct {
	Statuses []BankEntryStatus
	// Account and Currency select one account's entries when set.
	Account  string
	Currency string
	// From and To bound the booking date, both inclusive; zero is open.
	From, To time.Time
	// Limit caps the list; zero or less means no cap.
	Limit int
}

// BankStore is the persistence of bank-transfer deposits; sqlstore's
// wallet store implements it on both engines. Reads outside a transaction
// see committed data only.
type BankStore interface {
	// InBankTx runs fn in one transaction and commits when it returns nil.
	// As with Store.InTx, never call the ledger inside it.
	InBankTx(ctx context.Context, fn func(BankTx) error) error
	// BankReference returns the wallet and currency of a reference.
	// Errors: ErrBankReferenceNotFound.
	BankReference(ctx context.Context, ref connector.Reference) (BankReference, error)
	// BankReferenceOf returns a wallet's reference in currency. Errors:
	// ErrBankReferenceNotFound.
	BankReferenceOf(ctx context.Context, id WalletID, currency string) (BankReference, error)
	// BankEntry returns one entry. Errors: ErrBankEntryNotFound.
	BankEntry(ctx context.Context, id string) (BankEntry, error)
	// BankEntries lists the entries matching q, by booking date, then id.
	BankEntries(ctx context.Context, q BankEntryQuery) ([]BankEntry, error)
	// UnpostedBankEntries lists, oldest update first, at most limit entries
	// not updated since before whose plan or return plan is not marked
	// posted.
	UnpostedBankEntries(ctx context.Context, before time.Time, limit int) ([]BankEntry, error)
}

// BankTx is the bank store inside one transaction, with the wallet's Tx
// (movements, jobs) and the audit log, so a change, the movement it makes
// and its audit record commit together.
type BankTx interface {
	Tx
	audit.Appender
	// InsertBankReference stores a reference. Errors: ErrBankReferenceTaken
	// when the reference is another wallet's, ErrWalletHasBankReference
	// when the wallet has one in that currency.
	InsertBankReference(ctx context.Context, r BankReference) error
	// InsertBankEntry stores e and reports false, storing nothing, when its
	// id or key is taken.
	InsertBankEntry(ctx context.Context, e BankEntry) (bool, error)
	// ResolveBankEntry writes e's status, wallet, user, movement, return
	// plan, resolver, resolution time, note and update time, if the stored
	// status is one of from; false otherwise.
	ResolveBankEntry(ctx context.Context, e BankEntry, from ...BankEntryStatus) (bool, error)
	// MarkBankEntryPosted records that the entry's plan (or, with ret, its
	// return plan) committed at at; false when it was recorded already.
	MarkBankEntryPosted(ctx context.Context, id string, ret bool, at time.Time) (bool, error)
}

// Errors of BankStore and BankTx for references; BankDetails handles them.
var (
	ErrBankReferenceNotFound  = errors.New("wallet: deposit reference not found")
	ErrBankReferenceTaken     = errors.New("wallet: deposit reference taken")
	ErrWalletHasBankReference = errors.New("wallet: wallet already has a deposit reference in that currency")
)

// Refusal codes of the staff operations on statement entries. They are
// shown to staff, not customers; BankCodes lists them.
const (
	// CodeBankEntryNotFound: no unmatched statement entry has that id.
	CodeBankEntryNotFound Code = "bank_entry_not_found"
	// CodeBankEntryResolved: the entry was assigned or returned already.
	CodeBankEntryResolved Code = "bank_entry_resolved"
)

// BankCodes lists the refusal codes of bank-transfer staff operations.
var BankCodes = []Code{CodeBankEntryNotFound, CodeBankEntryResolved}

// The refusals of the staff operations, for errors.Is.
var (
	ErrBankEntryNotFound = newErr(CodeBankEntryNotFound, false)
	ErrBankEntryResolved = newErr(CodeBankEntryResolved, false)
)
