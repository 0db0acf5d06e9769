package clock

import (
	"sync/atomic"
	"time"
)

// Offset is the application clock of a development server: real time plus
// an offset that the /dev/clock page (and the end-to-end tests
// driving it) can set or advance. Unlike Settable, which stands still
// between changes and suits unit tests, this clock keeps ticking, so
// timeouts, job schedules and request deadlines behave as they do in
// production while the date can be moved to a lockout's expiry or a
// settlement day. The offset lives in this process only; development runs
// one node. The zero value is not usable; call NewOffset. It is safe for
// concurrent use.
type Offset struct {
	real   func() time.Time
	offset atomic.Int64 // nanoseconds
}

// NewOffset returns a clock that reads real (usually time.Now) with no offset.
func NewOffset(real func() time.Time) *Offset { return &Offset{real: real} }

// Now returns real time plus the offset. The result keeps real's monotonic
// reading, so durations measured with it are unaffected by Set.
func (c *Offset) Now() time.Time { return c.real().Add(c.Offset()) }

// Offset returns how far the clock is ahead of real time (negative when it
// is behind).
func (c *Offset) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// Set makes the clock read t now and keep ticking from there. A t more
// than about 290 years from real time saturates at the largest offset a
// time.Duration holds.
func (c *Offset) Set(t time.Time) { c.offset.Store(int64(t.Sub(c.real()))) }

// Add moves the clock by d (backwards when d is negative).
func (c *Offset) Add(d time.Duration) { c.offset.Add(int64(d)) }

// Reset returns the clock to real time.
func (c *Offset) Reset() { c.offset.Store(0) }
