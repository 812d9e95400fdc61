package remote

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// conn is one connection to the log host.
type conn struct {
	c      net.Conn     // what records are written to (the tls.Conn for TLS)
	tcp    *net.TCPConn // the TCP connection under it; nil for UDP
	count  *countingConn
	broken chan struct{} // closed when the peer closed or reset the connection
	err    atomic.Pointer[error]
	stop   func() bool // stops the abort hook
}

// countingConn counts the bytes written to the TCP connection, so that
// they can be compared with what the kernel says is not yet acknowledged
// (TLS adds its own bytes to every record).
type countingConn struct {
	net.Conn
	n atomic.Int64 // tls.Conn.Read may write too (a KeyUpdate answer)
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// dial connects to the log host; abort cancels the dial and, later, makes
// blocked writes return.
func dial(abort context.Context, cfg *Config) (*conn, error) {
	ctx, cancel := context.WithTimeout(abort, cfg.Timeout)
	defer cancel()
	d := net.Dialer{}
	network := cfg.Network
	if network == "tls" {
		network = "tcp"
	}
	raw, err := d.DialContext(ctx, network, cfg.Addr)
	if err != nil {
		return nil, err
	}
	c := &conn{c: raw, broken: make(chan struct{})}
	if cfg.Network != "udp" {
		c.tcp = raw.(*net.TCPConn)
		c.count = &countingConn{Conn: raw}
		c.c = c.count
	}
	if cfg.Network == "tls" {
		serverName := cfg.Addr
		if host, _, err := net.SplitHostPort(cfg.Addr); err == nil {
			serverName = host
		}
		tc, err := cfg.TLS.Client(ctx, c.count, serverName)
		if err != nil {
			raw.Close()
			return nil, err
		}
		c.c = tc
	}
	c.stop = context.AfterFunc(abort, func() { raw.SetDeadline(time.Now()) })
	if c.tcp != nil {
		go c.watch()
	}
	return c, nil
}

// watch reads until the peer closes or resets the connection (a syslog
// server sends nothing), so that a dead peer is noticed even when no
// write fails.
func (c *conn) watch() {
	buf := make([]byte, 512)
	for {
		if _, err := c.c.Read(buf); err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *conn) fail(err error) {
	if c.err.CompareAndSwap(nil, &err) {
		close(c.broken)
	}
}

// failed returns the error that broke the connection, or nil.
func (c *conn) failed() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// written is the number of bytes written to the TCP connection.
func (c *conn) written() int64 { return c.count.n.Load() }

// acked returns how many of the bytes written the peer has acknowledged.
func (c *conn) acked() int64 {
	// Read the count first: bytes written after it can only make the
	// unacknowledged count larger, so the result errs on the low side.
	w := c.count.n.Load()
	n, ok := unacked(c.tcp)
	if !ok {
		return w
	}
	return w - n
}

// closeWrite ends the sending side: TLS's close_notify, then TCP's FIN.
func (c *conn) closeWrite() {
	if c.c != c.count {
		if tc, ok := c.c.(interface{ CloseWrite() error }); ok {
			c.c.SetWriteDeadline(time.Now().Add(time.Second))
			tc.CloseWrite()
		}
	}
	c.tcp.CloseWrite()
}

func (c *conn) close() {
	c.stop()
	c.c.Close()
	if c.tcp != nil {
		c.fail(net.ErrClosed)
	}
}

// writeDatagram sends one datagram. ECONNREFUSED on a connected UDP
// socket reports an ICMP error caused by an earlier datagram, and this
// one was not sent: it is tried once more.
func (c *conn) writeDatagram(p []byte, timeout time.Duration) error {
	c.c.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.c.Write(p)
	if errors.Is(err, syscall.ECONNREFUSED) {
		_, err = c.c.Write(p)
	}
	return err
}
