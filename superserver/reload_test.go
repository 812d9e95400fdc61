package superserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"tcpwrap/internal/loopback"
	"testing"
	"time"

	"tcpwrap/limits"
	"tcpwrap/superserver"
)

func TestReloadKeepsSocketsAndSessions(t *testing.T) {
	h := start(t, setup{nports: 3})
	conf := func(argv string) string {
		return "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo " + argv + "\n" +
			"127.0.0.1:{P1} stream tcp4 nowait root /bin/cat cat\n"
	}
	if w, err := h.load(conf("one"), true); err != nil {
		t.Fatal(w, err)
	}
	// A session of the cat service, running while its service goes.
	long, err := net.Dial("tcp", h.addr(1))
	if err != nil {
		t.Fatal(err)
	}
	defer long.Close()
	io.WriteString(long, "before ")
	// Clients hammer the echo service from four addresses while the
	// configuration changes under them.
	var failures, done atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 1; i <= 4; i++ {
		wg.Add(1)
		go func(src string) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := exchange(src, h.addr(0), "")
				if err != nil || (got != "one\n" && got != "two\n") {
					failures.Add(1)
					t.Errorf("%s: %q %v", src, got, err)
				}
				done.Add(1)
			}
		}(fmt.Sprintf("127.0.0.%d", i))
	}
	for i := 0; i < 20; i++ {
		argv := []string{"one", "two"}[i%2]
		extra := ""
		if i%3 == 0 {
			extra = "127.0.0.1:{P2} stream tcp4 nowait root /bin/echo echo extra\n"
		}
		c := conf(argv) + extra
		if i == 19 {
			// The cat service goes away; its session stays.
			c = "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo two\n" + extra
		}
		if w, err := h.load(c, true); err != nil {
			t.Fatal(w, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d connections during 20 reloads, %d failed", done.Load(), failures.Load())
	if done.Load() < 20 {
		t.Errorf("only %d connections", done.Load())
	}
	// The last configuration has no cat service: new connections are
	// refused, the old session still works.
	if _, err := net.Dial("tcp", h.addr(1)); err == nil {
		t.Error("the removed service still accepts")
	}
	io.WriteString(long, "after")
	long.(*net.TCPConn).CloseWrite()
	long.SetDeadline(time.Now().Add(10 * time.Second))
	if b, _ := io.ReadAll(long); string(b) != "before after" {
		t.Errorf("the running session got %q", b)
	}
}

func TestReloadRejected(t *testing.T) {
	h := start(t, setup{nports: 2})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo hi\n", true); err != nil {
		t.Fatal(w, err)
	}
	bad := "127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo changed\n" +
		"127.0.0.1:{P1} stream tcp4 nowait nosuchuser /bin/echo echo x\n" +
		"127.0.0.1:{P1} stream tcp9 nowait root /bin/echo echo x\n"
	w, err := h.load(bad, true)
	var rej *superserver.RejectedError
	// Line 3 draws two warnings: tcp9, and tcp96 for its IPv6 reading.
	if !errors.As(err, &rej) || len(rej.Problems) != 3 {
		t.Fatalf("bad configuration: %v %v", w, err)
	}
	for _, want := range []string{"inetd.conf:2: ", `unknown user "nosuchuser"`, "inetd.conf:3: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the rejection does not say %q:\n%v", want, err)
		}
	}
	// The running configuration stays, unchanged.
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "hi\n" {
		t.Errorf("after a rejected reload: %q", got)
	}
	if _, err := net.Dial("tcp", h.addr(1)); err == nil {
		t.Error("a service of the rejected configuration listens")
	}
	// Without strict, the good entries are applied.
	if _, err := h.load(bad, false); err != nil {
		t.Fatal(err)
	}
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "changed\n" {
		t.Errorf("after a lax load: %q", got)
	}
}

func TestFlood(t *testing.T) {
	h := start(t, setup{nports: 1, limits: &limits.Config{
		Source:      limits.SourceLimits{Max: 4, Rate: limits.PerSecond(20, 20)},
		LogInterval: time.Minute,
	}})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo hi\n", true); err != nil {
		t.Fatal(w, err)
	}
	// 127.0.0.5 opens connections as fast as it can, from 8 goroutines.
	stopFlood := loopback.Flood("127.0.0.5", h.addr(0), "hi\n", 8)
	// Meanwhile 127.0.0.2 connects at a modest pace: every one served.
	time.Sleep(200 * time.Millisecond)
	for i := 0; i < 15; i++ {
		if got, err := exchange("127.0.0.2", h.addr(0), ""); got != "hi\n" {
			t.Errorf("127.0.0.2, connection %d: %q %v", i, got, err)
		}
		time.Sleep(60 * time.Millisecond)
	}
	flood, floodServed := stopFlood()
	t.Logf("flood: %d connections, %d served", flood, floodServed)
	if flood < 100 || floodServed > 20+int64(2*20) {
		t.Errorf("flood of %d connections, %d served: not limited", flood, floodServed)
	}
	// One log line per kind and interval, not one per refusal.
	lines := h.log.Matching("limit source-")
	if len(lines) == 0 || len(lines) > 2 {
		t.Errorf("limit log lines:\n%s", strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if !strings.Contains(l, "127.0.0.5/32") || !strings.HasPrefix(l, "[daemon.warning] tcpwrapd[PID]: limit source-") {
			t.Errorf("limit line %q", l)
		}
	}
	if len(h.log.Matching("127.0.0.2/32")) > 0 {
		t.Error("127.0.0.2 was limited")
	}
}

// openFDs counts the process's open descriptors.
// waitNoLeaks waits (up to 10 s) until the process is back to at most
// fds open descriptors and gs goroutines (plus two of the runtime's), and
// fails the test when it is not; what says after what.
func waitNoLeaks(t *testing.T, fds, gs int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Pooled resources that a collection frees are no leak.
		runtime.GC()
		f, g := openFDs(t), runtime.NumGoroutine()
		if f <= fds && g <= gs+2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d descriptors (was %d), %d goroutines (was %d)", what, f, fds, g, gs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}

func TestNoLeaks(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	h := start(t, setup{nports: 3, allow: "echo: 127.0.0.1\n", deny: "ALL: 127.0.0.9\n"})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /bin/true true\n", true); err != nil {
		t.Fatal(w, err)
	}
	// Warm up, then take the baseline.
	for range 50 {
		exchange("127.0.0.1", h.addr(0), "")
	}
	waitIdle(t, h)
	fds, gs := openFDs(t), runtime.NumGoroutine()
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := fetch("127.0.0.1", h.addr(0)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d connections to /bin/true in %v", n, time.Since(start).Round(time.Millisecond))
	waitIdle(t, h)
	waitNoLeaks(t, fds, gs, fmt.Sprintf("after %d connections", n))
}

// waitIdle waits until no session runs.
func waitIdle(t testing.TB, h *harness) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.srv.Active() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still running", h.srv.Active())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShutdown(t *testing.T) {
	h := start(t, setup{nports: 2, cfg: superserver.Config{}})
	svcs, _, _ := parseWith(fmt.Sprintf("127.0.0.1:echo stream tcp4 nowait root internal\n127.0.0.1:%d stream tcp4 nowait root /bin/sleep sleep 30\n", h.ports[1]),
		portsTable{"echo": h.ports[0]})
	if w, err := h.srv.Load(svcs, nil, true); err != nil {
		t.Fatal(w, err)
	}
	echo, err := net.Dial("tcp", h.addr(0))
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	sleeper, err := net.Dial("tcp", h.addr(1))
	if err != nil {
		t.Fatal(err)
	}
	defer sleeper.Close()
	for h.srv.Active() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	if err := h.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with sessions running: %v", err)
	}
	if d := time.Since(began); d < 250*time.Millisecond || d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	// No new connections; the built-in session was cut.
	if _, err := net.Dial("tcp", h.addr(0)); err == nil {
		t.Error("still accepting after Shutdown")
	}
	echo.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := echo.Read(make([]byte, 1)); err == nil {
		t.Error("the built-in session was not cut")
	}
	// The program goes on: its connection is still open.
	sleeper.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := sleeper.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the program's connection: %v", err)
	}
}

func TestInheritedSocket(t *testing.T) {
	// A listening socket made elsewhere, as systemd passes them.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	h := start(t, setup{cfg: superserver.Config{Inherited: []*os.File{f}}})
	if keys := h.srv.InheritedKeys(); len(keys) != 1 || keys[0].String() != fmt.Sprintf("tcp4 127.0.0.1:%d", port) {
		t.Fatalf("inherited %v", keys)
	}
	conf := fmt.Sprintf("127.0.0.1:%d stream tcp4 nowait root /bin/echo echo inherited\n", port)
	if w, err := h.load(conf, true); err != nil {
		t.Fatal(w, err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if got := mustExchange(t, "127.0.0.1", addr, ""); got != "inherited\n" {
		t.Errorf("got %q", got)
	}
	// Removed and added again: the same socket serves.
	if _, err := h.load("", true); err != nil {
		t.Fatal(err)
	}
	if w, err := h.load(conf, true); err != nil {
		t.Fatal(w, err)
	}
	if got := mustExchange(t, "127.0.0.1", addr, ""); got != "inherited\n" {
		t.Errorf("after a reload: %q", got)
	}
}

func TestBacklog(t *testing.T) {
	ss, err := exec.LookPath("ss")
	if err != nil {
		t.Skip("ss (package iproute2) is not installed")
	}
	h := start(t, setup{nports: 1, cfg: superserver.Config{Backlog: 7}})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /bin/true true\n", true); err != nil {
		t.Fatal(w, err)
	}
	out, err := exec.Command(ss, "-Hltn", "sport = :"+strconv.Itoa(h.ports[0])).Output()
	if err != nil {
		t.Fatal(err)
	}
	// ss shows a listening socket's backlog as its Send-Q.
	if f := strings.Fields(string(out)); len(f) < 4 || f[2] != "7" {
		t.Errorf("ss says %q, want a backlog of 7", out)
	}
}
