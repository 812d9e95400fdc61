package report_test

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/report"
)

// Three hours of a small site: a grant, a brute-force attempt from one
// address, and an IPv6 scanner that rotates through its /64.
func exampleEvents() []watch.Event {
	t := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	ev := func(min int, daemon string, v watch.Verdict, addr, rule string) watch.Event {
		return watch.Event{Time: t.Add(time.Duration(min) * time.Minute), Daemon: daemon, Verdict: v, Addr: netip.MustParseAddr(addr), Rule: rule}
	}
	return []watch.Event{
		ev(5, "sshd", watch.Granted, "192.0.2.10", "/etc/hosts.allow:3"),
		ev(61, "sshd", watch.Refused, "203.0.113.9", "/etc/hosts.deny:1"),
		ev(62, "sshd", watch.Refused, "203.0.113.9", "/etc/hosts.deny:1"),
		ev(63, "sshd", watch.Refused, "203.0.113.9", "/etc/hosts.deny:1"),
		ev(130, "in.ftpd", watch.Refused, "2001:db8:bad::1", "/etc/hosts.deny:1"),
		ev(131, "in.ftpd", watch.Refused, "2001:db8:bad::2", "/etc/hosts.deny:1"),
	}
}

func ExampleNew() {
	from := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	known := netip.MustParsePrefix("192.0.2.0/24")
	a, err := report.New(report.Options{
		From: from,
		To:   from.Add(3 * time.Hour),
		// Sources seen before the window; a real history would come
		// from tcpdwatch's state.
		Known: func(p netip.Prefix) bool { return known.Contains(p.Addr()) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range exampleEvents() {
		a.Add(e)
	}
	r := a.Report()
	for _, s := range r.Sources {
		fmt.Printf("%s refused %d times\n", s.Source, s.Refused)
	}
	for _, s := range r.NewSources {
		fmt.Printf("new: %s since %s\n", s.Source, s.First.Format("15:04"))
	}
	// Output:
	// 203.0.113.9 refused 3 times
	// 2001:db8:bad::/64 refused 2 times
	// new: 203.0.113.9 since 10:01
	// new: 2001:db8:bad::/64 since 11:10
}

func ExampleNew_badWindow() {
	t := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	_, err := report.New(report.Options{From: t, To: t.Add(-time.Hour)})
	fmt.Println(err)
	// Output:
	// report: window end 2024-05-01T08:00:00Z is not after its start 2024-05-01T09:00:00Z
}

func ExampleReport_WriteText() {
	from := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	a, _ := report.New(report.Options{From: from, To: from.Add(3 * time.Hour)})
	for _, e := range exampleEvents() {
		a.Add(e)
	}
	// A client whose host name carries a terminal escape and a newline.
	a.Add(watch.Event{Time: from, Daemon: "in.fingerd", Verdict: watch.Refused, Name: "\x1b[2Jevil\nexample"})
	a.Report().WriteText(os.Stdout)
	// Output:
	// tcpdwatch report: 2024-05-01 09:00 to 2024-05-01 12:00 (UTC)
	// events: 7 (granted 1, refused 6)
	//
	// Services
	//   SERVICE     ATTEMPTS  GRANTED  REFUSED
	//   sshd               4        1        3
	//   in.ftpd            2        0        2
	//   in.fingerd         1        0        1
	//
	// Top refused sources
	//   SOURCE                NAME                  LAST SERVICE  LAST REFUSED      REFUSED
	//   203.0.113.9           -                     sshd          2024-05-01 10:03        3
	//   2001:db8:bad::/64     -                     in.ftpd       2024-05-01 11:11        2
	//   \x1b[2jevil\nexample  \x1b[2Jevil\nexample  in.fingerd    2024-05-01 09:00        1
	//
	// First-seen sources (3)
	//   SOURCE             NAME  FIRST SERVICE  FIRST SEEN        ATTEMPTS  GRANTED  REFUSED
	//   192.0.2.10         -     sshd           2024-05-01 09:05         1        1        0
	//   203.0.113.9        -     sshd           2024-05-01 10:01         3        0        3
	//   2001:db8:bad::/64  -     in.ftpd        2024-05-01 11:10         2        0        2
	//
	// Rules that decided most often
	//   RULE                DECISIONS  GRANTED  REFUSED
	//   /etc/hosts.deny:1           5        0        5
	//   /etc/hosts.allow:3          1        1        0
	//   (1 event named no rule)
	//
	// Timeline (per hour)
	//   FROM              GRANTED(=) REFUSED(#)                     GRANTED  REFUSED
	//   2024-05-01 09:00  =============#############                      1        1
	//   2024-05-01 10:00  ########################################        0        3
	//   2024-05-01 11:00  ###########################                     0        2
}

func ExampleReport_WriteJSON() {
	from := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	a, _ := report.New(report.Options{From: from, To: from.Add(time.Hour), Top: 1})
	a.Add(watch.Event{Time: from.Add(time.Minute), Daemon: "sshd", Verdict: watch.Refused,
		Addr: netip.MustParseAddr("203.0.113.9"), Name: "<b>bold</b>.example", Rule: "/etc/hosts.deny:1"})
	a.Report().WriteJSON(os.Stdout)
	// Output:
	// {
	//   "version": 1,
	//   "from": "2024-05-01T09:00:00Z",
	//   "to": "2024-05-01T10:00:00Z",
	//   "ipv6_prefix": 64,
	//   "events": 1,
	//   "granted": 0,
	//   "refused": 1,
	//   "outside_window": 0,
	//   "services": [
	//     {
	//       "service": "sshd",
	//       "attempts": 1,
	//       "granted": 0,
	//       "refused": 1
	//     }
	//   ],
	//   "other_services": null,
	//   "sources": [
	//     {
	//       "source": "203.0.113.9",
	//       "prefix": "203.0.113.9/32",
	//       "name": "\u003cb\u003ebold\u003c/b\u003e.example",
	//       "refused": 1,
	//       "overcount": 0,
	//       "last_service": "sshd",
	//       "first": "2024-05-01T09:01:00Z",
	//       "last": "2024-05-01T09:01:00Z"
	//     }
	//   ],
	//   "sources_exact": true,
	//   "new_sources": [
	//     {
	//       "source": "203.0.113.9",
	//       "prefix": "203.0.113.9/32",
	//       "name": "\u003cb\u003ebold\u003c/b\u003e.example",
	//       "first": "2024-05-01T09:01:00Z",
	//       "service": "sshd",
	//       "attempts": 1,
	//       "granted": 0,
	//       "refused": 1
	//     }
	//   ],
	//   "new_sources_total": 1,
	//   "new_source_events_untracked": 0,
	//   "rules": [
	//     {
	//       "rule": "/etc/hosts.deny:1",
	//       "attempts": 1,
	//       "granted": 0,
	//       "refused": 1
	//     }
	//   ],
	//   "other_rules": null,
	//   "no_rule": 0,
	//   "timeline": [
	//     {
	//       "start": "2024-05-01T09:00:00Z",
	//       "attempts": 1,
	//       "granted": 0,
	//       "refused": 1
	//     }
	//   ]
	// }
}

func ExampleReport_WriteHTML() {
	from := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	a, _ := report.New(report.Options{From: from, To: from.Add(3 * time.Hour)})
	for _, e := range exampleEvents() {
		a.Add(e)
	}
	// In a program: f, _ := os.Create("report.html"); a.Report().WriteHTML(f)
	if err := a.Report().WriteHTML(io.Discard); err != nil {
		fmt.Println(err)
	}
	// Output:
}
