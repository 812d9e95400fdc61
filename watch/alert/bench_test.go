package alert_test

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/alert"
)

// The cost of one event through three rules (threshold, trap,
// new-source), from 4096 rotating sources, most of them refused.
func BenchmarkObserve(b *testing.B) {
	clock := newClock()
	nop := alert.ActionFunc(func(context.Context, alert.Notice) error { return nil })
	e, err := alert.New(alert.Config{Rules: []alert.Rule{
		{Name: "guess", Kind: alert.Threshold, Count: 5, Window: time.Minute, Services: []string{"sshd"}, Actions: []string{"nop"}},
		{Name: "trap", Kind: alert.Trap, Services: []string{"in.telnetd"}, Actions: []string{"nop"}},
		{Name: "fresh", Kind: alert.NewSource, Services: []string{"sshd"}, Actions: []string{"nop"}},
	}}, alert.Options{Clock: clock, Actions: map[string]alert.Action{"nop": nop}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	evs := make([]watch.Event, 4096)
	for i := range evs {
		evs[i] = watch.Event{Daemon: "sshd", Verdict: watch.Refused, Program: "tcpd",
			Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}
		switch i % 16 {
		case 0:
			evs[i].Verdict = watch.Granted
		case 1:
			evs[i].Daemon = "in.telnetd"
		}
	}
	i := 0
	for b.Loop() {
		ev := evs[i%len(evs)]
		ev.Time = t0.Add(time.Duration(i) * time.Millisecond)
		clock.Set(ev.Time)
		e.Observe(ev)
		i++
	}
}
