package parse_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// ref is the reference time of the tests: traditional stamps are read
// as if on this day.
var ref = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func newParser(cfg parse.Config) *parse.Parser {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	p := parse.New(cfg)
	p.SetReference(ref)
	return p
}

// describe renders what the parser made of a line, for golden files and
// failure messages.
func describe(ev watch.Event, st parse.Status) string {
	if st != parse.OK && st != parse.Ambiguous {
		return st.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s daemon=%q", st, ev.Source, ev.Verdict, ev.Daemon)
	if ev.Addr.IsValid() {
		fmt.Fprintf(&b, " addr=%s", ev.Addr)
	}
	if ev.Name != "" {
		fmt.Fprintf(&b, " name=%q", ev.Name)
	}
	if ev.User != "" {
		fmt.Fprintf(&b, " user=%q", ev.User)
	}
	if ev.Rule != "" {
		fmt.Fprintf(&b, " rule=%q", ev.Rule)
	}
	fmt.Fprintf(&b, " time=%s", ev.Time.Format(time.RFC3339Nano))
	if ev.Host != "" {
		fmt.Fprintf(&b, " host=%q", ev.Host)
	}
	fmt.Fprintf(&b, " program=%q pid=%d", ev.Program, ev.PID)
	return b.String()
}

// TestGolden parses testdata/lines.txt and compares with
// testdata/lines.golden (go test -update rewrites it).
func TestGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/lines.txt")
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(parse.Config{})
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(in))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		raw := []byte(strings.ReplaceAll(line, `\xef\xbb\xbf`, "\xef\xbb\xbf"))
		var ev watch.Event
		var st parse.Status
		switch {
		case strings.HasPrefix(line, "msg "):
			ev, st = p.Message(raw[4:])
		case strings.HasPrefix(line, "json "):
			ev, st = p.Record(raw[5:])
		default:
			ev, st = p.Line(raw)
		}
		fmt.Fprintf(&out, "%s\n\t%s\n", line, describe(ev, st))
	}
	const golden = "testdata/lines.golden"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		gl, wl := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s:%d:\n got  %s\n want %s", golden, i+1, g, w)
			}
		}
	}
}

// TestYear: the year of a traditional time stamp, from the reference.
func TestYear(t *testing.T) {
	cases := []struct {
		name  string
		ref   string
		stamp string
		want  string
	}{
		{"same day", "2026-11-27T12:00:00Z", "Nov 27 05:48:56", "2026-11-27T05:48:56Z"},
		{"December read in January", "2027-01-02T00:00:00Z", "Dec 31 23:59:59", "2026-12-31T23:59:59Z"},
		{"January read on December 31 (clock ahead)", "2026-12-31T23:59:00Z", "Jan  1 00:00:01", "2027-01-01T00:00:01Z"},
		{"January read in December is last January", "2026-12-01T00:00:00Z", "Jan  1 00:00:01", "2026-01-01T00:00:01Z"},
		{"a week ahead is still this year", "2026-11-27T12:00:00Z", "Dec  4 11:00:00", "2026-12-04T11:00:00Z"},
		{"more than a week ahead is last year", "2026-11-27T12:00:00Z", "Dec  5 13:00:00", "2025-12-05T13:00:00Z"},
		{"February 29 in a common year", "2027-03-01T00:00:00Z", "Feb 29 10:00:00", "2024-02-29T10:00:00Z"},
		{"February 29 in a leap year", "2028-03-01T00:00:00Z", "Feb 29 10:00:00", "2028-02-29T10:00:00Z"},
		{"zero-padded day", "2026-11-27T12:00:00Z", "Nov 07 05:48:56", "2026-11-07T05:48:56Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := parse.New(parse.Config{Location: time.UTC})
			r, _ := time.Parse(time.RFC3339, tc.ref)
			p.SetReference(r)
			ev, st := p.Line([]byte(tc.stamp + " h in.fake[1]: connect from 127.0.0.1 (127.0.0.1)"))
			if st != parse.OK {
				t.Fatalf("status %v", st)
			}
			if got := ev.Time.UTC().Format(time.RFC3339); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	// A time zone: the stamp is local time there.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no zoneinfo: %v", err)
	}
	p := parse.New(parse.Config{Location: ny})
	p.SetReference(ref)
	ev, _ := p.Line([]byte("Nov 27 05:48:56 h in.fake[1]: connect from 127.0.0.1 (127.0.0.1)"))
	if got := ev.Time.UTC().Format(time.RFC3339); got != "2026-11-27T10:48:56Z" {
		t.Errorf("New York stamp: got %s", got)
	}
}

// TestBadStamps: lines whose time stamp is not one are not ours.
func TestBadStamps(t *testing.T) {
	p := newParser(parse.Config{})
	for _, stamp := range []string{
		"Foo 27 05:48:56", "Nov 32 05:48:56", "Nov 27 24:00:00", "Nov 27 05:60:00", "Nov  0 05:48:56",
		"Feb 30 01:00:00", "2026-13-27T05:48:56Z", "2026-11-31T05:48:56Z", "2026-11-27T05:48:56",
		"2026-11-27T05:48:56.Z", "2026-11-27T05:48:56+0100", "2026-11-27 05:48:56Z",
	} {
		line := stamp + " h in.fake[1]: connect from 127.0.0.1 (127.0.0.1)"
		if ev, st := p.Line([]byte(line)); st != parse.NotOurs {
			t.Errorf("%q: %s", line, describe(ev, st))
		}
	}
}

// TestPrograms: which programs count for which grammar.
func TestPrograms(t *testing.T) {
	tcpdLine := func(prog string) string {
		return "Nov 27 05:48:56 h " + prog + ": refused connect from 127.0.0.2 (127.0.0.2)"
	}
	cases := []struct {
		name string
		cfg  parse.Config
		line string
		want parse.Status
	}{
		{"any daemon by default", parse.Config{}, tcpdLine("in.fingerd[1]"), parse.OK},
		{"no PID: not tcpd's", parse.Config{}, tcpdLine("in.fingerd"), parse.NotOurs},
		{"listed daemon", parse.Config{Daemons: []string{"in.fingerd"}}, tcpdLine("in.fingerd[1]"), parse.OK},
		{"unlisted daemon", parse.Config{Daemons: []string{"in.fingerd"}}, tcpdLine("sshd[1]"), parse.NotOurs},
		{"tcpd always counts", parse.Config{Daemons: []string{"in.fingerd"}}, tcpdLine("tcpd[1]"), parse.OK},
		{"tcpwrapd always counts", parse.Config{Daemons: []string{}}, tcpdLine("tcpwrapd[1]"), parse.OK},
		{"inetd's grammar from inetd", parse.Config{}, "Nov 27 05:48:56 h inetd[1]: refused connection from 127.0.0.2, service finger (tcp)", parse.OK},
		{"inetd's grammar from another", parse.Config{}, "Nov 27 05:48:56 h sshd[1]: refused connection from 127.0.0.2, service finger (tcp)", parse.NotOurs},
		{"inetd turned off", parse.Config{Inetd: []string{}}, "Nov 27 05:48:56 h inetd[1]: refused connection from 127.0.0.2, service finger (tcp)", parse.NotOurs},
		{"inetd renamed", parse.Config{Inetd: []string{"openbsd-inetd"}}, "Nov 27 05:48:56 h openbsd-inetd[1]: refused connection from 127.0.0.2, service finger (tcp)", parse.OK},
		{"xinetd's grammar from xinetd", parse.Config{}, "Nov 27 05:48:56 h xinetd[1]: FAIL: finger libwrap from=127.0.0.2", parse.OK},
		{"xinetd's grammar from another", parse.Config{}, "Nov 27 05:48:56 h finger[1]: FAIL: finger libwrap from=127.0.0.2", parse.NotOurs},
		{"JSON from tcpwrap", parse.Config{}, `Nov 27 05:48:56 h tcpwrap[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"127.0.0.2"}}`, parse.OK},
		{"JSON from another", parse.Config{}, `Nov 27 05:48:56 h webapp[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"127.0.0.2"}}`, parse.NotOurs},
		{"JSON from a listed program", parse.Config{JSON: []string{"shipper"}}, `Nov 27 05:48:56 h shipper: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"127.0.0.2"}}`, parse.OK},
		{"5424 record from an unlisted daemon", parse.Config{Daemons: []string{"in.fingerd"}}, `<28>1 2026-11-27T05:48:56Z h sshd 1 decision [tcpwrap@32473 verdict="denied" daemon="sshd" client="127.0.0.2"]`, parse.NotOurs},
		{"5424 record from a listed daemon", parse.Config{Daemons: []string{"in.fingerd"}}, `<28>1 2026-11-27T05:48:56Z h in.fingerd 1 decision [tcpwrap@32473 verdict="denied" daemon="in.fingerd" client="127.0.0.2"]`, parse.OK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, st := newParser(tc.cfg).Line([]byte(tc.line))
			if st != tc.want {
				t.Errorf("%q: %s, want %s", tc.line, describe(ev, st), tc.want)
			}
		})
	}
}

// TestAddrForms: netip's rules for the address: no octal, hexadecimal,
// short or zero-padded forms (a resolver would read 010.0.0.1 as
// 8.0.0.1; we refuse to guess).
func TestAddrForms(t *testing.T) {
	p := newParser(parse.Config{Daemons: []string{"in.fake"}})
	cases := []struct {
		addr string
		want string // "" for Malformed
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"0.0.0.0", "0.0.0.0"},
		{"255.255.255.255", "255.255.255.255"},
		{"::1", "::1"},
		{"::ffff:127.0.0.1", "127.0.0.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"fe80::1%eth0", "fe80::1"},
		{"010.0.0.1", ""},
		{"0x7f.0.0.1", ""},
		{"127.1", ""},
		{"2130706433", ""},
		{"256.0.0.1", ""},
		{"1.2.3.4.", ""},
		{".1.2.3.4", ""},
		{"1..2.3", ""},
		{"1.2.3.4 ", ""},
		{"[::1]", ""},
		{"::1::2", ""},
		{"localhost", ""},
	}
	for _, tc := range cases {
		line := "Nov 27 05:48:56 h in.fake[1]: refused connect from " + tc.addr + " (" + tc.addr + ")"
		ev, st := p.Line([]byte(line))
		switch {
		case tc.want == "" && st != parse.Malformed:
			t.Errorf("%q: %s, want malformed", tc.addr, describe(ev, st))
		case tc.want != "" && (st != parse.OK || ev.Addr != netip.MustParseAddr(tc.want)):
			t.Errorf("%q: %s, want address %s", tc.addr, describe(ev, st), tc.want)
		}
		// xinetd's from= follows the same rules.
		ev, st = p.Line([]byte("Nov 27 05:48:56 h xinetd[1]: FAIL: svc libwrap from=" + tc.addr))
		if (tc.want == "") != (st == parse.Malformed) {
			t.Errorf("xinetd %q: %s", tc.addr, describe(ev, st))
		}
	}
}

// TestTrailing: the grammar is anchored at both ends.
func TestTrailing(t *testing.T) {
	p := newParser(parse.Config{Daemons: []string{"in.fake"}})
	for _, msg := range []string{
		"refused connect from 127.0.0.2 (127.0.0.2) extra",
		"refused connect from 127.0.0.2 (127.0.0.2)x",
		"refused connect from 127.0.0.2 (127.0.0.2",
		"refused connect from 127.0.0.2",
		"refused connect from (127.0.0.2)",
		"refused connect from  (127.0.0.2)",
	} {
		line := "Nov 27 05:48:56 h in.fake[1]: " + msg
		if ev, st := p.Line([]byte(line)); st == parse.OK || ev.Addr.IsValid() {
			t.Errorf("%q: %s", msg, describe(ev, st))
		}
	}
	for _, msg := range []string{
		"refused connection from 127.0.0.2, service x (tcp) extra",
		"refused connection from 127.0.0.2, service x y (tcp)",
		"refused connection from 127.0.0.2 service x (tcp)",
		"refused connection from 127.0.0.2, service (tcp)",
	} {
		line := "Nov 27 05:48:56 h inetd[1]: " + msg
		if ev, st := p.Line([]byte(line)); st == parse.OK || ev.Addr.IsValid() {
			t.Errorf("%q: %s", msg, describe(ev, st))
		}
	}
	for _, msg := range []string{
		"FAIL: x libwrap from=127.0.0.2 extra",
		"FAIL: x libwrap  from=127.0.0.2",
		"FAIL: x libwrap from=",
		"FAIL: x libwrapfrom=127.0.0.2",
	} {
		line := "Nov 27 05:48:56 h xinetd[1]: " + msg
		if ev, st := p.Line([]byte(line)); st == parse.OK || ev.Addr.IsValid() {
			t.Errorf("%q: %s", msg, describe(ev, st))
		}
	}
}
