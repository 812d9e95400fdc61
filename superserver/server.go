package superserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/hostsfile"
	"tcpwrap/inetconf"
	"tcpwrap/limits"
)

// Policy gives the access tables in force; *hostsfile.Engine is one.
type Policy interface {
	Policy() access.Policy
}

// Trail is where decisions, tcpd's classic lines and session records go;
// *trail.Trail is one.
type Trail interface {
	Decision(now time.Time, c audit.Classic, f *access.Facts, d *access.Decision, latency time.Duration)
	Log(m *audit.Message)
	// SessionEnd takes a session-end record (a message made by
	// audit.SessionRecord.Message) to the structured destinations, and
	// its text line to the classic ones too when classic is true.
	SessionEnd(m *audit.Message, classic bool)
	// Records reports whether records go to any destination; when not
	// (and classic session-end lines are off), none is built.
	Records() bool
}

// Clock gives the time.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Observer hears what the server does, for metrics and tests. Its methods
// are called from many goroutines at once and must not block.
type Observer interface {
	// Decision: an access check ended with verdict "granted", "denied"
	// or "delegated" (a twist).
	Decision(service, verdict string)
	// Refusal: a limit refused a connection (or a datagram).
	Refusal(service string, r limits.Refusal)
	// SessionStart and SessionEnd bracket every admitted session.
	SessionStart(service string)
	SessionEnd(e *SessionEnd)
}

// cleanEnv returns env with one entry a name (the last one given, in the
// place of the first) and without REMOTE_ADDR and REMOTE_PORT, which each
// connection sets. A program's getenv would find the first of two
// entries, a shell the last.
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	at := map[string]int{}
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "REMOTE_ADDR" || name == "REMOTE_PORT" {
			continue
		}
		if i, ok := at[name]; ok {
			out[i] = kv
			continue
		}
		at[name] = len(out)
		out = append(out, kv)
	}
	return out
}

// DefaultEnv is the environment the services' programs start with when
// Config.Env is nil; REMOTE_ADDR and REMOTE_PORT are added to it.
var DefaultEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// DefaultBacklog is the listen(2) backlog when Config.Backlog is zero,
// openbsd-inetd's default.
const DefaultBacklog = 128

// Config wires a Server to the outside world. Every field is optional.
type Config struct {
	// Policy holds the access tables. Nil means no tables (every
	// checked connection is granted, as with missing files).
	Policy Policy
	// Limiter limits sessions; nil means no limits. The Server sets
	// each service's maximum (the .max of its entry) on it.
	Limiter *limits.Limiter
	// Trail receives the decisions, tcpd's classic lines, the
	// super-server's own messages and the session end records. Nil
	// discards them.
	Trail Trail
	// Observer, if not nil, hears about decisions, refusals and
	// sessions.
	Observer Observer
	// CheckAll checks every service (openbsd-inetd's -l), not only
	// those that run tcpd and the redirect services: programs under
	// the last component of their argv[0], built-ins under their
	// names. Stream "wait" services cannot be checked (there is no
	// connection before the program accepts one).
	CheckAll bool
	// Backlog is the listen(2) backlog; zero means DefaultBacklog.
	Backlog int
	// Env is the environment every program starts with; nil means
	// DefaultEnv. Of entries with the same name the last one counts (in
	// the place of the first); REMOTE_ADDR and REMOTE_PORT are always
	// the client's.
	Env []string
	// Rlimits are set on every program a service runs (not on spawn,
	// twist or aclexec commands).
	Rlimits []Rlimit
	// Accounts looks up users and groups; nil means SystemAccounts.
	Accounts Accounts
	// Names looks up client host names for the tables (see
	// access.Hooks); nil leaves names "unknown".
	Names access.NameLookup
	// Ident asks clients' ident servers (rfc931); nil leaves user
	// names "unknown".
	Ident access.IdentLookup
	// Netgroups answers @netgroup patterns; nil matches none.
	Netgroups access.Netgroups
	// BannerFS reads banners files; nil means the real file system.
	BannerFS access.FileSystem
	// Clock gives the time of records; nil means the system clock.
	Clock Clock
	// Dial connects redirect services to their targets; nil means a
	// net.Dialer with RedirectTimeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RedirectTimeout bounds the connection to a redirect target;
	// zero means 10 seconds.
	RedirectTimeout time.Duration
	// Inherited are listening sockets passed by the service manager
	// (systemd socket activation). A service whose listener matches one
	// (family, type, address, port) uses it instead of binding its own;
	// the Server keeps them open for its whole life, so that a service
	// removed by a reload and added again finds its socket.
	Inherited []*os.File
	// HelperPath is the program started as the exec helper (see
	// Helper); "" means /proc/self/exe.
	HelperPath string
	// Name is the name the super-server's own messages are logged
	// under; "" means "tcpwrapd".
	Name string
	// Debugf, if not nil, receives a line about every connection and
	// process, for -d.
	Debugf func(format string, args ...any)
	// RetryInterval is how often a listener that could not be opened
	// is tried again; zero means 10 seconds.
	RetryInterval time.Duration
	// ClassicSessionEnds also writes the session ends to the classic
	// (syslog) destination, as a line of key=value words
	// (SessionEnd.Text), as xinetd's log_on_exit does. They always go
	// to the structured destinations, as structured records
	// (audit.SessionRecord).
	ClassicSessionEnds bool
}

// Server is an inetd: it listens for the services of an inetd.conf,
// checks each connection against the access tables and the limits before
// it spends anything on it, and runs the service. Make one with New, give
// it services with Load (again on every reload), and stop it with
// Shutdown.
type Server struct {
	cfg      Config
	name     string
	pid      int
	euid     int
	devnull  int
	helper   string
	clock    Clock
	accounts Accounts
	policy   Policy
	env      []string

	mu        sync.Mutex
	listeners map[inetconf.Key]*listener
	failed    map[inetconf.Key]*service // to be opened again
	inherited []inherited
	closed    bool

	sessions tracker
	done     chan struct{}
}

// New makes a Server. It opens /dev/null, which the processes that do
// not talk to a client get as their standard descriptors.
func New(cfg Config) (*Server, error) {
	devnull, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		name:      cfg.Name,
		pid:       os.Getpid(),
		euid:      os.Geteuid(),
		devnull:   devnull,
		helper:    cfg.HelperPath,
		clock:     cfg.Clock,
		accounts:  cfg.Accounts,
		policy:    cfg.Policy,
		env:       cfg.Env,
		listeners: map[inetconf.Key]*listener{},
		failed:    map[inetconf.Key]*service{},
		done:      make(chan struct{}),
	}
	s.sessions.init()
	if s.name == "" {
		s.name = "tcpwrapd"
	}
	if s.helper == "" {
		s.helper = "/proc/self/exe"
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.accounts == nil {
		s.accounts = SystemAccounts{}
	}
	if s.policy == nil {
		s.policy = noTables{}
	}
	if s.env == nil {
		s.env = DefaultEnv
	}
	s.env = cleanEnv(s.env)
	if s.cfg.BannerFS == nil {
		s.cfg.BannerFS = hostsfile.OS{}
	}
	if s.cfg.RedirectTimeout == 0 {
		s.cfg.RedirectTimeout = 10 * time.Second
	}
	if s.cfg.RetryInterval == 0 {
		s.cfg.RetryInterval = 10 * time.Second
	}
	if s.cfg.Backlog <= 0 {
		s.cfg.Backlog = DefaultBacklog
	}
	for _, f := range cfg.Inherited {
		if err := s.adopt(f); err != nil {
			s.logf(audit.ErrorPriority, "warning: inherited socket %s: %v", f.Name(), err)
		}
	}
	return s, nil
}

type noTables struct{}

func (noTables) Policy() access.Policy { return access.Policy{} }

// RejectedError is a configuration that Load refused to apply: the
// running one stays.
type RejectedError struct {
	Problems []inetconf.Warning
}

func (e *RejectedError) Error() string {
	var b strings.Builder
	b.WriteString("configuration rejected, keeping the running one:")
	for _, w := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(w.String())
	}
	return b.String()
}

// Load makes services the running configuration. Each is checked first
// (users and groups exist, programs are executable files, redirect
// targets are well formed); with strict, any problem, or any warning in
// parseWarnings (those of inetconf.Parse) but notes (Warning.Note),
// rejects the whole set with a *RejectedError and changes nothing.
// Without strict the services with problems are left out, each with a
// warning, as openbsd-inetd does. The warnings returned include the
// notes.
//
// Applying the set keeps every listening socket whose inetconf.Key the
// new set still has (new connections get the new entry's settings; a
// change between "wait" and "nowait" opens the socket again), closes the
// ones it no longer has and opens the new ones. Sessions already running
// go on as they started. A socket that cannot be opened is reported in
// the warnings and tried again every RetryInterval.
func (s *Server) Load(services []inetconf.Service, parseWarnings []inetconf.Warning, strict bool) ([]inetconf.Warning, error) {
	set, warns := s.compileAll(services, parseWarnings)
	if p := Problems(warns); strict && len(p) > 0 {
		return warns, &RejectedError{Problems: p}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return warns, errors.New("superserver: Load after Shutdown")
	}
	for _, sv := range set {
		if s.cfg.Limiter != nil {
			lim, err := s.cfg.Limiter.SetService(sv.id, limits.ServiceLimits{Max: sv.def.Max})
			if err != nil {
				warns = append(warns, inetconf.Warning{File: sv.def.File, Line: sv.def.Line, Text: sv.id + ": " + err.Error()})
				continue
			}
			sv.lim = lim
		}
	}
	want := map[inetconf.Key]*service{}
	for _, sv := range set {
		want[sv.def.Key()] = sv
	}
	// Close what goes (and what changes its wait mode) before opening
	// what comes, which may need the same port.
	for k, l := range s.listeners {
		if sv, ok := want[k]; !ok || sv.wait != l.wait {
			s.debugf("close %s", k)
			l.close()
			delete(s.listeners, k)
		}
	}
	for k := range s.failed {
		if _, ok := want[k]; !ok {
			delete(s.failed, k)
		}
	}
	for _, sv := range set {
		k := sv.def.Key()
		if l, ok := s.listeners[k]; ok {
			l.svc.Store(sv)
			continue
		}
		if err := s.openLocked(sv); err != nil {
			warns = append(warns, inetconf.Warning{File: sv.def.File, Line: sv.def.Line,
				Text: fmt.Sprintf("%s: %v (tried again every %v)", sv.id, err, s.cfg.RetryInterval)})
			s.failed[k] = sv
		}
	}
	return warns, nil
}

// Problems returns the warnings that are not notes (Warning.Note).
func Problems(warns []inetconf.Warning) []inetconf.Warning {
	var p []inetconf.Warning
	for _, w := range warns {
		if !w.Note {
			p = append(p, w)
		}
	}
	return p
}

// Check makes the checks of Load without applying anything, and returns
// the warnings, parseWarnings first (Problems tells which are problems).
func (s *Server) Check(services []inetconf.Service, parseWarnings []inetconf.Warning) []inetconf.Warning {
	_, warns := s.compileAll(services, parseWarnings)
	return warns
}

func (s *Server) compileAll(services []inetconf.Service, parseWarnings []inetconf.Warning) ([]*service, []inetconf.Warning) {
	warns := append([]inetconf.Warning(nil), parseWarnings...)
	var set []*service
	for _, def := range services {
		sv, err := s.compile(def)
		if err != nil {
			warns = append(warns, inetconf.Warning{File: def.File, Line: def.Line,
				Text: fmt.Sprintf("%s: %v: skipped", ServiceID(&def), err)})
			continue
		}
		set = append(set, sv)
	}
	return set, warns
}

// openLocked opens a listener for sv and starts serving it; s.mu is held.
func (s *Server) openLocked(sv *service) error {
	l, err := s.listen(sv)
	if err != nil {
		return err
	}
	delete(s.failed, sv.def.Key())
	s.listeners[sv.def.Key()] = l
	s.debugf("listen %s for %s (line %d)", sv.def.Key(), sv.id, sv.def.Line)
	go l.serve()
	return nil
}

// Listeners returns the keys of the sockets being served, sorted by
// their text.
func (s *Server) Listeners() []inetconf.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]inetconf.Key, 0, len(s.listeners))
	for k := range s.listeners {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys
}

// Addr returns the address a listener is bound to (useful when its port
// was 0), or nil.
func (s *Server) Addr(k inetconf.Key) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.listeners[k]; ok {
		return l.addr()
	}
	return nil
}

// Active returns the number of sessions running.
func (s *Server) Active() int { return s.sessions.count() }

// Serve does the Server's periodic work until ctx ends: it reports the
// limit refusals whose logging was suppressed (limits.Limiter.Sweep) and
// opens again the listeners that could not be opened. It returns
// ctx.Err(); it does not shut the Server down.
func (s *Server) Serve(ctx context.Context) error {
	interval := time.Minute
	if s.cfg.Limiter != nil {
		if i := s.cfg.Limiter.Config().LogInterval; i > 0 {
			interval = i
		}
	}
	sweep := time.NewTicker(interval)
	defer sweep.Stop()
	retry := time.NewTicker(s.cfg.RetryInterval)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errors.New("superserver: shut down")
		case <-sweep.C:
			if s.cfg.Limiter != nil {
				s.cfg.Limiter.Sweep(func(r limits.Refusal) { s.logRefusal(r.Service, r) })
			}
		case <-retry.C:
			s.mu.Lock()
			for k, sv := range s.failed {
				if err := s.openLocked(sv); err != nil {
					s.debugf("%s:%d: %s: %v (tried again every %v)", sv.def.File, sv.def.Line, sv.id, err, s.cfg.RetryInterval)
				} else {
					s.logf(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}, "%s: listening on %s", sv.id, k)
				}
			}
			s.mu.Unlock()
		}
	}
}

// Shutdown stops the Server: it closes every listener, so that no new
// session starts, and waits until the running sessions end or ctx ends.
// Then it closes the connections of the sessions the super-server serves
// itself (built-ins, redirects) and returns; programs already started go
// on by themselves (their end is not recorded). It returns ctx.Err() when
// sessions were still running.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
		for k, l := range s.listeners {
			l.close()
			delete(s.listeners, k)
		}
		for _, in := range s.inherited {
			in.f.Close()
		}
		s.inherited = nil
	}
	s.mu.Unlock()
	err := s.sessions.wait(ctx)
	if err != nil {
		s.sessions.cut()
	}
	return err
}

// now is the time of records.
func (s *Server) now() time.Time { return s.clock.Now() }

// logf writes one of the super-server's own messages.
func (s *Server) logf(p audit.Priority, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if s.cfg.Trail != nil {
		s.cfg.Trail.Log(&audit.Message{Time: s.now(), Priority: p, AppName: s.name, PID: s.pid, Text: text})
	}
	s.debugf("%s", text)
}

func (s *Server) debugf(format string, args ...any) {
	if s.cfg.Debugf != nil {
		s.cfg.Debugf(format, args...)
	}
}
