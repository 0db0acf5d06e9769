package support

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
)

// Accounts are the account actions staff take from a ticket; auth
// provides them (see cmd/okpay wiring).
type Accounts interface {
	// Unlock clears the sign-in lock of the user, audited.
	Unlock(ctx context.Context, userID int64, by auth.Actor, reason, ip, userAgent string) error
	// SendReset mails a password reset link to the registered address.
	SendReset(ctx context.Context, email, ip, userAgent string) error
}

// RefChecker says whether ref is a movement of the user's wallet.
type RefChecker func(ctx context.Context, userID int64, ref string) (bool, error)

// NewTicket is a ticket opened from the web form.
type NewTicket struct {
	UserID      int64  // the signed-in customer, or 0 for a visitor
	Email, Name string // a visitor's
	Language    string // the page language, for mail to a visitor
	Category    Category
	Subject     string
	Body        string
	Attachments []Attachment
	Complaint   bool     // from the complaint form
	Refs        []string // transaction references a complaint names
	IP          string
}

// Opened is what Open did.
type Opened struct {
	Ticket   Ticket
	Findings redact.Findings // what the guard masked: tell the customer
}

func cleanText(field, s string, max int, multiline bool) (string, redact.Findings, error) {
	if !utf8.ValidString(s) {
		return "", 0, invalid(field, "invalid")
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !multiline {
		s = oneLine(s)
	}
	if s == "" {
		return "", 0, invalid(field, "required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", 0, invalid(field, "too_long")
	}
	out, f := redact.Text(s)
	return out, f, nil
}

func normEmail(s string) (string, error) {
	e, err := auth.NormalizeEmail(s)
	if err != nil {
		return "", invalid("email", "invalid")
	}
	return e, nil
}

// Open opens a ticket from the web form (a signed-in customer or a
// visitor with an email address) and queues its acknowledgement. Bad
// input changes nothing. Errors: *FieldError, ErrRateLimited.
func (s *Service) Open(ctx context.Context, n NewTicket) (Opened, error) {
	cat := n.Category
	if n.Complaint {
		cat = CatComplaint
	}
	if !cat.Valid() {
		return Opened{}, invalid("category", "required")
	}
	subject, sf, err := cleanText("subject", n.Subject, MaxSubjectLen, false)
	if err != nil {
		return Opened{}, err
	}
	body, bf, err := cleanText("body", n.Body, MaxBodyLen, true)
	if err != nil {
		return Opened{}, err
	}
	var email string
	if n.UserID == 0 {
		if email, err = normEmail(n.Email); err != nil {
			return Opened{}, err
		}
	}
	var refs []string
	for _, r := range n.Refs {
		r = strings.TrimSpace(r)
		if r == "" || slices.Contains(refs, r) {
			continue
		}
		if n.UserID == 0 {
			return Opened{}, invalid("reference", "sign_in")
		}
		if len(r) > 64 || len(refs) >= 10 {
			return Opened{}, invalid("reference", "unknown")
		}
		ok := false
		if s.refs != nil {
			if ok, err = s.refs(ctx, n.UserID, r); err != nil {
				return Opened{}, err
			}
		}
		if !ok {
			return Opened{}, invalid("reference", "unknown")
		}
		refs = append(refs, r)
	}
	for _, a := range n.Attachments {
		if _, _, err := checkAttachment(a); err != nil {
			return Opened{}, err
		}
	}
	if len(n.Attachments) > MaxAttachments {
		return Opened{}, invalid("attachment", "too_many")
	}
	now := s.nowUTC()
	var out Opened
	err = s.store.InTx(ctx, func(tx Tx) error {
		tk := Ticket{Subject: subject, Category: cat, Priority: PrioNormal, Status: StatusNew, Channel: ChannelWeb,
			Mailbox: MailboxSupport, Queue: QueueGeneral, CreatedAt: now, UpdatedAt: now, ComplaintRefs: refs,
			Language: n.Language}
		if cat == CatComplaint {
			tk.Mailbox, tk.Queue = MailboxComplaints, QueueComplaints
		}
		keys := []string{"ip:" + n.IP}
		limit := s.cfg.FormLimit
		if n.UserID > 0 {
			c, err := tx.CustomerByID(ctx, n.UserID)
			if err != nil {
				return err
			}
			tk.RequesterID, tk.RequesterEmail, tk.Language = c.ID, c.Email, c.Locale
			keys, limit = []string{"user:" + itoa(c.ID)}, limit*4
		} else {
			name, _ := redact.Text(clip(oneLine(n.Name), 100))
			tk.RequesterEmail, tk.RequesterName = email, name
			keys = append(keys, "email:"+email)
			if c, err := tx.CustomerByEmail(ctx, email); err == nil {
				// The form does not prove who the visitor is: the
				// ticket stays the address's, unverified, and is
				// shown in the account only once they sign in.
				tk.Unverified = true
				_ = c
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		if tk.Language == "" {
			tk.Language = guessLanguage(subject, body)
		}
		msg, err := s.fileTicket(ctx, tx, &tk, formIntake{keys: keys, ip: n.IP, limit: limit, channel: ChannelWeb,
			author: n.UserID, body: body, findings: sf | bf, at: now})
		if err != nil {
			return err
		}
		if _, err := s.storeAttachments(ctx, tx, tk.ID, msg.ID, n.Attachments, true); err != nil {
			return err
		}
		if msg.Findings != 0 {
			if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, msg.Findings.String()); err != nil {
				return err
			}
		}
		if tk.Queue == QueueComplaints {
			if err := s.escalateComplaint(ctx, tx, tk); err != nil {
				return err
			}
		}
		if err := s.ackTx(ctx, tx, &tk); err != nil {
			return err
		}
		out = Opened{Ticket: tk, Findings: sf | bf}
		return nil
	})
	return out, err
}

// formIntake is a ticket arriving by a form (the web form or a callback
// request): who sent it, counted under keys against limit, and what.
type formIntake struct {
	keys     []string
	ip       string
	limit    int
	channel  Channel
	author   int64
	body     string
	findings redact.Findings
	at       time.Time
}

// fileTicket stores tk as a form brought it in: the sender's requests
// are counted first (ErrRateLimited past the limit), then the SLA clock
// starts and the ticket, its created event and the customer's first
// message are written. It returns that message.
func (s *Service) fileTicket(ctx context.Context, tx Tx, tk *Ticket, in formIntake) (Message, error) {
	for _, k := range in.keys {
		if in.ip == "" && k == "ip:" {
			continue
		}
		c, err := tx.Hit(ctx, "form:"+k, in.at, in.at.Add(-s.cfg.FormWindow))
		if err != nil {
			return Message{}, err
		}
		if c > in.limit {
			return Message{}, ErrRateLimited
		}
	}
	s.startClock(tk, in.at)
	var err error
	if tk.ID, tk.Number, err = tx.InsertTicket(ctx, *tk); err != nil {
		return Message{}, err
	}
	if err := s.event(ctx, tx, tk.ID, in.author, EventCreated, string(in.channel)); err != nil {
		return Message{}, err
	}
	msg := Message{TicketID: tk.ID, Kind: KindCustomer, AuthorID: in.author, AuthorEmail: tk.RequesterEmail, Body: in.body,
		Findings: in.findings, CreatedAt: in.at}
	msg.ID, err = tx.InsertMessage(ctx, msg)
	return msg, err
}

// escalateComplaint puts a new complaint before the supervisors.
func (s *Service) escalateComplaint(ctx context.Context, tx Tx, tk Ticket) error {
	sups, err := tx.Supervisors(ctx)
	if err != nil {
		return err
	}
	if err := s.event(ctx, tx, tk.ID, 0, EventEscalated, "complaint"); err != nil {
		return err
	}
	return s.notifySupervisors(ctx, tx, tk, sups, "complaint")
}

// ticketFor loads a ticket by number for a requester (the owner) or
// staff. Anyone else gets ErrNotFound, as if it did not exist.
func (s *Service) ticketFor(ctx context.Context, tx Tx, a auth.Actor, number int64) (Ticket, error) {
	if a.UserID <= 0 {
		return Ticket{}, ErrForbidden
	}
	tk, err := tx.TicketByNumber(ctx, number)
	if err != nil {
		return Ticket{}, err
	}
	if auth.Authorize(a, auth.ActionSupportWork, auth.Resource{Kind: "ticket"}) == nil {
		return tk, nil
	}
	if tk.RequesterID > 0 && auth.Authorize(a, auth.ActionView, auth.Resource{Kind: "ticket", OwnerID: tk.RequesterID}) == nil {
		return tk, nil
	}
	return Ticket{}, ErrNotFound
}

func isStaff(a auth.Actor) bool {
	return auth.Authorize(a, auth.ActionSupportWork, auth.Resource{Kind: "ticket"}) == nil
}

// MyTickets lists the signed-in customer's tickets.
func (s *Service) MyTickets(ctx context.Context, a auth.Actor) ([]Ticket, error) {
	if a.UserID <= 0 {
		return nil, ErrForbidden
	}
	var ts []Ticket
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		ts, err = tx.Tickets(ctx, Filter{RequesterID: a.UserID})
		return err
	})
	return ts, err
}

// View returns a ticket and its timeline as a's role may see it: the
// requester sees the public entries only; staff see everything.
// Errors: ErrNotFound (also for a ticket a may not see), ErrForbidden
// (not signed in).
func (s *Service) View(ctx context.Context, a auth.Actor, number int64) (Ticket, []Message, error) {
	var (
		tk   Ticket
		msgs []Message
	)
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if tk, err = s.ticketFor(ctx, tx, a, number); err != nil {
			return err
		}
		all, err := tx.Messages(ctx, tk.ID)
		if err != nil {
			return err
		}
		staff := isStaff(a)
		for _, m := range all {
			if staff || m.Public() {
				msgs = append(msgs, m)
			}
		}
		return nil
	})
	return tk, msgs, err
}

// OpenAttachment returns an attachment's bytes to someone who may see
// its ticket (and, for the requester, only on a public message).
// Errors: ErrNotFound.
func (s *Service) OpenAttachment(ctx context.Context, a auth.Actor, id int64) (AttachmentInfo, []byte, error) {
	var (
		info AttachmentInfo
		data []byte
	)
	err := s.store.View(ctx, func(tx Tx) error {
		var (
			sealed []byte
			err    error
		)
		info, sealed, err = tx.Attachment(ctx, id)
		if err != nil {
			return err
		}
		tk, err := tx.Ticket(ctx, info.TicketID)
		if err != nil {
			return err
		}
		if _, err := s.ticketFor(ctx, tx, a, tk.Number); err != nil {
			return ErrNotFound
		}
		if !isStaff(a) {
			msgs, err := tx.Messages(ctx, tk.ID)
			if err != nil {
				return err
			}
			public := false
			for _, m := range msgs {
				if m.ID == info.MessageID && m.Public() {
					public = true
				}
			}
			if !public {
				return ErrNotFound
			}
		}
		data, err = s.box.Open(sealed, attachmentAD(info.MessageID))
		return err
	})
	if errors.Is(err, ErrForbidden) {
		err = ErrNotFound
	}
	return info, data, err
}

// CustomerReply adds the requester's answer from the web: it reopens a
// solved ticket (or a closed one within the reopen window) and restarts
// the clock of one waiting on them. Errors: *FieldError, ErrNotFound,
// ErrState (closed too long ago: open a new ticket).
func (s *Service) CustomerReply(ctx context.Context, a auth.Actor, number int64, text string, as []Attachment) (redact.Findings, error) {
	body, f, err := cleanText("body", text, MaxBodyLen, true)
	if err != nil {
		return 0, err
	}
	for _, at := range as {
		if _, _, err := checkAttachment(at); err != nil {
			return 0, err
		}
	}
	now := s.nowUTC()
	err = s.store.InTx(ctx, func(tx Tx) error {
		tk, err := s.ticketFor(ctx, tx, a, number)
		if err != nil {
			return err
		}
		if tk.RequesterID != a.UserID || tk.MergedInto != 0 {
			return ErrNotFound
		}
		switch tk.Status {
		case StatusClosed:
			if now.Sub(tk.ClosedAt) > s.cfg.ReopenWindow {
				return ErrState
			}
			fallthrough
		case StatusSolved:
			tk.Status, tk.SolvedAt, tk.ClosedAt = StatusOpen, zeroTime, zeroTime
			tk.Escalated &^= EscalatedResolve
			tk.ResolveDue = s.cal.AddBusinessTime(now, targetOf(tk).Resolution).UTC()
			tk.PausedAt = zeroTime
			if err := s.event(ctx, tx, tk.ID, a.UserID, EventReopened, ""); err != nil {
				return err
			}
		case StatusWaiting:
			tk.Status = StatusOpen
			s.resume(&tk, now)
		}
		tk.UpdatedAt = now
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		msg := Message{TicketID: tk.ID, Kind: KindCustomer, AuthorID: a.UserID, AuthorEmail: tk.RequesterEmail, Body: body, Findings: f, CreatedAt: now}
		if msg.ID, err = tx.InsertMessage(ctx, msg); err != nil {
			return err
		}
		if _, err := s.storeAttachments(ctx, tx, tk.ID, msg.ID, as, true); err != nil {
			return err
		}
		if f != 0 {
			return s.event(ctx, tx, tk.ID, 0, EventRedacted, f.String())
		}
		return nil
	})
	return f, err
}

// Rate records the requester's rating (1–5) of a solved or closed
// ticket, once. Errors: *FieldError, ErrNotFound, ErrState.
func (s *Service) Rate(ctx context.Context, a auth.Actor, number int64, rating int, comment string) error {
	if rating < 1 || rating > 5 {
		return invalid("rating", "invalid")
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 1000 || !utf8.ValidString(comment) {
		return invalid("comment", "too_long")
	}
	comment, _ = redact.Text(comment)
	return s.store.InTx(ctx, func(tx Tx) error {
		tk, err := s.ticketFor(ctx, tx, a, number)
		if err != nil {
			return err
		}
		if tk.RequesterID != a.UserID {
			return ErrNotFound
		}
		if !tk.Status.Done() || tk.Rating != 0 {
			return ErrState
		}
		tk.Rating, tk.RatingComment, tk.UpdatedAt = rating, comment, s.nowUTC()
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		return s.event(ctx, tx, tk.ID, a.UserID, EventRated, itoa(int64(rating)))
	})
}

// ConfirmAction lets the requester, signed in, confirm the account
// action an unverified mail asked for (ActionUnlock). Errors:
// ErrNotFound, ErrState (nothing waits for confirmation).
func (s *Service) ConfirmAction(ctx context.Context, a auth.Actor, number int64, ip, userAgent string) error {
	var tk Ticket
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		tk, err = s.ticketFor(ctx, tx, a, number)
		return err
	})
	if err != nil {
		return err
	}
	if tk.RequesterID != a.UserID {
		return ErrNotFound
	}
	if tk.PendingAction != ActionUnlock || s.accounts == nil {
		return ErrState
	}
	// The account service runs its own transaction (audited there).
	if err := s.accounts.Unlock(ctx, tk.RequesterID, a, "support #"+itoa(tk.Number)+" confirmed by the customer", ip, userAgent); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		tk, err := tx.Ticket(ctx, tk.ID)
		if err != nil {
			return err
		}
		tk.PendingAction, tk.UpdatedAt = "", s.nowUTC()
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		return s.event(ctx, tx, tk.ID, a.UserID, EventUnlocked, "customer")
	})
}
