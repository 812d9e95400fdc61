package superserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/audit"
	"tcpwrap/inetconf"
)

// listener is one listening socket and the goroutine serving it.
type listener struct {
	s   *Server
	key inetconf.Key
	svc atomic.Pointer[service]
	// wait is fixed when the socket is opened: the program gets the
	// socket (UDP programs, TCP "wait"), or the super-server reads it.
	wait bool
	// ln serves stream "nowait" sockets; f (with rc) the others, which
	// the super-server polls itself.
	ln   net.Listener
	f    *os.File
	rc   syscall.RawConn
	path string // a Unix-domain socket's file, removed on close
	// inherited: the socket came from the service manager; its accepted
	// connections have Go's keep-alives on.
	inherited bool
	quit      chan struct{}
	once      sync.Once
}

func (l *listener) close() {
	l.once.Do(func() {
		close(l.quit)
		if l.ln != nil {
			l.ln.Close()
		}
		if l.f != nil {
			l.f.Close()
		}
		if l.path != "" {
			removeSocket(l.path)
		}
	})
}

func (l *listener) addr() net.Addr {
	if l.ln != nil {
		return l.ln.Addr()
	}
	var sa unix.Sockaddr
	l.rc.Control(func(fd uintptr) { sa, _ = unix.Getsockname(int(fd)) })
	ap, ok := addrPort(sa)
	if !ok {
		return nil
	}
	if l.key.Socket == inetconf.Dgram {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

func (l *listener) serve() {
	switch {
	case l.ln != nil:
		l.acceptLoop()
	case l.key.Socket == inetconf.Stream:
		l.waitLoop()
	default:
		l.datagramLoop()
	}
}

// listen opens (or takes over from the inherited sockets) the socket of
// sv.
func (s *Server) listen(sv *service) (*listener, error) {
	k := sv.def.Key()
	fd, err := s.inheritedFD(k)
	if err != nil {
		return nil, err
	}
	l := &listener{s: s, key: k, wait: sv.wait, quit: make(chan struct{})}
	if fd < 0 && k.Family != inetconf.Unix && k.Socket == inetconf.Stream && !sv.wait {
		// Through net.ListenConfig, for its KeepAlive: -1: connections
		// accepted from a net.FileListener get keep-alives switched on,
		// four system calls each, and a fifth to switch them off.
		ln, err := listenTCP(k, s.cfg.Backlog)
		if err != nil {
			return nil, err
		}
		l.svc.Store(sv)
		l.ln = ln
		return l, nil
	}
	l.inherited = fd >= 0
	if fd < 0 {
		if fd, err = openSocket(k, s.cfg.Backlog); err != nil {
			return nil, err
		}
		if k.Family == inetconf.Unix {
			l.path = k.Path
		}
	}
	l.svc.Store(sv)
	f := os.NewFile(uintptr(fd), k.String())
	if k.Socket == inetconf.Stream && !sv.wait {
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		l.ln = ln
		return l, nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	l.f, l.rc = f, rc
	return l, nil
}

// listenTCP opens a TCP listener as openSocket does, through
// net.ListenConfig.
func listenTCP(k inetconf.Key, backlog int) (net.Listener, error) {
	var cerr error
	lc := net.ListenConfig{
		KeepAlive: -1,
		Control: func(network, address string, c syscall.RawConn) error {
			if k.Family != inetconf.IPv6 {
				return nil
			}
			c.Control(func(fd uintptr) {
				switch k.V6Only {
				case inetconf.V6OnlyOn:
					cerr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
				case inetconf.V6OnlyOff:
					cerr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
				}
			})
			return cerr
		},
	}
	network := "tcp4"
	if k.Family == inetconf.IPv6 {
		network = "tcp6"
	}
	ln, err := lc.Listen(context.Background(), network, k.Addr.String())
	if err != nil {
		return nil, err
	}
	// Go listens with the system's maximum backlog; listen(2) again
	// sets ours.
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err == nil {
		rc.Control(func(fd uintptr) { err = unix.Listen(int(fd), backlog) })
	}
	if err != nil {
		ln.Close()
		return nil, os.NewSyscallError("listen", err)
	}
	return ln, nil
}

// openSocket makes the socket of k as openbsd-inetd does (SO_REUSEADDR,
// IPV6_V6ONLY as the key says, the backlog for streams), close-on-exec
// and non-blocking.
func openSocket(k inetconf.Key, backlog int) (int, error) {
	var domain int
	var sa unix.Sockaddr
	switch k.Family {
	case inetconf.IPv4:
		domain = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(k.Addr.Port()), Addr: k.Addr.Addr().As4()}
	case inetconf.IPv6:
		domain = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: int(k.Addr.Port()), Addr: k.Addr.Addr().As16()}
		if z := k.Addr.Addr().Zone(); z != "" {
			if ifi, err := net.InterfaceByName(z); err == nil {
				a.ZoneId = uint32(ifi.Index)
			}
		}
		sa = a
	case inetconf.Unix:
		domain = unix.AF_UNIX
		sa = &unix.SockaddrUnix{Name: k.Path}
	default:
		return -1, fmt.Errorf("unknown family %v", k.Family)
	}
	typ := unix.SOCK_STREAM
	if k.Socket == inetconf.Dgram {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	fail := func(what string, err error) (int, error) {
		unix.Close(fd)
		return -1, os.NewSyscallError(what, err)
	}
	if k.Family != inetconf.Unix {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return fail("setsockopt SO_REUSEADDR", err)
		}
	}
	if k.Family == inetconf.IPv6 {
		switch k.V6Only {
		case inetconf.V6OnlyOn:
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
		case inetconf.V6OnlyOff:
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		}
		if err != nil {
			return fail("setsockopt IPV6_V6ONLY", err)
		}
	}
	if k.Family == inetconf.Unix {
		// A socket file left by an earlier run would make bind fail.
		removeSocket(k.Path)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if k.Socket == inetconf.Stream {
		if err := unix.Listen(fd, backlog); err != nil {
			return fail("listen", err)
		}
	}
	return fd, nil
}

// removeSocket removes path if it is a socket (and nothing else).
func removeSocket(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
}

// inherited is a listening socket from the service manager.
type inherited struct {
	key inetconf.Key
	f   *os.File
}

// adopt takes an inherited socket into the pool.
func (s *Server) adopt(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var k inetconf.Key
	var kerr error
	rc.Control(func(fd uintptr) {
		unix.CloseOnExec(int(fd))
		k, kerr = socketKey(int(fd))
	})
	if kerr != nil {
		return kerr
	}
	s.inherited = append(s.inherited, inherited{key: k, f: f})
	s.debugf("inherited socket %s: %s", f.Name(), k)
	return nil
}

// socketKey describes a socket as a Key.
func socketKey(fd int) (inetconf.Key, error) {
	var k inetconf.Key
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return k, os.NewSyscallError("getsockopt SO_TYPE", err)
	}
	switch typ {
	case unix.SOCK_STREAM:
		k.Socket = inetconf.Stream
		if acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || acc == 0 {
			return k, errors.New("not a listening socket (a socket unit needs Accept=no)")
		}
	case unix.SOCK_DGRAM:
		k.Socket = inetconf.Dgram
	default:
		return k, fmt.Errorf("socket type %d is neither stream nor datagram", typ)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return k, os.NewSyscallError("getsockname", err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		k.Family = inetconf.IPv4
		k.Addr = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		k.Family = inetconf.IPv6
		ap, _ := addrPort(a)
		k.Addr = ap
		k.V6Only = inetconf.V6OnlyOff
		if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); err == nil && v == 1 {
			k.V6Only = inetconf.V6OnlyOn
		}
	case *unix.SockaddrUnix:
		k.Family = inetconf.Unix
		k.Path = a.Name
	default:
		return k, errors.New("not an IPv4, IPv6 or Unix-domain socket")
	}
	return k, nil
}

// matches reports whether an inherited socket can serve as the socket
// of want: same family, type and address, and an IPv6 socket that is
// dual-stack where want does not ask for IPv6 only.
func matches(have, want inetconf.Key) bool {
	if have.Family != want.Family || have.Socket != want.Socket || have.Addr != want.Addr || have.Path != want.Path {
		return false
	}
	if have.Family == inetconf.IPv6 {
		return (have.V6Only == inetconf.V6OnlyOn) == (want.V6Only == inetconf.V6OnlyOn)
	}
	return true
}

// inheritedFD returns a non-blocking duplicate of the inherited socket
// for k, or -1 when there is none.
func (s *Server) inheritedFD(k inetconf.Key) (int, error) {
	for _, in := range s.inherited {
		if !matches(in.key, k) {
			continue
		}
		rc, err := in.f.SyscallConn()
		if err != nil {
			return -1, err
		}
		fd := -1
		var derr error
		rc.Control(func(orig uintptr) {
			fd, derr = unix.FcntlInt(orig, unix.F_DUPFD_CLOEXEC, 3)
		})
		if derr != nil {
			return -1, os.NewSyscallError("dup", derr)
		}
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fd)
			return -1, err
		}
		return fd, nil
	}
	return -1, nil
}

// InheritedKeys returns the keys of the inherited sockets, for checking
// them against the configuration.
func (s *Server) InheritedKeys() []inetconf.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []inetconf.Key
	for _, in := range s.inherited {
		keys = append(keys, in.key)
	}
	return keys
}

// acceptLoop accepts connections until the listener closes. Errors that
// pass (no descriptors or memory left, an aborted connection) make it
// pause, from 5 ms up to a second, and are logged once per streak.
func (l *listener) acceptLoop() {
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.quit:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if delay == 0 {
				delay = 5 * time.Millisecond
				l.s.logf(audit.ErrorPriority, "%s: accept: %v", l.key, err)
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			select {
			case <-l.quit:
				return
			case <-time.After(delay):
			}
			continue
		}
		delay = 0
		l.s.sessions.add()
		go l.s.serveConn(l, c)
	}
}

// waitLoop serves a stream "wait" service: when a connection is pending,
// the program gets the listening socket and accepts it (and any more)
// itself; the socket is watched again once it exits.
func (l *listener) waitLoop() {
	var b backoff
	for {
		err := l.rc.Read(func(fd uintptr) bool {
			p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, _ := unix.Poll(p, 0)
			return n > 0
		})
		if err != nil {
			return
		}
		sv := l.svc.Load()
		l.s.sessions.add()
		ok := l.s.runWait(l, sv, &request{sv: sv, rc: l.rc, start: l.s.now()})
		l.s.sessions.done()
		if !b.pause(ok, l.quit) {
			return
		}
	}
}

// backoff slows down a "wait" service whose program keeps failing at
// once, instead of stopping it as openbsd-inetd does.
type backoff struct{ delay time.Duration }

// pause waits after a failed run (ok false), longer each time in a row,
// up to 10 s; it returns false when quit closes meanwhile.
func (b *backoff) pause(ok bool, quit chan struct{}) bool {
	if ok {
		b.delay = 0
		return true
	}
	if b.delay == 0 {
		b.delay = 100 * time.Millisecond
	} else if b.delay *= 2; b.delay > 10*time.Second {
		b.delay = 10 * time.Second
	}
	select {
	case <-quit:
		return false
	case <-time.After(b.delay):
		return true
	}
}

// addrPort converts a socket address, keeping IPv4-mapped addresses of
// IPv6 sockets as they are (tcpd sees them so), with interface names as
// zones.
func addrPort(sa unix.Sockaddr) (netip.AddrPort, bool) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)), true
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ip = ip.WithZone(ifi.Name)
			} else {
				ip = ip.WithZone(fmt.Sprint(a.ZoneId))
			}
		}
		return netip.AddrPortFrom(ip, uint16(a.Port)), true
	}
	return netip.AddrPort{}, false
}

// netAddrPort converts the address of a net.Conn the same way: Go gives
// IPv4 addresses in their 16-byte form, so those of IPv4 sockets are
// unmapped.
func netAddrPort(a net.Addr, fam inetconf.Family) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		return netip.AddrPort{}
	}
	if fam == inetconf.IPv4 {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}
