package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
)

// auditData is what staff_audit.html shows.
type auditData struct {
	Form   *form
	Events []audit.Event
	Next   string // the URL of the older page, if any
}

// staffAudit is the audit log for staff (supervisors and admins): newest
// first, filtered by action, target and actor. Nobody can change it here
// or anywhere else.
func (s *Site) staffAudit(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if err := auth.Authorize(actor(si), auth.ActionViewAudit, auth.Resource{Kind: "audit"}); err != nil {
		s.Forbidden(w, r)
		return
	}
	q := r.URL.Query()
	loc := s.Locale(r)
	d := auditData{Form: newForm()}
	f := audit.Filter{Action: strings.TrimSpace(q.Get("action")), Cursor: q.Get("cursor")}
	d.Form.keep("action", f.Action)
	d.Form.keep("target", q.Get("target"))
	d.Form.keep("actor", q.Get("actor"))
	if t := strings.TrimSpace(q.Get("target")); t != "" {
		f.TargetType, f.TargetID, _ = strings.Cut(t, ":")
	}
	if a := strings.TrimSpace(q.Get("actor")); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			d.Form.Errors["actor"] = loc.T("audit.actor.invalid")
		}
		f.ActorID = id
	}
	if len(d.Form.Errors) > 0 {
		d.Form.Summary = loc.T("form.summary")
		s.Render(w, r, http.StatusUnprocessableEntity, "staff_audit", d)
		return
	}
	page, err := audit.List(r.Context(), s.audit, f)
	switch {
	case errors.Is(err, audit.ErrInvalidCursor), errors.Is(err, audit.ErrInvalidFilter):
		d.Form.Summary = loc.T("audit.invalid")
		s.Render(w, r, http.StatusUnprocessableEntity, "staff_audit", d)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	d.Events = page.Events
	if page.Next != "" {
		next := url.Values{"cursor": {page.Next}}
		for _, k := range []string{"action", "target", "actor"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		d.Next = "/staff/audit?" + next.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "staff_audit", d)
}
