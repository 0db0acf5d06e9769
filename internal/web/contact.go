package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/web/i18n"
)

// contactData is what contact.html shows: every channel with its hours
// in the reader's zone, the response times the SLA promises, and the
// callback form.
type contactData struct {
	Zone       zoneNote
	Groups     []contactGroup
	Response   []responseRow
	Complaints responseRow
	Phones     []hoursView
	Form       *form
	SignedIn   bool
	Callback   bool // the desk takes callback requests
	DKIMDomain string
}

type contactGroup struct {
	Kind     channels.Kind
	Title    string
	Note     string
	Channels []hoursView
}

type responseRow struct {
	Label, First, Resolve string
}

// callbackTimeLayout is the value of an <input type="datetime-local">.
const callbackTimeLayout = "2006-01-02T15:04"

func (s *Site) contactPage(w http.ResponseWriter, r *http.Request) {
	s.renderContact(w, r, http.StatusOK, newForm())
}

// businessSpan writes a support target counted in business hours:
// "1 个工作小时", "2 business days".
func businessSpan(loc *i18n.Locale, d, day time.Duration) string {
	switch {
	case d == day:
		return loc.T("channels.business_day")
	case day > 0 && d > day && d%day == 0:
		return loc.T("channels.business_days", "n", strconv.FormatInt(int64(d/day), 10))
	case d == time.Hour:
		return loc.T("channels.business_hour")
	}
	return loc.T("channels.business_hours", "n", strconv.FormatFloat(d.Hours(), 'f', -1, 64))
}

func (s *Site) renderContact(w http.ResponseWriter, r *http.Request, status int, f *form) {
	loc := s.Locale(r)
	zone, src := s.visitorZone(r)
	d := contactData{Zone: s.zoneNote(zone, src), Form: f, SignedIn: currentUser(r) != nil, Callback: s.support != nil,
		DKIMDomain: s.info.Domain}
	for _, k := range channels.Kinds {
		g := contactGroup{Kind: k, Title: loc.T(kindKeys[k]), Note: loc.T(channelNoteKeys[k])}
		for _, c := range s.channels.OfKind(k) {
			hv := s.channelHours(loc, c, zone)
			g.Channels = append(g.Channels, hv)
			if k == channels.KindPhone {
				d.Phones = append(d.Phones, hv)
			}
		}
		if len(g.Channels) > 0 {
			d.Groups = append(d.Groups, g)
		}
	}
	// The promises are the SLA's own targets, counted in the calendar's
	// business hours: one business day is one day of its opening hours.
	biz, _ := s.channels.Calendar().Hours(calendar.BusinessHoursName)
	day := biz.Length()
	for i := len(support.Priorities) - 1; i >= 0; i-- {
		p := support.Priorities[i]
		t := support.Targets[p]
		d.Response = append(d.Response, responseRow{Label: loc.T(supportPriorityKeys[p]),
			First: businessSpan(loc, t.FirstResponse, day), Resolve: businessSpan(loc, t.Resolution, day)})
	}
	d.Complaints = responseRow{Label: loc.T("channels.kind.complaints"),
		First: businessSpan(loc, support.ComplaintTarget.FirstResponse, day), Resolve: businessSpan(loc, support.ComplaintTarget.Resolution, day)}
	if f.Values["line"] == "" {
		if c, ok := s.channels.Phone(loc.Code()); ok {
			f.Values["line"] = c.ID
		}
	}
	if f.Values["tz"] == "" {
		f.Values["tz"] = zone.String()
	}
	s.Render(w, r, status, "contact", d)
}

// channelNoteKeys say what each kind of channel is for.
var channelNoteKeys = map[channels.Kind]string{
	channels.KindEmail:      "channels.note.email",
	channels.KindForm:       "channels.note.form",
	channels.KindPhone:      "channels.note.phone",
	channels.KindChat:       "channels.note.chat",
	channels.KindComplaints: "channels.note.complaints",
	channels.KindCommunity:  "channels.note.community",
}

// callbackErrorKeys are the callback form's messages.
var callbackErrorKeys = map[string]string{
	"phone.invalid":      "channels.error.phone",
	"time.required":      "channels.error.time",
	"time.invalid":       "channels.error.time",
	"time.past":          "channels.error.time_past",
	"time.too_far":       "channels.error.time_far",
	"time.outside_hours": "channels.error.time_hours",
	"line.invalid":       "channels.error.line",
	"email.invalid":      "support.error.email",
	"body.too_long":      "channels.error.note_long",
	"body.invalid":       "channels.error.note_long",
}

func (s *Site) callbackRequest(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	vals := s.postForm(w, r)
	f := newForm()
	for _, k := range []string{"phone", "time", "line", "email", "name", "tz"} {
		f.keep(k, strings.TrimSpace(vals.Get(k)))
	}
	note, _ := redact.Text(strings.ToValidUTF8(vals.Get("note"), "\uFFFD"))
	f.Values["note"] = note
	fail := func(field, key, status string, args ...any) {
		f.Errors[field] = loc.T(key, args...)
		f.Summary = loc.T("form.summary")
		code := http.StatusUnprocessableEntity
		if status == "rate" {
			code = http.StatusTooManyRequests
		}
		s.renderContact(w, r, code, f)
	}
	zone, ok := parseZone(f.Values["tz"])
	if !ok {
		zone, _ = s.visitorZone(r)
		f.Values["tz"] = zone.String()
	}
	line, ok := s.channels.Channel(f.Values["line"])
	if !ok || line.Kind != channels.KindPhone {
		fail("line", "channels.error.line", "")
		return
	}
	var at time.Time
	if f.Values["time"] != "" {
		var err error
		if at, err = time.ParseInLocation(callbackTimeLayout, f.Values["time"], zone); err != nil {
			fail("time", "channels.error.time", "")
			return
		}
		// Agents call within the line's hours: a time outside them is
		// refused with when the line is next staffed.
		if h := s.channels.Hours(line); at.After(s.now()) && !h.IsOpen(at) {
			next := ""
			if op, ok := h.NextOpen(at); ok {
				next = when(loc, op.In(zone))
			}
			fail("time", "channels.error.time_hours", "", "next", next)
			return
		}
	}
	req := support.CallbackRequest{Email: f.Values["email"], Name: f.Values["name"], Language: loc.Code(), Phone: f.Values["phone"],
		At: at, Zone: zone, Line: line.ID, LineZone: s.channels.Hours(line).Location(), Note: vals.Get("note"), IP: clientIP(r)}
	if si := currentUser(r); si != nil {
		req.UserID, req.Email = si.user.ID, ""
	}
	opened, err := s.support.RequestCallback(r.Context(), req)
	if err != nil {
		var fe *support.FieldError
		switch {
		case errors.As(err, &fe):
			key, found := callbackErrorKeys[fe.Field+"."+fe.Code]
			if !found {
				key = "support.error.invalid"
			}
			field := fe.Field
			if field == "body" {
				field = "note"
			}
			fail(field, key, "")
		case errors.Is(err, support.ErrRateLimited):
			fail("summary", "support.error.rate", "rate")
		default:
			s.ServerError(w, r, err)
		}
		return
	}
	q := "?n=" + strconv.FormatInt(opened.Ticket.Number, 10)
	if opened.Findings != 0 {
		q += "&masked=1"
	}
	if currentUser(r) != nil {
		http.Redirect(w, r, "/support/tickets/"+strconv.FormatInt(opened.Ticket.Number, 10)+q, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/support/sent"+q, http.StatusSeeOther)
}
