// Package logconf reads logging.conf, the one small file that tells every
// tcpwrap program where its logs go: the local syslog daemon, a file of
// JSON decision records, central log hosts, and syslog.conf-style files
// for systems without a syslog daemon.
//
// Parse reads the file into a plain Config; Load reads it from a path,
// and a missing default file (DefaultPath) means Default(). The syntax is
// described in the man page tcpwrap-logging.conf(5) and shown, commented,
// in testdata/logging.conf.example:
//
//	syslog auto
//	json /var/log/tcpwrap/decisions.jsonl
//	remote tls loghost.example.org:6514 ca=/etc/tcpwrap/ca.pem
//	route daemon.info /var/log/tcpwrap/infolog
//
// Diagnostics: Parse checks everything it can without touching the
// system (keywords, values, paths being absolute, host:port syntax,
// selectors through filelog.ParseSelector) and reports every mistake as
// "FILE:LINE: message" with the bad token quoted; a file with any
// mistake gives no Config.
//
// What it deliberately does not do: open, create or stat the files and
// directories it names, resolve host names, read certificates, or act on
// the configuration. Those belong to the programs, which report their
// own failures.
package logconf
