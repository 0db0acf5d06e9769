package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
)

// AuditStore reads the audit log; it implements audit.Reader. Writing goes
// through AuditTx, inside the caller's transaction. There is no update or
// delete: the table's triggers refuse both.
type AuditStore struct{ db *DB }

var _ audit.Reader = (*AuditStore)(nil)

// Audit returns the audit log's store.
func (db *DB) Audit() *AuditStore { return &AuditStore{db} }

// AuditTx returns an audit.Appender that writes through q, normally a Tx:
// the record then commits or rolls back with the caller's change. Records
// with a zero At get the database's clock.
func (db *DB) AuditTx(q Querier) audit.Appender { return auditAppender{q: q, now: db.now} }

type auditAppender struct {
	q   Querier
	now func() time.Time
}

// AppendAudit implements audit.Appender.
func (a auditAppender) AppendAudit(ctx context.Context, e audit.Event) (int64, error) {
	at := e.At
	if at.IsZero() {
		at = a.now()
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return 0, fmt.Errorf("sqlstore: audit details: %w", err)
		}
	}
	var id int64
	err := a.q.QueryRow(ctx, `INSERT INTO audit_log
		(at, actor_id, actor_role, action, target_type, target_id, ip, user_agent, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		at.UnixNano(), e.ActorID, e.ActorRole, e.Action, e.TargetType, e.TargetID, e.IP, e.UserAgent, string(details)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: append audit %s: %w", e.Action, err)
	}
	return id, nil
}

// AuditEvents implements audit.Reader.
func (s *AuditStore) AuditEvents(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q.ActorID != 0 {
		add("actor_id = ?", q.ActorID)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if q.TargetType != "" {
		add("target_type = ?", q.TargetType)
	}
	if q.TargetID != "" {
		add("target_id = ?", q.TargetID)
	}
	if !q.Since.IsZero() {
		add("at >= ?", q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		add("at < ?", q.Until.UnixNano())
	}
	if q.BeforeID > 0 {
		add("id < ?", q.BeforeID)
	}
	query := `SELECT id, at, actor_id, actor_role, action, target_type, target_id, ip, user_agent, details
		FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	query += " ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))

	rows, err := s.db.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	defer rows.Close()
	var evs []audit.Event
	for rows.Next() {
		var (
			e       audit.Event
			at      int64
			details string
		)
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorRole, &e.Action, &e.TargetType, &e.TargetID,
			&e.IP, &e.UserAgent, &details); err != nil {
			return nil, fmt.Errorf("sqlstore: list audit: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		if details != "" && details != "{}" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, fmt.Errorf("sqlstore: audit record %d details: %w", e.ID, err)
			}
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	return evs, nil
}
