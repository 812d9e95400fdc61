package superserver

import (
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"

	"tcpwrap/audit"
	"tcpwrap/limits"
)

// serveConn handles one connection of a stream "nowait" service: limits
// first, then the access check, then the service.
func (s *Server) serveConn(l *listener, c net.Conn) {
	defer s.sessions.done()
	sv := l.svc.Load()
	if tc, ok := c.(*net.TCPConn); ok && l.inherited {
		// Go turns keep-alives on for the connections of inherited
		// sockets; inetd leaves them off unless a keepalive option
		// asks.
		tc.SetKeepAlive(false)
	}
	r := &request{sv: sv, conn: c, start: s.now(),
		client: netAddrPort(c.RemoteAddr(), l.key.Family), server: netAddrPort(c.LocalAddr(), l.key.Family)}
	ticket, ok := s.admit(sv, r.client.Addr())
	if !ok {
		c.Close()
		return
	}
	defer ticket.Release()
	sc, ok := c.(syscall.Conn)
	if !ok {
		c.Close()
		return
	}
	r.rc, _ = sc.SyscallConn()
	var st *state
	if sv.daemon != "" {
		var v verdict
		if st, v = s.check(r); v != granted {
			c.Close()
			return
		}
	}
	switch sv.kind {
	case kindProgram:
		if st == nil {
			// Only programs have a state (an environment, a mask,
			// credentials): built-ins and redirects need none.
			st = s.baseState(r)
		}
		p := &procSpec{path: sv.path, argv: sv.argv, env: st.env, umask: st.umask, nice: st.nice, cred: st.cred, rlimits: s.cfg.Rlimits}
		s.runProcess(r, p, "program", s.execFailed(sv), nil)
	case kindBuiltin:
		s.runBuiltin(r)
	case kindRedirect:
		s.runRedirect(r)
	}
}

// admit asks the limits for a session for src; a refusal is counted and
// logged as the limits say (once per interval and kind).
func (s *Server) admit(sv *service, src netip.Addr) (limits.Ticket, bool) {
	if sv.lim == nil {
		return limits.Ticket{}, true
	}
	t, ref := sv.lim.Acquire(src)
	if !ref.Refused() {
		return t, true
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.Refusal(sv.id, ref)
	}
	if ref.Log {
		s.logRefusal(sv.id, ref)
	}
	return t, false
}

func (s *Server) logRefusal(service string, r limits.Refusal) {
	s.logf(audit.Priority{Facility: audit.Daemon, Severity: audit.Warning}, "limit %s", r)
}

// execFailed logs a program that could not be executed as tcpd does:
// under the last component of its argv[0] for tcpd entries.
func (s *Server) execFailed(sv *service) func(error) {
	return func(err error) {
		if s.cfg.Trail != nil {
			s.cfg.Trail.Log(&audit.Message{Time: s.now(), Priority: audit.ErrorPriority, AppName: sv.execName, PID: s.pid,
				Text: "error: " + err.Error()})
		}
	}
}

// runProcess starts p on the request's socket, closes the super-server's
// copy of a connection, waits for the process and records the session.
// It returns how the process ended, or nil when it could not start.
func (s *Server) runProcess(r *request, p *procSpec, kind string, failed func(error), logf func(audit.Priority, string)) *ExitStatus {
	var pr *process
	var err error
	warn := func(w string) {
		if logf != nil {
			logf(audit.ErrorPriority, w)
		} else {
			s.logf(audit.ErrorPriority, "%s", w)
		}
	}
	_, isTCP := r.conn.(*net.TCPConn)
	r.control(func(fd int) {
		// The process shares the socket's file status flags.
		unix.SetNonblock(fd, false)
		if isTCP {
			// Go turns Nagle's algorithm off on every connection it
			// accepts; inetd hands programs the socket as the kernel
			// made it, with Nagle on.
			unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 0)
		}
		p.stdio = fd
		pr, err = s.startProcess(p, warn)
	})
	if r.conn != nil {
		r.conn.Close()
	}
	if err != nil {
		failed(err)
		return nil
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.SessionStart(r.sv.id)
	}
	s.debugf("%s: started %s %q, pid %d", r.sv.id, p.path, p.argv, pr.pid)
	e := &SessionEnd{Service: r.sv.id, Daemon: r.sv.daemon, Kind: kind, Client: r.client, Server: r.server,
		Start: r.start, PID: pr.pid}
	st := pr.wait()
	e.Status = &st
	s.endSession(e)
	return &st
}
