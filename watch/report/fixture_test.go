package report_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/report"
)

// The fixture is one day of a small site: office-hours logins over ssh
// from two known hosts, a brute-force burst from one IPv4 address, an
// IPv6 scanner rotating through one /64, a name-only finger probe, a
// trap service, and a client whose logged host name is hostile.
var (
	fixFrom = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	fixTo   = fixFrom.Add(24 * time.Hour)
	// hostileName mixes HTML, an ANSI colour escape, a newline and a
	// right-to-left override.
	hostileName = "evil\x1b[31m<script>alert(1)</script>\n\u202eexample.com"
)

func fixtureOptions() report.Options {
	known := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.23/32")}
	return report.Options{
		From: fixFrom, To: fixTo, Top: 5,
		Known: func(p netip.Prefix) bool {
			for _, k := range known {
				if k.Overlaps(p) && k.Bits() <= p.Bits() {
					return true
				}
			}
			return false
		},
	}
}

func fixtureEvents() []watch.Event {
	var ev []watch.Event
	at := func(h, m int) time.Time {
		return fixFrom.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	add := func(t time.Time, daemon string, v watch.Verdict, addr, name, rule string) {
		e := watch.Event{Time: t, Host: "gw", Program: "tcpd", Daemon: daemon, Verdict: v, Name: name, Rule: rule, Source: watch.SourceTcpd}
		if addr != "" {
			e.Addr = netip.MustParseAddr(addr)
		}
		if rule != "" {
			e.Source = watch.SourceJSON
		}
		ev = append(ev, e)
	}
	for h := range 24 {
		n := 1
		if h >= 8 && h < 18 {
			n = 6 + h%3
		}
		for i := range n {
			add(at(h, i*7), "sshd", watch.Granted, fmt.Sprintf("192.0.2.%d", 10+i%2), "", "/etc/hosts.allow:2")
		}
		if h%4 == 0 {
			add(at(h, 30), "in.ftpd", watch.Granted, "192.0.2.10", "ws10.example.org", "/etc/hosts.allow:5")
		}
	}
	for m := range 40 {
		add(at(3, m), "sshd", watch.Refused, "203.0.113.7", "", "/etc/hosts.deny:1")
	}
	for m := range 5 {
		add(at(4, 10*m), "in.ftpd", watch.Refused, "203.0.113.7", "", "/etc/hosts.deny:1")
	}
	for h := 12; h < 16; h++ {
		add(at(h, 5), "sshd", watch.Refused, "198.51.100.23", "", "")
		add(at(h, 35), "sshd", watch.Refused, "198.51.100.23", "", "")
	}
	for i := 1; i <= 6; i++ {
		add(at(20, i), "sshd", watch.Refused, fmt.Sprintf("2001:db8:bad:1::%x", i), "", "/etc/hosts.deny:1")
	}
	add(at(21, 10), "in.telnetd", watch.Refused, "2001:db8:bad:2::5", "", "/etc/hosts.deny:7")
	for m := range 3 {
		add(at(5, 20+m), "in.fingerd", watch.Refused, "", "Scanner.Example.NET", "")
	}
	add(at(22, 1), "in.fingerd", watch.Refused, "198.51.100.66", hostileName, "")
	add(at(22, 2), "in.fingerd", watch.Refused, "198.51.100.66", hostileName, "")
	add(at(9, 30), "sshd", watch.Granted, "198.51.100.200", "new-host.example.org", "/etc/hosts.allow:2")
	add(fixFrom.Add(-time.Second), "sshd", watch.Refused, "203.0.113.7", "", "")
	return ev
}

func fixtureReport(t testing.TB) *report.Report {
	t.Helper()
	a, err := report.New(fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fixtureEvents() {
		a.Add(e)
	}
	return a.Report()
}
