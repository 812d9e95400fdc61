package main

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// interfaces maps IPv6 scope names to interface indexes and back, as
// if_nametoindex(3) and if_indextoname(3) do.
type interfaces interface {
	Index(name string) (uint32, bool)
	Name(index uint32) (string, bool)
}

// netInterfaces are the host's network interfaces.
type netInterfaces struct{}

func (netInterfaces) Index(name string) (uint32, bool) {
	ifi, err := net.InterfaceByName(name)
	if err != nil || ifi.Index <= 0 {
		return 0, false
	}
	return uint32(ifi.Index), true
}

func (netInterfaces) Name(index uint32) (string, bool) {
	ifi, err := net.InterfaceByIndex(int(index))
	if err != nil {
		return "", false
	}
	return ifi.Name, true
}

// parseInet6 parses host as getaddrinfo(3) with AI_NUMERICHOST parses an
// IPv6 literal, which is how Debian's tcpdmatch tells an address operand
// from a name. literal reports whether the part before any '%' is an
// IPv6 address; ok whether the "%scope" after it is acceptable too: an
// interface name for link-local unicast and for interface- or link-local
// multicast addresses (fe80::/10, ffx1::/16, ffx2::/16) only, or else a
// decimal number of at most 32 bits, digits alone. glibc fails a literal
// with any other scope ("::1%lo", "::1%-1", "fe80::1%nosuch") without
// looking it up as a name. The address returned carries the scope as an
// index ("" for 0).
func parseInet6(host string, ifs interfaces) (a netip.Addr, literal, ok bool) {
	text, scope, hasScope := strings.Cut(host, "%")
	if !strings.Contains(text, ":") {
		return netip.Addr{}, false, false
	}
	a, err := netip.ParseAddr(text)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false, false
	}
	if !hasScope {
		return a, true, true
	}
	b := a.As16()
	var id uint32
	if i, named := ifs.Index(scope); named && (isLinkLocal(b) || isNodeLocalMulticast(b) || isLinkLocalMulticast(b)) {
		id = i
	} else {
		if scope == "" || scope[0] < '0' || scope[0] > '9' {
			return netip.Addr{}, true, false
		}
		n, err := strconv.ParseUint(scope, 10, 32)
		if err != nil {
			return netip.Addr{}, true, false
		}
		id = uint32(n)
	}
	if id != 0 {
		a = a.WithZone(strconv.FormatUint(uint64(id), 10))
	}
	return a, true, true
}

// The address classes of glibc's scope handling, by the address bytes
// alone. (netip's IsLinkLocalUnicast and the like also count v4-mapped
// IPv4 addresses, which glibc does not: "::ffff:169.254.1.1%lo" is no
// address for it.)
func isLinkLocal(b [16]byte) bool          { return b[0] == 0xfe && b[1]&0xc0 == 0x80 } // fe80::/10
func isNodeLocalMulticast(b [16]byte) bool { return b[0] == 0xff && b[1]&0x0f == 1 }    // ffx1::
func isLinkLocalMulticast(b [16]byte) bool { return b[0] == 0xff && b[1]&0x0f == 2 }    // ffx2::

// numericHost is the text getnameinfo(3) with NI_NUMERICHOST gives for a
// (whose zone, if any, is a scope index, as from parseInet6): inet_ntop's
// form, which writes an IPv4-compatible address (::a.b.c.d, the first 96
// bits zero and the next 16 not) with a dotted quad, then "%scope" for a
// non-zero scope, by interface name for link-local unicast and link-local
// multicast addresses whose interface exists, by number otherwise
// (so "ff01::1%lo" prints as "ff01::1%1", "::1%0" as "::1").
func numericHost(a netip.Addr, ifs interfaces) string {
	zone := a.Zone()
	a = a.WithZone("")
	b := a.As16()
	text := a.String()
	if a.Is6() && [12]byte(b[:12]) == [12]byte{} && (b[12] != 0 || b[13] != 0) {
		text = "::" + netip.AddrFrom4([4]byte(b[12:])).String()
	}
	id, err := strconv.ParseUint(zone, 10, 32)
	if err != nil || id == 0 {
		return text
	}
	if isLinkLocal(b) || isLinkLocalMulticast(b) {
		if name, ok := ifs.Name(uint32(id)); ok {
			return text + "%" + name
		}
	}
	return text + "%" + zone
}
