package superserver

import (
	"context"
	"io"
	"net/netip"
	"sync"
	"time"

	"tcpwrap/audit"
)

// SessionEnd is the record of a session that ended: what ran, for whom,
// how long, how it ended and, for redirect services, how much it moved.
type SessionEnd struct {
	Service string // the listener's ServiceID
	Daemon  string // the name it was checked under, "" if not checked
	Kind    string // "program", "builtin", "redirect" or "twist"
	Client  netip.AddrPort
	Server  netip.AddrPort
	Start   time.Time
	// Duration is from the connection's arrival to the session's end.
	Duration time.Duration
	// PID and Status are the program's (Kind program or twist).
	PID    int
	Status *ExitStatus
	// BytesIn is what the client sent, BytesOut what it received
	// (redirect services).
	BytesIn, BytesOut int64
	// Err says what went wrong, if anything did ("connect
	// 127.0.0.1:22: connection refused").
	Err string
}

// Text is the session end as one log line of key=value words
// (audit.SessionRecord.Text):
//
//	session end: service=ssh/tcp kind=redirect client=192.0.2.7:40000 duration=1.204s in=1020 out=34567
func (e *SessionEnd) Text() string { return e.Record().Text() }

// Record returns the structured record of the session end, as it goes to
// the audit trail; its Time is Start plus Duration. Built-ins and
// redirect services count their bytes (BytesCounted); a program's PID
// and Status become the record's PID and Exit.
func (e *SessionEnd) Record() *audit.SessionRecord {
	r := &audit.SessionRecord{
		Time:         e.Start.Add(e.Duration),
		Service:      e.Service,
		Daemon:       e.Daemon,
		Kind:         e.Kind,
		Client:       endpoint(e.Client),
		Server:       endpoint(e.Server),
		Start:        e.Start,
		Duration:     e.Duration,
		PID:          e.PID,
		BytesCounted: e.Kind == "redirect" || e.Kind == "builtin",
		BytesIn:      e.BytesIn,
		BytesOut:     e.BytesOut,
		Err:          e.Err,
	}
	if e.Status != nil {
		r.Exit = &audit.ExitStatus{Exited: e.Status.Exited, Code: e.Status.Code, Signal: e.Status.Signal}
	}
	return r
}

func endpoint(a netip.AddrPort) audit.Endpoint {
	if !a.IsValid() {
		return audit.Endpoint{}
	}
	return audit.Endpoint{Addr: a.Addr().String(), Port: int(a.Port())}
}

// endSession records e and tells the observer.
func (s *Server) endSession(e *SessionEnd) {
	e.Duration = s.now().Sub(e.Start)
	if s.cfg.Trail != nil && (s.cfg.ClassicSessionEnds || s.cfg.Trail.Records()) {
		app := e.Daemon
		if app == "" {
			app = s.name
		}
		m := e.Record().Message(audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, app, s.pid)
		s.cfg.Trail.SessionEnd(m, s.cfg.ClassicSessionEnds)
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.SessionEnd(e)
	}
	if s.cfg.Debugf != nil { // Text costs: build it only to print it
		s.cfg.Debugf("%s", e.Text())
	}
}

// tracker counts the connections being handled and holds the
// connections of the sessions served in-process, so that Shutdown can
// wait for the first and cut the second.
type tracker struct {
	mu    sync.Mutex
	n     int
	idle  chan struct{} // closed when n drops to zero
	held  map[io.Closer]struct{}
	isCut bool
}

func (t *tracker) init() {
	t.idle = make(chan struct{})
	t.held = map[io.Closer]struct{}{}
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.idle)
		t.idle = make(chan struct{})
	}
	t.mu.Unlock()
}

func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// hold registers an in-process session's connection until release.
func (t *tracker) hold(c io.Closer) (release func()) {
	t.mu.Lock()
	if t.isCut {
		t.mu.Unlock()
		c.Close()
		return func() {}
	}
	t.held[c] = struct{}{}
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.held, c)
		t.mu.Unlock()
	}
}

func (t *tracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		n, idle := t.n, t.idle
		t.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// cut closes the held connections, and any held later.
func (t *tracker) cut() {
	t.mu.Lock()
	t.isCut = true
	held := t.held
	t.held = map[io.Closer]struct{}{}
	t.mu.Unlock()
	for c := range held {
		c.Close()
	}
}
