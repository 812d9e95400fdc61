package limits_test

import (
	"net/netip"
	"testing"
	"time"

	"tcpwrap/limits"
)

// A reload changes the limits without losing the count of the sessions
// already running, and their Release gives back exactly their place.
func TestReconfigureWhileHeld(t *testing.T) {
	clock := newClock()
	cfg := limits.Config{GlobalMax: 10, Source: limits.SourceLimits{Max: 5}, Clock: clock}
	l, err := limits.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ftp, err := l.SetService("ftp", limits.ServiceLimits{Max: 6})
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.2")
	var held []limits.Ticket
	acquire := func(src netip.Addr, want limits.Reason) {
		t.Helper()
		tk, r := ftp.Acquire(src)
		if r.Reason != want {
			t.Fatalf("from %v: got %v, want %v", src, r, want)
		}
		if !r.Refused() {
			held = append(held, tk)
		}
	}
	for range 5 {
		acquire(a, limits.Admitted)
	}
	acquire(b, limits.Admitted)

	// Lower the service's maximum below the running count: nothing is
	// cut, nobody new gets in.
	if _, err := l.SetService("ftp", limits.ServiceLimits{Max: 3}); err != nil {
		t.Fatal(err)
	}
	if ftp.Active() != 6 {
		t.Fatalf("%d sessions after the reload", ftp.Active())
	}
	acquire(b, limits.ServiceMax)
	held[0].Release()
	held[1].Release()
	held[2].Release()
	acquire(b, limits.ServiceMax) // 3 running, max 3
	held[3].Release()
	acquire(b, limits.Admitted)

	// Lower the per-source maximum below what a holds (1 session) and the
	// global one.
	cfg.Source.Max = 1
	cfg.GlobalMax = 3
	if err := l.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetService("ftp", limits.ServiceLimits{Max: 0}); err != nil {
		t.Fatal(err)
	}
	acquire(a, limits.SourceConcurrent)
	acquire(b, limits.SourceConcurrent)
	acquire(netip.MustParseAddr("192.0.2.3"), limits.GlobalMax) // 3 running
	held[4].Release()                                           // a's last
	acquire(a, limits.Admitted)

	// A reload that fails validation keeps the running configuration.
	bad := cfg
	bad.IPv6Bits = 129
	if err := l.Reconfigure(bad); err == nil {
		t.Fatal("IPv6 prefix 129 accepted")
	}
	if got := l.Config().IPv6Bits; got != 0 {
		t.Fatalf("failed reload changed the configuration: IPv6Bits %d", got)
	}
	if _, err := l.SetService("ftp", limits.ServiceLimits{Max: -1}); err == nil {
		t.Fatal("negative service maximum accepted")
	}
	if got := ftp.Limits().Max; got != 0 {
		t.Fatalf("failed SetService changed the maximum to %d", got)
	}

	// Prefix length changed: the sessions held under the old source
	// still release into it.
	held[5].Release() // 2 running: one from a, one from b
	cfg.IPv4Bits = 24
	if err := l.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	// a and b are one source now (192.0.2.0/24), which holds nothing yet.
	acquire(a, limits.Admitted)
	acquire(b, limits.SourceConcurrent)

	for _, tk := range held {
		tk.Release()
		tk.Release() // idempotent
	}
	if l.Active() != 0 || ftp.Active() != 0 {
		t.Fatalf("after releasing everything: %d sessions, %d of ftp", l.Active(), ftp.Active())
	}
	if n, err := limits.Check(l); n != 0 || err != nil {
		t.Fatal(n, err)
	}
}

// A new rate applies to a source's debt from the reload on.
func TestReconfigureRate(t *testing.T) {
	clock := newClock()
	cfg := limits.Config{Source: limits.SourceLimits{Rate: limits.PerSecond(1, 2)}, Clock: clock}
	l, err := limits.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("2001:db8::1")
	for i, want := range []limits.Reason{limits.Admitted, limits.Admitted, limits.SourceRate} {
		if _, r := l.Acquire("ftp", a); r.Reason != want {
			t.Fatalf("attempt %d: %v, want %v", i, r, want)
		}
	}
	// The debt is two seconds of the old rate. At 10/s with burst 30 it
	// is within the tolerance (2.9s) at once.
	cfg.Source.Rate = limits.PerSecond(10, 30)
	if err := l.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, r := l.Acquire("ftp", a); r.Refused() {
			break
		}
		n++
	}
	if n != 10 { // (2.9s - 2s) / 0.1s + 1
		t.Fatalf("%d admitted after the reload, want 10", n)
	}
	clock.Advance(100 * time.Millisecond)
	if _, r := l.Acquire("ftp", a); r.Refused() {
		t.Fatal(r)
	}
}
