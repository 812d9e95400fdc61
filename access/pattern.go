package access

import (
	"net/netip"
	"strings"
	"tcpwrap/options"
)

// hostKind is the meaning of a host pattern, in the order tcp_wrappers
// tries them (host_match).
type hostKind uint8

const (
	hostNetgroup hostKind = iota // @name: NIS netgroup of the host name
	hostFile                     // /path: a file of host patterns
	hostKnown                    // KNOWN: address and name both known
	hostLocal                    // LOCAL: a known name without dots
	hostNetmask                  // contains '/': net/mask against the address
	hostString                   // anything else: address, then maybe name
)

// hostPattern is a compiled host pattern, used for the client host and for
// the server side of daemon@host. str.text is the pattern as written,
// whatever its kind.
type hostPattern struct {
	str  strPattern // the text; for hostString also its meaning
	kind hostKind
	// addrOnly: the token has only digits, dots and slashes, so it is never
	// compared with a host name (tcp_wrappers' NOT_INADDR test).
	addrOnly bool
	nm       *netmask  // hostNetmask
	file     *fileList // hostFile
}

func (p *hostPattern) text() string { return p.str.text }

// fileList is the content of a "/path" pattern, read when the table is
// compiled.
type fileList struct {
	path    string
	openErr string // non-empty: the file exists but could not be read
	words   []hostPattern
}

// maxFileDepth bounds nested /file patterns; tcp_wrappers recurses without
// limit, so a file that names itself would exhaust its descriptors.
const maxFileDepth = 8

// compiler turns list words into patterns, sharing what repeats: the
// lists of a large table are mostly the same few daemon lists.
type compiler struct {
	fsys    FileSystem
	zones   func(string) bool
	depth   int
	cache   map[string]*fileList
	busy    map[string]bool // files being read (cycle detection)
	files   map[string]bool // every /file path consulted, for change detection
	daemons map[string]list[daemonPattern]
	// Slabs that the patterns of many rules are carved from, so that a
	// large table is a few large allocations.
	clientSlab []clientPattern
	groupSlab  [][]clientPattern
	toks       []string
	exactSlabs bool // compiling one rule: no slab to spare
}

func (c *compiler) host(tok string) hostPattern {
	p := hostPattern{str: strPattern{text: tok, kind: strExact}}
	switch {
	case tok[0] == '@':
		p.kind = hostNetgroup
	case tok[0] == '/':
		p.kind = hostFile
		p.file = c.fileList(tok)
	case options.EqualFold(tok, "KNOWN"):
		p.kind = hostKnown
	case options.EqualFold(tok, "LOCAL"):
		p.kind = hostLocal
	default:
		if net, mask, ok := splitAt(tok, '/'); ok {
			p.kind = hostNetmask
			nm := compileNetmask(net, mask)
			if nm.v6ok && !c.zoneOK(net) {
				nm.v6ok = false
			}
			p.nm = &nm
			p.addrOnly = true
			break
		}
		p.kind = hostString
		p.str = compileString(tok)
		if p.str.kind == strBracket && !c.zoneOK(tok) {
			p.str.kind = strNever
		}
		p.addrOnly = numericOnly(tok)
	}
	return p
}

// zoneOK reports whether the scope of a bracketed address, if any, is one
// glibc's getaddrinfo accepts (__inet6_scopeid_pton): a decimal number for
// any address, an interface name only for a link-local unicast address or
// an interface- or link-local multicast one. "[::1%lo]" fails to parse
// there, and so never matches, though lo exists; "[::1%1]" matches ::1.
// Whether a name or number is an interface is for c.zones to say.
func (c *compiler) zoneOK(tok string) bool {
	i := strings.IndexByte(tok, '%')
	if i < 0 {
		return true
	}
	zone := strings.TrimSuffix(tok[i+1:], "]")
	if j := strings.IndexByte(zone, ']'); j >= 0 {
		zone = zone[:j]
	}
	if (zone == "" || !isDigit(zone[0])) && !namedScope(tok[1:i]) {
		return false
	}
	return c.zones == nil || c.zones(zone)
}

// namedScope reports whether the IPv6 address s (without its scope) is one
// whose scope may be an interface name: glibc's IN6_IS_ADDR_LINKLOCAL
// (fe80::/10), IN6_IS_ADDR_MC_NODELOCAL and IN6_IS_ADDR_MC_LINKLOCAL
// (ffX1:: and ffX2::). The tests are on the bytes as written: an
// IPv4-mapped ::ffff:169.254.x.x is not link-local to glibc, unlike to
// netip.Addr.IsLinkLocalUnicast.
func namedScope(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return false
	}
	b := a.As16()
	switch {
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return true
	case b[0] == 0xff && (b[1]&0x0f == 0x01 || b[1]&0x0f == 0x02):
		return true
	}
	return false
}

// numericOnly reports whether s has only digits, dots and slashes.

func numericOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != '/' {
			return false
		}
	}
	return true
}

// fileList reads a /file pattern's words.
func (c *compiler) fileList(path string) *fileList {
	if fl, ok := c.cache[path]; ok {
		return fl
	}
	fl := &fileList{path: path}
	if c.busy[path] {
		// A file that includes itself, directly or not: tcp_wrappers
		// recurses until it runs out of descriptors; here the inner
		// reference simply matches nothing.
		return fl
	}
	if c.files == nil {
		c.files = map[string]bool{}
		c.cache = map[string]*fileList{}
		c.busy = map[string]bool{}
	}
	c.files[path] = true
	if c.fsys == nil || c.depth >= maxFileDepth {
		return fl
	}
	data, err := c.fsys.ReadFile(path)
	if err != nil {
		if !isNotExist(err) && !isDirError(err) {
			fl.openErr = "open " + path + ": " + Strerror(err)
		}
		return fl
	}
	c.depth++
	c.busy[path] = true
	for _, w := range cFields(string(data)) {
		// scanf's %s reads a NUL like any other non-blank byte, but the
		// word is then a C string that ends at it: "10.0.0.1\x00junk" is
		// 10.0.0.1. A word that starts with a NUL is empty and matches
		// nothing (tcp_wrappers compares it as the empty string, with no
		// name lookup), so it is left out.
		if i := strings.IndexByte(w, 0); i >= 0 {
			w = w[:i]
		}
		if len(w) > 8191 {
			w = w[:8191]
		}
		if w == "" {
			continue
		}
		fl.words = append(fl.words, c.host(w))
	}
	delete(c.busy, path)
	c.depth--
	c.cache[path] = fl
	return fl
}

// emptyHost is the pattern for an empty host part ("user@"): it is
// compared with the address as an empty string and never matches.
var emptyHost = hostPattern{kind: hostString, str: strPattern{kind: strExact}, addrOnly: true}

// clientPattern is one token of a client list: a host pattern, optionally
// preceded by a user pattern (user@host).
type clientPattern struct {
	user *strPattern
	host hostPattern
}

func (p *clientPattern) text() string {
	if p.user != nil {
		return p.user.text + "@" + p.host.text()
	}
	return p.host.text()
}

func (c *compiler) client(tok string) clientPattern {
	if u, h, ok := splitAt(tok[1:], '@'); ok {
		up := compileString(tok[:1] + u)
		p := clientPattern{user: &up, host: emptyHost}
		if h != "" {
			p.host = c.host(h)
		}
		return p
	}
	return clientPattern{host: c.host(tok)}
}

// daemonPattern is one token of a daemon list: a daemon name or port
// pattern, optionally followed by @host for the server endpoint.
type daemonPattern struct {
	text string
	name strPattern
	port int32 // 0-65535: a port-number pattern; -1: a name pattern
	host *hostPattern
}

func (c *compiler) daemon(tok string) daemonPattern {
	p := daemonPattern{text: tok, port: -1}
	name := tok
	if d, h, ok := splitAt(tok[1:], '@'); ok {
		name = tok[:1] + d
		hp := emptyHost
		if h != "" {
			hp = c.host(h)
		}
		p.host = &hp
	}
	p.port = int32(portNumber(name))
	p.name = compileString(name)
	return p
}

// portNumber returns the port a daemon pattern stands for, or -1 when it is
// a name: an optional sign and decimal digits, whose value as C's strtoul
// reads it (saturating, a '-' negating modulo 2^64), cut to 32 bits, is at
// most 65535. So "-0" and "4294967296" are port 0, and "-1" is a name.
func portNumber(s string) int {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return -1
	}
	var v uint64
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		d := uint64(s[i] - '0')
		if v > (^uint64(0)-d)/10 {
			v = ^uint64(0) // ERANGE: ULONG_MAX, even when negated
			neg = false
			for ; i < len(s); i++ {
				if !isDigit(s[i]) {
					return -1
				}
			}
			break
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	if p := uint32(v); p <= 65535 {
		return int(p)
	}
	return -1
}

// list is a daemon or client list split at its EXCEPT operators: the
// tokens before the first EXCEPT, then those up to the next, and so on.
type list[T any] struct {
	groups [][]T
}

// ruleLists compiles the lists of a rule from its text.
func (c *compiler) ruleLists(text string) *ruleLists {
	dl, rest, _ := splitAt(text, ':')
	cl, _, _ := splitAt(rest, ':')
	return &ruleLists{daemons: c.daemonList(dl), clients: c.clientList(cl)}
}

// clientKeys gathers the index keys of a client list without compiling
// it; ok is false when the list is not indexable on its words alone.
func (c *compiler) clientKeys(s string, k *keys) bool {
	k.reset()
	c.toks = appendTokens(c.toks[:0], s)
	for _, t := range c.toks {
		if options.EqualFold(t, "EXCEPT") || !k.addToken(t) {
			return false
		}
	}
	return true
}

// daemonList compiles a daemon list, once per distinct text.
func (c *compiler) daemonList(s string) list[daemonPattern] {
	if l, ok := c.daemons[s]; ok {
		return l
	}
	l := compileList(s, c.daemon)
	if c.daemons == nil {
		c.daemons = map[string]list[daemonPattern]{}
	}
	c.daemons[s] = l
	return l
}

// clientList compiles a client list; the common one-group list is carved
// from the compiler's slabs.
func (c *compiler) clientList(s string) list[clientPattern] {
	c.toks = appendTokens(c.toks[:0], s)
	toks := c.toks
	for _, t := range toks {
		if options.EqualFold(t, "EXCEPT") {
			return compileList(s, c.client)
		}
	}
	if len(c.clientSlab) < len(toks) {
		n := len(toks)
		if !c.exactSlabs {
			n = max(256, n)
		}
		c.clientSlab = make([]clientPattern, n)
	}
	g := c.clientSlab[:len(toks):len(toks)]
	c.clientSlab = c.clientSlab[len(toks):]
	for i, t := range toks {
		g[i] = c.client(t)
	}
	if len(c.groupSlab) == 0 {
		n := 1
		if !c.exactSlabs {
			n = 256
		}
		c.groupSlab = make([][]clientPattern, n)
	}
	groups := c.groupSlab[:1:1]
	c.groupSlab = c.groupSlab[1:]
	groups[0] = g
	return list[clientPattern]{groups: groups}
}

func compileList[T any](s string, one func(string) T) list[T] {
	l := list[T]{groups: [][]T{nil}}
	for _, tok := range tokens(s) {
		if options.EqualFold(tok, "EXCEPT") {
			l.groups = append(l.groups, nil)
			continue
		}
		g := &l.groups[len(l.groups)-1]
		*g = append(*g, one(tok))
	}
	return l
}

// evalList applies tcp_wrappers' list rule: the first group must have a
// matching token, and then the rest of the list (after the next EXCEPT)
// must not match. Tokens after the first match in a group are not looked
// at, so they cause no lookups.
func evalList[T any](groups [][]T, match func(*T) bool) bool {
	if len(groups) == 0 {
		return false
	}
	for i := range groups[0] {
		if match(&groups[0][i]) {
			// a EXCEPT rest: true when rest does not match.
			return len(groups) == 1 || !evalList(groups[1:], match)
		}
	}
	return false
}
