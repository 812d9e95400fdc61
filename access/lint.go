package access

import (
	"strconv"
	"strings"

	"tcpwrap/options"
)

// This file gives checkers (tcpdchk) the matcher's own view of rules and
// patterns: what a host pattern means, whether it can ever match, whether
// one rule always wins over another. Everything here is derived from the
// compiled patterns, so a checker built on it cannot drift from the
// matcher: if the matcher changes, the checker's verdicts change with it.

// HostClass is the meaning the matcher gives a host pattern, in the order
// it tries them.
type HostClass uint8

const (
	HostNetgroup HostClass = iota // "@name": NIS netgroup
	HostFile                      // "/path": a file of host patterns
	HostKnown                     // KNOWN
	HostLocal                     // LOCAL
	HostNetmask                   // contains '/': net/mask against the address
	HostString                    // anything else: address, then maybe name
)

// HostLint says why a host pattern that the matcher accepts can never
// match a client, or does not match what it appears to mean. The zero
// value, HostOK, means nothing is wrong.
type HostLint uint8

const (
	HostOK HostLint = iota

	// Net/mask patterns the matcher refuses (tcpdchk's "bad net/mask
	// pattern"), by cause.
	NetShort        // the IPv4 net is not a four-part dotted quad: "10/8"
	NetMaskZero     // prefix length 0: "10.0.0.0/0"
	NetMaskTooLong  // prefix length above 32: "10.0.0.0/33"
	NetMaskAllOnes  // "/255.255.255.255", which inet_addr cannot tell from an error
	NetMaskBad      // a mask that is neither a dotted quad nor a length 1-32
	NetBareIPv6     // an IPv6 net without brackets: "2001:db8::/32"
	NetBadIPv6      // "[...]/len" whose net is not an IPv6 address
	NetBadIPv6Len   // "[v6]/len" with len outside 0-128 (or not a number)
	NetAddressV4Bad // an IPv4 net that inet_addr refuses: "256.0.0.0/8", "255.255.255.255/8"

	// Patterns the matcher accepts that still never match.
	NetHostBits     // the net has bits outside the mask: "10.0.0.1/8"
	NetMappedIPv6   // "[::ffff:a.b.c.d]/len" within ::ffff:0:0/96: mapped clients are compared as IPv4
	BracketNotIPv6  // "[...]" whose inside is not an IPv6 address
	BracketMapped   // "[::ffff:a.b.c.d]": mapped clients are compared as IPv4
	WildLeadingDot  // "*" or "?" with a leading dot: the dot is literal, not a suffix
	WildTrailingDot // "*" or "?" with a trailing dot: the dot is literal, not a prefix
	NameTrailingDot // "host.example.com.": a prefix pattern, not the FQDN
	NumberOnly      // "10": compared with whole addresses only
	EmptyHost       // "user@" or "daemon@" with nothing after the '@'
)

// HostInfo is what a checker needs to know about one host pattern.
type HostInfo struct {
	Class HostClass
	// Numeric is true when the matcher compares the pattern with the
	// client address only, never with a host name: a net/mask pattern, or
	// a string of digits, dots and slashes (tcp_wrappers' NOT_INADDR
	// test).
	Numeric bool
	// NetmaskValid is true for a HostNetmask pattern the matcher accepts
	// in its IPv4 or its IPv6 form. A false value for a HostNetmask
	// pattern is tcpdchk's "bad net/mask pattern".
	NetmaskValid bool
	// IPv6 is true for a HostString pattern that is a bracketed IPv6
	// address the matcher accepts ("[2001:db8::1]").
	IPv6 bool
	// Lint says why the pattern can never match, or does not mean what it
	// seems to; HostOK when nothing is wrong.
	Lint HostLint
	// Suggest is a pattern that probably says what was meant, when Lint
	// is not HostOK and one is obvious ("10.0.0.0/8" for "10.0.0.1/8");
	// "" otherwise.
	Suggest string
}

// ExamineHost describes a host pattern (a client list word, the part after
// '@' in user@host or daemon@host, or a word of a /file) as the matcher
// compiles it. It reads no files: a "/path" pattern is only classified.
func ExamineHost(pattern string) HostInfo {
	if pattern == "" {
		return HostInfo{Class: HostString, Numeric: true, Lint: EmptyHost}
	}
	c := &compiler{} // no FileSystem: /file patterns are not read
	p := c.host(pattern)
	info := HostInfo{Class: HostClass(p.kind), Numeric: p.addrOnly}
	switch p.kind {
	case hostNetmask:
		net, mask, _ := splitAt(pattern, '/')
		info.NetmaskValid = p.nm.v4ok || p.nm.v6ok
		info.Lint = netmaskLint(p.nm, net, mask)
		info.Suggest = netmaskSuggest(info.Lint, p.nm, net, mask)
	case hostString:
		info.IPv6 = p.str.kind == strBracket && p.str.ip6().IsValid()
		info.Lint = stringLint(&p.str, p.addrOnly)
		info.Suggest = stringSuggest(info.Lint, &p.str)
	}
	return info
}

// netmaskSuggest proposes a corrected net/mask pattern.
func netmaskSuggest(l HostLint, m *netmask, net, mask string) string {
	switch l {
	case NetShort:
		parts := strings.Split(strings.TrimSuffix(net, "."), ".")
		if len(parts) > 4 {
			return ""
		}
		for _, p := range parts {
			if p == "" || !onlyChars(p, "0123456789") {
				return ""
			}
		}
		for len(parts) < 4 {
			parts = append(parts, "0")
		}
		return strings.Join(parts, ".") + "/" + mask
	case NetMaskZero:
		return "0.0.0.0/0.0.0.0"
	case NetMaskAllOnes:
		return net
	case NetBareIPv6:
		return "[" + net + "]/" + mask
	case NetHostBits:
		if _, ok := dotQuad(mask); ok {
			return dotted(m.net4&m.m4) + "/" + mask
		}
		return dotted(m.net4&m.m4) + "/" + strconv.Itoa(atoi(mask))
	case NetMappedIPv6:
		n := m.net6.Unmap().As4()
		return dotted(uint32(n[0])<<24|uint32(n[1])<<16|uint32(n[2])<<8|uint32(n[3])) + "/" + strconv.Itoa(m.len6-96)
	}
	return ""
}

// stringSuggest proposes a corrected string pattern.
func stringSuggest(l HostLint, p *strPattern) string {
	t := p.text
	switch l {
	case BracketMapped:
		return p.ip6().Unmap().String()
	case WildLeadingDot:
		return "*" + t
	case WildTrailingDot:
		return t + "*"
	case NameTrailingDot:
		return t[:len(t)-1]
	case NumberOnly:
		return t + "."
	}
	return ""
}

func dotted(v uint32) string {
	return strconv.Itoa(int(v>>24)) + "." + strconv.Itoa(int(v>>16&0xff)) + "." + strconv.Itoa(int(v>>8&0xff)) + "." + strconv.Itoa(int(v&0xff))
}

// netmaskLint explains a net/mask pattern that never matches.
func netmaskLint(m *netmask, net, mask string) HostLint {
	if m.v4ok || m.v6ok {
		switch {
		case m.v6ok && !m.v4ok && m.len6 >= 96 && m.net6.Is4In6():
			return NetMappedIPv6
		case m.v4ok && !m.v6ok && m.net4&^m.m4 != 0:
			return NetHostBits
		}
		return HostOK
	}
	if strings.HasPrefix(net, "[") {
		if len(net) < 2 || net[len(net)-1] != ']' {
			return NetBadIPv6
		}
		if _, ok := parseIPv6(net[1 : len(net)-1]); !ok {
			return NetBadIPv6
		}
		return NetBadIPv6Len
	}
	if strings.Contains(net, ":") {
		return NetBareIPv6
	}
	if _, ok := dotQuad(net); !ok {
		if dotRuns(net) != 4 {
			return NetShort
		}
		return NetAddressV4Bad
	}
	// The net is fine: the mask is at fault.
	if dotRuns(mask) == 4 {
		if v, ok := inetAton(mask); ok && v == 0xffffffff {
			return NetMaskAllOnes
		}
	}
	if onlyChars(mask, "0123456789") && mask != "" {
		switch l := atoi(mask); {
		case l == 0:
			return NetMaskZero
		case l > 32:
			return NetMaskTooLong
		}
	}
	return NetMaskBad
}

// dotRuns counts the runs of non-dot characters, as dot_quad_addr does.
func dotRuns(s string) int {
	runs, in := 0, false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			in = false
		} else if !in {
			in = true
			runs++
		}
	}
	return runs
}

// stringLint explains a string host pattern that never matches or does not
// mean what it seems to.
func stringLint(p *strPattern, numeric bool) HostLint {
	t := p.text
	switch p.kind {
	case strBracket:
		switch {
		case !p.ip6().IsValid():
			return BracketNotIPv6
		case p.ip6().Is4In6():
			return BracketMapped
		}
	case strGlob:
		switch {
		case t[0] == '.':
			return WildLeadingDot
		case t[len(t)-1] == '.':
			return WildTrailingDot
		}
	case strPrefix:
		// "host1." is a deliberate prefix of names; "example.com." with a
		// letters-only last label is an FQDN written DNS-style.
		if !numeric {
			name := t[:len(t)-1]
			if i := strings.LastIndexByte(name, '.'); i > 0 && i < len(name)-1 && onlyLetters(name[i+1:]) {
				return NameTrailingDot
			}
		}
	case strExact:
		if numeric && onlyChars(t, "0123456789") {
			return NumberOnly
		}
	}
	return HostOK
}

func onlyLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// FileWord is one word of a /file pattern's file, with its line.
type FileWord struct {
	Line int    // the physical line, from 1
	Text string // the word
}

// FileWords splits the content of a /file pattern's file into the words
// the matcher reads from it (white-space separated, each at most 8191
// bytes; there is no comment syntax), with the line each is on.
func FileWords(data []byte) []FileWord {
	var words []FileWord
	for n, line := range strings.Split(string(data), "\n") {
		for _, w := range cFields(line) {
			if len(w) > 8191 {
				w = w[:8191]
			}
			words = append(words, FileWord{Line: n + 1, Text: w})
		}
	}
	return words
}

// AlwaysMatches reports whether the rule matches every request whatever
// it is: its daemon list and its client list both always match (as in
// "ALL: ALL"). A list with an EXCEPT part that is not empty ("ALL EXCEPT
// x") does not always match; a list that ends in a bare EXCEPT does.
func (r *Rule) AlwaysMatches() bool {
	return listAlways(r.compiled().daemons.groups, daemonAlways) && listAlways(r.compiled().clients.groups, clientAlways)
}

// NeverMatches reports whether the rule's daemon list or its client list
// can match nothing at all: it is empty, or it starts with EXCEPT (case
// C04).
func (r *Rule) NeverMatches() (daemons, clients bool) {
	return len(r.compiled().daemons.groups[0]) == 0, len(r.compiled().clients.groups[0]) == 0
}

// ClientsAlwaysMatch reports whether the rule's client list matches every
// client (as "ALL" does), so that the rule matches every request its
// daemon list matches.
func (r *Rule) ClientsAlwaysMatch() bool {
	return listAlways(r.compiled().clients.groups, clientAlways)
}

// Covers reports whether every request that later can match is matched by
// r too, so that with r scanned first, later never matches. That is the
// case when r's client list always matches and r's daemon list matches
// every daemon that later's can: because it always matches, or because
// each daemon pattern later's list starts with (before any EXCEPT) is
// matched by r's ("sshd: ALL" covers "sshd: 10.0.0.1").
func (r *Rule) Covers(later *Rule) bool {
	if !listAlways(r.compiled().clients.groups, clientAlways) {
		return false
	}
	if listAlways(r.compiled().daemons.groups, daemonAlways) {
		return true
	}
	if !exceptFree(r.compiled().daemons.groups) {
		return false
	}
	g := later.compiled().daemons.groups[0]
	if len(g) == 0 {
		return false // later never matches anyway
	}
	for i := range g {
		covered := false
		for j := range r.compiled().daemons.groups[0] {
			if daemonCovers(&r.compiled().daemons.groups[0][j], &g[i]) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// HasAclExec reports whether the rule's options include aclexec, whose
// failure makes a matched rule count as not matching.
func (r *Rule) HasAclExec() bool {
	if !r.HasOptions {
		return false
	}
	fields, _ := options.Split(r.Options)
	for _, f := range fields {
		if kw, _ := options.Lookup(f.Name); kw == options.AclExec {
			return true
		}
	}
	return false
}

// MisplacedLast returns the first option that must be the last one (allow,
// deny, twist) but is followed by another: tcp_wrappers rejects the rule
// with `option "NAME" must be at end` when it gets there, so the rule is an
// error and denies. The name is returned as written.
func (r *Rule) MisplacedLast() (name string, ok bool) {
	if !r.HasOptions {
		return "", false
	}
	fields, _ := options.Split(r.Options)
	for _, f := range fields {
		if _, flags := options.Lookup(f.Name); flags&options.Last != 0 && f.More {
			return f.Name, true
		}
	}
	return "", false
}

// exceptFree reports whether a list has no effective EXCEPT part: a single
// group, or a second group that is empty (a trailing EXCEPT).
func exceptFree[T any](groups [][]T) bool {
	return len(groups) == 1 || len(groups[1]) == 0
}

// listAlways reports whether a list matches every request: a first group
// with an always-matching token and no effective EXCEPT part.
func listAlways[T any](groups [][]T, always func(*T) bool) bool {
	if !exceptFree(groups) {
		return false
	}
	for i := range groups[0] {
		if always(&groups[0][i]) {
			return true
		}
	}
	return false
}

// strAlways reports whether a string pattern matches every string: ALL,
// or a wildcard made only of '*'.
func strAlways(p *strPattern) bool {
	return p.kind == strAll || (p.kind == strGlob && strings.Trim(p.text, "*") == "")
}

func daemonAlways(p *daemonPattern) bool {
	return p.port < 0 && p.host == nil && strAlways(&p.name)
}

func clientAlways(p *clientPattern) bool {
	if p.user != nil && !strAlways(p.user) {
		return false
	}
	return p.host.kind == hostString && strAlways(&p.host.str)
}

// daemonCovers reports whether e matches every request d matches.
func daemonCovers(e, d *daemonPattern) bool {
	if e.host != nil {
		return false
	}
	if daemonAlways(e) {
		return true
	}
	if d.port >= 0 {
		return e.port == d.port
	}
	return e.port < 0 && d.name.kind == strExact && e.name.match(d.name.text)
}

// BareIPv6 is an IPv6 address written without brackets in a rule, which
// the field split cut at its first colon (case A19: in "sshd: 2001:db8::1"
// the client list is "2001" and "db8::1" is read as options).
type BareIPv6 struct {
	Addr   string // the address as written, "2001:db8::1"
	Prefix string // a "/len" written right after it, or ""
	// InDaemonList is true when the address is the host part of a
	// daemon@host pattern (the rest is then read as the client list).
	InDaemonList bool
}

// BareIPv6 finds an unbracketed IPv6 address cut by the field split: the
// hex digits at the very end of the daemon or client list (after any
// '@') joined by the colon to the text after it make a valid IPv6
// address.
func (r *Rule) BareIPv6() (BareIPv6, bool) {
	dl, rest, ok := splitAt(r.Text, ':')
	if !ok {
		return BareIPv6{}, false
	}
	if b, ok := bareIPv6(dl, rest, true); ok {
		return b, true
	}
	cl, opt, ok := splitAt(rest, ':')
	if !ok {
		return BareIPv6{}, false
	}
	return bareIPv6(cl, opt, false)
}

func bareIPv6(list, after string, daemons bool) (BareIPv6, bool) {
	// The last word of the list, which must reach the cut: a separator
	// just before the colon leaves an empty head ("sshd: ::1").
	head := list
	if i := strings.LastIndexAny(list, " \t\r\n,"); i >= 0 {
		head = list[i+1:]
	}
	if len(head) > 1 {
		if _, h, ok := splitAt(head[1:], '@'); ok {
			head = h
		} else if daemons {
			return BareIPv6{}, false // only daemon@host can hold an address
		}
	} else if daemons {
		return BareIPv6{}, false
	}
	if !onlyChars(head, "0123456789abcdefABCDEF") {
		return BareIPv6{}, false
	}
	run := after
	for i := 0; i < len(run); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF:.", rune(run[i])) {
			run = run[:i]
			break
		}
	}
	for j := len(run); j > 0; j-- {
		cand := head + ":" + run[:j]
		if _, ok := parseIPv6(cand); !ok {
			continue
		}
		b := BareIPv6{Addr: cand, InDaemonList: daemons}
		if j == len(run) && j < len(after) && after[j] == '/' {
			k := j + 1
			for k < len(after) && isDigit(after[k]) {
				k++
			}
			if k > j+1 {
				b.Prefix = after[j:k]
			}
		}
		return b, true
	}
	return BareIPv6{}, false
}

func onlyChars(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}
