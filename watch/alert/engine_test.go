package alert_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/alert"
)

// step is one thing that happens in an engine scenario: the clock is set
// to t0+at, then the event (if any) is observed, then Tick is called if
// tick is set.
type step struct {
	at   time.Duration
	ev   *watch.Event
	tick bool
}

func at(d time.Duration, e watch.Event) step {
	e.Time = t0.Add(d)
	return step{at: d, ev: &e}
}

func tickAt(d time.Duration) step { return step{at: d, tick: true} }

// describe renders a notice compactly, times relative to t0.
func describe(n alert.Notice) string {
	rel := func(t time.Time) string { return t.Sub(t0).String() }
	s := fmt.Sprintf("%s %s %s count=%d followed=%d refused=%d granted=%d first=%s last=%s services=%s",
		n.Kind, n.Rule, n.Source, n.Count, n.Followed, n.Refused, n.Granted, rel(n.First), rel(n.Last), strings.Join(n.Services, ","))
	if n.Closed != "" {
		s += " closed=" + n.Closed
	}
	return s
}

func TestEngineScenarios(t *testing.T) {
	threshold := alert.Rule{Name: "guess", Kind: alert.Threshold, Count: 3, Window: time.Minute, Actions: []string{"rec"}}
	trap := alert.Rule{Name: "trap", Kind: alert.Trap, Services: []string{"in.telnetd"}, Actions: []string{"rec"}}
	fresh := alert.Rule{Name: "fresh", Kind: alert.NewSource, Services: []string{"sshd"}, Actions: []string{"rec"}}
	with := func(r alert.Rule, f func(*alert.Rule)) alert.Rule { f(&r); return r }

	tests := []struct {
		name  string
		cfg   alert.Config
		clock time.Duration // when set, the clock stays at t0+clock (a backlog)
		steps []step
		want  []string
	}{
		{
			// The third refusal within a minute opens the incident; the
			// next two join it instead of alerting again; the quiet
			// period closes it with a summary of what followed.
			name: "threshold fires once per incident",
			cfg:  alert.Config{Rules: []alert.Rule{threshold}, Quiet: 5 * time.Minute},
			steps: []step{
				at(0, refused(t0, "192.0.2.7", "sshd")),
				at(10*time.Second, refused(t0, "192.0.2.7", "sshd")),
				at(20*time.Second, refused(t0, "192.0.2.7", "sshd")),
				at(30*time.Second, refused(t0, "192.0.2.7", "in.ftpd")),
				at(40*time.Second, refused(t0, "192.0.2.7", "sshd")),
				tickAt(5 * time.Minute), // 4m20s after the last: still open
				tickAt(6 * time.Minute),
			},
			want: []string{
				"opened guess 192.0.2.7 count=3 followed=0 refused=3 granted=0 first=0s last=20s services=sshd",
				"summary guess 192.0.2.7 count=5 followed=2 refused=5 granted=0 first=0s last=40s services=in.ftpd,sshd closed=quiet",
			},
		},
		{
			// Never three within one minute.
			name: "threshold spread out",
			cfg:  alert.Config{Rules: []alert.Rule{threshold}},
			steps: []step{
				at(0, refused(t0, "192.0.2.7", "sshd")),
				at(40*time.Second, refused(t0, "192.0.2.7", "sshd")),
				at(80*time.Second, refused(t0, "192.0.2.7", "sshd")),
				at(130*time.Second, refused(t0, "192.0.2.7", "sshd")),
			},
		},
		{
			// Grants never count towards a threshold, and each address
			// is a source of its own.
			name: "grants and other sources do not count",
			cfg:  alert.Config{Rules: []alert.Rule{threshold}},
			steps: []step{
				at(0, granted(t0, "192.0.2.7", "sshd")),
				at(1*time.Second, granted(t0, "192.0.2.7", "sshd")),
				at(2*time.Second, refused(t0, "192.0.2.7", "sshd")),
				at(3*time.Second, refused(t0, "192.0.2.8", "sshd")),
				at(4*time.Second, granted(t0, "192.0.2.7", "sshd")),
			},
		},
		{
			// Three addresses of one /64 are one source; the fourth,
			// in another /64, is not.
			name: "IPv6 aggregated by /64",
			cfg:  alert.Config{Rules: []alert.Rule{threshold}, Quiet: time.Minute},
			steps: []step{
				at(0, refused(t0, "2001:db8:1:2::1", "sshd")),
				at(1*time.Second, refused(t0, "2001:db8:1:2:aaaa::2", "sshd")),
				at(2*time.Second, refused(t0, "2001:db8:1:3::1", "sshd")),
				at(3*time.Second, refused(t0, "2001:db8:1:2:ffff:ffff:ffff:ffff", "sshd")),
				tickAt(time.Hour),
			},
			want: []string{
				"opened guess 2001:db8:1:2::/64 count=3 followed=0 refused=3 granted=0 first=0s last=3s services=sshd",
			},
		},
		{
			// IPv4-mapped addresses count as the IPv4 address.
			name: "IPv4-mapped is IPv4",
			cfg:  alert.Config{Rules: []alert.Rule{threshold}},
			steps: []step{
				at(0, refused(t0, "::ffff:192.0.2.9", "sshd")),
				at(1*time.Second, refused(t0, "192.0.2.9", "sshd")),
				at(2*time.Second, refused(t0, "::ffff:192.0.2.9", "sshd")),
			},
			want: []string{
				"opened guess 192.0.2.9 count=3 followed=0 refused=3 granted=0 first=0s last=2s services=sshd",
			},
		},
		{
			// prefix4 = 24 makes a /24 one source.
			name: "IPv4 prefix",
			cfg:  alert.Config{Rules: []alert.Rule{with(threshold, func(r *alert.Rule) { r.Prefix4 = 24 })}},
			steps: []step{
				at(0, refused(t0, "198.51.100.1", "sshd")),
				at(1*time.Second, refused(t0, "198.51.100.2", "sshd")),
				at(2*time.Second, refused(t0, "198.51.100.3", "sshd")),
			},
			want: []string{
				"opened guess 198.51.100.0/24 count=3 followed=0 refused=3 granted=0 first=0s last=2s services=sshd",
			},
		},
		{
			// Any connection to a trap service alerts, granted or not;
			// other services are not the rule's business.
			name: "trap",
			cfg:  alert.Config{Rules: []alert.Rule{trap}, Quiet: 5 * time.Minute},
			steps: []step{
				at(0, refused(t0, "203.0.113.5", "sshd")),
				at(1*time.Second, granted(t0, "203.0.113.5", "in.telnetd")),
				at(2*time.Second, refused(t0, "203.0.113.5", "sshd")),
				at(3*time.Second, refused(t0, "203.0.113.5", "in.telnetd")),
				tickAt(10 * time.Minute),
			},
			want: []string{
				"opened trap 203.0.113.5 count=1 followed=0 refused=0 granted=1 first=1s last=1s services=in.telnetd",
				"summary trap 203.0.113.5 count=2 followed=1 refused=1 granted=1 first=1s last=3s services=in.telnetd closed=quiet",
			},
		},
		{
			// A line that named the client only by host name is keyed
			// by that name; one with neither address nor name by nothing.
			name: "keyed by name, or not at all",
			cfg:  alert.Config{Rules: []alert.Rule{trap}},
			steps: []step{
				at(0, func() watch.Event { e := refused(t0, "", "in.telnetd"); e.Name = "Evil.Example"; return e }()),
				at(1*time.Second, refused(t0, "", "in.telnetd")),
			},
			want: []string{
				"opened trap evil.example count=1 followed=0 refused=1 granted=0 first=0s last=0s services=in.telnetd",
			},
		},
		{
			// An incident fed every two minutes closes at its maximum
			// duration; the next event opens a new one.
			name: "maximum duration",
			cfg:  alert.Config{Rules: []alert.Rule{trap}, Quiet: 5 * time.Minute, MaxDuration: 10 * time.Minute},
			steps: []step{
				at(0, refused(t0, "203.0.113.5", "in.telnetd")),
				at(2*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				at(4*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				at(6*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				at(8*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				at(10*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				at(12*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				tickAt(20 * time.Minute),
			},
			want: []string{
				"opened trap 203.0.113.5 count=1 followed=0 refused=1 granted=0 first=0s last=0s services=in.telnetd",
				"summary trap 203.0.113.5 count=5 followed=4 refused=5 granted=0 first=0s last=8m0s services=in.telnetd closed=max-duration",
				"opened trap 203.0.113.5 count=1 followed=0 refused=1 granted=0 first=10m0s last=10m0s services=in.telnetd",
				"summary trap 203.0.113.5 count=2 followed=1 refused=2 granted=0 first=10m0s last=12m0s services=in.telnetd closed=quiet",
			},
		},
		{
			// Reading a backlog, the clock stands still: the gap in the
			// events' own times closes the first incident.
			name:  "quiet gap in event time",
			cfg:   alert.Config{Rules: []alert.Rule{trap}, Quiet: 5 * time.Minute},
			clock: time.Hour,
			steps: []step{
				at(0, refused(t0, "203.0.113.5", "in.telnetd")),
				at(time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
				at(20*time.Minute, refused(t0, "203.0.113.5", "in.telnetd")),
			},
			want: []string{
				"opened trap 203.0.113.5 count=1 followed=0 refused=1 granted=0 first=0s last=0s services=in.telnetd",
				"summary trap 203.0.113.5 count=2 followed=1 refused=2 granted=0 first=0s last=1m0s services=in.telnetd closed=quiet",
				"opened trap 203.0.113.5 count=1 followed=0 refused=1 granted=0 first=20m0s last=20m0s services=in.telnetd",
			},
		},
		{
			// Events older than max-age do not alert.
			name:  "stale events",
			cfg:   alert.Config{Rules: []alert.Rule{trap, threshold}, MaxAge: 10 * time.Minute},
			clock: time.Hour,
			steps: []step{
				at(0, refused(t0, "203.0.113.5", "in.telnetd")),
				at(time.Second, refused(t0, "203.0.113.5", "sshd")),
				at(2*time.Second, refused(t0, "203.0.113.5", "sshd")),
				at(3*time.Second, refused(t0, "203.0.113.5", "sshd")),
			},
		},
		{
			// summary = always: even an incident nothing followed ends
			// with a summary.
			name: "summary always",
			cfg:  alert.Config{Rules: []alert.Rule{trap}, Quiet: time.Minute, SummaryAlways: true},
			steps: []step{
				at(0, granted(t0, "203.0.113.5", "in.telnetd")),
				tickAt(2 * time.Minute),
			},
			want: []string{
				"opened trap 203.0.113.5 count=1 followed=0 refused=0 granted=1 first=0s last=0s services=in.telnetd",
				"summary trap 203.0.113.5 count=1 followed=0 refused=0 granted=1 first=0s last=0s services=in.telnetd closed=quiet",
			},
		},
		{
			// The first grant from a source alerts; refusals and other
			// services do not; a known source does not.
			name: "new source",
			cfg:  alert.Config{Rules: []alert.Rule{fresh}, Quiet: time.Minute},
			steps: []step{
				at(0, granted(t0, "192.0.2.1", "sshd")),
				at(time.Second, granted(t0, "192.0.2.1", "sshd")),
				at(2*time.Second, refused(t0, "192.0.2.2", "sshd")),
				at(3*time.Second, granted(t0, "192.0.2.2", "in.ftpd")),
				tickAt(10 * time.Minute),
				at(11*time.Minute, granted(t0, "192.0.2.1", "sshd")),
			},
			want: []string{
				"opened fresh 192.0.2.1 count=1 followed=0 refused=0 granted=1 first=0s last=0s services=sshd",
				"summary fresh 192.0.2.1 count=2 followed=1 refused=0 granted=2 first=0s last=1s services=sshd closed=quiet",
			},
		},
		{
			// During the learning period sources are recorded silently.
			name: "new source learning",
			cfg:  alert.Config{Rules: []alert.Rule{with(fresh, func(r *alert.Rule) { r.Learn = time.Hour })}},
			steps: []step{
				at(0, granted(t0, "192.0.2.1", "sshd")),
				at(2*time.Hour, granted(t0, "192.0.2.1", "sshd")),
				at(2*time.Hour+time.Second, granted(t0, "2001:db8::1", "sshd")),
			},
			want: []string{
				"opened fresh 2001:db8::/64 count=1 followed=0 refused=0 granted=1 first=2h0m1s last=2h0m1s services=sshd",
			},
		},
		{
			// Two rules see the same events independently.
			name: "rules are independent",
			cfg: alert.Config{Rules: []alert.Rule{
				with(threshold, func(r *alert.Rule) { r.Count = 2 }),
				with(trap, func(r *alert.Rule) { r.Services = []string{"sshd"} }),
			}},
			steps: []step{
				at(0, refused(t0, "192.0.2.7", "sshd")),
				at(time.Second, refused(t0, "192.0.2.7", "sshd")),
			},
			want: []string{
				"opened trap 192.0.2.7 count=1 followed=0 refused=1 granted=0 first=0s last=0s services=sshd",
				"opened guess 192.0.2.7 count=2 followed=0 refused=2 granted=0 first=0s last=1s services=sshd",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			rec := newRecorder()
			e, err := alert.New(tt.cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"rec": rec}})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.steps {
				if tt.clock != 0 {
					clock.Set(t0.Add(tt.clock))
				} else {
					clock.Set(t0.Add(s.at))
				}
				if s.ev != nil {
					e.Observe(*s.ev)
				}
				if s.tick {
					e.Tick()
				}
			}
			rec.wait(t, len(tt.want))
			st := e.Stats()
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			// Close adds "shutdown" summaries: leave them out.
			var lines []string
			for _, n := range rec.all() {
				if n.Closed == alert.ClosedShutdown {
					continue
				}
				lines = append(lines, describe(n))
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
			if st.Events != int64(countEvents(tt.steps)) {
				t.Errorf("Events = %d, want %d", st.Events, countEvents(tt.steps))
			}
		})
	}
}

func countEvents(steps []step) int {
	n := 0
	for _, s := range steps {
		if s.ev != nil {
			n++
		}
	}
	return n
}

// Close sends a "shutdown" summary for an open incident that something
// followed, and ignores later events.
func TestCloseSummaries(t *testing.T) {
	clock := newClock()
	rec := newRecorder()
	cfg := alert.Config{Rules: []alert.Rule{{Name: "trap", Kind: alert.Trap, Services: []string{"finger"}, Actions: []string{"rec"}}}}
	e, err := alert.New(cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"rec": rec}})
	if err != nil {
		t.Fatal(err)
	}
	e.Observe(refused(t0, "192.0.2.1", "finger"))
	e.Observe(refused(t0.Add(time.Second), "192.0.2.1", "finger"))
	e.Observe(refused(t0, "192.0.2.2", "finger")) // nothing follows: closes silently
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e.Observe(refused(t0, "192.0.2.3", "finger"))
	var got []string
	for _, n := range rec.all() {
		got = append(got, fmt.Sprintf("%s %s %s", n.Kind, n.Source, n.Closed))
	}
	want := "opened 192.0.2.1 |opened 192.0.2.2 |summary 192.0.2.1 shutdown"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
	n := rec.all()
	if n[0].Incident == "" || n[0].Incident != n[2].Incident || n[0].Incident == n[1].Incident {
		t.Errorf("incident IDs: %q %q %q", n[0].Incident, n[1].Incident, n[2].Incident)
	}
}

// A rule naming an action nobody defined is an error that says where.
func TestUnknownAction(t *testing.T) {
	cfg := alert.Config{Rules: []alert.Rule{{Name: "x", Kind: alert.Trap, Services: []string{"a"}, Actions: []string{"nope"}, Pos: alert.Pos{File: "w.conf", Line: 7}}}}
	_, err := alert.New(cfg, alert.Options{})
	if err == nil || err.Error() != `w.conf:7: rule x: unknown action "nope"` {
		t.Fatalf("err = %v", err)
	}
}

// blocker is an action that waits until released (or the engine gives
// up on it).
type blocker struct {
	release chan struct{}
	calls   atomic.Int64
}

func (b *blocker) Do(ctx context.Context, _ alert.Notice) error {
	b.calls.Add(1)
	select {
	case <-b.release:
		return errors.New("released")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A stuck action never holds up Observe: notices beyond its queue are
// dropped and counted, and failures are counted.
func TestStuckActionDropsAndCounts(t *testing.T) {
	clock := newClock()
	b := &blocker{release: make(chan struct{})}
	cfg := alert.Config{Rules: []alert.Rule{{Name: "trap", Kind: alert.Trap, Services: []string{"finger"}, Actions: []string{"stuck"}}}}
	e, err := alert.New(cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"stuck": b}, DrainTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := range n {
		e.Observe(refused(t0, fmt.Sprintf("10.0.%d.%d", i/256, i%256), "finger"))
	}
	// Observe returned 500 times while the action is stuck in its first
	// call: at most the queue (100) and that call were taken.
	st := e.Stats()
	if st.Opened != n {
		t.Errorf("opened %d", st.Opened)
	}
	if d := st.Actions[0].Dropped; d < n-alert.DefaultQueue-1 {
		t.Errorf("dropped %d, want at least %d", d, n-alert.DefaultQueue-1)
	}
	close(b.release)
	e.Close()
	stuck := e.Stats().Actions[0]
	if stuck.Sent != 0 || stuck.Failed == 0 || stuck.Failed+stuck.Dropped != n || stuck.LastError == "" {
		t.Errorf("stuck action stats: %+v", stuck)
	}
}

// A panicking action is a failure, not a crash.
func TestPanickingAction(t *testing.T) {
	boom := alert.ActionFunc(func(context.Context, alert.Notice) error { panic("boom\n") })
	cfg := alert.Config{Rules: []alert.Rule{{Name: "trap", Kind: alert.Trap, Services: []string{"finger"}, Actions: []string{"boom"}}}}
	e, err := alert.New(cfg, alert.Options{Clock: newClock(), Actions: map[string]alert.Action{"boom": boom}})
	if err != nil {
		t.Fatal(err)
	}
	e.Observe(refused(t0, "192.0.2.1", "finger"))
	e.Close()
	a := e.Stats().Actions[0]
	if a.Failed != 1 || a.LastError != `action panicked: boom\n` {
		t.Errorf("stats %+v", a)
	}
}

// With MaxIncidents reached the idlest incident is closed to make room.
func TestIncidentEviction(t *testing.T) {
	clock := newClock()
	rec := newRecorder()
	cfg := alert.Config{MaxIncidents: 2, SummaryAlways: true,
		Rules: []alert.Rule{{Name: "trap", Kind: alert.Trap, Services: []string{"finger"}, Actions: []string{"rec"}}}}
	e, _ := alert.New(cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"rec": rec}})
	for i, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		clock.Set(t0.Add(time.Duration(i) * time.Second))
		e.Observe(refused(clock.Now(), a, "finger"))
	}
	got := rec.wait(t, 4)
	if got[2].Kind != alert.Summary || got[2].Source != "192.0.2.1" || got[2].Closed != alert.ClosedEvicted {
		t.Errorf("third notice: %s", describe(got[2]))
	}
	if st := e.Stats(); st.Evicted != 1 || st.OpenIncidents != 2 {
		t.Errorf("stats %+v", st)
	}
	e.Close()
}

// Threshold counters are bounded: with MaxSources reached, stale
// counters go first.
func TestSourcesBounded(t *testing.T) {
	clock := newClock()
	cfg := alert.Config{MaxSources: 100,
		Rules: []alert.Rule{{Name: "g", Kind: alert.Threshold, Count: 5, Window: time.Minute, Actions: []string{"rec"}}}}
	e, _ := alert.New(cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"rec": newRecorder()}})
	for i := range 1000 {
		clock.Set(t0.Add(time.Duration(i) * time.Second))
		e.Observe(refused(clock.Now(), fmt.Sprintf("10.1.%d.%d", i/256, i%256), "sshd"))
	}
	if st := e.Stats(); st.SourcesForgotten < 900 {
		t.Errorf("forgot only %d sources", st.SourcesForgotten)
	}
	e.Close()
}

// The seen set survives a restart, so a known source does not alert
// again; a damaged file is kept aside and reported.
func TestSeenPersistence(t *testing.T) {
	dir := t.TempDir()
	seen := filepath.Join(dir, "seen.json")
	cfg := alert.Config{SeenFile: seen, Rules: []alert.Rule{{Name: "fresh", Kind: alert.NewSource, Actions: []string{"rec"}}}}
	run := func(addrs ...string) []string {
		clock := newClock()
		rec := newRecorder()
		e, err := alert.New(cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"rec": rec}})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			e.Observe(granted(t0, a, "sshd"))
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range rec.all() {
			if n.Kind == alert.Opened {
				out = append(out, n.Source)
			}
		}
		return out
	}
	if got := run("192.0.2.1", "192.0.2.2"); strings.Join(got, " ") != "192.0.2.1 192.0.2.2" {
		t.Fatalf("first run: %v", got)
	}
	if got := run("192.0.2.1", "192.0.2.3"); strings.Join(got, " ") != "192.0.2.3" {
		t.Fatalf("after restart: %v", got)
	}
	if n, _, err := alert.ParseSeen(mustRead(t, seen), 100); err != nil || n != 3 {
		t.Fatalf("seen file: %d entries, %v", n, err)
	}

	// Damage it.
	if err := os.WriteFile(seen, []byte(`{"version":1,"created":"2026-01-01T00:00:00Z","entries":[{"r":"fresh"`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := alert.New(cfg, alert.Options{Actions: map[string]alert.Action{"rec": newRecorder()}})
	var dmg *alert.DamagedError
	if !errors.As(err, &dmg) || dmg.Aside == "" {
		t.Fatalf("damaged seen file: err = %v", err)
	}
	if data := mustRead(t, dmg.Aside); !strings.Contains(string(data), `"r":"fresh"`) {
		t.Errorf("aside file holds %q", data)
	}
	if _, err := os.Stat(seen); !os.IsNotExist(err) {
		t.Errorf("damaged file still in place: %v", err)
	}
}

// The seen set is bounded: the least recently seen source is forgotten.
func TestSeenBounded(t *testing.T) {
	clock := newClock()
	rec := newRecorder()
	cfg := alert.Config{MaxSeen: 2, Rules: []alert.Rule{{Name: "fresh", Kind: alert.NewSource, Actions: []string{"rec"}}}}
	e, _ := alert.New(cfg, alert.Options{Clock: clock, Actions: map[string]alert.Action{"rec": rec}})
	for i, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3", "192.0.2.2"} {
		// An hour apart, so that each incident has closed.
		clock.Set(t0.Add(time.Duration(i) * time.Hour))
		e.Tick()
		e.Observe(granted(clock.Now(), a, "sshd"))
	}
	e.Close()
	var opened []string
	for _, n := range rec.all() {
		if n.Kind == alert.Opened {
			opened = append(opened, n.Source)
		}
	}
	// .2 was forgotten when .3 came (.1 had been seen more recently).
	if strings.Join(opened, " ") != "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.2" {
		t.Errorf("opened for %v", opened)
	}
	if st := e.Stats(); st.SeenEntries != 2 {
		t.Errorf("seen entries %d", st.SeenEntries)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Hostile service and host names in the seen set (NUL, invalid UTF-8,
// very long) are written so that they read back as the same keys: the
// file stays sound and a restart does not alert again.
func TestSeenHostileKeys(t *testing.T) {
	seen := filepath.Join(t.TempDir(), "sub", "seen.json")
	cfg := alert.Config{SeenFile: seen, Rules: []alert.Rule{{Name: "fresh", Kind: alert.NewSource, Actions: []string{"rec"}}}}
	hostile := []watch.Event{
		func() watch.Event { e := granted(t0, "", "ss\x00hd"); e.Name = "a\x00b"; return e }(),
		func() watch.Event { e := granted(t0, "", "\xff\xfe"); e.Name = "\xc3"; return e }(),
		func() watch.Event {
			e := granted(t0, "", strings.Repeat("d", 5000))
			e.Name = strings.Repeat("\u00e9", 3000)
			return e
		}(),
	}
	for run := range 2 {
		rec := newRecorder()
		e, err := alert.New(cfg, alert.Options{Clock: newClock(), Actions: map[string]alert.Action{"rec": rec}})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for _, ev := range hostile {
			e.Observe(ev)
		}
		e.Close()
		opened := 0
		for _, n := range rec.all() {
			if n.Kind == alert.Opened {
				opened++
			}
		}
		if want := []int{3, 0}[run]; opened != want {
			t.Errorf("run %d: %d alerts, want %d", run, opened, want)
		}
	}
}
