package trail

import (
	"os"
	"path/filepath"
	"strings"

	"tcpwrap/audit/logconf"
	"tcpwrap/audit/remote"
)

// TLSLoader makes the TLS client for a log host from the files the
// logging configuration names (CA, certificate, key; "" when not given).
type TLSLoader func(ca, cert, key string) (remote.TLSClient, error)

var loadTLS TLSLoader

// RegisterTLS gives the trail TLS for "remote tls" log hosts. Package
// audit/remote/tlsclient registers itself when imported; a program that
// imports it ships to TLS hosts itself. A program that does not (tcpd,
// which starts once per connection and would pay for linking TLS at
// every start, and for a handshake per connection) leaves the records for
// TLS hosts in an outbox, shipped by tcpwrap-logship (see Config.Outboxes).
func RegisterTLS(l TLSLoader) { loadTLS = l }

// DefaultOutboxBase is where outboxes go when the logging configuration
// names no spool directory.
const DefaultOutboxBase = "/var/spool/tcpwrap"

// OutboxDir is the outbox directory for a log host of the configuration.
func OutboxDir(c *logconf.Config, r logconf.Remote) string {
	base := c.SpoolDir
	if base == "" {
		base = DefaultOutboxBase
	}
	return filepath.Join(base, spoolName(r)+".outbox")
}

// FromConfig turns the logging configuration file's settings into a
// trail Config, loading the TLS files it names. Each remote host gets its
// own subdirectory of the spool directory. Without TLS (see RegisterTLS),
// TLS hosts get an outbox instead.
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
		if r.Network == "tls" && loadTLS == nil {
			cfg.Outboxes = append(cfg.Outboxes, Outbox{Dir: OutboxDir(c, r), Network: r.Network, Addr: r.Addr})
			continue
		}
		rc, err := RemoteConfig(c, r)
		if err != nil {
			return Config{}, err
		}
		cfg.Remotes = append(cfg.Remotes, rc)
	}
	return cfg, nil
}

// RemoteConfig is the Sender configuration for one log host of the
// configuration, its TLS files loaded (which needs RegisterTLS).
func RemoteConfig(c *logconf.Config, r logconf.Remote) (remote.Config, error) {
	rc := remote.Config{Network: r.Network, Addr: r.Addr, QueueSize: c.QueueSize, SpoolMax: c.SpoolMax}
	if c.SpoolDir != "" {
		rc.SpoolDir = filepath.Join(c.SpoolDir, spoolName(r))
	}
	if r.Network == "tls" {
		if loadTLS == nil {
			return rc, &remoteError{r.Addr, "this program has no TLS (import audit/remote/tlsclient)"}
		}
		tc, err := loadTLS(r.CA, r.Cert, r.Key)
		if err != nil {
			return rc, &remoteError{r.Addr, err.Error()}
		}
		rc.TLS = tc
	}
	return rc, nil
}

type remoteError struct{ addr, text string }

func (e *remoteError) Error() string { return "remote " + e.addr + ": " + e.text }

// spoolName is a directory name for one remote host: "tcp-192.0.2.10-514".
func spoolName(r logconf.Remote) string {
	return r.Network + "-" + strings.NewReplacer(":", "-", "[", "", "]", "", "/", "_").Replace(r.Addr)
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
	cfg.ShipperConf = path
	return Open(cfg)
}

// shipperPath is tcpwrap-logship next to the running program.
func shipperPath() string {
	exe, err := os.Executable()
	if err != nil {
		return "tcpwrap-logship"
	}
	return filepath.Join(filepath.Dir(exe), "tcpwrap-logship")
}
