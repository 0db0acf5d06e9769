package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
)

// The identity of statement entries, and the movements and ledger
// transfers derived from it.

// bankEntryPrefix starts the id of a statement entry.
const bankEntryPrefix = "be_"

// ValidBankEntryID reports whether s has the form of a statement entry id.
func ValidBankEntryID(s string) bool {
	_, ok := parsePrefixed(bankEntryPrefix, s)
	return ok
}

// bankEntryKey is the identity of a statement entry: the account, the
// bank's reference of the entry and its booking date (as the bank wrote
// it, in its own time zone), so that the same entry in an overlapping
// statement is the same entry. Entries that are not booked have keys of
// their own (prefixed by their status): a pending entry seen today must
// not keep the booked one from being imported later.
func bankEntryKey(account string, e connector.Entry) string {
	k := accountID(account) + "|" + e.Ref + "|" + bookingDay(e.BookingDate)
	if e.Status != connector.StatusBooked {
		k = e.Status + "|" + k
	}
	return bounded(k, 400)
}

// accountID is a statement's account as stored: an IBAN in electronic
// form (upper case, no spaces), or the bank's other id likewise.
func accountID(s string) string {
	return bounded(strings.ToUpper(strings.Join(strings.Fields(s), "")), 70)
}

// bounded keeps s within n bytes for an index: a longer s keeps its start
// and gets a hash of the whole for the rest, so distinct texts stay
// distinct.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	head := strings.ToValidUTF8(s[:n-33], "")
	return head + "#" + hex.EncodeToString(sum[:16])
}

// bookingDay is a booking date as YYYY-MM-DD in its own time zone ("" for
// none).
func bookingDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// bankEntryParent is the 128-bit id a statement entry's id, movements and
// transfers derive from: a hash of its key, with the booking date in the
// time-ordered prefix (UUIDv7 layout) as the ledger's ids have.
func bankEntryParent(key string, booked time.Time) ledger.ID {
	sum := sha256.Sum256([]byte("okpay bank statement entry\x00" + key))
	var id ledger.ID
	copy(id[:], sum[:16])
	var ms uint64
	if d := dateOf(booked); d.UnixMilli() > 0 {
		ms = uint64(d.UnixMilli())
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ms)
	copy(id[:6], b[2:])
	id[6] = 0x80 | id[6]&0x0f // version 8, as ledger.DeriveID
	id[8] = 0x80 | id[8]&0x3f
	return id
}

// dateOf is the calendar day of t (in t's own zone) at midnight UTC.
func dateOf(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// entryParent recovers the parent id from an entry id.
func entryParent(id string) (ledger.ID, bool) { return parsePrefixed(bankEntryPrefix, id) }

// Steps of ledger.DeriveID under an entry's parent.
const (
	stepDeposit  = "deposit"  // the movement crediting a matched entry
	stepAssign   = "assign"   // the movement of staff assigning it
	stepSuspense = "suspense" // the transfer into suspense
	stepReturn   = "return"   // the transfer back out of suspense
)

// bankMovementID is the id of the movement step makes of an entry, and
// the parent of its transfers.
func bankMovementID(parent ledger.ID, step string) (string, ledger.ID) {
	p := ledger.DeriveID(parent, step)
	return movementPrefix + encodeID(p), p
}

// maxEntryText bounds the free text kept of an entry, in characters.
const maxEntryText = 1000

// entryText keeps free text from a statement printable and bounded.
func entryText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxEntryText {
		s = string(r[:maxEntryText])
	}
	return s
}

// payerDisplay describes who sent a bank transfer, for the customer's
// history: the name and the IBAN with its middle hidden.
func payerDisplay(name, iban string) string {
	var parts []string
	if name = entryText(name); name != "" {
		parts = append(parts, name)
	}
	if iban = strings.ToUpper(strings.ReplaceAll(iban, " ", "")); len(iban) > 8 {
		parts = append(parts, iban[:4]+" •••• "+iban[len(iban)-4:])
	}
	return maskDigits(strings.Join(parts, " · "))
}

// bankNote is the movement note of a bank deposit: the payer's remittance
// text, cut to the wallet's note length.
func (s *Service) bankNote(remittance string) string {
	r := []rune(entryText(remittance))
	if len(r) > s.cfg.MaxNote {
		r = r[:s.cfg.MaxNote]
	}
	return string(r)
}

// bankDepositMovement builds the deposit movement of a bank entry into
// wallet w: from platform account from (bank or suspense) to the wallet,
// less the deposit_bank fee. step fixes its id. Errors: ErrFeeExceedsAmount,
// ErrUnavailable.
func (b *BankDeposits) bankDepositMovement(ctx context.Context, e BankEntry, w Wallet, from Platform, step string) (Movement, error) {
	parent, ok := entryParent(e.ID)
	if !ok {
		return Movement{}, unavailable("bank entry id "+e.ID, nil)
	}
	cur := e.Amount.Currency.Code
	vol, err := b.s.monthlyVolume(ctx, w.UserID)
	if err != nil {
		return Movement{}, err
	}
	fee, err := b.s.quoteFee(FeeDepositBank, e.Amount, vol)
	if err != nil {
		return Movement{}, err
	}
	if fee.Minor >= e.Amount.Minor {
		return Movement{}, refuse(CodeFeeExceedsAmount, "fee %s on %s", fee, e.Amount)
	}
	src, err := b.s.platformAccount(ctx, from, cur)
	if err != nil {
		return Movement{}, err
	}
	revenue, err := b.s.platformAccount(ctx, FeeRevenue, cur)
	if err != nil {
		return Movement{}, err
	}
	id, mp := bankMovementID(parent, step)
	now := b.s.nowUTC()
	m := Movement{
		ID: id, WalletID: w.ID, UserID: w.UserID, Type: TypeDeposit, Status: StatusPending,
		Amount: e.Amount, Fee: fee, Method: MethodBank,
		MethodDisplay: payerDisplay(e.CounterpartyName, e.CounterpartyIBAN),
		ChargeID:      e.ID, Note: b.s.bankNote(e.Remittance),
		CreatedAt: now, UpdatedAt: now, Ready: true,
	}
	m.Plan = []ledger.Transfer{{
		ID: ledger.DeriveID(mp, "deposit"), DebitAccountID: src, CreditAccountID: w.Accounts[cur],
		Amount: e.Amount.Minor, Currency: cur, Code: TransferDeposit, Metadata: m.ID,
	}}
	if fee.Minor > 0 {
		m.Plan[0].Flags = ledger.Linked
		m.Plan = append(m.Plan, ledger.Transfer{
			ID: ledger.DeriveID(mp, "fee"), DebitAccountID: w.Accounts[cur], CreditAccountID: revenue,
			Amount: fee.Minor, Currency: cur, Code: TransferFee, Metadata: m.ID,
		})
	}
	return m, nil
}

// platformTransfer is the one transfer of an entry between two platform
// accounts (into suspense, or back out of it).
func (b *BankDeposits) platformTransfer(ctx context.Context, e BankEntry, step string, from, to Platform, code uint16) ([]ledger.Transfer, error) {
	parent, ok := entryParent(e.ID)
	if !ok {
		return nil, unavailable("bank entry id "+e.ID, nil)
	}
	cur := e.Amount.Currency.Code
	debit, err := b.s.platformAccount(ctx, from, cur)
	if err != nil {
		return nil, err
	}
	credit, err := b.s.platformAccount(ctx, to, cur)
	if err != nil {
		return nil, err
	}
	return []ledger.Transfer{{
		ID: ledger.DeriveID(parent, step), DebitAccountID: debit, CreditAccountID: credit,
		Amount: e.Amount.Minor, Currency: cur, Code: code, Metadata: e.ID,
	}}, nil
}

// post submits an entry's plan (or, with ret, its return plan) unless it
// is known to have committed, and records that it did. The ids are the
// entry's, so posting again is harmless.
func (b *BankDeposits) post(ctx context.Context, e BankEntry, ret bool) (BankEntry, error) {
	plan, posted := e.Plan, e.PostedAt
	if ret {
		plan, posted = e.ReturnPlan, e.ReturnPostedAt
	}
	if len(plan) == 0 || !posted.IsZero() {
		return e, nil
	}
	res, err := b.s.ledger.Submit(ctx, plan)
	if err != nil {
		return e, unavailable("submit the transfer of bank entry "+e.ID, err)
	}
	for _, r := range res {
		if !r.Code.Done() {
			b.log.Error("wallet: ledger refused a bank entry's transfer", "entry", e.ID, "code", r.Code.String())
			return e, unavailable("the ledger refused the transfer of bank entry "+e.ID+": "+r.Code.String(), nil)
		}
	}
	at := res[0].Timestamp.UTC()
	if err := b.store.InBankTx(ctx, func(tx BankTx) error {
		_, err := tx.MarkBankEntryPosted(ctx, e.ID, ret, at)
		return err
	}); err != nil {
		return e, unavailable("record the transfer of bank entry "+e.ID, err)
	}
	if ret {
		e.ReturnPostedAt = at
	} else {
		e.PostedAt = at
	}
	return e, nil
}

// finish drives an entry recorded earlier to its end: its transfers
// posted, its movement completed. It is what importing the same entry
// again does, and what the jobs do.
func (b *BankDeposits) finish(ctx context.Context, e BankEntry) (BankEntry, error) {
	e, err := b.post(ctx, e, false)
	if err != nil {
		return e, err
	}
	if e, err = b.post(ctx, e, true); err != nil {
		return e, err
	}
	if e.MovementID == "" {
		return e, nil
	}
	m, err := b.s.store.Movement(ctx, e.MovementID)
	if errors.Is(err, ErrMovementNotFound) {
		return e, nil
	}
	if err != nil {
		return e, unavailable("movement "+e.MovementID, err)
	}
	if m.Status == StatusPending && m.Ready {
		if m, err = b.s.settle(ctx, m); err != nil && m.Status == StatusPending {
			return e, err
		}
	}
	return e, nil
}

// sortedStatuses returns statuses without duplicates, in a fixed order.
func sortedStatuses(ss []BankEntryStatus) []BankEntryStatus {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}
