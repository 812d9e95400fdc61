package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// The two special host names of tcpd.
const (
	// Unknown is the name of a host whose reverse lookup failed.
	Unknown = "unknown"
	// Paranoid is the name of a host whose reverse lookup result could
	// not be verified by a forward lookup.
	Paranoid = "paranoid"
)

// MaxNameLen is the longest host name HostName returns, in bytes; tcpd
// keeps names in 128-byte buffers. Longer names are cut before they are
// verified, as tcpd does.
const MaxNameLen = 127

// DefaultTimeout bounds each lookup of a Resolver whose Timeout is zero.
const DefaultTimeout = 5 * time.Second

// ErrNotFound is wrapped by the errors of LookupHost when the name has no
// address in the hosts file or in DNS.
var ErrNotFound = errors.New("host not found")

// A Resolver looks up host names the way Debian's libwrap does through
// glibc: the hosts file first, then DNS. Its zero value is ready to use
// and reads /etc/hosts, /etc/resolv.conf and the system's DNS servers.
//
// A Resolver may be used by several goroutines at once. It keeps the
// parsed hosts file between calls, so it must not be copied after first
// use.
type Resolver struct {
	// Net is the DNS resolver used for forward lookups (names to
	// addresses and canonical names). Reverse lookups send their own PTR
	// query but dial through Net.Dial when it is set. Nil means
	// &net.Resolver{PreferGo: true}.
	//
	// Note that a net.Resolver consults the system hosts file itself
	// before DNS, so with a HostsFile other than /etc/hosts, forward
	// lookups of names missing from HostsFile may still be answered from
	// /etc/hosts.
	Net *net.Resolver

	// HostsFile is the hosts(5) file consulted before DNS. "" means
	// /etc/hosts. The parsed file is kept and read again only when a
	// stat shows that the path now names another file or that the
	// file's size or modification time changed. A missing or unreadable
	// file counts as empty.
	HostsFile string

	// Timeout bounds each DNS step separately: the reverse lookup, and
	// the forward lookup that verifies it. HostName can therefore take
	// up to twice Timeout. Zero means DefaultTimeout.
	Timeout time.Duration

	hosts hostsCache

	// resolvConfPath is the resolv.conf used by reverse lookups; ""
	// means /etc/resolv.conf. Tests change it.
	resolvConfPath string
	// source reports the source address the kernel would use towards
	// dst, for the address sort; nil means systemSource. Tests change it.
	source func(dst netip.Addr) (src netip.Addr, prefixLen int, ok bool)
}

func (r *Resolver) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

func (r *Resolver) hostsPath() string {
	if r.HostsFile != "" {
		return r.HostsFile
	}
	return "/etc/hosts"
}

func (r *Resolver) resolvConf() string {
	if r.resolvConfPath != "" {
		return r.resolvConfPath
	}
	return "/etc/resolv.conf"
}

var defaultNet = &net.Resolver{PreferGo: true}

func (r *Resolver) net() *net.Resolver {
	if r.Net != nil {
		return r.Net
	}
	return defaultNet
}

// HostName is HostNameContext with context.Background.
func (r *Resolver) HostName(addr netip.Addr) (name string, warnings []string) {
	return r.HostNameContext(context.Background(), addr)
}

// HostNameContext returns the host name of addr as tcpd's sock_hostname
// computes it, with the warnings tcpd would log (without the "warning: "
// prefix and without the table file and line, which the caller adds).
//
// The steps, and the name each failure gives:
//
//  1. A v4-mapped addr is unmapped. Reverse-resolve addr: the first line
//     of the hosts file with that address, else the DNS PTR record. No
//     answer gives Unknown and no warning. So does an answer glibc would
//     refuse (see below) and a hosts line with an address but no name.
//  2. Cut the name to MaxNameLen bytes.
//  3. If the name is a numeric address of addr's family, as
//     getaddrinfo(AI_NUMERICHOST) reads it ("10.20.30.40", but also
//     "10.1" or "0x7f.1" for IPv4), the result is Paranoid with
//     "host name/name mismatch: reverse lookup results in non-FQDN NAME".
//  4. Forward-resolve the name in addr's family. Failure gives Paranoid
//     with "can't verify hostname: getaddrinfo(NAME, AF_INET) failed"
//     (or AF_INET6).
//  5. If the canonical name differs from the name (ASCII case ignored)
//     and the name is not "localhost", Paranoid with
//     "host name/name mismatch: NAME != CANONICAL".
//  6. If addr (scope included) is not among the addresses, Paranoid with
//     "host name/address mismatch: ADDR != CANONICAL".
//  7. Otherwise the name, with its case as returned.
//
// The returned name never contains NUL, '#', or any whitespace: the
// hosts file cannot express them in a name, and a DNS PTR target must
// consist of letters, digits, '-', '_' and dots or the lookup fails, as
// glibc's res_hnok decides. Names from the hosts file are otherwise
// returned byte for byte, shell metacharacters included: sanitising is
// the caller's job.
//
// ctx bounds the whole call in addition to Timeout.
func (r *Resolver) HostNameContext(ctx context.Context, addr netip.Addr) (name string, warnings []string) {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return Unknown, nil
	}
	name, ok := r.reverse(ctx, addr)
	if !ok || name == "" {
		return Unknown, nil
	}
	name = cut(name, MaxNameLen)
	fam := familyOf(addr)
	if _, numeric, ok := numericHost(name, fam); numeric && ok {
		return Paranoid, []string{"host name/name mismatch: reverse lookup results in non-FQDN " + name}
	}
	canonical, addrs, err := r.forward(ctx, name, fam)
	if err != nil {
		return Paranoid, []string{fmt.Sprintf("can't verify hostname: getaddrinfo(%s, %s) failed", name, fam)}
	}
	if !asciiEqualFold(name, canonical) && !asciiEqualFold(name, "localhost") {
		return Paranoid, []string{fmt.Sprintf("host name/name mismatch: %s != %s", name, cut(canonical, MaxNameLen+1))}
	}
	for _, a := range addrs {
		if a == addr {
			return name, nil
		}
	}
	return Paranoid, []string{fmt.Sprintf("host name/address mismatch: %s != %s", addr, cut(canonical, MaxNameLen+1))}
}

// cut returns at most n bytes of s, as strncpy into a fixed buffer does.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LookupHost is LookupHostContext with context.Background.
func (r *Resolver) LookupHost(name string) (canonical string, addrs []netip.Addr, err error) {
	return r.LookupHostContext(context.Background(), name)
}

// LookupHostContext resolves name as tcpdmatch does, with getaddrinfo for
// any family and AI_CANONNAME. It returns the canonical name and every
// address, in the order glibc returns them:
//
//   - A numeric name, in any form getaddrinfo accepts ("10.1" and
//     "0x0a.0.0.1" included, IPv6 with a valid "%scope"), gives that one
//     address and the name itself as the canonical name.
//   - Otherwise every hosts-file line that names name, ignoring ASCII
//     case, contributes its address; the canonical name is the first
//     name on the first such line. Lines with v4-mapped addresses stay
//     IPv6.
//   - Otherwise DNS (Net) gives the A and AAAA records and the name at
//     the end of the CNAME chain.
//
// Duplicates are kept, as glibc keeps them for hosts-file lines and DNS
// records alike. With more than one address, the list is sorted by
// glibc's RFC 3484 destination address selection with its built-in
// policy tables (/etc/gai.conf is not read), which consults the kernel
// for the source address it would use towards each destination.
//
// A failure wraps ErrNotFound, except timeouts and temporary DNS failures
// (SERVFAIL, say), which are the *net.DNSError itself.
func (r *Resolver) LookupHostContext(ctx context.Context, name string) (canonical string, addrs []netip.Addr, err error) {
	canonical, addrs, err = r.forward(ctx, name, anyFamily)
	if err != nil {
		return "", nil, err
	}
	if len(addrs) > 1 {
		addrs = r.sortAddrs(addrs)
	}
	return canonical, addrs, nil
}

// reverse finds the name of addr (unmapped) in the hosts file, then DNS.
func (r *Resolver) reverse(ctx context.Context, addr netip.Addr) (string, bool) {
	t := r.hosts.get(r.hostsPath())
	// The files backend compares address bytes only: a scope does not
	// stop a link-local address from matching (it then fails the
	// address check of the verification, as in glibc).
	if name, found := t.reverse(addr.WithZone("")); found {
		return name, true
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	name, err := r.lookupPTR(ctx, addr)
	return name, err == nil
}

// forward is getaddrinfo(name, fam, AI_CANONNAME) restricted to what
// tcpd and tcpdmatch need: the canonical name and the addresses, before
// any sorting.
func (r *Resolver) forward(ctx context.Context, name string, fam family) (canonical string, addrs []netip.Addr, err error) {
	if a, numeric, ok := numericHost(name, fam); numeric {
		if !ok { // EAI_ADDRFAMILY or EAI_NONAME
			return "", nil, fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		return name, []netip.Addr{a}, nil
	}
	t := r.hosts.get(r.hostsPath())
	if canonical, addrs := t.forward(name, fam); len(addrs) > 0 {
		return canonical, addrs, nil
	}
	if name == "" {
		return "", nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}

	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	if !goAcceptsName(name) {
		// net.Resolver refuses names like "x.-y.example" or "1.2.3.4.5"
		// without asking; glibc asks. Ask ourselves, for the name as it
		// stands (no search list), if glibc could accept the answer.
		labels := splitName(name)
		if labels == nil || !hostnameOK(labels) {
			return "", nil, fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		return r.forwardRaw(ctx, name, labels, fam)
	}
	network := map[family]string{anyFamily: "ip", inet4: "ip4", inet6: "ip6"}[fam]
	addrs, err = r.net().LookupNetIP(ctx, network, name)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary) {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if len(addrs) == 0 {
		return "", nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	// The canonical name is the owner of the address records, at the end
	// of any CNAME chain. Failing to learn it fails the lookup: a guess
	// could hide a name/name mismatch.
	canonical, err = r.net().LookupCNAME(ctx, name)
	if err != nil {
		return "", nil, err
	}
	canonical = strings.TrimSuffix(canonical, ".")
	// net.Resolver may hand IPv4 addresses back in v4-mapped form. Unmap
	// them except for AF_INET6, where a mapped address can only come from
	// an AAAA record. (For AF_UNSPEC this also unmaps a v4-mapped AAAA
	// record, which glibc would keep as IPv6; such records are unheard
	// of.)
	if fam != inet6 {
		for i, a := range addrs {
			addrs[i] = a.Unmap()
		}
	}
	return canonical, addrs, nil
}

// forwardRaw looks up the A and/or AAAA records of an absolute name with
// the package's own DNS client.
func (r *Resolver) forwardRaw(ctx context.Context, name string, labels []string, fam family) (canonical string, addrs []netip.Addr, err error) {
	qtypes := map[family][]uint16{anyFamily: {typeA, typeAAAA}, inet4: {typeA}, inet6: {typeAAAA}}[fam]
	for _, qtype := range qtypes {
		m, qerr := r.query(ctx, labels, qtype)
		if qerr != nil {
			err = qerr
			continue
		}
		c, as, ok := addrTargets(m, labels, qtype)
		if !ok {
			continue
		}
		if canonical == "" {
			canonical = c
		}
		addrs = append(addrs, as...)
	}
	if len(addrs) > 0 {
		return canonical, addrs, nil
	}
	if ctx.Err() != nil {
		return "", nil, ctx.Err()
	}
	return "", nil, fmt.Errorf("%s: %w", name, ErrNotFound)
}

// splitName splits a domain name into labels, dropping one final dot. It
// returns nil for names that cannot go into a query: empty labels,
// labels over 63 bytes, more than 253 bytes in all.
func splitName(name string) []string {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return nil
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return nil
		}
	}
	return labels
}

// goAcceptsName reports whether net.Resolver will look name up in DNS:
// its rule (isDomainName in package net) allows letters, digits, '-' and
// '_', labels of 1 to 63 bytes that neither start nor end with '-', at
// most 254 bytes with a final dot, and wants at least one letter, '-' or
// '_' somewhere.
func goAcceptsName(s string) bool {
	if s == "." {
		return true
	}
	if l := len(s); l == 0 || l > 254 || l == 254 && s[l-1] != '.' {
		return false
	}
	last := byte('.')
	nonNumeric := false
	partlen := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_':
			nonNumeric = true
			partlen++
		case '0' <= c && c <= '9':
			partlen++
		case c == '-':
			if last == '.' {
				return false
			}
			nonNumeric = true
			partlen++
		case c == '.':
			if last == '.' || last == '-' || partlen > 63 || partlen == 0 {
				return false
			}
			partlen = 0
		default:
			return false
		}
		last = c
	}
	return last != '-' && partlen <= 63 && nonNumeric
}
