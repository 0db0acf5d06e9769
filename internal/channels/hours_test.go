package channels

import (
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/calendar"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustChannel(t *testing.T, d *Directory, id string) Channel {
	t.Helper()
	c, ok := d.Channel(id)
	if !ok {
		t.Fatalf("no channel %q", id)
	}
	return c
}

// The English phone line keeps Shanghai's 09:00–17:00, Monday to Friday.
// Shanghai has no daylight saving time, so a visitor whose zone changes
// sees the opening move by an hour across the change.
func TestWeekAcrossDaylightSaving(t *testing.T) {
	d := Default(nil)
	phone := mustChannel(t, d, "phone-en")
	sh := zone(t, "Asia/Shanghai")
	for _, tt := range []struct {
		zone string
		now  time.Time // a Monday noon in Shanghai
		want string    // that Monday's opening, in the visitor's zone
	}{
		{"America/New_York", time.Date(2026, 3, 2, 12, 0, 0, 0, sh), "Sun 2026-03-01 20:00 EST"},
		{"America/New_York", time.Date(2026, 3, 9, 12, 0, 0, 0, sh), "Sun 2026-03-08 21:00 EDT"},
		{"Europe/Berlin", time.Date(2026, 3, 23, 12, 0, 0, 0, sh), "Mon 2026-03-23 02:00 CET"},
		{"Europe/Berlin", time.Date(2026, 3, 30, 12, 0, 0, 0, sh), "Mon 2026-03-30 03:00 CEST"},
		{"Europe/Berlin", time.Date(2026, 10, 19, 12, 0, 0, 0, sh), "Mon 2026-10-19 03:00 CEST"},
		{"Europe/Berlin", time.Date(2026, 10, 26, 12, 0, 0, 0, sh), "Mon 2026-10-26 02:00 CET"},
	} {
		w := d.Week(phone, tt.now, zone(t, tt.zone))
		if !w.OpenNow {
			t.Errorf("%s %v: not open at noon on a Monday", tt.zone, tt.now)
		}
		if got := w.Days[0].Open.Format("Mon 2006-01-02 15:04 MST"); got != tt.want {
			t.Errorf("%s: Monday opens at %s, want %s", tt.zone, got, tt.want)
		}
		if got := w.Days[0].Close.Sub(w.Days[0].Open); got != 8*time.Hour {
			t.Errorf("%s: open for %v, want 8h", tt.zone, got)
		}
		if len(w.Days) != WeekDays || !w.Days[5].Closed || !w.Days[6].Closed {
			t.Errorf("%s: the weekend is not closed: %+v", tt.zone, w.Days)
		}
	}
}

// The week containing the US change: days before it and after it each
// keep their own offset.
func TestWeekSpanningTheChange(t *testing.T) {
	d := Default(nil)
	phone := mustChannel(t, d, "phone-en")
	ny := zone(t, "America/New_York")
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, ny) // Thursday
	w := d.Week(phone, now, ny)
	var got []string
	for _, day := range w.Days {
		if !day.Closed {
			got = append(got, day.Open.Format("Jan 2 15:04 MST"))
		}
	}
	want := []string{"Mar 5 20:00 EST", "Mar 8 21:00 EDT", "Mar 9 21:00 EDT", "Mar 10 21:00 EDT", "Mar 11 21:00 EDT"}
	if len(got) != len(want) {
		t.Fatalf("openings = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("opening %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestOpenNowAtBoundariesAndHolidays(t *testing.T) {
	d := Default(nil)
	ny := zone(t, "America/New_York")
	phone := mustChannel(t, d, "phone-en")
	for _, tt := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 3, 8, 20, 59, 0, 0, ny), false}, // 08:59 Monday in Shanghai
		{time.Date(2026, 3, 8, 21, 0, 0, 0, ny), true},   // 09:00
		{time.Date(2026, 3, 9, 4, 59, 0, 0, ny), true},   // 16:59
		{time.Date(2026, 3, 9, 5, 0, 0, 0, ny), false},   // 17:00 closes
		{time.Date(2026, 2, 16, 22, 0, 0, 0, ny), false}, // Tue 17 Feb 11:00, Spring Festival
	} {
		w := d.Week(phone, tt.at, ny)
		if w.OpenNow != tt.open {
			t.Errorf("open at %v = %v, want %v", tt.at, w.OpenNow, tt.open)
		}
	}
	// Closed over the Spring Festival: the next opening is Tuesday 24
	// February 09:00 Shanghai, Monday 23 February 20:00 in New York.
	w := d.Week(phone, time.Date(2026, 2, 16, 22, 0, 0, 0, ny), ny)
	if !w.HasOpens || w.Opens.Format("2006-01-02 15:04 MST") != "2026-02-23 20:00 EST" {
		t.Errorf("next opening = %v (%v)", w.Opens, w.HasOpens)
	}
	if w.Days[0].Holiday != "春节" || !w.Days[0].Closed {
		t.Errorf("17 Feb = %+v, want closed for 春节", w.Days[0])
	}
	// The chat stays open on holidays.
	chat := mustChannel(t, d, "chat")
	if w := d.Week(chat, time.Date(2026, 2, 16, 22, 0, 0, 0, ny), ny); !w.OpenNow || w.Closes.Format("15:04 MST") != "09:00 EST" {
		t.Errorf("chat on 春节 = open %v closes %v", w.OpenNow, w.Closes)
	}
}

func TestDefaultDirectoryUsesTheCalendar(t *testing.T) {
	d := Default(nil)
	for _, c := range d.Channels() {
		if h := d.Hours(c); h.Name() != c.Hours {
			t.Errorf("%s: hours %q, want %q", c.ID, h.Name(), c.Hours)
		}
	}
	if c, ok := d.Phone("en"); !ok || c.ID != "phone-en" {
		t.Errorf("Phone(en) = %v %v", c, ok)
	}
	if c, ok := d.Phone("zh-CN"); !ok || c.ID != "phone-zh" {
		t.Errorf("Phone(zh-CN) = %v %v", c, ok)
	}
}

func TestCalendarWithoutChannelHours(t *testing.T) {
	cal, err := calendar.Parse(strings.NewReader(`{"time_zone":"Europe/Berlin","open":"08:00","close":"16:00","weekdays":["mon","tue","wed","thu","fri"]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := Default(cal)
	phone := mustChannel(t, d, "phone-zh")
	if h := d.Hours(phone); h.Name() != calendar.BusinessHoursName {
		t.Errorf("phone-zh keeps %q, want the business hours", h.Name())
	}
	berlin := zone(t, "Europe/Berlin")
	w := d.Week(phone, time.Date(2026, 11, 23, 7, 59, 0, 0, berlin), berlin)
	if w.OpenNow || w.Opens.Format("15:04") != "08:00" {
		t.Errorf("week = %+v", w)
	}
}
