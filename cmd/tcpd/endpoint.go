package main

import (
	"errors"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// peer is what tcpd learns about the connection on a descriptor.
type peer struct {
	client, server netip.AddrPort
	clientOK       bool // the client's address is known
	serverOK       bool
	datagram       bool // a UDP "wait" service: the request is a pending datagram
	clientErr      error
	serverErr      error
}

func addrPort(sa unix.Sockaddr) (netip.AddrPort, bool) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)), true
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if a.ZoneId != 0 {
			ip = ip.WithZone(zoneName(a.ZoneId))
		}
		return netip.AddrPortFrom(ip, uint16(a.Port)), true
	}
	return netip.AddrPort{}, false
}

// identify finds the endpoints of the connection on fd, as tcpd does: the
// peer of a stream socket; for a datagram socket (a "wait" service, whose
// socket is not connected) the sender of the first pending datagram,
// peeked at and left in place.
func identify(fd int) peer {
	var p peer
	if sa, err := unix.Getpeername(fd); err == nil {
		p.client, p.clientOK = addrPort(sa)
	} else if errors.Is(err, unix.ENOTCONN) {
		if typ, terr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); terr == nil && typ == unix.SOCK_DGRAM {
			p.datagram = true
			// One byte is enough to learn the sender; the datagram
			// stays whole for the daemon (MSG_PEEK). A small buffer
			// also keeps tcpd's stack small: an 8 KiB one here and the
			// 64 KiB one in consumeDatagram made run's frame 68 KiB,
			// and growing the stack to fit it was ~4% of every start.
			var buf [1]byte
			if _, from, rerr := unix.Recvfrom(fd, buf[:], unix.MSG_PEEK); rerr == nil {
				p.client, p.clientOK = addrPort(from)
			} else {
				p.clientErr = rerr
			}
		} else {
			p.clientErr = err
		}
	} else {
		p.clientErr = err
	}
	if sa, err := unix.Getsockname(fd); err == nil {
		p.server, p.serverOK = addrPort(sa)
	} else {
		p.serverErr = err
	}
	return p
}

// consumeDatagram reads and drops the pending datagram of a refused UDP
// request, so that inetd does not start us again for the same one.
func consumeDatagram(fd int) {
	// Reading any part of a datagram discards all of it.
	var buf [1]byte
	unix.Recvfrom(fd, buf[:], unix.MSG_DONTWAIT)
}

// zoneName is the interface name of a scope id, as getnameinfo shows it.
func zoneName(id uint32) string {
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
}
