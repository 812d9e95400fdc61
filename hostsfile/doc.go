// Package hostsfile is the I/O edge of the access-control engine: it reads
// hosts.allow and hosts.deny (and the /file lists and banners they name)
// from the real file system, turns open errors into the results Debian's
// tcp_wrappers gives, and keeps a compiled policy up to date as the files
// change.
//
// What it deliberately does not do: decide anything itself (package
// access does), or log (callers get diagnostics in the access.Decision).
package hostsfile
