package superserver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
)

// procSpec is a process to start for a session: the service's program,
// a twist, spawn or aclexec shell.
type procSpec struct {
	path string
	argv []string
	env  []string
	// stdio is the descriptor that becomes the process's 0, 1 and 2;
	// -1 means /dev/null.
	stdio int
	cred  credentials
	// umask is the mode mask to set, or -1 to inherit the super-server's.
	umask int
	// nice is added to the super-server's nice value.
	nice      int
	rlimits   []Rlimit
	ignoreHUP bool
}

// needsHelper reports whether the process needs settings that the
// kernel's fork/exec path of Go cannot make (umask, nice, resource
// limits, an ignored SIGHUP): those are made by the exec helper, a second
// copy of the program that applies them to itself and executes the
// service, so that the super-server never changes its own.
func (p *procSpec) needsHelper() bool {
	return p.umask >= 0 || p.nice != 0 || len(p.rlimits) > 0 || p.ignoreHUP
}

// process is a started child.
type process struct {
	pid   int
	pidfd int // -1 when the kernel gave none
}

// ExitStatus is how a process ended.
type ExitStatus struct {
	// Exited is true when the process called exit; Code is then its
	// status. Otherwise Signal killed it.
	Exited bool
	Code   int
	Signal syscall.Signal
}

func (e ExitStatus) String() string {
	if e.Exited {
		return "exit " + strconv.Itoa(e.Code)
	}
	return "signal " + strconv.Itoa(int(e.Signal))
}

// helperName is argv[0] of the exec helper; Helper recognises it.
const helperName = "tcpwrapd-exec"

// startProcess starts p. Errors from exec (a missing program, a failed
// credential switch in the helper) are returned, as tcpd logs them.
// Warnings (a nice value the kernel refused) go to warn.
func (s *Server) startProcess(p *procSpec, warn func(string)) (*process, error) {
	stdio := p.stdio
	if stdio < 0 {
		stdio = s.devnull
	}
	pidfd := -1
	attr := &syscall.ProcAttr{
		Dir:   "/",
		Env:   p.env,
		Files: []uintptr{uintptr(stdio), uintptr(stdio), uintptr(stdio)},
		Sys:   &syscall.SysProcAttr{Setsid: true, PidFD: &pidfd},
	}
	if !p.needsHelper() {
		if p.cred.Set {
			attr.Sys.Credential = credential(p.cred)
		}
		pid, _, err := syscall.StartProcess(p.path, p.argv, attr)
		if err != nil {
			return nil, &ExecError{Path: p.path, Err: access.Strerror(err)}
		}
		return &process{pid: pid, pidfd: pidfd}, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	attr.Files = append(attr.Files, w.Fd())
	pid, _, err := syscall.StartProcess(s.helper, helperArgs(p), attr)
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("exec helper %s: %w", s.helper, err)
	}
	pr := &process{pid: pid, pidfd: pidfd}
	// The helper reports each step's failure on its descriptor 3, which
	// closes when it executes the program.
	report, _ := io.ReadAll(io.LimitReader(r, 64<<10))
	var fatal error
	for _, line := range strings.Split(string(report), "\n") {
		switch {
		case strings.HasPrefix(line, "w"):
			if warn != nil {
				warn(line[1:])
			}
		case strings.HasPrefix(line, "e"):
			fatal = helperError(line[1:])
		case strings.HasPrefix(line, "x"):
			fatal = &ExecError{Path: p.path, Err: line[1:]}
		}
	}
	if fatal != nil {
		pr.wait()
		return nil, fatal
	}
	return pr, nil
}

// helperError is a setting the exec helper could not make, in tcpd's
// words ("setgroups(nobody): Operation not permitted").
type helperError string

func (e helperError) Error() string { return string(e) }

// ExecError is a program that could not be executed.
type ExecError struct {
	Path string
	Err  string // the error as strerror(3) words it
}

func (e *ExecError) Error() string { return "cannot execute " + e.Path + ": " + e.Err }

func credential(c credentials) *syscall.Credential {
	groups := make([]uint32, len(c.Groups))
	for i, g := range c.Groups {
		groups[i] = uint32(g)
	}
	return &syscall.Credential{Uid: uint32(c.UID), Gid: uint32(c.GID), Groups: groups}
}

// helperArgs encodes p for the exec helper.
func helperArgs(p *procSpec) []string {
	args := []string{helperName}
	for _, r := range p.rlimits {
		args = append(args, fmt.Sprintf("rlimit=%d:%d:%d", r.Resource, r.Soft, r.Hard))
	}
	if p.umask >= 0 {
		args = append(args, "umask="+strconv.Itoa(p.umask))
	}
	if p.nice != 0 {
		args = append(args, "nice="+strconv.Itoa(p.nice))
	}
	if p.ignoreHUP {
		args = append(args, "nohup")
	}
	if p.cred.Set {
		gs := make([]string, len(p.cred.Groups))
		for i, g := range p.cred.Groups {
			gs[i] = strconv.Itoa(g)
		}
		args = append(args, fmt.Sprintf("cred=%d:%d:%s:%s", p.cred.UID, p.cred.GID, strings.Join(gs, ","), p.cred.Name))
	}
	args = append(args, "--", p.path)
	return append(args, p.argv...)
}

// siginfoChild is the kernel's siginfo_t as waitid(2) fills it for a
// child: the header, then si_pid, si_uid and si_status.
type siginfoChild struct {
	Signo, Errno, Code, _ int32
	Pid                   int32
	UID                   uint32
	Status                int32
	_                     [100]byte
}

// The si_code values of a child's siginfo.
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3
)

func init() {
	if unsafe.Sizeof(siginfoChild{}) != unsafe.Sizeof(unix.Siginfo{}) {
		panic("superserver: siginfo layout")
	}
}

// wait waits for the process to end and reaps it; it closes the pidfd.
// With a pidfd it parks
// the goroutine in the network poller (a pidfd becomes readable when the
// process ends), so that thousands of running services do not hold
// thousands of threads; without one it blocks a thread in wait4.
func (pr *process) wait() ExitStatus {
	if pr.pidfd >= 0 {
		if st, ok := pr.waitPidfd(); ok {
			return st
		}
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pr.pid, &ws, 0, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			return ExitStatus{Exited: true, Code: -1}
		}
	}
	if ws.Signaled() {
		return ExitStatus{Signal: ws.Signal()}
	}
	return ExitStatus{Exited: true, Code: ws.ExitStatus()}
}

func (pr *process) waitPidfd() (ExitStatus, bool) {
	if err := unix.SetNonblock(pr.pidfd, true); err != nil {
		syscall.Close(pr.pidfd)
		pr.pidfd = -1
		return ExitStatus{}, false
	}
	f := os.NewFile(uintptr(pr.pidfd), "pidfd")
	pr.pidfd = -1
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return ExitStatus{}, false
	}
	var (
		info siginfoChild
		werr error
		done bool
	)
	err = rc.Read(func(fd uintptr) bool {
		for {
			info = siginfoChild{}
			werr = unix.Waitid(unix.P_PIDFD, int(fd), (*unix.Siginfo)(unsafe.Pointer(&info)), unix.WEXITED|unix.WNOHANG, nil)
			if werr != unix.EINTR {
				break
			}
		}
		if werr != nil {
			return true
		}
		done = info.Pid != 0
		return done
	})
	if err != nil || werr != nil || !done {
		// Not pollable here: wait4 does it.
		return ExitStatus{}, false
	}
	switch info.Code {
	case cldKilled, cldDumped:
		return ExitStatus{Signal: syscall.Signal(info.Status)}, true
	}
	return ExitStatus{Exited: true, Code: int(info.Status)}, true
}
