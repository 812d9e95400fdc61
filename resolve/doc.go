// Package resolve looks up host names the way Debian's libwrap (tcp
// wrappers 7.6.q) does through glibc, with timeouts.
//
// [Resolver.HostName] is tcpd's sock_hostname: the reverse lookup of a
// client address, verified by a forward lookup of the name in the same
// address family. It yields the verified name, [Unknown] when the reverse
// lookup fails, or [Paranoid] when verification fails, together with the
// warning texts tcpd logs in that case. [Resolver.LookupHost] is the
// getaddrinfo call tcpdmatch makes on a host operand: the canonical name
// and every address, in glibc's order.
//
// Both consult a hosts file first, read as glibc's files backend reads it
// (first line wins for reverse lookups, every matching line counts for
// forward lookups, the canonical name is the first name of the first
// matching line), then DNS. The choices that reproduce glibc rather than
// Go's resolver are documented where they are made: numeric host strings
// in every inet_aton form, PTR targets accepted by res_hnok rules (so an
// all-numeric PTR reaches the "non-FQDN" check, as in case G16), no
// de-duplication, and RFC 3484 address sorting with glibc's tables.
//
// Diagnostics: the package logs nothing. HostName returns warnings as
// strings; the caller logs them with the table file and line that caused
// the lookup. LookupHost returns an error.
//
// What it deliberately does not do:
//
//   - It does not read /etc/nsswitch.conf or /etc/host.conf: the order is
//     always the hosts file, then DNS, with "multi on". NSS modules such
//     as myhostname, mdns or resolve are not consulted.
//   - It does not read /etc/gai.conf, and it skips the two sorting rules
//     that need kernel address flags (deprecated and home addresses).
//   - It does not sanitise names. A hosts file can hold names with shell
//     metacharacters and they are returned verbatim; sanitising belongs
//     to the %-expansion code. It does guarantee that no returned name
//     contains NUL, '#', or whitespace (newline included).
//   - It does not cache lookup results; only the parsed hosts file is
//     kept, and re-read when it changes. Callers that need tcpd's
//     "look up at most once per request" keep the result themselves.
//   - It does not decide anything: whether a paranoid host is refused is
//     the access-control code's business (Debian's tcpd does not refuse
//     it by itself).
//
// The dnstest subpackage runs a loopback DNS server for tests.
package resolve
