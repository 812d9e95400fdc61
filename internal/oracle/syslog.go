package oracle

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Record is one syslog datagram as received on /dev/log.
type Record struct {
	Facility int    // -1 if the datagram had no <PRI> header
	Severity int    // -1 if the datagram had no <PRI> header
	Ident    string // e.g. "tcpdmatch" or "tcpd[1234]"; "" if none was found
	Text     string // the message text after "ident: "
	Raw      string // the whole datagram (trailing NUL/newline removed)
}

var facilityNames = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var severityNames = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// FacilityName returns the conventional name of the record's facility.
func (r Record) FacilityName() string {
	if r.Facility >= 0 && r.Facility < len(facilityNames) {
		return facilityNames[r.Facility]
	}
	return strconv.Itoa(r.Facility)
}

// SeverityName returns the conventional name of the record's severity.
func (r Record) SeverityName() string {
	if r.Severity >= 0 && r.Severity < len(severityNames) {
		return severityNames[r.Severity]
	}
	return strconv.Itoa(r.Severity)
}

var pidRE = regexp.MustCompile(`\[[0-9]+\]$`)

// String renders the record the way tricky-cases.md shows syslog records:
// "[facility.severity] ident: text", with a PID in the ident replaced by
// "PID" (e.g. "[daemon.info] tcpd[PID]: connect from 10.0.0.1").
func (r Record) String() string {
	ident := pidRE.ReplaceAllString(r.Ident, "[PID]")
	return fmt.Sprintf("[%s.%s] %s: %s", r.FacilityName(), r.SeverityName(), ident, r.Text)
}

// ParseRecord parses a datagram in the form glibc's syslog(3) sends to
// /dev/log: "<PRI>Mmm dd hh:mm:ss ident: text" (ident may carry "[pid]").
// Datagrams that do not fit are kept whole in Text.
func ParseRecord(d []byte) Record {
	d = bytes.TrimSuffix(d, []byte{0})
	d = bytes.TrimSuffix(d, []byte{'\n'})
	s := string(d)
	r := Record{Facility: -1, Severity: -1, Raw: s, Text: s}
	rest := s
	if strings.HasPrefix(rest, "<") {
		if end := strings.IndexByte(rest, '>'); end > 1 {
			if pri, err := strconv.Atoi(rest[1:end]); err == nil && pri >= 0 {
				r.Facility, r.Severity = pri>>3, pri&7
				rest = rest[end+1:]
			}
		}
	}
	// RFC 3164 timestamp "Mmm dd hh:mm:ss " (15 characters plus a blank).
	if len(rest) >= 16 && rest[3] == ' ' && rest[6] == ' ' && rest[9] == ':' && rest[12] == ':' && rest[15] == ' ' {
		rest = rest[16:]
	}
	// The ident ends at the first ": ". glibc always sends one (the program
	// name) unless the ident is empty, in which case the text follows the
	// timestamp directly; an ident never contains a blank.
	if i := strings.Index(rest, ": "); i > 0 && !strings.ContainsAny(rest[:i], " \t") {
		r.Ident = rest[:i]
		rest = rest[i+2:]
	}
	r.Text = rest
	return r
}
