package parse_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
	"tcpwrap/watch"
	"tcpwrap/watch/logscan/parse"
)

func TestSessionSDID(t *testing.T) {
	if parse.SessionSDID != audit.SessionSDID {
		t.Errorf("parse.SessionSDID %q, audit.SessionSDID %q", parse.SessionSDID, audit.SessionSDID)
	}
}

// sessionForms returns every form in which tcpwrapd writes the end of a
// session, as the project's own writers produce it: the JSON-lines file
// (filelog's JSON format, the trail's), the syslog-structured message
// from "tcpwrap" (RFC 3164 with the JSON as text, in a file as rsyslog
// writes it and as a network message), the RFC 5424 message of the
// remote trail, and the classic line of --log-session-end.
func sessionForms(r *audit.SessionRecord) map[string]func(*parse.Parser) (watch.Event, parse.Status) {
	m := r.Message(audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, "in.fake", 4242)
	js := filelog.JSON.AppendLine(nil, m, "gate")
	structured := *m
	structured.AppName, structured.Text = "tcpwrap", strings.TrimSuffix(string(m.Record.AppendJSON(nil)), "\n")
	structured.Record = nil
	structuredFile := filelog.Text.AppendLine(nil, &structured, "gate")
	structured3164 := structured.Append3164(nil)
	msg5424 := m.Append5424(nil, "gate")
	classic := *m
	classic.Record = nil
	classicLine := filelog.Text.AppendLine(nil, &classic, "gate")
	return map[string]func(*parse.Parser) (watch.Event, parse.Status){
		"json file":            func(p *parse.Parser) (watch.Event, parse.Status) { return p.Record(js) },
		"structured file line": func(p *parse.Parser) (watch.Event, parse.Status) { return p.Line(structuredFile) },
		"structured message":   func(p *parse.Parser) (watch.Event, parse.Status) { return p.Message(structured3164) },
		"5424 message":         func(p *parse.Parser) (watch.Event, parse.Status) { return p.Message(msg5424) },
		"5424 file line":       func(p *parse.Parser) (watch.Event, parse.Status) { return p.Line(msg5424) },
		"classic line":         func(p *parse.Parser) (watch.Event, parse.Status) { return p.Line(classicLine) },
	}
}

// Session ends are read as what they are, in every form: not ours (no
// grant, no refusal, no broken line), whatever an error text says.
func TestSessionRecords(t *testing.T) {
	start := time.Date(2026, 11, 27, 4, 5, 6, 0, time.UTC)
	cases := []struct {
		name string
		rec  audit.SessionRecord
	}{
		{"program exit 3", audit.SessionRecord{Service: "127.0.0.1:7000/tcp4", Daemon: "in.fake", Kind: "program",
			Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 7000},
			PID: 4243, Exit: &audit.ExitStatus{Exited: true, Code: 3}}},
		{"program killed", audit.SessionRecord{Service: "127.0.0.1:7000/tcp4", Kind: "program",
			Client: audit.Endpoint{Addr: "::1", Port: 40000}, PID: 4244, Exit: &audit.ExitStatus{Signal: syscall.SIGKILL}}},
		{"redirect", audit.SessionRecord{Service: "127.0.0.1:2222/tcp4", Daemon: "sshd", Kind: "redirect",
			Client: audit.Endpoint{Addr: "192.0.2.8", Port: 40001}, BytesCounted: true, BytesIn: 1020, BytesOut: 34567}},
		{"error that reads as a refusal", audit.SessionRecord{Service: "127.0.0.1:2222/tcp4", Daemon: "sshd", Kind: "redirect",
			Client: audit.Endpoint{Addr: "192.0.2.8", Port: 40001}, BytesCounted: true,
			Err: "x\nNov 27 05:48:56 gate sshd[1]: refused connect from 198.51.100.66 (198.51.100.66)"}},
		{"no daemon, no client", audit.SessionRecord{Service: "/run/x.sock/unix", Kind: "builtin", BytesCounted: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.rec
			r.Start, r.Duration, r.Time = start, 1500*time.Millisecond, start.Add(1500*time.Millisecond)
			for form, parseIt := range sessionForms(&r) {
				ev, st := parseIt(newParser(parse.Config{}))
				if st != parse.NotOurs {
					t.Errorf("%s: %s, want not ours", form, describe(ev, st))
				}
			}
		})
	}
}

// FuzzSessionRecord: whatever the strings of a session end, no form of
// it yields an Event or is taken for a broken line of ours.
func FuzzSessionRecord(f *testing.F) {
	f.Add("127.0.0.1:22/tcp4", "sshd", "redirect", "refused connect from 198.51.100.66 (198.51.100.66)", 3)
	f.Add("x\n", "in.fake[1]: refused connect from 198.51.100.66 (198.51.100.66)\n", "\"]", "\"verdict\":\"denied\"", -1)
	f.Fuzz(func(t *testing.T, service, daemon, kind, errText string, code int) {
		r := &audit.SessionRecord{Time: when, Start: when, Service: service, Daemon: daemon, Kind: kind,
			Client: audit.Endpoint{Addr: "192.0.2.7", Port: 1}, PID: 5, BytesCounted: code < 0, Err: errText}
		if code >= 0 {
			r.Exit = &audit.ExitStatus{Exited: true, Code: code}
		}
		for form, parseIt := range sessionForms(r) {
			if form == "classic line" {
				// The classic line is text under the daemon's name; a
				// daemon name with blanks or brackets makes another
				// line of it, which is not a session's to judge.
				continue
			}
			ev, st := parseIt(newParser(parse.Config{}))
			if st == parse.OK || st == parse.Ambiguous {
				t.Fatalf("%s: %s, a session end is no decision (service %q daemon %q kind %q error %q)", form, describe(ev, st), service, daemon, kind, errText)
			}
			// A syslog message's text is cut at audit.MaxText bytes, a
			// record's JSON with it: such a cut record is Malformed,
			// as a decision record would be. Whole ones are not ours.
			cut := strings.HasPrefix(form, "structured") && len(r.AppendJSON(nil)) > audit.MaxText
			if st != parse.NotOurs && !cut {
				t.Fatalf("%s: %s, want not ours (service %q daemon %q kind %q error %q)", form, describe(ev, st), service, daemon, kind, errText)
			}
		}
	})
}
