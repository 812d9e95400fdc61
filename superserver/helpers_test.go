package superserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit/trail"
	"tcpwrap/hostsfile"
	"tcpwrap/inetconf"
	"tcpwrap/internal/oracle"
	"tcpwrap/internal/tcpdtest"
	"tcpwrap/limits"
	"tcpwrap/superserver"
)

func TestMain(m *testing.M) {
	// The exec helper is this test binary, started under another name.
	superserver.Helper()
	code := m.Run()
	tcpdtest.Cleanup()
	os.Exit(code)
}

// freePorts returns n different ports that were free on addr a moment
// ago (all held open until all are chosen, so none comes twice).
func freePorts(t testing.TB, network, addr string, n int) []int {
	t.Helper()
	var ports []int
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for range n {
		if strings.HasPrefix(network, "udp") {
			c, err := net.ListenPacket(network, net.JoinHostPort(addr, "0"))
			if err != nil {
				t.Fatal(err)
			}
			closers = append(closers, c)
			ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
			continue
		}
		l, err := net.Listen(network, net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Fatal(err)
		}
		closers = append(closers, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func freePort(t testing.TB, network, addr string) int { return freePorts(t, network, addr, 1)[0] }

// syslogSink records what is sent to a Unix datagram socket, as a
// syslog daemon's /dev/log would receive it.
type syslogSink struct {
	path string
	conn *net.UnixConn
	mu   sync.Mutex
	recs []oracle.Record
}

func newSyslogSink(t testing.TB) *syslogSink {
	t.Helper()
	dir, err := os.MkdirTemp("", "ss-log-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &syslogSink{path: filepath.Join(dir, "log")}
	s.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s.conn.SetReadBuffer(4 << 20)
	t.Cleanup(func() { s.conn.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := s.conn.Read(buf)
			if err != nil {
				return
			}
			r := oracle.ParseRecord(buf[:n])
			s.mu.Lock()
			s.recs = append(s.recs, r)
			s.mu.Unlock()
		}
	}()
	return s
}

// lines returns the records so far as "[daemon.info] echo[PID]: text".
func (s *syslogSink) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.recs {
		out = append(out, r.String())
	}
	return out
}

// waitFor waits until a record contains text, and returns all records.
func (s *syslogSink) waitFor(t testing.TB, text string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ls := s.lines()
		for _, l := range ls {
			if strings.Contains(l, text) {
				return ls
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q; got:\n  %s", text, strings.Join(ls, "\n  "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// matching returns the records containing text.
func (s *syslogSink) matching(text string) []string {
	var out []string
	for _, l := range s.lines() {
		if strings.Contains(l, text) {
			out = append(out, l)
		}
	}
	return out
}

// observer records what the Server reports.
type observer struct {
	mu        sync.Mutex
	decisions []string // "service verdict"
	refusals  []limits.Refusal
	starts    int
	ends      []superserver.SessionEnd
	ended     chan superserver.SessionEnd
}

func newObserver() *observer { return &observer{ended: make(chan superserver.SessionEnd, 100000)} }

func (o *observer) Decision(service, verdict string) {
	o.mu.Lock()
	o.decisions = append(o.decisions, service+" "+verdict)
	o.mu.Unlock()
}

func (o *observer) Refusal(service string, r limits.Refusal) {
	o.mu.Lock()
	o.refusals = append(o.refusals, r)
	o.mu.Unlock()
}

func (o *observer) SessionStart(string) {
	o.mu.Lock()
	o.starts++
	o.mu.Unlock()
}

func (o *observer) SessionEnd(e *superserver.SessionEnd) {
	o.mu.Lock()
	o.ends = append(o.ends, *e)
	o.mu.Unlock()
	o.ended <- *e
}

// nextEnd waits for the next session end.
func (o *observer) nextEnd(t testing.TB) superserver.SessionEnd {
	t.Helper()
	select {
	case e := <-o.ended:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no session ended")
	}
	return superserver.SessionEnd{}
}

// harness is a Server on loopback with real tables, a real audit trail
// (syslog lines to a sink, records to a JSON file) and an observer.
type harness struct {
	t      testing.TB
	dir    string
	srv    *superserver.Server
	log    *syslogSink
	obs    *observer
	json   string
	ports  []int
	allow  string
	deny   string
	tr     *trail.Trail
	engine *hostsfile.Engine
}

type setup struct {
	conf        string // inetd.conf; {P0}, {P1}... are replaced by free ports, {DIR} by the directory
	allow, deny string
	cfg         superserver.Config
	limits      *limits.Config
	nports      int
	udp         bool // the ports are for UDP
}

func start(t testing.TB, s setup) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), log: newSyslogSink(t), obs: newObserver()}
	os.Chmod(h.dir, 0o755)
	network := "tcp4"
	if s.udp {
		network = "udp4"
	}
	h.ports = freePorts(t, network, "127.0.0.1", s.nports)
	h.allow = filepath.Join(h.dir, "hosts.allow")
	h.deny = filepath.Join(h.dir, "hosts.deny")
	h.writeFile("hosts.allow", s.allow)
	h.writeFile("hosts.deny", s.deny)
	h.json = filepath.Join(h.dir, "records.jsonl")
	var err error
	h.tr, err = trail.Open(trail.Config{Syslog: trail.SyslogOn, SyslogPath: h.log.path, JSONPath: h.json})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.tr.Close(context.Background()) })
	cfg := s.cfg
	h.engine = hostsfile.New(hostsfile.Config{Allow: h.allow, Deny: h.deny, Interval: -1})
	cfg.Policy = h.engine
	cfg.Trail = h.tr
	cfg.Observer = h.obs
	if s.limits != nil {
		lim, err := limits.New(*s.limits)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Limiter = lim
	} else if cfg.Limiter == nil {
		cfg.Limiter, _ = limits.New(limits.Config{})
	}
	h.srv, err = superserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.srv.Shutdown(ctx)
	})
	if s.conf != "" {
		if warns, err := h.load(s.conf, false); err != nil || len(warns) > 0 {
			t.Fatalf("load: %v %v", warns, err)
		}
	}
	return h
}

func (h *harness) writeFile(name, text string) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// expand replaces {P0}.. and {DIR}, and, when the test does not run as
// root, the user root of entries by the test's own user.
func (h *harness) expand(s string) string {
	s = asSelf(s)
	for i, p := range h.ports {
		s = strings.ReplaceAll(s, fmt.Sprintf("{P%d}", i), fmt.Sprint(p))
	}
	return strings.ReplaceAll(s, "{DIR}", h.dir)
}

// parse reads a configuration text as tcpwrapd does.
func (h *harness) parse(conf string) ([]inetconf.Service, []inetconf.Warning) {
	h.t.Helper()
	svcs, warns, err := inetconf.Parse(strings.NewReader(h.expand(conf)), "inetd.conf", inetconf.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	return svcs, warns
}

// parseWith parses conf with service names from ports.
func parseWith(conf string, ports portsTable) ([]inetconf.Service, []inetconf.Warning, error) {
	return inetconf.Parse(strings.NewReader(asSelf(conf)), "inetd.conf", inetconf.Options{Ports: ports})
}

// asSelf replaces the user root of entries by the test's own user when
// the test does not run as root: only root can run services as others.
func asSelf(conf string) string {
	if os.Geteuid() == 0 {
		return conf
	}
	u, err := user.Current()
	if err != nil {
		return conf
	}
	return strings.ReplaceAll(conf, " root ", " "+u.Username+" ")
}

func (h *harness) load(conf string, strict bool) ([]inetconf.Warning, error) {
	h.t.Helper()
	svcs, warns := h.parse(conf)
	return h.srv.Load(svcs, warns, strict)
}

// addr is 127.0.0.1:port of the i-th port.
func (h *harness) addr(i int) string { return fmt.Sprintf("127.0.0.1:%d", h.ports[i]) }

// exchange connects from src to addr, sends send (then half-closes) and
// returns what it received until end of stream. A reset counts as the
// end, as for a refused connection whose data was never read.
func exchange(src, addr string, send string) (string, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if src != "" {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(src), 0))
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if send != "" {
		if _, err := io.WriteString(c, send); err != nil {
			return "", err
		}
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		return string(b), err
	}
	return string(b), nil
}

// fetch connects from src to addr and reads until the service closes,
// so that the TIME_WAIT states are the server's: the client's ports do
// not run out over many connections.
func fetch(src, addr string) (string, error) {
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(src), 0))}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// mustExchange is exchange that fails the test on error.
func mustExchange(t testing.TB, src, addr, send string) string {
	t.Helper()
	got, err := exchange(src, addr, send)
	if err != nil {
		t.Fatalf("%s -> %s: %v", src, addr, err)
	}
	return got
}
