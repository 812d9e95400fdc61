package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"tcpwrap/internal/loopback"
	"testing"
	"time"

	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/superserver"
)

// fakeOutput is what the fake daemon reports with nothing changed: it
// runs as root here (the entries say root), with tcpwrapd's umask 022.
func fakeOutput(argv ...string) string {
	var b strings.Builder
	b.WriteString("ARGV:")
	for _, a := range argv {
		fmt.Fprintf(&b, " [%s]", a)
	}
	gs, _ := os.Getgroups()
	if os.Geteuid() == 0 {
		// A root entry's service gets root's groups (initgroups).
		gs, _ = superserver.SystemAccounts{}.Groups("root", 0)
	}
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = strconv.Itoa(g)
	}
	fmt.Fprintf(&b, "\nDAEMON uid=%d gid=%d groups=[%s] umask=022 nice=0 keepalive=0 linger=(0, 0) FOO=None\n",
		os.Getuid(), os.Getgid(), strings.Join(s, ","))
	return b.String()
}

func TestEndToEnd(t *testing.T) {
	rs := rsyslogtest.Start(t)
	v6 := freePorts(t, "tcp6", "::1", 1)[0]
	spec := daemonSpec{nports: 5, udpPorts: 1, metrics: true, rsyslog: rs,
		args: []string{"-l"},
		conf: "127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd /bin/echo hello\n" +
			fmt.Sprintf("[::1]:%d stream tcp6 nowait root /usr/sbin/tcpd /bin/echo hello6\n", v6) +
			"127.0.0.1:{P1} stream tcp4 nowait root /usr/sbin/tcpd {FAKE} -x\n" +
			"127.0.0.1:{U0} dgram udp4 wait root /usr/sbin/tcpd {FAKE}\n" +
			"127.0.0.1:{P2} stream tcp4 nowait nobody /usr/bin/id id\n" +
			"127.0.0.1:{P3} stream tcp4 nowait root redirect fwd 127.0.0.1:{P0}\n" +
			"127.0.0.1:echo stream tcp4 nowait root internal\n",
		allow: "echo: 127.0.0.1 127.0.0.3 [::1]\n" +
			"in.fake: 127.0.0.1: setenv FOO %a: umask 027: banners {DIR}/ban\n" +
			"in.fake: 127.0.0.4\n" +
			"fwd id: 127.0.0.1 127.0.0.2\n",
		deny: "ALL: ALL\n",
	}
	// The built-in is found by its name in a services file of the test.
	ports := freePorts(t, "tcp4", "127.0.0.1", 1)
	servicesFile := filepath.Join(t.TempDir(), "services")
	os.WriteFile(servicesFile, []byte(fmt.Sprintf("echo %d/tcp\n", ports[0])), 0o644)
	spec.args = append(spec.args, "--services", servicesFile)
	d := startDaemon(t, spec)
	os.MkdirAll(filepath.Join(d.dir, "ban"), 0o755)
	d.write("ban/in.fake", "Hello %a, this is %d\n")
	builtin := fmt.Sprintf("127.0.0.1:%d", ports[0])
	pid := strconv.Itoa(d.pid())

	type check struct {
		name, client, addr, send, want string
		line                           string // the classic line logged for it (without "APP[PID]: ")
		app                            string
	}
	var checks []check
	for _, c := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"} {
		want, line := "", "refused connect from "+c+" ("+c+")"
		if c == "127.0.0.1" || c == "127.0.0.3" {
			want, line = "hello\n", "connect from "+c+" ("+c+")"
		}
		checks = append(checks, check{"tcpd entry", c, d.addr(0), "", want, line, "echo"})
	}
	checks = append(checks,
		check{"ipv6", "::1", fmt.Sprintf("[::1]:%d", v6), "", "hello6\n", "connect from ::1 (::1)", "echo"},
		check{"options", "127.0.0.1", d.addr(1), "",
			"Hello 127.0.0.1, this is in.fake\r\n" + strings.NewReplacer("umask=022", "umask=027", "FOO=None", `FOO="127.0.0.1"`).Replace(fakeOutput("in.fake", "-x")),
			"connect from 127.0.0.1 (127.0.0.1)", "in.fake"},
		check{"no options", "127.0.0.4", d.addr(1), "", fakeOutput("in.fake", "-x"), "connect from 127.0.0.4 (127.0.0.4)", "in.fake"},
		check{"refused", "127.0.0.5", d.addr(1), "", "", "refused connect from 127.0.0.5 (127.0.0.5)", "in.fake"},
		check{"redirect", "127.0.0.2", d.addr(3), "", "hello\n", "connect from 127.0.0.2 (127.0.0.2)", "fwd"},
		check{"redirect refused", "127.0.0.3", d.addr(3), "", "", "refused connect from 127.0.0.3 (127.0.0.3)", "fwd"},
		check{"built-in", "127.0.0.3", builtin, "ping", "ping", "connect from 127.0.0.3 (127.0.0.3)", "echo"},
		check{"built-in refused", "127.0.0.2", builtin, "ping", "", "refused connect from 127.0.0.2 (127.0.0.2)", "echo"},
	)
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("nobody"); err == nil {
			g, _ := user.LookupGroupId(u.Gid)
			checks = append(checks, check{"user", "127.0.0.2", d.addr(2), "",
				fmt.Sprintf("uid=%s(nobody) gid=%s(%s) groups=%s(%s)\n", u.Uid, u.Gid, g.Name, u.Gid, g.Name),
				"connect from 127.0.0.2 (127.0.0.2)", "id"})
		}
	}
	for _, c := range checks {
		t.Run(c.name+"/"+c.client, func(t *testing.T) {
			before := len(rs.Lines())
			if got := mustExchange(t, c.client, c.addr, c.send); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			want := c.app + "[" + pid + "]: " + c.line
			deadline := time.Now().Add(10 * time.Second)
			for {
				found := false
				for _, l := range rs.Lines()[before:] {
					if l.AppName == c.app && l.ProcID == pid && strings.TrimSpace(l.Msg) == c.line {
						found = true
					}
				}
				if found {
					break
				}
				if time.Now().After(deadline) {
					var got []string
					for _, l := range rs.Lines()[before:] {
						got = append(got, l.Raw)
					}
					t.Fatalf("rsyslog did not get %q; got:\n  %s", want, strings.Join(got, "\n  "))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	t.Run("udp", func(t *testing.T) {
		addr := fmt.Sprintf("127.0.0.1:%d", d.uports[0])
		want := strings.TrimSuffix(fakeOutput("in.fake"), "\n") + ` got="hi"` + "\n"
		if got, ok := datagram(t, "127.0.0.4", addr, "hi", 5*time.Second); !ok || got != want {
			t.Errorf("127.0.0.4 got %q (%v), want %q", got, ok, want)
		}
		if got, ok := datagram(t, "127.0.0.2", addr, "hi", time.Second); ok {
			t.Errorf("127.0.0.2 got %q", got)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		svc := fmt.Sprintf("127.0.0.1:%d/tcp4", d.ports[0])
		// Two direct, one through the redirect service (from 127.0.0.1).
		if v := d.metric(t, `tcpwrapd_decisions_total{service="`+svc+`",verdict="granted"}`); v != 3 {
			t.Errorf("granted for %s: %v", svc, v)
		}
		if v := d.metric(t, `tcpwrapd_decisions_total{service="`+svc+`",verdict="denied"}`); v != 3 {
			t.Errorf("denied for %s: %v", svc, v)
		}
		if v := d.metric(t, `tcpwrapd_sessions_active{service="`+svc+`"}`); v != 0 {
			t.Errorf("active sessions %v", v)
		}
	})
	t.Run("records", func(t *testing.T) {
		b, _ := os.ReadFile(filepath.Join(d.dir, "records.jsonl"))
		for _, want := range []string{`"verdict":"granted","reason":"allow-table","daemon":"echo"`,
			fmt.Sprintf(`"event":"session-end","service":"127.0.0.1:%d/tcp4","daemon":"fwd","kind":"redirect"`, d.ports[3]),
			`"exit":{"exited":true,"code":0}`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("the records have no %q", want)
			}
		}
	})
}

func TestReloadUnderLoad(t *testing.T) {
	conf := func(word string, extra bool) string {
		s := "127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd /bin/echo " + word + "\n" +
			"127.0.0.1:{P1} stream tcp4 nowait root /bin/echo echo " + word + "\n"
		if extra {
			s += "127.0.0.1:{P2} stream tcp4 nowait root /bin/echo echo extra\n"
		}
		return s
	}
	d := startDaemon(t, daemonSpec{nports: 3, conf: conf("a", false), allow: "echo: 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4\n", deny: "ALL: ALL\n"})
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 1; i <= 4; i++ {
		for _, port := range []int{0, 1} {
			wg.Add(1)
			go func(src string, addr string) {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, err := exchange(src, addr, "")
					if err != nil || len(got) != 2 || got[1] != '\n' {
						failed.Add(1)
						t.Errorf("%s -> %s: %q %v", src, addr, got, err)
						continue
					}
					ok.Add(1)
				}
			}(fmt.Sprintf("127.0.0.%d", i), d.addr(port))
		}
	}
	readies := 1
	for i := 0; i < 12; i++ {
		word := string(rune('b' + i))
		d.write("inetd.conf", conf(word, i%2 == 0))
		if i%3 == 0 {
			// Also by signal (the file change reloads too).
			d.signal(syscall.SIGHUP)
		}
		// Wait until the new entry answers.
		deadline := time.Now().Add(10 * time.Second)
		for {
			if got, _ := exchange("127.0.0.1", d.addr(1), ""); got == word+"\n" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("reload %d not applied", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		readies++
	}
	// A configuration with a problem is rejected whole.
	d.write("inetd.conf", conf("z", true)+"127.0.0.1:{P2} stream tcp4 nowait nosuchuser /bin/echo echo bad\n")
	d.signal(syscall.SIGHUP)
	d.log.WaitFor(t, "problems: rejected, the running configuration stays")
	d.log.WaitFor(t, `unknown user "nosuchuser"`)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d connections during 13 reloads, %d failed", ok.Load(), failed.Load())
	if failed.Load() != 0 || ok.Load() < 100 {
		t.Errorf("%d connections, %d failed", ok.Load(), failed.Load())
	}
	if got := mustExchange(t, "127.0.0.1", d.addr(1), ""); got != "m\n" {
		t.Errorf("after the rejected reload: %q, want the last good configuration's", got)
	}
	// Every reload told systemd, with the time.
	var reloading int
	for _, m := range d.notify.all() {
		if strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") {
			reloading++
		}
	}
	if reloading < 13 {
		t.Errorf("%d RELOADING=1 messages: %q", reloading, d.notify.all())
	}
}

func TestFlood(t *testing.T) {
	d := startDaemon(t, daemonSpec{nports: 1, metrics: true,
		args:  []string{"--source-rate", "20/s", "--source-max", "4"},
		conf:  "127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd /bin/echo hi\n",
		allow: "echo: ALL\n"})
	stopFlood := loopback.Flood("127.0.0.5", d.addr(0), "hi\n", 8)
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 20; i++ {
		if got, err := exchange("127.0.0.2", d.addr(0), ""); got != "hi\n" {
			t.Errorf("127.0.0.2, connection %d: %q %v", i, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	flood, served := stopFlood()
	t.Logf("flood from 127.0.0.5: %d connections, %d served", flood, served)
	if flood < 200 || served > 70 {
		t.Errorf("flood of %d, %d served: not limited", flood, served)
	}
	svc := fmt.Sprintf("127.0.0.1:%d/tcp4", d.ports[0])
	if v := d.metric(t, `tcpwrapd_limit_refusals_total{reason="source-rate",service="`+svc+`"}`); v < 100 {
		t.Errorf("source-rate refusals: %v", v)
	}
	d.log.WaitFor(t, "limit source-")
	if n := len(d.log.Matching("limit source-")); n > 2 {
		t.Errorf("%d limit lines for one flood:\n%s", n, strings.Join(d.log.Matching("limit"), "\n"))
	}
	if n := len(d.log.Matching("127.0.0.2/32")); n > 0 {
		t.Error("127.0.0.2 was limited")
	}
	if n := len(d.log.Matching("refused connect from 127.0.0.5")); n > 0 {
		t.Errorf("limit refusals logged as access refusals: %d", n)
	}
}

// TestManyConnections: no descriptor or goroutine is left behind by
// 100,000 connections (5,000 with -short): checked ones to a built-in,
// with a 100,000-line deny table, and programs.
func TestManyConnections(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 5000
	}
	ports := freePorts(t, "tcp4", "127.0.0.1", 1)
	servicesFile := filepath.Join(t.TempDir(), "services")
	os.WriteFile(servicesFile, []byte(fmt.Sprintf("daytime %d/tcp\n", ports[0])), 0o644)
	var deny strings.Builder
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&deny, "ALL: 10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	d := startDaemon(t, daemonSpec{nports: 1, metrics: true, args: []string{"-l", "--services", servicesFile},
		conf: "127.0.0.1:daytime stream tcp4 nowait root internal\n" +
			"127.0.0.1:{P0} stream tcp4 nowait root /bin/true true\n",
		allow: "daytime true: 127.0.0.1 127.0.0.2\n", deny: deny.String()})
	builtin := fmt.Sprintf("127.0.0.1:%d", ports[0])
	run := func(n int, addr string) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					got, err := fetch("127.0.0.2", addr)
					if err != nil || (addr == builtin && len(got) != 26) {
						t.Errorf("%q %v", got, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	run(200, builtin)
	run(20, d.addr(0))
	time.Sleep(200 * time.Millisecond)
	fds, gs := openFDs(t, d.pid()), d.metric(t, "go_goroutines")
	el := run(n, builtin)
	t.Logf("%d connections to the checked built-in in %v (%.0f/s)", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	m := n / 50
	el = run(m, d.addr(0))
	t.Logf("%d connections to /bin/true in %v (%.0f/s)", m, el.Round(time.Millisecond), float64(m)/el.Seconds())
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, g := openFDs(t, d.pid()), d.metric(t, "go_goroutines")
		if f <= fds && g <= gs {
			t.Logf("descriptors %d (before %d), goroutines %v (before %v)", f, fds, g, gs)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d connections: %d descriptors (was %d), %v goroutines (was %v)", n+m, f, fds, g, gs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var st struct{ rss int }
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.pid())); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				st.rss, _ = strconv.Atoi(strings.Fields(l)[1])
			}
		}
	}
	t.Logf("resident memory with the 100,000-line table: %d kB", st.rss)
}

func TestSocketActivation(t *testing.T) {
	if _, err := os.Stat("/usr/bin/systemd-socket-activate"); err != nil {
		t.Skip("systemd-socket-activate is not installed (package systemd)")
	}
	ports := freePorts(t, "tcp4", "127.0.0.1", 2)
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	dir := t.TempDir()
	notify := newNotifySocket(t, dir)
	spec := daemonSpec{nports: 1, noReady: true,
		conf: fmt.Sprintf("127.0.0.1:%d stream tcp4 nowait root /bin/echo echo activated\n", ports[0]) +
			"127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo own\n",
		wrap: []string{"/usr/bin/systemd-socket-activate", "-l", addr, "-E", "NOTIFY_SOCKET=" + notify.path}}
	d := startDaemon(t, spec)
	// systemd-socket-activate starts tcpwrapd at the first connection,
	// which tcpwrapd then serves on the socket it was given.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := exchange("127.0.0.1", addr, "")
		if err == nil {
			if got != "activated\n" {
				t.Fatalf("first connection: %q\n%s", got, d.stderr.String())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("systemd-socket-activate does not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	notify.waitFor(t, "READY=1", 1)
	if got := mustExchange(t, "127.0.0.3", addr, ""); got != "activated\n" {
		t.Errorf("second connection: %q", got)
	}
	if got := mustExchange(t, "127.0.0.1", d.addr(0), ""); got != "own\n" {
		t.Errorf("the service with its own socket: %q", got)
	}
	// A reload that drops the activated service and adds it back finds
	// the socket again (systemd keeps it open).
	d.write("inetd.conf", "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo own\n")
	d.signal(syscall.SIGHUP)
	notify.waitFor(t, "READY=1", 2)
	d.write("inetd.conf", fmt.Sprintf("127.0.0.1:%d stream tcp4 nowait root /bin/echo echo again\n", ports[0]))
	d.signal(syscall.SIGHUP)
	deadline = time.Now().Add(10 * time.Second)
	for {
		if got, _ := exchange("127.0.0.1", addr, ""); got == "again\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the activated socket was not served again:\n%s", d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWatchdogAndStop(t *testing.T) {
	d := startDaemon(t, daemonSpec{nports: 1, env: []string{"WATCHDOG_USEC=200000"},
		conf: "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo hi\n"})
	d.notify.waitFor(t, "WATCHDOG=1", 3)
	d.signal(syscall.SIGTERM)
	select {
	case <-d.waited:
	case <-time.After(10 * time.Second):
		t.Fatal("tcpwrapd did not stop on SIGTERM")
	}
	if !d.cmd.ProcessState.Success() {
		t.Errorf("exit: %v", d.cmd.ProcessState)
	}
	d.notify.waitFor(t, "STOPPING=1", 1)
}

func TestDaemonize(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, "tcp4", "127.0.0.1", 1)[0]
	conf := filepath.Join(dir, "inetd.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("127.0.0.1:%d stream tcp4 nowait root /bin/echo echo bg\n", port)), 0o644)
	os.WriteFile(filepath.Join(dir, "logging.conf"), []byte("syslog off\njson off\n"), 0o644)
	pidfile := filepath.Join(dir, "pid")
	common := []string{"--logging-conf", filepath.Join(dir, "logging.conf"), "--hosts-allow", "/dev/null", "--hosts-deny", "/dev/null"}
	out, err := exec.Command(binary(t), append(common, "--pidfile", pidfile, conf)...).CombinedOutput()
	if err != nil {
		t.Fatalf("start in the background: %v\n%s", err, out)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if got := mustExchange(t, "127.0.0.1", fmt.Sprintf("127.0.0.1:%d", port), ""); got != "bg\n" {
		t.Errorf("got %q", got)
	}
	if sid, _ := syscall.Getpgid(pid); sid != pid {
		t.Errorf("the daemon's process group is %d, not its own (%d)", sid, pid)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not stop")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(pidfile); err == nil {
		t.Error("the pid file is left behind")
	}
	// A start that fails says why, from the background.
	out, err = exec.Command(binary(t), append(common, filepath.Join(dir, "missing.conf"))...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "missing.conf: no such file or directory") {
		t.Errorf("a failed start: %v\n%s", err, out)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "inetd.conf")
	os.WriteFile(conf, []byte("7007 stream tcp4 nowait nosuchuser /bin/echo echo\n7008 stream tcp4 wait root redirect x 127.0.0.1:1\n7009 stream tcp4 nowait root /bin/echo echo\n"), 0o644)
	out, err := exec.Command(binary(t), "--check", conf).CombinedOutput()
	want := []string{conf + `:1: 7007/tcp4: unknown user "nosuchuser": skipped`, conf + ":2: 7008/tcp4: a redirect service must be nowait: skipped",
		"2 problems"}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("--check does not say %q:\n%s", w, out)
		}
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("--check with problems: %v", err)
	}
	os.WriteFile(conf, []byte("7009 stream tcp4 nowait root /bin/echo echo\n"), 0o644)
	if out, err := exec.Command(binary(t), "--check", conf).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("--check of a good file: %v %q", err, out)
	}
	// An IPv4 host on a tcp entry (IPv4 and IPv6) has no IPv6 listener,
	// as openbsd-inetd also says; the IPv4 one is made: a note, not a
	// problem.
	os.WriteFile(conf, []byte("127.0.0.2:7009 stream tcp nowait root /bin/echo echo\n"), 0o644)
	out, err = exec.Command(binary(t), "--check", conf).CombinedOutput()
	if err != nil || !strings.Contains(string(out), conf+`:1: note: 7009/tcp6: host "127.0.0.2": an IPv4 address, and tcp6 listens on IPv6: no listener there`) {
		t.Errorf("--check of an IPv4 host on a tcp entry: %v %q", err, out)
	}
	// --check also reads the logging configuration, which would stop
	// tcpwrapd from starting, and says why a services file is not used.
	logConf := filepath.Join(dir, "logging.conf")
	os.WriteFile(logConf, []byte("syslog on\nsyslog maybe\n"), 0o644)
	os.WriteFile(conf, []byte("7009 stream tcp4 nowait root /bin/echo echo\n"), 0o644)
	out, err = exec.Command(binary(t), "--check", "--logging-conf", logConf, "--services", filepath.Join(dir, "none"), conf).CombinedOutput()
	for _, w := range []string{"logging: " + logConf + ":2: ", filepath.Join(dir, "none") + ": note: cannot read the services file", "1 problem\n"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("--check does not say %q:\n%s", w, out)
		}
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("--check with a bad logging.conf: %v", err)
	}
}

// Reloads accept notes, and tell what they could not apply: a new
// listener whose port is taken is logged with its file and line.
func TestReloadNotesAndBusyPorts(t *testing.T) {
	d := startDaemon(t, daemonSpec{nports: 2, allow: "ALL: ALL\n",
		conf: "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo\n"})
	busy, err := net.Listen("tcp4", d.addr(1))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	d.write("inetd.conf", d.expand("127.0.0.1:{P0} stream tcp nowait root /bin/echo echo\n"+
		"127.0.0.1:{P1} stream tcp4 nowait root /bin/echo echo\n"))
	d.signal(syscall.SIGHUP)
	d.log.WaitFor(t, "reloaded (SIGHUP)")
	d.log.WaitFor(t, fmt.Sprintf(`inetd.conf:1: note: %d/tcp6: host "127.0.0.1": an IPv4 address`, d.ports[0]))
	d.log.WaitFor(t, fmt.Sprintf("inetd.conf:2: 127.0.0.1:%d/tcp4: listen tcp4 127.0.0.1:%d: bind: address already in use (tried again every", d.ports[1], d.ports[1]))
	if got := mustExchange(t, "127.0.0.1", d.addr(0), ""); got != "\n" {
		t.Errorf("the kept service answered %q", got)
	}
}

// A descriptor tcpwrapd was started with (here a file as fd 3, as a
// shell's "exec 3>file" leaves it) does not reach the services, as
// openbsd-inetd closes them before it runs one.
func TestInheritedDescriptorsStayOut(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	marker := filepath.Join(dir, "inherited-marker")
	f, err := os.Create(marker)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	script := filepath.Join(dir, "fds.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nfor f in /proc/$$/fd/*; do echo \"$f $(readlink $f)\"; done\n"), 0o755)
	d := startDaemon(t, daemonSpec{nports: 1, extraFiles: []*os.File{f},
		conf:  "127.0.0.1:{P0} stream tcp4 nowait root " + script + " fds\n",
		allow: "ALL: ALL\n"})
	got := mustExchange(t, "127.0.0.1", d.addr(0), "")
	if !strings.Contains(got, "/fd/0 socket:") {
		t.Fatalf("the service listed %q", got)
	}
	if strings.Contains(got, marker) {
		t.Errorf("the service inherited tcpwrapd's fd 3:\n%s", got)
	}
}

// A second tcpwrapd with the same --pidfile does not start (nor take the
// file over); a pidfile whose process is gone does not stop a start.
func TestPidfile(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "tcpwrapd.pid")
	a := startDaemon(t, daemonSpec{nports: 1, args: []string{"--pidfile", pidfile},
		conf: "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo\n"})
	if got := pidIn(t, pidfile); got != a.pid() {
		t.Fatalf("pidfile holds %d, want %d", got, a.pid())
	}
	conf := filepath.Join(t.TempDir(), "inetd.conf")
	port := freePorts(t, "tcp4", "127.0.0.1", 1)[0]
	os.WriteFile(conf, []byte(fmt.Sprintf("127.0.0.1:%d stream tcp4 nowait root /bin/echo echo\n", port)), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t), "-i", "--pidfile", pidfile, "--logging-conf", "/dev/null", conf).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 ||
		!strings.Contains(string(out), fmt.Sprintf("tcpwrapd is already running as process %d", a.pid())) {
		t.Errorf("second instance: %v %q", err, out)
	}
	if got := pidIn(t, pidfile); got != a.pid() {
		t.Errorf("after the second instance the pidfile holds %d, want %d", got, a.pid())
	}
	// A stale pidfile: the process of a finished command.
	gone := exec.Command("/bin/true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(t.TempDir(), "stale.pid")
	os.WriteFile(stale, []byte(fmt.Sprintf("%d\n", gone.Process.Pid)), 0o644)
	b := startDaemon(t, daemonSpec{nports: 1, args: []string{"--pidfile", stale},
		conf: "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo\n"})
	if got := pidIn(t, stale); got != b.pid() {
		t.Errorf("stale pidfile holds %d, want %d", got, b.pid())
	}
}

func pidIn(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
