package limits_test

import (
	"fmt"
	"net/netip"
	"time"

	"tcpwrap/limits"
)

// A super-server asks before it spends anything on a connection, and
// releases the ticket when the session ends. A flooding source is refused
// and logged once per interval; others keep being served.
func Example() {
	clock := newClock() // a fake clock, so that the output is the same every run
	l, err := limits.New(limits.Config{
		GlobalMax: 100,
		Source: limits.SourceLimits{
			Max:  4,                      // sessions at once per source
			Rate: limits.PerSecond(1, 3), // 3 at once, then one a second
		},
		Clock: clock,
	})
	if err != nil {
		panic(err)
	}
	ftp, err := l.SetService("ftp", limits.ServiceLimits{Max: 10})
	if err != nil {
		panic(err)
	}

	flooder := netip.MustParseAddr("2001:db8:bad::1")
	for i := range 6 {
		// Rotating through its /64 does not help it.
		src := flooder.Next()
		for range i {
			src = src.Next()
		}
		t, r := ftp.Acquire(src)
		switch {
		case !r.Refused():
			fmt.Println("admitted", src)
			defer t.Release() // when the session ends
		case r.Log:
			fmt.Println("refused", src, "and logged:", r)
		default:
			fmt.Println("refused", src)
		}
	}
	t, r := ftp.Acquire(netip.MustParseAddr("192.0.2.7"))
	fmt.Println("another client refused:", r.Refused())
	t.Release()
	// Output:
	// admitted 2001:db8:bad::2
	// admitted 2001:db8:bad::3
	// admitted 2001:db8:bad::4
	// refused 2001:db8:bad::5 and logged: source-rate: service "ftp" 2001:db8:bad::/64
	// refused 2001:db8:bad::6
	// refused 2001:db8:bad::7
	// another client refused: false
}

// On a reload the limits change; the sessions already running keep their
// place in the counts, and new ones wait until there is room under the new
// limits.
func ExampleLimiter_SetService() {
	l, err := limits.New(limits.Config{})
	if err != nil {
		panic(err)
	}
	ftp, _ := l.SetService("ftp", limits.ServiceLimits{Max: 3})
	var held []limits.Ticket
	for i := range 3 {
		t, _ := ftp.Acquire(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
		held = append(held, t)
	}

	// The reload: ftp may now run 2 instances.
	if _, err := l.SetService("ftp", limits.ServiceLimits{Max: 2}); err != nil {
		panic(err)
	}
	_, r := ftp.Acquire(netip.MustParseAddr("192.0.2.9"))
	fmt.Println(ftp.Active(), "running;", r.Reason)

	held[0].Release()
	held[0].Release() // Release is idempotent
	_, r = ftp.Acquire(netip.MustParseAddr("192.0.2.9"))
	fmt.Println(ftp.Active(), "running;", r.Reason)

	held[1].Release()
	_, r = ftp.Acquire(netip.MustParseAddr("192.0.2.9"))
	fmt.Println(ftp.Active(), "running;", r.Reason)
	// Output:
	// 3 running; service-max
	// 2 running; service-max
	// 2 running; admitted
}

// Sweep, run once per log interval, reports what a flood that has stopped
// left unlogged, and forgets the sources that are idle.
func ExampleLimiter_Sweep() {
	clock := newClock()
	l, err := limits.New(limits.Config{
		Source:      limits.SourceLimits{Rate: limits.PerMinute(2, 0)},
		LogInterval: time.Minute,
		Clock:       clock,
	})
	if err != nil {
		panic(err)
	}
	src := netip.MustParseAddr("198.51.100.7")
	for range 50 {
		t, r := l.Acquire("telnet", src)
		if r.Log {
			fmt.Println("log:", r)
		}
		t.Release() // a short session
	}
	clock.Advance(time.Minute)
	l.Sweep(func(r limits.Refusal) { fmt.Println("log:", r) })
	fmt.Println(l.Sources(), "source tracked")
	clock.Advance(time.Minute)
	l.Sweep(nil)
	fmt.Println(l.Sources(), "sources tracked")
	// Output:
	// log: source-rate: service "telnet" 198.51.100.7/32
	// log: source-rate: 198.51.100.7/32, 47 more suppressed
	// 1 source tracked
	// 0 sources tracked
}

func ExampleParseRate() {
	for _, s := range []string{"10/s", "30/min,burst=5", "10/hour"} {
		r, err := limits.ParseRate(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%v: %d per %v, burst %d\n", r, r.N, r.Per, r.Burst)
	}
	// Output:
	// 10/s: 10 per 1s, burst 0
	// 30/min,burst=5: 30 per 1m0s, burst 5
	// rate "10/hour": unit "hour" is neither s nor min
}
