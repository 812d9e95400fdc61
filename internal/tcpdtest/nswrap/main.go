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
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 8 {
		fail("usage: nswrap OLDDEV LOGSOCK ALLOW DENY HOSTS PROGRAM ARGV0 [ARG...]")
	}
	oldDev, logSock, allow, deny, hosts, prog := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6]
	argv := os.Args[7:]
	must(unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""), "make / private")
	must(unix.Mount("/dev", oldDev, "", unix.MS_BIND, ""), "bind /dev")
	must(unix.Mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID, "mode=0755,size=1m"), "tmpfs /dev")
	for _, name := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		src := filepath.Join(oldDev, name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		dst := filepath.Join("/dev", name)
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o666)
		must(err, "create "+dst)
		f.Close()
		must(unix.Mount(src, dst, "", unix.MS_BIND, ""), "bind "+dst)
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
		"log": logSock,
	} {
		must(os.Symlink(target, filepath.Join("/dev", name)), "symlink /dev/"+name)
	}
	must(unix.Unmount(oldDev, unix.MNT_DETACH), "unmount "+oldDev)
	must(unix.Mount(allow, "/etc/hosts.allow", "", unix.MS_BIND, ""), "bind /etc/hosts.allow")
	must(unix.Mount(deny, "/etc/hosts.deny", "", unix.MS_BIND, ""), "bind /etc/hosts.deny")
	if hosts != "-" {
		must(unix.Mount(hosts, "/etc/hosts", "", unix.MS_BIND, ""), "bind /etc/hosts")
		for _, d := range []string{"/run/nscd", "/var/run/nscd"} {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				must(unix.Mount("tmpfs", d, "tmpfs", 0, "mode=0755,size=64k"), "hide "+d)
			}
		}
	}
	err := syscall.Exec(prog, argv, os.Environ())
	fail(fmt.Sprintf("exec %s: %v", prog, err))
}

func must(err error, what string) {
	if err != nil {
		fail(what + ": " + err.Error())
	}
}

// fail reports on fd 2, which is the client's socket: the harness sees
// the text in what the client received.
func fail(msg string) {
	fmt.Fprintln(os.Stderr, "nswrap: "+msg)
	os.Exit(111)
}
