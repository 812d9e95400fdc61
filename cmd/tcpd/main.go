// Command tcpd is the access-control wrapper that inetd (or a systemd
// socket unit with Accept=yes) runs in front of a daemon: it finds out who
// the client on standard input is, decides with /etc/hosts.allow and
// /etc/hosts.deny, logs, carries out the rule's options and runs the real
// daemon. It is a drop-in replacement for Debian's /usr/sbin/tcpd; see
// man/tcpd.8 and docs/compat.md for the deliberate differences.
//
// tcpd starts once per connection, so its start-up is kept small: the
// cgroup CPU limit does not set GOMAXPROCS and no goroutine re-checks it
// (the runtime of Go 1.26 still reads the cgroup files once at start).
// (Calling runtime.GOMAXPROCS(1) at the start of main was measured to
// cost more than it saved: 20 more page faults per start.)
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import "os"

func main() {
	// main is not locked to its thread up front: runtime.LockOSThread
	// starts the runtime's template thread and makes every preemption a
	// hand-off, a measured 3% of tcpd's start-up. The nice option locks
	// it, as it must (see executor.apply); credentials are changed for
	// all threads at once (syscall.Setuid and friends).
	os.Exit(run(os.Args, newEnv()))
}
