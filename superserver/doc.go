// Package superserver is the inetd behind tcpwrapd: it serves the
// services of an inetd.conf (as package inetconf reads it), checks every
// connection against the limits and the access tables before it spends
// anything on it (no fork happens before the decision), and runs the
// service: a program, a built-in or a relay to another address.
//
// # Use
//
//	srv, _ := superserver.New(superserver.Config{Policy: engine, Limiter: lim, Trail: tr})
//	warnings, err := srv.Load(services, parseWarnings, false) // again on every reload, strict
//	go srv.Serve(ctx)                                        // periodic work
//	...
//	srv.Shutdown(ctx)                                        // graceful stop
//
// A program that uses a Server must call Helper first in main (see
// Helper).
//
// # What is checked, under which name
//
// As tcpd would be checked, with the same decision and the same classic
// log lines (audit.Classic, through the Trail), logged under the same
// name but with the super-server's process id:
//
//   - entries whose server is tcpd ("/usr/sbin/tcpd in.fingerd"): the
//     daemon name tcpd takes from its argv[0], and the program tcpd would
//     execute runs directly (inetconf.Tcpd);
//   - redirect services, under the name their entry gives;
//   - with Config.CheckAll (openbsd-inetd's -l), every other service too:
//     programs under the last component of their argv[0], built-ins under
//     their names.
//
// A stream "wait" service cannot be checked: the program accepts the
// connections itself. An entry that runs tcpd for one runs tcpd, as
// under inetd.
//
// Every option of hosts_options(5) is honoured as tcpd honours it:
// banners go to the client, spawn runs (and is waited for) before the
// service, twist runs instead of it, keepalive and linger are set on the
// connection, rfc931 and severity shape the decision and its log line.
// setenv, umask, nice and user.group change the service's process only,
// never the super-server: the environment and credentials through
// fork/exec, the umask, the nice value and ignored SIGHUP of spawned
// commands through the exec helper. tcpd runs as the entry's user, so a
// user or group option is refused with tcpd's error ("setgroups(x):
// Operation not permitted") unless that user is root.
//
// Differences from tcpd under inetd: a refused connection is closed at
// once (Debian's tcpd sleeps 5 s first); %p and the [pid] of log lines
// are the super-server's process id; the service's environment is
// Config.Env with REMOTE_ADDR and REMOTE_PORT, not inetd's.
//
// # Services
//
//   - Programs, "nowait": descriptors 0, 1 and 2 are the connection;
//     "wait" (TCP): the listening socket, watched again once the program
//     exits; datagram services: the socket, with the first pending
//     datagram checked before the program starts (a "nowait" datagram
//     program is run as "wait": it would otherwise be started again for
//     the same datagram). A "wait" program that fails at once is started
//     again after a pause that doubles up to 10 s, instead of the service
//     being stopped for ten minutes as openbsd-inetd does; a datagram the
//     program left unread is dropped.
//   - Every program runs in a session of its own (setsid), with the
//     current directory /, Config.Env plus REMOTE_ADDR and REMOTE_PORT,
//     Config.Rlimits, and the entry's user, root included, as Debian's
//     openbsd-inetd sets it: its uid, the entry's group or its own, and
//     its supplementary groups from the group file (initgroups).
//   - Built-ins (echo, discard, chargen, daytime, time) are served by the
//     super-server, for stream connections and datagrams; datagrams from
//     ports below 1024 or from 2049 are not answered (the echo/chargen
//     loop between two servers).
//   - Redirect services relay the connection to another address (see
//     below).
//
// # Redirect services
//
// A redirect service is an extension of the file's syntax, for daemons
// that run on their own: the server-path word "redirect", then the
// daemon name the tables are checked for, then the target, HOST:PORT
// (an IPv6 address in brackets; a host name is looked up at every
// connection):
//
//	ssh stream tcp nowait root redirect sshd 127.0.0.1:2222
//
// After the check the connection is relayed to the target, each end of
// stream passed on as a half-close; the session end record counts the
// bytes each way. Only stream "nowait" entries can redirect; the user
// field is the user spawn, twist and aclexec commands run as.
//
// # Limits
//
// Each connection (and each datagram of a built-in, and each start of a
// datagram program) asks the limits.Limiter first: the source's rate and
// sessions, the service's maximum of instances (the entry's .max), the
// global maximum. A refusal closes the connection at once and is logged
// as the limits package says, once per interval and kind ("limit
// source-rate: service ... 192.0.2.7/32, 41 more suppressed"), under
// the super-server's name, never as "refused connect from". Nothing else
// is slowed down or stopped.
//
// # Reload
//
// Load applies a new set of services: sockets whose key (family, type,
// address, IPV6_V6ONLY) stays are kept, and their new connections get the
// new entry; sockets no longer wanted are closed; new ones are opened.
// Running sessions are never cut. With strict, a set with any problem is
// rejected whole and the running one stays.
//
// # Logging
//
// Decisions and tcpd's lines go to Config.Trail as tcpd writes them. The
// end of every session goes to the trail's structured destinations (the
// JSON-lines file, remote log hosts, syslog-structured) as a structured
// record, audit.SessionRecord (SessionEnd.Record): service, daemon, kind,
// client, server, start, duration, the program's PID and exit status (a
// code or a signal), the bytes each way of built-ins and redirect
// services, and the error if there was one. With
// Config.ClassicSessionEnds it also goes to the classic destinations, as
// a line of key=value words (SessionEnd.Text); without, syslog sees only
// what tcpd would log. The super-server's own messages
// (listeners, limit refusals, accept errors) are logged under
// Config.Name. Config.Observer hears about every decision, refusal and
// session, for metrics.
//
// # Not here
//
// Reading inetd.conf (package inetconf) and the tables (hostsfile),
// signals, systemd, metrics and the command line (cmd/tcpwrapd), RPC
// services, and registering with a portmapper.
package superserver
