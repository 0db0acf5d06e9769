package support

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/web/i18n"
)

// The desk's side of live chat (SUP-3, package support/chat): every chat
// is kept on a ticket of channel chat, and each chat message is also a
// line on that ticket's timeline, written in the chat's own transaction
// (tx is the chat store's, which is also a desk Tx). The texts passed in
// have already been through redact.Text.

// OpenChat opens the ticket a signed-in customer's chat is kept on, with
// the first message on its timeline, and starts its SLA clock.
// Errors: ErrNotFound (no such customer).
func (s *Service) OpenChat(ctx context.Context, tx Tx, customerID int64, first string, f redact.Findings) (Ticket, error) {
	c, err := tx.CustomerByID(ctx, customerID)
	if err != nil {
		return Ticket{}, err
	}
	now := s.nowUTC()
	lang := c.Locale
	if lang == "" {
		lang = guessLanguage(first)
	}
	l, err := i18n.For(lang)
	if err != nil {
		return Ticket{}, err
	}
	tk := Ticket{Subject: l.T("chat.ticket.subject", "text", clip(oneLine(first), 60)), Category: CatOther, Priority: PrioNormal,
		Status: StatusNew, Channel: ChannelChat, Mailbox: MailboxSupport, Queue: QueueGeneral, RequesterID: c.ID,
		RequesterEmail: c.Email, Language: l.Code(), CreatedAt: now, UpdatedAt: now}
	s.startClock(&tk, now)
	if tk.ID, tk.Number, err = tx.InsertTicket(ctx, tk); err != nil {
		return Ticket{}, err
	}
	if err := s.event(ctx, tx, tk.ID, c.ID, EventCreated, string(ChannelChat)); err != nil {
		return Ticket{}, err
	}
	if _, err := tx.InsertMessage(ctx, Message{TicketID: tk.ID, Kind: KindCustomer, AuthorID: c.ID, AuthorEmail: c.Email,
		Body: first, Findings: f, CreatedAt: now}); err != nil {
		return Ticket{}, err
	}
	if f != 0 {
		if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, f.String()); err != nil {
			return Ticket{}, err
		}
	}
	return tk, nil
}

// ChatLine records one chat message on the ticket's timeline. An agent's
// first line is the ticket's first response (SLA).
func (s *Service) ChatLine(ctx context.Context, tx Tx, ticketID int64, fromAgent bool, authorID int64, body string, f redact.Findings) error {
	tk, err := tx.Ticket(ctx, ticketID)
	if err != nil {
		return err
	}
	now := s.nowUTC()
	kind := KindCustomer
	if fromAgent {
		kind = KindAgent
		if tk.FirstResponseAt.IsZero() {
			tk.FirstResponseAt = now
		}
	}
	m := Message{TicketID: tk.ID, Kind: kind, AuthorID: authorID, Body: body, Findings: f, CreatedAt: now}
	if !fromAgent {
		m.AuthorEmail = tk.RequesterEmail
	}
	if _, err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	if f != 0 {
		if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, f.String()); err != nil {
			return err
		}
	}
	tk.UpdatedAt = now
	return tx.UpdateTicket(ctx, tk)
}

// ChatTaken assigns the chat's ticket to the agent who took the chat and
// opens it.
func (s *Service) ChatTaken(ctx context.Context, tx Tx, ticketID, agentID int64) error {
	tk, err := tx.Ticket(ctx, ticketID)
	if err != nil {
		return err
	}
	a, err := tx.CustomerByID(ctx, agentID)
	if err != nil {
		return err
	}
	tk.AssigneeID = agentID
	if err := s.event(ctx, tx, tk.ID, agentID, EventAssigned, a.Email); err != nil {
		return err
	}
	if err := s.setStatus(ctx, tx, &tk, auth.Actor{UserID: agentID}, StatusOpen); err != nil {
		return err
	}
	tk.UpdatedAt = s.nowUTC()
	return tx.UpdateTicket(ctx, tk)
}

// ChatQueued leaves the chat's ticket in the queue for an answer by mail
// (no agent was free, or it was outside hours) and acknowledges it to the
// customer by mail with the ticket number and the response target.
func (s *Service) ChatQueued(ctx context.Context, tx Tx, ticketID int64) (Ticket, error) {
	tk, err := tx.Ticket(ctx, ticketID)
	if err != nil {
		return Ticket{}, err
	}
	if err := s.ackTx(ctx, tx, &tk); err != nil {
		return Ticket{}, err
	}
	return tk, nil
}

// ChatEnded marks the chat's ticket solved when an agent answered in the
// chat; an unanswered one stays in the queue. by is who ended it.
func (s *Service) ChatEnded(ctx context.Context, tx Tx, ticketID, by int64) error {
	tk, err := tx.Ticket(ctx, ticketID)
	if err != nil {
		return err
	}
	if tk.FirstResponseAt.IsZero() || tk.Status.Done() {
		return nil
	}
	if err := s.setStatus(ctx, tx, &tk, auth.Actor{UserID: by}, StatusSolved); err != nil {
		return err
	}
	tk.UpdatedAt = s.nowUTC()
	return tx.UpdateTicket(ctx, tk)
}

// ChatTranscript queues text (a chat's transcript) to the ticket's
// requester, threaded on the ticket, and records it on the timeline.
func (s *Service) ChatTranscript(ctx context.Context, tx Tx, ticketID int64, text string) (Message, error) {
	tk, err := tx.Ticket(ctx, ticketID)
	if err != nil {
		return Message{}, err
	}
	l, err := i18n.For(tk.Language)
	if err != nil {
		return Message{}, err
	}
	body := l.T("chat.transcript.recorded")
	return s.send(ctx, tx, tk, outgoing{kind: KindAuto, body: body, text: text + "\n\n--\n" + s.footer(l, tk)})
}

// ChatClock returns t in the desk's calendar zone, for transcripts.
func (s *Service) ChatClock(t time.Time) time.Time { return t.In(s.cal.Location()) }
