package trail

import "tcpwrap/audit"

// SessionEnd records the end of a session that a super-server admitted.
// m is the message of a session-end record (audit.SessionRecord.Message):
// it goes, as Record sends decision records, to the structured
// destinations: the JSON-lines file as the record's JSON, every remote log
// host and outbox as RFC 5424 with the record as structured data (MSGID
// "session-end", SD-ID audit.SessionSDID), and with Structured the local
// syslog daemon as a JSON message from "tcpwrap".
//
// With classic, the record's text line (key=value words, see
// audit.SessionRecord.Text) goes first to the classic destinations too,
// as xinetd's log_on_exit does; without, the classic destinations see
// only the lines tcpd writes.
func (t *Trail) SessionEnd(m *audit.Message, classic bool) {
	if classic {
		line := *m
		line.Record = nil
		t.Log(&line)
	}
	t.Record(m)
}

// Records reports whether records (decisions, session ends) go anywhere:
// a JSON-lines file, a remote log host, an outbox, or the local syslog
// daemon with Structured. Callers may skip building records when not.
func (t *Trail) Records() bool {
	return t.json != nil || len(t.remotes) > 0 || len(t.outboxes) > 0 || (t.cfg.Structured && t.syslog != nil)
}
