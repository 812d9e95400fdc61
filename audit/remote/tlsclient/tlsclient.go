// Package tlsclient gives package remote its TLS (RFC 5425 syslog over
// TLS). It is separate so that programs that never ship over TLS do not
// link crypto/tls and crypto/x509.
//
// Importing it for its side effect also lets package trail open the TLS
// log hosts of the logging configuration:
//
//	import _ "tcpwrap/audit/remote/tlsclient"
package tlsclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"tcpwrap/audit/remote"
	"tcpwrap/audit/trail"
)

func init() { trail.RegisterTLS(Load) }

// Client secures connections with a TLS configuration.
type Client struct {
	Config *tls.Config // nil: the system roots, no client certificate
}

// New returns a remote.TLSClient for cfg (at least TLS 1.2 when cfg
// leaves MinVersion unset).
func New(cfg *tls.Config) remote.TLSClient { return Client{Config: cfg} }

// Client runs the handshake on c; an empty ServerName in the
// configuration is taken to be serverName.
func (t Client) Client(ctx context.Context, c net.Conn, serverName string) (net.Conn, error) {
	var cfg *tls.Config
	if t.Config != nil {
		cfg = t.Config.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// Load reads the files a logging configuration names for a TLS log host:
// the CA certificates that vouch for it (PEM; "" for the system roots)
// and this host's certificate and key (PEM; "" for none).
func Load(ca, cert, key string) (remote.TLSClient, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in the file", ca)
		}
		cfg.RootCAs = pool
	}
	if cert != "" {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return New(cfg), nil
}
