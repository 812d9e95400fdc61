package parse

import (
	"bytes"
	"strconv"

	"tcpwrap/watch"
)

// SDID is the structured-data ID of our decision records (audit.SDID).
const SDID = "tcpwrap@32473"

// decisionMsgID is the MSGID our RFC 5424 decision records carry (and
// the "event" a JSON decision record may carry).
const decisionMsgID = "decision"

// SessionSDID is the structured-data ID of tcpwrapd's session-end records
// (audit.SessionSDID). Messages with it are NotOurs: a session's end is
// no decision.
const SessionSDID = "tcpwrap-session@32473"

var bom = []byte("\xef\xbb\xbf")

// recordVerdict reads the verdict of a decision record, in the RFC 5424
// and the JSON forms alike: granted, denied, or delegated (the decision
// was left to the daemon, so the outcome is unknown).
func recordVerdict(b []byte) (watch.Verdict, bool) {
	switch string(b) {
	case "granted":
		return watch.Granted, true
	case "denied":
		return watch.Refused, true
	case "delegated":
		return watch.VerdictUnknown, true
	}
	return watch.VerdictUnknown, false
}

// rfc5424 parses an RFC 5424 message after "<PRI>1 ":
//
//	TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
//
// A message with our SD-ID (as audit.Message.Append5424 writes it) is a
// decision record: the Event comes from its parameters and the message
// text is ignored. A message with the SD-ID of session-end records is
// NotOurs, its text ignored too (Malformed if it also has a decision's). Any other message is read as a classic line with
// APP-NAME as the program and PROCID as its PID (Debian's tcpd's lines,
// relayed by a syslog daemon as RFC 5424).
func (p *Parser) rfc5424(ev *watch.Event, b []byte) Status {
	var f [5][]byte
	for i := range f {
		sp := bytes.IndexByte(b, ' ')
		if sp <= 0 {
			return NotOurs
		}
		f[i], b = b[:sp], b[sp+1:]
	}
	stamp, host, app, procid, msgid := f[0], f[1], f[2], f[3], f[4]
	if !token(host, 255) || !token(app, 48) || !token(procid, 128) || !token(msgid, 32) || string(app) == "-" {
		return NotOurs
	}
	pid := 0
	if string(procid) != "-" {
		n, err := strconv.ParseUint(string(procid), 10, 31)
		if err == nil {
			pid = int(n)
		}
	}
	sd, msg, ok := splitSD(b)
	if !ok {
		return NotOurs
	}
	var st Status
	_, session, ok := findSD(sd, SessionSDID)
	if !ok {
		return NotOurs
	}
	if elem, found, ok := findSD(sd, SDID); !ok {
		return NotOurs
	} else if session {
		// A session end: no decision, whatever its text says. With a
		// decision element as well, it is none of ours.
		if found && p.daemonOK(app) {
			return Malformed
		}
		return NotOurs
	} else if found {
		if !p.daemonOK(app) {
			return NotOurs
		}
		if string(msgid) != decisionMsgID {
			return Malformed
		}
		st = p.sdRecord(ev, elem)
	} else {
		// rsyslog keeps the blank after an RFC 3164 tag's colon in MSG
		// and writes "- -  refused ..." for such a message; its
		// traditional file line shows exactly one blank there too.
		msg = bytes.TrimPrefix(msg, []byte{' '})
		st = p.message(ev, app, pid, bytes.TrimPrefix(msg, bom))
	}
	if st != OK && st != Ambiguous {
		*ev = watch.Event{}
		return st
	}
	if ev.Source != watch.SourceJSON || ev.Time.IsZero() {
		if string(stamp) == "-" {
			ev.Time = p.ref
		} else {
			t, ok := p.stamps.parseRFC3339(stamp)
			if !ok {
				*ev = watch.Event{}
				return NotOurs
			}
			ev.Time = t
		}
	}
	if string(host) != "-" {
		ev.Host = p.intern(host)
	}
	ev.Program = p.intern(app)
	if ev.PID == 0 {
		ev.PID = pid
	}
	return st
}

// splitSD separates STRUCTURED-DATA ("-" or one or more "[...]"
// elements) from the message after it.
func splitSD(b []byte) (sd, msg []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	if b[0] == '-' {
		sd, b = b[:1], b[1:]
	} else {
		i := 0
		for i < len(b) && b[i] == '[' {
			end, ok := elementEnd(b, i)
			if !ok {
				return nil, nil, false
			}
			i = end
		}
		if i == 0 {
			return nil, nil, false
		}
		sd, b = b[:i], b[i:]
	}
	switch {
	case len(b) == 0:
		return sd, nil, true
	case b[0] == ' ':
		return sd, b[1:], true
	}
	return nil, nil, false
}

// elementEnd returns the index after the SD-ELEMENT starting at b[i]
// ('['): it skips quoted parameter values with their escapes.
func elementEnd(b []byte, i int) (int, bool) {
	inValue := false
	for i++; i < len(b); i++ {
		c := b[i]
		switch {
		case inValue && c == '\\':
			i++
		case c == '"':
			inValue = !inValue
		case !inValue && c == ']':
			return i + 1, true
		}
	}
	return 0, false
}

// findSD returns the parameters of the element with the given ID ("name=
// "value" ..." without the brackets), refusing (ok false) SD that does
// not parse and more than one element with the ID.
func findSD(sd []byte, id string) (params []byte, found, ok bool) {
	if len(sd) == 1 && sd[0] == '-' {
		return nil, false, true
	}
	for i := 0; i < len(sd); {
		end, ok := elementEnd(sd, i)
		if !ok {
			return nil, false, false
		}
		elem := sd[i+1 : end-1]
		name := elem
		if sp := bytes.IndexByte(elem, ' '); sp >= 0 {
			name = elem[:sp]
		}
		if string(name) == id {
			if found {
				return nil, false, false
			}
			found, params = true, elem[len(name):]
		}
		i = end
	}
	return params, found, true
}

// sdParams calls fn for each PARAM-NAME="PARAM-VALUE" of an element (the
// value unescaped: \" \\ \] stand for the character). It returns false
// if the parameters do not parse or fn does.
func sdParams(b []byte, buf []byte, fn func(name, value []byte) bool) bool {
	for len(b) > 0 {
		if b[0] != ' ' {
			return false
		}
		b = b[1:]
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 || eq > 32 || eq+1 >= len(b) || b[eq+1] != '"' {
			return false
		}
		name := b[:eq]
		if !token(name, 32) || bytes.ContainsAny(name, `="]`) {
			return false
		}
		b = b[eq+2:]
		buf = buf[:0]
		i := 0
		for ; i < len(b) && b[i] != '"'; i++ {
			if b[i] == '\\' && i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\' || b[i+1] == ']') {
				i++
			}
			buf = append(buf, b[i])
		}
		if i >= len(b) {
			return false
		}
		b = b[i+1:]
		if !fn(name, buf) {
			return false
		}
	}
	return true
}

// sdRecord makes the Event of a decision record's parameters (the names
// are audit's: verdict, daemon, client, client_name, name_verified,
// user, rule_file, rule_line, pid). A parameter that can appear only
// once and appears twice, a client that is no address, a missing
// verdict or daemon make the record Malformed.
func (p *Parser) sdRecord(ev *watch.Event, params []byte) Status {
	r := &p.rec
	*r = jsonRecord{verdict: r.verdict[:0], daemon: r.daemon[:0], clientAddr: r.clientAddr[:0],
		clientName: r.clientName[:0], user: r.user[:0], rfile: r.rfile[:0], s: jsonScanner{buf: r.s.buf[:0]}}
	var dup bool
	setStr := func(dst *[]byte, bit int, v []byte) {
		if !once(&r.seen, bit) {
			dup = true
		}
		*dst = append((*dst)[:0], v...)
	}
	ok := sdParams(params, r.s.buf, func(name, v []byte) bool {
		switch string(name) {
		case "verdict":
			setStr(&r.verdict, seenVerdict, v)
		case "daemon":
			setStr(&r.daemon, seenDaemon, v)
		case "client":
			setStr(&r.clientAddr, seenClientAddr, v)
		case "client_name":
			setStr(&r.clientName, seenClientName, v)
		case "user":
			setStr(&r.user, seenUser, v)
		case "rule_file":
			setStr(&r.rfile, seenRuleFile, v)
		case "name_verified":
			dup = dup || !once(&r.seen, seenNameVerified)
			r.nameVerified = string(v) == "true"
		case "rule_line", "pid":
			bit := seenRuleLine
			if name[0] == 'p' {
				bit = seenPID
			}
			n, err := strconv.ParseUint(string(v), 10, 31)
			if err != nil || !once(&r.seen, bit) {
				return false
			}
			if bit == seenPID {
				r.pid = int(n)
			} else {
				r.rline, r.hasRuleLine = int(n), true
			}
		}
		return !dup
	})
	if !ok || r.seen&(seenVerdict|seenDaemon) != seenVerdict|seenDaemon || len(r.daemon) == 0 {
		return Malformed
	}
	v, ok := recordVerdict(r.verdict)
	if !ok {
		return Malformed
	}
	ev.Verdict = v
	if r.seen&seenClientAddr != 0 {
		a, ok := parseAddr(r.clientAddr)
		if !ok {
			return Malformed
		}
		ev.Addr = a
	}
	ev.Source = watch.SourceRFC5424
	ev.Daemon = p.intern(r.daemon)
	r.fill(ev)
	return OK
}
