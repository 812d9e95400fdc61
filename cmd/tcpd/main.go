// Command tcpd is the access-control wrapper that inetd (or a systemd
// socket unit with Accept=yes) runs in front of a daemon: it finds out who
// the client on standard input is, decides with /etc/hosts.allow and
// /etc/hosts.deny, logs, carries out the rule's options and runs the real
// daemon. It is a drop-in replacement for Debian's /usr/sbin/tcpd; see
// man/tcpd.8 and docs/compat.md for the deliberate differences.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args, newEnv()))
}
