package trail

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"tcpwrap/audit/logconf"
	"tcpwrap/audit/remote"
)

// FromConfig turns the logging configuration file's settings into a
// trail Config, loading the TLS files it names. Each remote host gets its
// own subdirectory of the spool directory.
func FromConfig(c *logconf.Config) (Config, error) {
	cfg := Config{
		JSONPath:   c.JSONPath,
		Structured: c.Structured,
		Routes:     c.Routes,
	}
	switch c.SyslogMode {
	case logconf.SyslogOn:
		cfg.Syslog = SyslogOn
	case logconf.SyslogOff:
		cfg.Syslog = SyslogOff
	default:
		cfg.Syslog = SyslogAuto
	}
	for _, r := range c.Remotes {
		rc := remote.Config{Network: r.Network, Addr: r.Addr, QueueSize: c.QueueSize, SpoolMax: c.SpoolMax}
		if c.SpoolDir != "" {
			rc.SpoolDir = filepath.Join(c.SpoolDir, spoolName(r))
		}
		if r.Network == "tls" {
			tc, err := tlsConfig(r)
			if err != nil {
				return Config{}, err
			}
			rc.TLS = tc
		}
		cfg.Remotes = append(cfg.Remotes, rc)
	}
	return cfg, nil
}

// spoolName is a directory name for one remote host: "tcp-192.0.2.10-514".
func spoolName(r logconf.Remote) string {
	return r.Network + "-" + strings.NewReplacer(":", "-", "[", "", "]", "", "/", "_").Replace(r.Addr)
}

func tlsConfig(r logconf.Remote) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.CA != "" {
		pem, err := os.ReadFile(r.CA)
		if err != nil {
			return nil, fmt.Errorf("remote %s: %w", r.Addr, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("remote %s: %s: no PEM certificate in the file", r.Addr, r.CA)
		}
		tc.RootCAs = pool
	}
	if r.Cert != "" {
		cert, err := tls.LoadX509KeyPair(r.Cert, r.Key)
		if err != nil {
			return nil, fmt.Errorf("remote %s: %w", r.Addr, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// OpenFile reads the logging configuration file (path "" is the default,
// /etc/tcpwrap/logging.conf, whose absence means the defaults) and opens
// the trail it describes.
func OpenFile(path string) (*Trail, error) {
	c, err := logconf.Load(path)
	if err != nil {
		return nil, err
	}
	cfg, err := FromConfig(c)
	if err != nil {
		return nil, err
	}
	return Open(cfg)
}
