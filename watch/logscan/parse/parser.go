package parse

import (
	"bytes"
	"time"

	"tcpwrap/watch"
)

// Status says what the parser made of a line.
type Status uint8

// Statuses. Only OK and Ambiguous come with an Event.
const (
	// NotOurs: not a line of ours to parse: another program's, a message
	// of ours that is not about a connection (a warning, "twist ..."),
	// or no syslog line at all. The zero value.
	NotOurs Status = iota
	// OK: an Event, every field as logged.
	OK
	// Ambiguous: a line of ours about a connection whose client part
	// cannot be read with certainty (blanks where tcpd never writes
	// them, a host name that is no host name, a host address that
	// differs from the address). The Event has no Addr: the whole client
	// part is in Name.
	Ambiguous
	// Malformed: a line from a program of ours that starts as one of
	// our formats but does not follow its grammar to the end (trailing
	// text, an invalid address, a broken record). No Event. Such lines
	// are either damaged or forged; callers count them. When
	// Config.Daemons is nil (any program may be a daemon), a broken
	// classic line is Malformed only from tcpd or tcpwrapd, and NotOurs from
	// any other program (postfix logs "connect from NAME[ADDR]").
	Malformed
)

func (s Status) String() string {
	switch s {
	case NotOurs:
		return "not ours"
	case OK:
		return "ok"
	case Ambiguous:
		return "ambiguous"
	case Malformed:
		return "malformed"
	}
	return "status?"
}

// The default program lists of Config, and our own programs, whose
// classic lines and records always count.
var (
	defaultInetd  = []string{"inetd"}
	defaultXinetd = []string{"xinetd"}
	defaultJSON   = []string{"tcpwrap", "tcpd", "tcpwrapd"}
	ours          = []string{"tcpd", "tcpwrapd"}
)

// Config says which programs' lines count. For each list, nil means
// the default and an empty non-nil list means none.
type Config struct {
	// Daemons are the program names (the syslog tag without its PID:
	// tcpd logs under the daemon's name, "in.fingerd") whose classic
	// lines ("connect from ...", "refused connect from ...") and RFC 5424
	// decision records count, in addition to our own "tcpd" and
	// "tcpwrapd". nil: any program whose message follows the grammar
	// exactly.
	Daemons []string
	// Inetd are the names openbsd-inetd logs under (nil: "inetd").
	Inetd []string
	// Xinetd are the names xinetd logs under (nil: "xinetd").
	Xinetd []string
	// JSON are the programs whose syslog messages may be a whole JSON
	// decision record (nil: "tcpwrap", "tcpd" and "tcpwrapd"). Bare
	// JSON lines (Record) need no program.
	JSON []string
	// Location is the time zone of traditional time stamps, which carry
	// none (nil: time.Local). RFC 3339 time stamps carry their own.
	Location *time.Location
}

// Parser turns log lines into Events. It keeps small caches, so it is
// not safe for concurrent use: give each goroutine its own.
type Parser struct {
	daemons map[string]bool // nil: any
	inetd   map[string]bool
	xinetd  map[string]bool
	json    map[string]bool
	loc     *time.Location
	ref     time.Time
	stamps  stampCache
	strs    map[string]string
	rec     jsonRecord // reused by record
}

func set(names, def []string, extra ...string) map[string]bool {
	if names == nil {
		names = def
	}
	m := make(map[string]bool, len(names)+len(extra))
	for _, n := range names {
		m[n] = true
	}
	for _, n := range extra {
		m[n] = true
	}
	return m
}

// New returns a parser for cfg whose reference time (see SetReference)
// is now.
func New(cfg Config) *Parser {
	p := &Parser{
		inetd:  set(cfg.Inetd, defaultInetd),
		xinetd: set(cfg.Xinetd, defaultXinetd),
		json:   set(cfg.JSON, defaultJSON),
		loc:    cfg.Location,
		ref:    time.Now(),
		strs:   make(map[string]string),
	}
	if cfg.Daemons != nil {
		p.daemons = set(cfg.Daemons, nil, ours...)
	}
	if p.loc == nil {
		p.loc = time.Local
	}
	return p
}

// SetReference sets the time a traditional time stamp's year is inferred
// from: the time the line was read (now, when following a file) or the
// file's modification time. A time stamp is placed in the latest year
// that puts it no more than a week after the reference, so a file read
// on January 2 places "Dec 31" in the year before.
func (p *Parser) SetReference(t time.Time) { p.ref = t }

// Reference returns the reference time.
func (p *Parser) Reference() time.Time { return p.ref }

// maxInterned bounds the string cache; it is emptied when full.
const maxInterned = 4096

// intern returns b as a string, shared with earlier identical ones:
// host, program and daemon names repeat on every line.
func (p *Parser) intern(b []byte) string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	if len(b) > 64 {
		return string(b)
	}
	if len(p.strs) >= maxInterned {
		clear(p.strs)
	}
	s := string(b)
	p.strs[s] = s
	return s
}

// Line parses one line of a syslog file, as rsyslog and syslog-ng write
// them: "Mmm dd hh:mm:ss HOST TAG MSG" (traditional),
// "2026-11-27T05:48:56.123456+00:00 HOST TAG MSG" (high precision), or
// a whole RFC 5424 message "<PRI>1 ..." (a file written with rsyslog's
// RSYSLOG_SyslogProtocol23Format). A final newline is ignored.
func (p *Parser) Line(line []byte) (watch.Event, Status) {
	return p.parse(trimEnd(line), true)
}

// Message parses one syslog message as received from the network:
// "<PRI>1 ..." (RFC 5424), or "<PRI>TIMESTAMP [HOST] TAG MSG" (RFC 3164,
// with a traditional or an RFC 3339 time stamp; the host may be missing,
// as in messages sent to a local socket). Trailing newlines and NULs are
// ignored.
func (p *Parser) Message(msg []byte) (watch.Event, Status) {
	return p.parse(trimEnd(msg), false)
}

// Record parses one line of a JSON-lines file of decision records, as
// audit.Record.AppendJSON writes them. Lines of the same file that are
// messages rather than records ({"time":...,"app":...,"text":...}, the
// classic lines written there when no syslog daemon runs) are NotOurs:
// their decisions are in the records too.
func (p *Parser) Record(line []byte) (watch.Event, Status) {
	line = trimEnd(line)
	if len(bytes.TrimSpace(line)) == 0 {
		return watch.Event{}, NotOurs
	}
	var ev watch.Event
	st := p.record(&ev, line)
	if st != OK {
		return watch.Event{}, st
	}
	return ev, st
}

func trimEnd(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', 0:
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

func (p *Parser) parse(b []byte, file bool) (watch.Event, Status) {
	var ev watch.Event
	if len(b) == 0 {
		return ev, NotOurs
	}
	if b[0] == '<' {
		end := bytes.IndexByte(b[:min(len(b), 5)], '>')
		if end < 2 {
			return ev, NotOurs
		}
		pri := 0
		for _, c := range b[1:end] {
			d, ok := digit(c)
			if !ok {
				return ev, NotOurs
			}
			pri = pri*10 + d
		}
		if pri > 191 {
			return ev, NotOurs
		}
		b = b[end+1:]
		if len(b) >= 2 && b[0] == '1' && b[1] == ' ' {
			st := p.rfc5424(&ev, b[2:])
			return ev, st
		}
	}
	if len(b) == 0 {
		return ev, NotOurs
	}
	// The time stamp: traditional (15 bytes) or RFC 3339 (up to the
	// first space); it is converted only for lines of ours.
	var stamp []byte
	switch c := b[0]; {
	case c >= 'A' && c <= 'Z':
		if len(b) < 16 || b[15] != ' ' {
			return ev, NotOurs
		}
		stamp, b = b[:15], b[16:]
	case c >= '0' && c <= '9':
		sp := bytes.IndexByte(b[:min(len(b), 41)], ' ')
		if sp < 20 {
			return ev, NotOurs
		}
		stamp, b = b[:sp], b[sp+1:]
	default:
		return ev, NotOurs
	}
	// HOST TAG, or (from the network) TAG alone.
	var (
		host, prog, msg []byte
		pid             int
		ok              bool
	)
	if !file {
		prog, pid, msg, ok = parseTag(b)
	}
	if !ok {
		sp := bytes.IndexByte(b, ' ')
		if sp <= 0 {
			return ev, NotOurs
		}
		host = b[:sp]
		if prog, pid, msg, ok = parseTag(b[sp+1:]); !ok {
			return ev, NotOurs
		}
	}
	st := p.message(&ev, prog, pid, msg)
	if st != OK && st != Ambiguous {
		return watch.Event{}, st
	}
	if ev.Source != watch.SourceJSON {
		t, ok := p.stamp(stamp)
		if !ok {
			return watch.Event{}, NotOurs
		}
		ev.Time = t
	}
	if len(host) > 0 && !(len(host) == 1 && host[0] == '-') {
		ev.Host = p.intern(host)
	}
	ev.Program = p.intern(prog)
	if ev.PID == 0 {
		ev.PID = pid
	}
	return ev, st
}

// stamp converts a traditional or RFC 3339 time stamp.
func (p *Parser) stamp(b []byte) (time.Time, bool) {
	if len(b) == 15 && b[0] >= 'A' && b[0] <= 'Z' {
		t, ok := parseTraditional(b)
		if !ok {
			return time.Time{}, false
		}
		return p.stamps.resolve(t, p.ref, p.loc)
	}
	return p.stamps.parseRFC3339(b)
}

// parseTag splits "NAME[PID]: MSG" or "NAME: MSG", or "NAME[PID] MSG"
// (no colon: rsyslog writes RFC 5424 messages it received that way in
// its RFC 3164 templates). NAME is printable ASCII without '[', ':' or
// blanks, PID a positive decimal number. One space follows the tag; the
// message is everything after it.
func parseTag(b []byte) (name []byte, pid int, msg []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] != '[' && b[i] != ':' {
		if c := b[i]; c <= ' ' || c >= 0x7f {
			return nil, 0, nil, false
		}
		i++
	}
	if i == 0 || i == len(b) || i > 255 {
		return nil, 0, nil, false
	}
	name = b[:i]
	if b[i] == '[' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-start >= 10 {
				return nil, 0, nil, false
			}
			pid = pid*10 + int(b[i]-'0')
			i++
		}
		if i == start || i >= len(b) || b[i] != ']' || pid == 0 {
			return nil, 0, nil, false
		}
		i++
		if i < len(b) && b[i] == ' ' {
			return name, pid, b[i+1:], true
		}
	}
	if i >= len(b) || b[i] != ':' {
		return nil, 0, nil, false
	}
	i++
	if i < len(b) {
		if b[i] != ' ' {
			return nil, 0, nil, false
		}
		i++
	}
	return name, pid, b[i:], true
}

// message dispatches a syslog message's text on its first words. Only
// the programs configured for a grammar are tried with it.
func (p *Parser) message(ev *watch.Event, prog []byte, pid int, msg []byte) Status {
	if len(msg) == 0 {
		return NotOurs
	}
	switch msg[0] {
	case 'c', 'r':
		switch {
		case bytes.HasPrefix(msg, connectFrom) || bytes.HasPrefix(msg, refusedConnectFrom):
			if !p.daemonOK(prog) || pid == 0 {
				return NotOurs
			}
			ev.Daemon = p.intern(prog)
			st := p.tcpd(ev, msg)
			if st == Malformed && !p.knownDaemon(prog) {
				// Any program may be a daemon, but this one's line is
				// not tcpd's (postfix logs "connect from NAME[ADDR]"):
				// only a listed daemon's broken line is worth a word.
				return NotOurs
			}
			return st
		case bytes.HasPrefix(msg, connectionFrom) || bytes.HasPrefix(msg, refusedConnectionFrom):
			if !p.inetd[string(prog)] {
				return NotOurs
			}
			return p.inetdLine(ev, msg)
		}
	case 'F':
		if bytes.HasPrefix(msg, xinetdFail) && p.xinetd[string(prog)] {
			return p.xinetdLine(ev, msg)
		}
	case '{':
		if p.json[string(prog)] {
			return p.record(ev, msg)
		}
	}
	return NotOurs
}

// knownDaemon reports whether prog is known to log tcpd's lines: listed
// in Config.Daemons, or one of ours.
func (p *Parser) knownDaemon(prog []byte) bool {
	if p.daemons != nil {
		return p.daemons[string(prog)]
	}
	for _, o := range ours {
		if string(prog) == o {
			return true
		}
	}
	return false
}

// daemonOK reports whether prog's classic lines and records count.
func (p *Parser) daemonOK(prog []byte) bool {
	if p.daemons == nil {
		return token(prog, 255)
	}
	return p.daemons[string(prog)]
}
