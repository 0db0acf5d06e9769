package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The /dev/clock helper: shows the platform time and lets a developer or
// an end-to-end test set it, advance it or return it to real time. It is
// mounted only in development with a DevClock, behind devOnly.

// datetimeLocal is the value format of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// Limits on what the form accepts. The years keep the offset well inside
// what a time.Duration can hold.
const (
	devClockMinYear   = 1970
	devClockMaxYear   = 2200
	devClockMaxAmount = 100000
)

var devClockUnits = map[string]time.Duration{
	"minutes": time.Minute,
	"hours":   time.Hour,
	"days":    24 * time.Hour,
}

// devClockData is what dev_clock.html shows.
type devClockData struct {
	Now        time.Time
	Zone       string
	RealTime   bool   // no offset
	Ahead      bool   // the offset is positive
	OffsetText string // the offset's size, "49h30m0s"
	Changed    bool   // the clock was just changed (after the redirect)

	// The forms' values, kept after an error.
	At, Amount, Unit string
	// Errors holds a message per field ("at", "amount", "unit") or for the
	// whole request ("action").
	Errors map[string]string
}

func (s *Site) devClockView() devClockData {
	now := s.now()
	off := s.devClock.Offset()
	abs := off.Abs().Round(time.Second)
	return devClockData{
		Now:        now,
		Zone:       s.tz.String(),
		RealTime:   abs == 0,
		Ahead:      off > 0,
		OffsetText: abs.String(),
		At:         now.In(s.tz).Format(datetimeLocal),
		Amount:     "1",
		Unit:       "hours",
		Errors:     map[string]string{},
	}
}

// devClockPage is GET /dev/clock.
func (s *Site) devClockPage(w http.ResponseWriter, r *http.Request) {
	d := s.devClockView()
	d.Changed = r.URL.Query().Get("changed") == "1"
	s.Render(w, r, http.StatusOK, "dev_clock", d)
}

// devClockChange is POST /dev/clock with action set (at), advance (amount,
// unit) or reset. Success redirects back to the page; a bad value shows the
// form again with the error next to the field.
func (s *Site) devClockChange(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxFormBytes)
	r.ParseForm() // a body that does not parse leaves the form empty: "action" error
	loc := s.Locale(r)
	d := s.devClockView()
	switch action := r.PostForm.Get("action"); action {
	case "set":
		d.At = strings.TrimSpace(r.PostForm.Get("at"))
		t, err := parseDatetimeLocal(d.At, s.tz)
		switch {
		case err != nil:
			d.Errors["at"] = loc.T("devclock.error.time")
		case t.Year() < devClockMinYear || t.Year() > devClockMaxYear:
			d.Errors["at"] = loc.T("devclock.error.range")
		default:
			s.devClock.Set(t)
		}
	case "advance":
		d.Amount = strings.TrimSpace(r.PostForm.Get("amount"))
		d.Unit = r.PostForm.Get("unit")
		n, err := strconv.Atoi(d.Amount)
		if err != nil || n < 1 || n > devClockMaxAmount {
			d.Errors["amount"] = loc.T("devclock.error.amount")
		}
		unit, ok := devClockUnits[d.Unit]
		if !ok {
			d.Errors["unit"] = loc.T("devclock.error.unit")
			d.Unit = "hours"
		}
		if len(d.Errors) == 0 {
			s.devClock.Add(time.Duration(n) * unit)
		}
	case "reset":
		s.devClock.Reset()
	default:
		d.Errors["action"] = loc.T("devclock.error.action")
	}
	if len(d.Errors) > 0 {
		s.Render(w, r, http.StatusBadRequest, "dev_clock", d)
		return
	}
	s.log.InfoContext(r.Context(), "dev clock changed", "now", s.now(), "offset", s.devClock.Offset())
	http.Redirect(w, r, "/dev/clock?changed=1", http.StatusSeeOther)
}

// parseDatetimeLocal reads a datetime-local value, with or without
// seconds, as a time in tz.
func parseDatetimeLocal(v string, tz *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(datetimeLocal, v, tz)
	if err != nil {
		t, err = time.ParseInLocation(datetimeLocal+":05", v, tz)
	}
	return t, err
}
