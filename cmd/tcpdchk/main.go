// Command tcpdchk examines the access-control tables (hosts.allow and
// hosts.deny) and the inetd configuration for problems, with the command
// line, output and diagnostics of Debian's tcpdchk(8), plus a lint mode
// (-l) and a no-lookup mode (-n). See man/tcpdchk.8.
//
// Diagnostics that Debian's tcpdchk sends to syslog are written to
// standard error, one per line, in the same order and with the same text.
// The tables are read with the shared parser of package access, so the
// checker reports exactly the rules the matcher sees.
package main

import (
	"os"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/dryrun"
	"tcpwrap/internal/inetcf"
	"tcpwrap/resolve"
)

func main() {
	env := &env{
		names:       &resolve.Resolver{},
		files:       hostsfile.OS{},
		inetFS:      inetcf.OS{},
		terminal:    isTerminal(1),
		newAccounts: func() access.Accounts { return dryrun.New() },
		pid:         os.Getpid(),
	}
	os.Exit(run(os.Args, os.Stdout, os.Stderr, env))
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}
