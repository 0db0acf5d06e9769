package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
)

// fakeReal is a controllable "real" time.
type fakeReal struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeReal) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeReal) tick(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func TestClock(t *testing.T) {
	real := &fakeReal{t: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)}
	c := clock.NewOffset(real.now)
	check := func(step string, want time.Time, wantOffset time.Duration) {
		t.Helper()
		if got := c.Now(); !got.Equal(want) {
			t.Errorf("%s: Now = %v, want %v", step, got, want)
		}
		if got := c.Offset(); got != wantOffset {
			t.Errorf("%s: Offset = %v, want %v", step, got, wantOffset)
		}
	}
	check("new", real.t, 0)

	target := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(target)
	check("set", target, target.Sub(real.t))

	// It keeps ticking with real time: a stopped clock would never let a
	// timeout expire.
	real.tick(90 * time.Second)
	check("after real time passes", target.Add(90*time.Second), target.Sub(real.t.Add(-90*time.Second)))

	c.Add(48 * time.Hour)
	check("advanced", target.Add(90*time.Second+48*time.Hour), target.Sub(real.t)+48*time.Hour+90*time.Second)

	c.Add(-time.Hour)
	check("moved back", target.Add(90*time.Second+47*time.Hour), target.Sub(real.t)+47*time.Hour+90*time.Second)

	c.Set(real.t.Add(-time.Hour))
	check("set into the past", real.t.Add(-time.Hour), -time.Hour)

	c.Reset()
	check("reset", real.t, 0)
}

func TestRealTimeTicks(t *testing.T) {
	c := clock.NewOffset(time.Now)
	c.Add(24 * time.Hour)
	a := c.Now()
	time.Sleep(5 * time.Millisecond)
	if b := c.Now(); !b.After(a) {
		t.Errorf("the clock stood still: %v then %v", a, b)
	}
	if d := c.Now().Sub(time.Now()); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("clock is %v from real time, want about 24h", d)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := clock.NewOffset(time.Now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Add(time.Minute)
				c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Offset(); got != 800*time.Minute {
		t.Errorf("Offset after 800 concurrent Add(1m) = %v, want 800m", got)
	}
}
