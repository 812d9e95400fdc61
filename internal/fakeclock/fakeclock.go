// Package fakeclock is a clock for tests: it stands still until the test
// moves it. It satisfies every Clock interface of the project (a single
// Now() time.Time method), and is safe for concurrent use, so the code
// under test may read it from its own goroutines while the test moves it.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a time that moves only when told. Make one with New.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads t until it is moved.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d (backwards when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
