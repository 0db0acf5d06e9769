package support

import (
	"context"
	"errors"
	"strings"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web/i18n"
)

// Queues of the console.
const (
	ViewMine       = "mine"
	ViewUnassigned = "unassigned"
	ViewUrgent     = "urgent"
	ViewBreaching  = "breaching"
	ViewComplaints = "complaints"
	ViewAll        = "all"
)

// Views lists the console's queues in order.
var Views = []string{ViewMine, ViewUnassigned, ViewUrgent, ViewBreaching, ViewComplaints, ViewAll}

func staffOnly(a auth.Actor, act auth.Action) error {
	if err := auth.Authorize(a, act, auth.Resource{Kind: "ticket"}); err != nil {
		return ErrForbidden
	}
	return nil
}

// Queue lists the tickets of one console queue, optionally searched
// (number, subject words, requester email). Staff only.
func (s *Service) Queue(ctx context.Context, a auth.Actor, view, query string) ([]Ticket, error) {
	if err := staffOnly(a, auth.ActionSupportWork); err != nil {
		return nil, err
	}
	open := []Status{StatusNew, StatusOpen, StatusWaiting}
	f := Filter{Query: query, Statuses: open}
	switch view {
	case ViewMine:
		f.AssigneeID = a.UserID
	case ViewUnassigned:
		f.Unassigned = true
	case ViewUrgent:
		f.Priorities = []Priority{PrioUrgent, PrioHigh}
	case ViewBreaching:
		// Due within the next business hour, or already missed.
		f.BreachingAt = s.cal.AddBusinessTime(s.nowUTC(), 60*60*1e9).UTC()
	case ViewComplaints:
		f.Queue = QueueComplaints
	case ViewAll:
		f.Statuses = nil
	default:
		return nil, invalid("view", "invalid")
	}
	if query != "" {
		f.Statuses = nil
	}
	var ts []Ticket
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		ts, err = tx.Tickets(ctx, f)
		return err
	})
	return ts, err
}

// CustomerContext returns the requester's context for the console.
func (s *Service) CustomerContext(ctx context.Context, a auth.Actor, tk Ticket) (CustomerContext, error) {
	if err := staffOnly(a, auth.ActionSupportWork); err != nil {
		return CustomerContext{}, err
	}
	c := CustomerContext{UserID: tk.RequesterID, Email: tk.RequesterEmail}
	if tk.RequesterID == 0 || s.ctxp == nil {
		return c, nil
	}
	err := s.ctxp.FillContext(ctx, tk.RequesterID, &c)
	return c, err
}

// staffTx loads a ticket for a staff action allowed by act.
func (s *Service) staffTx(ctx context.Context, a auth.Actor, act auth.Action, number int64, fn func(tx Tx, tk *Ticket) error) error {
	if err := staffOnly(a, act); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		tk, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		if err := fn(tx, &tk); err != nil {
			return err
		}
		tk.UpdatedAt = s.nowUTC()
		return tx.UpdateTicket(ctx, tk)
	})
}

// Reply is an agent's answer.
type Reply struct {
	Body string
	// Then is the status after the reply: waiting (the default: the
	// clock stops until the customer answers), open or solved.
	Then Status
}

// Reply sends an agent's answer to the requester (a personal mail,
// threaded) and records it. The first one stamps the first response.
// Errors: ErrForbidden, *FieldError, ErrNotFound, ErrState (merged).
func (s *Service) Reply(ctx context.Context, a auth.Actor, number int64, r Reply) (Message, error) {
	body, f, err := cleanText("body", r.Body, MaxBodyLen, true)
	if err != nil {
		return Message{}, err
	}
	then := r.Then
	if then == "" {
		then = StatusWaiting
	}
	if then != StatusWaiting && then != StatusOpen && then != StatusSolved {
		return Message{}, invalid("status", "invalid")
	}
	var msg Message
	err = s.staffTx(ctx, a, auth.ActionSupportWork, number, func(tx Tx, tk *Ticket) error {
		if tk.MergedInto != 0 {
			return ErrState
		}
		now := s.nowUTC()
		text, err := s.replyText(*tk, body)
		if err != nil {
			return err
		}
		if msg, err = s.send(ctx, tx, *tk, outgoing{kind: KindAgent, authorID: a.UserID, body: body, text: text}); err != nil {
			return err
		}
		if f != 0 {
			if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, f.String()); err != nil {
				return err
			}
		}
		if tk.FirstResponseAt.IsZero() {
			tk.FirstResponseAt = now
		}
		if tk.AssigneeID == 0 {
			tk.AssigneeID = a.UserID
		}
		return s.setStatus(ctx, tx, tk, a, then)
	})
	return msg, err
}

// setStatus moves tk to st, keeping the clock and timestamps right.
func (s *Service) setStatus(ctx context.Context, tx Tx, tk *Ticket, a auth.Actor, st Status) error {
	if tk.Status == st {
		return nil
	}
	now := s.nowUTC()
	if tk.Status == StatusWaiting {
		s.resume(tk, now)
	}
	switch st {
	case StatusWaiting:
		s.pause(tk, now)
	case StatusSolved:
		tk.SolvedAt = now
	case StatusClosed:
		if tk.SolvedAt.IsZero() {
			tk.SolvedAt = now
		}
		tk.ClosedAt = now
	case StatusOpen, StatusNew:
		tk.SolvedAt, tk.ClosedAt = zeroTime, zeroTime
	}
	tk.Status = st
	return s.event(ctx, tx, tk.ID, a.UserID, EventStatus, string(st))
}

// Note adds an internal note, which the customer never sees.
func (s *Service) Note(ctx context.Context, a auth.Actor, number int64, text string) error {
	body, _, err := cleanText("body", text, MaxBodyLen, true)
	if err != nil {
		return err
	}
	return s.staffTx(ctx, a, auth.ActionSupportWork, number, func(tx Tx, tk *Ticket) error {
		_, err := tx.InsertMessage(ctx, Message{TicketID: tk.ID, Kind: KindNote, AuthorID: a.UserID, Body: body, CreatedAt: s.nowUTC()})
		return err
	})
}

// Update changes a ticket's fields from the console; zero values leave
// a field alone. AssigneeID -1 unassigns.
type Update struct {
	Status     Status
	Priority   Priority
	Category   Category
	AssigneeID int64
	Tags       string // comma separated; "" leaves them
}

// Update applies u. Errors: ErrForbidden, *FieldError, ErrNotFound.
func (s *Service) Update(ctx context.Context, a auth.Actor, number int64, u Update) error {
	if u.Status != "" && !u.Status.Valid() {
		return invalid("status", "invalid")
	}
	if u.Priority != "" && !u.Priority.Valid() {
		return invalid("priority", "invalid")
	}
	if u.Category != "" && !u.Category.Valid() {
		return invalid("category", "invalid")
	}
	return s.staffTx(ctx, a, auth.ActionSupportWork, number, func(tx Tx, tk *Ticket) error {
		if u.AssigneeID > 0 && u.AssigneeID != tk.AssigneeID {
			c, err := tx.CustomerByID(ctx, u.AssigneeID)
			if err != nil || !auth.Role(c.Role).AtLeast(auth.RoleAgent) {
				return invalid("assignee", "invalid")
			}
			tk.AssigneeID = u.AssigneeID
			if err := s.event(ctx, tx, tk.ID, a.UserID, EventAssigned, c.Email); err != nil {
				return err
			}
		} else if u.AssigneeID < 0 && tk.AssigneeID != 0 {
			tk.AssigneeID = 0
			if err := s.event(ctx, tx, tk.ID, a.UserID, EventAssigned, ""); err != nil {
				return err
			}
		}
		if u.Priority != "" && u.Priority != tk.Priority {
			tk.Priority = u.Priority
			s.retarget(tk)
			if err := s.event(ctx, tx, tk.ID, a.UserID, EventPriority, string(u.Priority)); err != nil {
				return err
			}
		}
		if u.Category != "" {
			tk.Category = u.Category
		}
		if u.Tags != "" {
			tk.Tags = nil
			for _, t := range strings.Split(u.Tags, ",") {
				t = strings.ToLower(strings.TrimSpace(t))
				if t != "" && len(t) <= 32 && !strings.ContainsAny(t, ",") && len(tk.Tags) < 10 {
					tk.Tags = append(tk.Tags, t)
				}
			}
		}
		if u.Status != "" {
			return s.setStatus(ctx, tx, tk, a, u.Status)
		}
		return nil
	})
}

// Merge folds the duplicate ticket from into into: its timeline moves,
// it closes and points at into; later mail to it lands in into. Both
// must have the same requester. Errors: ErrForbidden, ErrNotFound,
// ErrState.
func (s *Service) Merge(ctx context.Context, a auth.Actor, from, into int64) error {
	if from == into {
		return ErrState
	}
	return s.staffTx(ctx, a, auth.ActionSupportWork, from, func(tx Tx, tk *Ticket) error {
		dst, err := tx.TicketByNumber(ctx, into)
		if err != nil {
			return err
		}
		if tk.MergedInto != 0 || dst.MergedInto != 0 || tk.RequesterEmail != dst.RequesterEmail {
			return ErrState
		}
		if err := tx.MoveMessages(ctx, tk.ID, dst.ID); err != nil {
			return err
		}
		tk.MergedInto = dst.Number
		if err := s.setStatus(ctx, tx, tk, a, StatusClosed); err != nil {
			return err
		}
		if err := s.event(ctx, tx, tk.ID, a.UserID, EventMerged, "#"+itoa(dst.Number)); err != nil {
			return err
		}
		return s.event(ctx, tx, dst.ID, a.UserID, EventMerged, "#"+itoa(tk.Number))
	})
}

// Outcome records a complaint's outcome and sends it to the customer;
// the complaint is solved. Supervisors only.
func (s *Service) Outcome(ctx context.Context, a auth.Actor, number int64, text string) error {
	body, _, err := cleanText("body", text, MaxBodyLen, true)
	if err != nil {
		return err
	}
	return s.staffTx(ctx, a, auth.ActionSupportSupervise, number, func(tx Tx, tk *Ticket) error {
		if tk.Queue != QueueComplaints || tk.Outcome != "" {
			return ErrState
		}
		l, err := i18n.For(tk.Language)
		if err != nil {
			return err
		}
		tk.Outcome = body
		intro := l.T("support.mail.outcome", "number", tk.Number)
		text := l.T("support.mail.greeting") + "\n\n" + intro + "\n\n" + body + "\n\n--\n" + s.footer(l, *tk)
		if _, err := s.send(ctx, tx, *tk, outgoing{kind: KindAuto, authorID: a.UserID, body: intro + "\n\n" + body, text: text}); err != nil {
			return err
		}
		if tk.FirstResponseAt.IsZero() {
			tk.FirstResponseAt = s.nowUTC()
		}
		if err := s.event(ctx, tx, tk.ID, a.UserID, EventOutcome, ""); err != nil {
			return err
		}
		return s.setStatus(ctx, tx, tk, a, StatusSolved)
	})
}

// Unlock unlocks the requester's sign-in. Supervisors only. On a ticket
// whose sender was not verified it does not unlock: it asks the
// customer to confirm from a signed-in session (ConfirmAction). It
// reports whether the account was unlocked now.
func (s *Service) Unlock(ctx context.Context, a auth.Actor, number int64, ip, userAgent string) (bool, error) {
	if err := staffOnly(a, auth.ActionSupportSupervise); err != nil {
		return false, err
	}
	if s.accounts == nil {
		return false, ErrState
	}
	var tk Ticket
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		tk, err = tx.TicketByNumber(ctx, number)
		return err
	})
	if err != nil {
		return false, err
	}
	if tk.RequesterID == 0 {
		return false, ErrState
	}
	if tk.Unverified {
		err := s.staffTx(ctx, a, auth.ActionSupportSupervise, number, func(tx Tx, tk *Ticket) error {
			tk.PendingAction = ActionUnlock
			if err := s.event(ctx, tx, tk.ID, a.UserID, EventUnlockAsked, ""); err != nil {
				return err
			}
			return audit.Record(ctx, tx.Audit(), audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), Action: "support_unlock_confirmation_asked",
				TargetType: "user", TargetID: itoa(tk.RequesterID), IP: ip, UserAgent: userAgent, Details: map[string]string{"ticket": itoa(tk.Number)}})
		})
		return false, err
	}
	if err := s.accounts.Unlock(ctx, tk.RequesterID, a, "support #"+itoa(tk.Number), ip, userAgent); err != nil {
		return false, err
	}
	err = s.staffTx(ctx, a, auth.ActionSupportSupervise, number, func(tx Tx, tk *Ticket) error {
		return s.event(ctx, tx, tk.ID, a.UserID, EventUnlocked, "")
	})
	return true, err
}

// SendReset mails a password reset link to the requester's registered
// address (never to another one, so a forged sender gains nothing).
func (s *Service) SendReset(ctx context.Context, a auth.Actor, number int64, ip, userAgent string) error {
	if err := staffOnly(a, auth.ActionSupportWork); err != nil {
		return err
	}
	if s.accounts == nil {
		return ErrState
	}
	var c Customer
	err := s.store.View(ctx, func(tx Tx) error {
		tk, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		if tk.RequesterID == 0 {
			return ErrState
		}
		c, err = tx.CustomerByID(ctx, tk.RequesterID)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.accounts.SendReset(ctx, c.Email, ip, userAgent); err != nil {
		return err
	}
	return s.staffTx(ctx, a, auth.ActionSupportWork, number, func(tx Tx, tk *Ticket) error {
		if err := s.event(ctx, tx, tk.ID, a.UserID, EventResetSent, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Audit(), audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), Action: "support_reset_link_sent",
			TargetType: "user", TargetID: itoa(c.ID), IP: ip, UserAgent: userAgent, Details: map[string]string{"ticket": itoa(tk.Number)}})
	})
}

// CannedReplies lists the canned replies. Staff only.
func (s *Service) CannedReplies(ctx context.Context, a auth.Actor) ([]Canned, error) {
	if err := staffOnly(a, auth.ActionSupportWork); err != nil {
		return nil, err
	}
	var cs []Canned
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		cs, err = tx.CannedReplies(ctx)
		return err
	})
	return cs, err
}

// AddCanned adds a canned reply. Supervisors only.
func (s *Service) AddCanned(ctx context.Context, a auth.Actor, c Canned) (int64, error) {
	if err := staffOnly(a, auth.ActionSupportSupervise); err != nil {
		return 0, err
	}
	title, _, err := cleanText("title", c.Title, 100, false)
	if err != nil {
		return 0, err
	}
	body, _, err := cleanText("body", c.Body, MaxBodyLen, true)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.store.InTx(ctx, func(tx Tx) error {
		id, err = tx.InsertCanned(ctx, Canned{Title: title, Body: body, Language: c.Language})
		return err
	})
	return id, err
}

// IsNotFound reports ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
