package calendar

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// HoursSpec is one contact channel's weekly service hours as written in
// the calendar file, under the calendar's time zone and its holidays: the
// Chinese phone line and the English one keep different hours, the chat
// may stay open on public holidays. Make-up working days (调休) are worked
// by every channel.
type HoursSpec struct {
	Open  string `json:"open"`  // "08:00"
	Close string `json:"close"` // "22:00"; "24:00" is midnight at the end of the day
	// Weekdays are the days the channel is staffed, "mon".."sun".
	Weekdays []string `json:"weekdays"`
	// OpenOnHolidays keeps the channel staffed on public holidays.
	OpenOnHolidays bool `json:"open_on_holidays,omitempty"`
}

// BusinessHoursName is the name under which Hours returns the calendar's
// own opening hours, the ones the support targets (SLA) count in.
const BusinessHoursName = "business"

// Hours are one channel's service hours. Like the Calendar they belong
// to, they are immutable and every answer is in the calendar's zone.
type Hours struct {
	name        string
	cal         *Calendar
	open, close time.Duration
	weekdays    [7]bool
	onHolidays  bool
}

// Slot is one calendar day of a channel: when it opens and closes, or
// that it stays closed (and for which holiday).
type Slot struct {
	Day         time.Time // midnight, calendar zone
	Open, Close time.Time // zero when Closed
	Closed      bool
	Holiday     string // the holiday's name when that is why it is closed
}

func (c *Calendar) buildHours(specs map[string]HoursSpec) []error {
	var errs []error
	c.named = map[string]*Hours{BusinessHoursName: {name: BusinessHoursName, cal: c, open: c.open, close: c.close, weekdays: c.weekdays}}
	for name, s := range specs {
		if name == "" || name == BusinessHoursName || strings.TrimSpace(name) != name {
			errs = append(errs, fmt.Errorf("hours %q: the name must be non-empty, without spaces, and not %q", name, BusinessHoursName))
			continue
		}
		h := &Hours{name: name, cal: c, onHolidays: s.OpenOnHolidays}
		var okOpen, okClose bool
		h.open, okOpen = clockTime(s.Open)
		h.close, okClose = closingTime(s.Close)
		if !okOpen || !okClose || h.close <= h.open {
			errs = append(errs, fmt.Errorf("hours %q: open %q and close %q must be HH:MM with open before close", name, s.Open, s.Close))
		}
		if len(s.Weekdays) == 0 {
			errs = append(errs, fmt.Errorf("hours %q: weekdays must name at least one day", name))
		}
		for _, d := range s.Weekdays {
			i := slices.Index(dayNames, strings.ToLower(d))
			if i < 0 {
				errs = append(errs, fmt.Errorf("hours %q: weekday %q is not one of %v", name, d, dayNames))
				continue
			}
			h.weekdays[i] = true
		}
		c.named[name] = h
	}
	return errs
}

// closingTime is clockTime that also takes "24:00", the end of the day.
func closingTime(s string) (time.Duration, bool) {
	if s == "24:00" {
		return 24 * time.Hour, true
	}
	return clockTime(s)
}

// Hours returns the service hours called name, or BusinessHoursName for
// the calendar's own.
func (c *Calendar) Hours(name string) (*Hours, bool) {
	h, ok := c.named[name]
	return h, ok
}

// HoursNames lists the names Hours knows, sorted.
func (c *Calendar) HoursNames() []string {
	names := make([]string, 0, len(c.named))
	for n := range c.named {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Name is the hours' name in the calendar file.
func (h *Hours) Name() string { return h.name }

// Location is the zone the hours are kept in.
func (h *Hours) Location() *time.Location { return h.cal.loc }

// Clock returns the opening and closing times as written ("09:00", "24:00").
func (h *Hours) Clock() (open, close string) {
	f := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return f(h.open), f(h.close)
}

// Length is how long a staffed day lasts: a "business day" of the
// support targets for the business hours.
func (h *Hours) Length() time.Duration { return h.close - h.open }

// Weekdays lists the usual staffed days, Sunday first.
func (h *Hours) Weekdays() []time.Weekday {
	var ds []time.Weekday
	for i, on := range h.weekdays {
		if on {
			ds = append(ds, time.Weekday(i))
		}
	}
	return ds
}

// OpenOnHolidays reports whether the channel is staffed on public holidays.
func (h *Hours) OpenOnHolidays() bool { return h.onHolidays }

// Day returns the slot of t's date in the calendar's zone.
func (h *Hours) Day(t time.Time) Slot {
	day := h.cal.midnight(t)
	s := Slot{Day: day}
	d := civilOf(day)
	_, workday := h.cal.workdays[d]
	holiday, isHoliday := h.cal.holidays[d]
	switch {
	case workday:
	case isHoliday && !h.onHolidays:
		s.Closed, s.Holiday = true, holiday
		return s
	case !h.weekdays[day.Weekday()]:
		s.Closed = true
		return s
	}
	y, m, dd := day.Date()
	at := func(off time.Duration) time.Time {
		return time.Date(y, m, dd, 0, 0, 0, 0, h.cal.loc).Add(off)
	}
	s.Open, s.Close = at(h.open), at(h.close)
	return s
}

// IsOpen reports whether the channel is staffed at t.
func (h *Hours) IsOpen(t time.Time) bool {
	s := h.Day(t)
	return !s.Closed && !t.Before(s.Open) && t.Before(s.Close)
}

// maxSearchDays bounds the search for the next opening: a channel closed
// for longer than a year is as good as closed.
const maxSearchDays = 400

// NextOpen returns t when the channel is open at t, else when it next
// opens; false when it does not open within a year.
func (h *Hours) NextOpen(t time.Time) (time.Time, bool) {
	day := h.cal.midnight(t)
	for i := 0; i < maxSearchDays; i++ {
		s := h.Day(day)
		if !s.Closed {
			if t.Before(s.Open) {
				return s.Open, true
			}
			if t.Before(s.Close) {
				return t, true
			}
		}
		day = h.cal.midnight(day.AddDate(0, 0, 1).Add(time.Hour))
	}
	return time.Time{}, false
}

// NextClose returns when the channel closes, if it is open at t.
func (h *Hours) NextClose(t time.Time) (time.Time, bool) {
	if !h.IsOpen(t) {
		return time.Time{}, false
	}
	return h.Day(t).Close, true
}

// Days returns the slots of n calendar days from t's date on.
func (h *Hours) Days(t time.Time, n int) []Slot {
	out := make([]Slot, 0, n)
	day := h.cal.midnight(t)
	for i := 0; i < n; i++ {
		out = append(out, h.Day(day))
		day = h.cal.midnight(day.AddDate(0, 0, 1).Add(time.Hour))
	}
	return out
}
