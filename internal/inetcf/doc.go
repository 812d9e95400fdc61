// Package inetcf performs the inetd.conf analysis that Debian's tcpdmatch
// and tcpdchk (tcp_wrappers 7.6.q) run before they look at the access
// tables, plus the world-writable path check those programs apply to
// every file they examine.
//
// # What it does
//
// [Scan] checks the real-daemon directory (REAL_DAEMON_DIR, /usr/sbin on
// Debian), opens inetd.conf (an explicit file, or /etc/inetd.conf if that
// can be opened), and reads it entry by entry. For each entry it checks
// the server program and the daemon that tcpd would run, and records in a
// [Table] whether the daemon's process name is wrapped by tcpd
// ([Wrapped]), certainly not wrapped ([NotWrapped]) or perhaps wrapped
// through libwrap ([MaybeWrapped]). Both checkers later ask the table
// about each daemon name (tcpdmatch, which logs a warning of its own
// between the directory check and the file, calls [CheckDaemonDir] and
// [ScanConf], the two halves of Scan, separately);
// [Table.Diagnose] and [Table.CheckDaemon] give
// the resulting "no such process name" and "service possibly not
// wrapped" diagnostics. [CheckWorldWritable] gives the "world writable"
// warnings for a path and, if it is absolute, each parent directory.
//
// The behaviour (field positions, case-insensitive keyword comparisons,
// the 8191-byte line chunks, the order of every warning) was established
// by running Debian's /usr/sbin/tcpdmatch and /usr/sbin/tcpdchk with their
// syslog output captured; inetcf_test.go records those observations. It
// was written from that behaviour, not from the tcp_wrappers sources.
//
// # Where diagnostics go
//
// Nothing is printed or logged here. Diagnostics are returned as strings,
// in the order Debian emits them, each the full text Debian logs
// ("warning: <file>, line <n>: <text>" inside inetd.conf, "warning:
// <text>" outside it). Debian's checkers send these to syslog (facility
// user, severity err); the caller decides. The one hard failure, an
// explicit inetd.conf that cannot be opened, is returned as an error
// whose text is what Debian prints on stderr before exiting with status 1.
//
// # Scope
//
// The package does not parse inetd.conf for running services (a super
// server needs far more than the few fields looked at here), does not
// read the access tables, and does not pre-register names on its own:
// Debian's tcpdchk and tcpdmatch each add their own names after the scan
// (see [DebianLibwrapped] and [TcpdmatchNotWrapped] and [Table.Register]).
// File-system access goes through the small [FS] interface so that tests
// can present any tree; [OS] is the real one.
package inetcf
