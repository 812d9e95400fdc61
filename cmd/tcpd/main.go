// Command tcpd is the access-control wrapper that inetd (or a systemd
// socket unit with Accept=yes) runs in front of a daemon: it finds out who
// the client on standard input is, decides with /etc/hosts.allow and
// /etc/hosts.deny, logs, carries out the rule's options and runs the real
// daemon. It is a drop-in replacement for Debian's /usr/sbin/tcpd; see
// man/tcpd.8 and docs/compat.md for the deliberate differences.
//
// tcpd starts once per connection, so its start-up is kept small: no
// cgroup probing for GOMAXPROCS (and no goroutine re-checking it), and a
// single P, since tcpd never does two things at once; every extra P can
// cost a thread.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"os"
	"runtime"
)

func main() {
	runtime.GOMAXPROCS(1)
	os.Exit(run(os.Args, newEnv()))
}
