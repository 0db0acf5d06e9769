package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/wallet"
)

// RiskStore implements risk.Store on both engines, in the tables of
// migration 0009; it reads the wallet's movements for the rules' facts.
type RiskStore struct{ db *DB }

var (
	_ risk.Store = (*RiskStore)(nil)
	_ risk.Tx    = riskTx{}
)

// Risk returns the suspicious-activity store.
func (db *DB) Risk() *RiskStore { return &RiskStore{db} }

type riskTx struct {
	q  Querier
	db *DB
}

// InTx implements risk.Store.
func (s *RiskStore) InTx(ctx context.Context, fn func(risk.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(riskTx{q: tx, db: s.db}) })
}

// WalletTx implements risk.Store: tx must be a transaction of this
// database's wallet store.
func (s *RiskStore) WalletTx(tx wallet.Tx) (risk.Tx, error) {
	wt, ok := tx.(walletTx)
	if !ok || wt.db != s.db {
		return nil, fmt.Errorf("sqlstore: risk: %T is not a wallet transaction of this database", tx)
	}
	return riskTx{q: wt.q, db: s.db}, nil
}

// outgoingTypes are the movement types that are not outgoing payments.
const riskNotOutgoing = "type NOT IN ('deposit', 'receive', 'fee', 'merchant_refund')"

// OutgoingSince implements risk.Store.
func (s *RiskStore) OutgoingSince(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	err := s.db.Read().QueryRow(ctx, `SELECT count(*) FROM wallet_movements
		WHERE user_id = $1 AND created_at >= $2 AND status <> 'failed' AND `+riskNotOutgoing,
		userID, nanos(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: risk outgoing: %w", err)
	}
	return n, nil
}

// PastAmounts implements risk.Store.
func (s *RiskStore) PastAmounts(ctx context.Context, userID int64, currency string, since time.Time, limit int) ([]int64, error) {
	rows, err := s.db.Read().Query(ctx, `SELECT amount FROM wallet_movements
		WHERE user_id = $1 AND created_at >= $2 AND currency = $3 AND status = 'completed' AND `+riskNotOutgoing+`
		ORDER BY created_at DESC, id DESC LIMIT $4`, userID, nanos(since), currency, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: risk past amounts: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("sqlstore: risk past amounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PaidBefore implements risk.Store.
func (s *RiskStore) PaidBefore(ctx context.Context, userID int64, payee string) (bool, error) {
	var n int
	err := s.db.Read().QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM wallet_movements
		WHERE user_id = $1 AND status = 'completed' AND `+riskNotOutgoing+`
		AND (counterparty_wallet = $2 OR (type = 'withdrawal' AND method_display = $2)) LIMIT 1) AS x`,
		userID, payee).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlstore: risk paid before: %w", err)
	}
	return n > 0, nil
}

const riskCaseCols = `id, kind, user_id, movement_id, status, reasons, amount, currency, payee, words, outgoing_before,
	decided_by, decided_at, note, created_at, updated_at`

func scanRiskCase(r scanner) (risk.Case, error) {
	var (
		c                                 risk.Case
		kind, status, reasons, cur        string
		amount, decided, created, updated int64
	)
	if err := r.Scan(&c.ID, &kind, &c.UserID, &c.MovementID, &status, &reasons, &amount, &cur, &c.Payee, &c.Words,
		&c.OutgoingBefore, &c.DecidedBy, &decided, &c.Note, &created, &updated); err != nil {
		return risk.Case{}, err
	}
	c.Kind, c.Status = risk.Kind(kind), risk.CaseStatus(status)
	if reasons != "" {
		c.Reasons = strings.Split(reasons, ",")
	}
	if cur != "" {
		cc, err := money.Lookup(cur)
		if err != nil {
			return risk.Case{}, fmt.Errorf("case %s: %w", c.ID, err)
		}
		c.Amount = money.Amount{Minor: amount, Currency: cc}
	}
	c.DecidedAt, c.CreatedAt, c.UpdatedAt = fromNanos(decided), fromNanos(created), fromNanos(updated)
	return c, nil
}

func (s *RiskStore) cases(ctx context.Context, where string, args ...any) ([]risk.Case, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+riskCaseCols+" FROM risk_cases WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: risk cases: %w", err)
	}
	defer rows.Close()
	var out []risk.Case
	for rows.Next() {
		c, err := scanRiskCase(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: risk cases: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *RiskStore) oneCase(ctx context.Context, where string, args ...any) (risk.Case, error) {
	cs, err := s.cases(ctx, where, args...)
	if err != nil {
		return risk.Case{}, err
	}
	if len(cs) == 0 {
		return risk.Case{}, risk.ErrCaseNotFound
	}
	return cs[0], nil
}

// Case implements risk.Store.
func (s *RiskStore) Case(ctx context.Context, id string) (risk.Case, error) {
	return s.oneCase(ctx, "id = $1", id)
}

// CaseByMovement implements risk.Store.
func (s *RiskStore) CaseByMovement(ctx context.Context, kind risk.Kind, movementID string) (risk.Case, error) {
	return s.oneCase(ctx, "kind = $1 AND movement_id = $2", string(kind), movementID)
}

// Cases implements risk.Store.
func (s *RiskStore) Cases(ctx context.Context, q risk.CaseQuery) ([]risk.Case, error) {
	var w walletWhere
	w.add("1 = 1")
	if q.UserID != 0 {
		w.add("user_id = " + w.arg(q.UserID))
	}
	w.in("kind", walletStrings(q.Kinds))
	w.in("status", walletStrings(q.Statuses))
	if q.Live {
		w.add(`(kind <> 'hold' OR EXISTS (SELECT 1 FROM wallet_movements m
			WHERE m.id = risk_cases.movement_id AND m.status IN ('pending', 'held')))`)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	return s.cases(ctx, w.String()+" ORDER BY created_at, id LIMIT "+w.arg(limit), w.args...)
}

func scanFreeze(r scanner) (risk.Freeze, error) {
	var (
		f                     risk.Freeze
		frozen, since, lifted int64
	)
	if err := r.Scan(&f.UserID, &frozen, &since, &f.CaseID, &f.LiftedBy, &lifted); err != nil {
		return risk.Freeze{}, err
	}
	f.Frozen, f.Since, f.LiftedAt = frozen != 0, fromNanos(since), fromNanos(lifted)
	return f, nil
}

const riskFreezeCols = "user_id, frozen, frozen_at, frozen_case, lifted_by, lifted_at"

// Freeze implements risk.Store.
func (s *RiskStore) Freeze(ctx context.Context, userID int64) (risk.Freeze, error) {
	f, err := scanFreeze(s.db.Read().QueryRow(ctx, "SELECT "+riskFreezeCols+" FROM risk_accounts WHERE user_id = $1", userID))
	if errors.Is(err, ErrNoRows) {
		return risk.Freeze{UserID: userID}, nil
	}
	if err != nil {
		return risk.Freeze{}, fmt.Errorf("sqlstore: risk freeze: %w", err)
	}
	return f, nil
}

// Frozen implements risk.Store.
func (s *RiskStore) Frozen(ctx context.Context, limit int) ([]risk.Freeze, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+riskFreezeCols+
		" FROM risk_accounts WHERE frozen = 1 ORDER BY frozen_at, user_id LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: risk frozen: %w", err)
	}
	defer rows.Close()
	var out []risk.Freeze
	for rows.Next() {
		f, err := scanFreeze(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: risk frozen: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// AppendAudit implements audit.Appender in the transaction.
func (t riskTx) AppendAudit(ctx context.Context, e audit.Event) (int64, error) {
	return t.db.AuditTx(t.q).AppendAudit(ctx, e)
}

// LockOutgoing implements risk.Tx. The upsert takes the row's lock on
// PostgreSQL until commit (a concurrent freeze waits, or this waits for
// it and then reads its committed value); SQLite has one writer.
func (t riskTx) LockOutgoing(ctx context.Context, userID int64) (bool, error) {
	var frozen int64
	err := t.q.QueryRow(ctx, `INSERT INTO risk_accounts (user_id, seq) VALUES ($1, 1)
		ON CONFLICT (user_id) DO UPDATE SET seq = risk_accounts.seq + 1
		RETURNING frozen`, userID).Scan(&frozen)
	if err != nil {
		return false, fmt.Errorf("sqlstore: risk lock outgoing: %w", err)
	}
	return frozen != 0, nil
}

// SetFrozen implements risk.Tx.
func (t riskTx) SetFrozen(ctx context.Context, userID int64, caseID string, at time.Time) error {
	_, err := t.q.Exec(ctx, `INSERT INTO risk_accounts (user_id, frozen, frozen_at, frozen_case, seq) VALUES ($1, 1, $2, $3, 1)
		ON CONFLICT (user_id) DO UPDATE SET
			frozen_at = CASE WHEN risk_accounts.frozen = 1 THEN risk_accounts.frozen_at ELSE excluded.frozen_at END,
			frozen_case = CASE WHEN risk_accounts.frozen = 1 THEN risk_accounts.frozen_case ELSE excluded.frozen_case END,
			frozen = 1, seq = risk_accounts.seq + 1`, userID, nanos(at), caseID)
	if err != nil {
		return fmt.Errorf("sqlstore: risk freeze: %w", err)
	}
	return nil
}

// LiftFreeze implements risk.Tx.
func (t riskTx) LiftFreeze(ctx context.Context, userID, by int64, at time.Time) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE risk_accounts SET frozen = 0, lifted_by = $2, lifted_at = $3, seq = seq + 1
		WHERE user_id = $1 AND frozen = 1`, userID, by, nanos(at))
	if err != nil {
		return false, fmt.Errorf("sqlstore: risk lift freeze: %w", err)
	}
	return n == 1, nil
}

// CountOutgoing implements risk.Tx.
func (t riskTx) CountOutgoing(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := t.q.QueryRow(ctx, "SELECT count(*) FROM wallet_movements WHERE user_id = $1 AND "+riskNotOutgoing,
		userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: risk count outgoing: %w", err)
	}
	return n, nil
}

// InsertCase implements risk.Tx.
func (t riskTx) InsertCase(ctx context.Context, c risk.Case) (bool, error) {
	n, err := t.q.Exec(ctx, `INSERT INTO risk_cases (`+riskCaseCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT DO NOTHING`,
		c.ID, string(c.Kind), c.UserID, c.MovementID, string(c.Status), strings.Join(c.Reasons, ","), c.Amount.Minor,
		c.Amount.Currency.Code, c.Payee, c.Words, c.OutgoingBefore, c.DecidedBy, nanos(c.DecidedAt), c.Note,
		nanos(c.CreatedAt), nanos(c.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert risk case: %w", err)
	}
	return n == 1, nil
}

// DecideCase implements risk.Tx.
func (t riskTx) DecideCase(ctx context.Context, c risk.Case, from risk.CaseStatus) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE risk_cases SET status = $3, decided_by = $4, decided_at = $5, note = $6, updated_at = $7
		WHERE id = $1 AND status = $2`, c.ID, string(from), string(c.Status), c.DecidedBy, nanos(c.DecidedAt), c.Note,
		nanos(c.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: decide risk case: %w", err)
	}
	return n == 1, nil
}

// CloseReports implements risk.Tx.
func (t riskTx) CloseReports(ctx context.Context, userID, by int64, at time.Time, note string) (int64, error) {
	n, err := t.q.Exec(ctx, `UPDATE risk_cases SET status = 'closed', decided_by = $2, decided_at = $3, note = $4,
			updated_at = $3
		WHERE user_id = $1 AND kind = 'report' AND status = 'open'`, userID, by, nanos(at), note)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: close risk reports: %w", err)
	}
	return n, nil
}

// Enqueue implements risk.Tx.
func (t riskTx) Enqueue(ctx context.Context, js ...jobs.Job) error {
	return EnqueueJobs(ctx, t.q, t.db.Now(), js...)
}

// Outbox implements risk.Tx.
func (t riskTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

// UserContact implements risk.Tx.
func (t riskTx) UserContact(ctx context.Context, userID int64) (string, string, error) {
	var email, locale string
	err := t.q.QueryRow(ctx, "SELECT email, locale FROM users WHERE id = $1", userID).Scan(&email, &locale)
	if err != nil {
		return "", "", fmt.Errorf("sqlstore: risk user contact: %w", err)
	}
	return email, locale, nil
}
