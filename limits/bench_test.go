package limits_test

import (
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"

	"tcpwrap/limits"
)

// benchConfig limits sources enough to be doing the work, with a global
// and a service maximum that a benchmark's few goroutines never reach.
func benchLimiter(b *testing.B, rate limits.Rate) *limits.Service {
	b.Helper()
	l, err := limits.New(limits.Config{
		GlobalMax: 1 << 20,
		Source:    limits.SourceLimits{Max: 1 << 20, Rate: rate},
	})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := l.SetService("ftp", limits.ServiceLimits{Max: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// rotating returns the i-th of a million IPv4 sources.
func rotating(i uint32) netip.Addr {
	i %= 1_000_000
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

// BenchmarkAcquireRelease measures one Acquire and its Release, from as
// many goroutines as GOMAXPROCS, and reports the share refused.
//
//   - one-source: every goroutine's connections come from one address
//     (one lock, the worst contention), under a rate it never reaches;
//   - rotating-1e6/churn: a million IPv4 sources in turn, under a rate of
//     a million a second: each source is forgettable a microsecond after
//     its connection, so the table of 65536 turns over without end;
//   - rotating-1e6/saturated: the same sources, each connecting twice in
//     a row, under 10/s, burst 20: no source is forgettable before 100ms,
//     the table is full and most connections go to an overflow entry and
//     are refused;
//   - no-source-limits: only the service and global counts.
func BenchmarkAcquireRelease(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rate  limits.Rate
		addr  func(uint32) netip.Addr
		noSrc bool
	}{
		{"one-source", limits.PerSecond(1<<30, 1<<30), func(uint32) netip.Addr { return netip.MustParseAddr("192.0.2.1") }, false},
		{"rotating-1e6/churn", limits.PerSecond(1_000_000, 1), rotating, false},
		{"rotating-1e6/saturated", limits.PerSecond(10, 20), func(i uint32) netip.Addr { return rotating(i / 2) }, false},
		{"no-source-limits", limits.Rate{}, rotating, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var svc *limits.Service
			if bc.noSrc {
				l, err := limits.New(limits.Config{GlobalMax: 1 << 20})
				if err != nil {
					b.Fatal(err)
				}
				svc = l.Service("ftp")
			} else {
				svc = benchLimiter(b, bc.rate)
			}
			// Warm up: grow the table to its working size first, so
			// that what is measured is the steady state.
			for i := range uint32(2_000_000) {
				t, _ := svc.Acquire(bc.addr(i))
				t.Release()
			}
			var next atomic.Uint32
			var refused atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// Each goroutine walks its own stretch of the sources.
				i := next.Add(1) * 250_007 // far apart: one never catches up with another
				n := 0
				for pb.Next() {
					t, r := svc.Acquire(bc.addr(i))
					if r.Refused() {
						n++
					}
					t.Release()
					i++
				}
				refused.Add(int64(n))
			})
			b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
		})
	}
}

// BenchmarkAcquireReleaseSerial is the same on one goroutine.
func BenchmarkAcquireReleaseSerial(b *testing.B) {
	b.Run("one-source", func(b *testing.B) {
		svc := benchLimiter(b, limits.PerSecond(1<<30, 1<<30))
		a := netip.MustParseAddr("192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			t, _ := svc.Acquire(a)
			t.Release()
		}
	})
	b.Run("rotating-1e6", func(b *testing.B) {
		svc := benchLimiter(b, limits.PerSecond(1_000_000, 1))
		var i uint32
		for ; i < 2_000_000; i++ {
			t, _ := svc.Acquire(rotating(i))
			t.Release()
		}
		b.ReportAllocs()
		for b.Loop() {
			t, _ := svc.Acquire(rotating(i))
			t.Release()
			i++
		}
	})
}

// BenchmarkMemory reports the heap a table of tracked sources takes, per
// source: 50,000 IPv6 sources holding a session each, so that none can be
// forgotten, in the default table of 65536. (Each shard's cap is exact,
// and sources do not spread exactly evenly, so the first shard fills up
// a little before the whole table.)
func BenchmarkMemory(b *testing.B) {
	const n = 50_000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, err := limits.New(limits.Config{Source: limits.SourceLimits{Max: 1, Rate: limits.PerSecond(1, 1)}, Clock: newClock()})
		if err != nil {
			b.Fatal(err)
		}
		tickets := make([]limits.Ticket, 0, n)
		base := netip.MustParseAddr("2001:db8::").As16()
		for i := range n {
			base[4], base[5], base[6] = byte(i>>16), byte(i>>8), byte(i)
			t, r := l.Acquire("ftp", netip.AddrFrom16(base))
			if r.Refused() || t.Overflow() {
				b.Fatalf("source %d: %v", i, r)
			}
			tickets = append(tickets, t)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if l.Sources() != n {
			b.Fatalf("%d sources", l.Sources())
		}
		// The tickets' slice is the caller's, not the limiter's.
		perSource := float64(after.HeapAlloc-before.HeapAlloc-uint64(cap(tickets))*24) / n
		b.ReportMetric(perSource, "B/source")
		runtime.KeepAlive(l)
		runtime.KeepAlive(tickets)
	}
}
