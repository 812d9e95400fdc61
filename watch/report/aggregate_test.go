package report_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/report"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func refused(min int, addr, name, daemon string) watch.Event {
	e := watch.Event{Time: t0.Add(time.Duration(min) * time.Minute), Daemon: daemon, Verdict: watch.Refused, Name: name}
	if addr != "" {
		e.Addr = netip.MustParseAddr(addr)
	}
	return e
}

func granted(min int, addr, daemon string) watch.Event {
	e := refused(min, addr, "", daemon)
	e.Verdict = watch.Granted
	return e
}

func aggregate(t *testing.T, o report.Options, ev ...watch.Event) (*report.Aggregator, *report.Report) {
	t.Helper()
	if o.From.IsZero() {
		o.From, o.To = t0, t0.Add(3*time.Hour)
	}
	a, err := report.New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ev {
		a.Add(e)
	}
	return a, a.Report()
}

func sources(r *report.Report) string {
	var s []string
	for _, x := range r.Sources {
		s = append(s, fmt.Sprintf("%s=%d", x.Source, x.Refused))
	}
	return strings.Join(s, " ")
}

func newSources(r *report.Report) string {
	var s []string
	for _, x := range r.NewSources {
		s = append(s, fmt.Sprintf("%s=%d/%d", x.Source, x.Granted, x.Refused))
	}
	return strings.Join(s, " ")
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    report.Options
		want string
	}{
		{"no window", report.Options{}, "needs both From and To"},
		{"empty window", report.Options{From: t0, To: t0}, "is not after its start"},
		{"backwards window", report.Options{From: t0, To: t0.Add(-time.Hour)}, "is not after its start"},
		{"window too long", report.Options{From: t0, To: t0.Add(report.MaxWindow + time.Hour)}, "longer than"},
		{"IPv6 prefix too long", report.Options{From: t0, To: t0.Add(time.Hour), IPv6Prefix: 129}, "IPv6Prefix 129"},
		{"IPv6 prefix negative", report.Options{From: t0, To: t0.Add(time.Hour), IPv6Prefix: -1}, "IPv6Prefix -1"},
		{"negative Top", report.Options{From: t0, To: t0.Add(time.Hour), Top: -1}, "Top is negative"},
		{"negative MaxSources", report.Options{From: t0, To: t0.Add(time.Hour), MaxSources: -5}, "MaxSources is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	o := report.Options{From: t0.Add(30 * time.Minute), To: t0.Add(2*time.Hour + 15*time.Minute)}
	_, r := aggregate(t, o,
		granted(29, "192.0.2.1", "sshd"), // before the window
		granted(30, "192.0.2.1", "sshd"), // its first instant counts
		refused(60, "192.0.2.2", "", "sshd"),
		refused(134, "192.0.2.2", "", "sshd"),
		granted(135, "192.0.2.1", "sshd"),   // To is outside
		watch.Event{Verdict: watch.Refused}, // no time at all
	)
	if r.Events != 3 || r.Granted != 1 || r.Refused != 2 || r.Outside != 3 {
		t.Errorf("events %d granted %d refused %d outside %d, want 3 1 2 3", r.Events, r.Granted, r.Refused, r.Outside)
	}
	// 10:30 to 12:15 spans the hours of 10:00, 11:00 and 12:00.
	var got []string
	for _, h := range r.Timeline {
		got = append(got, fmt.Sprintf("%s %d/%d", h.Start.Format("15:04"), h.Granted, h.Refused))
	}
	if want := []string{"10:00 1/0", "11:00 0/1", "12:00 0/1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("timeline %q, want %q", got, want)
	}
}

func TestTimelineLocation(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*3600)
	_, r := aggregate(t, report.Options{From: t0, To: t0.Add(2 * time.Hour), Location: zone}, refused(70, "192.0.2.9", "", "sshd"))
	if got := r.Timeline[1].Start.Format("15:04 MST"); got != "13:00 UTC+2" || r.Timeline[1].Refused != 1 {
		t.Errorf("second hour starts %s with %d refusals, want 13:00 UTC+2 with 1", got, r.Timeline[1].Refused)
	}
	if got := r.From.Format("15:04"); got != "12:00" {
		t.Errorf("From shown as %s, want 12:00", got)
	}
}

func TestSourceKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix int
		ev     []watch.Event
		want   string
	}{
		{"IPv4 counts per address", 0, []watch.Event{
			refused(1, "192.0.2.1", "", "sshd"), refused(2, "192.0.2.1", "", "sshd"), refused(3, "192.0.2.2", "", "sshd"),
		}, "192.0.2.1=2 192.0.2.2=1"},
		{"IPv6 rotating through one /64 counts once", 0, []watch.Event{
			refused(1, "2001:db8:1:2::1", "", "sshd"), refused(2, "2001:db8:1:2:ffff::9", "", "sshd"), refused(3, "2001:db8:1:3::1", "", "sshd"),
		}, "2001:db8:1:2::/64=2 2001:db8:1:3::/64=1"},
		{"a /48 option merges the /64s", 48, []watch.Event{
			refused(1, "2001:db8:1:2::1", "", "sshd"), refused(2, "2001:db8:1:3::1", "", "sshd"),
		}, "2001:db8:1::/48=2"},
		{"a /128 shows the address", 128, []watch.Event{
			refused(1, "2001:db8::1", "", "sshd"),
		}, "2001:db8::1=1"},
		{"IPv4-mapped IPv6 is the IPv4 address", 0, []watch.Event{
			refused(1, "::ffff:192.0.2.7", "", "sshd"), refused(2, "192.0.2.7", "", "sshd"),
		}, "192.0.2.7=2"},
		{"zones are dropped", 0, []watch.Event{
			refused(1, "fe80::1%eth0", "", "sshd"), refused(2, "fe80::2%eth1", "", "sshd"),
		}, "fe80::/64=2"},
		{"a client known only by name counts under its name, case-folded", 0, []watch.Event{
			refused(1, "", "Bad.Example", "sshd"), refused(2, "", "bad.example", "sshd"),
		}, "bad.example=2"},
		{"no address and no name: counted in the totals only", 0, []watch.Event{
			refused(1, "", "", "sshd"),
		}, ""},
		{"grants do not make a refused source", 0, []watch.Event{
			granted(1, "192.0.2.1", "sshd"),
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := aggregate(t, report.Options{IPv6Prefix: tc.prefix}, tc.ev...)
			if got := sources(r); got != tc.want {
				t.Errorf("sources %q, want %q", got, tc.want)
			}
			if !r.SourcesExact {
				t.Errorf("SourcesExact is false with %d sources", len(r.Sources))
			}
		})
	}
}

func TestSourceDetails(t *testing.T) {
	_, r := aggregate(t, report.Options{},
		refused(5, "192.0.2.1", "first.example", "sshd"),
		refused(50, "192.0.2.1", "", "in.ftpd"),
		refused(20, "192.0.2.1", "second.example", "in.fingerd"), // out of order
	)
	s := r.Sources[0]
	if s.Refused != 3 || s.Name != "second.example" || s.LastService != "in.fingerd" ||
		!s.First.Equal(t0.Add(5*time.Minute)) || !s.Last.Equal(t0.Add(50*time.Minute)) || s.Prefix != netip.MustParsePrefix("192.0.2.1/32") {
		t.Errorf("source %+v", s)
	}
}

func TestNewSources(t *testing.T) {
	known := func(p netip.Prefix) bool { return netip.MustParsePrefix("192.0.2.0/24").Contains(p.Addr()) }
	ev := []watch.Event{
		granted(1, "192.0.2.5", "sshd"),           // known
		refused(2, "198.51.100.1", "", "sshd"),    // new
		granted(3, "198.51.100.1", "sshd"),        // the same, counted
		refused(4, "2001:db8:9:9::1", "", "sshd"), // new /64
		refused(5, "2001:db8:9:9::2", "", "sshd"), // same /64
		refused(6, "", "name.only", "sshd"),       // never new
	}
	for _, tc := range []struct {
		name  string
		o     report.Options
		want  string
		total int
		lost  int64
	}{
		{"history excludes known sources", report.Options{Known: known}, "198.51.100.1=1/1 2001:db8:9:9::/64=0/2", 2, 0},
		{"no history: every address source is new", report.Options{}, "192.0.2.5=1/0 198.51.100.1=1/1 2001:db8:9:9::/64=0/2", 3, 0},
		{"Top limits the list, not the total", report.Options{Top: 1}, "192.0.2.5=1/0", 3, 0},
		{"MaxSources bounds the tracking", report.Options{Known: known, MaxSources: 1}, "198.51.100.1=1/1", 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := aggregate(t, tc.o, ev...)
			if got := newSources(r); got != tc.want || r.NewSourcesTotal != tc.total || r.NewSourceEventsUntracked != tc.lost {
				t.Errorf("new sources %q total %d untracked %d, want %q %d %d", got, r.NewSourcesTotal, r.NewSourceEventsUntracked, tc.want, tc.total, tc.lost)
			}
		})
	}
}

func TestServicesAndRules(t *testing.T) {
	rule := func(e watch.Event, r string) watch.Event { e.Rule = r; return e }
	_, r := aggregate(t, report.Options{MaxServices: 2, MaxRules: 1, Top: 5},
		rule(granted(1, "192.0.2.1", "sshd"), "/etc/hosts.allow:1"),
		rule(refused(2, "192.0.2.2", "", "sshd"), "/etc/hosts.deny:1"),
		rule(refused(3, "192.0.2.2", "", "in.ftpd"), "/etc/hosts.allow:1"),
		refused(4, "192.0.2.2", "", "in.telnetd"),
		granted(5, "192.0.2.2", "in.fingerd"),
		watch.Event{Time: t0, Daemon: "sshd"}, // verdict unknown: an attempt only
	)
	var got []string
	for _, s := range r.Services {
		got = append(got, fmt.Sprintf("%s %d/%d/%d", s.Service, s.Attempts, s.Granted, s.Refused))
	}
	if want := []string{"sshd 3/1/1", "in.ftpd 1/0/1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("services %q, want %q", got, want)
	}
	if o := r.OtherServices; o == nil || *o != (report.Counts{Attempts: 2, Granted: 1, Refused: 1}) {
		t.Errorf("other services %+v, want 2 attempts, 1 granted, 1 refused", o)
	}
	if len(r.Rules) != 1 || r.Rules[0].Rule != "/etc/hosts.allow:1" || r.Rules[0].Attempts != 2 {
		t.Errorf("rules %+v, want /etc/hosts.allow:1 with 2", r.Rules)
	}
	if o := r.OtherRules; o == nil || o.Attempts != 1 || o.Refused != 1 {
		t.Errorf("other rules %+v, want 1 refusal", o)
	}
	if r.NoRule != 3 {
		t.Errorf("NoRule %d, want 3", r.NoRule)
	}
}

// TestReportIsASnapshot checks that counting on does not change a
// Report already taken.
func TestReportIsASnapshot(t *testing.T) {
	a, r1 := aggregate(t, report.Options{}, refused(1, "192.0.2.1", "", "sshd"))
	a.Add(refused(2, "192.0.2.1", "", "sshd"))
	r2 := a.Report()
	if r1.Sources[0].Refused != 1 || r1.Services[0].Refused != 1 || r2.Sources[0].Refused != 2 {
		t.Errorf("first report %d/%d, second %d", r1.Sources[0].Refused, r1.Services[0].Refused, r2.Sources[0].Refused)
	}
}

// TestBoundedMemory feeds many distinct sources, services and rules with
// long hostile names and checks that the Aggregator keeps no more than
// its bounds, and that the totals stay exact.
func TestBoundedMemory(t *testing.T) {
	a, err := report.New(report.Options{From: t0, To: t0.Add(time.Hour), MaxSources: 50, MaxServices: 10, MaxRules: 10})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 10000)
	const n = 20000
	for i := range n {
		b := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
		a.Add(watch.Event{Time: t0, Addr: b, Verdict: watch.Refused, Name: long, Daemon: fmt.Sprint("d", i, long), Rule: fmt.Sprint("r", i, long)})
		a.Add(watch.Event{Time: t0, Verdict: watch.Refused, Name: fmt.Sprint(i, long)})
	}
	src, nw, svc, rules := a.Tracked()
	if src > 50 || nw > 50 || svc > 10 || rules > 10 {
		t.Errorf("tracking %d sources, %d new sources, %d services, %d rules; bounds are 50, 50, 10, 10", src, nw, svc, rules)
	}
	r := a.Report()
	if r.Events != 2*n || r.Refused != 2*n {
		t.Errorf("events %d refused %d, want %d", r.Events, r.Refused, 2*n)
	}
	if r.SourcesExact {
		t.Error("SourcesExact with more sources than MaxSources")
	}
	if got := int64(r.NewSourcesTotal) + r.NewSourceEventsUntracked; got != n {
		t.Errorf("new sources %d + untracked events %d, want %d", r.NewSourcesTotal, r.NewSourceEventsUntracked, n)
	}
	for _, s := range r.Sources {
		if len(s.Name) > 255 || len(s.LastService) > 128 {
			t.Errorf("kept a name of %d bytes and a service of %d", len(s.Name), len(s.LastService))
		}
	}
	for _, s := range r.Services {
		if len(s.Service) > 128 {
			t.Errorf("kept a service of %d bytes", len(s.Service))
		}
	}
}
