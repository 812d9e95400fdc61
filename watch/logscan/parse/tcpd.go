package parse

import (
	"bytes"
	"net/netip"

	"tcpwrap/watch"
)

var (
	connectFrom           = []byte("connect from ")
	refusedConnectFrom    = []byte("refused connect from ")
	connectionFrom        = []byte("connection from ")
	refusedConnectionFrom = []byte("refused connection from ")
	xinetdFail            = []byte("FAIL: ")
	serviceSep            = []byte(", service ")
	openParen             = []byte(" (")
	fromEq                = []byte(" from=")
)

// maxUser bounds the ident user name part of a client: 255 bytes from
// the ident reply (tcpd's %255s), each of which a logger may have
// escaped into four ("\x01", "#001").
const maxUser = 4 * 255

// tcpd parses tcpd's two lines (Debian's tcpd, libwrap's refuse() and
// ours all write them):
//
//	connect from CLIENT (ADDR)
//	refused connect from CLIENT (ADDR)
//
// CLIENT is [USER@]HOST: USER is the ident user name when one was asked
// for (a word without blanks: tcpd reads it with %255s), HOST the host
// name when a lookup was made and the name passed the double-reverse
// check, else the numeric address. ADDR is always the numeric address
// ("unknown" when there was none).
//
// The address is taken only from ADDR, the last parenthesised word,
// which the logging process wrote from the socket. Nothing an attacker
// controls (the user name, a host name from DNS) contains a blank, so in
// a line tcpd wrote " (" occurs exactly once, right before ADDR. A line
// whose CLIENT has a blank, whose HOST is no host name, or whose HOST is
// an address other than ADDR is Ambiguous and yields no address.
func (p *Parser) tcpd(ev *watch.Event, msg []byte) Status {
	rest := msg
	if bytes.HasPrefix(msg, refusedConnectFrom) {
		ev.Verdict, rest = watch.Refused, msg[len(refusedConnectFrom):]
	} else {
		ev.Verdict, rest = watch.Granted, msg[len(connectFrom):]
	}
	ev.Source = watch.SourceTcpd
	if len(rest) < 4 || rest[len(rest)-1] != ')' {
		return Malformed
	}
	open := bytes.LastIndex(rest, openParen)
	if open < 1 {
		return Malformed
	}
	client, addrText := rest[:open], rest[open+2:len(rest)-1]
	addr, ok := parseAddr(addrText)
	if !ok && string(addrText) != "unknown" {
		return Malformed
	}
	return p.client(ev, client, addrText, addr)
}

// client reads CLIENT ([USER@]HOST) against the address logged beside
// it (addrText and addr). For inetd's lines, which carry the client part
// only, addrText is nil and the address is HOST when HOST is one.
func (p *Parser) client(ev *watch.Event, client, addrText []byte, addr netip.Addr) Status {
	ambiguous := func() Status {
		ev.Addr, ev.User, ev.Name = netip.Addr{}, "", string(client)
		return Ambiguous
	}
	if len(client) == 0 || len(client) > maxUser+1+256 || hasBlank(client) {
		return ambiguous()
	}
	var user []byte
	host := client
	// A host name never holds '@'; a user name may.
	if at := bytes.LastIndexByte(client, '@'); at >= 0 {
		user, host = client[:at], client[at+1:]
		if len(user) == 0 || len(user) > maxUser {
			return ambiguous()
		}
	}
	if hostAddr, isAddr := parseAddr(host); isAddr {
		if addrText != nil && !bytes.Equal(host, addrText) {
			return ambiguous()
		}
		ev.Addr = hostAddr
	} else {
		if !validHostName(host) {
			return ambiguous()
		}
		if string(host) != "unknown" {
			ev.Name = string(host)
		}
		ev.Addr = addr
	}
	if user != nil {
		ev.User = string(user)
	}
	return OK
}

// inetdLine parses openbsd-inetd's lines when it runs with -l (observed
// from Debian's openbsd-inetd 0.20221205; see the package tests):
//
//	connection from CLIENT, service SERVICE (PROTO)
//	refused connection from CLIENT, service SERVICE (PROTO)
//
// CLIENT is libwrap's client information as in tcpd's lines, without
// the address beside it: the address is known only when HOST is one
// (libwrap logs a host name only when it passed the double-reverse
// check, and treats a name that reads as an address as a failure).
func (p *Parser) inetdLine(ev *watch.Event, msg []byte) Status {
	var rest []byte
	if bytes.HasPrefix(msg, refusedConnectionFrom) {
		ev.Verdict, rest = watch.Refused, msg[len(refusedConnectionFrom):]
	} else {
		ev.Verdict, rest = watch.Granted, msg[len(connectionFrom):]
	}
	ev.Source = watch.SourceInetd
	if len(rest) < 4 || rest[len(rest)-1] != ')' {
		return Malformed
	}
	open := bytes.LastIndex(rest, openParen)
	if open < 0 {
		return Malformed
	}
	head, proto := rest[:open], rest[open+2:len(rest)-1]
	if !token(proto, 16) {
		return Malformed
	}
	sep := bytes.Index(head, serviceSep)
	if sep < 0 {
		return Malformed
	}
	client, service := head[:sep], head[sep+len(serviceSep):]
	if !token(service, 255) || bytes.IndexByte(service, '(') >= 0 {
		return Malformed
	}
	ev.Daemon = p.intern(service)
	return p.client(ev, client, nil, netip.Addr{})
}

// xinetdLine parses xinetd's refusals by access control (xinetd.log(5),
// and observed from Debian's xinetd 2.3.15.3):
//
//	FAIL: SERVICE libwrap from=ADDR
//	FAIL: SERVICE address from=ADDR
//	FAIL: SERVICE address             (log_on_failure without HOST)
//
// Other FAIL reasons (service_limit, per_source_limit, fork, ...) are
// not access decisions and are NotOurs. xinetd's START lines are written
// before the libwrap check, so they say nothing about a grant and are
// not parsed either.
func (p *Parser) xinetdLine(ev *watch.Event, msg []byte) Status {
	rest := msg[len(xinetdFail):]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return NotOurs
	}
	service, rest := rest[:sp], rest[sp+1:]
	var reason, addrText []byte
	if i := bytes.Index(rest, fromEq[1:]); i >= 0 {
		if i == 0 || rest[i-1] != ' ' {
			return Malformed
		}
		reason, addrText = rest[:i-1], rest[i+len(fromEq)-1:]
	} else {
		reason = rest
	}
	if string(reason) != "libwrap" && string(reason) != "address" {
		return NotOurs
	}
	if !token(service, 255) {
		return Malformed
	}
	ev.Source, ev.Verdict = watch.SourceXinetd, watch.Refused
	ev.Daemon = p.intern(service)
	if addrText != nil {
		a, ok := parseAddr(addrText)
		if !ok {
			return Malformed
		}
		ev.Addr = a
	}
	return OK
}
