package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/internal/ipopts"
	"tcpwrap/options"
)

// executor carries out a rule's options for real.
type executor struct {
	fd  int
	log func(audit.Priority, string)
}

// fdWriter writes straight to a descriptor (the banners option writes to
// the client's socket).
type fdWriter int

func (w fdWriter) Write(b []byte) (int, error) { return unix.Write(int(w), b) }

// credentials are what the user and group options ask the daemon to run
// as. Debian's tcpd only checks the names (a defect: its initgroups patch
// inverted the test); ours switches, before the daemon or a twist runs.
type credentials struct {
	set    bool
	uid    int
	gid    int
	groups []int
	name   string
}

func (c *credentials) apply() error {
	if !c.set {
		return nil
	}
	// The syscall package's calls change every thread of the process
	// (x/sys/unix's change only the calling one, and the Go runtime may
	// exec from another thread): the daemon must never start as root
	// because of a thread that kept its old credentials.
	if err := syscall.Setgroups(c.groups); err != nil {
		return fmt.Errorf("setgroups(%s): %s", c.name, access.Strerror(err))
	}
	if err := syscall.Setgid(c.gid); err != nil {
		return fmt.Errorf("setgid(%s): %s", c.name, access.Strerror(err))
	}
	if c.uid >= 0 {
		if err := syscall.Setuid(c.uid); err != nil {
			return fmt.Errorf("setuid(%s): %s", c.name, access.Strerror(err))
		}
	}
	return nil
}

// apply runs the options in order; it returns the credentials to take
// before the daemon runs and the twist command, if any.
func (x *executor) apply(actions []access.Action) (credentials, string) {
	var cred credentials
	cred.uid = -1
	for _, a := range actions {
		switch a.Kind {
		case options.Spawn:
			x.spawn(a.Value)
		case options.Twist:
			return cred, a.Value
		case options.Setenv:
			os.Setenv(a.Name, a.Value)
		case options.Umask:
			unix.Umask(a.Number)
		case options.Nice:
			// setpriority(PRIO_PROCESS, 0) changes the calling thread
			// only: stay on this one from here to the exec, so that the
			// daemon (or twist command) inherits what was set.
			runtime.LockOSThread()
			if err := unix.Setpriority(unix.PRIO_PROCESS, 0, currentNice()+a.Number); err != nil {
				x.log(audit.ErrorPriority, fmt.Sprintf("warning: nice(%d): %s", a.Number, access.Strerror(err)))
			}
		case options.Keepalive:
			if err := unix.SetsockoptInt(x.fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
				x.log(audit.ErrorPriority, "warning: setsockopt SO_KEEPALIVE: "+access.Strerror(err))
			}
		case options.Linger:
			l := &unix.Linger{Linger: int32(a.Number)}
			if a.Number != 0 {
				l.Onoff = 1
			}
			if err := unix.SetsockoptLinger(x.fd, unix.SOL_SOCKET, unix.SO_LINGER, l); err != nil {
				x.log(audit.ErrorPriority, fmt.Sprintf("warning: setsockopt SO_LINGER %d: %s", a.Number, access.Strerror(err)))
			}
		case options.Group:
			if gid, err := lookupGroup(a.Group); err == nil {
				cred.set, cred.gid, cred.groups, cred.name = true, gid, []int{}, a.Group
			}
		case options.User:
			if uid, gid, err := lookupUser(a.Name); err == nil {
				groups := groupsOf(a.Name, gid)
				if a.Group != "" {
					if g, err := lookupGroup(a.Group); err == nil {
						gid = g
					}
				}
				cred = credentials{set: true, uid: uid, gid: gid, groups: groups, name: a.Name}
			}
		}
	}
	return cred, ""
}

func currentNice() int {
	p, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return 0
	}
	return 20 - p // the raw syscall returns 20 - nice
}

// shell runs /bin/sh -c cmd.
func shell(cmd string) *exec.Cmd {
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Env = os.Environ()
	return c
}

// spawn runs a command with standard input, output and error on
// /dev/null and waits for it, as tcpd does; a command that should not be
// waited for puts itself in the background.
func (x *executor) spawn(cmd string) {
	c := shell(cmd)
	// The child ignores SIGHUP, as Debian's spawn does: an ignored signal
	// stays ignored across exec, so ignore it around the start.
	signal.Ignore(syscall.SIGHUP)
	err := c.Start()
	signal.Reset(syscall.SIGHUP)
	if err != nil {
		x.log(audit.ErrorPriority, "warning: cannot fork: "+access.Strerror(err))
		return
	}
	c.Wait()
}

// aclexec runs a command with the client's socket as its standard input,
// output and error and reports whether it exited 0.
func (x *executor) aclexec(cmd string) (bool, []string) {
	c := shell(cmd)
	// A duplicate of the socket: an *os.File closes its descriptor when
	// it is collected, and fd 0 must stay open for the daemon.
	dup, err := unix.Dup(x.fd)
	if err != nil {
		return true, []string{"aclexec_option: /bin/sh: " + access.Strerror(err)}
	}
	f := os.NewFile(uintptr(dup), "socket")
	defer f.Close()
	c.Stdin, c.Stdout, c.Stderr = f, f, f
	if err := c.Run(); err != nil {
		var warnings []string
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				warnings = append(warnings, fmt.Sprintf("process %d exited with signal %d", ee.Pid(), ws.Signal()))
			}
			return false, warnings
		}
		// /bin/sh could not run: Debian's child exits 0 then.
		return true, []string{"execl /bin/sh: " + access.Strerror(err)}
	}
	return true, nil
}

// twist replaces tcpd with /bin/sh -c cmd talking to the client.
func (x *executor) twist(cmd string, cred credentials) error {
	for _, fd := range []int{0, 1, 2} {
		if fd != x.fd {
			if err := unix.Dup2(x.fd, fd); err != nil {
				return fmt.Errorf("dup: %s", access.Strerror(err))
			}
		}
	}
	if err := cred.apply(); err != nil {
		return err
	}
	err := syscall.Exec("/bin/sh", []string{"sh", "-c", cmd}, os.Environ())
	return fmt.Errorf("/bin/sh: %s", access.Strerror(err))
}

// accounts checks the names of the user and group options as tcpd does.
type accounts struct{}

type accountError string

func (e accountError) Error() string { return string(e) }

func (accounts) User(name string) error {
	if _, _, err := lookupUser(name); err != nil {
		return accountError(`unknown user: "` + name + `"`)
	}
	return nil
}

func (accounts) Group(name string) error {
	if _, err := lookupGroup(name); err != nil {
		return accountError(`unknown group: "` + name + `"`)
	}
	return nil
}

// checkIPOptions refuses IPv4 source routing as tcpd does (package
// ipopts) on IPv4 stream connections.
func checkIPOptions(fd int, p peer, logf func(audit.Priority, string)) {
	if !p.serverOK || !p.server.Addr().Is4() || p.datagram {
		return
	}
	ipopts.Check(fd, p.client.Addr().String(), logf)
}
