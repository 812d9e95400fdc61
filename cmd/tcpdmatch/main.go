// Command tcpdmatch predicts how the access-control tables would treat a
// request for a service from a client, with the command line and output of
// Debian's tcpdmatch(8). See man/tcpdmatch.8.
package main

import (
	"os"

	"golang.org/x/sys/unix"

	"tcpwrap/internal/dryrun"
	"tcpwrap/resolve"
)

func main() {
	_, posix := os.LookupEnv("POSIXLY_CORRECT")
	env := &env{
		names:          &resolve.Resolver{},
		terminal:       isTerminal(1),
		accounts:       dryrun.New(),
		ifaces:         netInterfaces{},
		posixlyCorrect: posix,
	}
	os.Exit(run(os.Args, os.Stdout, os.Stderr, env))
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}
