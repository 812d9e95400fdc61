package limits_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"tcpwrap/limits"
)

// fuzzAddrs are the clients of FuzzLimiter: pairs in one /24, one /64, a
// mapped address, a zone, the unspecified addresses, and no address.
var fuzzAddrs = []netip.Addr{
	netip.MustParseAddr("192.0.2.1"),
	netip.MustParseAddr("192.0.2.2"),
	netip.MustParseAddr("192.0.3.1"),
	netip.MustParseAddr("::ffff:192.0.2.1"),
	netip.MustParseAddr("2001:db8::1"),
	netip.MustParseAddr("2001:db8::2"),
	netip.MustParseAddr("2001:db8:0:0:1::1"),
	netip.MustParseAddr("2001:db8:1::1"),
	netip.MustParseAddr("fe80::1%eth0"),
	netip.MustParseAddr("0.0.0.0"),
	netip.MustParseAddr("::"),
	{},
}

// model is a slow, obviously correct limiter to hold the real one
// against: sources keyed by the netip.Prefix string, a classic token
// bucket counted in nanoseconds of credit, every source kept forever.
type model struct {
	v4bits, v6bits int
	track          bool
	srcMax         int
	rate           bool
	t, capacity    int64 // ns per token, ns of credit when full
	interval       int64
	globalMax      int
	global         int
	globalLog      modelLog
	svcMax, svc    [3]int
	svcLog         [3]modelLog
	sources        map[string]*modelSource
}

type modelLog struct {
	last       int64
	suppressed int64
	seen       bool
}

func (m *modelLog) note(now, interval int64) (bool, int64) {
	if !m.seen || now-m.last >= interval {
		n := m.suppressed
		*m = modelLog{last: now, seen: true}
		return true, n
	}
	m.suppressed++
	return false, 0
}

func (m *modelLog) flush(now, interval int64) int64 {
	if m.suppressed == 0 || (m.seen && now-m.last < interval) {
		return 0
	}
	n := m.suppressed
	*m = modelLog{last: now, seen: true}
	return n
}

type modelSource struct {
	active       int
	credit, last int64
	log          [2]modelLog // source-rate, source-concurrent
}

func (m *model) sourceOf(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid Prefix"
	}
	a = a.WithZone("").Unmap()
	bits := m.v6bits
	if a.Is4() {
		bits = m.v4bits
	}
	p, err := a.Prefix(bits)
	if err != nil {
		panic(err)
	}
	return p.String()
}

// acquire returns the reason, log and suppressed the limiter must give.
func (m *model) acquire(svc int, a netip.Addr, now int64) (limits.Reason, bool, int64, string) {
	key := m.sourceOf(a)
	var s *modelSource
	if m.track {
		s = m.sources[key]
		if s == nil {
			s = &modelSource{credit: m.capacity, last: now}
			m.sources[key] = s
		}
		if m.rate {
			s.credit = min(m.capacity, s.credit+now-s.last)
			s.last = now
			if s.credit < m.t {
				log, n := s.log[0].note(now, m.interval)
				return limits.SourceRate, log, n, key
			}
			s.credit -= m.t
		}
		if m.srcMax > 0 && s.active >= m.srcMax {
			log, n := s.log[1].note(now, m.interval)
			return limits.SourceConcurrent, log, n, key
		}
	}
	if m.svcMax[svc] > 0 && m.svc[svc] >= m.svcMax[svc] {
		log, n := m.svcLog[svc].note(now, m.interval)
		return limits.ServiceMax, log, n, key
	}
	if m.globalMax > 0 && m.global >= m.globalMax {
		log, n := m.globalLog.note(now, m.interval)
		return limits.GlobalMax, log, n, key
	}
	if s != nil {
		s.active++
	}
	m.svc[svc]++
	m.global++
	return limits.Admitted, false, 0, key
}

func (m *model) release(svc int, key string) {
	if m.track {
		m.sources[key].active--
	}
	m.svc[svc]--
	m.global--
}

func (m *model) sweep(now int64) []string {
	var out []string
	for key, s := range m.sources {
		for i, r := range []limits.Reason{limits.SourceRate, limits.SourceConcurrent} {
			if n := s.log[i].flush(now, m.interval); n > 0 {
				out = append(out, fmt.Sprintf("%v %s %d", r, key, n))
			}
		}
	}
	for i := range m.svcLog {
		if n := m.svcLog[i].flush(now, m.interval); n > 0 {
			out = append(out, fmt.Sprintf("%v svc%d %d", limits.ServiceMax, i, n))
		}
	}
	if n := m.globalLog.flush(now, m.interval); n > 0 {
		out = append(out, fmt.Sprintf("%v  %d", limits.GlobalMax, n)) // no name
	}
	slices.Sort(out)
	return out
}

// FuzzLimiter plays a sequence of acquisitions, releases (some twice),
// clock steps, service reloads and sweeps. With a table large enough
// that no source is ever forgotten under pressure, every answer must be
// the model's; with a tiny table, where sources are forgotten and
// overflow, the service and global counts must still be exact, no count
// ever negative, and releasing everything must bring every count back to
// zero.
func FuzzLimiter(f *testing.F) {
	f.Add([]byte{0x02, 0x12, 0x21, 0x11, 0x1b, 0x00, 0, 0, 0, 0, 0, 0, 5, 3, 0, 4, 0})
	f.Add([]byte{0x01, 0x11, 0x10, 0x00, 0x00, 0x81, 0, 1, 8, 2, 16, 3, 24, 4, 4, 1, 5, 200, 7, 0, 1})
	f.Add([]byte{0x03, 0x13, 0x03, 0x23, 0x3f, 0x00, 0, 4, 0, 5, 0, 6, 0, 7, 4, 0, 4, 0, 5, 150, 7, 0, 11, 0, 8})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0, 0, 1, 1, 2, 2, 6, 0, 4, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 6 {
			return
		}
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		b0, b1, b2, b3, b4, b5 := next(), next(), next(), next(), next(), next()
		clock := newClock()
		cfg := limits.Config{
			GlobalMax:   int(b0 % 4),
			Source:      limits.SourceLimits{Max: int(b1 % 4)},
			IPv4Bits:    []int{0, 32, 24, 31}[b3%4],
			IPv6Bits:    []int{0, 128, 48, 127}[b3>>2%4],
			LogInterval: time.Second,
			Clock:       clock,
		}
		if b1&0x10 != 0 {
			cfg.Source.Rate = limits.PerSecond(int(b2%4)+1, int(b2>>4%4))
		}
		small := b5&0x80 != 0
		if small {
			cfg.MaxSources = int(b5%3) + 1
		}
		l, err := limits.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := &model{
			v4bits: 32, v6bits: 64,
			srcMax: cfg.Source.Max, globalMax: cfg.GlobalMax,
			interval: int64(time.Second), sources: map[string]*modelSource{},
		}
		if cfg.IPv4Bits != 0 {
			m.v4bits = cfg.IPv4Bits
		}
		if cfg.IPv6Bits != 0 {
			m.v6bits = cfg.IPv6Bits
		}
		if r := cfg.Source.Rate; r.N > 0 {
			m.rate = true
			m.t = (int64(time.Second) + int64(r.N) - 1) / int64(r.N)
			burst := r.Burst
			if burst == 0 {
				burst = r.N
			}
			m.capacity = int64(burst) * m.t
		}
		m.track = m.rate || m.srcMax > 0
		var svcs [3]*limits.Service
		for i := range svcs {
			m.svcMax[i] = int(b4 >> (2 * i) % 4)
			if svcs[i], err = l.SetService(fmt.Sprintf("svc%d", i), limits.ServiceLimits{Max: m.svcMax[i]}); err != nil {
				t.Fatal(err)
			}
		}
		type held struct {
			t   limits.Ticket
			svc int
			key string
		}
		var tickets []held
		now := func() int64 { return int64(clock.Now().Sub(newClock().Now())) }
		for len(data) > 0 {
			switch op := next(); op % 8 {
			case 0, 1, 2, 3:
				svc := int(op>>3) % 3
				a := fuzzAddrs[int(next())%len(fuzzAddrs)]
				before := m.svc[svc]
				beforeGlobal := m.global
				reason, log, n, key := m.acquire(svc, a, now())
				tk, r := svcs[svc].Acquire(a)
				if r.Refused() == tk.Held() {
					t.Fatalf("refused %v but ticket held %v", r.Refused(), tk.Held())
				}
				if small {
					// Only the service and global answers are exact.
					switch {
					case !r.Refused():
						if m.svcMax[svc] > 0 && before >= m.svcMax[svc] || m.globalMax > 0 && beforeGlobal >= m.globalMax {
							t.Fatalf("admitted over a limit: service %d/%d, global %d/%d", before, m.svcMax[svc], beforeGlobal, m.globalMax)
						}
						if reason != limits.Admitted {
							// The model refused for the source; put its
							// count right.
							m.svc[svc]++
							m.global++
						}
					case r.Reason == limits.ServiceMax && (m.svcMax[svc] == 0 || before < m.svcMax[svc]),
						r.Reason == limits.GlobalMax && (m.globalMax == 0 || beforeGlobal < m.globalMax):
						t.Fatalf("refused %v with service %d/%d, global %d/%d", r, before, m.svcMax[svc], beforeGlobal, m.globalMax)
					case reason == limits.Admitted:
						m.svc[svc]--
						m.global--
					}
					if !r.Refused() {
						tickets = append(tickets, held{tk, svc, ""})
					}
					break
				}
				source := key
				if !r.Refused() {
					source = netip.Prefix{}.String() // an admission says nothing more
				}
				if r.Reason != reason || r.Log != log || r.Suppressed != n || r.Source.String() != source || r.Overflow || tk.Overflow() {
					t.Fatalf("svc%d from %v: got %v %v log=%v suppressed=%d overflow=%v, want %v %s log=%v suppressed=%d",
						svc, a, r.Reason, r.Source, r.Log, r.Suppressed, r.Overflow || tk.Overflow(), reason, key, log, n)
				}
				if !r.Refused() {
					tickets = append(tickets, held{tk, svc, key})
				}
			case 4:
				if len(tickets) == 0 {
					break
				}
				i := int(next()) % len(tickets)
				h := tickets[i]
				tickets = slices.Delete(tickets, i, i+1)
				h.t.Release()
				if op&0x80 != 0 {
					h.t.Release()
				}
				if h.t.Held() {
					t.Fatal("released ticket still held")
				}
				if small {
					m.svc[h.svc]--
					m.global--
				} else {
					m.release(h.svc, h.key)
				}
			case 5:
				clock.Advance(time.Duration(next()) * 7 * time.Millisecond)
			case 6:
				svc := int(op>>3) % 3
				m.svcMax[svc] = int(next() % 4)
				if _, err := l.SetService(fmt.Sprintf("svc%d", svc), limits.ServiceLimits{Max: m.svcMax[svc]}); err != nil {
					t.Fatal(err)
				}
			case 7:
				var got []string
				l.Sweep(func(r limits.Refusal) {
					who := r.Source.String()
					switch r.Reason {
					case limits.ServiceMax:
						who = r.Service
					case limits.GlobalMax:
						who = ""
					}
					got = append(got, fmt.Sprintf("%v %s %d", r.Reason, who, r.Suppressed))
				})
				if small {
					break
				}
				slices.Sort(got)
				if want := m.sweep(now()); !slices.Equal(got, want) {
					t.Fatalf("sweep reported\n%q\nwant\n%q", got, want)
				}
			}
			// The counts after every step.
			if l.Active() != m.global {
				t.Fatalf("%d sessions, want %d", l.Active(), m.global)
			}
			for i, s := range svcs {
				if s.Active() != m.svc[i] {
					t.Fatalf("svc%d: %d sessions, want %d", i, s.Active(), m.svc[i])
				}
			}
			n, err := limits.Check(l)
			if err != nil {
				t.Fatal(err)
			}
			if m.track && n != m.global {
				t.Fatalf("%d sessions in source entries, want %d", n, m.global)
			}
		}
		// Releasing everything restores every count exactly.
		for _, h := range tickets {
			h.t.Release()
		}
		if l.Active() != 0 {
			t.Fatalf("%d sessions left", l.Active())
		}
		for i, s := range svcs {
			if s.Active() != 0 {
				t.Fatalf("svc%d: %d sessions left", i, s.Active())
			}
		}
		if n, err := limits.Check(l); n != 0 || err != nil {
			t.Fatalf("%d source sessions left, %v", n, err)
		}
	})
}
