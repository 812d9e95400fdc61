package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// running is "tcpdwatch run" started in-process.
type running struct {
	t      *testing.T
	sigs   chan os.Signal
	done   chan int
	stderr *syncBuffer
}

// startRun runs "tcpdwatch run -c conf" in a goroutine and waits until it
// follows its inputs.
func startRun(t *testing.T, conf string) *running {
	t.Helper()
	r := &running{t: t, sigs: make(chan os.Signal, 4), done: make(chan int, 1), stderr: &syncBuffer{}}
	e := testEnv(nil)
	e.stdout, e.stderr = io.Discard, r.stderr
	e.signals = func() (<-chan os.Signal, func()) { return r.sigs, func() {} }
	ready := make(chan struct{})
	e.ready = func() { close(ready) }
	go func() { r.done <- run([]string{"tcpdwatch", "run", "-c", conf}, e) }()
	select {
	case <-ready:
	case code := <-r.done:
		t.Fatalf("run exited with %d before it was ready:\n%s", code, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("run not ready after 30s:\n%s", r.stderr)
	}
	t.Cleanup(func() {
		select {
		case r.sigs <- syscall.SIGTERM:
			<-r.done
		default:
		}
	})
	return r
}

// stop sends SIGTERM and returns the exit status.
func (r *running) stop() int {
	r.sigs <- syscall.SIGTERM
	select {
	case code := <-r.done:
		r.sigs = make(chan os.Signal) // Cleanup has nothing to stop
		return code
	case <-time.After(60 * time.Second):
		r.t.Fatalf("run did not stop in 60s:\n%s", r.stderr)
	}
	return -1
}

// waitLog waits until the daemon's messages contain s.
func (r *running) waitLog(s string) {
	r.t.Helper()
	waitFor(r.t, 30*time.Second, fmt.Sprintf("%q in the log:\n%s", s, r.stderr), func() bool { return strings.Contains(r.stderr.String(), s) })
}

// hookServer records the webhook notices it receives.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// opened counts the "opened" notices per source.
func (h *hookServer) opened() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]int{}
	for _, b := range h.bodies {
		if b["kind"] == "opened" {
			m[fmt.Sprint(b["source"])]++
		}
	}
	return m
}

// tcpdLine is a tcpd line as rsyslog's high-precision format has it,
// time stamped now.
func tcpdLine(prog, verdict, addr string) string {
	msg := "connect from " + addr + " (" + addr + ")"
	if verdict == "refused" {
		msg = "refused " + msg
	}
	return time.Now().UTC().Format("2006-01-02T15:04:05.000000-07:00") + " gate " + prog + ": " + msg
}

func refusals(addr string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, tcpdLine(fmt.Sprintf("in.fingerd[%d]", 100+i), "refused", addr))
	}
	return out
}

// fileContains reports whether the file holds the line.
func fileHasLine(path, line string) bool {
	data, _ := os.ReadFile(path)
	for _, l := range strings.Split(string(data), "\n") {
		if l == line {
			return true
		}
	}
	return false
}

// daemonConf writes a configuration following log, with a threshold of
// count refusals, the webhook and the ban list.
func daemonConf(t *testing.T, dir, log, hook string, count int, extra string) string {
	return daemonConfQuiet(t, dir, log, hook, count, "1h", extra)
}

// daemonConfQuiet is daemonConf with the incidents' quiet time.
func daemonConfQuiet(t *testing.T, dir, log, hook string, count int, quiet, extra string) string {
	conf := filepath.Join(dir, "tcpdwatch.conf")
	writeFile(t, conf, fmt.Sprintf(`[tcpdwatch]
state-dir = %s/state
daemons = in.fingerd
checkpoint = 50ms

[input log]
file = %s
start = beginning

[alert]
quiet = %s

[rule repeat]
kind = threshold
count = %d
within = 1m
actions = hook ban

[action hook]
kind = webhook
url = %s

[ban]
file = %s/banned
default-allow = no
allow = 192.0.2.1
%s`, dir, log, quiet, count, hook, dir, extra))
	return conf
}

// TestDaemon runs the follow daemon in-process against a file written by
// the test: a threshold alert goes to a webhook (a real HTTP server on
// loopback) and bans the offender; forged lines ban nobody; the
// allowlist is honoured; SIGHUP reloads (a broken file changes nothing);
// after SIGTERM and a restart nothing is alerted twice.
func TestDaemon(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	banned := filepath.Join(dir, "banned")
	hook := newHookServer(t)
	conf := daemonConf(t, dir, log, hook.URL, 3, "")
	writeFile(t, log, "")
	d := startRun(t, conf)

	appendLines(t, log, refusals("192.0.2.7", 3)...)
	waitFor(t, 30*time.Second, "192.0.2.7 banned", func() bool { return fileHasLine(banned, "192.0.2.7") })
	d.waitLog("banned pattern=192.0.2.7 ")

	// Forged: another program's line in tcpd's words, and our words
	// inside another message; then a real offender, so that the forged
	// lines have certainly been read when its ban appears.
	var forged []string
	for range 5 {
		forged = append(forged,
			tcpdLine("sshd[1]", "refused", "192.0.2.66"),
			time.Now().UTC().Format("2006-01-02T15:04:05.000000-07:00")+" gate sshd[2]: Invalid user refused connect from 192.0.2.66 (192.0.2.66) from 192.0.2.67 port 22",
		)
	}
	appendLines(t, log, forged...)
	appendLines(t, log, refusals("192.0.2.8", 3)...)
	waitFor(t, 30*time.Second, "192.0.2.8 banned", func() bool { return fileHasLine(banned, "192.0.2.8") })

	// The allowlist: alerted, not banned.
	appendLines(t, log, refusals("192.0.2.1", 3)...)
	d.waitLog("not banned: on the allowlist addr=192.0.2.1")
	waitFor(t, 30*time.Second, "the webhook for 192.0.2.1", func() bool { return hook.opened()["192.0.2.1"] == 1 })

	// Reload with a lower threshold: two refusals are enough.
	daemonConf(t, dir, log, hook.URL, 2, "")
	d.sigs <- syscall.SIGHUP
	d.waitLog("reloaded")
	appendLines(t, log, refusals("192.0.2.9", 2)...)
	waitFor(t, 30*time.Second, "192.0.2.9 banned", func() bool { return fileHasLine(banned, "192.0.2.9") })

	// A broken file changes nothing.
	writeFile(t, conf, "[tcpdwatch]\nnonsense = 1\n")
	d.sigs <- syscall.SIGHUP
	d.waitLog("reload failed: keeping the running configuration")
	appendLines(t, log, refusals("192.0.2.10", 2)...)
	waitFor(t, 30*time.Second, "192.0.2.10 banned", func() bool { return fileHasLine(banned, "192.0.2.10") })

	if code := d.stop(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, d.stderr)
	}
	d.waitLog("tcpdwatch: stopped ")
	before := hook.opened()

	// Lines written while it was stopped are read after the restart;
	// nothing read before is read again (no second alert).
	daemonConf(t, dir, log, hook.URL, 2, "")
	appendLines(t, log, refusals("192.0.2.11", 2)...)
	d2 := startRun(t, conf)
	waitFor(t, 30*time.Second, "192.0.2.11 banned", func() bool { return fileHasLine(banned, "192.0.2.11") })
	waitFor(t, 30*time.Second, "the webhook for 192.0.2.11", func() bool { return hook.opened()["192.0.2.11"] == 1 })
	if code := d2.stop(); code != exitOK {
		t.Fatalf("second run: exit %d:\n%s", code, d2.stderr)
	}
	got := hook.opened()
	for _, a := range []string{"192.0.2.7", "192.0.2.8", "192.0.2.1", "192.0.2.9", "192.0.2.10", "192.0.2.11"} {
		if got[a] != 1 {
			t.Errorf("%s: %d opened notices, want 1", a, got[a])
		}
	}
	if len(got) != 6 || before["192.0.2.11"] != 0 {
		t.Errorf("opened notices: %v (before the restart %v)", got, before)
	}
	data, _ := os.ReadFile(banned)
	if strings.Contains(string(data), "192.0.2.66") || strings.Contains(string(data), "192.0.2.67") || got["192.0.2.66"] != 0 {
		t.Errorf("a forged line had an effect: ban list %q, notices %v", data, got)
	}
	if want := "192.0.2.7\n192.0.2.8\n192.0.2.9\n192.0.2.10\n192.0.2.11\n"; string(data) != want {
		t.Errorf("ban list %q, want %q", data, want)
	}
	t.Logf("first run:\n%s\nsecond run:\n%s", d.stderr, d2.stderr)
}

// TestDaemonExpiry: a ban ends when its time is up, and the list says
// so. The client kept trying while banned; those refusals are not new
// offences (they do not keep the incident open), so once the ban has
// ended, new refusals make a new incident and a longer ban.
func TestDaemonExpiry(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	banned := filepath.Join(dir, "banned")
	hook := newHookServer(t)
	conf := daemonConfQuiet(t, dir, log, hook.URL, 3, "200ms", "duration = 1s\n")
	writeFile(t, log, "")
	d := startRun(t, conf)
	appendLines(t, log, refusals("192.0.2.7", 3)...)
	waitFor(t, 30*time.Second, "192.0.2.7 banned", func() bool { return fileHasLine(banned, "192.0.2.7") })
	d.waitLog("banned pattern=192.0.2.7 ")
	// Refused by the ban, again and again, for less than its second.
	for range 5 {
		appendLines(t, log, refusals("192.0.2.7", 1)...)
		time.Sleep(20 * time.Millisecond)
	}
	d.waitLog("ban ended pattern=192.0.2.7")
	// Both the first incident's quiet time (200ms, checked every second)
	// and the ban have passed: three new refusals are a second offence.
	time.Sleep(1500 * time.Millisecond)
	appendLines(t, log, refusals("192.0.2.7", 3)...)
	d.waitLog("offence=2 rule=repeat")
	if !fileHasLine(banned, "192.0.2.7") {
		t.Error("the second ban is not in the list")
	}
	if code := d.stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if n := hook.opened()["192.0.2.7"]; n != 2 {
		t.Errorf("%d alerts, want 2 (one per offence)", n)
	}
	if !strings.Contains(d.stderr.String(), "stopped refusals-of-banned-clients=") || strings.Contains(d.stderr.String(), "refusals-of-banned-clients=0") {
		t.Error("no refusal was counted as the ban's")
	}
	t.Logf("\n%s", d.stderr)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestDaemonReceiver: a syslog receiver input on loopback, restricted to
// 127.0.0.2: messages from 127.0.0.1 are dropped, those from 127.0.0.2
// count, over UDP and TCP.
func TestDaemonReceiver(t *testing.T) {
	dir := t.TempDir()
	banned := filepath.Join(dir, "banned")
	udp, tcp := freePort(t, "udp"), freePort(t, "tcp")
	conf := filepath.Join(dir, "tcpdwatch.conf")
	writeFile(t, conf, fmt.Sprintf(`[tcpdwatch]
state-dir = %s/state
daemons = in.fingerd
[input net]
udp = 127.0.0.1:%d
tcp = 127.0.0.1:%d
allow = 127.0.0.2
[rule repeat]
kind = threshold
count = 3
within = 1m
actions = ban
[ban]
file = %s
default-allow = no
`, dir, udp, tcp, banned))
	d := startRun(t, conf)
	msg := func(addr string) []byte {
		return []byte(fmt.Sprintf("<38>%s gate in.fingerd[7]: refused connect from %s (%s)", time.Now().Format(time.Stamp), addr, addr))
	}
	send := func(from, network string, port int, addr string) {
		t.Helper()
		la := &net.UDPAddr{IP: net.ParseIP(from)}
		var c net.Conn
		var err error
		if network == "udp" {
			c, err = net.DialUDP("udp", la, &net.UDPAddr{IP: net.ParseIP("127.0.0.1"), Port: port})
		} else {
			c, err = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for range 3 {
			m := msg(addr)
			if network == "tcp" {
				m = append(m, '\n')
			}
			if _, err := c.Write(m); err != nil && from == "127.0.0.2" {
				t.Fatal(err)
			}
		}
	}
	send("127.0.0.1", "udp", udp, "198.51.100.1") // not allowed to send
	send("127.0.0.1", "tcp", tcp, "198.51.100.2") // not allowed to send
	send("127.0.0.2", "udp", udp, "198.51.100.3")
	send("127.0.0.2", "tcp", tcp, "198.51.100.4")
	waitFor(t, 30*time.Second, "bans from both transports", func() bool {
		return fileHasLine(banned, "198.51.100.3") && fileHasLine(banned, "198.51.100.4")
	})
	if code := d.stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	data, _ := os.ReadFile(banned)
	if string(data) != "198.51.100.3\n198.51.100.4\n" {
		t.Errorf("ban list %q: senders outside allow were heard", data)
	}
}
