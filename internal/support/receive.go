package support

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/okpay/okpay/internal/inbound"
	"github.com/okpay/okpay/internal/redact"
)

// Length limits on what is stored.
const (
	MaxSubjectLen = 200   // runes
	MaxBodyLen    = 20000 // runes
)

// receiveMail implements ReceiveMail.
func (s *Service) receiveMail(ctx context.Context, m InboundMail) (Received, error) {
	from := strings.ToLower(strings.TrimSpace(m.From.Address))
	if from == "" || !strings.Contains(from, "@") {
		return Received{}, invalid("from", "invalid")
	}
	now := s.nowUTC()
	at := m.ReceivedAt.UTC()
	if m.ReceivedAt.IsZero() {
		at = now
	}
	subject, sf := redact.Text(clip(oneLine(inbound.CleanSubject(m.Subject)), MaxSubjectLen))
	text, tf := redact.Text(clip(m.Text, MaxBodyLen))
	name, _ := redact.Text(clip(oneLine(m.From.Name), 100))
	findings := sf | tf
	copied := func(tk Ticket) bool {
		return from == tk.RequesterEmail || slices.Contains(tk.Cc, from)
	}
	var res Received
	err := s.store.InTx(ctx, func(tx Tx) error {
		res = Received{}
		if m.MessageID != "" {
			if id, err := tx.TicketByMailID(ctx, []string{m.MessageID}); err == nil {
				tk, err := tx.Ticket(ctx, id)
				if err != nil {
					return err
				}
				res = Received{TicketID: tk.ID, Number: tk.Number, Duplicate: true}
				return nil
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		// 1. A Message-ID of the ticket's mail in In-Reply-To or References.
		var (
			tk    Ticket
			found bool
		)
		refs := append(slices.Clone(m.InReplyTo), reversed(m.References)...)
		if id, err := tx.TicketByMailID(ctx, refs); err == nil {
			if tk, err = tx.Ticket(ctx, id); err != nil {
				return err
			}
			found = true
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		// 2. "[#N]" in the subject, from the requester or someone copied.
		if !found {
			if n, ok := inbound.TicketNumber(m.Subject); ok {
				t, err := tx.TicketByNumber(ctx, n)
				switch {
				case err == nil && copied(t):
					tk, found = t, true
				case err != nil && !errors.Is(err, ErrNotFound):
					return err
				}
			}
		}
		// Follow merges to the surviving ticket.
		for i := 0; found && tk.MergedInto != 0 && i < 10; i++ {
			t, err := tx.TicketByNumber(ctx, tk.MergedInto)
			if err != nil {
				return err
			}
			tk = t
		}
		cust, err := tx.CustomerByEmail(ctx, from)
		registered := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		unverified := registered && !m.Verified
		if found && tk.Status == StatusClosed && !m.Automated {
			closed := tk.ClosedAt
			if closed.IsZero() {
				closed = tk.UpdatedAt
			}
			if at.Sub(closed) > s.cfg.ReopenWindow {
				res.LinkedTo = tk.Number
				found = false
			}
		}
		if !found {
			tk = Ticket{
				Subject: subject, Category: CatOther, Priority: PrioNormal, Status: StatusNew, Channel: ChannelEmail,
				Mailbox: m.Mailbox, RequesterEmail: from, RequesterName: name, Queue: QueueGeneral,
				Unverified: unverified, LinkedTo: res.LinkedTo, CreatedAt: at, UpdatedAt: now,
				Language: guessLanguage(m.Subject, m.Text),
			}
			if tk.Subject == "" {
				tk.Subject = "(no subject)"
			}
			if tk.Mailbox != MailboxComplaints {
				tk.Mailbox = MailboxSupport
			}
			if tk.Mailbox == MailboxComplaints {
				tk.Category, tk.Queue = CatComplaint, QueueComplaints
			}
			if m.Urgent {
				tk.Priority = PrioHigh
			}
			if registered {
				tk.RequesterID = cust.ID
				if cust.Locale != "" {
					tk.Language = cust.Locale
				}
			}
			for _, c := range append(slices.Clone(m.To), m.Cc...) {
				c = strings.ToLower(strings.TrimSpace(c))
				if c != "" && c != from && c != strings.ToLower(s.cfg.SupportAddress.Address) && c != strings.ToLower(s.cfg.ComplaintsAddress.Address) && !slices.Contains(tk.Cc, c) && len(tk.Cc) < 10 {
					tk.Cc = append(tk.Cc, c)
				}
			}
			s.startClock(&tk, at)
			if tk.ID, tk.Number, err = tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			res.New = true
			if err := s.event(ctx, tx, tk.ID, 0, EventCreated, string(ChannelEmail)); err != nil {
				return err
			}
			if res.LinkedTo != 0 {
				if err := s.event(ctx, tx, tk.ID, 0, EventLinked, "#"+itoa(res.LinkedTo)); err != nil {
					return err
				}
			}
		} else if !m.Automated {
			switch tk.Status {
			case StatusSolved, StatusClosed:
				tk.Status, tk.SolvedAt, tk.ClosedAt = StatusOpen, zeroTime, zeroTime
				tk.Escalated &^= EscalatedResolve
				t := targetOf(tk)
				tk.ResolveDue = s.cal.AddBusinessTime(at, t.Resolution).UTC()
				tk.PausedAt = zeroTime
				res.Reopened = true
				if err := s.event(ctx, tx, tk.ID, 0, EventReopened, ""); err != nil {
					return err
				}
			case StatusWaiting:
				tk.Status = StatusOpen
				s.resume(&tk, now)
				if err := s.event(ctx, tx, tk.ID, 0, EventStatus, string(StatusOpen)); err != nil {
					return err
				}
			}
			if unverified && tk.RequesterID == cust.ID {
				tk.Unverified = true
			}
			tk.UpdatedAt = now
			if err := tx.UpdateTicket(ctx, tk); err != nil {
				return err
			}
		}
		if unverified {
			if err := s.event(ctx, tx, tk.ID, 0, EventUnverified, from); err != nil {
				return err
			}
		}
		if m.Automated {
			if err := s.event(ctx, tx, tk.ID, 0, EventAutomated, ""); err != nil {
				return err
			}
			if res.New {
				tk.Acknowledged = true // never answer an autoresponder
				if err := tx.UpdateTicket(ctx, tk); err != nil {
					return err
				}
			}
		}
		msg := Message{TicketID: tk.ID, Kind: KindCustomer, AuthorEmail: from, Body: text, MailID: m.MessageID,
			Findings: findings, RawID: m.RawID, CreatedAt: at}
		if registered && cust.ID == tk.RequesterID {
			msg.AuthorID = cust.ID
		}
		if msg.ID, err = tx.InsertMessage(ctx, msg); err != nil {
			return err
		}
		refused, err := s.storeAttachments(ctx, tx, tk.ID, msg.ID, m.Attachments, false)
		if err != nil {
			return err
		}
		for _, r := range refused {
			if err := s.event(ctx, tx, tk.ID, 0, "attachment_refused", r); err != nil {
				return err
			}
		}
		if findings != 0 {
			if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, findings.String()); err != nil {
				return err
			}
		}
		res.TicketID, res.Number = tk.ID, tk.Number
		return nil
	})
	if errors.Is(err, ErrDuplicate) {
		// A concurrent delivery of the same mail won the race.
		return s.receiveMail(ctx, m)
	}
	return res, err
}

func reversed(ss []string) []string {
	out := slices.Clone(ss)
	slices.Reverse(out)
	return out
}
