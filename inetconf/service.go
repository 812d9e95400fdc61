package inetconf

import (
	"net/netip"
	"strconv"
)

// SockType is the socket type field of an entry.
type SockType int

const (
	// Stream is "stream": TCP, or a listening Unix-domain socket.
	Stream SockType = iota + 1
	// Dgram is "dgram": UDP, or a Unix-domain datagram socket.
	Dgram
)

func (t SockType) String() string {
	switch t {
	case Stream:
		return "stream"
	case Dgram:
		return "dgram"
	}
	return "SockType(" + strconv.Itoa(int(t)) + ")"
}

// Family is the address family of a listener.
type Family int

const (
	// IPv4 is an AF_INET socket (protocols tcp4, udp4, and tcp or udp).
	IPv4 Family = iota + 1
	// IPv6 is an AF_INET6 socket (tcp6, tcp46, udp6, udp46, and the
	// IPv6 half of tcp or udp).
	IPv6
	// Unix is an AF_UNIX socket (protocol unix).
	Unix
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	case Unix:
		return "unix"
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// V6Only says what openbsd-inetd does with the IPV6_V6ONLY option of an
// IPv6 socket.
type V6Only int

const (
	// V6OnlyUnset: the option is left as the kernel sets it, which is
	// net.ipv6.bindv6only (0, so dual-stack, unless the administrator
	// changed it). This is every udp6 and udp46 socket, including the
	// IPv6 half of plain udp, and every IPv4 or Unix socket. With
	// SO_REUSEADDR set on both (openbsd-inetd sets it on every socket),
	// a dual-stack UDP socket shares its port with an IPv4 UDP socket,
	// which gets the IPv4 datagrams.
	V6OnlyUnset V6Only = iota
	// V6OnlyOn: IPv6 only (tcp6, and the IPv6 half of plain tcp).
	V6OnlyOn
	// V6OnlyOff: dual-stack, IPv4 clients arrive as ::ffff:a.b.c.d
	// (tcp46).
	V6OnlyOff
)

func (v V6Only) String() string {
	switch v {
	case V6OnlyUnset:
		return "unset"
	case V6OnlyOn:
		return "on"
	case V6OnlyOff:
		return "off"
	}
	return "V6Only(" + strconv.Itoa(int(v)) + ")"
}

// Builtin names a service openbsd-inetd provides itself (server path
// "internal"). The zero value means none.
type Builtin string

// The built-in services, each for stream and dgram sockets.
const (
	Echo    Builtin = "echo"    // RFC 862
	Discard Builtin = "discard" // RFC 863
	Chargen Builtin = "chargen" // RFC 864
	Daytime Builtin = "daytime" // RFC 867
	Time    Builtin = "time"    // RFC 868
)

// Forks reports whether openbsd-inetd forks a process to run the
// built-in on a socket of type t: it does for the stream echo, discard
// and chargen services, which may last, and only those invocations count
// against the service's Max.
func (b Builtin) Forks(t SockType) bool {
	return t == Stream && (b == Echo || b == Discard || b == Chargen)
}

func lookupBuiltin(name string, t SockType) Builtin {
	if t != Stream && t != Dgram {
		return ""
	}
	switch b := Builtin(name); b {
	case Echo, Discard, Chargen, Daytime, Time:
		return b
	}
	return ""
}

// DefaultMax is openbsd-inetd's default for the .max suffix and its -R
// option: 256.
const DefaultMax = 256

// MaxArgs is the number of argv words openbsd-inetd keeps (argv[0]
// included); the words after the 20th are dropped without a message.
const MaxArgs = 20

// DefaultDaemonDir is tcpd's REAL_DAEMON_DIR on Debian, where a daemon
// named without a leading slash is looked for.
const DefaultDaemonDir = "/usr/sbin"

// Service is one listener openbsd-inetd would open, with what it runs
// for a connection or datagram. A line gives one Service for each
// address its host specifier stands for and, for the protocols tcp and
// udp, one for IPv4 and one for IPv6.
type Service struct {
	// File and Line are where the entry is: the first physical line of
	// the entry whose settings are in effect (a later duplicate's, see
	// Parse).
	File string
	Line int

	// Name is the service field as written: a name from /etc/services,
	// a port number, or for Family Unix the socket's path.
	Name string
	// Host is the host specifier this listener came from: "*" for all
	// local addresses, an address or a host name (for Unix sockets, the
	// specifier in force, which openbsd-inetd ignores).
	Host string
	// Proto is the protocol as openbsd-inetd names it after its own
	// rewriting: "tcp4", "tcp6", "tcp46", "udp4", "udp6", "udp46",
	// "unix", "tcp" or "udp" for the IPv4 half of a plain tcp or udp
	// entry, and "tcp6" or "udp6" for its IPv6 half. It appears in
	// openbsd-inetd's messages ("echo/tcp6: unknown service").
	Proto  string
	Family Family
	Socket SockType
	// Addr is the address and port to bind (zero for Unix).
	Addr netip.AddrPort
	// Path is the Unix-domain socket's path (Family Unix only).
	Path   string
	V6Only V6Only

	// SndBuf and RcvBuf are the sndbuf= and rcvbuf= sizes in bytes,
	// 0 when not given. openbsd-inetd 0.20221205 parses and checks them
	// but never applies them to the socket (observed: the listening
	// socket keeps the kernel's default buffer sizes).
	SndBuf, RcvBuf int

	// Wait is true for "wait": the server gets the listening socket
	// (stream) or the socket with the pending datagram (dgram), and
	// the socket is not watched until it exits. Always false for a
	// built-in.
	Wait bool
	// Max is the .max suffix, or Options.DefaultMax. See the package
	// documentation for what openbsd-inetd does with it.
	Max int

	// User and Group are the user field split at its first "." or, if
	// there is none, at its first ":". Group is "" when none was given:
	// the user's primary group from the password file. openbsd-inetd
	// looks both up only when a connection arrives. Built-ins run in
	// the super-server itself and ignore them.
	User, Group string

	// Server is the server-path field ("internal" for a built-in).
	Server string
	// Argv is the server's argument vector, argv[0] first: at most
	// MaxArgs words; for a server given with no words, the last
	// component of Server. For a built-in, whatever words follow
	// "internal" (usually none).
	Argv []string
	// Builtin is the built-in service for server "internal", else "".
	Builtin Builtin

	// Tcpd is set when the server is tcp_wrappers' tcpd (a path whose
	// last component is "tcpd"): the access check is to be done by the
	// super-server, and Tcpd says what tcpd would then run.
	Tcpd *Tcpd
}

// Tcpd is what tcpd does with its argv: the daemon name the access
// tables are checked for, and the program it executes.
type Tcpd struct {
	// Daemon is the process name the tables are matched against:
	// argv[0]'s last component if argv[0] is absolute, else argv[0]
	// itself.
	Daemon string
	// Path is the program tcpd executes: argv[0] if absolute, else
	// DaemonDir + "/" + argv[0].
	Path string
	// Argv is the daemon's argument vector: Daemon, then argv[1:].
	Argv []string
}

// Key identifies a listening socket, so that a reload can tell which
// listeners are unchanged. Two Services from one Parse never share a
// Key. It is comparable.
type Key struct {
	Family Family
	Socket SockType
	Addr   netip.AddrPort // zero for Unix
	Path   string         // Unix only
	V6Only V6Only
}

// Key returns the identity of the service's listening socket.
func (s *Service) Key() Key {
	return Key{Family: s.Family, Socket: s.Socket, Addr: s.Addr, Path: s.Path, V6Only: s.V6Only}
}

// Network is the name of the key's network for Go's net package:
// "tcp4", "tcp6", "udp4", "udp6", "unix" or "unixgram". For an IPv6
// socket whose V6Only is not On, the caller must set IPV6_V6ONLY itself
// (Go's "tcp6" and "udp6" turn it on).
func (k Key) Network() string {
	switch k.Family {
	case Unix:
		if k.Socket == Dgram {
			return "unixgram"
		}
		return "unix"
	case IPv4:
		if k.Socket == Dgram {
			return "udp4"
		}
		return "tcp4"
	case IPv6:
		if k.Socket == Dgram {
			return "udp6"
		}
		return "tcp6"
	}
	return ""
}

// String is "NETWORK ADDRESS" ("tcp4 127.0.0.1:7", "tcp6 [::]:7
// v6only=off", "unix /run/x.sock").
func (k Key) String() string {
	s := k.Network() + " "
	if k.Family == Unix {
		return s + k.Path
	}
	s += k.Addr.String()
	if k.Family == IPv6 && k.V6Only != V6OnlyOn {
		s += " v6only=" + k.V6Only.String()
	}
	return s
}

// Warning is a problem found in a file, with its place. Lines that draw
// a warning are skipped or read in part, as openbsd-inetd does; the
// text says which.
type Warning struct {
	File string
	Line int
	// Text is our message; tokens from the file are quoted in Go
	// syntax, so control characters are escaped.
	Text string
	// Inetd is the message openbsd-inetd 0.20221205 logs (to syslog,
	// facility daemon) for the same problem, without its "inetd[PID]: "
	// prefix, or "" if it logs nothing. Host name errors carry the
	// Resolver's error text where openbsd-inetd has gai_strerror's.
	// It holds the file's words unescaped, as openbsd-inetd logs them:
	// escape it before it reaches a terminal.
	Inetd string
	// Note marks a warning about an entry that listens all the same: a
	// host address read by inet_aton(3)'s rules, or a tcp or udp entry
	// (IPv4 and IPv6) whose host has no address in one of the two
	// families while its other listener is made. It is worth telling,
	// not a problem: openbsd-inetd logs it and serves the rest, and
	// tcpwrapd's reloads, --strict and --check accept it.
	Note bool
}

// String is "FILE:LINE: TEXT".
func (w Warning) String() string { return sprintf("%s:%d: %s", w.File, w.Line, w.Text) }

// Error is a problem that makes the whole file unusable.
type Error struct {
	File string
	Line int // 0 when not about one line
	Text string
	Err  error // the read error, if that is what it is
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Text
	}
	return sprintf("%s:%d: %s", e.File, e.Line, e.Text)
}

// Unwrap returns the underlying read error, if any.
func (e *Error) Unwrap() error { return e.Err }
