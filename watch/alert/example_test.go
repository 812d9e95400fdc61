package alert_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/alert"
)

// Five refusals from one /64 within a minute open one incident, which
// one alert reports; when the source has been quiet for the quiet
// period, a summary says what followed.
func Example() {
	clock := newClock() // a clock the example moves by hand
	show := alert.ActionFunc(func(_ context.Context, n alert.Notice) error {
		fmt.Println(n.Subject())
		return nil
	})
	e, err := alert.New(alert.Config{
		Quiet: 5 * time.Minute,
		Rules: []alert.Rule{{
			Name: "ssh-guessing", Kind: alert.Threshold, Count: 5, Window: time.Minute,
			Services: []string{"sshd"}, Actions: []string{"show"},
		}},
	}, alert.Options{Clock: clock, Actions: map[string]alert.Action{"show": show}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 8 {
		e.Observe(watch.Event{
			Time:    clock.Now(),
			Daemon:  "sshd",
			Verdict: watch.Refused,
			Addr:    netip.MustParseAddr(fmt.Sprintf("2001:db8:0:7::%x", i+1)),
		})
		clock.Advance(5 * time.Second)
	}
	clock.Advance(10 * time.Minute)
	e.Tick()
	e.Close()
	// Output:
	// ALERT ssh-guessing: 5 refusals from 2001:db8:0:7::/64
	// summary ssh-guessing: 2001:db8:0:7::/64, 3 more after the alert (quiet)
}

// A program action: argv without a shell, notice fields as sanitised
// placeholders and TCPDWATCH_* variables.
func ExampleConfig_program() {
	cfg, err := alert.ParseConfig([]byte(`
[rule telnet-trap]
kind = trap
services = in.telnetd
actions = page

[action page]
kind = program
argv = /usr/local/bin/page --rule {rule} --from {source}
timeout = 20s
`), "tcpdwatch.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", cfg.Actions[0].Program.Argv)
	// Output:
	// ["/usr/local/bin/page" "--rule" "{rule}" "--from" "{source}"]
}

// Clean makes a name from a log safe for a line of text.
func ExampleClean() {
	fmt.Println(alert.Clean("evil.example\r\nBcc: victim@example.org\x1b[2J"))
	// Output:
	// evil.example\r\nBcc: victim@example.org\x1b[2J
}

func ExampleHeaderValue() {
	fmt.Printf("%q\n", alert.HeaderValue("report\r\nBcc: victim@example.org"))
	// Output: "report  Bcc: victim@example.org"
}
