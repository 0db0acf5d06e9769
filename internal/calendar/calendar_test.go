package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDefaultBusinessDays(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		day  string
		want bool
	}{
		{"2026-11-20 12:00", true},  // Friday
		{"2026-11-21 12:00", false}, // Saturday
		{"2026-10-01 12:00", false}, // National Day, a Thursday
		{"2026-10-10 12:00", true},  // Saturday worked in exchange
		{"2026-02-14 12:00", true},  // Saturday before the Spring Festival
	} {
		if got := c.IsBusinessDay(at(tt.day)); got != tt.want {
			t.Errorf("IsBusinessDay(%s) = %v, want %v", tt.day, got, tt.want)
		}
	}
	if name, ok := c.Holiday(at("2026-10-02 08:00")); !ok || name != "国庆节" {
		t.Errorf("Holiday(2 Oct) = %q, %v", name, ok)
	}
}

func TestAddBusinessDays(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-20 15:00", 1, "2026-11-23 00:00"}, // Friday → Monday
		{"2026-11-20 15:00", 3, "2026-11-25 00:00"},
		{"2026-09-30 10:00", 1, "2026-10-08 00:00"}, // over the National Day week
		{"2026-10-09 10:00", 1, "2026-10-10 00:00"}, // onto the worked Saturday
		{"2026-11-21 10:00", 0, "2026-11-21 00:00"},
	} {
		if got := c.AddBusinessDays(at(tt.from), tt.n); !got.Equal(at(tt.want)) {
			t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	// A time given in another zone is read in the calendar's: Friday 20:00
	// UTC is already Saturday in Shanghai.
	utc := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	if got := c.AddBusinessDays(utc, 1); !got.Equal(at("2026-11-23 00:00")) {
		t.Errorf("from UTC Friday night: %s", got)
	}
}

func TestBusinessHours(t *testing.T) {
	c := Default()
	if !c.IsOpen(at("2026-11-20 09:00")) || c.IsOpen(at("2026-11-20 18:00")) || c.IsOpen(at("2026-11-21 10:00")) {
		t.Error("opening hours are 09:00 to 18:00 on working days")
	}
	if got := c.NextOpen(at("2026-11-20 18:30")); !got.Equal(at("2026-11-23 09:00")) {
		t.Errorf("NextOpen(Friday evening) = %s", got)
	}
	if got := c.AddBusinessTime(at("2026-11-20 17:00"), 4*time.Hour); !got.Equal(at("2026-11-23 12:00")) {
		t.Errorf("4 business hours from Friday 17:00 = %s, want Monday 12:00", got)
	}
	if got := c.AddBusinessTime(at("2026-11-22 23:00"), 9*time.Hour); !got.Equal(at("2026-11-23 18:00")) {
		t.Errorf("a full day from Sunday night = %s", got)
	}
	if got := c.BusinessTime(at("2026-11-20 17:00"), at("2026-11-23 12:00")); got != 4*time.Hour {
		t.Errorf("BusinessTime over a weekend = %s, want 4h", got)
	}
	if got := c.BusinessTime(at("2026-11-23 12:00"), at("2026-11-20 17:00")); got != 0 {
		t.Errorf("BusinessTime backwards = %s", got)
	}
	// AddBusinessTime and BusinessTime are inverse over many starts.
	for start := at("2026-09-28 00:00"); start.Before(at("2026-10-14 00:00")); start = start.Add(97 * time.Minute) {
		for _, d := range []time.Duration{time.Minute, 4 * time.Hour, 20 * time.Hour} {
			end := c.AddBusinessTime(start, d)
			if got := c.BusinessTime(start, end); got != d {
				t.Fatalf("from %s + %s = %s, which counts back as %s", start, d, end, got)
			}
		}
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := Parse(strings.NewReader(`{"time_zone":"Mars/Base","open":"18:00","close":"09:00","weekdays":["someday"],
		"holidays":[{"date":"2026-13-01"},{"date":"2026-10-10"}],"workdays":[{"date":"2026-10-10"}]}`))
	if !errors.Is(err, ErrSpec) {
		t.Fatalf("err = %v, want ErrSpec", err)
	}
	for _, want := range []string{"Mars/Base", "open", "someday", "2026-13-01", "both a holiday and a working day"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if _, err := Parse(strings.NewReader(`{"time_zone":"UTC","open":"09:00","close":"17:00","weekdays":["mon"],"extra":1}`)); !errors.Is(err, ErrSpec) {
		t.Errorf("unknown field accepted: %v", err)
	}
	if _, err := Load("/nonexistent/calendar.json"); err == nil {
		t.Error("missing file loaded")
	}
}
