package report_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/report"
)

// benchEvents returns n events over a day: 20 services, a third refused,
// sources drawn from a skewed distribution over distinct sources (IPv4
// and IPv6), a rule on half of them.
func benchEvents(n, distinct int) []watch.Event {
	rng := rand.New(rand.NewPCG(7, 7))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(distinct-1))
	ev := make([]watch.Event, n)
	for i := range ev {
		id := zipf.Uint64()
		var addr netip.Addr
		if id%4 == 0 {
			addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id), 8: byte(i)})
		} else {
			addr = netip.AddrFrom4([4]byte{10, byte(id >> 16), byte(id >> 8), byte(id)})
		}
		v := watch.Granted
		if i%3 == 0 {
			v = watch.Refused
		}
		e := watch.Event{
			Time:    fixFrom.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))),
			Daemon:  fmt.Sprintf("svc%d", i%20),
			Verdict: v,
			Addr:    addr,
			Name:    fmt.Sprintf("host%d.example.net", id),
		}
		if i%2 == 0 {
			e.Rule = fmt.Sprintf("/etc/hosts.deny:%d", i%50)
		}
		ev[i] = e
	}
	return ev
}

// BenchmarkAdd measures Add on a day's skewed traffic from 100,000
// sources, with the default bound of 10,000 tracked sources, and
// reports events per second.
func BenchmarkAdd(b *testing.B) {
	for _, distinct := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("sources=%d", distinct), func(b *testing.B) {
			ev := benchEvents(1<<16, distinct)
			a, err := report.New(report.Options{From: fixFrom, To: fixTo})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				a.Add(ev[i&(len(ev)-1)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkAddChurn gives every refusal a new IPv6 /64, the worst case
// for the space-saving table (every event evicts an entry), and reports
// the heap the Aggregator holds afterwards.
func BenchmarkAddChurn(b *testing.B) {
	a, err := report.New(report.Options{From: fixFrom, To: fixTo})
	if err != nil {
		b.Fatal(err)
	}
	name := "a-long-hostile-name-" + string(make([]byte, 300))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Add(watch.Event{
			Time:    fixFrom.Add(time.Duration(i%86400) * time.Second),
			Daemon:  "sshd",
			Verdict: watch.Refused,
			Addr:    netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), 15: 1}),
			Name:    name,
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "MB-held")
	runtime.KeepAlive(a)
}

// BenchmarkReport measures taking a Report of a full Aggregator (10,000
// tracked sources) and rendering it.
func BenchmarkReport(b *testing.B) {
	a, err := report.New(report.Options{From: fixFrom, To: fixTo})
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range benchEvents(1<<18, 100000) {
		a.Add(e)
	}
	r := a.Report()
	b.Run("snapshot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.Report()
		}
	})
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"text", r.WriteText},
		{"json", r.WriteJSON},
		{"html", r.WriteHTML},
	} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f.write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
