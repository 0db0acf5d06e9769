package support

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/web/i18n"
)

// guessLanguage picks Chinese for text with Han characters, else English.
func guessLanguage(texts ...string) string {
	for _, t := range texts {
		for _, r := range t {
			if unicode.Is(unicode.Han, r) {
				return "zh-CN"
			}
		}
	}
	for _, t := range texts {
		if strings.TrimSpace(t) != "" {
			return "en"
		}
	}
	return "zh-CN"
}

// Subject is the subject of mail about a ticket: "[#10023] subject".
func Subject(number int64, subject string) string {
	return "[#" + strconv.FormatInt(number, 10) + "] " + subject
}

func (s *Service) mailbox(tk Ticket) mail.Address {
	if tk.Mailbox == MailboxComplaints {
		return s.cfg.ComplaintsAddress
	}
	return s.cfg.SupportAddress
}

// TicketURL is the customer's page of a ticket.
func (s *Service) TicketURL(number int64) string {
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/support/tickets/" + strconv.FormatInt(number, 10)
}

// outgoing is one mail the desk sends about a ticket.
type outgoing struct {
	kind     Kind // KindAgent (a person's reply) or KindAuto
	authorID int64
	body     string // what is recorded on the timeline (already redacted)
	text     string // the whole mail text
	to       []mail.Address
}

// send queues out threaded on tk (In-Reply-To the ticket's last
// Message-ID, References all of them, "[#N]" in the subject, Reply-To
// the mailbox) and records it on the timeline with its Message-ID, in tx.
func (s *Service) send(ctx context.Context, tx Tx, tk Ticket, out outgoing) (Message, error) {
	ids, err := tx.MailIDs(ctx, tk.ID)
	if err != nil {
		return Message{}, err
	}
	m := mail.Message{
		To:       out.to,
		ReplyTo:  []mail.Address{s.mailbox(tk)},
		Subject:  Subject(tk.Number, tk.Subject),
		Text:     out.text,
		Language: tk.Language,
		Personal: out.kind == KindAgent,
	}
	if len(m.To) == 0 {
		m.To = []mail.Address{{Name: tk.RequesterName, Address: tk.RequesterEmail}}
	}
	if n := len(ids); n > 0 {
		m.InReplyTo = ids[n-1]
		if n > 20 { // the first and the latest are what threading needs
			ids = append([]string{ids[0]}, ids[n-19:]...)
		}
		m.References = ids
	}
	st, err := s.outbox.Queue(ctx, tx.Outbox(), m)
	if err != nil {
		return Message{}, err
	}
	msg := Message{TicketID: tk.ID, Kind: out.kind, AuthorID: out.authorID, Body: out.body, MailID: st.MessageID, OutboxID: st.ID, CreatedAt: s.nowUTC()}
	msg.ID, err = tx.InsertMessage(ctx, msg)
	return msg, err
}

// footer is the end of every mail to a customer: where to see the
// ticket (registered customers) and the reminder never to send secrets.
func (s *Service) footer(l *i18n.Locale, tk Ticket) string {
	var b strings.Builder
	if tk.RequesterID > 0 {
		b.WriteString(l.T("support.mail.view", "link", s.TicketURL(tk.Number)) + "\n")
	}
	b.WriteString(l.T("support.mail.reply_hint", "number", tk.Number) + "\n")
	b.WriteString(l.T("support.mail.reminder") + "\n\n")
	b.WriteString(l.T("support.mail.signature"))
	return b.String()
}

// acknowledge implements Acknowledge.
func (s *Service) acknowledge(ctx context.Context, ticketID int64) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		tk, err := tx.Ticket(ctx, ticketID)
		if err != nil {
			return err
		}
		return s.ackTx(ctx, tx, &tk)
	})
}

// ackTx queues the acknowledgement of tk once.
func (s *Service) ackTx(ctx context.Context, tx Tx, tk *Ticket) error {
	if tk.Acknowledged || tk.RequesterEmail == "" {
		return nil
	}
	l, err := i18n.For(tk.Language)
	if err != nil {
		return err
	}
	msgs, err := tx.Messages(ctx, tk.ID)
	if err != nil {
		return err
	}
	var found bool
	for _, m := range msgs {
		if m.Kind == KindCustomer && m.Findings != 0 {
			found = true
		}
	}
	due := tk.FirstDue.In(s.cal.Location())
	var b strings.Builder
	b.WriteString(l.T("support.mail.greeting") + "\n\n")
	if tk.Queue == QueueComplaints {
		b.WriteString(l.T("support.mail.ack_complaint", "number", tk.Number) + "\n")
	} else {
		b.WriteString(l.T("support.mail.ack", "number", tk.Number) + "\n")
	}
	b.WriteString(l.T("support.mail.ack_due", "due", l.DateTime(due)) + "\n")
	if found {
		b.WriteString("\n" + l.T("support.mail.masked") + "\n")
		tk.Warned = true
	}
	b.WriteString("\n" + s.footer(l, *tk))
	if _, err := s.send(ctx, tx, *tk, outgoing{kind: KindAuto, body: l.T("support.mail.ack", "number", tk.Number), text: b.String()}); err != nil {
		return err
	}
	tk.Acknowledged = true
	return tx.UpdateTicket(ctx, *tk)
}

// replyText is the mail of an agent's reply: their words and the footer.
func (s *Service) replyText(tk Ticket, body string) (string, error) {
	l, err := i18n.For(tk.Language)
	if err != nil {
		return "", err
	}
	return body + "\n\n--\n" + s.footer(l, tk), nil
}

// notifySupervisors mails the supervisors that tk missed a target.
func (s *Service) notifySupervisors(ctx context.Context, tx Tx, tk Ticket, sups []Customer, which string) error {
	for _, u := range sups {
		l, err := i18n.For(u.Locale)
		if err != nil {
			return err
		}
		what := l.T("support.sla." + which)
		text := l.T("support.mail.breach", "number", tk.Number, "what", what, "subject", tk.Subject) + "\n\n" +
			strings.TrimRight(s.cfg.BaseURL, "/") + "/agent/tickets/" + strconv.FormatInt(tk.Number, 10)
		if _, err := s.outbox.Queue(ctx, tx.Outbox(), mail.Message{
			To:       []mail.Address{{Address: u.Email}},
			Subject:  Subject(tk.Number, l.T("support.mail.breach_subject", "what", what)),
			Text:     text,
			Language: l.Code(),
		}); err != nil {
			return err
		}
	}
	return nil
}

// markBounced implements MarkBounced.
func (s *Service) markBounced(ctx context.Context, outboxID int64, reason string) error {
	reason = clip(oneLine(reason), 300)
	if reason == "" {
		reason = "bounced"
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.MessageByOutbox(ctx, outboxID)
		if err == ErrNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if m.Bounced != "" {
			return nil
		}
		if err := tx.SetBounced(ctx, m.ID, reason); err != nil {
			return err
		}
		return s.event(ctx, tx, m.TicketID, 0, EventBounced, reason)
	})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n])
}

// event records an event on a ticket's timeline.
func (s *Service) event(ctx context.Context, tx Tx, ticketID, actor int64, ev, detail string) error {
	_, err := tx.InsertMessage(ctx, Message{TicketID: ticketID, Kind: KindEvent, AuthorID: actor, Event: ev, Detail: detail, CreatedAt: s.nowUTC()})
	return err
}

var _ = fmt.Sprint
var _ = time.Now
