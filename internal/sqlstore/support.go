package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support"
)

// SupportStore is the support desk's store (support_* tables); it
// implements support.Store.
type SupportStore struct{ db *DB }

var _ support.Store = (*SupportStore)(nil)

// Support returns the support desk's store.
func (db *DB) Support() *SupportStore { return &SupportStore{db} }

// InTx implements support.Store.
func (s *SupportStore) InTx(ctx context.Context, fn func(support.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(supportTx{q: tx, db: s.db}) })
}

// View implements support.Store.
func (s *SupportStore) View(ctx context.Context, fn func(support.Tx) error) error {
	return fn(supportTx{q: s.db.Read(), db: s.db})
}

type supportTx struct {
	q  Querier
	db *DB
}

func (t supportTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }
func (t supportTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

const ticketColumns = `id, number, subject, category, priority, status, channel, mailbox,
	requester_id, requester_email, requester_name, language, unverified, assignee_id, queue, tags, cc,
	linked_to, merged_into, created_at, updated_at, first_response_at, solved_at, closed_at,
	first_due, resolve_due, paused_at, escalated, acknowledged, warned, rating, rating_comment,
	pending_action, outcome, complaint_refs`

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func joinList(ss []string) string { return strings.Join(ss, ",") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func ticketArgs(tk support.Ticket) []any {
	return []any{tk.Subject, string(tk.Category), string(tk.Priority), string(tk.Status), string(tk.Channel), string(tk.Mailbox),
		tk.RequesterID, tk.RequesterEmail, tk.RequesterName, tk.Language, b2i(tk.Unverified), tk.AssigneeID, tk.Queue,
		joinList(tk.Tags), joinList(tk.Cc), tk.LinkedTo, tk.MergedInto, nanos(tk.CreatedAt), nanos(tk.UpdatedAt),
		nanos(tk.FirstResponseAt), nanos(tk.SolvedAt), nanos(tk.ClosedAt), nanos(tk.FirstDue), nanos(tk.ResolveDue),
		nanos(tk.PausedAt), tk.Escalated, b2i(tk.Acknowledged), b2i(tk.Warned), tk.Rating, tk.RatingComment,
		tk.PendingAction, tk.Outcome, joinList(tk.ComplaintRefs)}
}

func (t supportTx) InsertTicket(ctx context.Context, tk support.Ticket) (int64, int64, error) {
	var num int64
	if err := t.q.QueryRow(ctx, `UPDATE support_ticket_numbers SET last = last + 1 WHERE id = 1 RETURNING last`).Scan(&num); err != nil {
		return 0, 0, fmt.Errorf("sqlstore: ticket number: %w", err)
	}
	args := append([]any{num}, ticketArgs(tk)...)
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO support_tickets (number, subject, category, priority, status, channel, mailbox,
		requester_id, requester_email, requester_name, language, unverified, assignee_id, queue, tags, cc,
		linked_to, merged_into, created_at, updated_at, first_response_at, solved_at, closed_at,
		first_due, resolve_due, paused_at, escalated, acknowledged, warned, rating, rating_comment,
		pending_action, outcome, complaint_refs)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34)
		RETURNING id`, args...).Scan(&id)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlstore: insert ticket: %w", err)
	}
	return id, num, nil
}

func (t supportTx) UpdateTicket(ctx context.Context, tk support.Ticket) error {
	args := append(ticketArgs(tk), tk.ID)
	n, err := t.q.Exec(ctx, `UPDATE support_tickets SET subject=$1, category=$2, priority=$3, status=$4, channel=$5, mailbox=$6,
		requester_id=$7, requester_email=$8, requester_name=$9, language=$10, unverified=$11, assignee_id=$12, queue=$13, tags=$14, cc=$15,
		linked_to=$16, merged_into=$17, created_at=$18, updated_at=$19, first_response_at=$20, solved_at=$21, closed_at=$22,
		first_due=$23, resolve_due=$24, paused_at=$25, escalated=$26, acknowledged=$27, warned=$28, rating=$29, rating_comment=$30,
		pending_action=$31, outcome=$32, complaint_refs=$33
		WHERE id = $34`, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: update ticket %d: %w", tk.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update ticket %d: %w", tk.ID, support.ErrNotFound)
	}
	return nil
}

func scanTickets(rows Rows) ([]support.Ticket, error) {
	defer rows.Close()
	var out []support.Ticket
	for rows.Next() {
		var (
			tk                                                  support.Ticket
			cat, prio, status, channel, mailbox, tags, cc, refs string
			unverified, ack, warned                             int64
			created, updated, first, solved, closed             int64
			firstDue, resolveDue, paused                        int64
		)
		if err := rows.Scan(&tk.ID, &tk.Number, &tk.Subject, &cat, &prio, &status, &channel, &mailbox,
			&tk.RequesterID, &tk.RequesterEmail, &tk.RequesterName, &tk.Language, &unverified, &tk.AssigneeID, &tk.Queue, &tags, &cc,
			&tk.LinkedTo, &tk.MergedInto, &created, &updated, &first, &solved, &closed,
			&firstDue, &resolveDue, &paused, &tk.Escalated, &ack, &warned, &tk.Rating, &tk.RatingComment,
			&tk.PendingAction, &tk.Outcome, &refs); err != nil {
			return nil, err
		}
		tk.Category, tk.Priority, tk.Status = support.Category(cat), support.Priority(prio), support.Status(status)
		tk.Channel, tk.Mailbox = support.Channel(channel), support.Mailbox(mailbox)
		tk.Unverified, tk.Acknowledged, tk.Warned = unverified == 1, ack == 1, warned == 1
		tk.Tags, tk.Cc, tk.ComplaintRefs = splitList(tags), splitList(cc), splitList(refs)
		tk.CreatedAt, tk.UpdatedAt, tk.FirstResponseAt = fromNanos(created), fromNanos(updated), fromNanos(first)
		tk.SolvedAt, tk.ClosedAt = fromNanos(solved), fromNanos(closed)
		tk.FirstDue, tk.ResolveDue, tk.PausedAt = fromNanos(firstDue), fromNanos(resolveDue), fromNanos(paused)
		out = append(out, tk)
	}
	return out, rows.Err()
}

func (t supportTx) oneTicket(ctx context.Context, where string, arg any) (support.Ticket, error) {
	rows, err := t.q.Query(ctx, "SELECT "+ticketColumns+" FROM support_tickets WHERE "+where, arg)
	if err != nil {
		return support.Ticket{}, fmt.Errorf("sqlstore: ticket: %w", err)
	}
	ts, err := scanTickets(rows)
	if err != nil {
		return support.Ticket{}, fmt.Errorf("sqlstore: ticket: %w", err)
	}
	if len(ts) == 0 {
		return support.Ticket{}, support.ErrNotFound
	}
	return ts[0], nil
}

func (t supportTx) Ticket(ctx context.Context, id int64) (support.Ticket, error) {
	return t.oneTicket(ctx, "id = $1", id)
}

func (t supportTx) TicketByNumber(ctx context.Context, number int64) (support.Ticket, error) {
	return t.oneTicket(ctx, "number = $1", number)
}

func (t supportTx) Tickets(ctx context.Context, f support.Filter) ([]support.Ticket, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.RequesterID > 0 {
		conds = append(conds, "requester_id = "+arg(f.RequesterID))
	}
	if f.AssigneeID > 0 {
		conds = append(conds, "assignee_id = "+arg(f.AssigneeID))
	}
	if f.Unassigned {
		conds = append(conds, "assignee_id = 0")
	}
	if len(f.Statuses) > 0 {
		var ps []string
		for _, s := range f.Statuses {
			ps = append(ps, arg(string(s)))
		}
		conds = append(conds, "status IN ("+strings.Join(ps, ",")+")")
	}
	if len(f.Priorities) > 0 {
		var ps []string
		for _, p := range f.Priorities {
			ps = append(ps, arg(string(p)))
		}
		conds = append(conds, "priority IN ("+strings.Join(ps, ",")+")")
	}
	if f.Queue != "" {
		conds = append(conds, "queue = "+arg(f.Queue))
	}
	if !f.BreachingAt.IsZero() {
		at := arg(f.BreachingAt.UnixNano())
		conds = append(conds, "status IN ('new','open') AND paused_at = 0 AND ((first_response_at = 0 AND first_due > 0 AND first_due < "+at+") OR (resolve_due > 0 AND resolve_due < "+at+"))")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		n, _ := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64)
		like := "%" + strings.ToLower(q) + "%"
		conds = append(conds, "(number = "+arg(n)+" OR LOWER(subject) LIKE "+arg(like)+" OR requester_email LIKE "+arg(like)+")")
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := t.q.Query(ctx, "SELECT "+ticketColumns+" FROM support_tickets"+where+" ORDER BY updated_at DESC, id DESC LIMIT "+arg(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: tickets: %w", err)
	}
	ts, err := scanTickets(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: tickets: %w", err)
	}
	return ts, nil
}

func (t supportTx) TicketsToEscalate(ctx context.Context, now time.Time, limit int) ([]support.Ticket, error) {
	rows, err := t.q.Query(ctx, "SELECT "+ticketColumns+` FROM support_tickets
		WHERE status IN ('new','open') AND paused_at = 0 AND merged_into = 0
		AND ((first_response_at = 0 AND first_due > 0 AND first_due <= $1 AND (escalated & 1) = 0)
		  OR (resolve_due > 0 AND resolve_due <= $1 AND (escalated & 2) = 0))
		ORDER BY id LIMIT $2`, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: tickets to escalate: %w", err)
	}
	ts, err := scanTickets(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: tickets to escalate: %w", err)
	}
	return ts, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t supportTx) InsertMessage(ctx context.Context, m support.Message) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO support_messages (ticket_id, kind, author_id, author_email, body, event, detail,
		mail_id, outbox_id, findings, raw_id, bounced, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id`,
		m.TicketID, string(m.Kind), m.AuthorID, m.AuthorEmail, m.Body, m.Event, m.Detail, nullString(m.MailID),
		m.OutboxID, int64(m.Findings), m.RawID, m.Bounced, nanos(m.CreatedAt)).Scan(&id)
	if err != nil {
		if IsUniqueViolation(err) {
			return 0, support.ErrDuplicate
		}
		return 0, fmt.Errorf("sqlstore: insert support message: %w", err)
	}
	return id, nil
}

const messageColumns = `id, ticket_id, kind, author_id, author_email, body, event, detail, COALESCE(mail_id, ''),
	outbox_id, findings, raw_id, bounced, created_at`

func scanMessages(rows Rows) ([]support.Message, error) {
	defer rows.Close()
	var out []support.Message
	for rows.Next() {
		var (
			m                 support.Message
			kind              string
			findings, created int64
		)
		if err := rows.Scan(&m.ID, &m.TicketID, &kind, &m.AuthorID, &m.AuthorEmail, &m.Body, &m.Event, &m.Detail, &m.MailID,
			&m.OutboxID, &findings, &m.RawID, &m.Bounced, &created); err != nil {
			return nil, err
		}
		m.Kind, m.Findings, m.CreatedAt = support.Kind(kind), redact.Findings(findings), fromNanos(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t supportTx) Messages(ctx context.Context, ticketID int64) ([]support.Message, error) {
	rows, err := t.q.Query(ctx, "SELECT "+messageColumns+" FROM support_messages WHERE ticket_id = $1 ORDER BY id", ticketID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: support messages: %w", err)
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: support messages: %w", err)
	}
	rows, err = t.q.Query(ctx, `SELECT id, ticket_id, message_id, name, content_type, size, created_at
		FROM support_attachments WHERE ticket_id = $1 ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: support attachments: %w", err)
	}
	defer rows.Close()
	byMsg := map[int64][]support.AttachmentInfo{}
	for rows.Next() {
		var (
			a       support.AttachmentInfo
			created int64
		)
		if err := rows.Scan(&a.ID, &a.TicketID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &created); err != nil {
			return nil, fmt.Errorf("sqlstore: support attachments: %w", err)
		}
		a.CreatedAt = fromNanos(created)
		byMsg[a.MessageID] = append(byMsg[a.MessageID], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: support attachments: %w", err)
	}
	for i := range ms {
		ms[i].Attachments = byMsg[ms[i].ID]
	}
	return ms, nil
}

func (t supportTx) TicketByMailID(ctx context.Context, ids []string) (int64, error) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		var tid int64
		err := t.q.QueryRow(ctx, "SELECT ticket_id FROM support_messages WHERE mail_id = $1", id).Scan(&tid)
		if errors.Is(err, ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("sqlstore: ticket by mail id: %w", err)
		}
		return tid, nil
	}
	return 0, support.ErrNotFound
}

func (t supportTx) MailIDs(ctx context.Context, ticketID int64) ([]string, error) {
	rows, err := t.q.Query(ctx, "SELECT mail_id FROM support_messages WHERE ticket_id = $1 AND mail_id IS NOT NULL ORDER BY id", ticketID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: mail ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("sqlstore: mail ids: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (t supportTx) MessageByOutbox(ctx context.Context, outboxID int64) (support.Message, error) {
	rows, err := t.q.Query(ctx, "SELECT "+messageColumns+" FROM support_messages WHERE outbox_id = $1 AND outbox_id > 0", outboxID)
	if err != nil {
		return support.Message{}, fmt.Errorf("sqlstore: message by outbox: %w", err)
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return support.Message{}, fmt.Errorf("sqlstore: message by outbox: %w", err)
	}
	if len(ms) == 0 {
		return support.Message{}, support.ErrNotFound
	}
	return ms[0], nil
}

func (t supportTx) SetBounced(ctx context.Context, id int64, reason string) error {
	_, err := t.q.Exec(ctx, "UPDATE support_messages SET bounced = $2 WHERE id = $1", id, reason)
	if err != nil {
		return fmt.Errorf("sqlstore: set bounced: %w", err)
	}
	return nil
}

func (t supportTx) MoveMessages(ctx context.Context, from, to int64) error {
	if _, err := t.q.Exec(ctx, "UPDATE support_messages SET ticket_id = $2 WHERE ticket_id = $1", from, to); err != nil {
		return fmt.Errorf("sqlstore: move messages: %w", err)
	}
	if _, err := t.q.Exec(ctx, "UPDATE support_attachments SET ticket_id = $2 WHERE ticket_id = $1", from, to); err != nil {
		return fmt.Errorf("sqlstore: move attachments: %w", err)
	}
	return nil
}

func (t supportTx) InsertAttachment(ctx context.Context, a support.AttachmentInfo, sealed []byte) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO support_attachments (ticket_id, message_id, name, content_type, size, data, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`,
		a.TicketID, a.MessageID, a.Name, a.ContentType, a.Size, sealed, nanos(a.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert attachment: %w", err)
	}
	return id, nil
}

func (t supportTx) Attachment(ctx context.Context, id int64) (support.AttachmentInfo, []byte, error) {
	var (
		a       support.AttachmentInfo
		data    []byte
		created int64
	)
	err := t.q.QueryRow(ctx, `SELECT id, ticket_id, message_id, name, content_type, size, data, created_at
		FROM support_attachments WHERE id = $1`, id).Scan(&a.ID, &a.TicketID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &data, &created)
	if errors.Is(err, ErrNoRows) {
		return a, nil, support.ErrNotFound
	}
	if err != nil {
		return a, nil, fmt.Errorf("sqlstore: attachment: %w", err)
	}
	a.CreatedAt = fromNanos(created)
	return a, data, nil
}

func (t supportTx) customer(ctx context.Context, where string, arg any) (support.Customer, error) {
	var c support.Customer
	err := t.q.QueryRow(ctx, "SELECT id, email, locale, role, status FROM users WHERE "+where, arg).Scan(&c.ID, &c.Email, &c.Locale, &c.Role, &c.Status)
	if errors.Is(err, ErrNoRows) {
		return c, support.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("sqlstore: customer: %w", err)
	}
	return c, nil
}

func (t supportTx) CustomerByEmail(ctx context.Context, email string) (support.Customer, error) {
	return t.customer(ctx, "email = $1", strings.ToLower(email))
}

func (t supportTx) CustomerByID(ctx context.Context, id int64) (support.Customer, error) {
	return t.customer(ctx, "id = $1", id)
}

func (t supportTx) Supervisors(ctx context.Context) ([]support.Customer, error) {
	rows, err := t.q.Query(ctx, "SELECT id, email, locale, role, status FROM users WHERE role IN ('supervisor','admin') AND status = 'active' ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: supervisors: %w", err)
	}
	defer rows.Close()
	var out []support.Customer
	for rows.Next() {
		var c support.Customer
		if err := rows.Scan(&c.ID, &c.Email, &c.Locale, &c.Role, &c.Status); err != nil {
			return nil, fmt.Errorf("sqlstore: supervisors: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t supportTx) CannedReplies(ctx context.Context) ([]support.Canned, error) {
	rows, err := t.q.Query(ctx, "SELECT id, title, body, language FROM support_canned ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: canned replies: %w", err)
	}
	defer rows.Close()
	var out []support.Canned
	for rows.Next() {
		var c support.Canned
		if err := rows.Scan(&c.ID, &c.Title, &c.Body, &c.Language); err != nil {
			return nil, fmt.Errorf("sqlstore: canned replies: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t supportTx) InsertCanned(ctx context.Context, c support.Canned) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, "INSERT INTO support_canned (title, body, language) VALUES ($1,$2,$3) RETURNING id", c.Title, c.Body, c.Language).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert canned reply: %w", err)
	}
	return id, nil
}

func (t supportTx) Hit(ctx context.Context, key string, at, since time.Time) (int, error) {
	if _, err := t.q.Exec(ctx, "DELETE FROM support_hits WHERE hit_key = $1 AND at < $2", key, since.UnixNano()); err != nil {
		return 0, fmt.Errorf("sqlstore: support hit: %w", err)
	}
	if _, err := t.q.Exec(ctx, "INSERT INTO support_hits (hit_key, at) VALUES ($1, $2)", key, at.UnixNano()); err != nil {
		return 0, fmt.Errorf("sqlstore: support hit: %w", err)
	}
	var n int
	if err := t.q.QueryRow(ctx, "SELECT COUNT(*) FROM support_hits WHERE hit_key = $1", key).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: support hit: %w", err)
	}
	return n, nil
}
