package limits_test

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tcpwrap/limits"
)

// Many goroutines acquire and release (some twice, some through copies)
// while others reload, sweep and read the counts. No limit is ever
// exceeded, and when all is released every count is back to zero. Run it
// with -race.
func TestConcurrent(t *testing.T) {
	const (
		workers    = 16
		iterations = 5000
		svcMax     = 5
		srcMax     = 3
		globalMax  = 12
	)
	clock := newClock()
	cfg := limits.Config{
		GlobalMax:  globalMax,
		Source:     limits.SourceLimits{Max: srcMax, Rate: limits.PerSecond(1000, 50)},
		MaxSources: 4, // small: eviction and overflow under way all the time
		Overflow:   &limits.SourceLimits{Max: srcMax},
		Clock:      clock,
	}
	l, err := limits.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ftp", "ssh", "telnet"}
	var svcs []*limits.Service
	for _, n := range names {
		s, err := l.SetService(n, limits.ServiceLimits{Max: svcMax})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	srcs := []netip.Addr{
		netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2"),
		netip.MustParseAddr("::ffff:127.0.0.2"), netip.MustParseAddr("::1"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"),
		netip.MustParseAddr("127.0.0.3"), netip.MustParseAddr("127.0.0.4"), {},
	}
	// Our own count of the sessions we hold, per service: raised after
	// an admission, lowered before the Release, so it never exceeds the
	// limiter's.
	var mine [3]atomic.Int64
	var total atomic.Int64
	var admitted, refused atomic.Int64

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { // reloads, sweeps, the clock
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			clock.Advance(time.Millisecond)
			l.Sweep(func(limits.Refusal) {})
			c := cfg
			c.Source.Max = srcMax - i%2 // never above srcMax
			if err := l.Reconfigure(c); err != nil {
				t.Error(err)
				return
			}
			if _, err := l.SetService(names[i%3], limits.ServiceLimits{Max: svcMax - i%3}); err != nil {
				t.Error(err)
				return
			}
			_ = l.Sources()
			_ = l.Active()
		}
	})

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			type heldTicket struct {
				t   limits.Ticket
				svc int
			}
			var held []heldTicket
			release := func(i int) {
				h := held[i]
				held = append(held[:i], held[i+1:]...)
				mine[h.svc].Add(-1)
				total.Add(-1)
				copy := h.t
				h.t.Release()
				copy.Release() // a stale copy: no effect
			}
			for range iterations {
				if len(held) > 0 && rng.IntN(3) == 0 {
					release(rng.IntN(len(held)))
					continue
				}
				si := rng.IntN(len(svcs))
				tk, r := svcs[si].Acquire(srcs[rng.IntN(len(srcs))])
				if r.Refused() {
					refused.Add(1)
					tk.Release() // the zero Ticket: no effect
					continue
				}
				admitted.Add(1)
				if n := mine[si].Add(1); n > svcMax {
					t.Errorf("%s: %d sessions held, max %d", names[si], n, svcMax)
				}
				if n := total.Add(1); n > globalMax {
					t.Errorf("%d sessions held, max %d", n, globalMax)
				}
				held = append(held, heldTicket{tk, si})
			}
			for len(held) > 0 {
				release(0)
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	t.Logf("%d admitted, %d refused", admitted.Load(), refused.Load())
	if admitted.Load() == 0 || refused.Load() == 0 {
		t.Errorf("%d admitted, %d refused: the test did not exercise both", admitted.Load(), refused.Load())
	}
	if l.Active() != 0 {
		t.Errorf("%d sessions left", l.Active())
	}
	for _, s := range svcs {
		if s.Active() != 0 {
			t.Errorf("%s: %d sessions left", s.Name(), s.Active())
		}
	}
	if n, err := limits.Check(l); n != 0 || err != nil {
		t.Errorf("%d source sessions left, %v", n, err)
	}
}
