package parse

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"tcpwrap/watch"
)

// The JSON decision record, as audit.Record.AppendJSON writes it:
//
//	{"time":"2026-11-27T05:48:56.123456Z","verdict":"denied",
//	 "reason":"deny-table","daemon":"in.fingerd",
//	 "server":{"addr":"127.0.0.1","port":79},
//	 "client":{"addr":"192.0.2.7","port":40000},
//	 "client_name":"host.example","name_verified":true,"user":"alice",
//	 "rule":{"file":"/etc/hosts.deny","line":3,"text":"ALL: ALL"},
//	 "options":["..."],"latency_us":12.000,"pid":4242}
//
// The reader accepts exactly one JSON object per line (RFC 8259, UTF-8)
// and nothing after it but blanks. It requires time, verdict and
// daemon; it refuses a record in which any member it reads appears
// twice (a second "addr" could otherwise mean what a forger wants to
// one reader and what we logged to another) and a client address that
// is not numeric. Members it does not know are skipped, so that records
// may grow.
//
// Decision records have no "event" member (or "event":"decision"). A
// record with another event is about something else and is NotOurs:
// tcpwrapd's session-end records (audit.SessionRecord.AppendJSON),
//
//	{"time":"2026-11-27T05:48:57.327000Z","event":"session-end",
//	 "service":"127.0.0.1:2222/tcp4","daemon":"sshd","kind":"redirect",
//	 "client":{"addr":"192.0.2.7","port":40000},...,
//	 "duration_s":1.204000,"bytes_in":1020,"bytes_out":34567}
//
// are neither grants nor refusals. A record with an event that is not
// a decision but with a verdict is Malformed: we never write one.

// jsonMaxDepth bounds the nesting of skipped values.
const jsonMaxDepth = 16

// Bits of the members seen, for refusing duplicates.
const (
	seenTime = 1 << iota
	seenVerdict
	seenReason
	seenDaemon
	seenServer
	seenClient
	seenClientName
	seenNameVerified
	seenUser
	seenRule
	seenOptions
	seenLatency
	seenPID
	seenEvent
)

type jsonScanner struct {
	b   []byte
	i   int
	buf []byte // unescaped strings
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) lit(c byte) bool {
	s.ws()
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// str reads a string and returns its value. The value aliases the input
// when it has no escapes, s.buf otherwise (valid until the next call).
func (s *jsonScanner) str() ([]byte, bool) {
	s.ws()
	if s.peek() != '"' {
		return nil, false
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// escaped continues str from the first backslash, unescaping into s.buf.
func (s *jsonScanner) escaped(start int) ([]byte, bool) {
	s.buf = append(s.buf[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.buf, utf8.Valid(s.buf)
		case c < 0x20:
			return nil, false
		case c != '\\':
			s.buf = append(s.buf, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return nil, false
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			s.buf = append(s.buf, e)
		case 'b':
			s.buf = append(s.buf, '\b')
		case 'f':
			s.buf = append(s.buf, '\f')
		case 'n':
			s.buf = append(s.buf, '\n')
		case 'r':
			s.buf = append(s.buf, '\r')
		case 't':
			s.buf = append(s.buf, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					if r2, ok = s.hex4(); !ok {
						return nil, false
					}
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, false // a lone surrogate
				}
			}
			s.buf = utf8.AppendRune(s.buf, r)
		default:
			return nil, false
		}
	}
	return nil, false
}

func (s *jsonScanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

// number reads a JSON number and returns its text.
func (s *jsonScanner) number() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		for c := s.peek(); c >= '0' && c <= '9'; c = s.peek() {
			s.i++
		}
	default:
		return nil, false
	}
	if s.peek() == '.' {
		s.i++
		if c := s.peek(); c < '0' || c > '9' {
			return nil, false
		}
		for c := s.peek(); c >= '0' && c <= '9'; c = s.peek() {
			s.i++
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if c := s.peek(); c < '0' || c > '9' {
			return nil, false
		}
		for c := s.peek(); c >= '0' && c <= '9'; c = s.peek() {
			s.i++
		}
	}
	return s.b[start:s.i], true
}

// integer reads a number that must be a non-negative integer.
func (s *jsonScanner) integer() (int, bool) {
	t, ok := s.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(t), 10, 31)
	return int(n), err == nil
}

func (s *jsonScanner) word(w string) bool {
	s.ws()
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

func (s *jsonScanner) boolean() (bool, bool) {
	switch s.peekWS() {
	case 't':
		return true, s.word("true")
	case 'f':
		return false, s.word("false")
	}
	return false, false
}

func (s *jsonScanner) peekWS() byte {
	s.ws()
	return s.peek()
}

// skip reads any value.
func (s *jsonScanner) skip(depth int) bool {
	if depth > jsonMaxDepth {
		return false
	}
	switch s.peekWS() {
	case '"':
		_, ok := s.str()
		return ok
	case '{':
		s.i++
		if s.lit('}') {
			return true
		}
		for {
			if _, ok := s.str(); !ok || !s.lit(':') || !s.skip(depth+1) {
				return false
			}
			if s.lit('}') {
				return true
			}
			if !s.lit(',') {
				return false
			}
		}
	case '[':
		s.i++
		if s.lit(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.lit(']') {
				return true
			}
			if !s.lit(',') {
				return false
			}
		}
	case 't':
		return s.word("true")
	case 'f':
		return s.word("false")
	case 'n':
		return s.word("null")
	}
	_, ok := s.number()
	return ok
}

// object reads the members of an object, calling member for each name;
// member reads the value (or returns false).
func (s *jsonScanner) object(member func(name []byte) bool) bool {
	if !s.lit('{') {
		return false
	}
	if s.lit('}') {
		return true
	}
	for {
		name, ok := s.str()
		if !ok || !s.lit(':') {
			return false
		}
		if !member(name) {
			return false
		}
		if s.lit('}') {
			return true
		}
		if !s.lit(',') {
			return false
		}
	}
}

// jsonRecord holds the members of a record that make an Event.
type jsonRecord struct {
	s                                   jsonScanner
	seen                                int
	stamp, verdict, daemon, event       []byte
	clientAddr, clientName, user, rfile []byte
	nameVerified, hasRuleLine, message  bool
	rline, pid                          int
}

// fill sets the fields of ev that a decision record gives the same way
// in both its forms, JSON and RFC 5424: the PID, the client's name when
// it was verified, the user, and the rule's file:line.
func (r *jsonRecord) fill(ev *watch.Event) {
	ev.PID = r.pid
	if r.nameVerified && len(r.clientName) > 0 {
		ev.Name = string(r.clientName)
	}
	if len(r.user) > 0 {
		ev.User = string(r.user)
	}
	if r.seen&seenRuleFile != 0 && r.hasRuleLine {
		ev.Rule = string(r.rfile) + ":" + strconv.Itoa(r.rline)
	}
}

// once marks a member seen, reporting false if it was already.
func once(seen *int, bit int) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// strMember reads a string value into *dst (a copy: the scanner's buffer
// is reused), refusing a second one.
func (r *jsonRecord) strMember(dst *[]byte, seen *int, bit int) bool {
	if !once(seen, bit) {
		return false
	}
	v, ok := r.s.str()
	*dst = append((*dst)[:0], v...)
	return ok
}

func (r *jsonRecord) member(name []byte) bool {
	s := &r.s
	switch string(name) {
	case "time":
		return r.strMember(&r.stamp, &r.seen, seenTime)
	case "verdict":
		return r.strMember(&r.verdict, &r.seen, seenVerdict)
	case "event":
		return r.strMember(&r.event, &r.seen, seenEvent)
	case "daemon":
		return r.strMember(&r.daemon, &r.seen, seenDaemon)
	case "client_name":
		return r.strMember(&r.clientName, &r.seen, seenClientName)
	case "user":
		return r.strMember(&r.user, &r.seen, seenUser)
	case "name_verified":
		v, ok := s.boolean()
		r.nameVerified = v
		return ok && once(&r.seen, seenNameVerified)
	case "pid":
		v, ok := s.integer()
		r.pid = v
		return ok && once(&r.seen, seenPID)
	case "client":
		return once(&r.seen, seenClient) && s.object(r.clientMember)
	case "rule":
		return once(&r.seen, seenRule) && s.object(r.ruleMember)
	case "reason":
		return once(&r.seen, seenReason) && s.skip(1)
	case "server":
		return once(&r.seen, seenServer) && s.skip(1)
	case "options":
		return once(&r.seen, seenOptions) && s.skip(1)
	case "latency_us":
		return once(&r.seen, seenLatency) && s.skip(1)
	case "text", "app", "priority", "host":
		r.message = true
	}
	return s.skip(1)
}

// clientMember and ruleMember read the nested objects; sub-member bits
// live above the top-level ones.
const (
	seenClientAddr = 1 << (20 + iota)
	seenClientPort
	seenRuleFile
	seenRuleLine
)

func (r *jsonRecord) clientMember(name []byte) bool {
	switch string(name) {
	case "addr":
		return r.strMember(&r.clientAddr, &r.seen, seenClientAddr)
	case "port":
		_, ok := r.s.integer()
		return ok && once(&r.seen, seenClientPort)
	}
	return r.s.skip(1)
}

func (r *jsonRecord) ruleMember(name []byte) bool {
	switch string(name) {
	case "file":
		return r.strMember(&r.rfile, &r.seen, seenRuleFile)
	case "line":
		v, ok := r.s.integer()
		r.rline, r.hasRuleLine = v, true
		return ok && once(&r.seen, seenRuleLine)
	}
	return r.s.skip(1)
}

// record parses a JSON decision record into ev.
func (p *Parser) record(ev *watch.Event, b []byte) Status {
	r := &p.rec
	*r = jsonRecord{s: jsonScanner{b: b, buf: r.s.buf[:0]},
		stamp: r.stamp[:0], verdict: r.verdict[:0], daemon: r.daemon[:0], event: r.event[:0],
		clientAddr: r.clientAddr[:0], clientName: r.clientName[:0], user: r.user[:0], rfile: r.rfile[:0]}
	ok := r.s.object(r.member)
	r.s.ws()
	if !ok || r.s.i != len(b) {
		return Malformed
	}
	if r.seen&seenEvent != 0 && string(r.event) != decisionMsgID {
		// A session end (or a kind of record to come): no decision.
		if r.seen&seenVerdict != 0 {
			return Malformed
		}
		return NotOurs
	}
	const required = seenTime | seenVerdict | seenDaemon
	if r.seen&required != required {
		if r.message {
			return NotOurs // a classic line kept as JSON: counted from its record
		}
		return Malformed
	}
	v, ok := recordVerdict(r.verdict)
	if !ok {
		return Malformed
	}
	ev.Verdict = v
	t, ok := p.stamps.parseRFC3339(r.stamp)
	if !ok || len(r.daemon) == 0 {
		return Malformed
	}
	if r.seen&seenClientAddr != 0 && len(r.clientAddr) > 0 {
		a, ok := parseAddr(r.clientAddr)
		if !ok {
			return Malformed
		}
		ev.Addr = a
	}
	ev.Time = t
	ev.Daemon = p.intern(r.daemon)
	ev.Source = watch.SourceJSON
	r.fill(ev)
	return OK
}
