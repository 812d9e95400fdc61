package ban_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/oracle"
	"tcpwrap/watch/ban"
)

// tables writes hosts.allow (which grants sshd to 192.0.2.50 whatever
// the list says) and a hosts.deny that includes the list.
func tables(t *testing.T, s *setup) (allow, deny string) {
	t.Helper()
	allow, deny = filepath.Join(s.dir, "hosts.allow"), filepath.Join(s.dir, "hosts.deny")
	if err := os.WriteFile(allow, []byte("sshd: 192.0.2.50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(deny, []byte("ALL: "+s.file+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return allow, deny
}

func verdict(e *hostsfile.Engine, client string) string {
	d := e.Check(access.Request{Daemon: "sshd", Client: access.Endpoint{IP: netip.MustParseAddr(client)}}, access.Hooks{})
	return d.Verdict.String()
}

// The engine decides by the list: before a ban, during it, after it
// expires, and after it is lifted.
func TestEngineHonoursList(t *testing.T) {
	s := newSetup(t, nil)
	allow, deny := tables(t, s)
	l := s.open(t)
	engine := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: -1})
	type want map[string]string
	check := func(step string, w want) {
		t.Helper()
		engine.Reload()
		for client, v := range w {
			if got := verdict(engine, client); got != v {
				t.Errorf("%s: %s is %s, want %s", step, client, got, v)
			}
		}
	}
	everyone := want{"192.0.2.7": "granted", "::ffff:192.0.2.7": "granted", "2001:db8:1:2:abcd::1": "granted", "192.0.2.50": "granted"}
	check("before", everyone)

	for _, a := range []string{"192.0.2.7", "2001:db8:1:2::5", "192.0.2.50"} {
		if _, _, err := l.Ban(netip.MustParseAddr(a), "test"); err != nil {
			t.Fatal(err)
		}
	}
	check("banned", want{
		"192.0.2.7":            "denied",
		"::ffff:192.0.2.7":     "denied",  // the same client over an IPv6 socket
		"192.0.2.8":            "granted", // its neighbour
		"2001:db8:1:2:abcd::1": "denied",  // same /64
		"2001:db8:1:3::1":      "granted", // next /64
		"192.0.2.50":           "granted", // hosts.allow comes first
	})

	s.clock.Advance(ban.DefaultDuration)
	if ended, err := l.Expire(); err != nil || len(ended) != 3 {
		t.Fatalf("expire: %v %v", ended, err)
	}
	check("expired", everyone)

	l.Ban(netip.MustParseAddr("192.0.2.7"), "again")
	check("banned again", want{"192.0.2.7": "denied"})
	if _, err := l.Lift(netip.MustParsePrefix("192.0.2.7/32")); err != nil {
		t.Fatal(err)
	}
	check("lifted", everyone)
}

// An engine left to itself (checking its files' status before a
// decision, as tcpwrapd's does) decides by a ban on the very next
// connection: the list is replaced by rename, so its inode changes.
func TestEngineSeesBanOnNextConnection(t *testing.T) {
	s := newSetup(t, nil)
	allow, deny := tables(t, s)
	l := s.open(t)
	engine := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: time.Nanosecond})
	for i := range 3 {
		if got := verdict(engine, "198.51.100.4"); got != "granted" {
			t.Fatalf("round %d, before: %s", i, got)
		}
		if _, _, err := l.Ban(netip.MustParseAddr("198.51.100.4"), "x"); err != nil {
			t.Fatal(err)
		}
		if got := verdict(engine, "198.51.100.4"); got != "denied" {
			t.Fatalf("round %d: the first connection after the ban was %s", i, got)
		}
		if _, err := l.Lift(netip.MustParsePrefix("198.51.100.4/32")); err != nil {
			t.Fatal(err)
		}
	}
}

// Debian's tcpdmatch reads the list we write as intended: the oracle.
func TestDebianTcpdmatchHonoursList(t *testing.T) {
	if ok, reason := oracle.Available(); !ok {
		t.Skip(reason)
	}
	cases := map[string]string{
		"192.0.2.7":             "denied",
		"::ffff:192.0.2.7":      "denied",
		"192.0.2.8":             "granted",
		"198.51.100.200":        "denied", // in the /24 of the second list
		"198.51.101.1":          "granted",
		"2001:db8:1:2::5":       "denied",
		"2001:db8:1:2:ffff::1":  "denied", // same /64
		"2001:db8:1:2:0:0:0:99": "denied",
		"2001:db8:1:3::1":       "granted",
		"2001:db8::77":          "denied",  // banned alone: its /64 holds an allowed address
		"2001:db8::78":          "granted", // so its neighbour is not banned
		"2001:db8::1":           "granted", // nor the allowed address
	}
	// Two lists written by this package: /32 and /64 bans (with an
	// allowlisted address), and /24 bans.
	setupLists := func(dir string) error {
		clock := newClock()
		l, err := ban.Open(ban.Config{File: filepath.Join(dir, "banned"), State: filepath.Join(dir, "banned.json"),
			Allow: []netip.Prefix{netip.MustParsePrefix("2001:db8::1/128")}, NoDefaultAllow: true}, ban.Options{Clock: clock})
		if err != nil {
			return err
		}
		for _, a := range []string{"192.0.2.7", "2001:db8:1:2::5", "2001:db8::77"} {
			if _, _, err := l.Ban(netip.MustParseAddr(a), "test"); err != nil {
				return err
			}
		}
		l24, err := ban.Open(ban.Config{File: filepath.Join(dir, "banned24"), State: filepath.Join(dir, "banned24.json"),
			Prefix4: 24, NoDefaultAllow: true}, ban.Options{Clock: clock})
		if err != nil {
			return err
		}
		_, _, err = l24.Ban(netip.MustParseAddr("198.51.100.9"), "test")
		return err
	}
	// Our engine, on the same lists, must agree.
	ours := t.TempDir()
	if err := setupLists(ours); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ours, "hosts.deny"), []byte("ALL: "+ours+"/banned "+ours+"/banned24\n"), 0o644)
	engine := hostsfile.New(hostsfile.Config{Allow: filepath.Join(ours, "hosts.allow"), Deny: filepath.Join(ours, "hosts.deny")})
	for client, want := range cases {
		if got := verdict(engine, client); got != want {
			t.Errorf("our engine: sshd %s: %s, want %s", client, got, want)
		}
		res, err := oracle.Run(oracle.Tcpdmatch, oracle.Case{
			Deny:  []byte("ALL: " + oracle.Placeholder + "/banned " + oracle.Placeholder + "/banned24\n"),
			Args:  []string{"-d", "sshd", client},
			Setup: setupLists,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, line := range strings.Split(res.Stdout, "\n") {
			if v, ok := strings.CutPrefix(line, "access:"); ok {
				got = strings.TrimSpace(v)
			}
		}
		if got != want {
			t.Errorf("Debian tcpdmatch sshd %s: %q, want %s\n%s%s", client, got, want, res.Stdout, res.Stderr)
		}
	}
}
