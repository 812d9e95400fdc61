// Package parse turns one log line into a watch.Event, or says why not.
//
// A Parser reads three kinds of input:
//
//   - Line: a line of a syslog file (rsyslog's traditional and
//     high-precision formats, or a whole RFC 5424 message);
//   - Message: a syslog message as received from the network (RFC 5424,
//     or RFC 3164 with or without a host name);
//   - Record: a line of a JSON-lines file of decision records (whose
//     session-end records, and other lines that are no decisions, are
//     NotOurs).
//
// and within them the messages of Debian's tcpd and ours ("connect
// from ...", "refused connect from ..."), openbsd-inetd's ("connection
// from ..., service ..."), xinetd's ("FAIL: ... libwrap from=..."), and
// our JSON and RFC 5424 decision records. tcpwrapd's session-end
// records, in either form, are recognised and passed over (NotOurs):
// they are neither grants nor refusals. The grammars are written out
// at the functions that read them (tcpd.go, json.go, rfc5424.go); the
// package documentation of watch/logscan lists the formats and the rules
// that keep forged text from yielding an address.
//
// Every result has a Status: OK and Ambiguous come with an Event (an
// Ambiguous one never has an address), Malformed marks a line of ours
// that broke its grammar, NotOurs everything else. The strings of an
// Event are as logged, hostile, and must be escaped by whoever shows
// them.
//
// The package is pure: it imports no os, net or syscall (a test
// enforces it). It keeps small caches (interned names, the last time
// stamp's minute), so a Parser serves one goroutine.
package parse
