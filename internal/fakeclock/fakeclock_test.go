package fakeclock_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"tcpwrap/internal/fakeclock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMoves(t *testing.T) {
	c := fakeclock.New(t0)
	steps := []struct {
		do   func()
		want time.Time
	}{
		{func() {}, t0},
		{func() { c.Advance(90 * time.Second) }, t0.Add(90 * time.Second)},
		{func() { c.Advance(-30 * time.Second) }, t0.Add(time.Minute)},
		{func() { c.Set(t0.Add(24 * time.Hour)) }, t0.Add(24 * time.Hour)},
		{func() { c.Advance(0) }, t0.Add(24 * time.Hour)},
	}
	for i, s := range steps {
		s.do()
		if got := c.Now(); !got.Equal(s.want) {
			t.Errorf("step %d: Now() = %v, want %v", i, got, s.want)
		}
		if got := c.Now(); !got.Equal(s.want) {
			t.Errorf("step %d: second Now() = %v, the clock moved by itself", i, got)
		}
	}
}

// Readers and movers at once: run with -race. Every step is counted.
func TestConcurrent(t *testing.T) {
	c := fakeclock.New(t0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Advance(time.Millisecond)
			}
		}()
		go func() {
			defer wg.Done()
			prev := t0
			for range 1000 {
				now := c.Now()
				if now.Before(prev) {
					t.Errorf("time went back: %v after %v", now, prev)
					return
				}
				prev = now
			}
		}()
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(4*time.Second); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
}

func ExampleClock() {
	c := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	c.Advance(90 * time.Minute)
	fmt.Println(c.Now().Format(time.RFC3339))
	c.Set(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	fmt.Println(c.Now().Format(time.RFC3339))
	// Output:
	// 2026-03-01T13:30:00Z
	// 2026-03-02T00:00:00Z
}
