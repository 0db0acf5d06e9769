package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support"
)

// Call writes a logged call's heading in the reader's words:
// "Outgoing call · 5 min 30 s".
func (v supportView) Call(m support.Message) string {
	dir, d, ok := support.ParseCallDetail(m.Detail)
	if !ok {
		return v.loc.T("agent.call.label")
	}
	mins, secs := strconv.Itoa(int(d/time.Minute)), strconv.Itoa(int(d%time.Minute/time.Second))
	if dir == support.CallOut {
		return v.loc.T("agent.call.out", "minutes", mins, "seconds", secs)
	}
	return v.loc.T("agent.call.in", "minutes", mins, "seconds", secs)
}

var callErrorKeys = map[string]string{
	"direction.invalid": "agent.call.error.direction",
	"duration.invalid":  "agent.call.error.duration",
	"body.required":     "agent.call.error.summary",
	"body.too_long":     "support.error.body_too_long",
	"body.invalid":      "agent.call.error.summary",
}

// agentCall logs a call on a ticket: POST /agent/tickets/{number}/call
// with direction, minutes, seconds and the summary.
func (s *Site) agentCall(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if !staffActor(si) {
		s.Forbidden(w, r)
		return
	}
	n := ticketNumber(r)
	mins, err1 := strconv.Atoi(strings.TrimSpace(first(vals["minutes"])))
	secs, err2 := strconv.Atoi(strings.TrimSpace(first(vals["seconds"])))
	if strings.TrimSpace(first(vals["seconds"])) == "" {
		secs, err2 = 0, nil
	}
	var err error
	if err1 != nil || err2 != nil || mins < 0 || secs < 0 || secs > 59 || mins > 24*60 {
		err = &support.FieldError{Field: "duration", Code: "invalid"}
	} else {
		_, err = s.support.LogCall(r.Context(), actor(si), n, support.Call{Direction: first(vals["direction"]),
			Duration: time.Duration(mins)*time.Minute + time.Duration(secs)*time.Second, Summary: first(vals["summary"])})
	}
	var fe *support.FieldError
	switch {
	case err == nil:
		http.Redirect(w, r, "/agent/tickets/"+strconv.FormatInt(n, 10)+"?done=called", http.StatusSeeOther)
	case errors.Is(err, support.ErrForbidden):
		s.Forbidden(w, r)
	case errors.Is(err, support.ErrNotFound):
		s.NotFound(w, r)
	case errors.As(err, &fe) || errors.Is(err, support.ErrState):
		loc := s.Locale(r)
		f := newForm()
		msg := loc.T("support.error.state")
		if fe != nil {
			key, ok := callErrorKeys[fe.Field+"."+fe.Code]
			if !ok {
				key = "support.error.invalid"
			}
			msg = loc.T(key)
		}
		summary, _ := redact.Text(strings.ToValidUTF8(first(vals["summary"]), "\uFFFD"))
		f.Values["call_summary"] = summary
		for _, k := range []string{"minutes", "seconds", "direction"} {
			f.keep(k, first(vals[k]))
		}
		f.Errors["call"] = msg
		f.Summary = loc.T("form.summary")
		s.renderAgentTicket(w, r, si, http.StatusUnprocessableEntity, agentTicketData{Form: f})
	default:
		s.ServerError(w, r, err)
	}
}
