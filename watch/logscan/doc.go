// Package logscan is tcpdwatch's input side: it reads the audit trail
// (syslog files, JSON-lines files, syslog messages from the network)
// and turns the lines that are ours to parse into watch.Events. Session-end
// records (tcpwrapd's, "event":"session-end") are passed over, as lines
// that are not ours are.
//
//   - Scan reads an io.Reader to its end: a log file, a rotated one, a
//     pipe. It is allocation-light and its memory does not grow with the
//     input (a fixed buffer; lines longer than Options.MaxLine are
//     skipped whole and counted).
//   - Follow reads a file like "tail -F": it survives rotation by rename
//     and by copytruncate, and resumes from a saved Position after a
//     restart without reporting a line twice or missing one.
//   - Receiver listens for syslog messages over UDP and TCP (RFC 6587
//     octet counting and newline framing) and parses them the same way.
//
// The parsing itself is package parse, which does no I/O.
//
// # Formats
//
// Syslog files as rsyslog (and syslog-ng) write them, one message a
// line:
//
//	Nov 27 05:48:56 gate in.fingerd[2817]: refused connect from 192.0.2.7 (192.0.2.7)
//	2026-11-27T05:48:56.123456+00:00 gate in.fingerd[2817]: refused connect from 192.0.2.7 (192.0.2.7)
//	<28>1 2026-11-27T05:48:56.123456+00:00 gate in.fingerd 2817 - - refused connect from 192.0.2.7 (192.0.2.7)
//
// (rsyslog's traditional format, Debian's default; its high-precision
// format; RFC 5424 as RSYSLOG_SyslogProtocol23Format writes it). A
// traditional time stamp has no year: it is taken from the time the
// line is read (Follow, Receiver) or Options.Reference (Scan), a line
// more than a week in the future being last year's (December lines read
// in January). Time stamps without a zone are in parse.Config.Location.
//
// Messages, whatever the container:
//
//   - tcpd's lines, as Debian's tcpd, libwrap's refuse() and ours
//     (audit.Classic) write them, under the daemon's name with a PID:
//     "connect from CLIENT (ADDR)" (a grant) and "refused connect from
//     CLIENT (ADDR)", CLIENT being [USER@]HOST;
//   - openbsd-inetd's, with -l: "connection from CLIENT, service NAME
//     (PROTO)" and "refused connection from CLIENT, service NAME
//     (PROTO)";
//   - xinetd's refusals by access control: "FAIL: SERVICE libwrap
//     from=ADDR" and "FAIL: SERVICE address from=ADDR" (xinetd's START
//     lines come before its libwrap check and are no grants);
//   - our decision records: the JSON of audit.Record.AppendJSON (one per
//     line of a JSON-lines file, or as the whole message of a program
//     listed in parse.Config.JSON), and RFC 5424 messages with our
//     structured data (audit.Message.Append5424; SD-ID tcpwrap@32473,
//     MSGID "decision"). Records name the rule that decided.
//
// Everything else (other programs' lines, tcpd's warnings, "twist"
// lines) is passed over without a word. An input given to Scan or
// Follow is one kind throughout: syslog, or JSON lines (Options.Format;
// Auto decides by the first line).
//
// # What cannot be forged
//
// Log scanners have been made to ban any address by text that an
// attacker gets into a log line (DenyHosts CVE-2013-6465: a user name
// such as "refused connect from 192.0.2.66" in sshd's "Invalid user"
// line, matched by an unanchored pattern). The rules here:
//
//  1. Only the program's own lines count. Each grammar is tried only for
//     lines whose syslog tag names a program it belongs to: tcpd's for
//     the daemons in parse.Config.Daemons (by default any program, but
//     only with a PID, as tcpd always logs), inetd's for "inetd",
//     xinetd's for "xinetd", JSON records for "tcpwrap", "tcpd" and
//     "tcpwrapd". The tag is read from its fixed place in the line
//     header, never searched for.
//  2. The whole message must match, anchored at both ends: it starts
//     right after the tag ("tag: " with one blank) and ends with the
//     address part; a longer or shorter message is Malformed (from a
//     program known to be ours; from any other it is passed over, as
//     postfix's "connect from NAME[ADDR]" is). Text of ours inside
//     another message never matches.
//  3. The address is taken from the one place the logging process wrote
//     it from the socket: tcpd's last parenthesised word, xinetd's
//     from=, the record's client address. It must parse as a numeric
//     address by net/netip's strict rules (no octal or short forms); it
//     is unmapped and its zone dropped.
//  4. What an attacker controls in a line of ours (an ident user name,
//     a host name from DNS) never holds a blank in a line tcpd wrote
//     (tcpd reads the user name as one word, resolvers refuse names with
//     blanks), and is bounded in length (so a line cut short by a logger
//     cannot end in a forged address part). A client part with a blank,
//     a host name that is none, a host part that is an address other
//     than the address part, or a client part too long to be tcpd's is
//     Ambiguous: the Event is kept (it counts in reports) but has no
//     address, so it can never lead to a ban.
//  5. A record with a member it reads twice (two client addresses) is
//     Malformed, never read "first wins" or "last wins".
//  6. A line longer than MaxLine is skipped whole, and reading always
//     resumes at the start of a line (after a skipped line, after
//     StartAtEnd, from a saved Position), so the middle of a line is
//     never taken for one.
//
// What the log line cannot tell: syslog believes the tag a sender
// claims. Anything that can write to /dev/log (any local user) or reach
// a Receiver can send a complete, well-formed line under a daemon's
// name. Listing the daemons (parse.Config.Daemons) narrows what counts;
// a Receiver should listen on a loopback address, with Allow. rsyslog
// escapes control characters it receives ("#012"), so a newline in a
// user name never starts a line of its own; a syslog daemon configured
// not to escape them would let one, which rules 1 to 4 still bound.
//
// # Rotation and restarts
//
// See Follow for the details. A Position is the file's device and inode,
// the offset read (always the start of a line) and a checksum of the
// bytes before it, so a file truncated, replaced or rewritten since is
// detected rather than read from the middle. FollowOptions.Checkpoint
// gives the Position after each batch of delivered Events; a caller
// that saves it together with what the Events changed (alert and ban
// state) resumes with neither repeats nor gaps.
//
// # Diagnostics
//
// The package writes nothing itself. Scan and Follow count what they
// read (Stats) and report each line of ours they could not read cleanly
// (Ambiguous, Malformed, too long) to Options.OnSkip with its file, line
// number and offset; Follow says what it did about rotations and saved
// positions through FollowOptions.Notice. The text of a skipped line is
// hostile: escape it before showing it.
//
// # What it does not do
//
// It does not read compressed rotations, follow more than one level of
// rotation that happened while it was not running, deduplicate (our
// trail's "structured" mode sends each decision twice to the local
// syslog daemon: a classic line and a record), speak TLS or RELP, or
// parse rsyslog's "message repeated N times" lines.
package logscan
