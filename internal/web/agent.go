package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support"
)

// agentViewKeys name the console's queues.
var agentViewKeys = map[string]string{
	support.ViewMine:       "agent.view.mine",
	support.ViewUnassigned: "agent.view.unassigned",
	support.ViewUrgent:     "agent.view.urgent",
	support.ViewBreaching:  "agent.view.breaching",
	support.ViewComplaints: "agent.view.complaints",
	support.ViewAll:        "agent.view.all",
}

// agentNoticeKeys confirm a console action.
var agentNoticeKeys = map[string]string{
	"replied":  "agent.done.replied",
	"noted":    "agent.done.noted",
	"updated":  "agent.done.updated",
	"merged":   "agent.done.merged",
	"unlocked": "agent.done.unlocked",
	"asked":    "agent.done.asked",
	"reset":    "agent.done.reset",
	"outcome":  "agent.done.outcome",
	"canned":   "agent.done.canned",
	"called":   "agent.call.done",
}

type agentTab struct {
	View, Label string
	Current     bool
}

// agentQueueData is what agent.html shows.
type agentQueueData struct {
	supportView
	Tabs    []agentTab
	View    string
	Query   string
	Tickets []agentRow
}

type agentRow struct {
	support.Ticket
	Clock support.Clock
}

func (s *Site) agentQueue(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if !staffActor(si) {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	view := r.URL.Query().Get("view")
	if _, ok := agentViewKeys[view]; !ok {
		view = support.ViewUnassigned
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	ts, err := s.support.Queue(r.Context(), actor(si), view, q)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := agentQueueData{supportView: supportView{loc}, View: view, Query: q}
	for _, v := range support.Views {
		d.Tabs = append(d.Tabs, agentTab{View: v, Label: loc.T(agentViewKeys[v]), Current: v == view})
	}
	now := s.now()
	for _, t := range ts {
		d.Tickets = append(d.Tickets, agentRow{Ticket: t, Clock: s.support.Clock(t, now)})
	}
	s.Render(w, r, http.StatusOK, "agent", d)
}

// agentTicketData is what agent_ticket.html shows.
type agentTicketData struct {
	supportView
	Ticket       support.Ticket
	Messages     []support.Message
	Clock        support.Clock
	Context      support.CustomerContext
	Canned       []support.Canned
	Supervisor   bool
	Notice       string
	Form         *form
	Categories   []support.Category
	Priorities   []support.Priority
	Statuses     []support.Status
	ReplyStatues []support.Status
}

// Left writes a business-time duration left (or overdue) for the console.
func (d agentTicketData) Left(x time.Duration) string { return leftText(d.loc, x) }

// Left writes a business-time duration left (or overdue) for the console.
func (d agentQueueData) Left(x time.Duration) string { return leftText(d.loc, x) }

func leftText(loc interface{ T(string, ...any) string }, x time.Duration) string {
	over := x < 0
	if over {
		x = -x
	}
	h, m := int(x/time.Hour), int(x%time.Hour/time.Minute)
	if over {
		return loc.T("agent.sla.over", "h", h, "m", m)
	}
	return loc.T("agent.sla.left", "h", h, "m", m)
}

func (s *Site) agentTicket(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d := agentTicketData{Form: newForm()}
	if k, ok := agentNoticeKeys[r.URL.Query().Get("done")]; ok {
		d.Notice = s.Locale(r).T(k)
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("canned"), 10, 64); err == nil && staffActor(si) {
		// A canned reply chosen: it fills the reply box, to edit and send.
		cs, err := s.support.CannedReplies(r.Context(), actor(si))
		if err != nil {
			s.ServerError(w, r, err)
			return
		}
		for _, c := range cs {
			if c.ID == id {
				d.Form.Values["body"] = c.Body
			}
		}
	}
	s.renderAgentTicket(w, r, si, http.StatusOK, d)
}

func (s *Site) renderAgentTicket(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d agentTicketData) {
	if !staffActor(si) {
		s.Forbidden(w, r)
		return
	}
	a := actor(si)
	tk, msgs, err := s.support.View(r.Context(), a, ticketNumber(r))
	switch {
	case errors.Is(err, support.ErrNotFound):
		s.NotFound(w, r)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	d.supportView = supportView{s.Locale(r)}
	d.Ticket, d.Messages, d.Clock = tk, msgs, s.support.Clock(tk, s.now())
	if d.Context, err = s.support.CustomerContext(r.Context(), a, tk); err != nil {
		s.ServerError(w, r, err)
		return
	}
	for i, rc := range d.Context.Risk {
		d.Context.Risk[i].Reasons = riskReasons(s.Locale(r), rc.Reasons)
	}
	if d.Canned, err = s.support.CannedReplies(r.Context(), a); err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Supervisor = auth.Authorize(a, auth.ActionSupportSupervise, auth.Resource{Kind: "ticket"}) == nil
	d.Categories, d.Priorities, d.Statuses = support.Categories, support.Priorities, support.Statuses
	d.ReplyStatues = []support.Status{support.StatusWaiting, support.StatusSolved, support.StatusOpen}
	s.Render(w, r, status, "agent_ticket", d)
}

// agentAction runs one console action and shows the ticket again, with
// a notice or the error.
func (s *Site) agentAction(w http.ResponseWriter, r *http.Request, si *signedIn, done string, do func(a auth.Actor, n int64, vals map[string][]string) (string, error)) {
	vals := s.postForm(w, r)
	if !staffActor(si) {
		s.Forbidden(w, r)
		return
	}
	n := ticketNumber(r)
	next, err := do(actor(si), n, vals)
	if next != "" {
		done = next
	}
	if err == nil {
		http.Redirect(w, r, "/agent/tickets/"+strconv.FormatInt(n, 10)+"?done="+done, http.StatusSeeOther)
		return
	}
	switch {
	case errors.Is(err, support.ErrForbidden):
		s.Forbidden(w, r)
		return
	case errors.Is(err, support.ErrNotFound):
		s.NotFound(w, r)
		return
	}
	loc := s.Locale(r)
	field, msg, ok := supportError(loc, err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	f := newForm()
	body, _ := redact.Text(strings.ToValidUTF8(first(vals["body"]), "\uFFFD"))
	f.Values["body"] = body
	if field == "" {
		field = "summary"
	}
	f.Errors[field] = msg
	f.Summary = loc.T("form.summary")
	s.renderAgentTicket(w, r, si, http.StatusUnprocessableEntity, agentTicketData{Form: f})
}

func (s *Site) agentReply(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "replied", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		_, err := s.support.Reply(r.Context(), a, n, support.Reply{Body: first(v["body"]), Then: support.Status(first(v["then"]))})
		return "", err
	})
}

func (s *Site) agentNote(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "noted", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		return "", s.support.Note(r.Context(), a, n, first(v["body"]))
	})
}

func (s *Site) agentUpdate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "updated", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		u := support.Update{Status: support.Status(first(v["status"])), Priority: support.Priority(first(v["priority"])),
			Category: support.Category(first(v["category"])), Tags: first(v["tags"])}
		switch first(v["assign"]) {
		case "me":
			u.AssigneeID = a.UserID
		case "none":
			u.AssigneeID = -1
		}
		return "", s.support.Update(r.Context(), a, n, u)
	})
}

func (s *Site) agentMerge(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "merged", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		into, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(first(v["into"])), "#"), 10, 64)
		if err != nil || into <= 0 {
			return "", support.ErrState
		}
		return "", s.support.Merge(r.Context(), a, n, into)
	})
}

func (s *Site) agentUnlock(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "unlocked", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		done, err := s.support.Unlock(r.Context(), a, n, clientIP(r), r.UserAgent())
		if err == nil && !done {
			return "asked", nil
		}
		return "", err
	})
}

func (s *Site) agentReset(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "reset", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		return "", s.support.SendReset(r.Context(), a, n, clientIP(r), r.UserAgent())
	})
}

func (s *Site) agentOutcome(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.agentAction(w, r, si, "outcome", func(a auth.Actor, n int64, v map[string][]string) (string, error) {
		return "", s.support.Outcome(r.Context(), a, n, first(v["body"]))
	})
}

func (s *Site) agentAddCanned(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	_, err := s.support.AddCanned(r.Context(), actor(si), support.Canned{Title: vals.Get("title"), Body: vals.Get("body"), Language: s.Locale(r).Code()})
	switch {
	case errors.Is(err, support.ErrForbidden):
		s.Forbidden(w, r)
		return
	case err != nil:
		if _, _, ok := supportError(s.Locale(r), err); !ok {
			s.ServerError(w, r, err)
			return
		}
		http.Redirect(w, r, "/agent?view=all", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/agent?view=all", http.StatusSeeOther)
}
