package audit

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Endpoint is one end of a connection in a record.
type Endpoint struct {
	Addr string // numeric address; "" when unknown
	Port int    // 0 when unknown
}

// RuleRef names the rule that decided.
type RuleRef struct {
	File string
	Line int
	Text string
}

// Record is the structured account of one decision: what was asked, what
// was decided and why. Every string in it may come from the network (host
// names, ident user names) and is escaped by the encoders.
//
// A Record whose Session is not nil is a session-end record instead (see
// SessionRecord): its encoders write Session and ignore every other
// field. That is how a Message carries either kind to the structured
// destinations, which write whatever Message.Record holds.
type Record struct {
	Time    time.Time
	Verdict string // "granted", "denied" or "delegated"
	Reason  string // what settled it: "allow-table", "deny-table", "default", ...
	Daemon  string
	Server  Endpoint
	Client  Endpoint
	// ClientName is the client's host name as looked up ("" when no
	// lookup was made); NameVerified says whether it passed the
	// double-reverse check (false for "unknown" and "paranoid").
	ClientName   string
	NameVerified bool
	User         string   // the ident user name; "" when not asked
	Rule         *RuleRef // nil: no rule decided (default grant)
	Options      []string // the options carried out, "keyword value"
	Latency      time.Duration
	PID          int
	// Session, when not nil, makes this the record of a session's end.
	Session *SessionRecord
}

// Length bounds for untrusted strings in records (in bytes, before
// escaping). Longer values are cut and marked with "...".
const (
	MaxName = 255  // host names, user names, daemon names
	MaxText = 2048 // rule texts, options, messages
)

// appendClean appends s with every control character, DEL, backslash and
// byte of invalid UTF-8 written as a \xNN escape (a backslash as \\),
// after cutting s to max bytes; the result is always printable text on
// one line.
func appendClean(dst []byte, s string, max int) []byte {
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if c == '\\' {
			dst = append(dst, '\\', '\\')
			i++
			continue
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError && r != '\u2028' && r != '\u2029' && !(r >= 0x80 && r < 0xa0) {
				dst = append(dst, s[i:i+n]...)
				i += n
				continue
			}
		}
		dst = append(dst, '\\', 'x', hexDigit[c>>4], hexDigit[c&15])
		i++
	}
	if cut {
		dst = append(dst, "..."...)
	}
	return dst
}

const hexDigit = "0123456789abcdef"

// Clean returns s as appendClean writes it: safe to put on one log line.
func Clean(s string, max int) string { return string(appendClean(nil, s, max)) }

// plain reports whether s is printable ASCII without backslash, quote or
// ']' and within max bytes: it then needs no cleaning or escaping in any
// encoding.
func plain(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' || c == '"' || c == ']' {
			return false
		}
	}
	return true
}

// appendJSONString appends s as a JSON string, cleaned first (so a
// hostile name shows as \\x0a, not as a newline, in every destination).
func appendJSONString(dst []byte, s string, max int) []byte {
	dst = append(dst, '"')
	if plain(s, max) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	for _, c := range appendClean(nil, s, max) {
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// AppendJSON appends the record as one line of JSON, ending in a newline.
// A decision has no "event" member; a session-end record is written by
// SessionRecord.AppendJSON, with "event":"session-end".
func (r *Record) AppendJSON(dst []byte) []byte {
	if r.Session != nil {
		return r.Session.AppendJSON(dst)
	}
	dst = append(dst, `{"time":"`...)
	dst = r.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, `","verdict":`...)
	dst = appendJSONString(dst, r.Verdict, MaxName)
	if r.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendJSONString(dst, r.Reason, MaxName)
	}
	dst = append(dst, `,"daemon":`...)
	dst = appendJSONString(dst, r.Daemon, MaxName)
	dst = appendEndpointJSON(dst, "server", r.Server)
	dst = appendEndpointJSON(dst, "client", r.Client)
	if r.ClientName != "" {
		dst = append(dst, `,"client_name":`...)
		dst = appendJSONString(dst, r.ClientName, MaxName)
		dst = append(dst, `,"name_verified":`...)
		dst = strconv.AppendBool(dst, r.NameVerified)
	}
	if r.User != "" {
		dst = append(dst, `,"user":`...)
		dst = appendJSONString(dst, r.User, MaxName)
	}
	if r.Rule != nil {
		dst = append(dst, `,"rule":{"file":`...)
		dst = appendJSONString(dst, r.Rule.File, MaxText)
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(r.Rule.Line), 10)
		dst = append(dst, `,"text":`...)
		dst = appendJSONString(dst, r.Rule.Text, MaxText)
		dst = append(dst, '}')
	}
	if len(r.Options) > 0 {
		dst = append(dst, `,"options":[`...)
		for i, o := range r.Options {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, o, MaxText)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"latency_us":`...)
	dst = strconv.AppendFloat(dst, float64(r.Latency)/1e3, 'f', 3, 64)
	if r.PID != 0 {
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, int64(r.PID), 10)
	}
	return append(dst, "}\n"...)
}

func appendEndpointJSON(dst []byte, name string, e Endpoint) []byte {
	if e.Addr == "" && e.Port == 0 {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, `":{"addr":`...)
	dst = appendJSONString(dst, e.Addr, MaxName)
	if e.Port != 0 {
		dst = append(dst, `,"port":`...)
		dst = strconv.AppendInt(dst, int64(e.Port), 10)
	}
	return append(dst, '}')
}
