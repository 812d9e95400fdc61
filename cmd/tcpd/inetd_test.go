package main

// End to end under the real super-server: Debian's openbsd-inetd runs our
// tcpd from a generated inetd.conf, a real oidentd answers the rfc931
// queries, a private rsyslogd stores what tcpd logged, and clients
// connect from 127.0.0.1, 127.0.0.2, 127.0.0.3 and ::1.

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/internal/tcpdtest"
)

// needRoot skips unless the test runs as root and the programs exist.
func needRoot(t *testing.T, programs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (inetd and oidentd bind privileged ports and switch users)")
	}
	for _, p := range programs {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is missing (scripts/test installs it)", p)
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T, network, addr string) int {
	t.Helper()
	if strings.HasPrefix(network, "udp") {
		c, err := net.ListenPacket(network, addr+":0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen(network, net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startDaemon starts a long-running program and stops it at the end of
// the test; its output goes to the test log on failure.
func startDaemon(t *testing.T, env []string, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s said:\n%s", argv[0], out.String())
		}
	})
}

// waitListening waits until a TCP port accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientScript connects from a source address to a service and prints
// what it received; run as a given user, its socket belongs to that user,
// which is what oidentd reports.
const clientScript = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(15)
s.bind((sys.argv[1], 0))
s.connect((sys.argv[2], int(sys.argv[3])))
data = b''
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
sys.stdout.buffer.write(data)
`

// connectAs connects from src to dst:port as the given user ("" for the
// test's own) and returns what the service sent before closing.
func connectAs(t *testing.T, username, src, dst string, port int) string {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", "-c", clientScript, src, dst, strconv.Itoa(port))
	if username != "" {
		u, err := user.Lookup(username)
		if err != nil {
			t.Skip(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client %s from %s to %s:%d: %v\n%s", username, src, dst, port, err, stderr.String())
	}
	return string(out)
}

// waitLog waits for rsyslogd to have stored a message containing text
// and returns every stored message.
func waitLog(t *testing.T, rs *rsyslogtest.Server, text string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var msgs []string
		found := false
		for _, l := range rs.Lines() {
			m := l.AppName + "[" + l.ProcID + "]:" + l.Msg
			msgs = append(msgs, m)
			if strings.Contains(m, text) {
				found = true
			}
		}
		if found {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log message with %q; rsyslogd stored:\n  %s", text, strings.Join(msgs, "\n  "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpenBSDInetd(t *testing.T) {
	needRoot(t, "/usr/sbin/inetd", "/usr/sbin/oidentd", "/usr/bin/python3")
	if !portFree(t, "127.0.0.1:113") || !portFree(t, "127.0.0.4:113") {
		t.Skip("something else holds port 113 on loopback")
	}
	bin := tcpdtest.BinDir(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	rs := rsyslogtest.Start(t)

	// 127.0.0.2 is refused outright; 127.0.0.3 is allowed only when the
	// ident server says the connection belongs to nobody; ::1 goes
	// through the IPv6 service; 127.0.0.4's ident answer is hostile and
	// ends up in a spawned shell command.
	spawnOut := filepath.Join(dir, "spawned")
	pwned := filepath.Join(dir, "pwned")
	allow := "in.fake: 127.0.0.1 [::1]\n" +
		"in.fake: nobody@127.0.0.3\n" +
		"in.fake: 127.0.0.4: rfc931 5: spawn (echo %u > " + spawnOut + ")\n"
	deny := "ALL: ALL\n"
	for name, text := range map[string]string{"hosts.allow": allow, "hosts.deny": deny, "logging.conf": "json off\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Real oidentd: the truth on 127.0.0.1 and 127.0.0.3, a hostile
	// fixed reply on 127.0.0.4 (a compromised or malicious client host).
	startDaemon(t, nil, "/usr/sbin/oidentd", "-i", "-S", "-q", "-p", "113",
		"-a", "127.0.0.1", "-a", "127.0.0.3")
	// No blanks: an ident user name ends at the first one.
	hostile := "x;touch${IFS}" + pwned + ";$(touch${IFS}" + pwned + ")`id`|\x01"
	startDaemon(t, nil, "/usr/sbin/oidentd", "-i", "-S", "-q", "-p", "113", "-a", "127.0.0.4", "-R", hostile)

	p4, p6 := freePort(t, "tcp4", "127.0.0.1"), freePort(t, "tcp6", "::1")
	tcpd := filepath.Join(bin, "tcpd")
	conf := fmt.Sprintf("127.0.0.1:%d stream tcp nowait root %s in.fake -x\n"+
		"[::1]:%d stream tcp6 nowait root %s in.fake\n", p4, tcpd, p6, tcpd)
	confPath := filepath.Join(dir, "inetd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// inetd passes its environment on to tcpd; these point tcpd at the
	// test's tables, daemon directory and syslog socket.
	env := []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"TCPWRAP_HOSTS_ALLOW=" + filepath.Join(dir, "hosts.allow"),
		"TCPWRAP_HOSTS_DENY=" + filepath.Join(dir, "hosts.deny"),
		"TCPWRAP_LOGGING_CONF=" + filepath.Join(dir, "logging.conf"),
		"TCPWRAP_SYSLOG_SOCKET=" + rs.UnixSocket(),
		"TCPWRAP_REAL_DAEMON_DIR=" + bin,
		"TCPWRAP_CACHE=off",
	}
	startDaemon(t, env, "/usr/sbin/inetd", "-d", confPath)
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", p4))
	waitListening(t, fmt.Sprintf("[::1]:%d", p6))

	// The daemon reports its argv and that it runs as root (inetd
	// sets root's groups, which may differ from the test's own).
	daemonOut := func(argv ...string) string {
		return strings.Join(argv, "] [") + "]\nDAEMON uid=0 gid=0 "
	}

	t.Run("granted", func(t *testing.T) {
		got := connectAs(t, "", "127.0.0.1", "127.0.0.1", p4)
		if !strings.HasPrefix(got, "ARGV: ["+daemonOut("in.fake", "-x")) {
			t.Errorf("client got %q", got)
		}
		waitLog(t, rs, ": connect from 127.0.0.1 (127.0.0.1)")
	})
	t.Run("refused", func(t *testing.T) {
		start := time.Now()
		if got := connectAs(t, "", "127.0.0.2", "127.0.0.1", p4); got != "" {
			t.Errorf("refused client got %q", got)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("refused connection held for %v", d)
		}
		waitLog(t, rs, ": refused connect from 127.0.0.2 (127.0.0.2)")
	})
	t.Run("ipv6", func(t *testing.T) {
		if got := connectAs(t, "", "::1", "::1", p6); !strings.HasPrefix(got, "ARGV: ["+daemonOut("in.fake")) {
			t.Errorf("client got %q", got)
		}
		waitLog(t, rs, ": connect from ::1 (::1)")
	})
	t.Run("ident", func(t *testing.T) {
		// The rule names nobody@127.0.0.3: tcpd asks 127.0.0.3's ident
		// server, which looks the connection up and names its owner.
		if got := connectAs(t, "", "127.0.0.3", "127.0.0.1", p4); got != "" {
			t.Errorf("root's connection from 127.0.0.3 got %q, want a refusal", got)
		}
		waitLog(t, rs, ": refused connect from root@127.0.0.3 (127.0.0.3)")
		if _, err := user.Lookup("nobody"); err != nil {
			t.Skip("no user nobody")
		}
		got := connectAs(t, "nobody", "127.0.0.3", "127.0.0.1", p4)
		if !strings.HasPrefix(got, "ARGV: [in.fake] [-x]\n") {
			t.Errorf("nobody's connection from 127.0.0.3 got %q, want the daemon", got)
		}
		waitLog(t, rs, ": connect from nobody@127.0.0.3 (127.0.0.3)")
	})
	t.Run("hostile ident reply", func(t *testing.T) {
		got := connectAs(t, "", "127.0.0.4", "127.0.0.1", p4)
		if !strings.HasPrefix(got, "ARGV: [in.fake] [-x]\n") {
			t.Errorf("client got %q", got)
		}
		msgs := waitLog(t, rs, "@127.0.0.4 (127.0.0.4)")
		t.Logf("stored: %q", msgs[len(msgs)-1])
		if _, err := os.Stat(pwned); err == nil {
			t.Fatal("the ident reply ran a command in the spawned shell")
		}
		b, err := os.ReadFile(spawnOut)
		if err != nil {
			t.Fatalf("spawn did not run: %v", err)
		}
		// Every character outside tcpd's safe set became '_'.
		want := strings.Map(func(r rune) rune {
			if strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+/@:", r) {
				return r
			}
			return '_'
		}, hostile)
		if got := strings.TrimSuffix(string(b), "\n"); got != want {
			t.Errorf("spawned command saw %%u = %q, want %q", got, want)
		}
		for _, m := range msgs {
			if strings.Contains(m, "127.0.0.4") && strings.ContainsAny(m, "\x01\n") {
				t.Errorf("control characters reached the log: %q", m)
			}
		}
	})
}

func portFree(t *testing.T, addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// TestSystemdAccept runs our tcpd the way a systemd socket unit with
// Accept=yes does, through systemd's own systemd-socket-activate: one
// process per connection, the connection on standard input and output.
// As in a unit with ExecStart=@/usr/local/sbin/tcpd in.fake, argv[0] is
// the daemon's name (here through a link named after the daemon, the
// classic tcpd set-up), so tcpd runs the real daemon from its directory.
func TestSystemdAccept(t *testing.T) {
	needRoot(t, "/usr/bin/systemd-socket-activate", "/usr/bin/python3")
	bin := tcpdtest.BinDir(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	rs := rsyslogtest.Start(t)
	links := filepath.Join(dir, "links")
	os.Mkdir(links, 0o755)
	if err := os.Symlink(filepath.Join(bin, "tcpd"), filepath.Join(links, "in.fake")); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"hosts.allow":  "in.fake: 127.0.0.1 127.0.0.3 [::1]\n",
		"hosts.deny":   "ALL: ALL\n",
		"logging.conf": "json off\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p4, p6 := freePort(t, "tcp4", "127.0.0.1"), freePort(t, "tcp6", "::1")
	args := []string{"/usr/bin/systemd-socket-activate", "--accept", "--inetd",
		"-l", fmt.Sprintf("127.0.0.1:%d", p4), "-l", fmt.Sprintf("[::1]:%d", p6)}
	for _, kv := range []string{
		"TCPWRAP_HOSTS_ALLOW=" + filepath.Join(dir, "hosts.allow"),
		"TCPWRAP_HOSTS_DENY=" + filepath.Join(dir, "hosts.deny"),
		"TCPWRAP_LOGGING_CONF=" + filepath.Join(dir, "logging.conf"),
		"TCPWRAP_SYSLOG_SOCKET=" + rs.UnixSocket(),
		"TCPWRAP_REAL_DAEMON_DIR=" + bin,
		"TCPWRAP_CACHE=off",
	} {
		args = append(args, "-E", kv)
	}
	// A relative argv[0], found on PATH: tcpd takes it as the daemon
	// name and runs TCPWRAP_REAL_DAEMON_DIR/in.fake.
	args = append(args, "in.fake", "-s")
	startDaemon(t, []string{"PATH=" + links + ":/usr/bin:/bin"}, args...)
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", p4))

	for _, c := range []struct {
		src, dst string
		port     int
		granted  bool
		log      string
	}{
		{"127.0.0.1", "127.0.0.1", p4, true, ": connect from 127.0.0.1 (127.0.0.1)"},
		{"127.0.0.2", "127.0.0.1", p4, false, ": refused connect from 127.0.0.2 (127.0.0.2)"},
		{"127.0.0.3", "127.0.0.1", p4, true, ": connect from 127.0.0.3 (127.0.0.3)"},
		{"::1", "::1", p6, true, ": connect from ::1 (::1)"},
	} {
		got := connectAs(t, "", c.src, c.dst, c.port)
		if c.granted != strings.HasPrefix(got, "ARGV: [in.fake] [-s]\n") || (!c.granted && got != "") {
			t.Errorf("client %s got %q (granted: %v)", c.src, got, c.granted)
		}
		msgs := waitLog(t, rs, c.log)
		if last := msgs[len(msgs)-1]; !strings.HasPrefix(last, "in.fake[") {
			t.Errorf("logged under %q, want in.fake[PID]", last)
		}
	}
}
