// Package rsyslogtest runs Debian's real rsyslogd as a private log host
// for tests.
//
// Start writes a configuration into t.TempDir() and runs
//
//	/usr/sbin/rsyslogd -n -f DIR/rsyslog.conf -i DIR/rsyslogd.pid
//
// with these inputs, all bound to a ruleset that writes every message
// received to two files:
//
//   - imuxsock on DIR/sock/log (UnixSocket); the system socket /dev/log is
//     turned off (SysSock.Use="off") and rate limiting too
//   - imudp on 127.0.0.1 (UDPAddr)
//   - imtcp on 127.0.0.1 (TCPAddr): octet counting (RFC 6587) or LF
//     terminated lines
//   - with WithTLS or WithClientAuth, imtcp with the gtls driver (TLSAddr,
//     RFC 5425), with a CA and server certificate made by crypto/x509 for
//     the test; WithClientAuth requires a client certificate signed by the
//     CA (ClientCert, ClientTLSConfig)
//
// The files are DIR/raw.log, one %rawmsg% per line, and DIR/fields.log,
// with what rsyslog parsed out of each message: PRI, TIMESTAMP, HOSTNAME,
// APP-NAME, PROCID, MSGID, STRUCTURED-DATA, MSG and the input's name,
// separated by 0x1f. Wait, Lines and Count read both files into Line
// values. rsyslogd's own messages go to DIR/rsyslogd.log and its output
// to DIR/rsyslogd.out; both are copied into the test log when the test
// fails.
//
// Nothing outside DIR is touched: the work directory, pid file and socket
// are private, the configuration includes nothing from /etc, and ports
// come from the kernel, so a system rsyslogd (or another test's) may run
// at the same time. Start waits until rsyslogd itself holds every
// listening socket (looked up in /proc), not for a fixed time. Stop
// (SIGTERM: rsyslogd writes out what it has read), Kill (SIGKILL) and
// Start/Restart keep the ports and files, for fault tests. The server is
// stopped when the test ends.
//
// Start skips the test when /usr/sbin/rsyslogd is not installed (package
// rsyslog), and a test asking for TLS when the gtls driver is not (package
// rsyslog-gnutls).
//
// # What rsyslog does to hostile bytes
//
// The configuration leaves rsyslog's defaults for received messages
// (parser.escapeControlCharactersOnReceive on, that is
// $EscapeControlCharactersOnReceive), so what is stored differs from
// what was sent when the message has control characters:
//
//   - every byte below 0x20 in the message, tab and NUL included, is
//     stored as '#' and three octal digits: "\n" as "#012", "\t" as
//     "#011", NUL as "#000"; so a newline can never split a stored line,
//     whichever the framing
//   - one LF at the end of a message is dropped
//   - DEL (0x7f) and bytes from 0x80 up, invalid UTF-8 included, are
//     stored unchanged
//
// A sender that escapes these bytes itself (as audit.Message.Append5424
// does) therefore finds its bytes stored exactly, and tests compare Raw
// with what was sent. TestEscaping pins these rules down.
//
// This package deliberately does not configure queues on disk, RELP or
// forwarding: it is a receiver only.
package rsyslogtest
