package audit

import (
	"strconv"
	"time"
)

// SDID is the structured-data ID of decision records in RFC 5424
// messages. 32473 is the private enterprise number reserved for
// documentation and examples (RFC 5612); the name part says whose it is.
const SDID = "tcpwrap@32473"

// Append3164 appends the message as glibc's syslog(3) sends it to the
// local socket: "<PRI>Mmm dd hh:mm:ss APP[PID]: TEXT", in local time, with
// no host name and no final newline. Control characters are escaped as
// \xNN so that the text stays one line; everything else is written as
// tcpd writes it.
func (m *Message) Append3164(dst []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(m.Priority.PRI()), 10)
	dst = append(dst, '>')
	dst = m.Time.AppendFormat(dst, time.Stamp)
	dst = append(dst, ' ')
	dst = appendLine(dst, m.AppName, MaxName)
	if m.PID != 0 {
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, int64(m.PID), 10)
		dst = append(dst, ']')
	}
	dst = append(dst, ':', ' ')
	return appendLine(dst, m.Text, MaxText)
}

// AppendLine appends s cut to max bytes with only its control characters
// (and DEL) escaped as \\xNN: the classic log line's text, kept on one
// line and otherwise as tcpd writes it.
func AppendLine(dst []byte, s string, max int) []byte { return appendLine(dst, s, max) }

func appendLine(dst []byte, s string, max int) []byte {
	if len(s) > max {
		s = s[:max]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			dst = append(dst, '\\', 'x', hexDigit[c>>4], hexDigit[c&15])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// Append5424 appends the message in the RFC 5424 form with its record
// as structured data (when there is one), without framing: "<PRI>1
// TIMESTAMP HOST APP PROCID MSGID [SD] MSG". A decision record has MSGID
// "decision" and SD-ID SDID, a session-end record MSGID "session-end"
// and SD-ID SessionSDID; a message without a record has neither ("- -").
// hostname is used when the message has none.
func (m *Message) Append5424(dst []byte, hostname string) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(m.Priority.PRI()), 10)
	dst = append(dst, ">1 "...)
	dst = m.Time.AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, ' ')
	h := m.Hostname
	if h == "" {
		h = hostname
	}
	dst = appendHeaderField(dst, h, 255)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.AppName, 48)
	dst = append(dst, ' ')
	if m.PID != 0 {
		dst = strconv.AppendInt(dst, int64(m.PID), 10)
	} else {
		dst = append(dst, '-')
	}
	switch {
	case m.Record != nil && m.Record.Session != nil:
		dst = append(dst, " "+EventSessionEnd+" "...)
		dst = m.Record.Session.appendSD(dst)
	case m.Record != nil:
		dst = append(dst, " "+EventDecision+" "...)
		dst = m.Record.appendSD(dst)
	default:
		dst = append(dst, " - -"...)
	}
	if m.Text != "" {
		dst = append(dst, ' ')
		dst = appendClean(dst, m.Text, MaxText)
	}
	return dst
}

// appendHeaderField writes a header field of RFC 5424: printable US-ASCII
// without spaces, at most max characters, "-" when empty.
func appendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	n := 0
	for i := 0; i < len(s) && n < max; i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			c = '_'
		}
		dst = append(dst, c)
		n++
	}
	return dst
}

// appendSD writes the decision record as one SD-ELEMENT.
func (r *Record) appendSD(dst []byte) []byte {
	dst = append(dst, '[')
	dst = append(dst, SDID...)
	param := func(name, value string, max int) { dst = appendSDParam(dst, name, value, max) }
	param("verdict", r.Verdict, MaxName)
	if r.Reason != "" {
		param("reason", r.Reason, MaxName)
	}
	param("daemon", r.Daemon, MaxName)
	if r.Client.Addr != "" {
		param("client", r.Client.Addr, MaxName)
	}
	if r.Client.Port != 0 {
		param("client_port", strconv.Itoa(r.Client.Port), MaxName)
	}
	if r.Server.Addr != "" {
		param("server", r.Server.Addr, MaxName)
	}
	if r.Server.Port != 0 {
		param("server_port", strconv.Itoa(r.Server.Port), MaxName)
	}
	if r.ClientName != "" {
		param("client_name", r.ClientName, MaxName)
		param("name_verified", strconv.FormatBool(r.NameVerified), MaxName)
	}
	if r.User != "" {
		param("user", r.User, MaxName)
	}
	if r.Rule != nil {
		param("rule_file", r.Rule.File, MaxText)
		param("rule_line", strconv.Itoa(r.Rule.Line), MaxName)
		param("rule", r.Rule.Text, MaxText)
	}
	for _, o := range r.Options {
		param("option", o, MaxText)
	}
	param("latency_us", strconv.FormatFloat(float64(r.Latency)/1e3, 'f', 3, 64), MaxName)
	if r.PID != 0 {
		param("pid", strconv.Itoa(r.PID), MaxName)
	}
	return append(dst, ']')
}

// appendSDParam writes ` NAME="VALUE"`, the value cleaned (see
// appendClean) and cut to max bytes, with '"', '\\' and ']' escaped as RFC
// 5424 wants.
func appendSDParam(dst []byte, name, value string, max int) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	if plain(value, max) {
		dst = append(dst, value...)
		return append(dst, '"')
	}
	for _, c := range appendClean(nil, value, max) {
		if c == '"' || c == '\\' || c == ']' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
