package remote

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

// Config says where and how a Sender delivers. Only Network and Addr are
// required; the zero value of every other field means its default.
type Config struct {
	// Network is "udp" (RFC 5426: one datagram per message), "tcp"
	// (RFC 6587 octet counting: "LEN SP MSG") or "tls" (RFC 5425, the
	// same framing inside TLS).
	Network string
	// Addr is the log host's "host:port".
	Addr string
	// TLS secures the connections of "tls" (required for it): package
	// audit/remote/tlsclient makes one from a *tls.Config (CA pool,
	// client certificate; an empty ServerName is taken from Addr's host).
	// TLS is kept out of this package so that programs that never use it
	// do not link it: tcpd starts once per connection and pays for every
	// package it links (measured: about 60 page faults per start).
	TLS TLSClient
	// Hostname is the HOSTNAME of messages that name none; "" means
	// os.Hostname().
	Hostname string

	// QueueSize bounds the records held in memory waiting for the
	// network (default 10000). When it is full, Send moves the queue to
	// the spool, or without one drops the new record.
	QueueSize int
	// SpoolDir, when not "", is a directory for the on-disk spool: the
	// records waiting while the log host is down or the queue is full.
	// It survives the process; a new Sender on it delivers what is left.
	// Only one Sender may use a directory at a time.
	SpoolDir string
	// SpoolMax bounds the spool's files in bytes (default 64 MiB). When it
	// is full, new records are dropped (the oldest, already spooled, are
	// kept) and counted in Stats.Dropped.
	SpoolMax int64

	// BackoffMin and BackoffMax bound the wait between connection
	// attempts, which doubles from BackoffMin after each failure (default
	// 100ms and 30s).
	BackoffMin, BackoffMax time.Duration
	// Timeout bounds a dial, a TLS handshake and a write (default 30s). A
	// write that times out breaks the connection.
	Timeout time.Duration
	// Settle is how long written records must have been acknowledged by
	// the peer's TCP before they count as delivered, and so how far back
	// records are written again when the connection breaks (default
	// 500ms). See "Delivery and duplicates" in the package documentation.
	Settle time.Duration
}

// TLSClient wraps a freshly dialled connection in TLS and completes the
// handshake within ctx. The returned connection's CloseWrite, if it has
// one, is called before the TCP connection's to end the session cleanly
// (TLS close_notify).
type TLSClient interface {
	Client(ctx context.Context, c net.Conn, serverName string) (net.Conn, error)
}

// Defaults.
const (
	DefaultQueueSize  = 10000
	DefaultSpoolMax   = 64 << 20
	DefaultBackoffMin = 100 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
	DefaultTimeout    = 30 * time.Second
	DefaultSettle     = 500 * time.Millisecond
)

// withDefaults checks c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	switch c.Network {
	case "udp", "tcp", "tls":
	default:
		return c, fmt.Errorf("remote: network %q: want udp, tcp or tls", c.Network)
	}
	if c.Network == "tls" && c.TLS == nil {
		return c, fmt.Errorf("remote: %s: network tls needs Config.TLS (package audit/remote/tlsclient)", c.Addr)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("remote: address %q: %v", c.Addr, err)
	}
	if c.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return c, fmt.Errorf("remote: %v", err)
		}
		c.Hostname = h
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.SpoolMax <= 0 {
		c.SpoolMax = DefaultSpoolMax
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultBackoffMin
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	c.BackoffMax = max(c.BackoffMax, c.BackoffMin)
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Settle <= 0 {
		c.Settle = DefaultSettle
	}
	return c, nil
}
