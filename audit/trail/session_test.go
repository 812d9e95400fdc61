package trail

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/remote"
	"tcpwrap/internal/rsyslogtest"
)

// sessionMessage is the end of a program's session killed by SIGTERM and
// of a redirect's, as tcpwrapd (pid 4242) records them.
func sessionMessages() []*audit.Message {
	start := time.Date(2026, 11, 27, 4, 5, 6, 0, time.UTC)
	prog := &audit.SessionRecord{Time: start.Add(2 * time.Second), Service: "127.0.0.1:7000/tcp4", Daemon: "in.fake", Kind: "program",
		Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 7000},
		Start: start, Duration: 2 * time.Second, PID: 4300, Exit: &audit.ExitStatus{Signal: syscall.SIGTERM}}
	fwd := &audit.SessionRecord{Time: start.Add(time.Second), Service: "127.0.0.1:2222/tcp4", Daemon: "sshd", Kind: "redirect",
		Client: audit.Endpoint{Addr: "192.0.2.8", Port: 40001}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 2222},
		Start: start, Duration: time.Second, BytesCounted: true, BytesIn: 1020, BytesOut: 34567}
	info := audit.Priority{Facility: audit.Daemon, Severity: audit.Info}
	return []*audit.Message{prog.Message(info, "in.fake", 4242), fwd.Message(info, "sshd", 4242)}
}

// Session ends reach every structured destination as records: the JSON
// file, a log host over TCP (RFC 5424, parsed by rsyslog), the local
// syslog daemon as JSON from "tcpwrap", and an outbox; the classic
// destination (the local syslog daemon) gets nothing without classic.
func TestSessionEndStructured(t *testing.T) {
	local := rsyslogtest.Start(t)
	central := rsyslogtest.Start(t)
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox")
	tr, err := Open(Config{
		SyslogPath: local.UnixSocket(),
		Structured: true,
		JSONPath:   filepath.Join(dir, "records.jsonl"),
		Remotes:    []remote.Config{{Network: "tcp", Addr: central.TCPAddr()}},
		Outboxes:   []Outbox{{Dir: outbox, Network: "tls", Addr: "127.0.0.1:1"}},
		Shipper:    "/bin/true", // the shipper is not what is tested here
		Hostname:   "gate",
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := sessionMessages()
	for _, m := range msgs {
		tr.SessionEnd(m, false)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := tr.Stats(); st.Errors != 0 {
		t.Errorf("trail errors: %v", st.LastErr)
	}

	// The JSON file: the records, nothing else.
	recs := readJSON(t, filepath.Join(dir, "records.jsonl"))
	if len(recs) != 2 {
		t.Fatalf("JSON file has %d lines, want 2: %v", len(recs), recs)
	}
	checkSessionJSON(t, "JSON file", recs)

	// The log host: RFC 5424 with the session as structured data.
	got := central.Wait(t, 2, 10*time.Second)
	for i, l := range got {
		if l.MsgID != "session-end" || l.AppName != msgs[i].AppName || l.ProcID != "4242" || l.Hostname != "gate" ||
			!strings.HasPrefix(l.StructuredData, "[tcpwrap-session@32473 ") || strings.TrimSpace(l.Msg) != msgs[i].Text {
			t.Errorf("log host stored %+v", l)
		}
	}
	for _, want := range []string{`exited="false"`, `signal="15"`, `signal_name="SIGTERM"`, `pid="4300"`} {
		if !strings.Contains(got[0].StructuredData, want) {
			t.Errorf("log host: no %s in %s", want, got[0].StructuredData)
		}
	}
	for _, want := range []string{`kind="redirect"`, `bytes_in="1020"`, `bytes_out="34567"`, `client="192.0.2.8"`, `client_port="40001"`} {
		if !strings.Contains(got[1].StructuredData, want) {
			t.Errorf("log host: no %s in %s", want, got[1].StructuredData)
		}
	}

	// The local daemon: only the structured JSON messages, from tcpwrap.
	lines := local.Wait(t, 2, 10*time.Second)
	var fromSyslog []map[string]any
	for _, l := range lines {
		if l.AppName != "tcpwrap" || l.ProcID != "4242" || l.PRI != "30" {
			t.Errorf("local syslog stored %+v; want only tcpwrap[4242] records at daemon.info", l)
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(l.Msg)), &v); err != nil {
			t.Fatalf("local syslog message is not JSON: %q", l.Msg)
		}
		fromSyslog = append(fromSyslog, v)
	}
	checkSessionJSON(t, "local syslog", fromSyslog)

	// The outbox: one RFC 5424 message a file, as the shipper sends it.
	ents, _ := os.ReadDir(outbox)
	n := 0
	for _, e := range ents {
		if e.Name() == "LOCK" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(outbox, e.Name()))
		if !strings.Contains(string(b), " session-end [tcpwrap-session@32473 service=") {
			t.Errorf("outbox file %s: %q", e.Name(), b)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d records in the outbox, want 2", n)
	}
}

// checkSessionJSON checks the two records of sessionMessages.
func checkSessionJSON(t *testing.T, where string, recs []map[string]any) {
	t.Helper()
	if len(recs) != 2 {
		t.Fatalf("%s: %d records, want 2", where, len(recs))
	}
	p, f := recs[0], recs[1]
	exit, _ := p["exit"].(map[string]any)
	if p["event"] != "session-end" || p["kind"] != "program" || p["pid"] != 4300.0 || p["duration_s"] != 2.0 ||
		exit["exited"] != false || exit["signal"] != 15.0 || exit["signal_name"] != "SIGTERM" || p["bytes_in"] != nil || p["verdict"] != nil {
		t.Errorf("%s: program record %v", where, p)
	}
	client, _ := f["client"].(map[string]any)
	if f["event"] != "session-end" || f["kind"] != "redirect" || f["daemon"] != "sshd" || f["bytes_in"] != 1020.0 || f["bytes_out"] != 34567.0 ||
		client["addr"] != "192.0.2.8" || client["port"] != 40001.0 || f["exit"] != nil || f["start"] != "2026-11-27T04:05:06.000000Z" {
		t.Errorf("%s: redirect record %v", where, f)
	}
}

// With classic, the text line goes to the classic destination first;
// where no syslog daemon listens that is the JSON file, which then holds
// the line (as a message) and the record.
func TestSessionEndClassic(t *testing.T) {
	t.Run("syslog", func(t *testing.T) {
		local := rsyslogtest.Start(t)
		dir := t.TempDir()
		tr, err := Open(Config{SyslogPath: local.UnixSocket(), JSONPath: filepath.Join(dir, "r.jsonl")})
		if err != nil {
			t.Fatal(err)
		}
		msgs := sessionMessages()
		tr.SessionEnd(msgs[0], true)
		tr.Close(context.Background())
		lines := local.Wait(t, 1, 10*time.Second)
		if len(lines) != 1 || lines[0].AppName != "in.fake" || strings.TrimSpace(lines[0].Msg) != msgs[0].Text ||
			!strings.HasPrefix(strings.TrimSpace(lines[0].Msg), "session end: service=127.0.0.1:7000/tcp4 daemon=in.fake kind=program client=192.0.2.7:40000 pid=4300 status=signal:15") {
			t.Errorf("classic line stored as %+v", lines)
		}
		if recs := readJSON(t, filepath.Join(dir, "r.jsonl")); len(recs) != 1 || recs[0]["event"] != "session-end" {
			t.Errorf("records %v", recs)
		}
	})
	t.Run("no syslog", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "r.jsonl")
		tr, err := Open(Config{SyslogPath: filepath.Join(dir, "no-such-socket"), JSONPath: path})
		if err != nil {
			t.Fatal(err)
		}
		msgs := sessionMessages()
		tr.SessionEnd(msgs[1], true)
		tr.SessionEnd(msgs[1], false)
		tr.Close(context.Background())
		var texts, records int
		for _, r := range readJSON(t, path) {
			switch {
			case r["event"] == "session-end":
				records++
			case r["text"] == msgs[1].Text:
				texts++
			}
		}
		if texts != 1 || records != 2 {
			t.Errorf("%d text lines and %d records, want 1 and 2", texts, records)
		}
	})
}

func TestRecords(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"syslog only", Config{SyslogPath: filepath.Join(dir, "none")}, false},
		{"JSON file", Config{SyslogPath: filepath.Join(dir, "none"), JSONPath: filepath.Join(dir, "r.jsonl")}, true},
	} {
		tr, err := Open(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Records(); got != c.want {
			t.Errorf("%s: Records() = %v, want %v", c.name, got, c.want)
		}
		tr.Close(context.Background())
	}
}
