package superserver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/internal/ipopts"
	"tcpwrap/options"
)

// request is one connection (or, for datagram services, the first
// pending datagram) on its way to a session.
type request struct {
	sv     *service
	client netip.AddrPort // invalid when not known (Unix-domain sockets)
	server netip.AddrPort
	// rc is the socket: the connection, or the datagram socket.
	rc    syscall.RawConn
	conn  net.Conn // stream connections only
	dgram bool
	start time.Time
}

// state is what tcpd's process would be when it executes the daemon:
// the options change it, in order, for the service's process only.
type state struct {
	env   []string
	umask int // -1: the super-server's
	nice  int
	cred  credentials
	// credErr is tcpd's error text when switching to cred would fail
	// (tcpd itself runs as the entry's user and is not root).
	credErr string
}

func (s *Server) baseState(r *request) *state {
	st := &state{umask: -1, cred: r.sv.cred}
	st.env = append(make([]string, 0, len(s.env)+4), s.env...)
	if r.client.IsValid() {
		st.env = append(st.env, "REMOTE_ADDR="+r.client.Addr().String(), "REMOTE_PORT="+strconv.Itoa(int(r.client.Port())))
	}
	return st
}

func (st *state) setenv(name, value string) {
	kv := name + "=" + value
	for i, e := range st.env {
		if strings.HasPrefix(e, name+"=") {
			st.env[i] = kv
			return
		}
	}
	st.env = append(st.env, kv)
}

// tcpdUID is the uid tcpd would run as for the service: the entry's.
func (s *Server) tcpdUID(sv *service) int {
	if sv.cred.Set {
		return sv.cred.UID
	}
	return s.euid
}

// verdict is how a check ended.
type verdict int

const (
	granted  verdict = iota
	refused          // denied, or a problem that ends the request
	twisted          // a twist option ran instead of the service
	admitted         // not checked at all
)

// check makes tcpd's decision for r and carries out the options, as
// tcpd does, except that the process options (setenv, umask, nice, user,
// group) are collected in the state for the service's process instead
// of being applied to the super-server. A twist is run here, to the end.
func (s *Server) check(r *request) (*state, verdict) {
	sv := r.sv
	start := s.now()
	classic := audit.Classic{AppName: sv.daemon, PID: s.pid, Facility: audit.Daemon}
	logf := func(p audit.Priority, text string) {
		if s.cfg.Trail != nil {
			s.cfg.Trail.Log(&audit.Message{Time: s.now(), Priority: p, AppName: sv.daemon, PID: s.pid, Text: text})
		}
	}
	if !r.dgram && r.server.Addr().Is4() {
		s.checkIPOptions(r, logf)
	}
	req := access.Request{Daemon: sv.daemon, PID: s.pid, Datagram: r.dgram}
	if r.client.IsValid() {
		req.Client = access.Endpoint{IP: r.client.Addr(), Port: r.client.Port()}
	}
	if r.server.IsValid() {
		req.Server = access.Endpoint{IP: r.server.Addr(), Port: r.server.Port()}
	}
	st := s.baseState(r)
	hooks := access.Hooks{
		Names:     s.cfg.Names,
		Ident:     s.cfg.Ident,
		Netgroups: s.cfg.Netgroups,
		Accounts:  accessAccounts{s.accounts},
		AclExec:   func(cmd string) (bool, []string) { return s.aclexec(r, st, cmd) },
		BannerFS:  s.cfg.BannerFS,
		BannerOut: bannerWriter{r},
	}
	f := access.NewFacts(req, hooks)
	d := s.policy.Policy().Decide(f)
	now := s.now()
	if d.Reason == access.ReasonAborted {
		if s.cfg.Trail != nil {
			for _, m := range classic.Diagnostics(now, &d) {
				s.cfg.Trail.Log(m)
			}
		}
		s.observeDecision(sv, "denied")
		return nil, refused
	}
	if s.cfg.Trail != nil {
		s.cfg.Trail.Decision(now, classic, f, &d, now.Sub(start))
	}
	s.observeDecision(sv, audit.Verdict(&d))
	s.debugf("%s: %s from %s (%s)", sv.id, audit.Verdict(&d), f.ClientInfo(), f.ClientAddr())
	twist := s.applyOptions(r, st, d.Actions, logf)
	if twist != "" {
		if s.cfg.Trail != nil {
			s.cfg.Trail.Log(classic.Twist(s.now(), f, &d, twist))
		}
		s.runTwist(r, st, twist, logf)
		return nil, twisted
	}
	if d.Verdict != access.Granted {
		return nil, refused
	}
	if st.credErr != "" {
		logf(audit.ErrorPriority, "error: "+st.credErr)
		return nil, refused
	}
	return st, granted
}

func (s *Server) observeDecision(sv *service, verdict string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Decision(sv.id, verdict)
	}
}

// bannerWriter writes the banners option's text to the client, as tcpd
// writes it to its descriptor 0 (which fails for datagram sockets).
type bannerWriter struct{ r *request }

func (w bannerWriter) Write(b []byte) (int, error) {
	if w.r.conn != nil {
		return w.r.conn.Write(b)
	}
	return 0, unix.EDESTADDRREQ
}

// control runs fn with the socket's descriptor.
func (r *request) control(fn func(fd int)) {
	r.rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// applyOptions carries out the rule's options in order; it returns the
// twist command, if one was reached.
func (s *Server) applyOptions(r *request, st *state, actions []access.Action, logf func(audit.Priority, string)) string {
	for _, a := range actions {
		switch a.Kind {
		case options.Spawn:
			s.spawn(r, st, a.Value, logf)
		case options.Twist:
			return a.Value
		case options.Setenv:
			st.setenv(a.Name, a.Value)
		case options.Umask:
			st.umask = a.Number
		case options.Nice:
			st.nice += a.Number
		case options.Keepalive:
			r.control(func(fd int) {
				if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
					logf(audit.ErrorPriority, "warning: setsockopt SO_KEEPALIVE: "+access.Strerror(err))
				}
			})
		case options.Linger:
			l := &unix.Linger{Linger: int32(a.Number)}
			if a.Number != 0 {
				l.Onoff = 1
			}
			r.control(func(fd int) {
				if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, l); err != nil {
					logf(audit.ErrorPriority, fmt.Sprintf("warning: setsockopt SO_LINGER %d: %s", a.Number, access.Strerror(err)))
				}
			})
		case options.Group:
			if gid, err := s.accounts.LookupGroup(a.Group); err == nil {
				// tcpd keeps its uid and drops its supplementary
				// groups.
				uid := s.tcpdUID(r.sv)
				st.cred = credentials{Set: true, UID: uid, GID: gid, Groups: []int{}, Name: a.Group}
				st.credErr = ""
				if uid != 0 {
					st.credErr = "setgroups(" + a.Group + "): " + access.Strerror(unix.EPERM)
				}
			}
		case options.User:
			if uid, gid, err := s.accounts.LookupUser(a.Name); err == nil {
				groups, _ := s.accounts.Groups(a.Name, gid)
				if a.Group != "" {
					if g, err := s.accounts.LookupGroup(a.Group); err == nil {
						gid = g
					}
				}
				st.cred = credentials{Set: true, UID: uid, GID: gid, Groups: groups, Name: a.Name}
				st.credErr = ""
				if s.tcpdUID(r.sv) != 0 {
					st.credErr = "setgroups(" + a.Name + "): " + access.Strerror(unix.EPERM)
				}
			}
		}
	}
	return ""
}

// shell is /bin/sh -c cmd with the state's environment and mask.
func shell(st *state, cmd string) *procSpec {
	return &procSpec{path: "/bin/sh", argv: []string{"sh", "-c", cmd}, env: st.env, stdio: -1, umask: st.umask, nice: st.nice}
}

// spawn runs a spawn command as tcpd does: standard descriptors on
// /dev/null, SIGHUP ignored, as the entry's user, waited for.
func (s *Server) spawn(r *request, st *state, cmd string, logf func(audit.Priority, string)) {
	p := shell(st, cmd)
	p.cred = r.sv.cred
	p.ignoreHUP = true
	pr, err := s.startProcess(p, func(w string) { logf(audit.ErrorPriority, w) })
	if err != nil {
		logf(audit.ErrorPriority, "warning: cannot fork: "+errWords(err))
		return
	}
	pr.wait()
}

// errWords is the strerror text of a start failure.
func errWords(err error) string {
	var ee *ExecError
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err.Error()
}

// aclexec runs an aclexec command with the client's socket as its
// standard descriptors and reports whether it exited 0, with tcpd's
// warnings.
func (s *Server) aclexec(r *request, st *state, cmd string) (bool, []string) {
	p := shell(st, cmd)
	p.cred = r.sv.cred
	var pr *process
	var err error
	r.control(func(fd int) {
		unix.SetNonblock(fd, false)
		p.stdio = fd
		pr, err = s.startProcess(p, nil)
	})
	defer r.control(func(fd int) { unix.SetNonblock(fd, true) })
	if err != nil {
		// /bin/sh could not run: Debian's child exits 0 then.
		return true, []string{"execl /bin/sh: " + errWords(err)}
	}
	st2 := pr.wait()
	switch {
	case !st2.Exited:
		return false, []string{fmt.Sprintf("process %d exited with signal %d", pr.pid, st2.Signal)}
	case st2.Code != 0:
		return false, nil
	}
	return true, nil
}

// runTwist runs the twist command in place of the service, with the
// client's socket, to its end.
func (s *Server) runTwist(r *request, st *state, cmd string, logf func(audit.Priority, string)) {
	if st.credErr != "" {
		logf(audit.ErrorPriority, "warning: twist_option: "+st.credErr)
		return
	}
	p := shell(st, cmd)
	p.cred = st.cred
	s.runProcess(r, p, "twist", func(err error) {
		var ee *ExecError
		if errors.As(err, &ee) {
			logf(audit.ErrorPriority, "warning: twist_option: /bin/sh: "+ee.Err)
		} else {
			logf(audit.ErrorPriority, "warning: twist_option: "+err.Error())
		}
	}, logf)
}

// checkIPOptions refuses IPv4 source routing as tcpd does (package
// ipopts).
func (s *Server) checkIPOptions(r *request, logf func(audit.Priority, string)) {
	r.control(func(fd int) { ipopts.Check(fd, r.client.Addr().String(), logf) })
}
