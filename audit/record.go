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
func (r *Record) AppendJSON(dst []byte) []byte { return r.appendJSON(dst, fullLimits) }

// AppendJSONWithin appends the record as AppendJSON does when that takes
// at most limit bytes (not counting the final newline); otherwise with
// its strings cut shorter, each marked with "..." as every cut string
// is: first the free texts (rule text and file, options, error), then
// the names, then the list of options, until it fits. So a destination
// that keeps only limit bytes of a message (the local syslog socket)
// gets a record that is still whole JSON. Every record fits a limit of
// 1536 bytes or more (MaxText, the local socket's, included): at the
// tightest, each string takes at most 85 bytes.
func (r *Record) AppendJSONWithin(dst []byte, limit int) []byte {
	start := len(dst)
	l := fullLimits
	for {
		dst = r.appendJSON(dst[:start], l)
		if len(dst)-start-1 <= limit {
			return dst
		}
		var ok bool
		if l, ok = l.shrink(len(r.Options)); !ok {
			return dst
		}
	}
}

// limits are the byte bounds the JSON encoders cut strings to.
type limits struct {
	name, text int
	options    int // how many options are written (the rest is "...")
}

var fullLimits = limits{name: MaxName, text: MaxText, options: -1}

// minLimit is the shortest bound shrink cuts a string to.
const minLimit = 16

// shrink returns tighter limits, or false when there are none: free
// texts down to minLimit first, then names, then the options from n
// down to none.
func (l limits) shrink(n int) (limits, bool) {
	switch {
	case l.text > minLimit:
		l.text = max(l.text/2, minLimit)
	case l.name > minLimit:
		l.name = max(l.name/2, minLimit)
	case l.options < 0 && n > 0:
		l.options = n / 2
	case l.options > 0:
		l.options /= 2
	default:
		return l, false
	}
	return l, true
}

func (r *Record) appendJSON(dst []byte, l limits) []byte {
	if r.Session != nil {
		return r.Session.appendJSON(dst, l)
	}
	dst = append(dst, `{"time":"`...)
	dst = r.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, `","verdict":`...)
	dst = appendJSONString(dst, r.Verdict, l.name)
	if r.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendJSONString(dst, r.Reason, l.name)
	}
	dst = append(dst, `,"daemon":`...)
	dst = appendJSONString(dst, r.Daemon, l.name)
	dst = appendEndpointJSON(dst, "server", r.Server, l.name)
	dst = appendEndpointJSON(dst, "client", r.Client, l.name)
	if r.ClientName != "" {
		dst = append(dst, `,"client_name":`...)
		dst = appendJSONString(dst, r.ClientName, l.name)
		dst = append(dst, `,"name_verified":`...)
		dst = strconv.AppendBool(dst, r.NameVerified)
	}
	if r.User != "" {
		dst = append(dst, `,"user":`...)
		dst = appendJSONString(dst, r.User, l.name)
	}
	if r.Rule != nil {
		dst = append(dst, `,"rule":{"file":`...)
		dst = appendJSONString(dst, r.Rule.File, l.text)
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(r.Rule.Line), 10)
		dst = append(dst, `,"text":`...)
		dst = appendJSONString(dst, r.Rule.Text, l.text)
		dst = append(dst, '}')
	}
	if len(r.Options) > 0 {
		dst = append(dst, `,"options":[`...)
		opts := r.Options
		if l.options >= 0 && l.options < len(opts) {
			opts = opts[:l.options]
		}
		for i, o := range opts {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, o, l.text)
		}
		if len(opts) < len(r.Options) {
			if len(opts) > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `"..."`...)
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

func appendEndpointJSON(dst []byte, name string, e Endpoint, nameMax int) []byte {
	if e.Addr == "" && e.Port == 0 {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, `":{"addr":`...)
	dst = appendJSONString(dst, e.Addr, nameMax)
	if e.Port != 0 {
		dst = append(dst, `,"port":`...)
		dst = strconv.AppendInt(dst, int64(e.Port), 10)
	}
	return append(dst, '}')
}
