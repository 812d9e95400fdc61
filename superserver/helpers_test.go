package superserver_test

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"tcpwrap/internal/loopback"
	"testing"
	"time"

	"tcpwrap/audit/trail"
	"tcpwrap/hostsfile"
	"tcpwrap/inetconf"
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

func freePort(t testing.TB, network, addr string) int {
	return loopback.FreePorts(t, network, addr, 1)[0]
}

// The clients of the tests.
var (
	freePorts    = loopback.FreePorts
	exchange     = loopback.Exchange
	mustExchange = loopback.MustExchange
	fetch        = loopback.Fetch
)

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
	log    *loopback.SyslogSink
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
	h := &harness{t: t, dir: t.TempDir(), log: loopback.NewSyslogSink(t), obs: newObserver()}
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
	h.tr, err = trail.Open(trail.Config{Syslog: trail.SyslogOn, SyslogPath: h.log.Path, JSONPath: h.json})
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
