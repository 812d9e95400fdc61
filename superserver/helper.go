package superserver

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
)

// Helper runs the exec helper and never returns when the program was
// started as one; otherwise it returns at once, having done nothing.
//
// A program that serves with a Server must call Helper first thing in
// main (and a test binary in TestMain): a session whose process needs a
// umask, a nice value, resource limits or an ignored SIGHUP is started as
// a second copy of the program (through /proc/self/exe, or
// Config.HelperPath) that sets them on itself, switches credentials and
// executes the service. The super-server itself never changes its own
// umask, priority, limits or identity.
func Helper() {
	if len(os.Args) < 2 || os.Args[0] != helperName {
		return
	}
	os.Exit(runHelper(os.Args[1:]))
}

// runHelper applies the settings in args and executes the program after
// "--". It reports on descriptor 3: "w..." lines for warnings, one
// "e..." line for a setting that failed, or one "x..." line (the error's
// text) when the program could not be executed; it exits 127 then.
func runHelper(args []string) int {
	// setpriority(2) and the raw credential calls act on the calling
	// thread only: every step and the exec must happen on one thread.
	runtime.LockOSThread()
	report := func(kind byte, text string) {
		unix.Write(3, []byte(string(kind)+strings.ReplaceAll(text, "\n", " ")+"\n"))
	}
	fail := func(text string) int {
		report('e', text)
		return 127
	}
	i := 0
	for ; i < len(args) && args[i] != "--"; i++ {
	}
	if i+2 > len(args) {
		return fail("exec helper: no program")
	}
	settings, path, argv := args[:i], args[i+1], args[i+2:]
	var cred *credentials
	for _, a := range settings {
		key, val, _ := strings.Cut(a, "=")
		switch key {
		case "rlimit":
			f := strings.Split(val, ":")
			if len(f) != 3 {
				return fail("exec helper: bad " + a)
			}
			res, err1 := strconv.Atoi(f[0])
			soft, err2 := strconv.ParseUint(f[1], 10, 64)
			hard, err3 := strconv.ParseUint(f[2], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil {
				return fail("exec helper: bad " + a)
			}
			// syscall's Setrlimit, so that Exec does not put back the
			// descriptor limit Go raised for itself at start.
			if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: soft, Max: hard}); err != nil {
				return fail(fmt.Sprintf("setrlimit %s: %s", rlimitName(res), access.Strerror(err)))
			}
		case "umask":
			m, err := strconv.Atoi(val)
			if err != nil {
				return fail("exec helper: bad " + a)
			}
			unix.Umask(m)
		case "nice":
			n, err := strconv.Atoi(val)
			if err != nil {
				return fail("exec helper: bad " + a)
			}
			// The raw getpriority returns 20 - nice.
			cur := 0
			if p, err := unix.Getpriority(unix.PRIO_PROCESS, 0); err == nil {
				cur = 20 - p
			}
			if err := unix.Setpriority(unix.PRIO_PROCESS, 0, cur+n); err != nil {
				report('w', fmt.Sprintf("warning: nice(%d): %s", n, access.Strerror(err)))
			}
		case "nohup":
			// An ignored signal stays ignored across exec, as it does
			// for the commands Debian's tcpd spawns.
			signal.Ignore(syscall.SIGHUP)
		case "cred":
			f := strings.SplitN(val, ":", 4)
			if len(f) != 4 {
				return fail("exec helper: bad " + a)
			}
			c := &credentials{Set: true, Name: f[3]}
			var err1, err2 error
			c.UID, err1 = strconv.Atoi(f[0])
			c.GID, err2 = strconv.Atoi(f[1])
			if err1 != nil || err2 != nil {
				return fail("exec helper: bad " + a)
			}
			for _, g := range strings.Split(f[2], ",") {
				if g == "" {
					continue
				}
				n, err := strconv.Atoi(g)
				if err != nil {
					return fail("exec helper: bad " + a)
				}
				c.Groups = append(c.Groups, n)
			}
			cred = c
		default:
			return fail("exec helper: bad " + a)
		}
	}
	if cred != nil {
		// In tcpd's order and words. The syscall package's versions
		// change every thread of the process, not only this one.
		if err := syscall.Setgroups(cred.Groups); err != nil {
			return fail(fmt.Sprintf("setgroups(%s): %s", cred.Name, access.Strerror(err)))
		}
		if err := syscall.Setgid(cred.GID); err != nil {
			return fail(fmt.Sprintf("setgid(%s): %s", cred.Name, access.Strerror(err)))
		}
		if cred.UID >= 0 {
			if err := syscall.Setuid(cred.UID); err != nil {
				return fail(fmt.Sprintf("setuid(%s): %s", cred.Name, access.Strerror(err)))
			}
		}
	}
	unix.CloseOnExec(3)
	err := syscall.Exec(path, argv, os.Environ())
	report('x', access.Strerror(err))
	return 127
}
