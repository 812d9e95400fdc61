package ident

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// Port is the ident service port (RFC 1413).
const Port = 113

// DefaultTimeout is the timeout used when Query is given none; it is tcpd's
// default rfc931 timeout.
const DefaultTimeout = 10 * time.Second

// MaxReplyLen is the most of the reply line Query reads, in bytes: tcpd
// reads it with fgets into a 512-byte buffer.
const MaxReplyLen = 511

// Unknown is what Lookup returns when the query fails.
const Unknown = "unknown"

var (
	// ErrReply reports a reply line that ParseReply refuses: an ERROR
	// reply, other ports, or anything malformed.
	ErrReply = errors.New("ident: no usable USERID reply")
	// ErrIncomplete reports that the server closed the connection before
	// sending a whole line. tcpd refuses such a reply even when the
	// partial line would parse.
	ErrIncomplete = errors.New("ident: connection closed before end of reply line")
)

// A Client queries ident servers. Its zero value queries port 113 with a
// net.Dialer.
type Client struct {
	// Port is the port queried on the client host; zero means Port (113).
	Port uint16
	// Dial opens a TCP connection from local, whose port is 0, to
	// remote. Nil means a net.Dialer bound to local.
	Dial func(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error)
}

// Query asks the ident server on the client host which user owns the TCP
// connection between client and server (the endpoints as the server sees
// them). It connects from server's IP address on any port to client's IP
// address on the ident port, sends "<client port>,<server port>\r\n",
// reads one line of at most MaxReplyLen bytes and parses it with
// ParseReply.
//
// timeout bounds the whole exchange, connection included; zero or less
// means DefaultTimeout. ctx can end it sooner.
//
// The addresses are unmapped first, and must then be of the same family,
// as tcpd only asks when both endpoints share one.
func (c *Client) Query(ctx context.Context, client, server netip.AddrPort, timeout time.Duration) (string, error) {
	ca, sa := client.Addr().Unmap(), server.Addr().Unmap()
	if !ca.IsValid() || !sa.IsValid() || ca.Is4() != sa.Is4() {
		return "", fmt.Errorf("ident: cannot query from %v to %v", server, client)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	port := c.Port
	if port == 0 {
		port = Port
	}
	local, remote := netip.AddrPortFrom(sa, 0), netip.AddrPortFrom(ca, port)
	dial := c.Dial
	if dial == nil {
		dial = dialTCP
	}
	conn, err := dial(ctx, local, remote)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", fmt.Errorf("ident: %w", err)
	}
	defer conn.Close()
	// When ctx ends (timeout or cancellation), pending I/O fails at once;
	// ctx.Err() is then already set and says why.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := fmt.Fprintf(conn, "%d,%d\r\n", client.Port(), server.Port()); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", fmt.Errorf("ident: %w", err)
	}
	line, err := readLine(bufio.NewReader(conn))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", fmt.Errorf("ident: %w", err)
	}
	user, ok := ParseReply(line, client.Port(), server.Port())
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrReply, line)
	}
	return user, nil
}

// readLine reads as fgets(buf, 512, fp) on an unbuffered stream does,
// with tcpd's checks: the line ends after '\n' or after MaxReplyLen bytes;
// end of file or an error before either fails.
func readLine(r io.ByteReader) (string, error) {
	var b []byte
	for len(b) < MaxReplyLen {
		c, err := r.ReadByte()
		if err == io.EOF {
			return "", ErrIncomplete
		}
		if err != nil {
			return "", err
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	return string(b), nil
}

func dialTCP(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(local)}
	return d.DialContext(ctx, "tcp", remote.String())
}

// Lookup is Query with tcpd's convention: any failure gives Unknown.
func (c *Client) Lookup(ctx context.Context, client, server netip.AddrPort, timeout time.Duration) string {
	user, err := c.Query(ctx, client, server, timeout)
	if err != nil {
		return Unknown
	}
	return user
}

// Query is Client.Query with the zero Client: port 113, a net.Dialer.
func Query(ctx context.Context, client, server netip.AddrPort, timeout time.Duration) (string, error) {
	return new(Client).Query(ctx, client, server, timeout)
}

// Lookup is Query with tcpd's convention: any failure gives Unknown.
func Lookup(client, server netip.AddrPort, timeout time.Duration) string {
	return new(Client).Lookup(context.Background(), client, server, timeout)
}
