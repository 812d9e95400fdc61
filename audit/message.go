package audit

import (
	"strconv"
	"time"
)

// Facility and Severity are syslog's, with the values of <syslog.h>
// (a Facility is already shifted: Daemon is 3<<3).
type (
	Facility int
	Severity int
)

const (
	Kern     Facility = 0 << 3
	User     Facility = 1 << 3
	Mail     Facility = 2 << 3
	Daemon   Facility = 3 << 3
	Auth     Facility = 4 << 3
	Syslog   Facility = 5 << 3
	Lpr      Facility = 6 << 3
	News     Facility = 7 << 3
	Uucp     Facility = 8 << 3
	Cron     Facility = 9 << 3
	Authpriv Facility = 10 << 3
	Ftp      Facility = 11 << 3
	Local0   Facility = 16 << 3
	Local7   Facility = 23 << 3
)

const (
	Emerg Severity = iota
	Alert
	Crit
	Err
	Warning
	Notice
	Info
	Debug
)

// Priority is a facility and a severity together, as syslog's PRI.
type Priority struct {
	Facility Facility
	Severity Severity
}

// PRI is the numeric priority written between '<' and '>'.
func (p Priority) PRI() int { return int(p.Facility) | int(p.Severity) }

var facilityNames = map[Facility]string{
	Kern: "kern", User: "user", Mail: "mail", Daemon: "daemon", Auth: "auth",
	Syslog: "syslog", Lpr: "lpr", News: "news", Uucp: "uucp", Cron: "cron",
	Authpriv: "authpriv", Ftp: "ftp",
}

var severityNames = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// FacilityName returns "daemon", "local3" and so on.
func (f Facility) String() string {
	if n, ok := facilityNames[f]; ok {
		return n
	}
	if f >= Local0 && f <= Local7 {
		return "local" + strconv.Itoa(int(f-Local0)>>3)
	}
	return "facility" + strconv.Itoa(int(f)>>3)
}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "severity" + strconv.Itoa(int(s))
}

func (p Priority) String() string { return p.Facility.String() + "." + p.Severity.String() }

// Message is one log event, as every destination receives it.
//
// Text is the classic one-line message, exactly as tcpd logs it (for
// example "connect from 192.0.2.7 (192.0.2.7)"). Record, when not nil, is
// the structured record the message is about, a decision or (with
// Record.Session) a session's end; destinations that write structured
// data (JSON lines, RFC 5424 structured data) use it.
type Message struct {
	Time     time.Time
	Priority Priority
	Hostname string // the host that logs; "" means the local host name
	AppName  string // syslog's ident: the reduced daemon name for tcpd
	PID      int    // 0: none
	Text     string
	Record   *Record
}

func itoaBase(n, base int) string { return strconv.FormatInt(int64(n), base) }
