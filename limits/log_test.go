package limits_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"tcpwrap/limits"
)

// A refusal of one kind is to be logged once per interval, with the count
// of those suppressed since the previous logged one.
func TestLogOncePerInterval(t *testing.T) {
	clock := newClock()
	l, err := limits.New(limits.Config{
		Source:      limits.SourceLimits{Max: 1, Rate: limits.PerSecond(1000, 1000)},
		LogInterval: 10 * time.Second,
		Clock:       clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("192.0.2.1")
	held, r := l.Acquire("ftp", a)
	if r.Refused() {
		t.Fatal(r)
	}
	type want struct {
		log        bool
		suppressed int64
	}
	check := func(what string, w want) {
		t.Helper()
		_, r := l.Acquire("ftp", a)
		if r.Reason != limits.SourceConcurrent || r.Log != w.log || r.Suppressed != w.suppressed {
			t.Fatalf("%s: got %v log=%v suppressed=%d, want log=%v suppressed=%d", what, r.Reason, r.Log, r.Suppressed, w.log, w.suppressed)
		}
	}
	check("first refusal", want{true, 0})
	for range 5 {
		clock.Advance(time.Second)
		check("within the interval", want{false, 0})
	}
	clock.Advance(4 * time.Second) // 9s since the logged one
	check("9s on", want{false, 0})
	clock.Advance(time.Second)
	check("10s on", want{true, 6})
	check("right after", want{false, 0})
	held.Release()
}

// Each source and reason has its own interval; service-max is logged per
// service and global-max once for the limiter.
func TestLogKinds(t *testing.T) {
	clock := newClock()
	l, err := limits.New(limits.Config{
		GlobalMax:   3,
		Source:      limits.SourceLimits{Max: 1, Rate: limits.PerMinute(2, 0)},
		LogInterval: time.Minute,
		Clock:       clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetService("ftp", limits.ServiceLimits{Max: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetService("ssh", limits.ServiceLimits{Max: 1}); err != nil {
		t.Fatal(err)
	}
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}) }
	for _, s := range []struct {
		svc    string
		src    int
		reason limits.Reason
		log    bool
	}{
		{"ftp", 1, limits.Admitted, false},
		{"ftp", 1, limits.SourceConcurrent, true}, // first of its kind
		{"ftp", 1, limits.SourceRate, true},       // another reason, same source
		{"ftp", 1, limits.SourceRate, false},
		{"ftp", 2, limits.ServiceMax, true},
		{"ftp", 3, limits.ServiceMax, false}, // same service, another source
		{"ssh", 2, limits.Admitted, false},
		{"ssh", 3, limits.ServiceMax, true},   // another service
		{"telnet", 6, limits.Admitted, false}, // source 3 spent its two tokens on ftp and ssh
		{"telnet", 4, limits.GlobalMax, true},
		{"echo", 5, limits.GlobalMax, false},      // global is one kind
		{"ftp", 6, limits.SourceConcurrent, true}, // another source
	} {
		_, r := l.Acquire(s.svc, addr(s.src))
		if r.Reason != s.reason || r.Log != s.log {
			t.Fatalf("%s from %d: got %v log=%v, want %v log=%v", s.svc, s.src, r.Reason, r.Log, s.reason, s.log)
		}
	}

	// Sweep reports nothing before the interval has ended, then every
	// pending count once.
	var got []string
	report := func(r limits.Refusal) { got = append(got, r.String()) }
	l.Sweep(report)
	if len(got) != 0 {
		t.Fatalf("early sweep reported %q", got)
	}
	clock.Advance(time.Minute)
	l.Sweep(report)
	slices.Sort(got)
	want := []string{
		`global-max, 1 more suppressed`,
		`service-max: service "ftp", 1 more suppressed`,
		`source-rate: 192.0.2.1/32, 1 more suppressed`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sweep reported\n%q\nwant\n%q", got, want)
	}
	got = nil
	l.Sweep(report)
	if len(got) != 0 {
		t.Fatalf("second sweep reported %q", got)
	}
}

// Sweep forgets idle sources, and only those.
func TestSweepEvicts(t *testing.T) {
	clock := newClock()
	l, err := limits.New(limits.Config{
		Source: limits.SourceLimits{Max: 2, Rate: limits.PerSecond(1, 2)},
		Clock:  clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	var tickets []limits.Ticket
	for i := range 100 {
		tk, r := l.Acquire("ftp", netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
		if r.Refused() {
			t.Fatal(r)
		}
		tickets = append(tickets, tk)
	}
	for _, tk := range tickets[:60] {
		tk.Release()
	}
	l.Sweep(nil)
	if n := l.Sources(); n != 100 {
		t.Fatalf("%d sources before the buckets refilled, want 100", n)
	}
	clock.Advance(time.Second)
	l.Sweep(nil)
	if n := l.Sources(); n != 40 {
		t.Fatalf("%d sources after the sweep, want the 40 holding sessions", n)
	}
	for _, tk := range tickets[60:] {
		tk.Release()
	}
	l.Sweep(nil)
	if n := l.Sources(); n != 0 {
		t.Fatalf("%d sources left", n)
	}
	if n, err := limits.Check(l); n != 0 || err != nil {
		t.Fatal(n, err)
	}
}
