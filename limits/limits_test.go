package limits_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/limits"
)

// run plays a script against a Limiter on a fake clock. Each step is one
// line:
//
//	SERVICE ADDR want          Acquire; want is ok, ok+overflow, or a reason
//	                           (source-rate, ...), optionally +overflow
//	release N                  release the N-th admitted ticket (from 0)
//	wait DURATION              advance the clock
//	active SERVICE N           the service holds N sessions
//	sources N                  the limiter tracks N sources
func run(t *testing.T, cfg limits.Config, services map[string]int, script string) *limits.Limiter {
	t.Helper()
	clock := newClock()
	cfg.Clock = clock
	l, err := limits.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, max := range services {
		if _, err := l.SetService(name, limits.ServiceLimits{Max: max}); err != nil {
			t.Fatal(err)
		}
	}
	var tickets []limits.Ticket
	for n, line := range strings.Split(strings.TrimSpace(script), "\n") {
		f := strings.Fields(line)
		where := fmt.Sprintf("step %d %q", n+1, strings.TrimSpace(line))
		switch {
		case len(f) == 2 && f[0] == "release":
			i, _ := strconv.Atoi(f[1])
			tickets[i].Release()
		case len(f) == 2 && f[0] == "wait":
			d, err := time.ParseDuration(f[1])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			clock.Advance(d)
		case len(f) == 3 && f[0] == "active":
			if got := l.Service(f[1]).Active(); strconv.Itoa(got) != f[2] {
				t.Fatalf("%s: %d sessions", where, got)
			}
		case len(f) == 2 && f[0] == "sources":
			if got := l.Sources(); strconv.Itoa(got) != f[1] {
				t.Fatalf("%s: %d sources", where, got)
			}
		case len(f) == 3:
			var addr netip.Addr
			if f[1] != "none" {
				addr = netip.MustParseAddr(f[1])
			}
			tk, r := l.Acquire(f[0], addr)
			got := r.Reason.String()
			if !r.Refused() {
				got = "ok"
				tickets = append(tickets, tk)
				if !tk.Held() {
					t.Fatalf("%s: admitted ticket not held", where)
				}
				if tk.Overflow() {
					got += "+overflow"
				}
			} else if tk.Held() {
				t.Fatalf("%s: refused, but ticket held", where)
			}
			if r.Overflow {
				got += "+overflow"
			}
			if got != f[2] {
				t.Fatalf("%s: got %s (%v)", where, got, r)
			}
		default:
			t.Fatalf("%s: bad step", where)
		}
		if _, err := limits.Check(l); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
	}
	return l
}

func TestAcquire(t *testing.T) {
	perSecond := func(n, burst int) limits.Config {
		return limits.Config{Source: limits.SourceLimits{Rate: limits.PerSecond(n, burst)}}
	}
	for _, tc := range []struct {
		name     string
		cfg      limits.Config
		services map[string]int
		script   string
	}{{
		// The zero Config limits nothing.
		name: "no limits",
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ssh 2001:db8::1 ok
			active ftp 2
			sources 0`,
	}, {
		// A service at its maximum refuses anyone; a release makes room.
		name:     "service max",
		services: map[string]int{"ftp": 2},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.2 ok
			ftp 192.0.2.3 service-max
			ssh 192.0.2.3 ok
			release 0
			ftp 192.0.2.3 ok
			active ftp 2`,
	}, {
		// The global maximum counts every service.
		name: "global max",
		cfg:  limits.Config{GlobalMax: 2},
		script: `
			ftp 192.0.2.1 ok
			ssh 192.0.2.2 ok
			telnet 192.0.2.3 global-max
			active telnet 0
			release 1
			telnet 192.0.2.3 ok`,
	}, {
		// Per-source sessions count across services.
		name: "source concurrent",
		cfg:  limits.Config{Source: limits.SourceLimits{Max: 2}},
		script: `
			ftp 192.0.2.1 ok
			ssh 192.0.2.1 ok
			ftp 192.0.2.1 source-concurrent
			ftp 192.0.2.2 ok
			release 0
			release 0
			ftp 192.0.2.1 ok
			sources 2`,
	}, {
		// A burst of 3, then one token every 100ms.
		name: "source rate per second",
		cfg:  perSecond(10, 3),
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 source-rate
			ftp 192.0.2.2 ok
			wait 99ms
			ftp 192.0.2.1 source-rate
			wait 1ms
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 source-rate
			wait 300ms
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 source-rate`,
	}, {
		// Two a minute, burst two; a refused attempt costs nothing.
		name: "source rate per minute",
		cfg:  limits.Config{Source: limits.SourceLimits{Rate: limits.PerMinute(2, 0)}},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 source-rate
			wait 29s
			ftp 192.0.2.1 source-rate
			wait 1s
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 source-rate`,
	}, {
		// A token is spent on every attempt that reaches the rate check,
		// even when the service then refuses: hammering a full service
		// runs the source out of tokens.
		name:     "attempts cost tokens",
		cfg:      perSecond(1, 3),
		services: map[string]int{"ftp": 1},
		script: `
			ftp 192.0.2.9 ok
			ftp 192.0.2.1 service-max
			ftp 192.0.2.1 service-max
			ftp 192.0.2.1 service-max
			ftp 192.0.2.1 source-rate
			release 0
			ftp 192.0.2.1 source-rate
			ftp 192.0.2.2 ok`,
	}, {
		// A source refused for its own limits never takes the service's
		// last place.
		name:     "offender takes no service slot",
		cfg:      limits.Config{Source: limits.SourceLimits{Max: 1}},
		services: map[string]int{"ftp": 2},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 source-concurrent
			ftp 192.0.2.1 source-concurrent
			active ftp 1
			ftp 192.0.2.2 ok`,
	}, {
		// A refusal by the global limit gives back the service's place.
		name:     "global refusal undoes service count",
		cfg:      limits.Config{GlobalMax: 1, Source: limits.SourceLimits{Max: 5}},
		services: map[string]int{"ftp": 1},
		script: `
			ssh 192.0.2.1 ok
			ftp 192.0.2.1 global-max
			active ftp 0
			release 0
			ftp 192.0.2.1 ok`,
	}, {
		// IPv4Bits 24 makes a /24 one source.
		name: "ipv4 prefix",
		cfg:  limits.Config{IPv4Bits: 24, Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.200 source-concurrent
			ftp 192.0.3.1 ok`,
	}, {
		// IPv6 sources are /64s by default.
		name: "ipv6 /64",
		cfg:  limits.Config{Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 2001:db8:1:2::1 ok
			ftp 2001:db8:1:2:ffff:ffff:ffff:ffff source-concurrent
			ftp 2001:db8:1:3::1 ok
			sources 2`,
	}, {
		// IPv6Bits 128: each address on its own.
		name: "ipv6 /128",
		cfg:  limits.Config{IPv6Bits: 128, Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 2001:db8::1 ok
			ftp 2001:db8::2 ok
			ftp 2001:db8::1 source-concurrent`,
	}, {
		// IPv6Bits 48 groups a site.
		name: "ipv6 /48",
		cfg:  limits.Config{IPv6Bits: 48, Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 2001:db8:1:2::1 ok
			ftp 2001:db8:1:ffff::1 source-concurrent
			ftp 2001:db8:2::1 ok`,
	}, {
		// An IPv4-mapped IPv6 address is the IPv4 address.
		name: "mapped ipv4",
		cfg:  limits.Config{Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 192.0.2.1 ok
			ftp ::ffff:192.0.2.1 source-concurrent
			ftp ::ffff:192.0.2.2 ok
			ftp 192.0.2.2 source-concurrent
			sources 2`,
	}, {
		// The mapped form of an IPv4 address and an IPv6 address with the
		// same low bits are different sources.
		name: "ipv4 and ipv6 apart",
		cfg:  limits.Config{IPv6Bits: 128, Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 0.0.0.1 ok
			ftp ::1 ok
			ftp ::ffff:0.0.0.1 source-concurrent`,
	}, {
		// Zones are ignored: a link-local /64 is one source.
		name: "zones",
		cfg:  limits.Config{Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp fe80::1%eth0 ok
			ftp fe80::2%eth1 source-concurrent`,
	}, {
		// Connections without an IP address are one source together.
		name: "no address",
		cfg:  limits.Config{Source: limits.SourceLimits{Max: 2}},
		script: `
			ftp none ok
			ftp none ok
			ftp none source-concurrent
			ftp 0.0.0.0 ok`,
	}, {
		// When the table is full of sources that hold sessions, a new
		// source is limited in the shared overflow entry.
		name: "overflow",
		cfg:  limits.Config{MaxSources: 2, Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.2 ok
			ftp 192.0.2.3 ok+overflow
			ftp 192.0.2.4 source-concurrent+overflow
			sources 2
			ftp 192.0.2.1 source-concurrent
			release 2
			ftp 192.0.2.4 ok+overflow
			release 0
			ftp 192.0.2.5 ok
			ftp 192.0.2.1 source-concurrent+overflow
			sources 2`,
	}, {
		// Overflow has limits of its own when configured.
		name: "overflow limits",
		cfg: limits.Config{MaxSources: 1, Source: limits.SourceLimits{Max: 1},
			Overflow: &limits.SourceLimits{Max: 2}},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.2 ok+overflow
			ftp 192.0.2.3 ok+overflow
			ftp 192.0.2.4 source-concurrent+overflow`,
	}, {
		// A source that spent more than one token is not forgotten before
		// its bucket has refilled, so a flood of new sources cannot reset
		// it.
		name: "no eviction before refill",
		cfg:  limits.Config{MaxSources: 1, Source: limits.SourceLimits{Rate: limits.PerSecond(1, 2)}},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			release 0
			release 1
			ftp 192.0.2.2 ok+overflow
			ftp 192.0.2.1 source-rate
			wait 1s
			ftp 192.0.2.3 ok+overflow
			wait 1s
			ftp 192.0.2.4 ok
			sources 1
			ftp 192.0.2.1 ok+overflow`,
	}, {
		// A source one token short, without a session and seen once, is
		// forgotten when the table is full: typically one of a rotating
		// flood.
		name: "eviction of one-shot",
		cfg:  limits.Config{MaxSources: 1, Source: limits.SourceLimits{Rate: limits.PerSecond(1, 2)}},
		script: `
			ftp 192.0.2.1 ok
			release 0
			ftp 192.0.2.2 ok
			sources 1
			ftp 192.0.2.1 ok+overflow
			ftp 192.0.2.2 ok
			release 1
			ftp 192.0.2.3 ok+overflow`,
	}, {
		// An idle source (bucket full, no session) makes room.
		name: "eviction of idle",
		cfg:  limits.Config{MaxSources: 1, Source: limits.SourceLimits{Max: 1}},
		script: `
			ftp 192.0.2.1 ok
			release 0
			ftp 192.0.2.2 ok
			ftp 192.0.2.3 ok+overflow
			ftp 192.0.2.1 source-concurrent+overflow
			sources 1`,
	}, {
		// A source seen twice gets a second chance before one seen once.
		name: "second chance",
		cfg:  limits.Config{MaxSources: 2, Source: limits.SourceLimits{Max: 5}},
		script: `
			ftp 192.0.2.1 ok
			ftp 192.0.2.1 ok
			ftp 192.0.2.2 ok
			release 0
			release 1
			release 2
			ftp 192.0.2.3 ok
			sources 2
			ftp 192.0.2.1 ok
			ftp 192.0.2.2 ok+overflow
			sources 2`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, tc.cfg, tc.services, tc.script)
		})
	}
}
