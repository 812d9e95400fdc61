package main

import (
	"fmt"
	"strings"
)

// A configuration with one file to follow, one rule that bans, and the
// deny list; the mistakes of a broken one, each with its line.
func ExampleParseConfig() {
	cfg, err := ParseConfig([]byte(`[tcpdwatch]
state-dir = /var/lib/tcpwrap
daemons = in.fingerd in.ftpd

[input syslog]
file = /var/log/syslog

[rule repeat]
kind = threshold
count = 5
within = 1m
actions = ban

[ban]
file = /var/lib/tcpwrap/banned
`), "tcpdwatch.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	in := cfg.Inputs[0]
	fmt.Println(in.Name, in.File, in.Parse.Daemons, "start at end:", in.StartAtEnd)
	fmt.Println(cfg.Alert.Rules[0].Name, cfg.Alert.Rules[0].Kind, cfg.Alert.Rules[0].Count, cfg.Alert.Rules[0].Window)
	fmt.Println("bans in", cfg.Ban.File)

	_, err = ParseConfig([]byte("[input syslog]\nfile = /var/log/syslog\nfollow = yes\n[rule r]\nkind = trap\nservices = in.telnetd\nactions = page\n"), "broken.conf")
	fmt.Println(strings.ReplaceAll(err.Error(), "; daemons", ";\n  daemons"))
	// Output:
	// syslog /var/log/syslog [in.fingerd in.ftpd] start at end: true
	// repeat threshold 5 1m0s
	// bans in /var/lib/tcpwrap/banned
	// broken.conf:1: input syslog: no daemons listed: name the programs tcpd logs for (daemons = in.fingerd sshd) here or in [tcpdwatch];
	//   daemons = * counts any program, which anyone who can log can forge
	// broken.conf:3: unknown key "follow" in [input]
	// broken.conf:4: rule r: no [action page]
}
