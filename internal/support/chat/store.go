package chat

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/support"
)

// Store runs the chat's transactions; sqlstore implements it (DB.Chat).
type Store interface {
	// InTx runs fn in one read-write transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// View runs fn on a read-only view.
	View(ctx context.Context, fn func(Tx) error) error
	// Listen calls fn with each payload any node's Tx.Notify published
	// (after that transaction committed) until ctx ends or the
	// connection fails; ready is called once it listens. Errors:
	// ErrNoListen on a store whose signals stay in the process.
	Listen(ctx context.Context, ready func(), fn func(payload string)) error
}

// Tx is the chat's view of one transaction. It is also the desk's, so a
// chat message and its line on the ticket are written together.
type Tx interface {
	support.Tx

	// InsertChat stores c (ID ignored) and returns its id.
	InsertChat(ctx context.Context, c Chat) (int64, error)
	// Chat returns a chat with its ticket number and customer address.
	// Errors: ErrNotFound.
	Chat(ctx context.Context, id int64) (Chat, error)
	// SetTyping records until when one side (the customer's, or the
	// agent's) is typing; the zero time clears it.
	SetTyping(ctx context.Context, id int64, customer bool, until time.Time) error
	// TakeChat gives a waiting chat to agentID and reports whether it
	// was still waiting (only one agent can win).
	TakeChat(ctx context.Context, id, agentID int64, at time.Time) (bool, error)
	// NextSeq increments the chat's last seq and returns it with the
	// chat's status as of that moment; the row stays locked until the
	// transaction ends, so seqs are handed out in commit order.
	NextSeq(ctx context.Context, id int64, at time.Time) (int64, Status, error)
	// CloseChat moves the chat from one of the statuses from to the
	// closed status to (ended, ticket) at at, clearing typing, and reports
	// whether it was in one of them: of racing changes only one wins.
	CloseChat(ctx context.Context, id int64, to Status, at time.Time, from ...Status) (bool, error)
	// InsertMessage stores m. Errors: ErrDuplicate (client id taken).
	InsertChatMessage(ctx context.Context, m Message) error
	// MessageByClientID finds a message by its sender's id for it.
	// Errors: ErrNotFound.
	MessageByClientID(ctx context.Context, chatID, authorID int64, clientID string) (Message, error)
	// ChatMessages lists up to limit messages with seq > after, in seq
	// order.
	ChatMessages(ctx context.Context, chatID, after int64, limit int) ([]Message, error)
	// Chats lists chats in one of statuses, oldest first; customerID or
	// agentID > 0 narrow it to theirs.
	Chats(ctx context.Context, statuses []Status, customerID, agentID int64, limit int) ([]Chat, error)
	// LatestChat returns the customer's newest chat. Errors: ErrNotFound.
	LatestChat(ctx context.Context, customerID int64) (Chat, error)
	// Beat records that agentID is online until expires.
	Beat(ctx context.Context, agentID int64, at, expires time.Time) error
	// AgentsOnline counts agents whose presence has not expired at at.
	AgentsOnline(ctx context.Context, at time.Time) (int, error)
	// Notify publishes payload to every node once the transaction
	// commits (nothing, for a rollback).
	Notify(ctx context.Context, payload string) error
}
