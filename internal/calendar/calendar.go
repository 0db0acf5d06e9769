// Package calendar is the platform's business calendar: the time zone the
// business runs in, its opening hours, the weekdays it works, public
// holidays, and the weekend days made working days in exchange (China moves
// working days around its long holidays, 调休). Withdrawals count business
// days with it; support targets count business hours.
//
// A Calendar is immutable and safe for concurrent use. Every answer is given
// in the calendar's own time zone, whatever the zone of the time passed in.
package calendar

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrSpec reports a calendar description that cannot be used.
var ErrSpec = errors.New("calendar: invalid description")

// Spec is a calendar as written in its JSON file.
type Spec struct {
	TimeZone string `json:"time_zone"` // IANA name, e.g. "Asia/Shanghai"
	Open     string `json:"open"`      // "09:00"
	Close    string `json:"close"`     // "18:00", after Open
	// Weekdays are the usual working days, "mon".."sun".
	Weekdays []string `json:"weekdays"`
	// Holidays are days off although they fall on a working weekday.
	Holidays []Day `json:"holidays"`
	// Workdays are days worked although they fall on a day off.
	Workdays []Day `json:"workdays"`
	// Hours are the service hours of each contact channel and language
	// ("phone-zh", "chat"), under the same holidays (see Hours).
	Hours map[string]HoursSpec `json:"hours,omitempty"`
}

// Day is one dated exception, "2026-10-01", with what it is for.
type Day struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// Calendar answers business-day and business-hour questions.
type Calendar struct {
	loc         *time.Location
	open, close time.Duration // since midnight
	weekdays    [7]bool
	holidays    map[civil]string
	workdays    map[civil]string
	named       map[string]*Hours // service hours by name (hours.go)
}

type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil { y, m, d := t.Date(); return civil{y, m, d} }

//go:embed default.json
var defaultSpec []byte

// Default returns the built-in calendar: Asia/Shanghai, Monday to Friday
// 09:00–18:00, with China's public holidays and make-up working days.
func Default() *Calendar {
	c, err := Parse(bytes.NewReader(defaultSpec))
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return c
}

// Load reads a calendar file; an empty path gives Default.
func Load(path string) (*Calendar, error) {
	if path == "" {
		return Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads a Spec as JSON and builds its calendar.
func Parse(r io.Reader) (*Calendar, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	return New(s)
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// New builds a calendar, reporting every problem in s at once.
func New(s Spec) (*Calendar, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c := &Calendar{holidays: map[civil]string{}, workdays: map[civil]string{}}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TimeZone == "" {
		bad("time_zone %q is not an IANA time zone", s.TimeZone)
		loc = time.UTC
	}
	c.loc = loc
	var okOpen, okClose bool
	c.open, okOpen = clockTime(s.Open)
	c.close, okClose = clockTime(s.Close)
	if !okOpen || !okClose || c.close <= c.open {
		bad("open %q and close %q must be HH:MM with open before close", s.Open, s.Close)
	}
	if len(s.Weekdays) == 0 {
		bad("weekdays must name at least one day")
	}
	for _, d := range s.Weekdays {
		i := slices.Index(dayNames, strings.ToLower(d))
		if i < 0 {
			bad("weekday %q is not one of %v", d, dayNames)
			continue
		}
		c.weekdays[i] = true
	}
	for _, list := range []struct {
		days []Day
		into map[civil]string
	}{{s.Holidays, c.holidays}, {s.Workdays, c.workdays}} {
		for _, d := range list.days {
			t, err := time.ParseInLocation(time.DateOnly, d.Date, loc)
			if err != nil {
				bad("date %q is not YYYY-MM-DD", d.Date)
				continue
			}
			list.into[civilOf(t)] = d.Name
		}
	}
	for d := range c.holidays {
		if _, both := c.workdays[d]; both {
			bad("%04d-%02d-%02d is both a holiday and a working day", d.y, d.m, d.d)
		}
	}
	errs = append(errs, c.buildHours(s.Hours)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrSpec, errors.Join(errs...))
	}
	return c, nil
}

func clockTime(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsBusinessDay reports whether t's date, in the calendar's zone, is worked.
func (c *Calendar) IsBusinessDay(t time.Time) bool {
	d := civilOf(t.In(c.loc))
	if _, ok := c.workdays[d]; ok {
		return true
	}
	if _, ok := c.holidays[d]; ok {
		return false
	}
	return c.weekdays[t.In(c.loc).Weekday()]
}

// Holiday returns the name of the holiday on t's date, if it is one.
func (c *Calendar) Holiday(t time.Time) (string, bool) {
	name, ok := c.holidays[civilOf(t.In(c.loc))]
	return name, ok
}

// midnight returns the start of t's day in the calendar's zone.
func (c *Calendar) midnight(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// AddBusinessDays returns the start (midnight, calendar zone) of the n-th
// business day after t's date; n <= 0 gives the start of t's date.
func (c *Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	day := c.midnight(t)
	for n > 0 {
		day = c.midnight(day.AddDate(0, 0, 1))
		if c.IsBusinessDay(day) {
			n--
		}
	}
	return day
}

// IsOpen reports whether t falls in opening hours on a business day.
func (c *Calendar) IsOpen(t time.Time) bool {
	if !c.IsBusinessDay(t) {
		return false
	}
	since := t.In(c.loc).Sub(c.midnight(t))
	return since >= c.open && since < c.close
}

// hours returns the opening and closing instants of the day starting at day.
func (c *Calendar) hours(day time.Time) (time.Time, time.Time) {
	y, m, d := day.Date()
	at := func(off time.Duration) time.Time {
		return time.Date(y, m, d, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, c.loc)
	}
	return at(c.open), at(c.close)
}

// NextOpen returns t if the calendar is open at t, else the next opening.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	for day := c.midnight(t); ; day = c.midnight(day.AddDate(0, 0, 1)) {
		if !c.IsBusinessDay(day) {
			continue
		}
		open, close := c.hours(day)
		if t.Before(open) {
			return open
		}
		if t.Before(close) {
			return t
		}
	}
}

// BusinessTime returns how much opening time lies between from and to
// (zero when to is not after from).
func (c *Calendar) BusinessTime(from, to time.Time) time.Duration {
	var total time.Duration
	for day := c.midnight(from); day.Before(to); day = c.midnight(day.AddDate(0, 0, 1)) {
		if !c.IsBusinessDay(day) {
			continue
		}
		open, close := c.hours(day)
		start, end := maxTime(open, from), minTime(close, to)
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}

// AddBusinessTime returns the instant when d of opening time has passed
// since from: a support target of 4 business hours set on Friday at 17:00
// falls due on Monday at 12:00 (09:00–18:00).
func (c *Calendar) AddBusinessTime(from time.Time, d time.Duration) time.Time {
	t := c.NextOpen(from)
	for {
		_, close := c.hours(c.midnight(t))
		if left := close.Sub(t); d <= left {
			return t.Add(d)
		} else {
			d -= left
		}
		t = c.NextOpen(close)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
