package limits_test

import (
	"net/netip"
	"testing"
	"time"

	"tcpwrap/internal/fakeclock"
	"tcpwrap/limits"
)

// floodStats counts what one flooding source got.
type floodStats struct {
	admitted, tokens int // tokens: attempts that passed the rate check
	refused          map[limits.Reason]int
	logged           map[limits.Reason]int   // refusals reported as to be logged
	suppressed       map[limits.Reason]int64 // sum of their Suppressed
}

func newFloodStats() *floodStats {
	return &floodStats{refused: map[limits.Reason]int{}, logged: map[limits.Reason]int{}, suppressed: map[limits.Reason]int64{}}
}

func (s *floodStats) note(r limits.Refusal) {
	if !r.Refused() {
		s.admitted++
		s.tokens++
		return
	}
	if r.Reason != limits.SourceRate {
		s.tokens++
	}
	s.refused[r.Reason]++
	if r.Log {
		s.logged[r.Reason]++
		s.suppressed[r.Reason] += r.Suppressed
	}
}

// flood runs 10 simulated seconds: the flooder (next gives its address for
// each attempt) tries every 100µs and holds each admitted session for
// 50ms; the good client connects every 100ms and holds each session for
// 250ms, and every one of its connections must be admitted.
func flood(t *testing.T, l *limits.Limiter, clock *fakeclock.Clock, svc *limits.Service, next func(int) netip.Addr, good netip.Addr) *floodStats {
	t.Helper()
	const (
		step     = 100 * time.Microsecond
		duration = 10 * time.Second
		hold     = 50 * time.Millisecond
	)
	type held struct {
		t     limits.Ticket
		until time.Duration
	}
	var flooderHeld, goodHeld []held
	expire := func(hs []held, now time.Duration) []held {
		for len(hs) > 0 && hs[0].until <= now {
			hs[0].t.Release()
			hs = hs[1:]
		}
		return hs
	}
	stats := newFloodStats()
	goodConns := 0
	for i := 0; time.Duration(i)*step < duration; i++ {
		now := time.Duration(i) * step
		flooderHeld = expire(flooderHeld, now)
		goodHeld = expire(goodHeld, now)
		if now%(100*time.Millisecond) == 0 {
			tk, r := svc.Acquire(good)
			if r.Refused() {
				t.Fatalf("at %v the good client was refused: %v", now, r)
			}
			goodConns++
			goodHeld = append(goodHeld, held{tk, now + 250*time.Millisecond})
		}
		tk, r := svc.Acquire(next(i))
		stats.note(r)
		if !r.Refused() {
			flooderHeld = append(flooderHeld, held{tk, now + hold})
		}
		if svc.Active() > 8 || l.Active() > 64 {
			t.Fatalf("at %v: %d sessions of the service, %d in all", now, svc.Active(), l.Active())
		}
		clock.Advance(step)
	}
	if goodConns != 100 {
		t.Fatalf("good client connected %d times", goodConns)
	}
	for _, h := range append(flooderHeld, goodHeld...) {
		h.t.Release()
	}
	return stats
}

func floodLimiter(t *testing.T, cfg limits.Config) (*limits.Limiter, *fakeclock.Clock, *limits.Service) {
	t.Helper()
	clock := newClock()
	cfg.Clock = clock
	cfg.GlobalMax = 64
	cfg.Source = limits.SourceLimits{Max: 4, Rate: limits.PerSecond(10, 20)}
	cfg.LogInterval = time.Second
	l, err := limits.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := l.SetService("ftp", limits.ServiceLimits{Max: 8})
	if err != nil {
		t.Fatal(err)
	}
	return l, clock, svc
}

// checkFlood checks what a source flooding for 10s at 10/s, burst 20, gets:
// exactly the tokens of its bucket (the burst, then one every 100ms), and
// one log line per reason per second, whose suppressed counts with the
// last ones Sweep reports add up to every refusal.
func checkFlood(t *testing.T, l *limits.Limiter, clock *fakeclock.Clock, s *floodStats) {
	t.Helper()
	// At 100µs steps the flooder takes each token as soon as it is there:
	// 20 at once, then one at 0.1s, 0.2s, ... 9.9s.
	if s.tokens != 20+99 {
		t.Errorf("flooder got %d tokens, want 119", s.tokens)
	}
	if s.admitted < 100 || s.admitted > s.tokens {
		t.Errorf("flooder admitted %d times with %d tokens", s.admitted, s.tokens)
	}
	clock.Advance(time.Second)
	l.Sweep(func(r limits.Refusal) {
		if r.Reason == limits.SourceRate || r.Reason == limits.SourceConcurrent {
			s.suppressed[r.Reason] += r.Suppressed
		}
	})
	for _, reason := range []limits.Reason{limits.SourceRate} {
		// The first refusal comes at 2ms; one line a second after that.
		if s.logged[reason] != 10 {
			t.Errorf("%v: %d lines logged for %d refusals, want 10", reason, s.logged[reason], s.refused[reason])
		}
	}
	for reason, n := range s.refused {
		if int64(s.logged[reason])+s.suppressed[reason] != int64(n) {
			t.Errorf("%v: %d logged + %d suppressed != %d refused", reason, s.logged[reason], s.suppressed[reason], n)
		}
	}
	if s.refused[limits.ServiceMax] != 0 || s.refused[limits.GlobalMax] != 0 {
		t.Errorf("the flood reached the service's or the global limit: %v", s.refused)
	}
	if l.Active() != 0 {
		t.Errorf("%d sessions left", l.Active())
	}
	if n, err := limits.Check(l); n != 0 || err != nil {
		t.Errorf("after the flood: %d source sessions, %v", n, err)
	}
}

// One source opening connections as fast as it can is throttled while
// another source's connections all succeed.
func TestFloodOneSource(t *testing.T) {
	l, clock, svc := floodLimiter(t, limits.Config{})
	flooder := netip.MustParseAddr("127.0.0.2")
	s := flood(t, l, clock, svc, func(int) netip.Addr { return flooder }, netip.MustParseAddr("127.0.0.3"))
	t.Logf("flooder: %d admitted, refused %v, logged %v", s.admitted, s.refused, s.logged)
	checkFlood(t, l, clock, s)
}

// A host rotating through the addresses of its /64 is one source.
func TestFloodIPv6Rotation(t *testing.T) {
	l, clock, svc := floodLimiter(t, limits.Config{})
	base := netip.MustParseAddr("2001:db8:bad:1::").As16()
	next := func(i int) netip.Addr {
		b := base
		for j := 8; j < 16; j++ { // a different interface identifier each time
			b[j] = byte(uint64(i)*0x9e3779b97f4a7c15>>(8*(j-8))) ^ byte(j)
		}
		return netip.AddrFrom16(b)
	}
	s := flood(t, l, clock, svc, next, netip.MustParseAddr("2001:db8:600d:1::1"))
	t.Logf("flooder: %d admitted, refused %v, logged %v", s.admitted, s.refused, s.logged)
	checkFlood(t, l, clock, s)
}

// A flood of rotating (spoofed) IPv4 sources fills the table but not the
// memory: the table stays within MaxSources, the sources holding
// sessions keep their own limits and are all served, and the ones nobody
// has room for share the overflow entry's budget.
func TestFloodRotatingSources(t *testing.T) {
	for _, tc := range []struct {
		name     string
		every    time.Duration // one new source per
		attempts int           // by each source, in a row
		overflow bool          // the table saturates
	}{
		// 10,000 new sources a second, each non-idle for 50ms: about 500
		// at a time, within the table. Every client is tracked.
		{"moderate", 100 * time.Microsecond, 1, false},
		// 100,000 sources a second, each connecting once: the table is
		// full, but of sources one token short, which make room for the
		// next ones. Every client is still tracked on its own.
		{"one-shot", 10 * time.Microsecond, 1, false},
		// 100,000 sources a second, each connecting 3 times: 5,000
		// sources in debt at a time, the table of 1024 saturates, and the
		// new sources share the overflow entry.
		{"saturating", 10 * time.Microsecond, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			l, err := limits.New(limits.Config{
				Source:     limits.SourceLimits{Max: 4, Rate: limits.PerSecond(20, 5)},
				MaxSources: 1024,
				Clock:      clock,
			})
			if err != nil {
				t.Fatal(err)
			}
			if limits.Shards(l) != 1 {
				t.Fatalf("%d shards", limits.Shards(l))
			}
			// The client that holds a long session, and connects again
			// every 100ms for short ones.
			regular := netip.MustParseAddr("127.0.0.2")
			long, r := l.Acquire("ssh", regular)
			if r.Refused() {
				t.Fatal(r)
			}
			// The client that connects every 100ms, holding nothing
			// between.
			intermittent := netip.MustParseAddr("127.0.0.3")
			var flooded, overflowed, intermittentRefused int
			for i := 0; time.Duration(i)*tc.every < time.Second; i++ {
				now := time.Duration(i) * tc.every
				if now%(100*time.Millisecond) == 0 {
					tk, r := l.Acquire("ftp", regular)
					if r.Refused() || tk.Overflow() {
						t.Fatalf("at %v the client holding a session got %v (overflow %v)", now, r, tk.Overflow())
					}
					tk.Release()
					tk, r = l.Acquire("ftp", intermittent)
					if r.Refused() {
						intermittentRefused++
					}
					tk.Release()
				}
				src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
				for range tc.attempts {
					tk, r := l.Acquire("ftp", src)
					flooded++
					if tk.Overflow() || r.Overflow {
						overflowed++
					}
					tk.Release()
				}
				if i%1000 == 0 {
					if n := l.Sources(); n > 1024 {
						t.Fatalf("at %v: %d sources tracked", now, n)
					}
				}
				clock.Advance(tc.every)
			}
			t.Logf("%d flood connections, %d in overflow; intermittent client refused %d times of 10", flooded, overflowed, intermittentRefused)
			if tc.overflow != (overflowed > 0) {
				t.Errorf("overflow used %d times", overflowed)
			}
			if !tc.overflow && intermittentRefused != 0 {
				t.Errorf("intermittent client refused %d times", intermittentRefused)
			}
			long.Release()
			if n, err := limits.Check(l); n != 0 || err != nil {
				t.Fatal(n, err)
			}
		})
	}
}
