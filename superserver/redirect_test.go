package superserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/internal/loopback"
	"tcpwrap/limits"
	"tcpwrap/superserver"
)

// target is a redirect target on loopback: each connection is given to
// serve in a goroutine of its own.
type target struct {
	ln       *net.TCPListener
	accepted atomic.Int64
	wg       sync.WaitGroup
}

func newTarget(t testing.TB, serve func(c *net.TCPConn)) *target {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{ln: ln.(*net.TCPListener)}
	tg.wg.Add(1)
	go func() {
		defer tg.wg.Done()
		for {
			c, err := tg.ln.AcceptTCP()
			if err != nil {
				return
			}
			tg.accepted.Add(1)
			tg.wg.Add(1)
			go func() {
				defer tg.wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		tg.ln.Close()
		tg.wg.Wait()
	})
	return tg
}

func (tg *target) addr() string { return tg.ln.Addr().String() }

// redirectTo starts a Server with one redirect service, "fwd", to addr,
// on port P0.
func redirectTo(t testing.TB, s setup, addr string) *harness {
	t.Helper()
	s.nports = 1
	h := start(t, s)
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root redirect fwd "+addr+"\n", true); err != nil {
		t.Fatal(w, err)
	}
	return h
}

func dialFrom(t testing.TB, src, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c.(*net.TCPConn)
}

// pattern is n bytes that are not all alike.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// The relay between client and target, for targets and clients that
// speak, listen, half-close and reset in different orders: what each
// side gets, and the byte counts of the session end.
func TestRedirectRelay(t *testing.T) {
	big := pattern(3<<20 + 17)
	cases := []struct {
		name string
		// serve is the target's side; it may report what it read.
		serve func(c *net.TCPConn, got chan<- []byte)
		// client returns what it read.
		client func(t *testing.T, c *net.TCPConn) []byte
		want   string // what the client reads; "" for nothing
		// targetGot is what the target reads, if it reports.
		targetGot         []byte
		bytesIn, bytesOut int64
	}{
		{
			name:  "answer and close",
			serve: func(c *net.TCPConn, _ chan<- []byte) { c.Write([]byte("hello\n")) },
			client: func(t *testing.T, c *net.TCPConn) []byte {
				b, err := io.ReadAll(c)
				if err != nil {
					t.Error(err)
				}
				return b
			},
			want: "hello\n", bytesOut: 6,
		},
		{
			name: "request, half-close, answer",
			serve: func(c *net.TCPConn, got chan<- []byte) {
				b, _ := io.ReadAll(c)
				got <- b
				fmt.Fprintf(c, "%d bytes: %s", len(b), bytes.ToUpper(b))
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				c.Write([]byte("some words"))
				c.CloseWrite()
				b, _ := io.ReadAll(c)
				return b
			},
			want: "10 bytes: SOME WORDS", targetGot: []byte("some words"), bytesIn: 10, bytesOut: 20,
		},
		{
			// The target's end of stream reaches the client at once
			// (with the banner); the client still sends, and all of
			// it reaches the target.
			name: "target half-closes, client goes on",
			serve: func(c *net.TCPConn, got chan<- []byte) {
				c.Write([]byte("banner\n"))
				c.CloseWrite()
				b, _ := io.ReadAll(c)
				got <- b
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				b, err := io.ReadAll(c)
				if err != nil {
					t.Error(err)
				}
				if _, err := c.Write(big[:100000]); err != nil {
					t.Error(err)
				}
				c.CloseWrite()
				return b
			},
			want: "banner\n", targetGot: big[:100000], bytesIn: 100000, bytesOut: 7,
		},
		{
			name: "both ways at once, megabytes",
			serve: func(c *net.TCPConn, _ chan<- []byte) {
				io.Copy(c, c)
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				go func() {
					c.Write(big)
					c.CloseWrite()
				}()
				b, err := io.ReadAll(c)
				if err != nil {
					t.Error(err)
				}
				return b
			},
			want: string(big), bytesIn: int64(len(big)), bytesOut: int64(len(big)),
		},
		{
			name:  "long answer and close",
			serve: func(c *net.TCPConn, _ chan<- []byte) { c.Write(big[:200001]) },
			client: func(t *testing.T, c *net.TCPConn) []byte {
				b, err := io.ReadAll(c)
				if err != nil {
					t.Error(err)
				}
				return b
			},
			want: string(big[:200001]), bytesOut: 200001,
		},
		{
			name: "answer in pieces",
			serve: func(c *net.TCPConn, _ chan<- []byte) {
				for _, w := range []string{"one ", "two ", "three"} {
					c.Write([]byte(w))
					time.Sleep(20 * time.Millisecond)
				}
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				b, _ := io.ReadAll(c)
				return b
			},
			want: "one two three", bytesOut: 13,
		},
		{
			name:  "nothing either way",
			serve: func(c *net.TCPConn, got chan<- []byte) { b, _ := io.ReadAll(c); got <- b },
			client: func(t *testing.T, c *net.TCPConn) []byte {
				c.CloseWrite()
				b, _ := io.ReadAll(c)
				return b
			},
			targetGot: []byte{},
		},
		{
			// A reset from the target ends the session; the client
			// sees the end (an end of stream or a reset).
			name: "target resets",
			serve: func(c *net.TCPConn, _ chan<- []byte) {
				c.SetLinger(0)
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				b, _ := io.ReadAll(c)
				return b
			},
		},
		{
			// The client stops reading and leaves (a reset, with
			// data unread): the target's writes fail soon after.
			name: "client leaves a download (reset)",
			serve: func(c *net.TCPConn, got chan<- []byte) {
				c.SetWriteDeadline(time.Now().Add(20 * time.Second))
				for {
					if _, err := c.Write(big); err != nil {
						if errors.Is(err, os.ErrDeadlineExceeded) {
							got <- []byte("still writing")
						} else {
							got <- []byte{}
						}
						return
					}
				}
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				if _, err := io.ReadFull(c, make([]byte, 100000)); err != nil {
					t.Error(err)
				}
				return nil
			},
			targetGot: []byte{},
		},
		{
			name: "client resets",
			serve: func(c *net.TCPConn, got chan<- []byte) {
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				b, err := io.ReadAll(c)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					b = []byte("still open")
				}
				got <- b
			},
			client: func(t *testing.T, c *net.TCPConn) []byte {
				c.Write([]byte("x"))
				time.Sleep(50 * time.Millisecond)
				c.SetLinger(0)
				return nil
			},
			targetGot: []byte("x"), bytesIn: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan []byte, 1)
			tg := newTarget(t, func(c *net.TCPConn) { tc.serve(c, got) })
			h := redirectTo(t, setup{}, tg.addr())
			c := dialFrom(t, "127.0.0.1", h.addr(0))
			b := tc.client(t, c)
			c.Close()
			if string(b) != tc.want {
				if len(b) > 100 || len(tc.want) > 100 {
					t.Errorf("the client read %d bytes, want %d (equal: %v)", len(b), len(tc.want), bytes.Equal(b, []byte(tc.want)))
				} else {
					t.Errorf("the client read %q, want %q", b, tc.want)
				}
			}
			if tc.targetGot != nil {
				select {
				case b := <-got:
					if !bytes.Equal(b, tc.targetGot) {
						t.Errorf("the target read %d bytes %.40q, want %d", len(b), b, len(tc.targetGot))
					}
				case <-time.After(20 * time.Second):
					t.Error("the target's connection did not end")
				}
			}
			e := h.obs.nextEnd(t)
			if e.Kind != "redirect" || e.Daemon != "fwd" || e.Err != "" {
				t.Errorf("session end %+v", e)
			}
			// A reset may cut what was in flight; otherwise every
			// byte is counted.
			if !strings.Contains(tc.name, "reset") && (e.BytesIn != tc.bytesIn || e.BytesOut != tc.bytesOut) {
				t.Errorf("session end counts in=%d out=%d, want in=%d out=%d", e.BytesIn, e.BytesOut, tc.bytesIn, tc.bytesOut)
			}
			if tg.accepted.Load() != 1 {
				t.Errorf("the target accepted %d connections", tg.accepted.Load())
			}
			waitIdle(t, h)
		})
	}
}

// A refused client never reaches the target; an allowed one does.
func TestRedirectCheckedFirst(t *testing.T) {
	tg := newTarget(t, func(c *net.TCPConn) { c.Write([]byte("hi\n")) })
	h := redirectTo(t, setup{allow: "fwd: 127.0.0.1\n", deny: "ALL: ALL\n"}, tg.addr())
	if got := mustExchange(t, "127.0.0.2", h.addr(0), ""); got != "" {
		t.Errorf("refused client got %q", got)
	}
	h.log.WaitFor(t, "[daemon.warning] fwd[PID]: refused connect from 127.0.0.2 (127.0.0.2)")
	if n := tg.accepted.Load(); n != 0 {
		t.Errorf("the target accepted %d connections for a refused client", n)
	}
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "hi\n" {
		t.Errorf("allowed client got %q", got)
	}
	if n := tg.accepted.Load(); n != 1 {
		t.Errorf("the target accepted %d connections", n)
	}
}

// blackhole is a listening socket whose queue is full: further SYNs are
// dropped, so that a connection to it neither succeeds nor fails.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) { err = unix.Listen(int(fd), 0) })
	if err != nil {
		t.Fatal(err)
	}
	// Fill the queue (a backlog of 0 holds one connection).
	for i := 0; i < 2; i++ {
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		if c, err := d.Dial("tcp4", ln.Addr().String()); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	d := net.Dialer{Timeout: 300 * time.Millisecond}
	if c, err := d.Dial("tcp4", ln.Addr().String()); err == nil {
		c.Close()
		t.Skip("the kernel completes connections to a full queue")
	}
	return ln.Addr().String()
}

// A target that does not answer the SYN: the connection attempt gives
// up after RedirectTimeout (the kernel's own limit is minutes), the
// client's connection is closed and the session end says why. Under a
// second the runtime's timer does it, from a second on the kernel
// (TCP_USER_TIMEOUT).
func TestRedirectTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{300 * time.Millisecond, 1200 * time.Millisecond} {
		t.Run(timeout.String(), func(t *testing.T) {
			addr := blackhole(t)
			h := redirectTo(t, setup{cfg: superserver.Config{RedirectTimeout: timeout}}, addr)
			c := dialFrom(t, "127.0.0.1", h.addr(0))
			defer c.Close()
			if b, _ := io.ReadAll(c); len(b) != 0 {
				t.Errorf("got %q", b)
			}
			e := h.obs.nextEnd(t)
			t.Logf("the attempt took %v: %s", e.Duration, e.Err)
			if !strings.Contains(e.Err, "timed out") && !strings.Contains(e.Err, "timeout") {
				t.Errorf("session end error %q, want a timeout", e.Err)
			}
			if e.Duration < timeout || e.Duration > 10*time.Second {
				t.Errorf("the attempt took %v with a timeout of %v", e.Duration, timeout)
			}
			h.log.WaitFor(t, "[daemon.err] fwd[PID]: error: redirect to "+addr+": ")
		})
	}
}

// An IPv6 target, given by numbers.
func TestRedirectIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback: ", err)
	}
	loopback.Serve(t, ln, func(c net.Conn) { c.Write([]byte("six\n")) })
	h := redirectTo(t, setup{}, ln.Addr().String())
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "six\n" {
		t.Errorf("got %q", got)
	}
	if e := h.obs.nextEnd(t); e.Err != "" || e.BytesOut != 4 {
		t.Errorf("session end %+v", e)
	}
}

// Config.Dial replaces the connection to the target; here with a
// Unix-domain socket, which the relay copies through a buffer.
func TestRedirectCustomDial(t *testing.T) {
	path := t.TempDir() + "/target"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	loopback.Serve(t, ln, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		fmt.Fprintf(c, "unix got %q", b)
	})
	var asked atomic.Value
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		asked.Store(network + " " + addr)
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}
	h := redirectTo(t, setup{cfg: superserver.Config{Dial: dial}}, "127.0.0.1:9")
	if got := mustExchange(t, "127.0.0.1", h.addr(0), "abc"); got != `unix got "abc"` {
		t.Errorf("got %q", got)
	}
	if a := asked.Load(); a != "tcp 127.0.0.1:9" {
		t.Errorf("Dial was asked for %v", a)
	}
	if e := h.obs.nextEnd(t); e.BytesIn != 3 || e.BytesOut != 14 || e.Err != "" {
		t.Errorf("session end %+v", e)
	}
}

// A target given by name is looked up for every connection.
func TestRedirectByName(t *testing.T) {
	if _, err := net.LookupHost("localhost"); err != nil {
		t.Skip("no localhost: ", err)
	}
	tg := newTarget(t, func(c *net.TCPConn) { c.Write([]byte("by name\n")) })
	port := tg.ln.Addr().(*net.TCPAddr).Port
	h := redirectTo(t, setup{}, fmt.Sprintf("localhost:%d", port))
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "by name\n" {
		t.Errorf("got %q", got)
	}
}

// The per-source limit holds for the whole redirect session, and a
// connection over it is refused before the target hears of it.
func TestRedirectLimit(t *testing.T) {
	release := make(chan struct{})
	tg := newTarget(t, func(c *net.TCPConn) {
		c.Write([]byte("held\n"))
		<-release
	})
	h := redirectTo(t, setup{limits: &limits.Config{Source: limits.SourceLimits{Max: 1}}}, tg.addr())
	first := dialFrom(t, "127.0.0.3", h.addr(0))
	defer first.Close()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(first, buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("first session: %q %v", buf, err)
	}
	if got := mustExchange(t, "127.0.0.3", h.addr(0), ""); got != "" {
		t.Errorf("second connection from the same source got %q", got)
	}
	if n := tg.accepted.Load(); n != 1 {
		t.Errorf("the target accepted %d connections, want 1", n)
	}
	// Another source is not limited.
	other := dialFrom(t, "127.0.0.4", h.addr(0))
	if _, err := io.ReadFull(other, buf); err != nil {
		t.Errorf("another source: %v", err)
	}
	close(release)
	io.ReadAll(first)
	io.ReadAll(other)
	other.Close()
	first.Close()
	waitIdle(t, h)
	if got := mustExchange(t, "127.0.0.3", h.addr(0), ""); got != "held\n" {
		t.Errorf("after the session ended: %q", got)
	}
}

// A reload that removes the service leaves its running sessions alone;
// Shutdown waits for them, then cuts them (and their targets' side).
func TestRedirectReloadAndShutdown(t *testing.T) {
	targetEnded := make(chan error, 4)
	tg := newTarget(t, func(c *net.TCPConn) {
		// An echo that stops at the end of stream or an error.
		_, err := io.Copy(c, c)
		targetEnded <- err
	})
	h := redirectTo(t, setup{}, tg.addr())
	c := dialFrom(t, "127.0.0.1", h.addr(0))
	defer c.Close()
	ping := func(s string) {
		t.Helper()
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(s))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != s {
			t.Fatalf("echo of %q: %q %v", s, buf, err)
		}
	}
	ping("before")
	if w, err := h.load("", true); err != nil {
		t.Fatal(w, err)
	}
	if _, err := net.Dial("tcp", h.addr(0)); err == nil {
		t.Error("the removed service still accepts")
	}
	ping("after the reload")
	if h.srv.Active() != 1 {
		t.Errorf("%d sessions", h.srv.Active())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := h.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a session running: %v", err)
	}
	if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the client's side after Shutdown: %v", err)
	}
	select {
	case <-targetEnded:
	case <-time.After(20 * time.Second):
		t.Error("the target's side was not closed")
	}
	e := h.obs.nextEnd(t)
	if e.BytesIn != 22 || e.BytesOut != 22 {
		t.Errorf("session end in=%d out=%d, want 22 each", e.BytesIn, e.BytesOut)
	}
}

// Many sessions leave no descriptor or goroutine behind.
func TestRedirectNoLeaks(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	tg := newTarget(t, func(c *net.TCPConn) {
		b := make([]byte, 1)
		if n, _ := c.Read(b); n == 1 && b[0] == 'q' {
			c.CloseWrite()
			io.Copy(io.Discard, c)
			return
		}
		c.Write([]byte("hi\n"))
	})
	h := redirectTo(t, setup{}, tg.addr())
	go func() {
		for range h.obs.ended {
		}
	}()
	for range 20 {
		exchange("127.0.0.1", h.addr(0), "")
	}
	waitIdle(t, h)
	fds, gs := openFDs(t), runtime.NumGoroutine()
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				send := ""
				if (int(i)+w)%3 == 0 {
					send = "q and more"
				}
				if _, err := exchange("127.0.0.1", h.addr(0), send); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitIdle(t, h)
	waitNoLeaks(t, fds, gs, fmt.Sprintf("after %d redirect sessions", n))
}

// An idle session costs the super-server its two sockets and two
// goroutines: no pipe (as splice(2) would hold) and no copy buffer.
func TestRedirectIdleCost(t *testing.T) {
	const n = 100
	tg := newTarget(t, func(c *net.TCPConn) {
		c.Write([]byte("hi\n"))
		io.Copy(io.Discard, c)
	})
	h := redirectTo(t, setup{}, tg.addr())
	// One session first, so that the pools and the runtime have what
	// they keep.
	if got := mustExchange(t, "127.0.0.1", h.addr(0), "x"); got != "hi\n" {
		t.Fatalf("got %q", got)
	}
	h.obs.nextEnd(t)
	waitIdle(t, h)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	fds, heap0 := openFDs(t), heap()
	conns := make([]*net.TCPConn, n)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.1", h.addr(0))
		defer conns[i].Close()
		buf := make([]byte, 3)
		if _, err := io.ReadFull(conns[i], buf); err != nil {
			t.Fatal(err)
		}
		conns[i].Write([]byte("some bytes"))
	}
	for tg.accepted.Load() < n+1 {
		time.Sleep(5 * time.Millisecond)
	}
	// In this process: the client's socket, the super-server's two and
	// the target's one, for every session.
	if f := openFDs(t); f > fds+4*n {
		t.Errorf("%d idle sessions hold %d descriptors, want %d", n, f-fds, 4*n)
	}
	// The clients' and the target's buffers are in this process too: a
	// few kilobytes a session. Held copy buffers would be 64 KiB each.
	if grown := int64(heap()) - int64(heap0); grown > n*32<<10 {
		t.Errorf("%d idle sessions take %d bytes of heap, %d each", n, grown, grown/n)
	} else {
		t.Logf("%d idle sessions: %d bytes of heap, %d each", n, grown, grown/n)
	}
	if a := h.srv.Active(); a != n {
		t.Errorf("%d sessions active, want %d", a, n)
	}
}
