package superserver

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/audit"
)

// runRedirect relays a checked connection to the service's target and
// records the bytes each way.
func (s *Server) runRedirect(r *request) {
	sv := r.sv
	c := r.conn
	release := s.sessions.hold(c)
	defer release()
	e := &SessionEnd{Service: sv.id, Daemon: sv.daemon, Kind: "redirect", Client: r.client, Server: r.server, Start: r.start}
	up, err := s.dialTarget(sv.target)
	if s.cfg.Observer != nil {
		s.cfg.Observer.SessionStart(sv.id)
	}
	if err != nil {
		c.Close()
		e.Err = err.Error()
		if s.cfg.Trail != nil {
			s.cfg.Trail.Log(&audit.Message{Time: s.now(), Priority: audit.ErrorPriority, AppName: sv.daemon, PID: s.pid,
				Text: "error: redirect to " + sv.target + ": " + err.Error()})
		}
		s.endSession(e)
		return
	}
	releaseUp := s.sessions.hold(up)
	defer releaseUp()
	e.BytesIn, e.BytesOut = relay(c, up)
	s.endSession(e)
}

// kernelTimeoutMin is the shortest RedirectTimeout the kernel enforces
// exactly: it first looks at an unanswered SYN when it would send it
// again, after a second.
const kernelTimeoutMin = time.Second

// dialTarget connects to a redirect target within RedirectTimeout.
func (s *Server) dialTarget(target string) (net.Conn, error) {
	if s.cfg.Dial == nil && s.cfg.RedirectTimeout >= kernelTimeoutMin {
		if _, err := netip.ParseAddrPort(target); err == nil {
			return dialNumeric(target, s.cfg.RedirectTimeout)
		}
	}
	dial := s.cfg.Dial
	if dial == nil {
		// No keep-alives, as for the clients' side (inetd sets none).
		dial = (&net.Dialer{KeepAlive: -1}).DialContext
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedirectTimeout)
	defer cancel()
	return dial(ctx, "tcp", target)
}

// dialNumeric connects to an address given as numbers (nothing to look
// up), with the kernel bounding the attempt: TCP_USER_TIMEOUT limits the
// SYN's retransmissions too. That costs no timer, context or deadline
// of the runtime, which a context's timeout does on every connection.
// The option is cleared once connected, so that it does not limit the
// session.
func dialNumeric(target string, timeout time.Duration) (net.Conn, error) {
	ms := min(timeout.Milliseconds(), math.MaxInt32)
	d := net.Dialer{KeepAlive: -1, Control: func(_, _ string, rc syscall.RawConn) error {
		return setUserTimeout(rc, int(ms))
	}}
	c, err := d.DialContext(context.Background(), "tcp", target)
	if err != nil {
		return nil, err
	}
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err == nil {
		err = setUserTimeout(rc, 0)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func setUserTimeout(rc syscall.RawConn, ms int) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, ms)
	}); cerr != nil {
		return cerr
	}
	return os.NewSyscallError("setsockopt TCP_USER_TIMEOUT", err)
}

// relay copies both ways until both sides have finished sending, passing
// each end of stream on as a half-close, and returns the bytes from the
// client and to it. An error on either side ends both.
func relay(client, server net.Conn) (in, out int64) {
	var wg sync.WaitGroup
	var once sync.Once
	abort := func() {
		once.Do(func() {
			client.Close()
			server.Close()
		})
	}
	half := func(dst, src net.Conn, n *int64) {
		defer wg.Done()
		var err error
		*n, err = copyConn(dst, src)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			abort()
			return
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			if cw.CloseWrite() != nil {
				abort()
			}
		} else {
			abort()
		}
	}
	wg.Add(2)
	go half(server, client, &in)
	half(client, server, &out)
	wg.Wait()
	abort()
	return in, out
}

// relayBufSize is the size of the buffers the relay copies through.
const relayBufSize = 64 << 10

// relayBufs holds the relay's buffers. A relay holds one only while
// data goes through (between a read and the end of its write), not
// while it waits, so that idle sessions hold none.
var relayBufs = sync.Pool{New: func() any { return new([relayBufSize]byte) }}

// copyConn copies src to dst until src's end of stream (nil) or an
// error, and returns the bytes written.
//
// Between TCP sockets it reads and writes the descriptors itself, with
// a buffer from relayBufs, rather than splice(2) them as io.Copy does:
// splice holds a pipe (two descriptors) per direction for the session's
// whole life, and moves bulk data no faster than 64 KiB reads and writes
// (BenchmarkRedirect). And when the end of src's stream is already
// there after what was read, the data is written with MSG_MORE, so that
// the half-close that follows sends both in one segment (and the peer
// acknowledges both at once).
func copyConn(dst, src net.Conn) (int64, error) {
	sc, ok1 := src.(*net.TCPConn)
	dc, ok2 := dst.(*net.TCPConn)
	if !ok1 || !ok2 {
		b := relayBufs.Get().(*[relayBufSize]byte)
		defer relayBufs.Put(b)
		return io.CopyBuffer(writerOnly{dst}, readerOnly{src}, b[:])
	}
	srcRaw, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	dstRaw, err := dc.SyscallConn()
	if err != nil {
		return 0, err
	}
	h := &halfCopy{}
	defer h.release()
	wait, peek, write := h.wait, h.peek, h.write
	var total int64
	for {
		if err := srcRaw.Read(wait); err != nil {
			return total, err
		}
		if h.err != nil {
			return total, os.NewSyscallError("read", h.err)
		}
		if h.n == 0 {
			return total, nil
		}
		// Take what else has arrived, and see whether the end of
		// stream (or an error) has.
		end := false
		var readErr error
	peeking:
		for h.n < len(h.buf) {
			if err := srcRaw.Read(peek); err != nil {
				readErr = err
				break
			}
			if h.more > 0 {
				h.n += h.more
				continue
			}
			switch h.err {
			case nil:
				end = true
			case unix.EAGAIN:
			default:
				readErr = os.NewSyscallError("read", h.err)
			}
			break peeking
		}
		h.err = nil
		h.p, h.flags = h.buf[:h.n], unix.MSG_NOSIGNAL
		if end {
			h.flags |= unix.MSG_MORE
		}
		err := dstRaw.Write(write)
		total += int64(h.n - len(h.p))
		h.p = nil // it points into the buffer
		if err == nil && h.err != nil {
			err = os.NewSyscallError("sendmsg", h.err)
		}
		if err == nil {
			err = readErr
		}
		if err != nil || end {
			return total, err
		}
	}
}

// halfCopy is copyConn's state, which the functions given to the
// descriptors' RawConn use.
type halfCopy struct {
	buf   *[relayBufSize]byte // nil while waiting
	n     int                 // bytes in buf
	more  int                 // what peek read
	p     []byte              // what write has still to write
	flags int                 // write's flags
	err   error
}

// wait reads into a buffer; it returns false, to wait until the socket
// is readable, when there is nothing to read, and gives the buffer back
// meanwhile. n is 0 at the end of stream.
func (h *halfCopy) wait(fd uintptr) bool {
	if h.buf == nil {
		h.buf = relayBufs.Get().(*[relayBufSize]byte)
	}
	for {
		n, err := unix.Read(int(fd), h.buf[:])
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			h.release()
			return false
		}
		h.n, h.err = max(n, 0), err
		return true
	}
}

// peek reads what is there after buf's data without waiting: more is 0
// with err nil at the end of stream, 0 with EAGAIN when nothing more is
// there yet.
func (h *halfCopy) peek(fd uintptr) bool {
	for {
		n, err := unix.Read(int(fd), h.buf[h.n:])
		if err != unix.EINTR {
			h.more, h.err = max(n, 0), err
			return true
		}
	}
}

// write writes p, returning false to wait while the socket's buffer is
// full.
func (h *halfCopy) write(fd uintptr) bool {
	for len(h.p) > 0 {
		n, err := unix.SendmsgN(int(fd), h.p, nil, nil, h.flags)
		switch err {
		case nil:
			h.p = h.p[n:]
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			h.err = err
			return true
		}
	}
	return true
}

func (h *halfCopy) release() {
	if h.buf != nil {
		relayBufs.Put(h.buf)
		h.buf = nil
	}
}
