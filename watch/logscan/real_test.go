package logscan_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/ident/identtest"
	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/internal/tcpdtest"
	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
)

// Tests with the real programs whose lines logscan reads: our tcpd and
// Debian's (package tcpd), openbsd-inetd -l (package openbsd-inetd),
// xinetd when installed, and logger(1) (package bsdutils) as the other
// program that logs forged text. All log to a private rsyslogd, and
// Follow reads its traditional file.

// The client addresses of these tests (this package's own, so that an
// ident server on ADDR:113 does not collide with other packages' tests).
const (
	clientRefused = "127.0.61.1"
	clientGranted = "127.0.61.2"
)

// collect follows path and returns a function that waits for n Events.
func collect(t *testing.T, path string) func(n int) []watch.Event {
	t.Helper()
	ch := make(chan watch.Event, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	go func() {
		defer close(done)
		_, err := logscan.Follow(ctx, path, logscan.Position{}, logscan.FollowOptions{}, func(ev watch.Event) { ch <- ev })
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Follow: %v", err)
		}
	}()
	var got []watch.Event
	return func(n int) []watch.Event {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for len(got) < n {
			select {
			case ev := <-ch:
				got = append(got, ev)
			case <-deadline:
				t.Fatalf("%d of %d events after 60s: %+v", len(got), n, got)
			}
		}
		// Anything more that arrives soon is reported too.
		for {
			select {
			case ev := <-ch:
				got = append(got, ev)
				continue
			case <-time.After(3 * logscan.DefaultPoll):
			}
			return got
		}
	}
}

func describeEvents(evs []watch.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "\n  %s %s %s daemon=%q user=%q name=%q program=%q pid=%d", ev.Source, ev.Verdict, ev.Addr, ev.Daemon, ev.User, ev.Name, ev.Program, ev.PID)
	}
	return b.String()
}

// TestRealTcpd: our tcpd and Debian's, run by internal/tcpdtest in front
// of its fake daemon, refuse and grant connections and log to rsyslogd;
// the client's ident service answers with a hostile user name. Another
// program (logger) logs forged text. Follow delivers the four decisions
// with the real client addresses and nothing of the forgery.
func TestRealTcpd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the ident server on port 113 and Debian's tcpd need root")
	}
	rs := startRsyslog(t)
	wait := collect(t, filepath.Join(rs.Dir(), "trad.log"))
	// The ident user name a hostile client returns: no blank (tcpd
	// reads a word), but an address in parentheses and an '@'.
	const hostileUser = "x(198.51.100.66)@198.51.100.66"
	identtest.Start(t, clientRefused+":113", func(q string) string {
		return strings.TrimRight(q, "\r\n") + " : USERID : UNIX : " + hostileUser + "\r\n"
	})

	type run struct {
		program, client string
		verdict         watch.Verdict
		pid             int
	}
	var runs []run
	programs := []string{tcpdtest.Ours(t)}
	if ok, why := tcpdtest.DebianAvailable(); ok {
		programs = append(programs, tcpdtest.DebianTcpd)
	} else {
		t.Logf("Debian's tcpd not run: %s", why)
	}
	for _, prog := range programs {
		for _, c := range []struct {
			client  string
			verdict watch.Verdict
		}{{clientRefused, watch.Refused}, {clientGranted, watch.Granted}} {
			r := tcpdtest.Run(t, tcpdtest.Spec{Program: prog, Rsyslog: rs, ClientAddr: c.client,
				Deny: "in.fake: " + clientRefused + ": rfc931\n"})
			if len(r.Rsyslog) != 1 {
				t.Fatalf("%s from %s: rsyslog stored %+v", prog, c.client, r.Rsyslog)
			}
			t.Logf("%s stored: %s", prog, r.Rsyslog[0].Raw)
			runs = append(runs, run{prog, c.client, c.verdict, r.PID})
		}
	}

	// The forgeries, through the same socket, by a real program.
	for _, args := range [][]string{
		{"-t", "sshd", "--id=4711", "Invalid user refused connect from 198.51.100.66 (198.51.100.66) from " + clientRefused},
		{"-t", "in.fake", "refused connect from 198.51.100.66 (198.51.100.66)"}, // no PID: not tcpd's
		{"-t", "webapp", "--id=4712", "refused connection from 198.51.100.66, service finger (tcp)"},
	} {
		cmd := exec.Command("logger", append([]string{"-u", rs.UnixSocket()}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("logger (package bsdutils): %v: %s", err, out)
		}
	}

	evs := wait(len(runs))
	if len(evs) != len(runs) {
		t.Fatalf("events:%s\nwant %d", describeEvents(evs), len(runs))
	}
	for i, r := range runs {
		ev := evs[i]
		want := netip.MustParseAddr(r.client)
		if ev.Addr != want || ev.Verdict != r.verdict || ev.Daemon != "in.fake" || ev.Program != "in.fake" || ev.PID != r.pid || ev.Source != watch.SourceTcpd {
			t.Errorf("%s from %s: event%s\nwant %s from %s, in.fake[%d]", r.program, r.client, describeEvents([]watch.Event{ev}), r.verdict, want, r.pid)
		}
		if wantUser := map[bool]string{true: hostileUser}[r.verdict == watch.Refused]; ev.User != wantUser {
			t.Errorf("%s from %s: user %q, want %q", r.program, r.client, ev.User, wantUser)
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// superServer runs a super-server in a private mount namespace (nswrap
// from internal/tcpdtest) with /dev/log pointing at rsyslogd's socket and
// the given hosts.deny, and stops it when the test ends.
func superServer(t *testing.T, rs *rsyslogtest.Server, deny string, prog string, argv ...string) {
	t.Helper()
	if ok, why := tcpdtest.NamespaceAvailable(); !ok {
		t.Skip(why)
	}
	dir := t.TempDir()
	oldDev := filepath.Join(dir, "olddev")
	os.Mkdir(oldDev, 0o755)
	allowPath, denyPath := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
	os.WriteFile(allowPath, nil, 0o644)
	os.WriteFile(denyPath, []byte(deny), 0o644)
	args := append([]string{oldDev, rs.UnixSocket(), allowPath, denyPath, "-", prog}, argv...)
	cmd := exec.Command(filepath.Join(tcpdtest.BinDir(t), "nswrap"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := os.Create(filepath.Join(dir, "output"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its process group: the server and its children
		cmd.Wait()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("%s output:\n%s", prog, b)
		}
	})
}

// dialFrom connects from a client address until the server listens,
// and returns what the server sent before closing.
func dialFrom(t *testing.T, client string, port int) string {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(client)}, Timeout: 5 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			b := make([]byte, 100)
			n, _ := c.Read(b)
			c.Close()
			return string(b[:n])
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect from %s to port %d: %v", client, port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInetdReal: Debian's openbsd-inetd with -l checks hosts.deny for
// every connection and logs the refusal and the grant. These are the
// lines it wrote when this test was written (openbsd-inetd
// 0.20221205-2~deb12u1), as rsyslogd stores them:
//
//	Nov 27 05:52:05 vm inetd[6324]: refused connection from 127.0.0.2, service 17001 (tcp)
//	Nov 27 05:52:05 vm inetd[6325]: connection from 127.0.0.4, service 17001 (tcp)
//	Nov 27 05:52:26 vm inetd[6784]: refused connection from localhost, service 17011 (tcp)
//	Nov 27 05:52:26 vm inetd[6785]: refused connection from ::1, service 17012 (tcp6)
//
// (the third: a rule that needed the client's name; the client is then
// logged by name only, and the Event has no address).
func TestInetdReal(t *testing.T) {
	const inetd = "/usr/sbin/inetd"
	if _, err := os.Stat(inetd); err != nil {
		t.Skipf("%s not installed (apt-get install openbsd-inetd)", inetd)
	}
	rs := startRsyslog(t)
	wait := collect(t, filepath.Join(rs.Dir(), "trad.log"))
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "inetd.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("127.0.0.1:%d stream tcp nowait root /bin/echo echo hello\n", port)), 0o644)
	superServer(t, rs, "ALL: 127.0.62.2\n", inetd, "inetd", "-d", "-l", conf)

	granted := dialFrom(t, "127.0.62.3", port)
	refused := dialFrom(t, "127.0.62.2", port)
	if granted != "hello\n" || refused != "" {
		t.Errorf("granted client got %q, refused client %q", granted, refused)
	}
	evs := wait(2)
	for _, l := range rs.Lines() {
		if strings.Contains(l.Raw, "connection from") {
			t.Logf("inetd logged: %s", l.Raw)
		}
	}
	want := []struct {
		addr    string
		verdict watch.Verdict
	}{{"127.0.62.3", watch.Granted}, {"127.0.62.2", watch.Refused}}
	if len(evs) != len(want) {
		t.Fatalf("events:%s", describeEvents(evs))
	}
	for i, w := range want {
		ev := evs[i]
		if ev.Addr != netip.MustParseAddr(w.addr) || ev.Verdict != w.verdict || ev.Source != watch.SourceInetd ||
			ev.Daemon != fmt.Sprint(port) || ev.Program != "inetd" {
			t.Errorf("event%s\nwant %s %s, service %d", describeEvents([]watch.Event{ev}), w.verdict, w.addr, port)
		}
	}
}

// TestXinetdReal: xinetd refuses by libwrap (hosts.deny) and by its own
// only_from. xinetd conflicts with openbsd-inetd in Debian, so it is
// usually not installed: the test runs /usr/sbin/xinetd or the binary
// named by $TCPWRAP_XINETD (for instance one unpacked with "apt-get
// download xinetd && dpkg-deb -x xinetd_*.deb DIR"), and skips
// otherwise. These are the lines Debian's xinetd 2.3.15.3 wrote when
// this test was written (unpacked as above):
//
//	xinetd[6920]: START: x17021 pid=6966 from=127.0.0.1
//	xinetd[6966]: libwrap refused connection to x17021 (libwrap=echo) from 127.0.0.1
//	xinetd[6966]: FAIL: x17021 libwrap from=127.0.0.1
//	xinetd[6969]: FAIL: x17022 address from=127.0.0.4
//	xinetd[6970]: FAIL: x17023 libwrap from=::1
func TestXinetdReal(t *testing.T) {
	xinetd := os.Getenv("TCPWRAP_XINETD")
	if xinetd == "" {
		xinetd = "/usr/sbin/xinetd"
	}
	if _, err := os.Stat(xinetd); err != nil {
		t.Skipf("xinetd not installed (%v); it conflicts with openbsd-inetd: set TCPWRAP_XINETD to an unpacked binary", err)
	}
	rs := startRsyslog(t)
	wait := collect(t, filepath.Join(rs.Dir(), "trad.log"))
	dir := t.TempDir()
	p1, p2 := freePort(t), freePort(t)
	conf := filepath.Join(dir, "xinetd.conf")
	service := func(name string, port int, extra string) string {
		return fmt.Sprintf("service %s\n{\n\ttype = UNLISTED\n\tport = %d\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = root\n\tserver = /bin/echo\n\tserver_args = hello\n\tbind = 127.0.0.1\n%s}\n", name, port, extra)
	}
	os.WriteFile(conf, []byte("defaults\n{\n\tlog_type = SYSLOG daemon info\n\tlog_on_failure = HOST\n\tlog_on_success = PID HOST\n}\n"+
		service("wrapped", p1, "")+service("onlyfrom", p2, "\tonly_from = 127.0.63.9\n")), 0o644)
	superServer(t, rs, "ALL: 127.0.63.2\n", xinetd, "xinetd", "-dontfork", "-pidfile", filepath.Join(dir, "pid"), "-f", conf)

	if got := dialFrom(t, "127.0.63.2", p1); got != "" {
		t.Errorf("refused client got %q", got)
	}
	if got := dialFrom(t, "127.0.63.3", p2); got != "" {
		t.Errorf("client outside only_from got %q", got)
	}
	if got := dialFrom(t, "127.0.63.4", p1); got != "hello\n" {
		t.Errorf("granted client got %q", got)
	}
	evs := wait(2)
	for _, l := range rs.Lines() {
		if strings.Contains(l.Raw, "xinetd") {
			t.Logf("xinetd logged: %s", l.Raw)
		}
	}
	if len(evs) != 2 {
		t.Fatalf("events:%s", describeEvents(evs))
	}
	for i, w := range []struct{ addr, daemon string }{{"127.0.63.2", "wrapped"}, {"127.0.63.3", "onlyfrom"}} {
		ev := evs[i]
		if ev.Addr != netip.MustParseAddr(w.addr) || ev.Verdict != watch.Refused || ev.Source != watch.SourceXinetd || ev.Daemon != w.daemon {
			t.Errorf("event%s\nwant refused %s by %s", describeEvents([]watch.Event{ev}), w.addr, w.daemon)
		}
	}
}
