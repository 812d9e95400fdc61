package access

import (
	"strings"
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
// the server side of daemon@host.
type hostPattern struct {
	kind hostKind
	text string
	str  strPattern // hostString
	// addrOnly: the token has only digits, dots and slashes, so it is never
	// compared with a host name (tcp_wrappers' NOT_INADDR test).
	addrOnly bool
	nm       netmask   // hostNetmask
	file     *fileList // hostFile
}

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

type compiler struct {
	fsys  FileSystem
	depth int
	cache map[string]*fileList
	busy  map[string]bool // files being read (cycle detection)
	files map[string]bool // every /file path consulted, for change detection
}

func (c *compiler) host(tok string) hostPattern {
	p := hostPattern{text: tok}
	switch {
	case tok[0] == '@':
		p.kind = hostNetgroup
	case tok[0] == '/':
		p.kind = hostFile
		p.file = c.fileList(tok)
	case strings.EqualFold(tok, "KNOWN"):
		p.kind = hostKnown
	case strings.EqualFold(tok, "LOCAL"):
		p.kind = hostLocal
	default:
		if net, mask, ok := splitAt(tok, '/'); ok {
			p.kind = hostNetmask
			p.nm = compileNetmask(net, mask)
			p.addrOnly = true
			break
		}
		p.kind = hostString
		p.str = compileString(tok)
		p.addrOnly = onlyChars(tok, "0123456789./")
	}
	return p
}

func onlyChars(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
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
	if c.cache == nil {
		c.cache = map[string]*fileList{}
		c.busy = map[string]bool{}
	}
	if c.files == nil {
		c.files = map[string]bool{}
	}
	c.files[path] = true
	if c.fsys == nil || c.depth >= maxFileDepth {
		return fl
	}
	if c.cache == nil {
		c.cache = map[string]*fileList{}
		c.busy = map[string]bool{}
	}
	data, err := c.fsys.ReadFile(path)
	if err != nil {
		if !isNotExist(err) {
			fl.openErr = "open " + path + ": " + Strerror(err)
		}
		return fl
	}
	c.depth++
	c.busy[path] = true
	for _, w := range strings.Fields(string(data)) {
		if len(w) > 8191 {
			w = w[:8191]
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
	text string
	user *strPattern
	host hostPattern
}

func (c *compiler) client(tok string) clientPattern {
	p := clientPattern{text: tok}
	if u, h, ok := splitAt(tok[1:], '@'); ok {
		up := compileString(tok[:1] + u)
		p.user = &up
		if h == "" {
			// "user@" with nothing after it: an empty host pattern, which
			// tcp_wrappers compares as an empty string and never matches.
			p.host = emptyHost
			return p
		}
		p.host = c.host(h)
		return p
	}
	p.host = c.host(tok)
	return p
}

// daemonPattern is one token of a daemon list: a daemon name or port
// pattern, optionally followed by @host for the server endpoint.
type daemonPattern struct {
	text string
	name strPattern
	port int // 0-65535: a port-number pattern; -1: a name pattern
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
	p.port = portNumber(name)
	if name == "" {
		p.name = strPattern{kind: strExact}
	} else {
		p.name = compileString(name)
	}
	return p
}

// portNumber returns the port a daemon pattern stands for, or -1 when it is
// a name: an optional sign and decimal digits whose value, read as C's
// strtoul reads it, is at most 65535 ("-0" is 0; "-1" wraps and is a name).
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
	v := 0
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		v = v*10 + int(s[i]-'0')
		if v > 65535 {
			return -1
		}
	}
	if neg && v != 0 {
		return -1
	}
	return v
}

// list is a daemon or client list split at its EXCEPT operators.
type list[T any] struct {
	groups [][]T
	words  []string // the tokens as written, for listings
}

func compileList[T any](s string, one func(string) T) list[T] {
	l := list[T]{groups: [][]T{nil}}
	for _, tok := range tokens(s) {
		l.words = append(l.words, tok)
		if strings.EqualFold(tok, "EXCEPT") {
			l.groups = append(l.groups, nil)
			continue
		}
		g := &l.groups[len(l.groups)-1]
		*g = append(*g, one(tok))
	}
	return l
}

// eval applies tcp_wrappers' list rule: the first group must have a
// matching token, and then the rest of the list (after the next EXCEPT)
// must not match. Tokens after the first match in a group are not looked
// at, so they cause no lookups.
func evalList[T any](groups [][]T, match func(*T) bool) bool {
	for len(groups) > 0 {
		matched := false
		for i := range groups[0] {
			if match(&groups[0][i]) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
		if len(groups) == 1 {
			return true
		}
		// a EXCEPT rest: true when rest does not match.
		return !evalList(groups[1:], match)
	}
	return false
}
