// Package clock holds the clocks used in place of time.Now: Settable, which
// stands still until moved (unit tests), and Offset, real time plus an
// offset that a development server's /dev/clock moves (end-to-end tests).
// Every component takes its clock as a func() time.Time, so either's Now
// method plugs in anywhere.
package clock

import (
	"sync"
	"time"
)

// Settable is a clock that stands still until it is set or advanced. It is
// safe for concurrent use.
type Settable struct {
	mu  sync.Mutex
	now time.Time
}

// NewSettable returns a clock reading t.
func NewSettable(t time.Time) *Settable { return &Settable{now: t} }

// Now returns the clock's time.
func (c *Settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Settable) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock forward by d.
func (c *Settable) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
