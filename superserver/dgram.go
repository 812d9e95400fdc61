package superserver

import (
	"bytes"
	"errors"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// datagramLoop serves a datagram socket: for a program, the sender of
// the first pending datagram is checked and the program gets the socket
// (and reads the datagram itself); for a built-in, each datagram is
// checked and answered here.
func (l *listener) datagramLoop() {
	buf := make([]byte, 65536)
	var b backoff
	var local netip.AddrPort
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		flags := unix.MSG_DONTWAIT
		if l.wait {
			flags |= unix.MSG_PEEK
		}
		err := l.rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), buf, flags)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return
		}
		if rerr != nil {
			// An ICMP error for an earlier reply, or a signal.
			continue
		}
		sv := l.svc.Load()
		client, _ := addrPort(from)
		if !local.IsValid() {
			local = l.localAddr()
		}
		if l.wait {
			l.s.sessions.add()
			ok := l.s.runWait(l, sv, &request{sv: sv, rc: l.rc, dgram: true, client: client,
				server: local, start: l.s.now()})
			l.s.sessions.done()
			if !b.pause(ok, l.quit) {
				return
			}
			continue
		}
		l.s.serveDatagram(l, sv, client, local, from, append([]byte(nil), buf[:n]...))
	}
}

// localAddr is the socket's own address.
func (l *listener) localAddr() (ap netip.AddrPort) {
	l.rc.Control(func(fd uintptr) {
		if sa, err := unix.Getsockname(int(fd)); err == nil {
			ap, _ = addrPort(sa)
		}
	})
	return ap
}

// runWait serves a "wait" service: it checks (datagram services), then
// gives the program the socket and waits for it to exit. It returns false
// when the program failed at once, so that the caller slows down.
func (s *Server) runWait(l *listener, sv *service, r *request) bool {
	// A stream "wait" program accepts its connections itself: there is
	// no client to limit (nor to check) before it runs.
	if r.dgram {
		ticket, ok := s.admit(sv, r.client.Addr())
		if !ok {
			consume(r)
			return true
		}
		defer ticket.Release()
	}
	// What started it, to see afterwards whether the program read it.
	var head []byte
	if r.dgram {
		head = peek(r)
	}
	st := s.baseState(r)
	if sv.daemon != "" {
		var v verdict
		st, v = s.check(r)
		switch v {
		case refused:
			// tcpd reads the refused datagram, so that inetd does
			// not start it again for the same one.
			consume(r)
			return true
		case twisted:
			s.dropIfSame(r, head)
			r.control(func(fd int) { unix.SetNonblock(fd, true) })
			return true
		}
	}
	p := &procSpec{path: sv.path, argv: sv.argv, env: st.env, umask: st.umask, nice: st.nice, cred: st.cred, rlimits: s.cfg.Rlimits}
	status := s.runProcess(r, p, "program", s.execFailed(sv), nil)
	r.control(func(fd int) { unix.SetNonblock(fd, true) })
	if status == nil {
		// openbsd-inetd reads the datagram of a program it cannot run.
		if r.dgram {
			consume(r)
		}
		return false
	}
	if r.dgram {
		s.dropIfSame(r, head)
	}
	return status.Exited && status.Code == 0 || s.now().Sub(r.start) > time.Second
}

// peek returns the sender and content of the first pending datagram.
func peek(r *request) []byte {
	var b []byte
	r.control(func(fd int) {
		buf := make([]byte, 65536)
		n, from, err := unix.Recvfrom(fd, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == nil {
			ap, _ := addrPort(from)
			b = append([]byte(ap.String()+"\x00"), buf[:n]...)
		}
	})
	return b
}

// consume reads and drops the first pending datagram.
func consume(r *request) {
	r.control(func(fd int) {
		buf := make([]byte, 65536)
		unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
	})
}

// dropIfSame drops the first pending datagram when it is still the one
// that started the program: a program (or twist) that exits without
// reading it would otherwise be started for it again and again.
func (s *Server) dropIfSame(r *request, head []byte) {
	if head != nil && bytes.Equal(peek(r), head) {
		s.debugf("%s: the program left its datagram unread: dropped", r.sv.id)
		consume(r)
	}
}

// serveDatagram answers one datagram of a built-in service.
func (s *Server) serveDatagram(l *listener, sv *service, client, local netip.AddrPort, from unix.Sockaddr, data []byte) {
	// Never answer a privileged port (another server's, which would
	// answer back: the classic echo/chargen loop) nor NFS.
	if p := client.Port(); p < 1024 || p == 2049 {
		return
	}
	ticket, ok := s.admit(sv, client.Addr())
	if !ok {
		return
	}
	r := &request{sv: sv, rc: l.rc, dgram: true, client: client, server: local, start: s.now()}
	answer := func() {
		defer ticket.Release()
		if sv.daemon != "" {
			if _, v := s.check(r); v != granted {
				return
			}
		}
		reply := datagramReply(sv.def.Builtin, data, s.now())
		if reply == nil {
			return
		}
		r.control(func(fd int) {
			if err := unix.Sendto(fd, reply, unix.MSG_DONTWAIT, from); err != nil && !errors.Is(err, unix.EAGAIN) {
				s.debugf("%s: sendto %s: %v", sv.id, client, err)
			}
		})
	}
	if sv.daemon == "" {
		answer()
		return
	}
	// A check may look names up: not in the socket's loop.
	s.sessions.add()
	go func() {
		defer s.sessions.done()
		answer()
	}()
}
