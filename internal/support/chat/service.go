package chat

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/web/i18n"
)

// Started is what Start did.
type Started struct {
	Chat Chat
	// Queued: no agent online or outside hours; the chat went to the
	// ticket queue (Reason says why) and the customer was mailed.
	Queued   bool
	Reason   string
	Findings redact.Findings // masked in the first message: tell the customer
}

// Availability says whether a chat started now would reach an agent.
type Availability struct {
	Open   bool // within service hours
	Agents int  // agents online
}

// Reachable reports whether a new chat would wait for an agent rather
// than go to the ticket queue.
func (a Availability) Reachable() bool { return a.Open && a.Agents > 0 }

// Available tells whether chat is staffed right now.
func (s *Service) Available(ctx context.Context) (Availability, error) {
	now := s.nowUTC()
	av := Availability{Open: s.hours.Open(now)}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		av.Agents, err = tx.AgentsOnline(ctx, now)
		return err
	})
	return av, err
}

// Start opens a chat for the signed-in customer with their first message,
// kept on a new ticket. Within hours and with an agent online it waits
// for an agent; otherwise it goes straight to the ticket queue and the
// customer is told (on the page and by mail). A customer with a chat
// still open gets that chat back, the message added to it.
// Errors: ErrForbidden, ErrEmpty, ErrTooLong, ErrRateLimited.
func (s *Service) Start(ctx context.Context, a auth.Actor, text, clientID string) (Started, error) {
	if a.UserID <= 0 {
		return Started{}, ErrForbidden
	}
	body, f, err := clean(text)
	if err != nil {
		return Started{}, err
	}
	clientID = cleanClientID(clientID)
	now := s.nowUTC()
	open := s.hours.Open(now)
	var out Started
	var payloads []string
	err = s.store.InTx(ctx, func(tx Tx) error {
		if c, err := tx.LatestChat(ctx, a.UserID); err == nil && c.Status.Open() {
			m, err := s.post(ctx, tx, c, KindCustomer, a.UserID, body, f, clientID)
			if err != nil {
				return err
			}
			out = Started{Chat: c, Findings: m.Findings}
			payloads = []string{chatPayload(c.ID)}
			return nil
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		n, err := tx.Hit(ctx, "chat.start:"+strconv.FormatInt(a.UserID, 10), now, now.Add(-hour))
		if err != nil {
			return err
		}
		if n > s.startMax {
			return ErrRateLimited
		}
		agents, err := tx.AgentsOnline(ctx, now)
		if err != nil {
			return err
		}
		tk, err := s.desk.OpenChat(ctx, tx, a.UserID, body, f)
		if err != nil {
			return err
		}
		c := Chat{TicketID: tk.ID, CustomerID: a.UserID, Status: StatusWaiting, Language: tk.Language, CreatedAt: now, UpdatedAt: now,
			TicketNumber: tk.Number, CustomerEmail: tk.RequesterEmail}
		if c.ID, err = tx.InsertChat(ctx, c); err != nil {
			return err
		}
		if _, err := s.append(ctx, tx, &c, Message{Kind: KindCustomer, AuthorID: a.UserID, Body: body, Findings: f, ClientID: clientID}); err != nil {
			return err
		}
		out = Started{Chat: c, Findings: f}
		switch {
		case !open:
			out.Queued, out.Reason = true, ReasonHours
		case agents == 0:
			out.Queued, out.Reason = true, ReasonAgents
		}
		if out.Queued {
			if _, err := s.queue(ctx, tx, &c, out.Reason); err != nil {
				return err
			}
		} else if _, err := s.append(ctx, tx, &c, Message{Kind: KindSystem, Event: EventWaiting}); err != nil {
			return err
		}
		out.Chat = c
		payloads = []string{chatPayload(c.ID), queuePayload}
		return s.notify(ctx, tx, payloads...)
	})
	if err != nil {
		return Started{}, err
	}
	s.publish(payloads...)
	return out, nil
}

const hour = time.Hour

var zero time.Time

// queue sends a waiting chat c to the ticket queue: the customer is told
// in the chat and by mail, and the chat is over. It reports false, doing
// nothing, when c was no longer waiting (taken or queued meanwhile).
func (s *Service) queue(ctx context.Context, tx Tx, c *Chat, reason string) (bool, error) {
	now := s.nowUTC()
	if won, err := tx.CloseChat(ctx, c.ID, StatusTicket, now, StatusWaiting); err != nil || !won {
		return false, err
	}
	c.Status, c.EndedAt, c.CustomerTyping, c.AgentTyping = StatusTicket, now, zero, zero
	if _, err := s.desk.ChatQueued(ctx, tx, c.TicketID); err != nil {
		return false, err
	}
	if _, err := s.append(ctx, tx, c, Message{Kind: KindSystem, Event: EventQueued, Detail: reason}); err != nil {
		return false, err
	}
	return true, nil
}

// append stores m as c's next message (c.LastSeq moves on).
func (s *Service) append(ctx context.Context, tx Tx, c *Chat, m Message) (Message, error) {
	now := s.nowUTC()
	seq, st, err := tx.NextSeq(ctx, c.ID, now)
	if err != nil {
		return Message{}, err
	}
	// The chat row is locked from here: a person's message in a chat
	// that ended meanwhile (read before the lock) is refused.
	if m.Kind != KindSystem && !st.Open() {
		return Message{}, ErrState
	}
	m.ChatID, m.Seq, m.CreatedAt = c.ID, seq, now
	if err := tx.InsertChatMessage(ctx, m); err != nil {
		return Message{}, err
	}
	c.LastSeq, c.UpdatedAt = seq, now
	return m, nil
}

// post stores a person's message in c and its line on the ticket. A
// client id already stored returns that message instead (a resend).
func (s *Service) post(ctx context.Context, tx Tx, c Chat, k Kind, author int64, body string, f redact.Findings, clientID string) (Message, error) {
	if clientID != "" {
		m, err := tx.MessageByClientID(ctx, c.ID, author, clientID)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Message{}, err
		}
	}
	m, err := s.append(ctx, tx, &c, Message{Kind: k, AuthorID: author, Body: body, Findings: f, ClientID: clientID})
	if err != nil {
		return Message{}, err
	}
	if err := s.desk.ChatLine(ctx, tx, c.TicketID, k == KindAgent, author, body, f); err != nil {
		return Message{}, err
	}
	// Sending a message ends "typing".
	if err := tx.SetTyping(ctx, c.ID, k == KindCustomer, zero); err != nil {
		return Message{}, err
	}
	return m, tx.Notify(ctx, chatPayload(c.ID))
}

// Post writes a message in a chat as its customer or as the agent who
// took it, and returns it as stored (masked). A clientID already used by
// the same author returns the stored message and writes nothing, so a
// client may resend what it is unsure arrived.
// Errors: ErrNotFound, ErrState, ErrEmpty, ErrTooLong.
func (s *Service) Post(ctx context.Context, a auth.Actor, chatID int64, text, clientID string) (Message, error) {
	body, f, err := clean(text)
	if err != nil {
		return Message{}, err
	}
	clientID = cleanClientID(clientID)
	var m Message
	for try := 0; ; try++ {
		err = s.postTx(ctx, a, chatID, body, f, clientID, &m)
		// The same message sent twice at once (a resend racing the
		// original): the second finds the first stored on its retry.
		if !errors.Is(err, ErrDuplicate) || try > 0 {
			break
		}
	}
	if err != nil {
		return Message{}, err
	}
	s.publish(chatPayload(chatID))
	return m, nil
}

func (s *Service) postTx(ctx context.Context, a auth.Actor, chatID int64, body string, f redact.Findings, clientID string, out *Message) error {
	var m Message
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if !canSee(a, c) {
			return ErrNotFound
		}
		k, ok := side(a, c)
		if !ok || !c.Status.Open() {
			if clientID != "" && ok {
				// A resend of a message stored before the chat ended.
				if old, err := tx.MessageByClientID(ctx, c.ID, a.UserID, clientID); err == nil {
					m = old
					return nil
				}
			}
			return ErrState
		}
		m, err = s.post(ctx, tx, c, k, a.UserID, body, f, clientID)
		return err
	})
	*out = m
	return err
}

// Typing tells the other side that a is typing in the chat.
// Errors: ErrNotFound, ErrState.
func (s *Service) Typing(ctx context.Context, a auth.Actor, chatID int64) error {
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if !canSee(a, c) {
			return ErrNotFound
		}
		k, ok := side(a, c)
		if !ok || !c.Status.Open() {
			return ErrState
		}
		if err := tx.SetTyping(ctx, c.ID, k == KindCustomer, s.nowUTC().Add(s.typing)); err != nil {
			return err
		}
		return tx.Notify(ctx, chatPayload(c.ID))
	})
	if err == nil {
		s.publish(chatPayload(chatID))
	}
	return err
}

// Take gives a waiting chat to the agent a. Only one agent wins; the
// others get ErrState. Errors: ErrForbidden, ErrNotFound, ErrState.
func (s *Service) Take(ctx context.Context, a auth.Actor, chatID int64) (Chat, error) {
	if !IsStaff(a) {
		return Chat{}, ErrForbidden
	}
	var c Chat
	err := s.store.InTx(ctx, func(tx Tx) error {
		won, err := tx.TakeChat(ctx, chatID, a.UserID, s.nowUTC())
		if err != nil {
			return err
		}
		if c, err = tx.Chat(ctx, chatID); err != nil {
			return err
		}
		if !won {
			return ErrState
		}
		if _, err := s.append(ctx, tx, &c, Message{Kind: KindSystem, Event: EventJoined, AuthorID: a.UserID}); err != nil {
			return err
		}
		if err := s.desk.ChatTaken(ctx, tx, c.TicketID, a.UserID); err != nil {
			return err
		}
		return s.notify(ctx, tx, chatPayload(chatID), queuePayload)
	})
	if err != nil {
		return Chat{}, err
	}
	s.publish(chatPayload(chatID), queuePayload)
	return c, nil
}

// End ends a chat, by its customer or its agent. The ticket is solved
// when an agent answered; otherwise it stays in the queue.
// Errors: ErrNotFound, ErrState.
func (s *Service) End(ctx context.Context, a auth.Actor, chatID int64) error {
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if !canSee(a, c) {
			return ErrNotFound
		}
		k, ok := side(a, c)
		if !ok {
			return ErrState
		}
		if !c.Status.Open() {
			return nil // already over: ending twice is harmless
		}
		// Both sides may end it at once: one wins, the other has nothing
		// left to do.
		if won, err := tx.CloseChat(ctx, c.ID, StatusEnded, s.nowUTC(), StatusWaiting, StatusActive); err != nil || !won {
			return err
		}
		if _, err := s.append(ctx, tx, &c, Message{Kind: KindSystem, Event: EventEnded, Detail: string(k), AuthorID: a.UserID}); err != nil {
			return err
		}
		if err := s.desk.ChatEnded(ctx, tx, c.TicketID, a.UserID); err != nil {
			return err
		}
		return s.notify(ctx, tx, chatPayload(chatID), queuePayload)
	})
	if err == nil {
		s.publish(chatPayload(chatID), queuePayload)
	}
	return err
}

// Requeue sends a chat still waiting to the ticket queue when no agent is
// online any more (their consoles closed or their nodes went away), and
// reports whether it did. Any node may call it; only one succeeds.
func (s *Service) Requeue(ctx context.Context, chatID int64) (bool, error) {
	now := s.nowUTC()
	done := false
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if c.Status != StatusWaiting {
			return nil
		}
		n, err := tx.AgentsOnline(ctx, now)
		if err != nil || n > 0 {
			return err
		}
		reason := ReasonAgents
		if !s.hours.Open(now) {
			reason = ReasonHours
		}
		// Another node may have requeued it, or an agent taken it,
		// since it was read: only one change wins.
		won, err := s.queue(ctx, tx, &c, reason)
		if err != nil || !won {
			return err
		}
		done = true
		return s.notify(ctx, tx, chatPayload(chatID), queuePayload)
	})
	if done && err == nil {
		s.publish(chatPayload(chatID), queuePayload)
	}
	return done && err == nil, err
}

// View is a chat as one reader sees it at a moment.
type View struct {
	Chat     Chat
	Messages []Message // after the seq asked for
	// OtherTyping: the other side is typing.
	OtherTyping bool
	// Side: how the reader writes here (customer, agent), or "" for
	// staff who only read.
	Side Kind
}

// MaxBatch is the most messages one Since returns; a client with more to
// catch up asks again from the last it got.
const MaxBatch = 500

// Since returns the chat and its messages after seq after, for a reader
// who may see it. Errors: ErrNotFound.
func (s *Service) Since(ctx context.Context, a auth.Actor, chatID, after int64) (View, error) {
	var v View
	err := s.store.View(ctx, func(tx Tx) error {
		c, err := tx.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if !canSee(a, c) {
			return ErrNotFound
		}
		v.Chat = c
		v.Side, _ = side(a, c)
		if after < c.LastSeq {
			if v.Messages, err = tx.ChatMessages(ctx, chatID, max(after, 0), MaxBatch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	now := s.nowUTC()
	switch v.Side {
	case KindCustomer:
		v.OtherTyping = v.Chat.AgentTyping.After(now)
	default:
		v.OtherTyping = v.Chat.CustomerTyping.After(now)
	}
	return v, nil
}

// Current returns the signed-in customer's newest chat.
// Errors: ErrForbidden, ErrNotFound.
func (s *Service) Current(ctx context.Context, a auth.Actor) (Chat, error) {
	if a.UserID <= 0 {
		return Chat{}, ErrForbidden
	}
	var c Chat
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		c, err = tx.LatestChat(ctx, a.UserID)
		return err
	})
	return c, err
}

// Waiting lists the chats waiting for an agent, oldest first, for staff.
func (s *Service) Waiting(ctx context.Context, a auth.Actor) ([]Chat, error) {
	return s.list(ctx, a, []Status{StatusWaiting}, 0)
}

// Mine lists the chats the agent a took and that are still going.
func (s *Service) Mine(ctx context.Context, a auth.Actor) ([]Chat, error) {
	return s.list(ctx, a, []Status{StatusActive}, a.UserID)
}

func (s *Service) list(ctx context.Context, a auth.Actor, st []Status, agent int64) ([]Chat, error) {
	if !IsStaff(a) {
		return nil, ErrForbidden
	}
	var cs []Chat
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		cs, err = tx.Chats(ctx, st, 0, agent, 200)
		return err
	})
	return cs, err
}

// Online records that the agent a is available for chat for the next
// presence period; a console calls it every Heartbeat.
func (s *Service) Online(ctx context.Context, a auth.Actor) error {
	if !IsStaff(a) {
		return ErrForbidden
	}
	now := s.nowUTC()
	return s.store.InTx(ctx, func(tx Tx) error { return tx.Beat(ctx, a.UserID, now, now.Add(s.presence)) })
}

// Transcript mails the chat's transcript to the customer's registered
// address (never to another), threaded on its ticket, and says so in the
// chat. Errors: ErrNotFound, ErrRateLimited.
func (s *Service) Transcript(ctx context.Context, a auth.Actor, chatID int64) error {
	now := s.nowUTC()
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if !canSee(a, c) {
			return ErrNotFound
		}
		n, err := tx.Hit(ctx, "chat.transcript:"+strconv.FormatInt(c.ID, 10), now, now.Add(-hour))
		if err != nil {
			return err
		}
		if n > s.trMax {
			return ErrRateLimited
		}
		msgs, err := tx.ChatMessages(ctx, c.ID, 0, 100000)
		if err != nil {
			return err
		}
		text, err := s.transcript(c, msgs)
		if err != nil {
			return err
		}
		if _, err := s.desk.ChatTranscript(ctx, tx, c.TicketID, text); err != nil {
			return err
		}
		if _, err := s.append(ctx, tx, &c, Message{Kind: KindSystem, Event: EventTranscript, AuthorID: a.UserID}); err != nil {
			return err
		}
		return tx.Notify(ctx, chatPayload(c.ID))
	})
	if err == nil {
		s.publish(chatPayload(chatID))
	}
	return err
}

func (s *Service) notify(ctx context.Context, tx Tx, payloads ...string) error {
	for _, p := range payloads {
		if err := tx.Notify(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// transcript writes the chat as plain text in its language.
func (s *Service) transcript(c Chat, msgs []Message) (string, error) {
	l, err := i18n.For(c.Language)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(l.T("chat.transcript.head", "number", c.TicketNumber) + "\n\n")
	for _, m := range msgs {
		at := l.DateTime(s.desk.ChatClock(m.CreatedAt))
		switch m.Kind {
		case KindCustomer:
			b.WriteString(at + "  " + l.T("chat.who.customer") + ": " + m.Body + "\n")
		case KindAgent:
			b.WriteString(at + "  " + l.T("chat.who.agent") + ": " + m.Body + "\n")
		default:
			b.WriteString(at + "  — " + EventText(l, c, m) + "\n")
		}
	}
	b.WriteString("\n" + l.T("chat.transcript.reminder"))
	return b.String(), nil
}
