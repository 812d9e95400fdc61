// Package tcpdtest plays inetd for one connection, so that a tcpd (ours
// or Debian's /usr/sbin/tcpd) can be run end to end in tests.
//
// Run listens on a loopback address, lets a client bound to
// Spec.ClientAddr connect (or send one datagram), and runs the wrapper
// with the accepted socket (for UDP: the unconnected server socket, as
// inetd does for a "wait" service) as its descriptors 0, 1 and 2. It
// collects what the client received until end of file (or, for UDP, one
// reply datagram), the wrapper's exit status and run time, and the syslog
// records the wrapper sent.
//
// Syslog: every run gets a private datagram socket that records what is
// sent to it. Debian's tcpd (Spec.Namespace, the default for
// /usr/sbin/tcpd) runs in a private mount namespace (through the nswrap
// helper) with /dev/log pointing at that socket and the tables
// bind-mounted over /etc/hosts.allow and /etc/hosts.deny; ours gets
// TCPWRAP_SYSLOG_SOCKET, TCPWRAP_HOSTS_ALLOW and TCPWRAP_HOSTS_DENY, and
// a logging.conf with "json off". With Spec.Rsyslog the records go to
// that rsyslogd instead and come back in Result.Rsyslog (such runs must
// not overlap: a sentinel message delimits each run's lines).
//
// The real daemon of the tests is FakeDaemon (built from ./fakedaemon),
// which reports its argv, credentials, umask, nice value, socket options
// and $FOO to the client.
package tcpdtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/internal/oracle"
	"tcpwrap/internal/rsyslogtest"
)

// DebianTcpd is Debian's tcpd.
const DebianTcpd = "/usr/sbin/tcpd"

// Networks of Spec.Network.
const (
	TCP  = "tcp"  // IPv4 listener on 127.0.0.1
	TCP6 = "tcp6" // IPv6 listener on ::1
	Dual = "dual" // IPv6 listener (IPV6_V6ONLY off) on ::ffff:127.0.0.1, IPv4 client
	UDP  = "udp"  // unconnected UDP socket on 127.0.0.1 ("wait" service)
	None = "none" // descriptors 0, 1, 2 on /dev/null: no socket at all
)

// Spec describes one run.
type Spec struct {
	Program string   // the wrapper: our tcpd binary or DebianTcpd
	Argv0   string   // its argv[0]; default FakeDaemon's path
	Args    []string // further arguments
	// Table contents; written to files for the run.
	Allow, Deny string
	// Hosts, if not "", is bind-mounted over /etc/hosts (namespace runs
	// only; ours is then run in the namespace too).
	Hosts string
	// ClientAddr is the address the client binds: "127.0.0.1" (default
	// for IPv4), "127.0.0.2", ... or "::1" (default for tcp6).
	ClientAddr string
	Network    string // TCP (default), TCP6, Dual, UDP, None
	// ServerPort is the listening port; 0 picks a free one.
	ServerPort int
	Send       []byte   // written by the client after connecting (UDP: the datagram)
	Env        []string // added to the wrapper's environment
	// Namespace runs the wrapper in a private mount namespace with the
	// tables over /etc/hosts.allow|deny and /dev/log captured; it is
	// implied for DebianTcpd and when Hosts is set.
	Namespace bool
	// Rsyslog, if not nil, receives the syslog records instead of the
	// private socket (see the package documentation).
	Rsyslog *rsyslogtest.Server
	// Timeout bounds the run (default 20 s); the wrapper's process group
	// is killed then. UDPReplyTimeout bounds the wait for a reply
	// datagram (default 2 s).
	Timeout, UDPReplyTimeout time.Duration
	// Dir, if not "", is used for the run's files instead of t.TempDir().
	Dir string
}

// Result is what one run produced.
type Result struct {
	Received      []byte // what the client received (UDP: the reply datagram)
	ClientTimeout bool   // no EOF (UDP: no reply) before the deadline
	Exit          int    // exit status; 128+signal when killed
	Elapsed       time.Duration
	PID           int // the wrapper's process id (for Namespace runs: nswrap's, which execs the wrapper)
	ClientPort    int
	ServerPort    int
	// DatagramLeft (UDP) tells whether a datagram was still queued on
	// the service socket after the wrapper exited.
	DatagramLeft bool
	Log          []oracle.Record    // records from the private socket
	Rsyslog      []rsyslogtest.Line // records stored by Spec.Rsyslog
	Dir          string             // the run's directory
}

// LogStrings renders Log as tricky-cases.md shows records:
// "[daemon.info] in.fake[PID]: connect from ...".
func (r *Result) LogStrings() []string {
	var s []string
	for _, rec := range r.Log {
		s = append(s, rec.String())
	}
	return s
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// build compiles the helpers (and our tcpd) once per test binary into a
// world-readable directory (a daemon run as nobody must be able to
// execute them).
func build() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tcpdtest-bin-")
		if err != nil {
			buildErr = err
			return
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		for pkg, out := range map[string]string{
			"tcpwrap/internal/tcpdtest/fakedaemon": "in.fake",
			"tcpwrap/internal/tcpdtest/nswrap":     "nswrap",
			"tcpwrap/cmd/tcpd":                     "tcpd",
		} {
			// As scripts/build builds them: static, without cgo.
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, out), pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
		buildDir = dir
	})
	return buildDir, buildErr
}

func mustBuild(t testing.TB) string {
	t.Helper()
	dir, err := build()
	if err != nil {
		t.Fatalf("tcpdtest: %v", err)
	}
	return dir
}

// Cleanup removes the built helpers; call it from TestMain after m.Run.
func Cleanup() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// BinDir is the (world-readable) directory of the built helpers: in.fake,
// nswrap and tcpd.
func BinDir(t testing.TB) string { return mustBuild(t) }

// FakeDaemon is the path of the fake daemon, named in.fake.
func FakeDaemon(t testing.TB) string { return filepath.Join(mustBuild(t), "in.fake") }

// Ours is the path of our tcpd, built from tcpwrap/cmd/tcpd.
func Ours(t testing.TB) string { return filepath.Join(mustBuild(t), "tcpd") }

// NamespaceAvailable reports whether runs in a private mount namespace
// are possible here (root on Linux).
func NamespaceAvailable() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "needs root for a private mount namespace"
	}
	for _, p := range []string{"/etc/hosts.allow", "/etc/hosts.deny"} {
		if _, err := os.Stat(p); err != nil {
			return false, p + " is missing (bind-mount target)"
		}
	}
	return true, ""
}

// DebianAvailable reports whether Debian's tcpd can be run here.
func DebianAvailable() (bool, string) {
	if _, err := os.Stat(DebianTcpd); err != nil {
		return false, DebianTcpd + " is not installed (package tcpd)"
	}
	return NamespaceAvailable()
}

// BaseEnv is the environment every wrapper starts with, before Spec.Env.
var BaseEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C", "TZ=UTC"}

// Run runs one connection through the wrapper. Failures of the harness
// itself fail the test.
func Run(t testing.TB, s Spec) Result {
	t.Helper()
	bin := mustBuild(t)
	if s.Program == "" {
		t.Fatal("tcpdtest: no Program")
	}
	if s.Argv0 == "" {
		s.Argv0 = filepath.Join(bin, "in.fake")
	}
	if s.Network == "" {
		s.Network = TCP
	}
	if s.ClientAddr == "" {
		s.ClientAddr = "127.0.0.1"
		if s.Network == TCP6 {
			s.ClientAddr = "::1"
		}
	}
	if s.Timeout == 0 {
		s.Timeout = 20 * time.Second
	}
	if s.UDPReplyTimeout == 0 {
		s.UDPReplyTimeout = 2 * time.Second
	}
	ns := s.Namespace || s.Program == DebianTcpd || s.Hosts != ""
	if ns {
		if ok, why := NamespaceAvailable(); !ok {
			t.Skip(why)
		}
	}
	dir := s.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	res := Result{Dir: dir}
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	allow, deny := write("hosts.allow", s.Allow), write("hosts.deny", s.Deny)
	logconf := write("logging.conf", "json off\n")

	// The syslog socket.
	var capture *net.UnixConn
	logSock := ""
	if s.Rsyslog != nil {
		logSock = s.Rsyslog.UnixSocket()
	} else {
		// Short path: sun_path holds 108 bytes.
		sockDir, err := os.MkdirTemp("", "tcpdtest-log-")
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(sockDir, 0o755)
		defer os.RemoveAll(sockDir)
		logSock = filepath.Join(sockDir, "log")
		capture, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: logSock, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		defer capture.Close()
		os.Chmod(logSock, 0o666)
	}
	var rsBefore int
	if s.Rsyslog != nil {
		rsBefore = len(s.Rsyslog.Lines())
	}

	// The service socket and the client.
	srv, client, err := connect(&s)
	if err != nil {
		t.Fatalf("tcpdtest: %v", err)
	}
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	if sa, err := unix.Getsockname(srv); err == nil {
		res.ServerPort = sockPort(sa)
	}
	if client != nil {
		if ap, err := netip.ParseAddrPort(client.LocalAddr().String()); err == nil {
			res.ClientPort = int(ap.Port())
		}
	}
	srvFile := os.NewFile(uintptr(srv), "service")
	defer srvFile.Close()

	env := append(append([]string{}, BaseEnv...), s.Env...)
	var cmd *exec.Cmd
	argv := append([]string{s.Argv0}, s.Args...)
	if ns {
		oldDev := filepath.Join(dir, ".olddev")
		if err := os.MkdirAll(oldDev, 0o755); err != nil {
			t.Fatal(err)
		}
		hosts := "-"
		if s.Hosts != "" {
			hosts = write("hosts", s.Hosts)
		}
		nsArgs := append([]string{oldDev, logSock, allow, deny, hosts, s.Program}, argv...)
		cmd = exec.Command(filepath.Join(bin, "nswrap"), nsArgs...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	} else {
		cmd = &exec.Cmd{Path: s.Program, Args: argv}
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if s.Program != DebianTcpd {
		env = append(env, "TCPWRAP_SYSLOG_SOCKET="+logSock, "TCPWRAP_LOGGING_CONF="+logconf)
		if !ns {
			env = append(env, "TCPWRAP_HOSTS_ALLOW="+allow, "TCPWRAP_HOSTS_DENY="+deny)
		}
	}
	cmd.Env = env
	cmd.Dir = dir
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if s.Network == None {
		devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer devnull.Close()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = srvFile, srvFile, srvFile
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdtest: start %s: %v", s.Program, err)
	}
	res.PID = cmd.Process.Pid
	timer := time.AfterFunc(s.Timeout, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	deadline := start.Add(s.Timeout)
	switch s.Network {
	case None:
	case UDP:
		uc := client.(*net.UDPConn)
		uc.SetReadDeadline(time.Now().Add(s.UDPReplyTimeout))
		buf := make([]byte, 65536)
		n, err := uc.Read(buf)
		if err != nil {
			res.ClientTimeout = true
		}
		res.Received = append([]byte(nil), buf[:n]...)
	default:
		// Our copy of the accepted socket must go, or EOF never comes.
		srvFile.Close()
		client.SetDeadline(deadline)
		if len(s.Send) > 0 {
			client.Write(s.Send)
		}
		var b bytes.Buffer
		_, err := b.ReadFrom(client)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			res.ClientTimeout = true
		}
		res.Received = b.Bytes()
	}
	werr := <-waited
	res.Elapsed = time.Since(start)
	timer.Stop()
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			t.Fatalf("tcpdtest: wait: %v", werr)
		}
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		res.Exit = ws.ExitStatus()
	case ws.Signaled():
		res.Exit = 128 + int(ws.Signal())
	}
	if s.Network == UDP {
		buf := make([]byte, 1)
		_, _, err := unix.Recvfrom(srv, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		res.DatagramLeft = err == nil
	}

	// Collect the records: a sentinel follows every record the wrapper
	// sent (it has exited; datagrams queue in order).
	sentinel := fmt.Sprintf("tcpdtest-sentinel-%d-%d", os.Getpid(), time.Now().UnixNano())
	if err := sendSentinel(logSock, sentinel); err != nil {
		t.Fatalf("tcpdtest: %v", err)
	}
	if capture != nil {
		capture.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 1<<20)
		for {
			n, err := capture.Read(buf)
			if err != nil {
				t.Fatalf("tcpdtest: reading syslog records: %v", err)
			}
			rec := oracle.ParseRecord(buf[:n])
			if strings.HasSuffix(rec.Raw, sentinel) {
				break
			}
			res.Log = append(res.Log, rec)
		}
	} else {
		for end := time.Now().Add(10 * time.Second); ; {
			lines := s.Rsyslog.Lines()
			found := -1
			for i := rsBefore; i < len(lines); i++ {
				if strings.Contains(lines[i].Raw, sentinel) {
					found = i
					break
				}
			}
			if found >= 0 {
				res.Rsyslog = lines[rsBefore:found]
				break
			}
			if time.Now().After(end) {
				t.Fatalf("tcpdtest: rsyslog did not store the sentinel")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return res
}

func sendSentinel(path, text string) error {
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("dial %s: %v", path, err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write([]byte("<15>tcpdtest: " + text))
	return err
}

func sockPort(sa unix.Sockaddr) int {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	return 0
}

// connect makes the service socket (a descriptor of ours, blocking, as
// inetd hands it over) and the client's connection.
func connect(s *Spec) (srv int, client net.Conn, err error) {
	cip, err := netip.ParseAddr(s.ClientAddr)
	if err != nil && s.Network != None {
		return -1, nil, fmt.Errorf("client address %q: %v", s.ClientAddr, err)
	}
	switch s.Network {
	case None:
		fd, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
		return fd, nil, err
	case UDP:
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, nil, err
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: s.ServerPort, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			unix.Close(fd)
			return -1, nil, fmt.Errorf("bind udp: %v", err)
		}
		sa, _ := unix.Getsockname(fd)
		port := sockPort(sa)
		c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(cip, 0)),
			net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))))
		if err != nil {
			unix.Close(fd)
			return -1, nil, err
		}
		if _, err := c.Write(s.Send); err != nil {
			unix.Close(fd)
			c.Close()
			return -1, nil, err
		}
		return fd, c, nil
	}
	var lfd int
	var target netip.Addr
	switch s.Network {
	case TCP:
		lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			unix.SetsockoptInt(lfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			err = unix.Bind(lfd, &unix.SockaddrInet4{Port: s.ServerPort, Addr: [4]byte{127, 0, 0, 1}})
		}
		target = netip.MustParseAddr("127.0.0.1")
	case TCP6, Dual:
		lfd, err = unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			unix.SetsockoptInt(lfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			var addr netip.Addr
			if s.Network == TCP6 {
				unix.SetsockoptInt(lfd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
				addr = netip.IPv6Loopback()
				target = addr
			} else {
				unix.SetsockoptInt(lfd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
				addr = netip.MustParseAddr("::ffff:127.0.0.1")
				target = netip.MustParseAddr("127.0.0.1")
			}
			err = unix.Bind(lfd, &unix.SockaddrInet6{Port: s.ServerPort, Addr: addr.As16()})
		}
	default:
		return -1, nil, fmt.Errorf("unknown network %q", s.Network)
	}
	if err != nil {
		return -1, nil, fmt.Errorf("listen: %v", err)
	}
	defer unix.Close(lfd)
	if err := unix.Listen(lfd, 8); err != nil {
		return -1, nil, err
	}
	sa, _ := unix.Getsockname(lfd)
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(cip, 0)), Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", netip.AddrPortFrom(target, uint16(sockPort(sa))).String())
	if err != nil {
		return -1, nil, fmt.Errorf("dial: %v", err)
	}
	fd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		c.Close()
		return -1, nil, fmt.Errorf("accept: %v", err)
	}
	return fd, c, nil
}
