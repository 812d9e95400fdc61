// Package ident is an RFC 1413 (ident) client that behaves as Debian's
// tcp wrappers (rfc931.c) do.
//
// [Query] connects from the server's IP address, on any port, to port 113
// of the client's IP address, sends "<client port>,<server port>\r\n",
// reads one reply line of at most 511 bytes and returns the user name in
// it. [ParseReply] is the reply parser on its own: it accepts exactly what
// tcpd's sscanf format "%u , %u : USERID :%*[^:]:%255s" accepts, so the
// user is the first whitespace-delimited word after the third colon, at
// most 255 bytes. [Lookup] is Query with tcpd's convention that every
// failure gives "unknown". A [Client] changes the port and the dialer,
// which tests need because port 113 is privileged; the identtest
// subpackage runs a fake ident server on loopback.
//
// Diagnostics: none are logged; Query returns an error saying what went
// wrong, and tcpd itself is silent about ident failures.
//
// What it deliberately does not do:
//
//   - It does not sanitise the user name. Anything but whitespace and NUL
//     comes back verbatim, shell metacharacters and control characters
//     included; the %-expansion code sanitises.
//   - It does not decide when to ask. tcpd asks lazily, only for stream
//     sockets whose two endpoints are known and of the same family; the
//     caller keeps that rule and caches the answer.
//   - It does not interpret the operating-system field, character sets or
//     the ERROR reasons of RFC 1413: anything but a well-formed USERID
//     reply for the right ports is a failure.
//   - It never waits forever: where Debian's "rfc931 0" disables the
//     alarm, a zero timeout here means DefaultTimeout.
package ident
