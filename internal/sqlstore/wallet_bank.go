package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// The wallet store keeps bank-transfer deposits too: deposit references
// and imported statement entries (wallet.BankStore), in the tables of
// migration 0008. Its transactions are the wallet's, with the audit log
// added, so an entry, the movement it makes and the audit record of a
// staff decision commit together.
var (
	_ wallet.BankStore = (*WalletStore)(nil)
	_ wallet.BankTx    = walletTx{}
)

// InBankTx implements wallet.BankStore.
func (s *WalletStore) InBankTx(ctx context.Context, fn func(wallet.BankTx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(walletTx{q: tx, db: s.db}) })
}

// AppendAudit implements audit.Appender in the transaction.
func (t walletTx) AppendAudit(ctx context.Context, e audit.Event) (int64, error) {
	return t.db.AuditTx(t.q).AppendAudit(ctx, e)
}

// InsertBankReference implements wallet.BankTx.
func (t walletTx) InsertBankReference(ctx context.Context, r wallet.BankReference) error {
	n, err := t.q.Exec(ctx, `INSERT INTO wallet_bank_references (reference, wallet_id, currency, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		string(r.Reference), string(r.WalletID), r.Currency, nanos(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert deposit reference: %w", err)
	}
	if n == 1 {
		return nil
	}
	var has int
	if err := t.q.QueryRow(ctx, "SELECT count(*) FROM wallet_bank_references WHERE wallet_id = $1 AND currency = $2",
		string(r.WalletID), r.Currency).Scan(&has); err != nil {
		return fmt.Errorf("sqlstore: insert deposit reference: %w", err)
	}
	if has > 0 {
		return wallet.ErrWalletHasBankReference
	}
	return wallet.ErrBankReferenceTaken
}

func (s *WalletStore) bankReference(ctx context.Context, where string, args ...any) (wallet.BankReference, error) {
	var (
		r                   wallet.BankReference
		ref, walletID, curr string
		created             int64
	)
	err := s.db.Read().QueryRow(ctx, "SELECT reference, wallet_id, currency, created_at FROM wallet_bank_references WHERE "+where,
		args...).Scan(&ref, &walletID, &curr, &created)
	if errors.Is(err, ErrNoRows) {
		return wallet.BankReference{}, wallet.ErrBankReferenceNotFound
	}
	if err != nil {
		return wallet.BankReference{}, fmt.Errorf("sqlstore: deposit reference: %w", err)
	}
	r.Reference, r.WalletID, r.Currency, r.CreatedAt = connector.Reference(ref), wallet.WalletID(walletID), curr, fromNanos(created)
	return r, nil
}

// BankReference implements wallet.BankStore.
func (s *WalletStore) BankReference(ctx context.Context, ref connector.Reference) (wallet.BankReference, error) {
	return s.bankReference(ctx, "reference = $1", string(ref))
}

// BankReferenceOf implements wallet.BankStore.
func (s *WalletStore) BankReferenceOf(ctx context.Context, id wallet.WalletID, currency string) (wallet.BankReference, error) {
	return s.bankReference(ctx, "wallet_id = $1 AND currency = $2", string(id), currency)
}

// bankDay stores a calendar date as YYYY-MM-DD ("" for none).
func bankDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func fromBankDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

// InsertBankEntry implements wallet.BankTx.
func (t walletTx) InsertBankEntry(ctx context.Context, e wallet.BankEntry) (bool, error) {
	plan, err := encodeWalletPlan(e.Plan)
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert bank entry: %w", err)
	}
	ret, err := encodeWalletPlan(e.ReturnPlan)
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert bank entry: %w", err)
	}
	n, err := t.q.Exec(ctx, `INSERT INTO wallet_bank_entries (id, entry_key, account, entry_ref, booking_date, value_date,
			statement_id, file_name, currency, amount, credit, entry_status, remittance, creditor_ref, end_to_end_id,
			counterparty_name, counterparty_iban, reference, status, reason, wallet_id, user_id, movement_id, plan,
			posted_at, return_plan, return_posted_at, imported_by, resolved_by, resolved_at, note, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
			$23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)
		ON CONFLICT DO NOTHING`,
		e.ID, e.Key, e.Account, e.EntryRef, bankDay(e.BookingDate), bankDay(e.ValueDate), e.StatementID, e.File,
		e.Amount.Currency.Code, e.Amount.Minor, walletFlag(e.Credit), e.EntryStatus, e.Remittance, e.CreditorRef,
		e.EndToEndID, e.CounterpartyName, e.CounterpartyIBAN, e.Reference, string(e.Status), string(e.Reason),
		string(e.WalletID), e.UserID, e.MovementID, plan, nanos(e.PostedAt), ret, nanos(e.ReturnPostedAt),
		e.ImportedBy, e.ResolvedBy, nanos(e.ResolvedAt), e.Note, nanos(e.CreatedAt), nanos(e.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert bank entry: %w", err)
	}
	return n == 1, nil
}

// ResolveBankEntry implements wallet.BankTx.
func (t walletTx) ResolveBankEntry(ctx context.Context, e wallet.BankEntry, from ...wallet.BankEntryStatus) (bool, error) {
	if len(from) == 0 {
		return false, nil
	}
	ret, err := encodeWalletPlan(e.ReturnPlan)
	if err != nil {
		return false, fmt.Errorf("sqlstore: resolve bank entry: %w", err)
	}
	var w walletWhere
	w.add("id = " + w.arg(e.ID))
	w.in("status", walletStrings(from))
	set := fmt.Sprintf(`status = %s, wallet_id = %s, user_id = %s, movement_id = %s, return_plan = %s, resolved_by = %s,
		resolved_at = %s, note = %s, updated_at = %s`,
		w.arg(string(e.Status)), w.arg(string(e.WalletID)), w.arg(e.UserID), w.arg(e.MovementID), w.arg(ret),
		w.arg(e.ResolvedBy), w.arg(nanos(e.ResolvedAt)), w.arg(e.Note), w.arg(nanos(e.UpdatedAt)))
	n, err := t.q.Exec(ctx, "UPDATE wallet_bank_entries SET "+set+" WHERE "+w.String(), w.args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: resolve bank entry: %w", err)
	}
	return n == 1, nil
}

// MarkBankEntryPosted implements wallet.BankTx.
func (t walletTx) MarkBankEntryPosted(ctx context.Context, id string, ret bool, at time.Time) (bool, error) {
	q := `UPDATE wallet_bank_entries SET posted_at = $2, updated_at = $3 WHERE id = $1 AND posted_at = 0 AND plan <> ''`
	if ret {
		q = `UPDATE wallet_bank_entries SET return_posted_at = $2, updated_at = $3
			WHERE id = $1 AND return_posted_at = 0 AND return_plan <> ''`
	}
	n, err := t.q.Exec(ctx, q, id, nanos(at), t.db.Now().UnixNano())
	if err != nil {
		return false, fmt.Errorf("sqlstore: mark bank entry posted: %w", err)
	}
	return n == 1, nil
}

const walletBankEntryCols = `id, entry_key, account, entry_ref, booking_date, value_date, statement_id, file_name,
	currency, amount, credit, entry_status, remittance, creditor_ref, end_to_end_id, counterparty_name,
	counterparty_iban, reference, status, reason, wallet_id, user_id, movement_id, plan, posted_at, return_plan,
	return_posted_at, imported_by, resolved_by, resolved_at, note, created_at, updated_at`

func scanWalletBankEntry(r scanner) (wallet.BankEntry, error) {
	var (
		e                                    wallet.BankEntry
		booked, value, cur, status, reason   string
		walletID, plan, ret                  string
		amount, credit, posted, retPosted    int64
		resolvedAt, created, updated         int64
		bookedErr, valueErr, planErr, retErr error
	)
	if err := r.Scan(&e.ID, &e.Key, &e.Account, &e.EntryRef, &booked, &value, &e.StatementID, &e.File, &cur, &amount,
		&credit, &e.EntryStatus, &e.Remittance, &e.CreditorRef, &e.EndToEndID, &e.CounterpartyName,
		&e.CounterpartyIBAN, &e.Reference, &status, &reason, &walletID, &e.UserID, &e.MovementID, &plan, &posted,
		&ret, &retPosted, &e.ImportedBy, &e.ResolvedBy, &resolvedAt, &e.Note, &created, &updated); err != nil {
		return wallet.BankEntry{}, err
	}
	c, err := money.Lookup(cur)
	if err != nil {
		return wallet.BankEntry{}, fmt.Errorf("bank entry %s: %w", e.ID, err)
	}
	e.BookingDate, bookedErr = fromBankDay(booked)
	e.ValueDate, valueErr = fromBankDay(value)
	e.Plan, planErr = decodeWalletPlan(plan)
	e.ReturnPlan, retErr = decodeWalletPlan(ret)
	if err := errors.Join(bookedErr, valueErr, planErr, retErr); err != nil {
		return wallet.BankEntry{}, fmt.Errorf("bank entry %s: %w", e.ID, err)
	}
	e.Amount, e.Credit = money.Amount{Minor: amount, Currency: c}, credit != 0
	e.Status, e.Reason, e.WalletID = wallet.BankEntryStatus(status), wallet.BankEntryReason(reason), wallet.WalletID(walletID)
	e.PostedAt, e.ReturnPostedAt, e.ResolvedAt = fromNanos(posted), fromNanos(retPosted), fromNanos(resolvedAt)
	e.CreatedAt, e.UpdatedAt = fromNanos(created), fromNanos(updated)
	return e, nil
}

func (s *WalletStore) bankEntries(ctx context.Context, query string, args ...any) ([]wallet.BankEntry, error) {
	rows, err := s.db.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []wallet.BankEntry
	for rows.Next() {
		e, err := scanWalletBankEntry(rows)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// BankEntry implements wallet.BankStore.
func (s *WalletStore) BankEntry(ctx context.Context, id string) (wallet.BankEntry, error) {
	es, err := s.bankEntries(ctx, "SELECT "+walletBankEntryCols+" FROM wallet_bank_entries WHERE id = $1", id)
	if err != nil {
		return wallet.BankEntry{}, fmt.Errorf("sqlstore: bank entry: %w", err)
	}
	if len(es) == 0 {
		return wallet.BankEntry{}, wallet.ErrBankEntryNotFound
	}
	return es[0], nil
}

// BankEntries implements wallet.BankStore.
func (s *WalletStore) BankEntries(ctx context.Context, q wallet.BankEntryQuery) ([]wallet.BankEntry, error) {
	var w walletWhere
	w.add("1 = 1")
	w.in("status", walletStrings(q.Statuses))
	if q.Account != "" {
		w.add("account = " + w.arg(q.Account))
	}
	if q.Currency != "" {
		w.add("currency = " + w.arg(q.Currency))
	}
	if !q.From.IsZero() {
		w.add("booking_date >= " + w.arg(bankDay(q.From)))
	}
	if !q.To.IsZero() {
		w.add("booking_date <= " + w.arg(bankDay(q.To)))
	}
	query := "SELECT " + walletBankEntryCols + " FROM wallet_bank_entries WHERE " + w.String() + " ORDER BY booking_date, id"
	if q.Limit > 0 {
		query += " LIMIT " + w.arg(q.Limit)
	}
	es, err := s.bankEntries(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: bank entries: %w", err)
	}
	return es, nil
}

// UnpostedBankEntries implements wallet.BankStore.
func (s *WalletStore) UnpostedBankEntries(ctx context.Context, before time.Time, limit int) ([]wallet.BankEntry, error) {
	es, err := s.bankEntries(ctx, "SELECT "+walletBankEntryCols+` FROM wallet_bank_entries
		WHERE ((plan <> '' AND posted_at = 0) OR (return_plan <> '' AND return_posted_at = 0)) AND updated_at < $1
		ORDER BY updated_at LIMIT $2`, before.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: unposted bank entries: %w", err)
	}
	return es, nil
}
