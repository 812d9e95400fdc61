package filelog

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"tcpwrap/audit"
)

// Format is how a route writes a message to its file.
type Format int

const (
	// Text is the classic syslog file line, as rsyslogd's
	// RSYSLOG_TraditionalFileFormat writes it:
	//
	//	Nov 27 09:14:03 gate tcpd[2817]: connect from 192.0.2.7 (192.0.2.7)
	//
	// The time is m.Time in its own location (time.Now gives local time,
	// as syslogd writes); the host is m.Hostname, or else the local host
	// name cut at the first dot, as rsyslogd writes it by default. The
	// text is cut and escaped as audit's Append3164 does it: control
	// characters become \xNN, so a record is always one line.
	Text Format = iota
	// JSON is one JSON object per line: the decision record's
	// Record.AppendJSON when the message has one, otherwise
	// {"time":…,"priority":"daemon.info","host":…,"app":…,"pid":…,"text":…}
	// with host and pid left out when empty. Every string is escaped as
	// audit escapes records.
	JSON
)

func (f Format) String() string {
	switch f {
	case Text:
		return "text"
	case JSON:
		return "json"
	}
	return "format" + strconv.Itoa(int(f))
}

// ParseFormat returns the format named "text" or "json".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return Text, nil
	case "json":
		return JSON, nil
	}
	return 0, fmt.Errorf("unknown format %q (want text or json)", s)
}

// AppendLine appends the message as one line in format f, newline
// included. hostname is used by Text when m.Hostname is empty.
func (f Format) AppendLine(dst []byte, m *audit.Message, hostname string) []byte {
	if f == JSON {
		return appendJSONLine(dst, m)
	}
	return appendTextLine(dst, m, hostname)
}

// appendTextLine writes "Mmm dd hh:mm:ss HOST APP[PID]: TEXT\n".
func appendTextLine(dst []byte, m *audit.Message, hostname string) []byte {
	dst = m.Time.AppendFormat(dst, time.Stamp)
	dst = append(dst, ' ')
	h := m.Hostname
	if h == "" {
		h = hostname
	}
	dst = appendHost(dst, h)
	dst = append(dst, ' ')
	dst = audit.AppendLine(dst, m.AppName, audit.MaxName)
	if m.PID != 0 {
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, int64(m.PID), 10)
		dst = append(dst, ']')
	}
	dst = append(dst, ':', ' ')
	dst = audit.AppendLine(dst, m.Text, audit.MaxText)
	return append(dst, '\n')
}

// appendHost writes a host name as one field: at most 255 bytes, with
// blanks, control characters and bytes above 0x7e as '_'; "-" when empty.
func appendHost(dst []byte, h string) []byte {
	if h == "" {
		return append(dst, '-')
	}
	if len(h) > audit.MaxName {
		h = h[:audit.MaxName]
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

const hexDigit = "0123456789abcdef"

// appendJSONLine writes the record, or the message as a small object.
func appendJSONLine(dst []byte, m *audit.Message) []byte {
	if m.Record != nil {
		return m.Record.AppendJSON(dst)
	}
	dst = append(dst, `{"time":"`...)
	dst = m.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, `","priority":`...)
	dst = appendJSONString(dst, m.Priority.String(), audit.MaxName)
	if m.Hostname != "" {
		dst = append(dst, `,"host":`...)
		dst = appendJSONString(dst, m.Hostname, audit.MaxName)
	}
	dst = append(dst, `,"app":`...)
	dst = appendJSONString(dst, m.AppName, audit.MaxName)
	if m.PID != 0 {
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, int64(m.PID), 10)
	}
	dst = append(dst, `,"text":`...)
	dst = appendJSONString(dst, m.Text, audit.MaxText)
	return append(dst, "}\n"...)
}

// appendJSONString appends s as a JSON string the way audit writes the
// strings of a record: cut to max bytes (then marked "..."), with every
// control character, DEL, C1 control, U+2028, U+2029 and byte of invalid
// UTF-8 written as the six characters \\xNN and a backslash as \\\\, so
// that a hostile value reads as what it is in every consumer, and the
// line stays one line even for consumers that split at U+2028.
// A test checks that it agrees with audit's own encoder.
func appendJSONString(dst []byte, s string, max int) []byte {
	dst = append(dst, '"')
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			dst = append(dst, '\\', '"')
			i++
			continue
		case c == '\\':
			dst = append(dst, `\\\\`...)
			i++
			continue
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
			i++
			continue
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError && r != '\u2028' && r != '\u2029' && (r < 0x80 || r >= 0xa0) {
				dst = append(dst, s[i:i+n]...)
				i += n
				continue
			}
		}
		dst = append(dst, '\\', '\\', 'x', hexDigit[c>>4], hexDigit[c&15])
		i++
	}
	if cut {
		dst = append(dst, "..."...)
	}
	return append(dst, '"')
}
