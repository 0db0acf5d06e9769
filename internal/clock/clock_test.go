package clock_test

import (
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
)

func TestSettable(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	c := clock.NewSettable(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	c.Add(90 * time.Minute)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Errorf("after Add: %v, want %v", got, want)
	}
	later := start.AddDate(0, 1, 0)
	c.Set(later)
	if got := c.Now(); !got.Equal(later) {
		t.Errorf("after Set: %v, want %v", got, later)
	}
}
