package support

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// Target is an SLA target pair, in business time (working hours of the
// calendar only).
type Target struct {
	FirstResponse time.Duration
	Resolution    time.Duration
}

// Targets per priority, and for complaints (SUP-5: their own SLA,
// whatever their priority). A business day is 9 hours (09:00–18:00).
var (
	Targets = map[Priority]Target{
		PrioUrgent: {FirstResponse: 1 * time.Hour, Resolution: 9 * time.Hour},
		PrioHigh:   {FirstResponse: 4 * time.Hour, Resolution: 2 * 9 * time.Hour},
		PrioNormal: {FirstResponse: 9 * time.Hour, Resolution: 5 * 9 * time.Hour},
		PrioLow:    {FirstResponse: 2 * 9 * time.Hour, Resolution: 10 * 9 * time.Hour},
	}
	ComplaintTarget = Target{FirstResponse: 9 * time.Hour, Resolution: 10 * 9 * time.Hour}
)

func targetOf(tk Ticket) Target {
	if tk.Queue == QueueComplaints {
		return ComplaintTarget
	}
	if t, ok := Targets[tk.Priority]; ok {
		return t
	}
	return Targets[PrioNormal]
}

// startClock sets the targets of a new (or newly opened) ticket from at.
func (s *Service) startClock(tk *Ticket, at time.Time) {
	t := targetOf(*tk)
	tk.FirstDue = s.cal.AddBusinessTime(at, t.FirstResponse).UTC()
	tk.ResolveDue = s.cal.AddBusinessTime(at, t.Resolution).UTC()
	tk.PausedAt = time.Time{}
	tk.Escalated = 0
}

// retarget recomputes the targets after a priority change, counting from
// when the ticket opened (a raised priority brings the targets closer).
func (s *Service) retarget(tk *Ticket) {
	t := targetOf(*tk)
	if tk.FirstResponseAt.IsZero() && tk.Escalated&EscalatedFirst == 0 {
		if d := s.cal.AddBusinessTime(tk.CreatedAt, t.FirstResponse).UTC(); d.Before(tk.FirstDue) {
			tk.FirstDue = d
		}
	}
	if tk.Escalated&EscalatedResolve == 0 {
		if d := s.cal.AddBusinessTime(tk.CreatedAt, t.Resolution).UTC(); d.Before(tk.ResolveDue) {
			tk.ResolveDue = d
		}
	}
}

// pause stops the clock (waiting on the customer).
func (s *Service) pause(tk *Ticket, now time.Time) {
	if tk.PausedAt.IsZero() {
		tk.PausedAt = now
	}
}

// resume restarts the clock and moves the targets on by the business
// time it was stopped.
func (s *Service) resume(tk *Ticket, now time.Time) {
	if tk.PausedAt.IsZero() {
		return
	}
	d := s.cal.BusinessTime(tk.PausedAt, now)
	if d > 0 {
		if tk.FirstResponseAt.IsZero() && !tk.FirstDue.IsZero() {
			tk.FirstDue = s.cal.AddBusinessTime(tk.FirstDue, d).UTC()
		}
		if !tk.ResolveDue.IsZero() {
			tk.ResolveDue = s.cal.AddBusinessTime(tk.ResolveDue, d).UTC()
		}
	}
	tk.PausedAt = time.Time{}
}

// Clock is what the console shows of a ticket's SLA.
type Clock struct {
	Paused bool
	// FirstLeft and ResolveLeft are the business time left before each
	// target (negative once missed); HasFirst is false once answered.
	HasFirst    bool
	FirstLeft   time.Duration
	ResolveLeft time.Duration
	HasResolve  bool
}

// Clock returns the ticket's SLA clock at now.
func (s *Service) Clock(tk Ticket, now time.Time) Clock {
	if tk.Status.Done() || tk.MergedInto != 0 {
		return Clock{}
	}
	at := now
	c := Clock{}
	if !tk.PausedAt.IsZero() {
		at, c.Paused = tk.PausedAt, true
	}
	left := func(due time.Time) time.Duration {
		if at.Before(due) {
			return s.cal.BusinessTime(at, due)
		}
		return -s.cal.BusinessTime(due, at)
	}
	if tk.FirstResponseAt.IsZero() && !tk.FirstDue.IsZero() {
		c.HasFirst, c.FirstLeft = true, left(tk.FirstDue)
	}
	if !tk.ResolveDue.IsZero() {
		c.HasResolve, c.ResolveLeft = true, left(tk.ResolveDue)
	}
	return c
}

// EscalateJob is the kind of the periodic SLA job; EscalateEvery its period.
const (
	EscalateJob   = "support.escalate"
	EscalateEvery = 5 * time.Minute
)

// Register adds the desk's periodic SLA job to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(EscalateJob, s.HandleEscalate)
	r.Periodic(EscalateJob, EscalateEvery, nil)
}

// HandleEscalate is the handler of EscalateJob.
func (s *Service) HandleEscalate(ctx context.Context, _ jobs.Claimed) error {
	_, err := s.Escalate(ctx)
	return err
}

// Escalate handles every missed target not yet handled: it raises the
// priority one step, puts an event on the timeline and mails the
// supervisors. Each breach is handled once (the ticket's Escalated
// flags), so running it again changes nothing. It returns how many
// breaches it handled.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.nowUTC()
	n := 0
	for {
		var batch []Ticket
		err := s.store.InTx(ctx, func(tx Tx) error {
			var err error
			batch, err = tx.TicketsToEscalate(ctx, now, 50)
			if err != nil {
				return err
			}
			sups, err := tx.Supervisors(ctx)
			if err != nil {
				return err
			}
			for _, tk := range batch {
				var which string
				switch {
				case tk.FirstResponseAt.IsZero() && !tk.FirstDue.After(now) && tk.Escalated&EscalatedFirst == 0:
					tk.Escalated |= EscalatedFirst
					which = "first_response"
				default:
					tk.Escalated |= EscalatedResolve
					which = "resolution"
				}
				old := tk.Priority
				tk.Priority = tk.Priority.Raise()
				tk.UpdatedAt = now
				if err := tx.UpdateTicket(ctx, tk); err != nil {
					return err
				}
				if err := s.event(ctx, tx, tk.ID, 0, EventBreach, which); err != nil {
					return err
				}
				if old != tk.Priority {
					if err := s.event(ctx, tx, tk.ID, 0, EventPriority, string(tk.Priority)); err != nil {
						return err
					}
				}
				if err := s.notifySupervisors(ctx, tx, tk, sups, which); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if len(batch) < 50 {
			return n, nil
		}
	}
}
