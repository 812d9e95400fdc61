package inetconf

import (
	"io"
	"math"
	"net/netip"
	"strings"
)

// Resolver finds the local addresses a host specifier names, as
// getaddrinfo(3) with AI_PASSIVE does for openbsd-inetd. Parse asks it
// only for hosts that are not numeric addresses or "*".
type Resolver interface {
	// LookupHost returns the addresses of host in the family asked
	// for (IPv4 or IPv6). The error's text is quoted in the warning.
	LookupHost(host string, family Family) ([]netip.Addr, error)
}

// Options are what Parse needs from outside the file. The zero value
// resolves only numeric services and addresses.
type Options struct {
	// Ports resolves service names (see ParseServices). Nil: only
	// numeric services resolve; any other name draws "unknown
	// service".
	Ports Ports
	// Resolver resolves host names. Nil: only numeric addresses and
	// "*" resolve; any other host draws a warning and gives no
	// listener.
	Resolver Resolver
	// DefaultMax is the invocation limit for entries without a valid
	// .max suffix (openbsd-inetd's -R); 0 means DefaultMax (256).
	DefaultMax int
	// DaemonDir is tcpd's REAL_DAEMON_DIR, used to derive the Tcpd of
	// a wrapped entry; "" means DefaultDaemonDir (/usr/sbin).
	DaemonDir string
}

// Parse reads an inetd.conf as Debian's openbsd-inetd 0.20221205 reads
// it and returns the listeners it would open, in the order of the lines
// that created them. See the package documentation for the syntax and
// for where this package deliberately differs.
//
// A malformed entry is skipped (or read in part) with a warning, and
// the others are kept, as openbsd-inetd does; the warnings come in the
// order openbsd-inetd would log its messages. name is the file name for
// messages. The error is non-nil only when the file cannot be used at
// all: a read error, or an entry on which openbsd-inetd never finishes
// reading its configuration; the services are then nil.
func Parse(r io.Reader, name string, opts Options) ([]Service, []Warning, error) {
	p := &parser{
		rd:       newLineReader(r),
		file:     name,
		opts:     opts,
		defhost:  "*",
		toomany:  opts.DefaultMax,
		byID:     map[entryID]*entry{},
		bySocket: map[socketID][]*entry{},
	}
	if p.toomany <= 0 {
		p.toomany = DefaultMax
	}
	if p.opts.DaemonDir == "" {
		p.opts.DaemonDir = DefaultDaemonDir
	}
	for {
		ents, err := p.getconfigent()
		if err != nil {
			return nil, p.warnings, err
		}
		if ents == nil {
			break
		}
		// openbsd-inetd prepends each address's entry to a list and
		// then works from the head: the last address first.
		for i := len(ents) - 1; i >= 0; i-- {
			p.config(ents[i])
		}
	}
	if p.rd.err != nil {
		return nil, p.warnings, &Error{File: name, Text: "read: " + p.rd.err.Error(), Err: p.rd.err}
	}
	var out []Service
	for _, e := range p.tab {
		if e.listening {
			s := e.service()
			s.File = name
			if s.Builtin == "" {
				s.Tcpd = tcpdFor(s.Server, s.Argv, p.opts.DaemonDir)
			}
			out = append(out, s)
		}
	}
	return out, p.warnings, nil
}

type parser struct {
	rd       *lineReader
	file     string
	opts     Options
	defhost  string
	toomany  int
	warnings []Warning

	// The IPv6 half of a plain tcp or udp entry: openbsd-inetd reads
	// the entry's first line again (and only that line) with "6"
	// appended to the protocol.
	override  bool
	saved     string
	savedLine int
	lastLine  int // the last line the previous pass read
	twinNoted bool

	tab []*entry // openbsd-inetd's servtab, in the order entries were added
	// Indexes over tab: by identity, and the listening sockets by
	// port (or path).
	byID     map[entryID]*entry
	bySocket map[socketID][]*entry
}

type entryID struct {
	name, hostaddr, proto string
	addr                  netip.Addr
}

type socketID struct {
	unix bool
	port uint16
	path string
}

func (e *entry) id() entryID {
	return entryID{e.name, e.hostaddr, e.proto, e.addr}
}

func (e *entry) socketID() socketID {
	if e.family == Unix {
		return socketID{unix: true, path: e.name}
	}
	return socketID{port: e.port}
}

// listen marks e listening.
func (p *parser) listen(e *entry) {
	e.listening, e.setupWait = true, e.wait
	p.bySocket[e.socketID()] = append(p.bySocket[e.socketID()], e)
}

// entry is one servtab entry: a listener and its settings.
type entry struct {
	line     int
	lastLine int // last physical line of the entry
	hostaddr string
	name     string // the service field
	proto    string
	family   Family
	dual     bool // one of the two listeners of a tcp or udp entry
	addr     netip.Addr
	socktype SockType // 0 for a word other than stream or dgram
	sockWord string
	sndbuf   int
	rcvbuf   int
	wait     bool
	max      int
	user     string
	group    string
	noGroup  bool // "user." or "user:": an empty group name
	server   string
	argv     []string
	builtin  Builtin

	port      uint16
	listening bool
	setupWait bool // wait when the socket was opened (for a stream socket, what counts)
}

func (p *parser) warn(line int, inetd, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{File: p.file, Line: line, Text: sprintf(format, args...), Inetd: inetd})
}

// note is warn for a Warning.Note.
func (p *parser) note(line int, inetd, format string, args ...any) {
	p.warn(line, inetd, format, args...)
	p.warnings[len(p.warnings)-1].Note = true
}

// getconfigent returns the listeners of the next entry, one for each
// address, nil at the end of the file.
func (p *parser) getconfigent() ([]*entry, error) {
	for {
		var c cursor
		wasOverride := p.override
		before := p.rd.consumed
		if p.override {
			c = cursor{rd: p.rd, rest: p.saved, line: p.savedLine}
			if !p.twinNoted && p.lastLine > p.savedLine {
				p.warn(p.savedLine, "", "entry %q goes on over lines %d-%d: openbsd-inetd reads only line %d again for its IPv6 listener",
					firstField(strings.TrimLeft(p.saved, " \t")), p.savedLine, p.lastLine, p.savedLine)
			}
			p.twinNoted = true
		} else {
			p.twinNoted = false
			var text string
			var line int
			var ok bool
			for {
				text, line, ok = p.rd.next()
				if !ok || !strings.HasPrefix(text, "#") {
					break
				}
			}
			if !ok {
				return nil, nil
			}
			p.saved, p.savedLine = text, line
			c = cursor{rd: p.rd, rest: text, line: line}
		}
		ents := p.parseEntry(&c)
		if !wasOverride {
			p.lastLine = c.line
		}
		if ents != nil {
			return ents, nil
		}
		if wasOverride && p.override && p.rd.consumed == before {
			return nil, &Error{File: p.file, Line: p.savedLine, Text: sprintf(
				"entry at line %d: for the IPv6 half of a tcp or udp entry openbsd-inetd reads only the entry's first line again; that line does not reach the protocol field, so it reads it again and again and never finishes its configuration (put the entry on one line, or at least up to its protocol)",
				p.savedLine)}
		}
	}
}

// Field names for the syntax error message.
var fieldNames = []string{"socket type", "protocol", "wait/nowait", "user", "server program"}

// parseEntry reads one entry as openbsd-inetd's getconfigent does, and
// returns its listeners, or nil when the entry gave none (a blank line,
// a default-host line, an error).
func (p *parser) parseEntry(c *cursor) []*entry {
	e := &entry{line: c.line}
	first, _, ok := c.word()
	if !ok {
		return nil // a blank line
	}
	e.line = c.line
	arg := first

	// [host:]service, or host: alone to set the default host.
	if i := strings.LastIndexByte(arg, ':'); i >= 0 {
		switch {
		case arg[0] == '[' && i > 0 && arg[i-1] == ']':
			e.hostaddr = arg[1 : i-1]
		case i == 0:
			e.hostaddr = "*"
		default:
			e.hostaddr = arg[:i]
		}
		arg = arg[i+1:]
		if arg == "" {
			next, _, ok := c.word()
			if !ok {
				p.defhost = e.hostaddr
				return nil
			}
			arg = next
		}
	} else {
		e.hostaddr = p.defhost
	}
	e.name = arg

	var words [5]string
	for k := range words {
		w, _, ok := c.word()
		if !ok {
			p.warn(e.line, "syntax error in inetd config file",
				"entry %q ends before its %s field: skipped", e.name, fieldNames[k])
			return nil
		}
		words[k] = w
		// Each field is dealt with as soon as it is read: an error
		// leaves the rest unread, and messages come in this order.
		switch k {
		case 0:
			switch w {
			case "stream":
				e.socktype = Stream
			case "dgram":
				e.socktype = Dgram
			default:
				e.sockWord = w
			}
		case 1:
			if !p.protocol(e, w) {
				return nil
			}
		case 2:
			p.waitMax(e, w)
		case 3:
			p.userGroup(e, w)
		}
	}
	e.server = words[4]
	if e.server == "internal" {
		e.builtin = lookupBuiltin(e.name, e.socktype)
		if e.builtin == "" {
			p.warn(e.line, "internal service "+e.name+" unknown",
				"no built-in %s service %q (the built-ins are echo, discard, chargen, daytime and time, for stream and dgram; the name must be the service's official name): skipped",
				sockWordOf(e), e.name)
			return nil
		}
		e.wait = false
	}
	nargs, dropped := 0, ""
	for {
		w, _, ok := c.word()
		if !ok {
			break
		}
		nargs++
		if len(e.argv) < MaxArgs {
			e.argv = append(e.argv, w)
		} else if dropped == "" {
			dropped = w
		}
	}
	e.lastLine = c.line
	if nargs == 0 && e.builtin == "" {
		e.argv = []string{e.server[strings.LastIndexByte(e.server, '/')+1:]}
	}
	p.entryNotes(e, c, nargs, dropped)
	if !p.acceptable(e) {
		return nil
	}
	if e.family == Unix {
		return []*entry{e}
	}
	return p.expandHosts(e)
}

// protocol reads the protocol field with its buffer sizes and sets the
// family, as openbsd-inetd does. It reports whether the entry goes on.
func (p *parser) protocol(e *entry, word string) bool {
	proto := word
	if i := strings.IndexByte(word, ','); i >= 0 {
		proto = word[:i]
		if !p.bufferSizes(e, word, word[i+1:]) {
			return false
		}
	}
	e.proto = proto
	if proto == "unix" {
		e.family = Unix
		return true
	}
	switch {
	case p.override:
		p.override = false
		e.family = IPv6
		e.proto += "6"
		e.dual = true
	case strings.HasSuffix(proto, "4"):
		e.family = IPv4
	case strings.HasSuffix(proto, "6"):
		e.family = IPv6
	default:
		e.family = IPv4
		e.dual = true
		p.override = true
	}
	if strings.HasPrefix(proto, "rpc/") {
		return p.rpcVersion(e)
	}
	return true
}

// bufferSizes reads ",sndbuf=N[,rcvbuf=N]" (either order). It mirrors
// openbsd-inetd's checks, including two quirks: a value must be digits
// and then at most one more character, 'k' and 'm' multiplying and any
// other character being ignored; and a value of digits alone that is
// followed by a second size ("sndbuf=1,rcvbuf=2k") is refused, because
// openbsd-inetd looks one byte past the value's end. (Where the value
// ends the word, that byte lies past the end of its copy of the word and
// its answer depends on the heap: "tcp,rcvbuf=2048" was accepted and
// "tcp4,sndbuf=1k,rcvbuf=2" refused. We accept that form, the one
// inetd(8) documents.)
func (p *parser) bufferSizes(e *entry, word, opts string) bool {
	malformed := func(a string) bool {
		p.warn(e.line, sprintf("%s: malformed buffer size option `%s'", e.name, a),
			"protocol %q: malformed buffer size option %q (want sndbuf=SIZE or rcvbuf=SIZE, SIZE digits with an optional k or m): skipped", word, a)
		return false
	}
	var buf1 string
	buf0 := opts
	hasBuf1 := false
	if i := strings.IndexByte(opts, ','); i >= 0 {
		buf0, buf1, hasBuf1 = opts[:i], opts[i+1:], true
		if strings.IndexByte(buf1, ',') >= 0 {
			p.warn(e.line, e.name+": too many buffer sizes",
				"protocol %q: more than two buffer sizes: skipped", word)
			return false
		}
	}
	var key1, val1 string
	if hasBuf1 {
		i := strings.IndexByte(buf1, '=')
		if i < 0 {
			return malformed(buf1)
		}
		key1, val1 = buf1[:i], buf1[i+1:]
	}
	i := strings.IndexByte(buf0, '=')
	if i < 0 {
		return malformed(buf0)
	}
	key0, val0 := buf0[:i], buf0[i+1:]
	// In openbsd-inetd's copy of the word, the byte after val0's end is
	// the first byte of key1 (the '=' after it is already cut out).
	after0 := byte(0)
	if hasBuf1 && key1 != "" {
		after0 = key1[0]
	}
	get := func(val string, after byte) (int, bool) {
		if val == "" || !isDigit(val[0]) {
			return 0, malformed(val)
		}
		v, n := strtol10(val)
		rest := val[n:]
		switch {
		case rest == "" && after != 0, len(rest) > 1:
			return 0, malformed(val)
		}
		x := int32(v)
		if rest == "k" {
			x *= 1024
		} else if rest == "m" {
			x *= 1024 * 1024
		}
		if x < 1 {
			p.warn(e.line, sprintf("%s: invalid buffer size `%s'", e.name, val),
				"protocol %q: buffer size %q is not a positive 32-bit number of bytes: skipped", word, val)
			return 0, false
		}
		return int(x), true
	}
	assign := func(key string, v int) bool {
		switch key {
		case "sndbuf":
			e.sndbuf = v
		case "rcvbuf":
			e.rcvbuf = v
		default:
			return malformed(key)
		}
		return true
	}
	v, ok := get(val0, after0)
	if !ok || !assign(key0, v) {
		return false
	}
	if hasBuf1 {
		v, ok := get(val1, 0)
		if !ok || !assign(key1, v) {
			return false
		}
	}
	return true
}

// rpcVersion checks "name/version" or "name/low-high" for an RPC entry,
// with openbsd-inetd's messages. RPC entries are refused later in any
// case.
func (p *parser) rpcVersion(e *entry) bool {
	i := strings.IndexByte(e.name, '/')
	if i < 0 {
		p.warn(e.line, e.name+": no rpc version", "RPC service %q has no /version: skipped", e.name)
		return false
	}
	svc, vers := e.name[:i], e.name[i+1:]
	bad := func(v string) bool {
		p.warn(e.line, svc+"/"+v+": bad rpc version", "RPC service %q: bad version %q: skipped", e.name, v)
		return false
	}
	lo, n := strtol(vers, 0)
	if n == 0 || lo < 0 || lo > math.MaxInt32 {
		return bad(vers)
	}
	rest := vers[n:]
	if strings.HasPrefix(rest, "-") {
		hiText := rest[1:]
		hi, m := strtol(hiText, 0)
		if m == 0 || hi < 0 || hi > math.MaxInt32 || hi < lo || m != len(hiText) {
			return bad(hiText)
		}
	} else if rest != "" {
		return bad(vers)
	}
	e.name = svc
	return true
}

// strtol is strtol(3): the value clamped to the int64 range, and the
// bytes used.
func strtol(s string, base int) (int64, int) {
	u, n := strtoul(s, base)
	if n == 0 {
		return 0, 0
	}
	neg := strings.HasPrefix(strings.TrimLeftFunc(s, isSpaceRune), "-")
	if u == math.MaxUint64 {
		if neg {
			return math.MinInt64, n
		}
		return math.MaxInt64, n
	}
	if neg {
		m := -u // the magnitude
		if m > 1<<63 {
			return math.MinInt64, n
		}
		return -int64(m), n
	}
	if u > math.MaxInt64 {
		return math.MaxInt64, n
	}
	return int64(u), n
}

// waitMax reads "wait|nowait[.max]".
func (p *parser) waitMax(e *entry, word string) {
	w := word
	e.max = p.toomany
	if i := strings.IndexByte(word, '.'); i >= 0 {
		w = word[:i]
		s := word[i+1:]
		v, n := strtoul(s, 0)
		m := cInt(v)
		if m < 1 || n != len(s) {
			p.warn(e.line, sprintf("%s: illegal max field \"%s\", setting to %d", e.name, s, p.toomany),
				"max %q in %q is not a positive number: using %d", s, word, p.toomany)
		} else {
			e.max = int(m)
			if uint64(m) != v {
				p.warn(e.line, "", "max %q in %q does not fit in 32 bits: openbsd-inetd uses %d", s, word, m)
			}
		}
	}
	e.wait = w == "wait"
	if w != "wait" && w != "nowait" {
		p.warn(e.line, "", "%q is neither wait nor nowait: taken as nowait, as openbsd-inetd does", w)
	}
}

// userGroup reads "user[.group]" or "user[:group]": the first "." wins
// over any ":".
func (p *parser) userGroup(e *entry, word string) {
	e.user = word
	i := strings.IndexByte(word, '.')
	if i < 0 {
		i = strings.IndexByte(word, ':')
	}
	if i >= 0 {
		e.user, e.group = word[:i], word[i+1:]
		e.noGroup = e.group == ""
	}
}

// entryNotes gives the warnings about an entry openbsd-inetd reads
// without complaint but probably not as meant.
func (p *parser) entryNotes(e *entry, c *cursor, nargs int, dropped string) {
	if nargs > MaxArgs {
		p.warn(e.line, "", "%d words after the server program: openbsd-inetd keeps only the first %d (argv[0] included) and drops %q and the rest",
			nargs, MaxArgs, dropped)
	}
	for _, l := range c.comments {
		p.warn(l, "", "continuation line starts with %q: its words are read as more arguments of the entry above, not as a comment", "#")
	}
	c.comments = nil
	for _, w := range append([]string{e.name, e.server}, e.argv...) {
		if strings.ContainsRune(w, '\r') {
			p.warn(e.line, "", "word %q contains a carriage return (a file with DOS line ends?): openbsd-inetd keeps it as part of the word", w)
			break
		}
	}
	if strings.Contains(e.user, ":") && (e.group != "" || e.noGroup) {
		p.warn(e.line, "", "user %q: the \".\" in the user field splits it first, so the user name contains a \":\" and cannot exist", e.user+"."+e.group)
	}
}

// acceptable applies the checks where we deliberately do not follow
// openbsd-inetd: entries it would run in a way that cannot work or is
// surely not what was meant.
func (p *parser) acceptable(e *entry) bool {
	if e.socktype == 0 && e.family != Unix {
		// No socket of this type can be opened: the host lookup
		// fails for every host, as openbsd-inetd's does.
		return true
	}
	switch {
	case strings.HasPrefix(e.proto, "rpc/"):
		p.warn(e.line, "", "RPC service %q (protocol %q): RPC services are not supported: skipped", e.name, e.proto)
		return false
	case !knownProto(e.proto):
		p.warn(e.line, "", "unknown protocol %q (want tcp, tcp4, tcp6, tcp46, udp, udp4, udp6, udp46 or unix; openbsd-inetd would open a %s socket for a numeric port): skipped",
			e.proto, sockWordOf(e))
		return false
	case e.socktype == Stream && strings.HasPrefix(e.proto, "udp"), e.socktype == Dgram && strings.HasPrefix(e.proto, "tcp"):
		p.warn(e.line, "", "socket type %s does not go with protocol %q (openbsd-inetd would open a %s socket on the %s port): skipped",
			e.socktype, e.proto, map[SockType]string{Stream: "TCP", Dgram: "UDP"}[e.socktype], e.proto)
		return false
	}
	if e.builtin == "" {
		if e.user == "" {
			p.warn(e.line, "", "empty user name: openbsd-inetd would fail every connection (no such user): skipped")
			return false
		}
		if e.noGroup {
			p.warn(e.line, "", "empty group name after user %q: openbsd-inetd would fail every connection (no such group): skipped", e.user)
			return false
		}
		if t := tcpdFor(e.server, e.argv, p.opts.DaemonDir); t != nil && t.Daemon == "tcpd" {
			p.warn(e.line, "", "tcpd would run itself (daemon %q): give the daemon after the tcpd path: skipped", e.argv[0])
			return false
		}
	}
	return true
}

func knownProto(p string) bool {
	switch p {
	case "tcp", "tcp4", "tcp6", "tcp46", "udp", "udp4", "udp6", "udp46", "unix":
		return true
	}
	return false
}

func sockWordOf(e *entry) string {
	if e.socktype != 0 {
		return e.socktype.String()
	}
	return e.sockWord
}

// expandHosts gives one entry for each address of each host in the
// comma-separated host specifier, in the order resolved.
func (p *parser) expandHosts(e *entry) []*entry {
	var out []*entry
	for _, host := range strings.Split(e.hostaddr, ",") {
		if host == "" {
			continue
		}
		addrs, inetdErr, ourErr := p.resolve(host, e)
		if ourErr != "" {
			var inetd string
			if inetdErr != "" {
				inetd = sprintf("%s/%s: %s: %s", e.name, e.proto, host, inetdErr)
			}
			warn := p.warn
			if e.dual && inetdErr == wrongFamily {
				// The other listener of the entry gets the address.
				warn = p.note
			}
			warn(e.line, inetd, "%s/%s: host %q: %s: no listener there", e.name, e.proto, host, ourErr)
			continue
		}
		for _, a := range addrs {
			x := *e
			x.hostaddr = host
			x.addr = a
			out = append(out, &x)
		}
	}
	if out == nil && !strings.ContainsFunc(e.hostaddr, func(r rune) bool { return r != ',' }) {
		p.warn(e.line, "", "host specifier %q names no host: skipped (openbsd-inetd skips it without a message)", e.hostaddr)
	}
	return out
}

// wrongFamily is openbsd-inetd's message for a numeric host of the
// other family (gai_strerror's EAI_ADDRFAMILY).
const wrongFamily = "Address family for hostname not supported"

// resolve finds the addresses of one host for the entry's family, with
// getaddrinfo's error text (for openbsd-inetd's message) and ours.
func (p *parser) resolve(host string, e *entry) (addrs []netip.Addr, inetdErr, ourErr string) {
	if e.socktype == 0 {
		what := "is not a socket type"
		switch e.sockWord {
		case "raw", "rdm", "seqpacket":
			what = "is not supported (openbsd-inetd cannot open such sockets either)"
		}
		return nil, "ai_socktype not supported", sprintf("socket type %q %s; want stream or dgram", e.sockWord, what)
	}
	if host == "*" {
		if e.family == IPv4 {
			return []netip.Addr{netip.IPv4Unspecified()}, "", ""
		}
		return []netip.Addr{netip.IPv6Unspecified()}, "", ""
	}
	if a, ok := inetAton(host); ok {
		if e.family != IPv4 {
			return nil, wrongFamily, "an IPv4 address, and " + e.proto + " listens on IPv6"
		}
		if a.String() != host {
			p.note(e.line, "", "host %q is read as %s (inet_aton(3) rules)", host, a)
		}
		return []netip.Addr{a}, "", ""
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		if e.family != IPv6 {
			return nil, wrongFamily, "an IPv6 address, and " + e.proto + " listens on IPv4"
		}
		return []netip.Addr{a}, "", ""
	}
	if p.opts.Resolver == nil {
		return nil, "", "not a numeric address, and no resolver"
	}
	addrs, err := p.opts.Resolver.LookupHost(host, e.family)
	if err != nil {
		return nil, err.Error(), err.Error()
	}
	var ok []netip.Addr
	for _, a := range addrs {
		if (e.family == IPv4) == a.Is4() {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return nil, "", "the resolver gave no address in the entry's family"
	}
	return ok, "", ""
}

// config enters one listener into the table as openbsd-inetd's config()
// does: a duplicate updates the entry it repeats; then the port is
// looked up and the socket "bound".
func (p *parser) config(e *entry) {
	if old := p.find(e); old != nil {
		p.merge(old, e)
		e = old
	} else {
		p.tab = append(p.tab, e)
		p.byID[e.id()] = e
	}
	if e.family == Unix {
		if e.listening {
			return
		}
		if len(e.name) >= 108 {
			p.warn(e.line, e.name+"/"+e.proto+": UNIX domain socket path too long",
				"socket path %q is %d bytes; a Unix socket address holds at most 107: skipped", e.name, len(e.name))
			return
		}
		if e.socktype == 0 {
			p.warn(e.line, e.name+"/"+e.proto+": socket: Invalid argument",
				"socket type %q is not supported; want stream or dgram: skipped", e.sockWord)
			return
		}
		if c := p.conflict(e); c != nil {
			p.warn(e.line, "", "socket %q is also the socket of line %d: openbsd-inetd would remove that one's file and bind again: skipped", e.name, c.line)
			return
		}
		p.listen(e)
		return
	}
	port := strtonumPort(e.name)
	if port == 0 {
		protoname := e.proto
		if e.family == IPv4 {
			if i := strings.IndexFunc(protoname, func(r rune) bool { return r >= '0' && r <= '9' }); i >= 0 {
				protoname = protoname[:i]
			}
		} else if n := len(protoname); n > 0 && isDigit(protoname[n-1]) {
			protoname = protoname[:n-1]
		}
		var ok bool
		var pp uint16
		if p.opts.Ports != nil {
			pp, ok = p.opts.Ports.Port(e.name, protoname)
		}
		if ok && pp == 0 {
			p.warn(e.line, "", "service %q has port 0 in the services table: openbsd-inetd would listen on a port the kernel picks: skipped", e.name)
			return
		}
		if !ok {
			hint := ""
			if protoname == "tcp4" || protoname == "udp4" {
				hint = sprintf(" (for %s, openbsd-inetd looks the name up under protocol %q, which /etc/services does not use: give a port number)", e.proto, protoname)
			}
			p.warn(e.line, e.name+"/"+e.proto+": unknown service",
				"unknown service %q (%s): not a port number and not in the services table for %q%s: skipped", e.name, e.proto, protoname, hint)
			return
		}
		port = int(pp)
	}
	if uint16(port) != e.port {
		// (Never while listening: the port comes from the name and
		// protocol, which are the same for a duplicate.)
		e.port = uint16(port)
	}
	if e.listening {
		return
	}
	if c := p.conflict(e); c != nil {
		if e.socktype == Stream {
			p.warn(e.line, e.name+"/"+e.proto+": bind: Address already in use",
				"%s overlaps %s from line %d: the address is in use: skipped", e.key(), c.key(), c.line)
		} else {
			p.warn(e.line, "",
				"%s is also the socket of line %d: openbsd-inetd would bind both (SO_REUSEADDR) and the kernel would give each datagram to one of them: skipped",
				e.key(), c.line)
		}
		return
	}
	p.listen(e)
}

// find returns the entry e repeats: same service field, host, protocol
// and address, as openbsd-inetd's matchconf decides.
// (The protocol decides the family, so entries that agree on it have
// the same family.)
func (p *parser) find(e *entry) *entry {
	return p.byID[e.id()]
}

// merge applies a duplicate entry: openbsd-inetd takes its max, user,
// group, server and arguments, and its wait unless that would turn
// nowait into wait; the socket, the buffer sizes and whether it is a
// built-in stay. A duplicate that changes the socket type or between
// built-in and program cannot be merged sensibly, and is ignored.
func (p *parser) merge(old, e *entry) {
	if old.line == e.line && old.lastLine == e.lastLine {
		return // one line naming an address twice
	}
	switch {
	case old.socktype != e.socktype:
		p.warn(e.line, "", "duplicate of line %d (%s %s) with socket type %s: ignored (openbsd-inetd would keep line %d's socket and run this line's server on it)",
			old.line, old.name, old.proto, sockWordOf(e), old.line)
		return
	case old.builtin != e.builtin:
		p.warn(e.line, "", "duplicate of line %d (%s %s) switches between a built-in and a server program: ignored (openbsd-inetd would mix the two)",
			old.line, old.name, old.proto)
		return
	}
	p.warn(e.line, "", "duplicate of line %d (%s %s on %s): its settings replace line %d's, on the same socket",
		old.line, old.name, old.proto, old.hostaddr, old.line)
	// openbsd-inetd's rule for its wait flag.
	if e.builtin == "" {
		if old.wait || !e.wait {
			old.wait = e.wait
		} else {
			p.warn(e.line, "", "line %d's nowait stays: openbsd-inetd does not turn a nowait entry into wait", old.line)
		}
	}
	if old.listening && old.socktype == Stream && old.wait != old.setupWait {
		// The socket keeps the handler chosen when it was opened:
		// for wait, the listening socket itself goes to the server.
		p.warn(e.line, "", "the socket was opened for wait (line %d): openbsd-inetd records nowait but goes on handing the listening socket to the server, as for wait, and so does this reading", old.line)
	}
	if e.sndbuf != old.sndbuf || e.rcvbuf != old.rcvbuf {
		p.warn(e.line, "", "line %d's buffer sizes stay: openbsd-inetd does not take them from a duplicate", old.line)
	}
	old.max, old.user, old.group, old.server, old.argv = e.max, e.user, e.group, e.server, e.argv
	old.line, old.lastLine = e.line, e.lastLine
}

// conflict returns a listening entry whose socket e's would collide
// with: for stream sockets, any overlap of address and port (the bind
// would fail); for datagram sockets, the same socket exactly; for Unix
// sockets, the same path.
func (p *parser) conflict(e *entry) *entry {
	for _, x := range p.bySocket[e.socketID()] {
		if x == e {
			continue
		}
		if e.family == Unix {
			return x
		}
		if x.socktype != e.socktype {
			continue
		}
		if e.socktype == Dgram {
			if x.key() == e.key() {
				return x
			}
			continue
		}
		if overlaps(x, e) {
			return x
		}
	}
	return nil
}

// overlaps reports whether two TCP listeners on one port cover a common
// address, as Linux's bind decides between two SO_REUSEADDR sockets when
// one is listening.
func overlaps(a, b *entry) bool {
	a1, a2 := covers(a)
	b1, b2 := covers(b)
	for _, x := range [2]netip.Addr{a1, a2} {
		for _, y := range [2]netip.Addr{b1, b2} {
			if x.IsValid() && y.IsValid() && (x == y || (x.IsUnspecified() || y.IsUnspecified()) && x.Is4() == y.Is4()) {
				return true
			}
		}
	}
	return false
}

// covers is the addresses a listener accepts: its own, and for a
// dual-stack IPv6 socket the IPv4 side too (else the zero Addr).
func covers(e *entry) (netip.Addr, netip.Addr) {
	a := e.addr
	if e.family == IPv6 && e.v6only() != V6OnlyOn {
		switch {
		case a.IsUnspecified():
			return a, netip.IPv4Unspecified()
		case a.Is4In6():
			return a, a.Unmap()
		}
	}
	return a, netip.Addr{}
}

func (e *entry) v6only() V6Only {
	if e.family != IPv6 {
		return V6OnlyUnset
	}
	// openbsd-inetd sets the option for protocols starting "tcp6"
	// (on) and "tcp46" (off), and leaves every other one alone.
	switch {
	case strings.HasPrefix(e.proto, "tcp6"):
		return V6OnlyOn
	case strings.HasPrefix(e.proto, "tcp46"):
		return V6OnlyOff
	}
	return V6OnlyUnset
}

func (e *entry) key() Key {
	k := Key{Family: e.family, Socket: e.socktype, V6Only: e.v6only()}
	if e.family == Unix {
		k.Path = e.name
	} else {
		k.Addr = netip.AddrPortFrom(e.addr, e.port)
	}
	return k
}

// service converts a listening entry.
func (e *entry) service() Service {
	k := e.key()
	s := Service{
		Line:    e.line,
		Name:    e.name,
		Host:    e.hostaddr,
		Proto:   e.proto,
		Family:  e.family,
		Socket:  e.socktype,
		Addr:    k.Addr,
		Path:    k.Path,
		V6Only:  k.V6Only,
		SndBuf:  e.sndbuf,
		RcvBuf:  e.rcvbuf,
		Wait:    e.wait,
		Max:     e.max,
		User:    e.user,
		Group:   e.group,
		Server:  e.server,
		Argv:    append([]string(nil), e.argv...),
		Builtin: e.builtin,
	}
	if e.socktype == Stream {
		s.Wait = e.setupWait
	}
	return s
}
