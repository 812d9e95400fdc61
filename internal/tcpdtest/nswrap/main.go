// Command nswrap is the in-namespace half of package tcpdtest, for
// programs (Debian's tcpd) that read /etc/hosts.allow and /etc/hosts.deny
// and log to /dev/log. tcpdtest starts it in a new, private mount
// namespace (CLONE_NEWNS) as
//
//	nswrap OLDDEV LOGSOCK ALLOW DENY HOSTS PROGRAM ARGV0 [ARG...]
//
// It covers /dev with a tmpfs (binding null, zero, full, random, urandom
// and tty back from the original, reached through OLDDEV, an empty
// directory), makes /dev/log a symbolic link to LOGSOCK, bind-mounts
// ALLOW and DENY over /etc/hosts.allow and /etc/hosts.deny (and HOSTS
// over /etc/hosts unless it is "-"), then executes PROGRAM with argv
// ARGV0 ARG... and its own descriptors and environment. Nothing outside
// the namespace changes.
package main

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"tcpwrap/internal/nsmount"
)

func main() {
	if len(os.Args) < 8 {
		fail("usage: nswrap OLDDEV LOGSOCK ALLOW DENY HOSTS PROGRAM ARGV0 [ARG...]")
	}
	oldDev, logSock, allow, deny, hosts, prog := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6]
	argv := os.Args[7:]
	must(nsmount.MakePrivate())
	must(nsmount.PrivateDev(oldDev, map[string]string{"log": logSock}))
	must(mountErr(unix.Mount(allow, "/etc/hosts.allow", "", unix.MS_BIND, ""), "bind /etc/hosts.allow"))
	must(mountErr(unix.Mount(deny, "/etc/hosts.deny", "", unix.MS_BIND, ""), "bind /etc/hosts.deny"))
	if hosts != "-" {
		must(nsmount.BindHosts(hosts))
	}
	err := syscall.Exec(prog, argv, os.Environ())
	fail(fmt.Sprintf("exec %s: %v", prog, err))
}

func must(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func mountErr(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// fail reports on fd 2, which is the client's socket: the harness sees
// the text in what the client received.
func fail(msg string) {
	fmt.Fprintln(os.Stderr, "nswrap: "+msg)
	os.Exit(111)
}
