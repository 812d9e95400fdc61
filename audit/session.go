package audit

import (
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SessionSDID is the structured-data ID of session-end records in RFC
// 5424 messages (MSGID "session-end"). It differs from SDID, the decision
// records', because the parameters do: a reader of decisions that knows
// nothing of sessions passes these messages over.
const SessionSDID = "tcpwrap-session@32473"

// Event names: the "event" member of a JSON record and the MSGID of an
// RFC 5424 one. Decision records carry no "event" member (they had none
// before sessions were recorded, and readers rely on that); their MSGID
// is "decision".
const (
	EventDecision   = "decision"
	EventSessionEnd = "session-end"
)

// ExitStatus is how a program ended: it called exit with Code (Exited),
// or Signal killed it.
type ExitStatus struct {
	Exited bool
	Code   int
	Signal syscall.Signal
}

// SessionRecord is the structured account of a session that ended: what
// ran, for whom, how long, how it ended and what it moved. Super-servers
// (tcpwrapd) write one at the end of every session they admitted.
//
// Service, Daemon and Kind come from the configuration; Err may quote
// what the network said and, like every string, is escaped and cut by the
// encoders as the strings of a Record are.
type SessionRecord struct {
	Time    time.Time // when the session ended
	Service string    // the listener, as "127.0.0.1:22/tcp4"
	Daemon  string    // the name the tables were checked for; "" when not checked
	Kind    string    // what served it: "program", "builtin", "redirect", "twist"
	Client  Endpoint
	Server  Endpoint
	// Start is when the connection arrived (zero: unknown, left out);
	// Duration is from then to the end.
	Start    time.Time
	Duration time.Duration
	// PID is the process the service ran (a program or a twist
	// command), 0 for none; Exit is how it ended (nil: no process).
	// The PID of the process that logs is the Message's.
	PID  int
	Exit *ExitStatus
	// BytesCounted says BytesIn (from the client) and BytesOut (to
	// it) were counted, as they are for redirect services and
	// built-ins; otherwise they are left out of the record.
	BytesCounted      bool
	BytesIn, BytesOut int64
	// Err says what went wrong, if anything did ("dial tcp
	// 127.0.0.1:2222: connect: connection refused").
	Err string
}

// Message returns the message that takes s to the trail: s as its record
// (Record.Session), s.Text() as its text, with priority p, under app (the
// syslog ident) and pid (the logging process's), at s.Time.
func (s *SessionRecord) Message(p Priority, app string, pid int) *Message {
	return &Message{Time: s.Time, Priority: p, AppName: app, PID: pid, Text: s.Text(), Record: &Record{Session: s}}
}

// Text is the session end as one line of key=value words, the form
// written to classic (syslog) destinations and as the text of RFC 5424
// messages:
//
//	session end: service=ssh/tcp daemon=sshd kind=redirect client=192.0.2.7:40000 duration=1.204s in=1020 out=34567
//
// A program's ending is status=exit:N or status=signal:N; in= and out=
// are written for redirect sessions; the error is quoted as Go quotes
// strings. The classic destinations escape control characters again.
func (s *SessionRecord) Text() string {
	var b strings.Builder
	b.WriteString("session end: service=")
	b.WriteString(s.Service)
	if s.Daemon != "" {
		b.WriteString(" daemon=")
		b.WriteString(s.Daemon)
	}
	b.WriteString(" kind=")
	b.WriteString(s.Kind)
	if s.Client.Addr != "" {
		b.WriteString(" client=")
		b.WriteString(hostPort(s.Client))
	}
	if s.PID != 0 {
		b.WriteString(" pid=")
		b.WriteString(strconv.Itoa(s.PID))
	}
	if s.Exit != nil {
		b.WriteString(" status=")
		if s.Exit.Exited {
			b.WriteString("exit:")
			b.WriteString(strconv.Itoa(s.Exit.Code))
		} else {
			b.WriteString("signal:")
			b.WriteString(strconv.Itoa(int(s.Exit.Signal)))
		}
	}
	b.WriteString(" duration=")
	b.WriteString(strconv.FormatFloat(s.Duration.Seconds(), 'f', 3, 64))
	b.WriteString("s")
	if s.Kind == "redirect" {
		b.WriteString(" in=")
		b.WriteString(strconv.FormatInt(s.BytesIn, 10))
		b.WriteString(" out=")
		b.WriteString(strconv.FormatInt(s.BytesOut, 10))
	}
	if s.Err != "" {
		b.WriteString(" error=")
		b.WriteString(strconv.Quote(s.Err))
	}
	return b.String()
}

// hostPort writes an endpoint as netip.AddrPort does: an IPv6 address
// in brackets.
func hostPort(e Endpoint) string {
	if strings.IndexByte(e.Addr, ':') >= 0 {
		return "[" + e.Addr + "]:" + strconv.Itoa(e.Port)
	}
	return e.Addr + ":" + strconv.Itoa(e.Port)
}

// signalName is "SIGKILL" for 9, or "" for a number without a name.
func signalName(s syscall.Signal) string { return unix.SignalName(s) }

// AppendJSON appends the record as one line of JSON, ending in a newline:
//
//	{"time":"2026-11-27T04:05:07.993012Z","event":"session-end",
//	 "service":"127.0.0.1:2222/tcp4","daemon":"sshd","kind":"redirect",
//	 "server":{"addr":"127.0.0.1","port":2222},
//	 "client":{"addr":"192.0.2.7","port":40000},
//	 "start":"2026-11-27T04:05:06.789012Z","duration_s":1.204000,
//	 "bytes_in":1020,"bytes_out":34567}
//
// A program's session has "pid" and "exit": {"exited":true,"code":3},
// or {"exited":false,"signal":9,"signal_name":"SIGKILL"}; "daemon",
// "server", "client", "start", "pid", "exit", the byte counts and
// "error" are left out when there is nothing to say. Every string is
// escaped and bounded as in Record.AppendJSON.
func (s *SessionRecord) AppendJSON(dst []byte) []byte { return s.appendJSON(dst, fullLimits) }

func (s *SessionRecord) appendJSON(dst []byte, l limits) []byte {
	dst = append(dst, `{"time":"`...)
	dst = s.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, `","event":"`+EventSessionEnd+`","service":`...)
	dst = appendJSONString(dst, s.Service, l.name)
	if s.Daemon != "" {
		dst = append(dst, `,"daemon":`...)
		dst = appendJSONString(dst, s.Daemon, l.name)
	}
	dst = append(dst, `,"kind":`...)
	dst = appendJSONString(dst, s.Kind, l.name)
	dst = appendEndpointJSON(dst, "server", s.Server, l.name)
	dst = appendEndpointJSON(dst, "client", s.Client, l.name)
	if !s.Start.IsZero() {
		dst = append(dst, `,"start":"`...)
		dst = s.Start.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
		dst = append(dst, '"')
	}
	dst = append(dst, `,"duration_s":`...)
	dst = appendSeconds(dst, s.Duration)
	if s.PID != 0 {
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, int64(s.PID), 10)
	}
	if e := s.Exit; e != nil {
		if e.Exited {
			dst = append(dst, `,"exit":{"exited":true,"code":`...)
			dst = strconv.AppendInt(dst, int64(e.Code), 10)
		} else {
			dst = append(dst, `,"exit":{"exited":false,"signal":`...)
			dst = strconv.AppendInt(dst, int64(e.Signal), 10)
			if n := signalName(e.Signal); n != "" {
				dst = append(dst, `,"signal_name":`...)
				dst = appendJSONString(dst, n, l.name)
			}
		}
		dst = append(dst, '}')
	}
	if s.BytesCounted {
		dst = append(dst, `,"bytes_in":`...)
		dst = strconv.AppendInt(dst, s.BytesIn, 10)
		dst = append(dst, `,"bytes_out":`...)
		dst = strconv.AppendInt(dst, s.BytesOut, 10)
	}
	if s.Err != "" {
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, s.Err, l.text)
	}
	return append(dst, "}\n"...)
}

// appendSeconds writes d in seconds with six decimals (microseconds).
func appendSeconds(dst []byte, d time.Duration) []byte {
	return strconv.AppendFloat(dst, d.Seconds(), 'f', 6, 64)
}

// appendSD writes the record as one SD-ELEMENT with ID SessionSDID. The
// parameters are flat: client and client_port, server and server_port,
// exited with exit_code or signal and signal_name.
func (s *SessionRecord) appendSD(dst []byte) []byte {
	dst = append(dst, '[')
	dst = append(dst, SessionSDID...)
	dst = appendSDParam(dst, "service", s.Service, MaxName)
	if s.Daemon != "" {
		dst = appendSDParam(dst, "daemon", s.Daemon, MaxName)
	}
	dst = appendSDParam(dst, "kind", s.Kind, MaxName)
	dst = appendEndpointSD(dst, "client", s.Client)
	dst = appendEndpointSD(dst, "server", s.Server)
	if !s.Start.IsZero() {
		dst = appendSDParam(dst, "start", s.Start.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), MaxName)
	}
	dst = appendSDParam(dst, "duration_s", string(appendSeconds(nil, s.Duration)), MaxName)
	if s.PID != 0 {
		dst = appendSDParam(dst, "pid", strconv.Itoa(s.PID), MaxName)
	}
	if e := s.Exit; e != nil {
		dst = appendSDParam(dst, "exited", strconv.FormatBool(e.Exited), MaxName)
		if e.Exited {
			dst = appendSDParam(dst, "exit_code", strconv.Itoa(e.Code), MaxName)
		} else {
			dst = appendSDParam(dst, "signal", strconv.Itoa(int(e.Signal)), MaxName)
			if n := signalName(e.Signal); n != "" {
				dst = appendSDParam(dst, "signal_name", n, MaxName)
			}
		}
	}
	if s.BytesCounted {
		dst = appendSDParam(dst, "bytes_in", strconv.FormatInt(s.BytesIn, 10), MaxName)
		dst = appendSDParam(dst, "bytes_out", strconv.FormatInt(s.BytesOut, 10), MaxName)
	}
	if s.Err != "" {
		dst = appendSDParam(dst, "error", s.Err, MaxText)
	}
	return append(dst, ']')
}

func appendEndpointSD(dst []byte, name string, e Endpoint) []byte {
	if e.Addr != "" {
		dst = appendSDParam(dst, name, e.Addr, MaxName)
	}
	if e.Port != 0 {
		dst = appendSDParam(dst, name+"_port", strconv.Itoa(e.Port), MaxName)
	}
	return dst
}
