package main

// The harness: tcpwrapd built as a program and started from a generated
// configuration, with its syslog lines in a real rsyslogd (or a socket of
// the test's own), its readiness and reloads seen through $NOTIFY_SOCKET,
// and clients on 127.0.0.1-127.0.0.5 and ::1.

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"tcpwrap/internal/loopback"
	"testing"
	"time"

	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/internal/tcpdtest"
	"tcpwrap/superserver"
)

func TestMain(m *testing.M) {
	superserver.Helper()
	code := m.Run()
	tcpdtest.Cleanup()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binary builds tcpwrapd once per test binary, into a world-readable
// directory.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "tcpwrapd-bin-")
		if buildErr != nil {
			return
		}
		os.Chmod(binDir, 0o755)
		out, err := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(binDir, "tcpwrapd"), ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "tcpwrapd")
}

// freePorts returns n different ports free on addr a moment ago.
// The clients of the tests.
var (
	freePorts    = loopback.FreePorts
	exchange     = loopback.Exchange
	mustExchange = loopback.MustExchange
	fetch        = loopback.Fetch
)

// notifySocket receives what the daemon sends to $NOTIFY_SOCKET.
type notifySocket struct {
	path string
	mu   sync.Mutex
	msgs []string
	conn *net.UnixConn
}

func newNotifySocket(t testing.TB, dir string) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(dir, "notify")}
	var err error
	n.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := n.conn.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *notifySocket) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// waitFor waits until the count-th message containing text has come
// (count from 1), and returns every message.
func (n *notifySocket) waitFor(t testing.TB, text string, count int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs := n.all()
		seen := 0
		for _, m := range msgs {
			if strings.Contains(m, text) {
				seen++
			}
		}
		if seen >= count {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d× %q from the daemon; got %q", count, text, msgs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// daemonSpec is one tcpwrapd to start.
type daemonSpec struct {
	conf        string // inetd.conf: {P0}.. ports, {DIR} the directory, {FAKE} the fake daemon
	allow, deny string
	args        []string // more options
	env         []string
	nports      int
	udpPorts    int // {U0}.. UDP ports
	metrics     bool
	extraFiles  []*os.File
	wrap        []string // a program to start tcpwrapd through (argv before tcpwrapd's)
	noReady     bool     // do not wait for READY=1
	// rsyslog, if not nil, receives the syslog lines instead of the
	// test's own socket.
	rsyslog *rsyslogtest.Server
}

// runningDaemon is a tcpwrapd started by a test.
type runningDaemon struct {
	t       testing.TB
	cmd     *exec.Cmd
	dir     string
	ports   []int
	uports  []int
	log     *loopback.SyslogSink
	notify  *notifySocket
	stderr  *syncBuffer
	metrics string
	waited  chan struct{}
	spec    daemonSpec
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startDaemon(t testing.TB, spec daemonSpec) *runningDaemon {
	t.Helper()
	d := &runningDaemon{t: t, dir: t.TempDir(), log: loopback.NewSyslogSink(t), stderr: &syncBuffer{}, waited: make(chan struct{}), spec: spec}
	os.Chmod(d.dir, 0o755)
	d.notify = newNotifySocket(t, d.dir)
	d.ports = freePorts(t, "tcp4", "127.0.0.1", spec.nports)
	d.uports = freePorts(t, "udp4", "127.0.0.1", spec.udpPorts)
	d.write("hosts.allow", spec.allow)
	d.write("hosts.deny", spec.deny)
	d.write("logging.conf", "syslog on\njson "+filepath.Join(d.dir, "records.jsonl")+"\n")
	d.write("inetd.conf", spec.conf)
	logSocket := d.log.Path
	if spec.rsyslog != nil {
		logSocket = spec.rsyslog.UnixSocket()
	}
	args := []string{"-i",
		"--hosts-allow", filepath.Join(d.dir, "hosts.allow"),
		"--hosts-deny", filepath.Join(d.dir, "hosts.deny"),
		"--logging-conf", filepath.Join(d.dir, "logging.conf"),
		"--syslog-socket", logSocket,
		"--shutdown-timeout", "2s"}
	if spec.metrics {
		d.metrics = fmt.Sprintf("127.0.0.1:%d", freePorts(t, "tcp4", "127.0.0.1", 1)[0])
		args = append(args, "--metrics", d.metrics)
	}
	args = append(append(args, spec.args...), filepath.Join(d.dir, "inetd.conf"))
	argv := append(append([]string{}, spec.wrap...), binary(t))
	argv = append(argv, args...)
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET=" + d.notify.path}, spec.env...)
	d.cmd.Stdout, d.cmd.Stderr = d.stderr, d.stderr
	d.cmd.ExtraFiles = spec.extraFiles
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.cmd.Wait()
		close(d.waited)
	}()
	t.Cleanup(func() {
		d.signal(syscall.SIGTERM)
		select {
		case <-d.waited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.waited
		}
		if t.Failed() {
			lines := d.log.Lines()
			if len(lines) > 40 {
				lines = append([]string{"..."}, lines[len(lines)-40:]...)
			}
			t.Logf("tcpwrapd said:\n%s\nsyslog (the end):\n  %s", d.stderr.String(), strings.Join(lines, "\n  "))
		}
	})
	if !spec.noReady {
		d.ready(1)
	}
	return d
}

// ready waits for the n-th READY=1.
func (d *runningDaemon) ready(n int) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		seen := 0
		for _, m := range d.notify.all() {
			if strings.Contains(m, "READY=1") {
				seen++
			}
		}
		if seen >= n {
			return
		}
		select {
		case <-d.waited:
			d.t.Fatalf("tcpwrapd exited: %v\n%s", d.cmd.ProcessState, d.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("tcpwrapd not ready (%d× READY=1 wanted):\n%s", n, d.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *runningDaemon) pid() int { return d.cmd.Process.Pid }

func (d *runningDaemon) signal(sig syscall.Signal) { d.cmd.Process.Signal(sig) }

func (d *runningDaemon) expand(s string) string {
	if os.Geteuid() != 0 {
		// Only root runs services as others: the test's own user.
		if u, err := user.Current(); err == nil {
			s = strings.ReplaceAll(s, " root ", " "+u.Username+" ")
		}
	}
	for i, p := range d.ports {
		s = strings.ReplaceAll(s, fmt.Sprintf("{P%d}", i), strconv.Itoa(p))
	}
	for i, p := range d.uports {
		s = strings.ReplaceAll(s, fmt.Sprintf("{U%d}", i), strconv.Itoa(p))
	}
	if strings.Contains(s, "{FAKE}") {
		s = strings.ReplaceAll(s, "{FAKE}", tcpdtest.FakeDaemon(d.t))
	}
	return strings.ReplaceAll(s, "{DIR}", d.dir)
}

func (d *runningDaemon) write(name, text string) string {
	d.t.Helper()
	p := filepath.Join(d.dir, name)
	// Written whole and renamed into place, as an editor does.
	tmp := p + ".new"
	if err := os.WriteFile(tmp, []byte(d.expand(text)), 0o644); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		d.t.Fatal(err)
	}
	return p
}

func (d *runningDaemon) addr(i int) string { return fmt.Sprintf("127.0.0.1:%d", d.ports[i]) }

// metric returns the value of a metric line ("name{labels}"), or -1.
func (d *runningDaemon) metric(t testing.TB, name string) float64 {
	t.Helper()
	// No kept-alive connection: it would count among the daemon's
	// descriptors.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + d.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(line[len(name):]), 64)
			return v
		}
	}
	return -1
}

// datagram sends one datagram from src and returns the reply, if one
// comes within wait.
func datagram(t testing.TB, src, addr, send string, wait time.Duration) (string, bool) {
	t.Helper()
	c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(src), 0)),
		net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(send))
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	return string(buf[:n]), err == nil
}

// openFDs counts a process's descriptors.
func openFDs(t testing.TB, pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
