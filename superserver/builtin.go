package superserver

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/inetconf"
)

// The built-in services, for stream connections (RFC 862, 863, 864, 867
// and 868) and datagrams.

// chargenRing is the 95 printable ASCII characters, twice, so that any
// line of 72 is a slice of it.
var chargenRing = func() []byte {
	b := make([]byte, 0, 190)
	for i := 0; i < 2; i++ {
		for c := byte(' '); c <= '~'; c++ {
			b = append(b, c)
		}
	}
	return b
}()

const chargenLine = 72

// chargenLines appends the lines starting at rotation k, k+1, ... to
// fill about n bytes.
func chargenLines(dst []byte, k *int, n int) []byte {
	for len(dst) < n {
		dst = append(dst, chargenRing[*k:*k+chargenLine]...)
		dst = append(dst, '\r', '\n')
		if *k++; *k == 95 {
			*k = 0
		}
	}
	return dst
}

// daytime is RFC 867's text as openbsd-inetd writes it (ctime(3) in
// local time, CR LF).
func daytime(now time.Time) []byte {
	return []byte(now.Format("Mon Jan _2 15:04:05 2006") + "\r\n")
}

// rfc868 is the time in seconds since 1900, big-endian, 32 bits.
func rfc868(now time.Time) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(now.Unix()+2208988800))
}

// readerOnly and writerOnly hide io.ReaderFrom and io.WriterTo, so that
// echo copies through a buffer instead of splicing a socket to itself.
type readerOnly struct{ io.Reader }
type writerOnly struct{ io.Writer }

// runBuiltin serves a stream built-in to the end.
func (s *Server) runBuiltin(r *request) {
	c := r.conn
	release := s.sessions.hold(c)
	defer release()
	if s.cfg.Observer != nil {
		s.cfg.Observer.SessionStart(r.sv.id)
	}
	e := &SessionEnd{Service: r.sv.id, Daemon: r.sv.daemon, Kind: "builtin", Client: r.client, Server: r.server, Start: r.start}
	switch r.sv.def.Builtin {
	case inetconf.Echo:
		n, _ := io.CopyBuffer(writerOnly{c}, readerOnly{c}, make([]byte, 8192))
		e.BytesIn, e.BytesOut = n, n
	case inetconf.Discard:
		e.BytesIn, _ = io.Copy(io.Discard, readerOnly{c})
	case inetconf.Chargen:
		k := 0
		buf := make([]byte, 0, 8192)
		for {
			buf = chargenLines(buf[:0], &k, 8000)
			n, err := c.Write(buf)
			e.BytesOut += int64(n)
			if err != nil {
				break
			}
		}
	case inetconf.Daytime:
		n, _ := writeLast(c, daytime(s.now()))
		e.BytesOut = int64(n)
	case inetconf.Time:
		n, _ := writeLast(c, rfc868(s.now()))
		e.BytesOut = int64(n)
	}
	c.Close()
	s.endSession(e)
}

// writeLast writes b, the last thing sent before c is closed, and ends
// the stream. Over TCP it writes with MSG_MORE and then shuts the
// sending side down, so that the FIN leaves in the same segment as b
// (one segment, and one acknowledgement, fewer per connection), as the
// redirect relay does at an end of stream. The shutdown, not the close,
// sends them: a close with unread data from the client resets the
// connection and would drop what MSG_MORE held back.
func writeLast(c net.Conn, b []byte) (int, error) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c.Write(b)
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return 0, err
	}
	h := &halfCopy{p: b, flags: unix.MSG_MORE | unix.MSG_NOSIGNAL}
	err = rc.Write(h.write)
	n := len(b) - len(h.p)
	if err == nil && h.err != nil {
		err = os.NewSyscallError("sendmsg", h.err)
	}
	if cerr := tc.CloseWrite(); err == nil {
		err = cerr
	}
	return n, err
}

// chargenNext is the rotation of the next chargen datagram.
var chargenNext atomic.Uint32

// datagramReply is a built-in's answer to one datagram, or nil for none.
func datagramReply(b inetconf.Builtin, data []byte, now time.Time) []byte {
	switch b {
	case inetconf.Echo:
		return data
	case inetconf.Chargen:
		k := int(chargenNext.Add(1) % 95)
		return chargenLines(nil, &k, 1)
	case inetconf.Daytime:
		return daytime(now)
	case inetconf.Time:
		return rfc868(now)
	}
	return nil
}
