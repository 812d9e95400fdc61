package main

// The differential test: Debian's openbsd-inetd running Debian's
// /usr/sbin/tcpd, and tcpwrapd, from the same inetd.conf (on different
// ports), with the same tables and the same clients. Each runs in a
// private mount namespace (tcpdtest's nswrap) where the tables are
// bind-mounted over /etc/hosts.allow and /etc/hosts.deny, so that
// diagnostics name the same files, and /dev/log leads to a socket of the
// test. Compared, per daemon name: the syslog lines of the wrapper
// (facility, severity, name, text; process ids masked), what each client
// received, and what spawned commands wrote.
//
// Documented differences, not compared: Debian's tcpd sleeps 5 s after a
// refusal (tcpwrapd closes at once), the process id in the lines (tcpd's
// own, tcpwrapd's), inetd's and tcpwrapd's own messages, and the
// environment of the services (inetd's, or tcpwrapd's clean one).

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"tcpwrap/internal/loopback"
	"testing"
	"time"

	"tcpwrap/internal/tcpdtest"
)

// diffService is one inetd.conf entry (one daemon name) and its clients.
type diffService struct {
	name    string   // the daemon, in.gNN
	network string   // "tcp4" (default), "tcp6" or "udp4"
	clients []string // connected one after the other
	send    string
}

// The tables. SCRATCH is the run's directory. Each rule names one
// daemon, so that each service tests one thing; the last allow line is
// malformed, so every decision that reads the whole allow table warns.
const diffAllow = `in.g03: ALL: twist /bin/echo twisted %a %d %c
in.g04: ALL: spawn (echo %d %a; readlink /proc/$$/fd/0) > SCRATCH/spawned.g04
in.g05: ALL: umask 027: nice 7: setenv FOO  bar baz %a : keepalive: linger 9: severity auth.notice
in.g07: ALL: banners SCRATCH/ban
in.g09: 127.0.0.1 127.0.0.3
in.g10: ALL: aclexec /bin/false
in.g12: ALL: frobnicate
in.g13: ALL: severity nonsense
in.g15: ALL: setenv FOO %d-%a: twist echo "$FOO"
in.g16: ALL EXCEPT 127.0.0.4
in.g17: 127.0.0.0/255.255.255.252
in.g18: [::1]
in.g19: 127.0.0.1
in.g21: ALL: linger -1
in.g22: ALL: deny
in.g24: ALL: spawn echo %n %h %c > SCRATCH/spawned.g24
in.g25: 127.0.0. EXCEPT 127.0.0.3 127.0.0.5: keepalive
in.g26: LOCAL
in.gxx 127.0.0.1
`

const diffDeny = `in.g02: ALL
in.g06: ALL: severity CRIT
in.g08: ALL: spawn echo %d %c %s %h > SCRATCH/spawned.g08
in.g09: ALL
in.g10: ALL: severity notice
in.g11: ALL: aclexec test %a = 127.0.0.1
in.g14: 127.0.0.2: twist echo go away %c
in.g16 in.g17 in.g18: ALL
in.g19 in.g20: ALL
in.g23: ALL: allow
in.g25 in.g26: ALL
`

var diffServices = []diffService{
	{name: "in.g01", clients: []string{"127.0.0.1"}},
	{name: "in.g02", clients: []string{"127.0.0.2"}},
	{name: "in.g03", clients: []string{"127.0.0.3"}},
	{name: "in.g04", clients: []string{"127.0.0.1"}},
	{name: "in.g05", clients: []string{"127.0.0.1"}},
	{name: "in.g06", clients: []string{"127.0.0.5"}},
	{name: "in.g07", clients: []string{"127.0.0.2"}},
	{name: "in.g08", clients: []string{"127.0.0.4"}},
	{name: "in.g09", clients: []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}},
	{name: "in.g10", clients: []string{"127.0.0.1"}},
	{name: "in.g11", clients: []string{"127.0.0.1", "127.0.0.2"}},
	{name: "in.g12", clients: []string{"127.0.0.1"}},
	{name: "in.g13", clients: []string{"127.0.0.1"}},
	{name: "in.g14", clients: []string{"127.0.0.2", "127.0.0.1"}},
	{name: "in.g15", clients: []string{"127.0.0.3"}},
	{name: "in.g16", clients: []string{"127.0.0.3", "127.0.0.4"}},
	{name: "in.g17", clients: []string{"127.0.0.2", "127.0.0.5"}},
	{name: "in.g18", network: "tcp6", clients: []string{"::1"}},
	{name: "in.g19", network: "udp4", clients: []string{"127.0.0.1"}, send: "dgram1"},
	{name: "in.g20", network: "udp4", clients: []string{"127.0.0.2"}, send: "dgram2"},
	{name: "in.g21", clients: []string{"127.0.0.1"}},
	{name: "in.g22", clients: []string{"127.0.0.4"}},
	{name: "in.g23", clients: []string{"127.0.0.5"}},
	{name: "in.g24", clients: []string{"127.0.0.1"}},
	{name: "in.g25", clients: []string{"127.0.0.2", "127.0.0.3", "127.0.0.5"}},
	{name: "in.g26", clients: []string{"127.0.0.1"}},
}

// diffRun is one super-server running the services.
type diffRun struct {
	label string
	dir   string
	ports map[string]int
	log   *loopback.SyslogSink
	got   map[string][]string // daemon -> what each client received
	mu    sync.Mutex
}

func TestDiffDebian(t *testing.T) {
	if ok, why := tcpdtest.DebianAvailable(); !ok {
		t.Skip(why)
	}
	for _, p := range []string{"/usr/sbin/inetd", "/usr/sbin/tcpd"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed (packages openbsd-inetd, tcpd)", p)
		}
	}
	bin := tcpdtest.BinDir(t)
	fake := tcpdtest.FakeDaemon(t)
	ours := binary(t)
	runs := []*diffRun{{label: "debian"}, {label: "tcpwrapd"}}
	for _, r := range runs {
		// Each run has its own directory (tables, banners, spawned
		// files), shown as SCRATCH in what is compared.
		r.dir = t.TempDir()
		os.Chmod(r.dir, 0o755)
		dir := r.dir
		sub := func(s string) string { return strings.ReplaceAll(s, "SCRATCH", dir) }
		// Every daemon is the fake daemon under its own name.
		for _, s := range diffServices {
			if err := os.Symlink(fake, filepath.Join(dir, s.name)); err != nil {
				t.Fatal(err)
			}
		}
		os.MkdirAll(filepath.Join(dir, "ban"), 0o755)
		os.WriteFile(filepath.Join(dir, "ban", "in.g07"), []byte("Welcome %h to %d\nline two [unbalanced\n"), 0o644)
		allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
		os.WriteFile(allow, []byte(sub(diffAllow)), 0o644)
		os.WriteFile(deny, []byte(sub(diffDeny)), 0o644)
		os.WriteFile(filepath.Join(dir, "logging.conf"), []byte("syslog on\njson off\n"), 0o644)
		r.log = loopback.NewSyslogSink(t)
		r.got = map[string][]string{}
		r.ports = map[string]int{}
		var conf strings.Builder
		for _, s := range diffServices {
			network := s.network
			if network == "" {
				network = "tcp4"
			}
			host, socket, wait := "127.0.0.1", "stream", "nowait"
			switch network {
			case "tcp6":
				host = "[::1]"
			case "udp4":
				socket, wait = "dgram", "wait"
			}
			r.ports[s.name] = freePorts(t, network, strings.Trim(host, "[]"), 1)[0]
			fmt.Fprintf(&conf, "%s:%d %s %s %s root /usr/sbin/tcpd %s\n", host, r.ports[s.name], socket, network, wait, filepath.Join(dir, s.name))
		}
		confPath := filepath.Join(dir, "inetd.conf")
		os.WriteFile(confPath, []byte(conf.String()), 0o644)
		oldDev := filepath.Join(dir, ".olddev")
		os.MkdirAll(oldDev, 0o755)
		argv := []string{"/usr/sbin/inetd", "inetd", "-i", confPath}
		if r.label == "tcpwrapd" {
			argv = []string{ours, "tcpwrapd", "-i", "--logging-conf", filepath.Join(dir, "logging.conf"), confPath}
		}
		cmd := exec.Command(filepath.Join(bin, "nswrap"), append([]string{oldDev, r.log.Path, allow, deny, "-"}, argv...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C", "TZ=UTC"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true, Pdeathsig: syscall.SIGKILL}
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			cmd.Wait()
			if t.Failed() {
				t.Logf("%s said: %s", r.label, out.String())
			}
		})
		for _, s := range diffServices {
			network := s.network
			if network == "" {
				network = "tcp4"
			}
			waitListening(t, network, r.ports[s.name])
		}
	}

	// Both at once; each service's clients one after the other.
	start := time.Now()
	var wg sync.WaitGroup
	for _, r := range runs {
		for _, s := range diffServices {
			wg.Add(1)
			go func(r *diffRun, s diffService) {
				defer wg.Done()
				for _, c := range s.clients {
					var got string
					switch s.network {
					case "udp4":
						got, _ = datagram(t, c, fmt.Sprintf("127.0.0.1:%d", r.ports[s.name]), s.send, 3*time.Second)
					case "tcp6":
						got, _ = exchange(c, fmt.Sprintf("[::1]:%d", r.ports[s.name]), s.send)
					default:
						got, _ = exchange(c, fmt.Sprintf("127.0.0.1:%d", r.ports[s.name]), s.send)
					}
					got = strings.ReplaceAll(got, r.dir, "SCRATCH")
					r.mu.Lock()
					r.got[s.name] = append(r.got[s.name], c+": "+got)
					r.mu.Unlock()
				}
			}(r, s)
		}
	}
	wg.Wait()
	t.Logf("all connections done in %v", time.Since(start).Round(time.Millisecond))
	// Debian's tcpd logs before it sleeps; give the last lines a moment.
	time.Sleep(300 * time.Millisecond)

	byDaemon := func(r *diffRun) map[string][]string {
		m := map[string][]string{}
		for _, l := range r.log.Lines() {
			l = strings.ReplaceAll(l, r.dir, "SCRATCH")
			for _, s := range diffServices {
				if strings.Contains(l, "] "+s.name+"[PID]: ") {
					m[s.name] = append(m[s.name], l)
				}
			}
		}
		return m
	}
	debLog, ourLog := byDaemon(runs[0]), byDaemon(runs[1])
	compared := 0
	for _, s := range diffServices {
		t.Run(s.name, func(t *testing.T) {
			d, o := strings.Join(debLog[s.name], "\n"), strings.Join(ourLog[s.name], "\n")
			if d == "" {
				t.Errorf("Debian's tcpd logged nothing for %s", s.name)
			}
			if d != o {
				t.Errorf("syslog differs:\nDebian:\n  %s\ntcpwrapd:\n  %s", strings.ReplaceAll(d, "\n", "\n  "), strings.ReplaceAll(o, "\n", "\n  "))
			}
			compared += len(debLog[s.name])
			dg, og := runs[0].got[s.name], runs[1].got[s.name]
			if strings.Join(dg, "\x00") != strings.Join(og, "\x00") {
				t.Errorf("clients received:\nDebian   %q\ntcpwrapd %q", dg, og)
			}
		})
	}
	for _, f := range []string{"spawned.g04", "spawned.g08", "spawned.g24"} {
		var got []string
		for _, r := range runs {
			b, err := os.ReadFile(filepath.Join(r.dir, f))
			if err != nil {
				t.Errorf("%s %s: %v", r.label, f, err)
			}
			got = append(got, strings.ReplaceAll(string(b), r.dir, "SCRATCH"))
		}
		if got[0] != got[1] {
			t.Errorf("%s: Debian %q, tcpwrapd %q", f, got[0], got[1])
		}
	}
	t.Logf("%d services, %d syslog lines compared", len(diffServices), compared)
}

// waitListening waits until a port is open: listening for TCP, bound
// for UDP (looked up in /proc/net, so that no connection is made).
func waitListening(t *testing.T, network string, port int) {
	t.Helper()
	files := map[string]string{"tcp4": "/proc/net/tcp", "tcp6": "/proc/net/tcp6", "udp4": "/proc/net/udp"}
	want := fmt.Sprintf(":%04X", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		f, err := os.Open(files[network])
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		found := false
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 3 && strings.HasSuffix(fields[1], want) && (network == "udp4" || fields[3] == "0A") {
				found = true
			}
		}
		f.Close()
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s port %d", network, port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
