package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustHours(t *testing.T, c *Calendar, name string) *Hours {
	t.Helper()
	h, ok := c.Hours(name)
	if !ok {
		t.Fatalf("Hours(%q) missing; have %v", name, c.HoursNames())
	}
	return h
}

func TestChannelHoursOpen(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		hours, at string
		want      bool
	}{
		{"phone-zh", "2026-11-21 20:59", true},  // Saturday, the Chinese line works
		{"phone-zh", "2026-11-21 21:00", false}, // closing minute is closed
		{"phone-zh", "2026-11-22 10:00", false}, // Sunday
		{"phone-en", "2026-11-21 10:00", false}, // the English line rests on Saturday
		{"phone-en", "2026-11-20 09:00", true},  // opening minute is open
		{"phone-en", "2026-11-20 08:59", false},
		{"phone-zh", "2026-10-01 10:00", false}, // National Day
		{"chat", "2026-10-01 10:00", true},      // the chat stays open on holidays
		{"chat", "2026-10-01 22:00", false},
		{"phone-en", "2026-10-10 10:00", true}, // Saturday worked in exchange
		{"business", "2026-11-20 17:59", true}, // the SLA's own hours
		{"business", "2026-11-20 18:00", false},
	} {
		if got := mustHours(t, c, tt.hours).IsOpen(at(tt.at)); got != tt.want {
			t.Errorf("%s.IsOpen(%s) = %v, want %v", tt.hours, tt.at, got, tt.want)
		}
	}
	s := mustHours(t, c, "phone-zh").Day(at("2026-10-02 12:00"))
	if !s.Closed || s.Holiday != "国庆节" {
		t.Errorf("phone-zh on 2 Oct = %+v, want closed for 国庆节", s)
	}
}

func TestChannelHoursNextOpen(t *testing.T) {
	c := Default()
	h := mustHours(t, c, "phone-en")
	// Friday 30 Sept after hours: the next opening skips National Day week
	// to Thursday 8 October.
	got, ok := h.NextOpen(at("2026-09-30 18:00"))
	if !ok || !got.Equal(at("2026-10-08 09:00")) {
		t.Errorf("NextOpen = %v %v, want 2026-10-08 09:00", got, ok)
	}
	if got, _ := h.NextOpen(at("2026-11-20 10:00")); !got.Equal(at("2026-11-20 10:00")) {
		t.Errorf("NextOpen while open = %v, want the same instant", got)
	}
	if cl, ok := h.NextClose(at("2026-11-20 10:00")); !ok || !cl.Equal(at("2026-11-20 17:00")) {
		t.Errorf("NextClose = %v %v", cl, ok)
	}
	days := h.Days(at("2026-11-20 10:00"), 7)
	if len(days) != 7 || days[0].Closed || !days[1].Closed || !days[3].Open.Equal(at("2026-11-23 09:00")) {
		t.Errorf("Days = %+v", days)
	}
}

func TestHoursSpecErrors(t *testing.T) {
	in := `{"time_zone":"Asia/Shanghai","open":"09:00","close":"18:00","weekdays":["mon"],
	 "hours":{"x":{"open":"20:00","close":"08:00","weekdays":["mon"]},"y":{"open":"09:00","close":"24:00","weekdays":["funday"]},"business":{"open":"09:00","close":"10:00","weekdays":["mon"]}}}`
	_, err := Parse(strings.NewReader(in))
	if !errors.Is(err, ErrSpec) {
		t.Fatalf("Parse = %v, want ErrSpec", err)
	}
	for _, want := range []string{`hours "x": open "20:00"`, `"funday"`, `"business"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	ok := `{"time_zone":"Asia/Shanghai","open":"09:00","close":"18:00","weekdays":["mon"],
	 "hours":{"allday":{"open":"00:00","close":"24:00","weekdays":["mon","tue","wed","thu","fri","sat","sun"]}}}`
	c, err := Parse(strings.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	h := mustHours(t, c, "allday")
	if !h.IsOpen(at("2026-11-22 23:59")) || h.Day(at("2026-11-22 12:00")).Close.Sub(at("2026-11-22 00:00")) != 24*time.Hour {
		t.Errorf("24:00 hours: %+v", h.Day(at("2026-11-22 12:00")))
	}
}
