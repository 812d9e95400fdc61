// Command tcpwrapd is an inetd with TCP Wrappers built in: it reads the
// inetd.conf openbsd-inetd reads, checks every connection against
// /etc/hosts.allow and /etc/hosts.deny (exactly as tcpd would) and
// against limits that throttle the offender rather than the service,
// before it forks anything, and reloads without dropping connections.
// See man/tcpwrapd.8.
//
//	tcpwrapd [-d] [-i] [-l] [-q backlog] [-R rate] [--option[=value]...] [config]
package main

import (
	"os"

	_ "tcpwrap/audit/remote/tlsclient" // ships to "remote tls" log hosts itself
	"tcpwrap/superserver"
)

func main() {
	// A copy of tcpwrapd started to set up a service's process.
	superserver.Helper()
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
