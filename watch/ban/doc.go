// Package ban keeps tcpdwatch's deny list: a file of offenders that
// hosts.deny includes through a /file pattern, so that tcpd, tcpwrapd
// and every libwrap program refuse them on their next connection.
//
// # Set-up
//
// One line in /etc/hosts.deny includes the list:
//
//	ALL: /var/lib/tcpwrap/banned
//
// The file holds one host pattern per line and nothing else (the /file
// format has no comments: every word in it is a pattern):
//
//	192.0.2.7
//	198.51.100.0/255.255.255.0
//	[2001:db8::7]
//	[2001:db8:1:2::]/64
//
// Both Debian's tcp_wrappers and package access match these words as
// intended (the tests check with each); see Pattern. Because
// hosts.allow is read first, a client granted there is never refused by
// the list.
//
// # Bans
//
// List.Ban bans an offender's prefix (Config.Prefix4, Prefix6: a /64 by
// default for IPv6, so that rotating through a /64 does not help) for
// Config.Duration; a repeat offender gets Factor times its previous
// ban, up to MaxDuration, until Forget has passed since its last ban
// ended. Addresses already covered by a ban in force are left as they
// are: refusals caused by a ban do not lengthen it. The allowlist
// (Config.Allow, plus loopback and the machine's own addresses) is never
// banned: a ban that would cover an allowed address narrows to the
// offender alone, and the list never contains a pattern that overlaps an
// allowed address. At most MaxBans are in force; beyond that new bans
// are refused (ErrFull), never old ones dropped. List.Expire (run every
// second by List.Run) takes ended bans out; List.Lift ends bans by hand
// and forgets their history; List.Bans lists them.
//
// # Files
//
// Every change rewrites the list whole: a temporary file in the same
// directory, written, synced, renamed over the list, and the directory
// synced, so that a reader sees the old list or the new one, never a
// part. The bans and their history are kept in Config.State (JSON,
// replaced the same way, written before the list so that a crash
// between the two loses nothing: Open rewrites the list from the
// state). A state file that cannot be read back is never discarded: it
// is renamed aside, the bans in force are recovered from the list
// itself, and Open says so with a *DamagedError. Changes are made under
// a lock (State+".lock"), on the state as last written by anyone, so
// that the watcher and a command listing or lifting bans can work on the
// same files at once.
//
// List.Action is the alert action that bans the client of each new
// incident, so that an alert rule ("5 refusals within a minute") decides
// who is banned.
//
// ParseConfig reads the [ban] section of a tcpdwatch configuration file.
//
// What it deliberately does not do: decide who offends (package
// watch/alert's rules do), or ban by host name (names from logs are the
// attacker's choice; only addresses are banned).
package ban
