// Package filelog writes log messages to local files, routed by
// syslog.conf selectors: the destination tcpwrap uses by itself where no
// syslog daemon runs.
//
// ParseSelector reads the selector field of syslog.conf with the meaning
// rsyslogd gives it ("*.info;mail.none", "mail,news.=info",
// "kern.info;kern.!err"); a Table lists routes, each a Selector, a file
// and a Format (the classic syslog file line, or JSON lines); Open returns
// a Writer that appends every message to the file of every route that
// matches it.
//
// Each record is one write(2) on a file opened with O_APPEND, so that
// several processes (every tcpd started by inetd, say) can log to the same
// file at once without interleaving; the Writer follows a file that
// logrotate renames or removes. See Open for the details and their costs.
//
// Diagnostics: there are none of its own. Write and Close return errors,
// which name the file; the package never writes to standard error.
//
// What it deliberately does not do: buffer (a record is on its way to
// the disk when Write returns, though not synced), sync, rotate files
// itself, or speak to a syslog daemon or a remote host (other parts of
// package audit do). It does not filter on anything but the priority.
package filelog
