package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// WalletStore implements wallet.Store on both engines: wallets, their
// ledger accounts, movements and money requests. Every change of state is
// one conditional UPDATE whose row count says whether it won.
type WalletStore struct{ db *DB }

var _ wallet.Store = (*WalletStore)(nil)

// Wallet returns the wallets' store.
func (db *DB) Wallet() *WalletStore { return &WalletStore{db} }

// InTx implements wallet.Store.
func (s *WalletStore) InTx(ctx context.Context, fn func(wallet.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(walletTx{q: tx, db: s.db}) })
}

type walletTx struct {
	q  Querier
	db *DB
}

var _ wallet.Tx = walletTx{}

// Wallet implements wallet.Store.
func (s *WalletStore) Wallet(ctx context.Context, id wallet.WalletID) (wallet.Wallet, error) {
	return s.wallet(ctx, "id = $1", string(id))
}

// WalletByUser implements wallet.Store.
func (s *WalletStore) WalletByUser(ctx context.Context, userID int64) (wallet.Wallet, error) {
	return s.wallet(ctx, "user_id = $1", userID)
}

func (s *WalletStore) wallet(ctx context.Context, where string, arg any) (wallet.Wallet, error) {
	var (
		w       wallet.Wallet
		id      string
		created int64
	)
	q := s.db.Read()
	err := q.QueryRow(ctx, "SELECT id, user_id, created_at FROM wallets WHERE "+where, arg).Scan(&id, &w.UserID, &created)
	if errors.Is(err, ErrNoRows) {
		return wallet.Wallet{}, wallet.ErrWalletNotFound
	}
	if err != nil {
		return wallet.Wallet{}, fmt.Errorf("sqlstore: wallet: %w", err)
	}
	w.ID, w.CreatedAt = wallet.WalletID(id), fromNanos(created)
	rows, err := q.Query(ctx, "SELECT currency, account_id FROM wallet_accounts WHERE wallet_id = $1", id)
	if err != nil {
		return wallet.Wallet{}, fmt.Errorf("sqlstore: wallet accounts: %w", err)
	}
	defer rows.Close()
	w.Accounts = map[string]int64{}
	for rows.Next() {
		var cur string
		var acct int64
		if err := rows.Scan(&cur, &acct); err != nil {
			return wallet.Wallet{}, fmt.Errorf("sqlstore: wallet accounts: %w", err)
		}
		w.Accounts[cur] = acct
	}
	if err := rows.Err(); err != nil {
		return wallet.Wallet{}, fmt.Errorf("sqlstore: wallet accounts: %w", err)
	}
	return w, nil
}

// InsertWallet implements wallet.Tx.
func (t walletTx) InsertWallet(ctx context.Context, w wallet.Wallet) error {
	n, err := t.q.Exec(ctx, "INSERT INTO wallets (id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		string(w.ID), w.UserID, nanos(w.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert wallet: %w", err)
	}
	if n == 1 {
		return nil
	}
	var owners int
	if err := t.q.QueryRow(ctx, "SELECT count(*) FROM wallets WHERE user_id = $1", w.UserID).Scan(&owners); err != nil {
		return fmt.Errorf("sqlstore: insert wallet: %w", err)
	}
	if owners > 0 {
		return wallet.ErrUserHasWallet
	}
	return wallet.ErrWalletIDTaken
}

// AddAccounts implements wallet.Tx. Rows go in currency order, so two
// concurrent opens of one wallet take their locks in the same order.
func (t walletTx) AddAccounts(ctx context.Context, id wallet.WalletID, accounts map[string]int64) error {
	for _, cur := range slices.Sorted(maps.Keys(accounts)) {
		if _, err := t.q.Exec(ctx, `INSERT INTO wallet_accounts (wallet_id, currency, account_id) VALUES ($1, $2, $3)
			ON CONFLICT (wallet_id, currency) DO NOTHING`, string(id), cur, accounts[cur]); err != nil {
			return fmt.Errorf("sqlstore: add wallet account: %w", err)
		}
	}
	return nil
}

// walletPlanEntry is a ledger transfer of a movement's plan, as stored (JSON).
type walletPlanEntry struct {
	ID        ledger.ID            `json:"id"`
	Debit     int64                `json:"debit"`
	Credit    int64                `json:"credit"`
	Amount    int64                `json:"amount"`
	Currency  string               `json:"currency"`
	Code      uint16               `json:"code"`
	Flags     ledger.TransferFlags `json:"flags,omitempty"`
	PendingID *ledger.ID           `json:"pending_id,omitempty"`
	Timeout   time.Duration        `json:"timeout,omitempty"`
	Metadata  string               `json:"metadata,omitempty"`
}

func encodeWalletPlan(ts []ledger.Transfer) (string, error) {
	if len(ts) == 0 {
		return "", nil
	}
	es := make([]walletPlanEntry, len(ts))
	for i, t := range ts {
		es[i] = walletPlanEntry{ID: t.ID, Debit: t.DebitAccountID, Credit: t.CreditAccountID, Amount: t.Amount,
			Currency: t.Currency, Code: t.Code, Flags: t.Flags, Timeout: t.Timeout, Metadata: t.Metadata}
		if !t.PendingID.IsZero() {
			p := t.PendingID
			es[i].PendingID = &p
		}
	}
	b, err := json.Marshal(es)
	return string(b), err
}

func decodeWalletPlan(s string) ([]ledger.Transfer, error) {
	if s == "" {
		return nil, nil
	}
	var es []walletPlanEntry
	if err := json.Unmarshal([]byte(s), &es); err != nil {
		return nil, err
	}
	ts := make([]ledger.Transfer, len(es))
	for i, e := range es {
		ts[i] = ledger.Transfer{ID: e.ID, DebitAccountID: e.Debit, CreditAccountID: e.Credit, Amount: e.Amount,
			Currency: e.Currency, Code: e.Code, Flags: e.Flags, Timeout: e.Timeout, Metadata: e.Metadata}
		if e.PendingID != nil {
			ts[i].PendingID = *e.PendingID
		}
	}
	return ts, nil
}

// walletMovementSearch is the folded text History searches.
func walletMovementSearch(m wallet.Movement) string {
	return wallet.SearchText(strings.Join([]string{m.Note, m.Counterparty.Display,
		string(m.Counterparty.WalletID), m.MethodDisplay}, "\x1f"))
}

func walletFlag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func walletNullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertMovement implements wallet.Tx.
func (t walletTx) InsertMovement(ctx context.Context, m wallet.Movement) (bool, error) {
	plan, err := encodeWalletPlan(m.Plan)
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert movement: %w", err)
	}
	n, err := t.q.Exec(ctx, `INSERT INTO wallet_movements (id, wallet_id, user_id, type, status, amount, fee, currency,
			fee_payer, counterparty_wallet, counterparty_user, counterparty_display, self_display, note, method,
			method_display, charge_id, failure_code, request_id, peer_id, idempotency_key, fingerprint, plan, ready,
			version, search, created_at, updated_at, posted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
			$23, $24, $25, $26, $27, $28, $29)
		ON CONFLICT DO NOTHING`,
		m.ID, string(m.WalletID), m.UserID, string(m.Type), string(m.Status), m.Amount.Minor, m.Fee.Minor,
		m.Amount.Currency.Code, string(m.FeePayer), string(m.Counterparty.WalletID), m.Counterparty.UserID,
		m.Counterparty.Display, m.SelfDisplay, m.Note, string(m.Method), m.MethodDisplay, m.ChargeID,
		string(m.FailureCode), m.RequestID, m.PeerID, walletNullable(m.IdempotencyKey), m.Fingerprint, plan,
		walletFlag(m.Ready), m.Version, walletMovementSearch(m), nanos(m.CreatedAt), nanos(m.UpdatedAt), nanos(m.PostedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert movement: %w", err)
	}
	return n == 1, nil
}

// UpdateMovement implements wallet.Tx.
func (t walletTx) UpdateMovement(ctx context.Context, m wallet.Movement) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE wallet_movements SET status = $3, failure_code = $4, charge_id = $5,
			method_display = $6, ready = $7, posted_at = $8, updated_at = $9, search = $10, amount = $11,
			version = version + 1
		WHERE id = $1 AND version = $2`,
		m.ID, m.Version, string(m.Status), string(m.FailureCode), m.ChargeID, m.MethodDisplay, walletFlag(m.Ready),
		nanos(m.PostedAt), nanos(m.UpdatedAt), walletMovementSearch(m), m.Amount.Minor)
	if err != nil {
		return false, fmt.Errorf("sqlstore: update movement: %w", err)
	}
	return n == 1, nil
}

const walletMovementCols = `id, wallet_id, user_id, type, status, amount, fee, currency, fee_payer, counterparty_wallet,
	counterparty_user, counterparty_display, self_display, note, method, method_display, charge_id, failure_code,
	request_id, peer_id, COALESCE(idempotency_key, ''), fingerprint, plan, ready, version, created_at, updated_at,
	posted_at, authorized`

func scanWalletMovement(r scanner) (wallet.Movement, error) {
	var (
		m                                            wallet.Movement
		walletID, typ, status, cur, payer, cpWallet  string
		method, failure, plan                        string
		ready, created, updated, posted, amount, fee int64
		authorized                                   int64
	)
	if err := r.Scan(&m.ID, &walletID, &m.UserID, &typ, &status, &amount, &fee, &cur, &payer, &cpWallet,
		&m.Counterparty.UserID, &m.Counterparty.Display, &m.SelfDisplay, &m.Note, &method, &m.MethodDisplay,
		&m.ChargeID, &failure, &m.RequestID, &m.PeerID, &m.IdempotencyKey, &m.Fingerprint, &plan, &ready,
		&m.Version, &created, &updated, &posted, &authorized); err != nil {
		return wallet.Movement{}, err
	}
	c, err := money.Lookup(cur)
	if err != nil {
		return wallet.Movement{}, fmt.Errorf("movement %s: %w", m.ID, err)
	}
	if m.Plan, err = decodeWalletPlan(plan); err != nil {
		return wallet.Movement{}, fmt.Errorf("movement %s: plan: %w", m.ID, err)
	}
	m.WalletID, m.Type, m.Status = wallet.WalletID(walletID), wallet.Type(typ), wallet.Status(status)
	m.Amount, m.Fee = money.Amount{Minor: amount, Currency: c}, money.Amount{Minor: fee, Currency: c}
	if authorized != 0 {
		m.Authorized = money.Amount{Minor: authorized, Currency: c}
	}
	m.FeePayer, m.Counterparty.WalletID = wallet.Payer(payer), wallet.WalletID(cpWallet)
	m.Method, m.FailureCode, m.Ready = wallet.Method(method), wallet.Code(failure), ready != 0
	m.CreatedAt, m.UpdatedAt, m.PostedAt = fromNanos(created), fromNanos(updated), fromNanos(posted)
	return m, nil
}

func (s *WalletStore) movements(ctx context.Context, query string, args ...any) ([]wallet.Movement, error) {
	rows, err := s.db.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []wallet.Movement
	for rows.Next() {
		m, err := scanWalletMovement(rows)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

func (s *WalletStore) movement(ctx context.Context, where string, args ...any) (wallet.Movement, error) {
	ms, err := s.movements(ctx, "SELECT "+walletMovementCols+" FROM wallet_movements WHERE "+where, args...)
	if err != nil {
		return wallet.Movement{}, fmt.Errorf("sqlstore: movement: %w", err)
	}
	if len(ms) == 0 {
		return wallet.Movement{}, wallet.ErrMovementNotFound
	}
	return ms[0], nil
}

// Movement implements wallet.Store.
func (s *WalletStore) Movement(ctx context.Context, id string) (wallet.Movement, error) {
	return s.movement(ctx, "id = $1", id)
}

// MovementByKey implements wallet.Store.
func (s *WalletStore) MovementByKey(ctx context.Context, userID int64, key string) (wallet.Movement, error) {
	return s.movement(ctx, "user_id = $1 AND idempotency_key = $2", userID, key)
}

// walletWhere builds a WHERE clause with numbered parameters.
type walletWhere struct {
	conds []string
	args  []any
}

func (w *walletWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *walletWhere) add(cond string) { w.conds = append(w.conds, cond) }

func (w *walletWhere) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = w.arg(v)
	}
	w.add(col + " IN (" + strings.Join(ps, ", ") + ")")
}

func (w *walletWhere) String() string { return strings.Join(w.conds, " AND ") }

// walletLikeEscape escapes LIKE's wildcards (the pattern uses ESCAPE '\').
func walletLikeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func walletStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// keyset adds "after the cursor" in newest-first order.
func (w *walletWhere) keyset(c wallet.Cursor) {
	if c.IsZero() {
		return
	}
	at := w.arg(c.CreatedAt.UnixNano())
	w.add("(created_at < " + at + " OR (created_at = " + at + " AND id < " + w.arg(c.ID) + "))")
}

// Movements implements wallet.Store.
func (s *WalletStore) Movements(ctx context.Context, q wallet.MovementQuery) ([]wallet.Movement, error) {
	var w walletWhere
	w.add("user_id = " + w.arg(q.UserID))
	if !q.From.IsZero() {
		w.add("created_at >= " + w.arg(q.From.UnixNano()))
	}
	if !q.To.IsZero() {
		w.add("created_at < " + w.arg(q.To.UnixNano()))
	}
	w.in("type", walletStrings(q.Types))
	w.in("currency", q.Currencies)
	w.in("status", walletStrings(q.Statuses))
	if q.Search != "" {
		w.add("search LIKE " + w.arg("%"+walletLikeEscape(q.Search)+"%") + ` ESCAPE '\'`)
	}
	w.keyset(q.After)
	order := " ORDER BY created_at DESC, id DESC LIMIT "
	if !q.Before.IsZero() {
		at := w.arg(q.Before.CreatedAt.UnixNano())
		w.add("(created_at > " + at + " OR (created_at = " + at + " AND id > " + w.arg(q.Before.ID) + "))")
		order = " ORDER BY created_at, id LIMIT "
	}
	limit := w.arg(q.Limit)
	ms, err := s.movements(ctx, "SELECT "+walletMovementCols+" FROM wallet_movements WHERE "+w.String()+
		order+limit, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: movements: %w", err)
	}
	return ms, nil
}

// StaleMovements implements wallet.Store.
func (s *WalletStore) StaleMovements(ctx context.Context, before time.Time, limit int) ([]wallet.Movement, error) {
	ms, err := s.movements(ctx, "SELECT "+walletMovementCols+` FROM wallet_movements
		WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2`, before.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: stale movements: %w", err)
	}
	return ms, nil
}

// Totals implements wallet.Store.
func (s *WalletStore) Totals(ctx context.Context, id wallet.WalletID, from, to time.Time) ([]wallet.Total, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT currency, type, CAST(SUM(amount) AS BIGINT), CAST(SUM(fee) AS BIGINT)
		FROM wallet_movements
		WHERE wallet_id = $1 AND status = 'completed' AND posted_at >= $2 AND posted_at < $3
		GROUP BY currency, type ORDER BY currency, type`, string(id), nanos(from), nanos(to))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: wallet totals: %w", err)
	}
	defer rows.Close()
	var ts []wallet.Total
	for rows.Next() {
		var t wallet.Total
		var typ string
		if err := rows.Scan(&t.Currency, &typ, &t.Amount, &t.Fee); err != nil {
			return nil, fmt.Errorf("sqlstore: wallet totals: %w", err)
		}
		t.Type = wallet.Type(typ)
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// Enqueue implements wallet.Tx.
func (t walletTx) Enqueue(ctx context.Context, js ...jobs.Job) error {
	return EnqueueJobs(ctx, t.q, t.db.Now(), js...)
}

// InsertRequest implements wallet.Tx.
func (t walletTx) InsertRequest(ctx context.Context, r wallet.Request) (bool, error) {
	n, err := t.q.Exec(ctx, `INSERT INTO wallet_requests (id, requester_user, requester_wallet, requester_display,
			payer_user, payer_wallet, payer_display, amount, currency, note, due_at, status, movement_id,
			idempotency_key, created_at, updated_at, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT DO NOTHING`,
		r.ID, r.RequesterID, string(r.RequesterWallet), r.RequesterDisplay, r.PayerID, string(r.PayerWallet),
		r.PayerDisplay, r.Amount.Minor, r.Amount.Currency.Code, r.Note, nanos(r.DueAt), string(r.Status),
		r.PaymentID, walletNullable(r.IdempotencyKey), nanos(r.CreatedAt), nanos(r.UpdatedAt), nanos(r.PaidAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert request: %w", err)
	}
	return n == 1, nil
}

func (t walletTx) requestUpdate(ctx context.Context, what, query string, args ...any) (bool, error) {
	n, err := t.q.Exec(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: %s request: %w", what, err)
	}
	return n == 1, nil
}

// ClaimRequest implements wallet.Tx.
func (t walletTx) ClaimRequest(ctx context.Context, id, movementID string, at time.Time) (bool, error) {
	return t.requestUpdate(ctx, "claim", `UPDATE wallet_requests SET status = 'paying', movement_id = $2, updated_at = $3
		WHERE id = $1 AND status = 'open'`, id, movementID, nanos(at))
}

// ReleaseRequest implements wallet.Tx.
func (t walletTx) ReleaseRequest(ctx context.Context, id, movementID string, at time.Time) (bool, error) {
	return t.requestUpdate(ctx, "release", `UPDATE wallet_requests SET status = 'open', movement_id = '', updated_at = $3
		WHERE id = $1 AND status = 'paying' AND movement_id = $2`, id, movementID, nanos(at))
}

// PayRequest implements wallet.Tx.
func (t walletTx) PayRequest(ctx context.Context, id, movementID string, at time.Time) (bool, error) {
	return t.requestUpdate(ctx, "pay", `UPDATE wallet_requests SET status = 'paid', paid_at = $3, updated_at = $3
		WHERE id = $1 AND status = 'paying' AND movement_id = $2`, id, movementID, nanos(at))
}

// CancelRequest implements wallet.Tx.
func (t walletTx) CancelRequest(ctx context.Context, id string, requesterID int64, at time.Time) (bool, error) {
	return t.requestUpdate(ctx, "cancel", `UPDATE wallet_requests SET status = 'cancelled', updated_at = $3
		WHERE id = $1 AND requester_user = $2 AND status = 'open'`, id, requesterID, nanos(at))
}

const walletRequestCols = `id, requester_user, requester_wallet, requester_display, payer_user, payer_wallet,
	payer_display, amount, currency, note, due_at, status, movement_id, COALESCE(idempotency_key, ''),
	created_at, updated_at, paid_at`

func (s *WalletStore) requests(ctx context.Context, query string, args ...any) ([]wallet.Request, error) {
	rows, err := s.db.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []wallet.Request
	for rows.Next() {
		var (
			r                             wallet.Request
			reqWallet, payWallet, cur, st string
			amount, due, created, updated int64
			paid                          int64
		)
		if err := rows.Scan(&r.ID, &r.RequesterID, &reqWallet, &r.RequesterDisplay, &r.PayerID, &payWallet,
			&r.PayerDisplay, &amount, &cur, &r.Note, &due, &st, &r.PaymentID, &r.IdempotencyKey,
			&created, &updated, &paid); err != nil {
			return nil, err
		}
		c, err := money.Lookup(cur)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", r.ID, err)
		}
		r.RequesterWallet, r.PayerWallet = wallet.WalletID(reqWallet), wallet.WalletID(payWallet)
		r.Amount, r.Status = money.Amount{Minor: amount, Currency: c}, wallet.RequestStatus(st)
		r.DueAt, r.CreatedAt, r.UpdatedAt, r.PaidAt = fromNanos(due), fromNanos(created), fromNanos(updated), fromNanos(paid)
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

func (s *WalletStore) request(ctx context.Context, where string, args ...any) (wallet.Request, error) {
	rs, err := s.requests(ctx, "SELECT "+walletRequestCols+" FROM wallet_requests WHERE "+where, args...)
	if err != nil {
		return wallet.Request{}, fmt.Errorf("sqlstore: request: %w", err)
	}
	if len(rs) == 0 {
		return wallet.Request{}, wallet.ErrRequestNotFound
	}
	return rs[0], nil
}

// Request implements wallet.Store.
func (s *WalletStore) Request(ctx context.Context, id string) (wallet.Request, error) {
	return s.request(ctx, "id = $1", id)
}

// RequestByKey implements wallet.Store.
func (s *WalletStore) RequestByKey(ctx context.Context, userID int64, key string) (wallet.Request, error) {
	return s.request(ctx, "requester_user = $1 AND idempotency_key = $2", userID, key)
}

// Requests implements wallet.Store.
func (s *WalletStore) Requests(ctx context.Context, q wallet.RequestQuery) ([]wallet.Request, error) {
	var w walletWhere
	if q.PayerID != 0 {
		w.add("payer_user = " + w.arg(q.PayerID))
	} else {
		w.add("requester_user = " + w.arg(q.RequesterID))
	}
	w.in("status", walletStrings(q.Statuses))
	w.keyset(q.After)
	limit := w.arg(q.Limit)
	rs, err := s.requests(ctx, "SELECT "+walletRequestCols+" FROM wallet_requests WHERE "+w.String()+
		" ORDER BY created_at DESC, id DESC LIMIT "+limit, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: requests: %w", err)
	}
	return rs, nil
}

// WalletDirectory implements wallet.Directory over the users table: only
// active users can be paid.
type WalletDirectory struct{ db *DB }

var _ wallet.Directory = (*WalletDirectory)(nil)

// WalletDirectory returns the directory the wallet finds recipients in.
func (db *DB) WalletDirectory() *WalletDirectory { return &WalletDirectory{db} }

func (d *WalletDirectory) people(ctx context.Context, where string, arg any) ([]wallet.Person, error) {
	rows, err := d.db.Read().Query(ctx, "SELECT id, email, phone FROM users WHERE "+where+
		" AND status = $2 ORDER BY id LIMIT 2", arg, string(auth.StatusActive))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: directory: %w", err)
	}
	defer rows.Close()
	var ps []wallet.Person
	for rows.Next() {
		var p wallet.Person
		if err := rows.Scan(&p.UserID, &p.Email, &p.Phone); err != nil {
			return nil, fmt.Errorf("sqlstore: directory: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func (d *WalletDirectory) one(ctx context.Context, where string, arg any) (wallet.Person, error) {
	ps, err := d.people(ctx, where, arg)
	if err != nil {
		return wallet.Person{}, err
	}
	if len(ps) != 1 {
		return wallet.Person{}, wallet.ErrRecipientNotFound
	}
	return ps[0], nil
}

// ByEmail implements wallet.Directory.
func (d *WalletDirectory) ByEmail(ctx context.Context, email string) (wallet.Person, error) {
	return d.one(ctx, "email = $1", email)
}

// ByPhone implements wallet.Directory: a number shared by two active users
// finds no one.
func (d *WalletDirectory) ByPhone(ctx context.Context, phone string) (wallet.Person, error) {
	if phone == "" {
		return wallet.Person{}, wallet.ErrRecipientNotFound
	}
	return d.one(ctx, "phone = $1", phone)
}

// Person implements wallet.Directory.
func (d *WalletDirectory) Person(ctx context.Context, userID int64) (wallet.Person, error) {
	return d.one(ctx, "id = $1", userID)
}
