package superserver

import (
	"context"
	"io"
	"net/netip"
	"strconv"
	"strings"
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

// Text is the session end as one log line of key=value words:
//
//	session end: service=ssh/tcp kind=redirect client=192.0.2.7:40000 duration=1.204s in=1020 out=34567
func (e *SessionEnd) Text() string {
	var b strings.Builder
	b.WriteString("session end: service=")
	b.WriteString(e.Service)
	if e.Daemon != "" {
		b.WriteString(" daemon=")
		b.WriteString(e.Daemon)
	}
	b.WriteString(" kind=")
	b.WriteString(e.Kind)
	if e.Client.IsValid() {
		b.WriteString(" client=")
		b.WriteString(e.Client.String())
	}
	if e.PID != 0 {
		b.WriteString(" pid=")
		b.WriteString(strconv.Itoa(e.PID))
	}
	if e.Status != nil {
		b.WriteString(" status=")
		if e.Status.Exited {
			b.WriteString("exit:")
			b.WriteString(strconv.Itoa(e.Status.Code))
		} else {
			b.WriteString("signal:")
			b.WriteString(strconv.Itoa(int(e.Status.Signal)))
		}
	}
	b.WriteString(" duration=")
	b.WriteString(strconv.FormatFloat(e.Duration.Seconds(), 'f', 3, 64))
	b.WriteString("s")
	if e.Kind == "redirect" {
		b.WriteString(" in=")
		b.WriteString(strconv.FormatInt(e.BytesIn, 10))
		b.WriteString(" out=")
		b.WriteString(strconv.FormatInt(e.BytesOut, 10))
	}
	if e.Err != "" {
		b.WriteString(" error=")
		b.WriteString(strconv.Quote(e.Err))
	}
	return b.String()
}

// endSession records e and tells the observer.
func (s *Server) endSession(e *SessionEnd) {
	e.Duration = s.now().Sub(e.Start)
	if s.cfg.Trail != nil {
		app := e.Daemon
		if app == "" {
			app = s.name
		}
		m := &audit.Message{Time: s.now(), Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Info},
			AppName: app, PID: s.pid, Text: e.Text()}
		s.cfg.Trail.Record(m)
		if s.cfg.ClassicSessionEnds {
			s.cfg.Trail.Log(m)
		}
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.SessionEnd(e)
	}
	s.debugf("%s", e.Text())
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
