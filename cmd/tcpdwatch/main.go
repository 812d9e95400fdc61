// Command tcpdwatch reads the audit trail of tcpd and tcpwrapd (syslog
// files, JSON decision records, syslog messages received over UDP or
// TCP), reports on it, alerts people about incidents (mail, webhook,
// program) and bans repeat offenders through a deny list that
// hosts.deny includes. See man/tcpdwatch.8.
//
// Usage:
//
//	tcpdwatch [-c FILE] run
//	tcpdwatch [-c FILE] report [-from T] [-to T] [-last D] [-format text|json|html] [-o FILE] [-mail ACTION] [FILE...]
//	tcpdwatch [-c FILE] bans [list | lift ADDR|PREFIX]
//	tcpdwatch [-c FILE] check
//
// The configuration file (default /etc/tcpwrap/tcpdwatch.conf) has the
// sections [tcpdwatch], [input NAME] and [report], read here, and
// [alert], [rule NAME], [action NAME] and [ban], read by packages
// watch/alert and watch/ban. Any other section or key is an error
// reported with its file and line.
//
// Diagnostics go to standard error, one line each, starting with
// "tcpdwatch:"; strings that came from logs are quoted and escaped.
// Exit status: 0 done, 1 a failure while working (a file that cannot be
// read or written, nothing to lift), 2 a bad command line or an invalid
// configuration.
//
// What tcpdwatch deliberately does not do: ban by host name (names in
// logs are the attacker's to choose), run anything through a shell, or
// count lines of programs it was not told about (daemons = ...).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	e := &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		signals: func() (<-chan os.Signal, func()) {
			c := make(chan os.Signal, 4)
			signal.Notify(c, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
			return c, func() { signal.Stop(c) }
		},
	}
	os.Exit(run(os.Args, e))
}
