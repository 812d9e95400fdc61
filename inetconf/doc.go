// Package inetconf reads inetd.conf as Debian's openbsd-inetd
// (0.20221205-2~deb12u1) reads it, for the tcpwrapd super-server: Parse
// turns the file into the listeners openbsd-inetd would open, each a
// Service with its file and line, the socket to open (Key), and what to
// run for a connection. ParseServices reads /etc/services for the
// service names.
//
// The package is pure: it reads from an io.Reader and asks the outside
// world only through Options (Ports for /etc/services, Resolver for
// host names). It opens, binds and looks up nothing itself.
//
// # The file
//
// An entry is
//
//	[host:]service socktype protocol[,sndbuf=N][,rcvbuf=N] wait|nowait[.max] user[.group|:group] server-path [argv...]
//
// with words separated by blanks or tabs. What openbsd-inetd does, and
// so Parse, established by running the real binary (see inetd_test.go):
//
//   - A line starting with "#" is a comment, but only between entries
//     and only with the "#" in the first column.
//   - A line starting with a blank or a tab continues the entry above
//     (an indented "# ..." line gives the entry more arguments), when
//     the entry above still reads words. After a blank line, or after
//     an entry that failed before its arguments, an indented line is an
//     entry of its own.
//   - Lines are read 1023 bytes at a time: the rest of a longer line is
//     read as the next line. A NUL byte ends the line's text. A
//     carriage return is part of the word it ends.
//   - "host:" alone on a line sets the host for the entries after it,
//     until the next such line; "*:" goes back to all addresses, which
//     is where every file starts. A host is an address ("[::1]" in
//     brackets or not: the service is after the last colon), "*", a
//     name, or several of these separated by commas; each address gives
//     a listener. IPv4 addresses are read as inet_aton(3) reads them.
//     "host: service ..." with a blank after the colon is a normal
//     entry for that host.
//   - The service is a port number (1-65535, strtonum(3) rules) or a
//     name or alias from /etc/services for the entry's protocol; for a
//     built-in it must be the official name (echo, discard, chargen,
//     daytime, time). For protocol unix it is the socket's path, at most
//     107 bytes.
//   - The protocol's last character decides the family: "4" IPv4, "6"
//     IPv6. Any other protocol (tcp, udp) is read twice: for IPv4, then
//     for IPv6 with "6" appended ("tcp6"), giving two listeners; the
//     IPv6 one sets IPV6_V6ONLY for tcp. tcp46 is one IPv6 socket with
//     IPV6_V6ONLY off (IPv4 clients arrive as ::ffff:a.b.c.d). udp6 and
//     udp46 leave IPV6_V6ONLY alone. A tcp46 or udp46 entry must give a
//     port number: openbsd-inetd looks names up under "tcp4" or "udp4".
//   - The second, IPv6, reading of a tcp or udp entry reads only the
//     entry's first line: arguments on continuation lines are missing
//     from the IPv6 listener (a warning says so), and if the first line
//     does not reach the protocol field openbsd-inetd reads it forever
//     and never finishes its configuration. Parse returns an error then.
//   - sndbuf and rcvbuf take digits with an optional k or m; they are
//     checked but openbsd-inetd never applies them (Service reports
//     them).
//   - wait|nowait: anything but "wait" is nowait. The .max suffix is
//     read by strtoul(3) with base 0 ("0x10" is 16) and truncated to 32
//     bits; a value below 1 or with trailing characters draws a message
//     and the default (256, or -R). Built-ins are always nowait.
//   - user: split at the first "." if there is one, else at the first
//     ":". Neither is looked up until a connection arrives.
//   - The server path "internal" runs a built-in; the socket type picks
//     its stream or dgram version. Otherwise argv is the words after the
//     path, at most 20 (the rest dropped without a message), or the
//     path's last component when there are none.
//   - A line that repeats an earlier entry's service field, host,
//     protocol and address updates that entry in place: the later line's
//     max, user, group, server and arguments win, and its wait too
//     unless it would turn nowait into wait; the socket and buffer sizes
//     stay. A line whose listener overlaps a listening stream socket
//     (same port, same address or a wildcard of its family, a dual-stack
//     [::] covering IPv4) fails to bind and is skipped.
//
// Every malformed entry is skipped with a warning (FILE:LINE: text,
// tokens quoted), and the others are kept, as openbsd-inetd does;
// Warning.Inetd is the message openbsd-inetd logs for it, in the same
// order. The only problem that stops openbsd-inetd, the endless
// re-reading above, is Parse's error.
//
// # Where this package differs, on purpose
//
// These entries are skipped with a warning where openbsd-inetd opens a
// socket: RPC services (rpc/tcp, rpc/udp; tcpwrapd does not register
// with a portmapper); protocols other than tcp, tcp4, tcp6, tcp46, udp,
// udp4, udp6, udp46 and unix (openbsd-inetd opens a socket of the socket
// type for a numeric port whatever the protocol says); a socket type
// that contradicts the protocol (stream udp, dgram tcp); a second UDP or
// Unix listener on exactly the same socket (openbsd-inetd binds both, or
// removes the first one's file); a service whose /etc/services port is
// 0 (openbsd-inetd listens on a port the kernel picks); entries whose
// every connection would fail (an empty user or group name, tcpd
// running itself). TestInetdDeviations records what openbsd-inetd does
// with each. A duplicate
// that switches between a built-in and a program, or changes the socket
// type, is ignored rather than half-merged. Socket types other than
// stream and dgram (raw, rdm, seqpacket) give no listener, as in
// openbsd-inetd. Host names go to Options.Resolver, and its error text
// replaces getaddrinfo's in Warning.Inetd.
//
// # The .max limit
//
// openbsd-inetd counts the invocations of a service that fork (every
// program, and the stream echo, discard and chargen built-ins) in a
// window that opens with the first one; when the count reaches max
// within 60 seconds (so max-1 invocations run, for max of 2 or more),
// it logs "service/proto server failing (looping), service terminated
// for 10 min", closes the socket and opens it again ten minutes later;
// for an IPv4 service on a port of 1024 or above it only drops that
// connection. tcpwrapd replaces this with per-source limits; Service.Max
// carries the number.
//
// # Not here
//
// Looking up users, groups and server programs, opening sockets,
// resolving host names (Options.Resolver does), and running anything.
package inetconf
