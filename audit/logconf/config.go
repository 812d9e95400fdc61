package logconf

import (
	"strconv"
	"strings"

	"tcpwrap/audit/filelog"
)

// Defaults.
const (
	DefaultPath      = "/etc/tcpwrap/logging.conf"
	DefaultJSONPath  = "/var/log/tcpwrap/decisions.jsonl"
	DefaultQueueSize = 10000
	DefaultSpoolMax  = 64 << 20

	// MaxQueueSize bounds queue: records are held in memory.
	MaxQueueSize = 1000000
)

// SyslogMode says whether classic lines go to the local syslog daemon.
type SyslogMode int

const (
	// SyslogAuto sends them when /dev/log accepts a connection, and
	// otherwise writes the routes. The zero value.
	SyslogAuto SyslogMode = iota
	// SyslogOn always sends them; a daemon that is not there is an error
	// to report, and the routes are not used.
	SyslogOn
	// SyslogOff never sends them; the routes are used.
	SyslogOff
)

func (m SyslogMode) String() string {
	switch m {
	case SyslogAuto:
		return "auto"
	case SyslogOn:
		return "on"
	case SyslogOff:
		return "off"
	}
	return "SyslogMode(" + strconv.Itoa(int(m)) + ")"
}

// Remote is a central log host.
type Remote struct {
	Network string // "udp", "tcp" or "tls"
	Addr    string // host:port, an IPv6 address in brackets
	// For tls only, absolute paths; "": the system's roots (CA), no
	// client certificate (Cert and Key, which come together).
	CA, Cert, Key string
}

// Config is the logging configuration of every tcpwrap program.
type Config struct {
	// SyslogMode: classic tcpd lines to the local syslog daemon.
	SyslogMode SyslogMode
	// JSONPath is the file of structured decision records, one JSON
	// object a line; "" for none ("json off").
	JSONPath string
	// Structured also sends decision records to syslog as RFC 5424
	// structured data.
	Structured bool
	// Remotes are the central log hosts, in the file's order; nil: none.
	Remotes []Remote
	// SpoolDir keeps records for remote hosts that cannot be reached,
	// up to SpoolMax bytes; "": no spool (records the queue cannot hold
	// are dropped and counted).
	SpoolDir string
	SpoolMax int64
	// QueueSize is how many records wait in memory for slow
	// destinations.
	QueueSize int
	// Routes are the syslog.conf-style files written instead of syslog
	// when SyslogMode is off, or auto and /dev/log does not accept;
	// nil: none.
	Routes filelog.Table
}

// Default returns the configuration used when there is no file: syslog
// auto, decision records to DefaultJSONPath, nothing structured to syslog,
// no remote host, no spool, no route.
func Default() *Config {
	return &Config{
		SyslogMode: SyslogAuto,
		JSONPath:   DefaultJSONPath,
		SpoolMax:   DefaultSpoolMax,
		QueueSize:  DefaultQueueSize,
	}
}

// String returns c as a configuration file that Parse reads back as an
// equal Config (selectors in their canonical form).
func (c *Config) String() string {
	var b strings.Builder
	b.WriteString("syslog " + c.SyslogMode.String() + "\n")
	if c.JSONPath == "" {
		b.WriteString("json off\n")
	} else {
		b.WriteString("json " + c.JSONPath + "\n")
	}
	if c.Structured {
		b.WriteString("syslog-structured on\n")
	} else {
		b.WriteString("syslog-structured off\n")
	}
	for _, r := range c.Remotes {
		b.WriteString("remote " + r.Network + " " + r.Addr)
		for _, o := range []struct{ name, value string }{{"ca", r.CA}, {"cert", r.Cert}, {"key", r.Key}} {
			if o.value != "" {
				b.WriteString(" " + o.name + "=" + o.value)
			}
		}
		b.WriteByte('\n')
	}
	if c.SpoolDir != "" {
		b.WriteString("spool " + c.SpoolDir + " max=" + formatSize(c.SpoolMax) + "\n")
	}
	b.WriteString("queue " + strconv.Itoa(c.QueueSize) + "\n")
	for _, r := range c.Routes {
		b.WriteString("route " + r.Selector.String() + " " + r.Path + " format=" + r.Format.String() + "\n")
	}
	return b.String()
}
