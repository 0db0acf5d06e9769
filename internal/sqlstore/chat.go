package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support/chat"
)

// chatChannel is the PostgreSQL NOTIFY channel of live chat: payloads
// say which chat (or the queue) changed and carry no message text.
const chatChannel = "okpay_chat"

// ChatStore is live chat's store (chat_* tables, and the support desk's
// for the ticket each chat is kept on); it implements chat.Store.
type ChatStore struct{ db *DB }

var _ chat.Store = (*ChatStore)(nil)

// Chat returns live chat's store.
func (db *DB) Chat() *ChatStore { return &ChatStore{db} }

// InTx implements chat.Store.
func (s *ChatStore) InTx(ctx context.Context, fn func(chat.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(chatTx{supportTx{q: tx, db: s.db}}) })
}

// View implements chat.Store.
func (s *ChatStore) View(ctx context.Context, fn func(chat.Tx) error) error {
	return fn(chatTx{supportTx{q: s.db.Read(), db: s.db}})
}

// Listen implements chat.Store: LISTEN on a connection of its own taken
// out of the pool (closed when Listen returns). SQLite runs one node, so
// its signals never leave the process: ErrNoListen.
func (s *ChatStore) Listen(ctx context.Context, ready func(), fn func(string)) error {
	if s.db.pg == nil {
		return chat.ErrNoListen
	}
	pc, err := s.db.pg.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: chat listen: %w", err)
	}
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+chatChannel); err != nil {
		return fmt.Errorf("sqlstore: chat listen: %w", err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("sqlstore: chat listen: %w", err)
		}
		fn(n.Payload)
	}
}

type chatTx struct{ supportTx }

const chatColumns = `c.id, c.ticket_id, c.customer_id, c.agent_id, c.status, c.last_seq, c.language, c.customer_typing,
	c.agent_typing, c.created_at, c.updated_at, c.taken_at, c.ended_at, t.number, t.requester_email, t.subject`

const chatFrom = ` FROM chat_chats c JOIN support_tickets t ON t.id = c.ticket_id`

func scanChats(rows Rows) ([]chat.Chat, error) {
	defer rows.Close()
	var out []chat.Chat
	for rows.Next() {
		var (
			c                                              chat.Chat
			status                                         string
			ctyping, atyping, created, updated, taken, end int64
		)
		if err := rows.Scan(&c.ID, &c.TicketID, &c.CustomerID, &c.AgentID, &status, &c.LastSeq, &c.Language, &ctyping,
			&atyping, &created, &updated, &taken, &end, &c.TicketNumber, &c.CustomerEmail, &c.Subject); err != nil {
			return nil, err
		}
		c.Status = chat.Status(status)
		c.CustomerTyping, c.AgentTyping = fromNanos(ctyping), fromNanos(atyping)
		c.CreatedAt, c.UpdatedAt, c.TakenAt, c.EndedAt = fromNanos(created), fromNanos(updated), fromNanos(taken), fromNanos(end)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t chatTx) InsertChat(ctx context.Context, c chat.Chat) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO chat_chats (ticket_id, customer_id, agent_id, status, last_seq, language,
		customer_typing, agent_typing, created_at, updated_at, taken_at, ended_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		c.TicketID, c.CustomerID, c.AgentID, string(c.Status), c.LastSeq, c.Language, nanos(c.CustomerTyping), nanos(c.AgentTyping),
		nanos(c.CreatedAt), nanos(c.UpdatedAt), nanos(c.TakenAt), nanos(c.EndedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert chat: %w", err)
	}
	return id, nil
}

func (t chatTx) Chat(ctx context.Context, id int64) (chat.Chat, error) {
	rows, err := t.q.Query(ctx, `SELECT `+chatColumns+chatFrom+` WHERE c.id = $1`, id)
	if err != nil {
		return chat.Chat{}, fmt.Errorf("sqlstore: chat %d: %w", id, err)
	}
	cs, err := scanChats(rows)
	if err != nil {
		return chat.Chat{}, fmt.Errorf("sqlstore: chat %d: %w", id, err)
	}
	if len(cs) == 0 {
		return chat.Chat{}, chat.ErrNotFound
	}
	return cs[0], nil
}

func (t chatTx) SetTyping(ctx context.Context, id int64, customer bool, until time.Time) error {
	col := "agent_typing"
	if customer {
		col = "customer_typing"
	}
	if _, err := t.q.Exec(ctx, `UPDATE chat_chats SET `+col+` = $1 WHERE id = $2`, nanos(until), id); err != nil {
		return fmt.Errorf("sqlstore: chat %d typing: %w", id, err)
	}
	return nil
}

func (t chatTx) TakeChat(ctx context.Context, id, agentID int64, at time.Time) (bool, error) {
	n, err := t.q.Exec(ctx, `UPDATE chat_chats SET agent_id = $1, status = $2, taken_at = $3, updated_at = $3
		WHERE id = $4 AND status = $5 AND agent_id = 0`, agentID, string(chat.StatusActive), nanos(at), id, string(chat.StatusWaiting))
	if err != nil {
		return false, fmt.Errorf("sqlstore: take chat %d: %w", id, err)
	}
	return n == 1, nil
}

func (t chatTx) NextSeq(ctx context.Context, id int64, at time.Time) (int64, chat.Status, error) {
	var (
		seq    int64
		status string
	)
	err := t.q.QueryRow(ctx, `UPDATE chat_chats SET last_seq = last_seq + 1, updated_at = $2 WHERE id = $1 RETURNING last_seq, status`,
		id, nanos(at)).Scan(&seq, &status)
	if errors.Is(err, ErrNoRows) {
		return 0, "", chat.ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("sqlstore: chat %d seq: %w", id, err)
	}
	return seq, chat.Status(status), nil
}

func (t chatTx) CloseChat(ctx context.Context, id int64, to chat.Status, at time.Time, from ...chat.Status) (bool, error) {
	args := []any{string(to), nanos(at), id}
	var ph []string
	for _, f := range from {
		args = append(args, string(f))
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	if len(ph) == 0 {
		return false, nil
	}
	n, err := t.q.Exec(ctx, `UPDATE chat_chats SET status = $1, updated_at = $2, ended_at = $2, customer_typing = 0, agent_typing = 0
		WHERE id = $3 AND status IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: chat %d status: %w", id, err)
	}
	return n == 1, nil
}

func (t chatTx) InsertChatMessage(ctx context.Context, m chat.Message) error {
	_, err := t.q.Exec(ctx, `INSERT INTO chat_messages (chat_id, seq, kind, author_id, body, event, detail, findings, client_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		m.ChatID, m.Seq, string(m.Kind), m.AuthorID, m.Body, m.Event, m.Detail, int64(m.Findings), m.ClientID, nanos(m.CreatedAt))
	if IsUniqueViolation(err) && m.ClientID != "" {
		return chat.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("sqlstore: insert chat message: %w", err)
	}
	return nil
}

const chatMessageColumns = `chat_id, seq, kind, author_id, body, event, detail, findings, client_id, created_at`

func scanChatMessages(rows Rows) ([]chat.Message, error) {
	defer rows.Close()
	var out []chat.Message
	for rows.Next() {
		var (
			m                 chat.Message
			kind              string
			findings, created int64
		)
		if err := rows.Scan(&m.ChatID, &m.Seq, &kind, &m.AuthorID, &m.Body, &m.Event, &m.Detail, &findings, &m.ClientID, &created); err != nil {
			return nil, err
		}
		m.Kind, m.Findings, m.CreatedAt = chat.Kind(kind), redact.Findings(findings), fromNanos(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t chatTx) MessageByClientID(ctx context.Context, chatID, authorID int64, clientID string) (chat.Message, error) {
	rows, err := t.q.Query(ctx, `SELECT `+chatMessageColumns+` FROM chat_messages
		WHERE chat_id = $1 AND author_id = $2 AND client_id = $3 AND client_id <> ''`, chatID, authorID, clientID)
	if err != nil {
		return chat.Message{}, fmt.Errorf("sqlstore: chat message: %w", err)
	}
	ms, err := scanChatMessages(rows)
	if err != nil {
		return chat.Message{}, fmt.Errorf("sqlstore: chat message: %w", err)
	}
	if len(ms) == 0 {
		return chat.Message{}, chat.ErrNotFound
	}
	return ms[0], nil
}

func (t chatTx) ChatMessages(ctx context.Context, chatID, after int64, limit int) ([]chat.Message, error) {
	rows, err := t.q.Query(ctx, `SELECT `+chatMessageColumns+` FROM chat_messages
		WHERE chat_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, chatID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: chat messages: %w", err)
	}
	ms, err := scanChatMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: chat messages: %w", err)
	}
	return ms, nil
}

func (t chatTx) Chats(ctx context.Context, statuses []chat.Status, customerID, agentID int64, limit int) ([]chat.Chat, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(statuses) > 0 {
		var ph []string
		for _, s := range statuses {
			ph = append(ph, arg(string(s)))
		}
		where = append(where, "c.status IN ("+strings.Join(ph, ", ")+")")
	}
	if customerID > 0 {
		where = append(where, "c.customer_id = "+arg(customerID))
	}
	if agentID > 0 {
		where = append(where, "c.agent_id = "+arg(agentID))
	}
	q := `SELECT ` + chatColumns + chatFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.created_at, c.id LIMIT " + arg(limit)
	rows, err := t.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: chats: %w", err)
	}
	cs, err := scanChats(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: chats: %w", err)
	}
	return cs, nil
}

func (t chatTx) LatestChat(ctx context.Context, customerID int64) (chat.Chat, error) {
	rows, err := t.q.Query(ctx, `SELECT `+chatColumns+chatFrom+` WHERE c.customer_id = $1 ORDER BY c.id DESC LIMIT 1`, customerID)
	if err != nil {
		return chat.Chat{}, fmt.Errorf("sqlstore: latest chat: %w", err)
	}
	cs, err := scanChats(rows)
	if err != nil {
		return chat.Chat{}, fmt.Errorf("sqlstore: latest chat: %w", err)
	}
	if len(cs) == 0 {
		return chat.Chat{}, chat.ErrNotFound
	}
	return cs[0], nil
}

func (t chatTx) Beat(ctx context.Context, agentID int64, at, expires time.Time) error {
	_, err := t.q.Exec(ctx, `INSERT INTO chat_agents (agent_id, seen_at, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (agent_id) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at`,
		agentID, nanos(at), nanos(expires))
	if err != nil {
		return fmt.Errorf("sqlstore: chat presence: %w", err)
	}
	return nil
}

func (t chatTx) AgentsOnline(ctx context.Context, at time.Time) (int, error) {
	var n int
	if err := t.q.QueryRow(ctx, `SELECT count(*) FROM chat_agents WHERE expires_at > $1`, nanos(at)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: agents online: %w", err)
	}
	return n, nil
}

func (t chatTx) Notify(ctx context.Context, payload string) error {
	if t.db.pg == nil {
		return nil // one node: the service wakes its own sockets after commit
	}
	if _, err := t.q.Exec(ctx, `SELECT pg_notify($1, $2)`, chatChannel, payload); err != nil {
		return fmt.Errorf("sqlstore: chat notify: %w", err)
	}
	return nil
}
