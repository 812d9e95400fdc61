package logscan_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

func ExampleScan() {
	log := `Nov 27 05:48:56 gate in.fingerd[2817]: refused connect from alice@host.example (192.0.2.7)
Nov 27 05:48:57 gate sshd[99]: Invalid user refused connect from 198.51.100.66 (198.51.100.66)
Nov 27 05:48:58 gate inetd[2818]: refused connection from 192.0.2.8, service finger (tcp)
Nov 27 05:48:59 gate in.fingerd[2819]: refused connect from evil (198.51.100.66) (192.0.2.9)
`
	opts := logscan.Options{
		Parse:     parse.Config{Location: time.UTC},
		Reference: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		OnSkip: func(s logscan.Skip) {
			fmt.Printf("line %d: %s (%q)\n", s.Line, s.Status, s.Text[:34])
		},
	}
	st, err := logscan.Scan(strings.NewReader(log), opts, func(ev watch.Event) {
		fmt.Printf("%s %s %s addr=%v user=%q\n", ev.Time.Format(time.DateTime), ev.Daemon, ev.Verdict, ev.Addr, ev.User)
	})
	fmt.Printf("%d lines, %d events, %d ambiguous, err %v\n", st.Lines, st.Events, st.Ambiguous, err)
	// Output:
	// 2026-11-27 05:48:56 in.fingerd refused addr=192.0.2.7 user="alice"
	// 2026-11-27 05:48:58 finger refused addr=192.0.2.8 user=""
	// line 4: ambiguous ("Nov 27 05:48:59 gate in.fingerd[28")
	// 2026-11-27 05:48:59 in.fingerd refused addr=invalid IP user=""
	// 4 lines, 3 events, 1 ambiguous, err <nil>
}

func ExamplePosition() {
	var p logscan.Position
	err := p.UnmarshalText([]byte("2049 131075 8192 " + strings.Repeat("ab", 32)))
	fmt.Println(p.Dev, p.Ino, p.Offset, err)
	// Output: 2049 131075 8192 <nil>
}

// Follow a log file and keep the position in a state file, so that a
// restart goes on where this run stopped. (Save the position together
// with whatever the Events changed.)
func ExampleFollow() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	const state = "/var/lib/tcpdwatch/syslog.pos"
	var pos logscan.Position
	if b, err := os.ReadFile(state); err == nil {
		if err := pos.UnmarshalText(b); err != nil {
			log.Printf("%s: %v; reading the log from its start", state, err)
		}
	}
	opts := logscan.FollowOptions{
		Checkpoint: func(p logscan.Position) {
			b, _ := p.MarshalText()
			os.WriteFile(state+".new", b, 0o600)
			os.Rename(state+".new", state)
		},
		Notice: func(s string) { log.Print(s) },
	}
	st, err := logscan.Follow(ctx, "/var/log/syslog", pos, opts, func(ev watch.Event) {
		if ev.Verdict == watch.Refused && ev.Addr.IsValid() {
			fmt.Printf("%s refused %s\n", ev.Daemon, ev.Addr)
		}
	})
	log.Printf("%d lines, %d events: %v", st.Lines, st.Events, err)
}

// Receive what a syslog daemon forwards, on a loopback address only.
func ExampleReceiver() {
	r := &logscan.Receiver{
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Handler: func(ev watch.Event) {
			fmt.Printf("%s %s %s from %s\n", ev.Host, ev.Daemon, ev.Verdict, ev.Addr)
		},
	}
	err := r.ListenAndServe(context.Background(), "127.0.0.1:5514", "127.0.0.1:5514")
	log.Print(err)
}
