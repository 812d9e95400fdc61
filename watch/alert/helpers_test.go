package alert_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"tcpwrap/internal/fakeclock"
	"tcpwrap/watch"
	"tcpwrap/watch/alert"
)

// t0 is the time the tests start at.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newClock is a clock the test moves by hand, at t0.
func newClock() *fakeclock.Clock { return fakeclock.New(t0) }

// recorder is an action that keeps the notices it gets.
type recorder struct {
	mu      sync.Mutex
	notices []alert.Notice
	got     chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1000)} }

func (r *recorder) Do(_ context.Context, n alert.Notice) error {
	r.mu.Lock()
	r.notices = append(r.notices, n)
	r.mu.Unlock()
	r.got <- struct{}{}
	return nil
}

func (r *recorder) all() []alert.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Notice(nil), r.notices...)
}

// wait waits until n notices have arrived in all.
func (r *recorder) wait(t *testing.T, n int) []alert.Notice {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := r.all(); len(got) >= n {
			return got
		}
		select {
		case <-r.got:
		case <-deadline:
			got := subjects(r.all())
			if len(got) > 10 {
				got = got[:10]
			}
			t.Fatalf("waited for %d notices, got %d: %q", n, len(r.all()), got)
		}
	}
}

func subjects(ns []alert.Notice) []string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Subject())
	}
	return s
}

func ev(t time.Time, v watch.Verdict, addr, daemon string) watch.Event {
	e := watch.Event{Time: t, Host: "gw", Program: "tcpd", PID: 42, Daemon: daemon, Verdict: v, Source: watch.SourceTcpd}
	if addr != "" {
		e.Addr = netip.MustParseAddr(addr)
	}
	return e
}

func refused(t time.Time, addr, daemon string) watch.Event {
	return ev(t, watch.Refused, addr, daemon)
}

func granted(t time.Time, addr, daemon string) watch.Event {
	return ev(t, watch.Granted, addr, daemon)
}
