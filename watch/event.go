// Package watch is tcpdwatch's core: it turns the audit trail (syslog
// files, JSON decision records, a syslog receiver) into Events, and the
// Events into reports, alerts and bans.
//
// The subpackages each do one job:
//
//   - watch/logscan reads inputs (files, follow mode, receiver) and parses
//     the lines that are ours to parse into Events;
//   - watch/report aggregates Events over a window and renders terminal,
//     JSON and HTML reports;
//   - watch/alert groups Events into incidents and carries out actions
//     (mail, webhook, program);
//   - watch/ban keeps the deny list that hosts.deny includes.
//
// This package holds only the types they share, and is pure: it imports
// no os, net or syscall.
package watch

import (
	"net/netip"
	"time"
)

// Verdict is what happened to a connection attempt.
type Verdict uint8

// Verdicts.
const (
	VerdictUnknown Verdict = iota
	Granted                // "connect from ..."; inetd started the service
	Refused                // "refused connect from ..."; inetd's/xinetd's refusals
)

func (v Verdict) String() string {
	switch v {
	case Granted:
		return "granted"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Source says which kind of line an Event came from.
type Source uint8

// Sources.
const (
	SourceTcpd    Source = iota + 1 // classic tcpd line (Debian's tcpd or ours)
	SourceJSON                      // our JSON decision record
	SourceInetd                     // openbsd-inetd's refusal line
	SourceXinetd                    // xinetd's FAIL line
	SourceRFC5424                   // our RFC 5424 record (received or in a file)
)

func (s Source) String() string {
	switch s {
	case SourceTcpd:
		return "tcpd"
	case SourceJSON:
		return "json"
	case SourceInetd:
		return "inetd"
	case SourceXinetd:
		return "xinetd"
	case SourceRFC5424:
		return "rfc5424"
	}
	return "unknown"
}

// Event is one connection attempt found in the trail. Every string in it
// came from a log and may have been chosen by an attacker (host names,
// user names): consumers escape them before they reach a terminal, a
// page, a mail or a program's argv.
type Event struct {
	Time    time.Time
	Host    string  // the host that logged it (syslog HOSTNAME), "" if none
	Program string  // the logging program's name (syslog TAG without PID)
	PID     int     // 0 when not logged
	Daemon  string  // the service: tcpd's daemon name, inetd's service
	Verdict Verdict // Granted or Refused
	// Addr is the client's address when the line carried a numeric one
	// (invalid when the line named the client only by host name: such
	// events count in reports but never lead to a ban).
	Addr netip.Addr
	Name string // the client's host name as logged ("" when none)
	User string // the ident user name as logged ("" when none)
	// Rule is the deciding rule as "file:line" when the record says it
	// (JSON and RFC 5424 records), "" otherwise.
	Rule   string
	Source Source
}
