package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/okpay/okpay/internal/ledger"
)

// LedgerStore implements ledger.Store. The batch path has one body per
// engine: PostgreSQL pipelines its statements and passes arrays (unnest,
// = ANY); SQLite binds positional ? parameters in chunks, because it finds
// $N parameters by a linear search that dominated bulk inserts.
type LedgerStore struct{ db *DB }

// Ledger returns the ledger's store.
func (db *DB) Ledger() *LedgerStore { return &LedgerStore{db} }

var _ ledger.Store = (*LedgerStore)(nil)

const (
	// accountCols reads an account joined with its balances (accountFrom).
	accountCols  = "a.id, a.ref, a.currency, a.code, a.flags, b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted, a.created_at"
	accountFrom  = " FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id"
	transferCols = "id, debit_account_id, credit_account_id, amount, currency, code, flags, pending_id, timeout_at, metadata, created_at"
)

func scanAccount(r interface{ Scan(...any) error }) (*ledger.Account, error) {
	var a ledger.Account
	var created int64
	var code, flags int64
	if err := r.Scan(&a.ID, &a.Ref, &a.Currency, &code, &flags, &a.DebitsPending, &a.DebitsPosted,
		&a.CreditsPending, &a.CreditsPosted, &created); err != nil {
		return nil, err
	}
	a.Code, a.Flags = uint16(code), ledger.AccountFlags(flags)
	a.CreatedAt = time.Unix(0, created).UTC()
	return &a, nil
}

// scanTransfer reads transferCols, then any extra destinations.
func scanTransfer(r interface{ Scan(...any) error }, extra ...any) (ledger.Transfer, error) {
	var t ledger.Transfer
	var id, pending []byte
	var code, flags, timeoutAt, created int64
	dest := append([]any{&id, &t.DebitAccountID, &t.CreditAccountID, &t.Amount, &t.Currency,
		&code, &flags, &pending, &timeoutAt, &t.Metadata, &created}, extra...)
	if err := r.Scan(dest...); err != nil {
		return t, err
	}
	copy(t.ID[:], id)
	copy(t.PendingID[:], pending)
	t.Code, t.Flags = uint16(code), ledger.TransferFlags(flags)
	t.Timestamp = time.Unix(0, created).UTC()
	if timeoutAt != 0 {
		t.Timeout = time.Duration(timeoutAt - created)
	}
	return t, nil
}

// transferArgs are a transfer's column values in transferCols order.
func transferArgs(t *ledger.Transfer) []any {
	var pending any
	if !t.PendingID.IsZero() {
		pending = t.PendingID[:]
	}
	var timeoutAt int64
	if t.Timeout > 0 {
		timeoutAt = t.Timestamp.UnixNano() + int64(t.Timeout)
	}
	return []any{t.ID[:], t.DebitAccountID, t.CreditAccountID, t.Amount, t.Currency,
		int64(t.Code), int64(t.Flags), pending, timeoutAt, t.Metadata, t.Timestamp.UnixNano()}
}

// An account's description (ref, currency, code, flags) never changes, so
// each process keeps the ones it has seen: a batch then reads only the
// balances, under lock.
const (
	describeCols = "a.id, a.ref, a.currency, a.code, a.flags, a.created_at"
	balanceCols  = "b.account_id, b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted"
)

// undescribed returns the ids whose description is not cached yet.
func (db *DB) undescribed(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if _, ok := db.described.Load(id); !ok {
			out = append(out, id)
		}
	}
	return out
}

type scanner interface{ Scan(...any) error }

// describeRow caches the description in a row of describeCols.
func (db *DB) describeRow(r scanner) error {
	var a ledger.Account
	var code, flags, created int64
	if err := r.Scan(&a.ID, &a.Ref, &a.Currency, &code, &flags, &created); err != nil {
		return err
	}
	a.Code, a.Flags, a.CreatedAt = uint16(code), ledger.AccountFlags(flags), time.Unix(0, created).UTC()
	db.described.Store(a.ID, a)
	return nil
}

// balanceRow reads a row of balanceCols into bal.
func balanceRow(r scanner, bal map[int64]*ledger.Account) error {
	var a ledger.Account
	if err := r.Scan(&a.ID, &a.DebitsPending, &a.DebitsPosted, &a.CreditsPending, &a.CreditsPosted); err != nil {
		return err
	}
	bal[a.ID] = &a
	return nil
}

// eachRow calls fn for every row of a pgx result.
func eachRow(rows pgx.Rows, fn func(scanner) error) error {
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// withDescriptions joins locked balances with cached descriptions.
func (db *DB) withDescriptions(bal map[int64]*ledger.Account, out map[int64]*ledger.Account) {
	for id, b := range bal {
		v, ok := db.described.Load(id)
		if !ok {
			continue // balances without an account: not an account
		}
		a := v.(ledger.Account)
		a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted = b.DebitsPending, b.DebitsPosted, b.CreditsPending, b.CreditsPosted
		out[id] = &a
	}
}

// CreateAccount implements ledger.Store.
func (s *LedgerStore) CreateAccount(ctx context.Context, a ledger.Account) (ledger.Account, error) {
	var out ledger.Account
	err := s.db.InTx(ctx, func(tx Tx) error {
		byRef := func() (*ledger.Account, error) {
			return scanAccount(tx.QueryRow(ctx, "SELECT "+accountCols+accountFrom+" WHERE a.ref = $1", a.Ref))
		}
		got, err := byRef()
		if errors.Is(err, ErrNoRows) {
			// Another node may insert the ref between our read and our
			// insert: then ours does nothing, and reading again (a new
			// statement, so a new snapshot) finds the row it committed.
			var id int64
			err = tx.QueryRow(ctx, `INSERT INTO ledger_accounts (ref, currency, code, flags, created_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ref) DO NOTHING RETURNING id`,
				a.Ref, a.Currency, int64(a.Code), int64(a.Flags), a.CreatedAt.UnixNano()).Scan(&id)
			if err == nil {
				_, err = tx.Exec(ctx, "INSERT INTO ledger_balances (account_id) VALUES ($1)", id)
			}
			if err == nil || errors.Is(err, ErrNoRows) {
				got, err = byRef()
			}
		}
		if err != nil {
			return err
		}
		if got.Currency != a.Currency || got.Code != a.Code || got.Flags != a.Flags {
			return fmt.Errorf("%w: %s", ledger.ErrAccountExists, a.Ref)
		}
		out = *got
		return nil
	})
	return out, err
}

// Account implements ledger.Store.
func (s *LedgerStore) Account(ctx context.Context, id int64) (ledger.Account, error) {
	return s.account(ctx, "id = $1", id)
}

// AccountByRef implements ledger.Store.
func (s *LedgerStore) AccountByRef(ctx context.Context, ref string) (ledger.Account, error) {
	return s.account(ctx, "ref = $1", ref)
}

func (s *LedgerStore) account(ctx context.Context, where string, arg any) (ledger.Account, error) {
	a, err := scanAccount(s.db.Read().QueryRow(ctx, "SELECT "+accountCols+accountFrom+" WHERE a."+where, arg))
	if errors.Is(err, ErrNoRows) {
		return ledger.Account{}, ledger.ErrAccountNotFound
	}
	if err != nil {
		return ledger.Account{}, err
	}
	return *a, nil
}

// Transfer implements ledger.Store.
func (s *LedgerStore) Transfer(ctx context.Context, id ledger.ID) (ledger.Transfer, error) {
	t, err := scanTransfer(s.db.Read().QueryRow(ctx, "SELECT "+transferCols+" FROM ledger_transfers WHERE id = $1", id[:]))
	if errors.Is(err, ErrNoRows) {
		return t, ledger.ErrTransferNotFound
	}
	return t, err
}

// verifyQuery sums the journal per account: posted movements are those
// neither pending nor voids; pending ones count until something resolves
// them.
const verifyQuery = `
WITH d AS (
    SELECT t.debit_account_id AS id,
        CAST(SUM(CASE WHEN t.flags & 10 = 0 THEN t.amount ELSE 0 END) AS BIGINT) AS posted,
        CAST(SUM(CASE WHEN t.flags & 2 <> 0 AND r.id IS NULL THEN t.amount ELSE 0 END) AS BIGINT) AS pending
    FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id
    GROUP BY t.debit_account_id
), c AS (
    SELECT t.credit_account_id AS id,
        CAST(SUM(CASE WHEN t.flags & 10 = 0 THEN t.amount ELSE 0 END) AS BIGINT) AS posted,
        CAST(SUM(CASE WHEN t.flags & 2 <> 0 AND r.id IS NULL THEN t.amount ELSE 0 END) AS BIGINT) AS pending
    FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id
    GROUP BY t.credit_account_id
)
SELECT a.id, a.ref, a.currency, a.code, a.flags, b.debits_pending, b.debits_posted, b.credits_pending,
    b.credits_posted, a.created_at,
    COALESCE(d.posted, 0), COALESCE(d.pending, 0), COALESCE(c.posted, 0), COALESCE(c.pending, 0)
FROM ledger_accounts a LEFT JOIN ledger_balances b ON b.account_id = a.id
    LEFT JOIN d ON d.id = a.id LEFT JOIN c ON c.id = a.id
ORDER BY a.id`

// VerifyRows implements ledger.Store.
func (s *LedgerStore) VerifyRows(ctx context.Context) ([]ledger.VerifyRow, []ledger.ID, error) {
	var out []ledger.VerifyRow
	var bad []ledger.ID
	// One read transaction, so the sums and the balances are one snapshot.
	err := s.db.readTx(ctx, func(q Querier) error {
		rows, err := q.Query(ctx, verifyQuery)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v ledger.VerifyRow
			var a ledger.Account
			var code, flags, created int64
			if err := rows.Scan(&a.ID, &a.Ref, &a.Currency, &code, &flags, &a.DebitsPending, &a.DebitsPosted,
				&a.CreditsPending, &a.CreditsPosted, &created,
				&v.DebitsPosted, &v.DebitsPending, &v.CreditsPosted, &v.CreditsPending); err != nil {
				return err
			}
			a.Code, a.Flags, a.CreatedAt = uint16(code), ledger.AccountFlags(flags), time.Unix(0, created).UTC()
			v.Account = a
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		mrows, err := q.Query(ctx, `SELECT t.id FROM ledger_transfers t
			JOIN ledger_accounts d ON d.id = t.debit_account_id
			JOIN ledger_accounts c ON c.id = t.credit_account_id
			WHERE t.currency <> d.currency OR t.currency <> c.currency`)
		if err != nil {
			return err
		}
		defer mrows.Close()
		for mrows.Next() {
			var b []byte
			if err := mrows.Scan(&b); err != nil {
				return err
			}
			var id ledger.ID
			copy(id[:], b)
			bad = append(bad, id)
		}
		return mrows.Err()
	})
	return out, bad, err
}

// readTx runs fn in a read-only snapshot.
func (db *DB) readTx(ctx context.Context, fn func(Querier) error) error {
	if db.pg != nil {
		tx, err := db.pg.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if err := fn(pgQuerier{tx}); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(sqlQuerier{tx}); err != nil {
		return err
	}
	return tx.Commit()
}

// Batch implements ledger.Store.
func (s *LedgerStore) Batch(ctx context.Context, fn func(ledger.BatchTx) error) error {
	if s.db.engine == SQLite {
		if err := s.db.prepare(ctx, sqliteLedgerQueries); err != nil {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		switch t := tx.(type) {
		case *pgTx:
			return fn(&pgBatch{db: s.db, tx: t, now: s.db.now})
		case *sqliteTx:
			return fn(&sqliteBatch{db: s.db, tx: t})
		}
		return fmt.Errorf("sqlstore: unknown transaction type %T", tx)
	})
}

// prefixed qualifies a column list with a table alias. The batch reads
// join unnest(array) to the table instead of "= ANY(array)": PostgreSQL's
// generic plan for = ANY compared every row with every element, twenty
// times slower at a batch's size.
func prefixed(alias, cols string) string {
	return alias + strings.ReplaceAll(cols, ", ", ", "+alias)
}

func idBytes(ids []ledger.ID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

func toID(b []byte) ledger.ID {
	var id ledger.ID
	copy(id[:], b)
	return id
}

// pgBatch is a ledger batch on PostgreSQL.
type pgBatch struct {
	db  *DB
	tx  *pgTx
	now func() time.Time
}

func (b *pgBatch) Transfers(ctx context.Context, ids []ledger.ID) (map[ledger.ID]ledger.Transfer, error) {
	rows, err := b.tx.tx.Query(ctx, "SELECT "+prefixed("t.", transferCols)+" FROM unnest($1::bytea[]) AS u(id) JOIN ledger_transfers t ON t.id = u.id", idBytes(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[ledger.ID]ledger.Transfer, len(ids))
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out[t.ID] = t
	}
	return out, rows.Err()
}

func (b *pgBatch) Load(ctx context.Context, accountIDs []int64, ids []ledger.ID, pendingIDs []ledger.ID) (*ledger.Loaded, error) {
	l := &ledger.Loaded{
		Accounts: make(map[int64]*ledger.Account, len(accountIDs)),
		Recorded: map[ledger.ID]ledger.Recorded{},
		Resolved: map[ledger.ID]ledger.TransferFlags{},
	}
	// One round trip; the server runs them in order, so the existence
	// checks see everything committed before our row locks were granted.
	var pb pgx.Batch
	bal := make(map[int64]*ledger.Account, len(accountIDs))
	if missing := b.db.undescribed(accountIDs); len(missing) > 0 {
		pb.Queue("SELECT "+describeCols+" FROM unnest($1::bigint[]) AS u(id) JOIN ledger_accounts a ON a.id = u.id", missing).Query(func(rows pgx.Rows) error {
			return eachRow(rows, b.db.describeRow)
		})
	}
	pb.Queue("SELECT "+balanceCols+" FROM unnest($1::bigint[]) AS u(id) JOIN ledger_balances b ON b.account_id = u.id"+
		" ORDER BY b.account_id FOR NO KEY UPDATE OF b", accountIDs).Query(func(rows pgx.Rows) error {
		return eachRow(rows, func(r scanner) error { return balanceRow(r, bal) })
	})
	raw := idBytes(ids)
	pb.Queue("SELECT "+prefixed("t.", transferCols)+" FROM unnest($1::bytea[]) AS u(id) JOIN ledger_transfers t ON t.id = u.id", raw).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			t, err := scanTransfer(rows)
			if err != nil {
				return err
			}
			l.Recorded[t.ID] = ledger.Recorded{Transfer: t, Code: ledger.OK}
		}
		return rows.Err()
	})
	pb.Queue("SELECT "+prefixed("t.", transferCols)+", t.result FROM unnest($1::bytea[]) AS u(id) JOIN ledger_rejections t ON t.id = u.id", raw).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var code int64
			t, err := scanTransfer(rows, &code)
			if err != nil {
				return err
			}
			l.Recorded[t.ID] = ledger.Recorded{Transfer: t, Code: ledger.Code(code)}
		}
		return rows.Err()
	})
	if len(pendingIDs) > 0 {
		pb.Queue("SELECT t.pending_id, t.flags FROM unnest($1::bytea[]) AS u(id) JOIN ledger_transfers t ON t.pending_id = u.id", idBytes(pendingIDs)).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var p []byte
				var f int64
				if err := rows.Scan(&p, &f); err != nil {
					return err
				}
				l.Resolved[toID(p)] = ledger.TransferFlags(f) & (ledger.PostPending | ledger.VoidPending)
			}
			return rows.Err()
		})
	}
	if err := b.tx.tx.SendBatch(ctx, &pb).Close(); err != nil {
		return nil, err
	}
	b.db.withDescriptions(bal, l.Accounts)
	return l, nil
}

func (b *pgBatch) Write(ctx context.Context, w *ledger.Writes) error {
	var pb pgx.Batch
	if len(w.Transfers) > 0 {
		pb.Queue(insertUnnest("ledger_transfers", transferCols, ""), transferColumns(w.Transfers, nil)...)
	}
	if len(w.Refused) > 0 {
		ts := make([]ledger.Transfer, len(w.Refused))
		codes := make([]int64, len(w.Refused))
		for i, r := range w.Refused {
			ts[i], codes[i] = r.Transfer, int64(r.Code)
		}
		pb.Queue(insertUnnest("ledger_rejections", transferCols, ", result"), transferColumns(ts, codes)...)
	}
	if n := len(w.Accounts); n > 0 {
		id, dp, dpo, cp, cpo := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, a := range w.Accounts {
			id[i], dp[i], dpo[i], cp[i], cpo[i] = a.ID, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted
		}
		pb.Queue(`UPDATE ledger_balances b SET debits_pending = u.dp, debits_posted = u.dpo,
			credits_pending = u.cp, credits_posted = u.cpo
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(id, dp, dpo, cp, cpo)
			WHERE b.account_id = u.id`, id, dp, dpo, cp, cpo)
	}
	if pb.Len() > 0 {
		if err := b.tx.tx.SendBatch(ctx, &pb).Close(); err != nil {
			return err
		}
	}
	if len(w.Jobs) > 0 {
		return EnqueueJobs(ctx, b.tx, b.now(), w.Jobs...)
	}
	return nil
}

func insertUnnest(table, cols, extraCols string) string {
	types := "$1::bytea[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::int[], $7::int[], $8::bytea[], $9::bigint[], $10::text[], $11::bigint[]"
	if extraCols != "" {
		types += ", $12::int[]"
	}
	return "INSERT INTO " + table + " (" + cols + extraCols + ") SELECT * FROM unnest(" + types + ")"
}

// transferColumns turns transfers into one array per column.
func transferColumns(ts []ledger.Transfer, codes []int64) []any {
	n := len(ts)
	ids, pend := make([][]byte, n), make([][]byte, n)
	dr, cr, amt, tout, created := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	cur, meta := make([]string, n), make([]string, n)
	code, flags := make([]int32, n), make([]int32, n)
	for i := range ts {
		t := &ts[i]
		ids[i] = t.ID[:]
		if !t.PendingID.IsZero() {
			pend[i] = t.PendingID[:]
		}
		dr[i], cr[i], amt[i], cur[i] = t.DebitAccountID, t.CreditAccountID, t.Amount, t.Currency
		code[i], flags[i], meta[i], created[i] = int32(t.Code), int32(t.Flags), t.Metadata, t.Timestamp.UnixNano()
		if t.Timeout > 0 {
			tout[i] = created[i] + int64(t.Timeout)
		}
	}
	args := []any{ids, dr, cr, amt, cur, code, flags, pend, tout, meta, created}
	if codes != nil {
		c32 := make([]int32, n)
		for i := range codes {
			c32[i] = int32(codes[i])
		}
		args = append(args, c32)
	}
	return args
}

// sqliteBatch is a ledger batch on SQLite. The transaction began with
// BEGIN IMMEDIATE, so it already holds the database's write lock: that is
// the row lock, for every account at once.
type sqliteBatch struct {
	db *DB
	tx *sqliteTx
}

// Statements come in a few fixed sizes so that each is parsed once per
// process: lookups pad their key list up to the next size, writes go out
// in the largest chunks that fit.
var (
	lookupSizes = []int{1, 4, 16, 64, 256}
	writeSizes  = []int{64, 16, 4, 1}
)

func qmarks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func placeholders(rows, cols int) string {
	row := "(" + qmarks(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

const (
	sqliteDescribeIn    = "SELECT " + describeCols + " FROM ledger_accounts a WHERE a.id IN (%s)"
	sqliteBalancesIn    = "SELECT " + balanceCols + " FROM ledger_balances b WHERE b.account_id IN (%s)"
	sqliteTransfersIn   = "SELECT " + transferCols + " FROM ledger_transfers WHERE id IN (%s)"
	sqliteRejectionsIn  = "SELECT " + transferCols + ", result FROM ledger_rejections WHERE id IN (%s)"
	sqliteResolutionsIn = "SELECT pending_id, flags FROM ledger_transfers WHERE pending_id IN (%s)"
)

func sqliteInsertTransfers(n int) string {
	return "INSERT INTO ledger_transfers (" + transferCols + ") VALUES " + placeholders(n, 11)
}

func sqliteUpdateAccounts(n int) string {
	return `UPDATE ledger_balances AS b SET debits_pending = u.column2, debits_posted = u.column3,
		credits_pending = u.column4, credits_posted = u.column5
		FROM (VALUES ` + placeholders(n, 5) + `) AS u WHERE b.account_id = u.column1`
}

// sqliteLedgerQueries lists every statement the batch path uses.
var sqliteLedgerQueries = func() []string {
	var qs []string
	for _, n := range lookupSizes {
		for _, q := range []string{sqliteDescribeIn, sqliteBalancesIn, sqliteTransfersIn, sqliteRejectionsIn, sqliteResolutionsIn} {
			qs = append(qs, fmt.Sprintf(q, qmarks(n)))
		}
	}
	for _, n := range writeSizes {
		qs = append(qs, sqliteInsertTransfers(n), sqliteUpdateAccounts(n))
	}
	return qs
}()

// eachIn runs query (with one %s for the list of ?) over keys, padded to
// a lookup size, and hands every row to fn.
func eachIn[K any](ctx context.Context, b *sqliteBatch, query string, keys []K, arg func(K) any, fn func(*sql.Rows) error) error {
	for len(keys) > 0 {
		size := lookupSizes[len(lookupSizes)-1]
		for _, s := range lookupSizes {
			if s >= len(keys) {
				size = s
				break
			}
		}
		n := min(len(keys), size)
		args := make([]any, size)
		for i := range size {
			args[i] = arg(keys[min(i, n-1)])
		}
		st, err := b.db.stmt(ctx, b.tx.tx, fmt.Sprintf(query, qmarks(size)))
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// execChunks writes rows in chunks of the write sizes.
func (b *sqliteBatch) execChunks(ctx context.Context, rows int, query func(n int) string, args func(i int) []any) error {
	for i := 0; i < rows; {
		n := 1
		for _, s := range writeSizes {
			if s <= rows-i {
				n = s
				break
			}
		}
		var a []any
		for j := i; j < i+n; j++ {
			a = append(a, args(j)...)
		}
		st, err := b.db.stmt(ctx, b.tx.tx, query(n))
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, a...); err != nil {
			return err
		}
		i += n
	}
	return nil
}

func rawID(id ledger.ID) any { return id[:] }

func (b *sqliteBatch) Transfers(ctx context.Context, ids []ledger.ID) (map[ledger.ID]ledger.Transfer, error) {
	out := make(map[ledger.ID]ledger.Transfer, len(ids))
	err := eachIn(ctx, b, sqliteTransfersIn, ids, rawID, func(r *sql.Rows) error {
		t, err := scanTransfer(r)
		out[t.ID] = t
		return err
	})
	return out, err
}

func (b *sqliteBatch) Load(ctx context.Context, accountIDs []int64, ids []ledger.ID, pendingIDs []ledger.ID) (*ledger.Loaded, error) {
	l := &ledger.Loaded{
		Accounts: make(map[int64]*ledger.Account, len(accountIDs)),
		Recorded: map[ledger.ID]ledger.Recorded{},
		Resolved: map[ledger.ID]ledger.TransferFlags{},
	}
	err := eachIn(ctx, b, sqliteDescribeIn, b.db.undescribed(accountIDs), func(id int64) any { return id }, func(r *sql.Rows) error {
		return b.db.describeRow(r)
	})
	if err != nil {
		return nil, err
	}
	bal := make(map[int64]*ledger.Account, len(accountIDs))
	err = eachIn(ctx, b, sqliteBalancesIn, accountIDs, func(id int64) any { return id }, func(r *sql.Rows) error {
		return balanceRow(r, bal)
	})
	if err != nil {
		return nil, err
	}
	b.db.withDescriptions(bal, l.Accounts)
	err = eachIn(ctx, b, sqliteTransfersIn, ids, rawID, func(r *sql.Rows) error {
		t, err := scanTransfer(r)
		l.Recorded[t.ID] = ledger.Recorded{Transfer: t, Code: ledger.OK}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = eachIn(ctx, b, sqliteRejectionsIn, ids, rawID, func(r *sql.Rows) error {
		var code int64
		t, err := scanTransfer(r, &code)
		l.Recorded[t.ID] = ledger.Recorded{Transfer: t, Code: ledger.Code(code)}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = eachIn(ctx, b, sqliteResolutionsIn, pendingIDs, rawID, func(r *sql.Rows) error {
		var p []byte
		var f int64
		err := r.Scan(&p, &f)
		l.Resolved[toID(p)] = ledger.TransferFlags(f) & (ledger.PostPending | ledger.VoidPending)
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (b *sqliteBatch) Write(ctx context.Context, w *ledger.Writes) error {
	err := b.execChunks(ctx, len(w.Transfers), sqliteInsertTransfers, func(i int) []any { return transferArgs(&w.Transfers[i]) })
	if err != nil {
		return err
	}
	for _, r := range w.Refused {
		args := append(transferArgs(&r.Transfer), int64(r.Code))
		if _, err := b.tx.Exec(ctx, "INSERT INTO ledger_rejections ("+transferCols+", result) VALUES "+placeholders(1, 12), args...); err != nil {
			return err
		}
	}
	err = b.execChunks(ctx, len(w.Accounts), sqliteUpdateAccounts, func(i int) []any {
		a := w.Accounts[i]
		return []any{a.ID, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted}
	})
	if err != nil {
		return err
	}
	if len(w.Jobs) > 0 {
		return EnqueueJobs(ctx, b.tx, b.db.now(), w.Jobs...)
	}
	return nil
}
