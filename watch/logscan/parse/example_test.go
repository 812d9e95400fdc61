package parse_test

import (
	"fmt"
	"time"

	"tcpwrap/watch/logscan/parse"
)

func Example() {
	p := parse.New(parse.Config{Location: time.UTC})
	p.SetReference(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	for _, line := range []string{
		"Dec 31 23:59:59 gate in.fingerd[2817]: refused connect from alice@host.example (192.0.2.7)",
		"Dec 31 23:59:59 gate sshd[99]: Invalid user refused connect from 198.51.100.66 (198.51.100.66)",
		"Dec 31 23:59:59 gate in.fingerd[2818]: refused connect from evil (198.51.100.66) (192.0.2.8)",
	} {
		ev, st := p.Line([]byte(line))
		fmt.Printf("%s: %s %s %s addr=%v name=%q user=%q\n", st, ev.Time.Format(time.DateTime), ev.Daemon, ev.Verdict, ev.Addr, ev.Name, ev.User)
	}
	// Output:
	// ok: 2026-12-31 23:59:59 in.fingerd refused addr=192.0.2.7 name="host.example" user="alice"
	// not ours: 0001-01-01 00:00:00  unknown addr=invalid IP name="" user=""
	// ambiguous: 2026-12-31 23:59:59 in.fingerd refused addr=invalid IP name="evil (198.51.100.66)" user=""
}
