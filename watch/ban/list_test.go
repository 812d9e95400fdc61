package ban_test

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tcpwrap/watch/ban"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestPattern(t *testing.T) {
	tests := []struct {
		prefix, pattern string
	}{
		{"192.0.2.7/32", "192.0.2.7"},
		{"198.51.100.0/24", "198.51.100.0/255.255.255.0"},
		{"10.20.0.0/16", "10.20.0.0/255.255.0.0"},
		{"10.20.30.40/31", "10.20.30.40/255.255.255.254"},
		{"2001:db8::7/128", "[2001:db8::7]"},
		{"2001:db8:1:2::/64", "[2001:db8:1:2::]/64"},
		{"2001:db8::/32", "[2001:db8::]/32"},
	}
	for _, tt := range tests {
		p := netip.MustParsePrefix(tt.prefix)
		if got := ban.Pattern(p); got != tt.pattern {
			t.Errorf("Pattern(%s) = %q, want %q", p, got, tt.pattern)
		}
		if back, ok := ban.ParsePattern(tt.pattern); !ok || back != p {
			t.Errorf("ParsePattern(%q) = %v, %v", tt.pattern, back, ok)
		}
	}
	// Words Pattern never writes, read back as nothing.
	for _, w := range []string{
		"192.0.2.7/255.255.255.255", // tcp_wrappers never matches it
		"192.0.2.0/255.0.255.0",     // not a prefix mask
		"192.0.2.1/255.255.255.0",   // host bits set
		"192.0.2.0/24",              // not Pattern's spelling
		"[2001:db8::1]/64",          // host bits set
		"[2001:db8::]/064", "[2001:db8::]x", "[::ffff:1.2.3.4]", "[fe80::1%eth0]", "[1.2.3.4]",
		"ALL", "#", "host.example.org", "0177.0.0.1", "",
	} {
		if p, ok := ban.ParsePattern(w); ok {
			t.Errorf("ParsePattern(%q) = %v", w, p)
		}
	}
}

// Bans, repeat offenders and expiry, step by step.
func TestBanEscalationAndExpiry(t *testing.T) {
	s := newSetup(t, func(c *ban.Config) {
		c.Duration, c.Factor, c.MaxDuration, c.Forget = time.Hour, 3, 5*time.Hour, 24*time.Hour
	})
	l := s.open(t)
	if got := s.list(t); got != "" {
		t.Fatalf("new list: %q", got)
	}
	offender := addr("192.0.2.7")
	lengths := []time.Duration{time.Hour, 3 * time.Hour, 5 * time.Hour, 5 * time.Hour}
	for i, want := range lengths {
		b, added, err := l.Ban(offender, "ssh-guessing")
		if err != nil || !added {
			t.Fatalf("ban %d: %v %v", i+1, added, err)
		}
		if b.Until.Sub(b.Since) != want || b.Offences != i+1 || b.Reason != "ssh-guessing" {
			t.Errorf("ban %d: %+v, want %v", i+1, b, want)
		}
		if s.list(t) != "192.0.2.7\n" {
			t.Errorf("list %q", s.list(t))
		}
		// While banned, further offences change nothing.
		if again, added, err := l.Ban(offender, "x"); err != nil || added || again != b {
			t.Errorf("ban while banned: %+v %v %v", again, added, err)
		}
		s.clock.Advance(want - time.Second)
		if ended, _ := l.Expire(); len(ended) != 0 || s.list(t) != "192.0.2.7\n" {
			t.Errorf("expired early: %v", ended)
		}
		s.clock.Advance(time.Second)
		ended, err := l.Expire()
		if err != nil || len(ended) != 1 || ended[0].Prefix != netip.MustParsePrefix("192.0.2.7/32") {
			t.Errorf("expire: %v %v", ended, err)
		}
		if s.list(t) != "" {
			t.Errorf("list after expiry %q", s.list(t))
		}
	}
	// A day after the last ban ended the history is forgotten.
	s.clock.Advance(24*time.Hour + time.Second)
	l.Expire()
	if b, _, _ := l.Ban(offender, "again"); b.Offences != 1 || b.Until.Sub(b.Since) != time.Hour {
		t.Errorf("after forgetting: %+v", b)
	}
	st := l.Stats()
	if st.Banned != 5 || st.Already != 4 || st.Expired != 4 || st.InForce != 1 {
		t.Errorf("stats %+v", st)
	}
}

// What one offence bans.
func TestBanPrefixes(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ban.Config)
		addrs  []string
		list   string
		errs   []error // per address; nil: banned or already banned
	}{
		{
			// A /64 per IPv6 offender: the next address of the same /64
			// is already banned.
			name:  "IPv6 /64",
			addrs: []string{"2001:db8:1:2::5", "2001:db8:1:2:ffff::1", "2001:db8:1:3::1"},
			list:  "[2001:db8:1:2::]/64\n[2001:db8:1:3::]/64\n",
		},
		{
			name:   "IPv6 /48 and IPv4 /24",
			change: func(c *ban.Config) { c.Prefix6, c.Prefix4 = 48, 24 },
			addrs:  []string{"2001:db8:1:2::5", "198.51.100.77", "198.51.100.78"},
			list:   "198.51.100.0/255.255.255.0\n[2001:db8:1::]/48\n",
		},
		{
			// IPv4-mapped addresses are banned as IPv4.
			name:  "mapped",
			addrs: []string{"::ffff:192.0.2.9"},
			list:  "192.0.2.9\n",
		},
		{
			// A link-local address is banned alone: its /64 is every
			// neighbour on the link.
			name:  "link-local",
			addrs: []string{"fe80::1234%eth0"},
			list:  "[fe80::1234]\n",
		},
		{
			// Loopback and allowlisted addresses are never banned; an
			// aggregate that would cover an allowed address narrows to
			// the offender.
			name: "allowlist",
			change: func(c *ban.Config) {
				c.Allow = []netip.Prefix{netip.MustParsePrefix("2001:db8:5:5::1/128"), netip.MustParsePrefix("203.0.113.0/24")}
			},
			addrs: []string{"127.0.0.2", "::1", "2001:db8:5:5::1", "2001:db8:5:5::2", "203.0.113.9"},
			list:  "[2001:db8:5:5::2]\n",
			errs:  []error{ban.ErrAllowed, ban.ErrAllowed, ban.ErrAllowed, nil, ban.ErrAllowed},
		},
		{
			// Not every address can be banned.
			name:  "invalid",
			addrs: []string{"0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"},
			errs:  []error{ban.ErrInvalid, ban.ErrInvalid, ban.ErrInvalid, ban.ErrInvalid, ban.ErrInvalid},
		},
		{
			// The cap refuses new bans; it never drops old ones.
			name:   "full",
			change: func(c *ban.Config) { c.MaxBans = 2 },
			addrs:  []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1"},
			list:   "192.0.2.1\n192.0.2.2\n",
			errs:   []error{nil, nil, ban.ErrFull, nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, tt.change)
			l := s.open(t)
			for i, a := range tt.addrs {
				var want error
				if tt.errs != nil {
					want = tt.errs[i]
				}
				if _, _, err := l.Ban(netip.MustParseAddr(a), "test"); !errors.Is(err, want) {
					t.Errorf("Ban(%s): %v, want %v", a, err, want)
				}
			}
			if got := s.list(t); got != tt.list {
				t.Errorf("list:\n%s\nwant:\n%s", got, tt.list)
			}
		})
	}
}

// The machine's own addresses are allowlisted by default.
func TestOwnAddressesAllowed(t *testing.T) {
	s := newSetup(t, nil)
	l, err := ban.Open(s.cfg, ban.Options{Clock: s.clock, LocalAddrs: func() ([]netip.Addr, error) {
		return []netip.Addr{addr("198.51.100.10"), addr("2001:db8:9:9::10")}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Ban(addr("198.51.100.10"), "x"); !errors.Is(err, ban.ErrAllowed) {
		t.Errorf("own IPv4 address: %v", err)
	}
	if b, _, err := l.Ban(addr("2001:db8:9:9::66"), "x"); err != nil || b.Prefix.Bits() != 128 {
		t.Errorf("neighbour in own /64: %+v %v", b, err)
	}
	// The real interfaces: whatever they are, loopback is there.
	s2 := newSetup(t, nil)
	l2, err := ban.Open(s2.cfg, ban.Options{Clock: s2.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l2.Ban(addr("127.0.0.1"), "x"); !errors.Is(err, ban.ErrAllowed) {
		t.Errorf("loopback: %v", err)
	}
}

// Lift by address or prefix; the history goes with it.
func TestLift(t *testing.T) {
	s := newSetup(t, nil)
	l := s.open(t)
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "198.51.100.1", "2001:db8:1:2::5"} {
		if _, _, err := l.Ban(addr(a), "x"); err != nil {
			t.Fatal(err)
		}
	}
	l.Ban(addr("192.0.2.1"), "x") // already banned: no second offence
	lifted, err := l.Lift(netip.MustParsePrefix("2001:db8:1:2::99/128"))
	if err != nil || len(lifted) != 1 || lifted[0].Prefix.String() != "2001:db8:1:2::/64" {
		t.Errorf("lift by address: %v %v", lifted, err)
	}
	lifted, _ = l.Lift(netip.MustParsePrefix("192.0.2.0/24"))
	if len(lifted) != 2 {
		t.Errorf("lift by prefix: %v", lifted)
	}
	if got := s.list(t); got != "198.51.100.1\n" {
		t.Errorf("list %q", got)
	}
	if lifted, _ := l.Lift(netip.MustParsePrefix("10.0.0.0/8")); len(lifted) != 0 {
		t.Errorf("lifted %v", lifted)
	}
	if b, _, _ := l.Ban(addr("192.0.2.1"), "x"); b.Offences != 1 {
		t.Errorf("history survived the lift: %+v", b)
	}
	bans, _ := l.Bans()
	var got []string
	for _, b := range bans {
		got = append(got, b.Pattern())
	}
	if strings.Join(got, " ") != "192.0.2.1 198.51.100.1" {
		t.Errorf("Bans: %v", got)
	}
}

// The state survives a restart: bans in force and repeat offenders.
func TestRestart(t *testing.T) {
	s := newSetup(t, nil)
	l := s.open(t)
	l.Ban(addr("192.0.2.1"), "ssh-guessing")
	l.Ban(addr("2001:db8::1"), "telnet-trap")
	s.clock.Advance(2 * time.Hour)
	l.Expire()
	l.Ban(addr("198.51.100.3"), "ssh-guessing")

	// The state file, as written (testdata/state.golden).
	state, err := os.ReadFile(s.state)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "state.golden")
	if *update {
		os.WriteFile(golden, state, 0o644)
	}
	if want, _ := os.ReadFile(golden); string(state) != string(want) {
		t.Errorf("state:\n%s\nwant:\n%s", state, want)
	}

	// Opening again rewrites nothing (the same file, not a copy).
	before, _ := os.Stat(s.state)
	l2 := s.open(t)
	if after, _ := os.Stat(s.state); !os.SameFile(before, after) {
		t.Errorf("Open rewrote an unchanged state file")
	}
	bans, _ := l2.Bans()
	if len(bans) != 1 || bans[0].Pattern() != "198.51.100.3" {
		t.Errorf("after restart: %v", bans)
	}
	if b, _, _ := l2.Ban(addr("192.0.2.1"), "again"); b.Offences != 2 || b.Until.Sub(b.Since) != 2*time.Hour {
		t.Errorf("repeat offender after restart: %+v", b)
	}
	if got := s.list(t); got != "192.0.2.1\n198.51.100.3\n" {
		t.Errorf("list %q", got)
	}
}

// A damaged state file is kept aside, reported, and the bans in the
// list survive it.
func TestDamagedState(t *testing.T) {
	for _, damage := range []string{
		`{"version":1,"records":[{"prefix":"192.0.2.1/32"`, // cut short
		`{"version":1,"records":[{"prefix":"0.0.0.0/0","since":"2026-03-01T12:00:00Z","until":"2026-03-01T13:00:00Z","offences":1}]}`, // bans the world
		`{"version":9,"records":[]}`, // from the future
		"\x00\x00\x00",
	} {
		s := newSetup(t, nil)
		l := s.open(t)
		l.Ban(addr("192.0.2.1"), "x")
		l.Ban(addr("2001:db8:7::1"), "x")
		if err := os.WriteFile(s.state, []byte(damage), 0o600); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(time.Minute)
		l2, err := ban.Open(s.cfg, ban.Options{Clock: s.clock, LocalAddrs: noLocal})
		var dmg *ban.DamagedError
		if !errors.As(err, &dmg) || l2 == nil || dmg.Recovered != 2 {
			t.Fatalf("%q: Open: %v", damage, err)
		}
		if kept, _ := os.ReadFile(dmg.Aside); string(kept) != damage {
			t.Errorf("aside file holds %q", kept)
		}
		bans, _ := l2.Bans()
		if len(bans) != 2 || bans[0].Until != t0.Add(time.Minute+ban.DefaultDuration) {
			t.Errorf("recovered %+v", bans)
		}
		if got := s.list(t); got != "192.0.2.1\n[2001:db8:7::]/64\n" {
			t.Errorf("list %q", got)
		}
		// And the state is sound again.
		if _, err := ban.Open(s.cfg, ban.Options{Clock: s.clock, LocalAddrs: noLocal}); err != nil {
			t.Errorf("reopen: %v", err)
		}
	}
}

// Two processes on the same files (the watcher and a command lifting a
// ban): neither undoes the other's change.
func TestTwoListsShareState(t *testing.T) {
	s := newSetup(t, nil)
	watcher := s.open(t)
	command := s.open(t)
	watcher.Ban(addr("192.0.2.1"), "x")
	watcher.Ban(addr("192.0.2.2"), "x")
	if bans, _ := command.Bans(); len(bans) != 2 {
		t.Fatalf("command sees %v", bans)
	}
	if lifted, err := command.Lift(netip.MustParsePrefix("192.0.2.1/32")); err != nil || len(lifted) != 1 {
		t.Fatalf("lift: %v %v", lifted, err)
	}
	watcher.Ban(addr("192.0.2.3"), "x")
	if got := s.list(t); got != "192.0.2.2\n192.0.2.3\n" {
		t.Errorf("list %q: the lifted ban came back or a ban was lost", got)
	}
}

// The engine never sees a half-written list: a reader running alongside
// many rewrites only ever finds whole files.
func TestListReplacedAtomically(t *testing.T) {
	s := newSetup(t, func(c *ban.Config) { c.MaxBans = 1000 })
	l := s.open(t)
	var stop atomic.Bool
	var reads, bad atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			data, err := os.ReadFile(s.file)
			if err != nil {
				bad.Add(1)
				continue
			}
			reads.Add(1)
			if len(data) > 0 && data[len(data)-1] != '\n' {
				bad.Add(1)
			}
			for _, w := range strings.Fields(string(data)) {
				if _, ok := ban.ParsePattern(w); !ok {
					bad.Add(1)
				}
			}
		}
	})
	for round := range 6 {
		for i := range 30 {
			l.Ban(addr(fmt.Sprintf("10.%d.%d.1", round, i)), "x")
		}
		l.Lift(netip.MustParsePrefix("10.0.0.0/8"))
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 || reads.Load() == 0 {
		t.Errorf("%d reads, %d saw a partial or missing file", reads.Load(), bad.Load())
	}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// The deny list as written for a mix of bans (testdata/banned.golden).
func TestListGolden(t *testing.T) {
	s := newSetup(t, func(c *ban.Config) { c.Prefix4 = 24 })
	l := s.open(t)
	for _, a := range []string{"2001:db8:1:2::5", "203.0.113.200", "fe80::9", "192.0.2.1", "2001:db8::1"} {
		l.Ban(addr(a), "x")
	}
	got := s.list(t)
	golden := filepath.Join("testdata", "banned.golden")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	if want, _ := os.ReadFile(golden); got != string(want) {
		t.Errorf("list:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "#") {
		t.Errorf("a comment in a /file list is a pattern")
	}
}

// A ban that ended and was replaced by a new ban of the same offender
// before Expire ran is still reported as ended (and counted) once.
func TestExpireReportsReplacedBan(t *testing.T) {
	s := newSetup(t, func(c *ban.Config) { c.Duration = time.Second })
	l := s.open(t)
	if _, added, err := l.Ban(addr("192.0.2.7"), "first"); err != nil || !added {
		t.Fatalf("first ban: %v %v", added, err)
	}
	s.clock.Advance(1500 * time.Millisecond)
	if _, added, err := l.Ban(addr("192.0.2.7"), "again"); err != nil || !added {
		t.Fatalf("second ban: %v %v", added, err)
	}
	ended, err := l.Expire()
	if err != nil {
		t.Fatal(err)
	}
	if len(ended) != 1 || ended[0].Reason != "first" {
		t.Fatalf("Expire reported %+v, want the first ban", ended)
	}
	if ended, _ := l.Expire(); len(ended) != 0 {
		t.Errorf("reported again: %+v", ended)
	}
	if st := l.Stats(); st.Expired != 1 {
		t.Errorf("Stats.Expired = %d, want 1", st.Expired)
	}
}
