package trail

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
	"tcpwrap/audit/remote"
	"tcpwrap/internal/rsyslogtest"
)

type names map[string]string

func (n names) HostName(a netip.Addr) (string, []string) {
	if v, ok := n[a.String()]; ok {
		return v, nil
	}
	return access.Unknown, nil
}

var policy = access.Policy{
	Allow: access.Parse([]byte("in.fingerd: 127.0.0.1 .example.org\n"), "/etc/hosts.allow", access.ParseOptions{}),
	Deny:  access.Parse([]byte("ALL: ALL\n"), "/etc/hosts.deny", access.ParseOptions{}),
}

// decideAndLog decides a request for client and writes it to tr.
func decideAndLog(tr *Trail, client string, hooks access.Hooks) {
	req := access.Request{
		Daemon: "in.fingerd",
		Client: access.Endpoint{IP: netip.MustParseAddr(client), Port: 40000},
		Server: access.Endpoint{IP: netip.MustParseAddr("127.0.0.1"), Port: 79},
	}
	start := time.Now()
	f := access.NewFacts(req, hooks)
	d := policy.Decide(f)
	tr.Decision(time.Now(), audit.Classic{AppName: "in.fingerd", PID: 4242, Facility: audit.Daemon}, f, &d, time.Since(start))
}

func readJSON(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, v)
	}
	return out
}

// With a syslog daemon: tcpd's lines go to it, records to the JSON file
// and, as RFC 5424 with structured data, to the log host over TCP.
func TestWithSyslogAndRemote(t *testing.T) {
	local := rsyslogtest.Start(t)
	central := rsyslogtest.Start(t)
	dir := t.TempDir()
	tr, err := Open(Config{
		SyslogPath: local.UnixSocket(),
		JSONPath:   filepath.Join(dir, "decisions.jsonl"),
		Remotes:    []remote.Config{{Network: "tcp", Addr: central.TCPAddr()}},
		Hostname:   "gate",
	})
	if err != nil {
		t.Fatal(err)
	}
	decideAndLog(tr, "127.0.0.1", access.Hooks{})
	decideAndLog(tr, "192.0.2.9", access.Hooks{})
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	lines := local.Wait(t, 2, 10*time.Second)
	wantMsg := []string{"connect from 127.0.0.1 (127.0.0.1)", "refused connect from 192.0.2.9 (192.0.2.9)"}
	for i, l := range lines {
		if strings.TrimSpace(l.Msg) != wantMsg[i] || l.AppName != "in.fingerd" || l.ProcID != "4242" {
			t.Errorf("local syslog line %d: %+v", i, l)
		}
	}
	if lines[0].PRI != "30" || lines[1].PRI != "28" {
		t.Errorf("priorities %s %s, want 30 (daemon.info) and 28 (daemon.warning)", lines[0].PRI, lines[1].PRI)
	}

	recs := readJSON(t, filepath.Join(dir, "decisions.jsonl"))
	if len(recs) != 2 || recs[0]["verdict"] != "granted" || recs[1]["verdict"] != "denied" {
		t.Fatalf("records %v", recs)
	}
	if rule := recs[1]["rule"].(map[string]any); rule["file"] != "/etc/hosts.deny" || rule["line"] != 1.0 || rule["text"] != "ALL: ALL" {
		t.Errorf("deciding rule %v", rule)
	}

	got := central.Wait(t, 2, 10*time.Second)
	if !strings.Contains(got[1].StructuredData, `verdict="denied"`) || !strings.Contains(got[1].StructuredData, `rule_file="/etc/hosts.deny"`) ||
		got[1].MsgID != "decision" || got[1].Hostname != "gate" || strings.TrimSpace(got[1].Msg) != wantMsg[1] {
		t.Errorf("remote record: %+v", got[1])
	}
}

// Without a syslog daemon nothing is lost: the lines go to the JSON file,
// with one notice saying so.
func TestNoSyslogDaemon(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "decisions.jsonl")
	cfg := Config{SyslogPath: filepath.Join(dir, "no-such-socket"), JSONPath: jsonPath}
	for range 2 { // as two tcpd processes would
		tr, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		decideAndLog(tr, "192.0.2.9", access.Hooks{})
		tr.Close(context.Background())
	}
	recs := readJSON(t, jsonPath)
	var notices, lines, records int
	for _, r := range recs {
		text, _ := r["text"].(string)
		switch {
		case strings.HasPrefix(text, "no syslog daemon"):
			notices++
		case r["verdict"] != nil:
			records++
		default:
			lines++
		}
	}
	if notices != 1 || lines != 2 || records != 2 {
		t.Errorf("%d notices, %d classic lines, %d records; want 1, 2, 2:\n%v", notices, lines, records, recs)
	}
}

// With routes, the classic lines go to the syslog.conf-style files.
func TestRoutes(t *testing.T) {
	dir := t.TempDir()
	info, _ := filelog.ParseSelector("daemon.info")
	warn, _ := filelog.ParseSelector("*.warning")
	tr, err := Open(Config{Syslog: SyslogOff, Routes: filelog.Table{
		{Selector: info, Path: filepath.Join(dir, "infolog"), Format: filelog.Text},
		{Selector: warn, Path: filepath.Join(dir, "warnlog"), Format: filelog.Text},
	}})
	if err != nil {
		t.Fatal(err)
	}
	decideAndLog(tr, "127.0.0.1", access.Hooks{})
	decideAndLog(tr, "192.0.2.9", access.Hooks{})
	tr.Close(context.Background())
	infolog, _ := os.ReadFile(filepath.Join(dir, "infolog"))
	warnlog, _ := os.ReadFile(filepath.Join(dir, "warnlog"))
	if strings.Count(string(infolog), "\n") != 2 || !strings.Contains(string(infolog), "in.fingerd[4242]: connect from 127.0.0.1 (127.0.0.1)") {
		t.Errorf("infolog:\n%s", infolog)
	}
	if strings.Count(string(warnlog), "\n") != 1 || !strings.Contains(string(warnlog), "refused connect from 192.0.2.9") {
		t.Errorf("warnlog:\n%s", warnlog)
	}
}

// A host name crafted to forge log lines stays on one line everywhere.
func TestHostileName(t *testing.T) {
	local := rsyslogtest.Start(t)
	central := rsyslogtest.Start(t)
	dir := t.TempDir()
	tr, _ := Open(Config{
		SyslogPath: local.UnixSocket(),
		JSONPath:   filepath.Join(dir, "d.jsonl"),
		Remotes:    []remote.Config{{Network: "tcp", Addr: central.TCPAddr()}},
	})
	evil := "x.example.org\nNov 27 04:05:06 gate sshd[1]: Accepted password for root"
	decideAndLog(tr, "192.0.2.66", access.Hooks{Names: names{"192.0.2.66": evil}})
	tr.Close(context.Background())
	for _, l := range append(local.Wait(t, 1, 10*time.Second), central.Wait(t, 1, 10*time.Second)...) {
		if strings.Contains(l.Raw, "\n") || !strings.Contains(l.Raw, `\x0a`) {
			t.Errorf("stored %q", l.Raw)
		}
	}
	if n := len(local.Lines()); n != 1 {
		t.Errorf("local syslog has %d lines, want 1", n)
	}
	if recs := readJSON(t, filepath.Join(dir, "d.jsonl")); len(recs) != 1 || !strings.Contains(recs[0]["client_name"].(string), `\x0a`) {
		t.Errorf("records %v", recs)
	}
}

// The cost a decision pays for the trail, with a remote log host over
// TCP: building the record and handing it to the sender (delivery runs
// in the background).
func BenchmarkDecisionRemote(b *testing.B) {
	central := rsyslogtest.Start(b)
	tr, err := Open(Config{Syslog: SyslogOff, Remotes: []remote.Config{{Network: "tcp", Addr: central.TCPAddr()}}})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close(context.Background())
	req := access.Request{
		Daemon: "in.fingerd",
		Client: access.Endpoint{IP: netip.MustParseAddr("192.0.2.9"), Port: 40000},
		Server: access.Endpoint{IP: netip.MustParseAddr("127.0.0.1"), Port: 79},
	}
	f := access.NewFacts(req, access.Hooks{})
	d := policy.Decide(f)
	c := audit.Classic{AppName: "in.fingerd", PID: 4242, Facility: audit.Daemon}
	b.ResetTimer()
	for b.Loop() {
		tr.Decision(time.Now(), c, f, &d, time.Microsecond)
	}
}

// Drops are reported in the classic log when the trail closes.
func TestDropsReported(t *testing.T) {
	dir := t.TempDir()
	tr, err := Open(Config{Syslog: SyslogOff, JSONPath: filepath.Join(dir, "d.jsonl"),
		Remotes: []remote.Config{{Network: "tcp", Addr: "127.0.0.1:1", QueueSize: 1, BackoffMin: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		decideAndLog(tr, "192.0.2.9", access.Hooks{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	tr.Close(ctx)
	data, _ := os.ReadFile(filepath.Join(dir, "d.jsonl"))
	if !strings.Contains(string(data), "audit records for tcp 127.0.0.1:1 were dropped") {
		t.Errorf("no drop report in:\n%s", data)
	}
}

// With syslog-structured on, the records reach the local syslog daemon as
// JSON messages from "tcpwrap", after tcpd's own lines, and rsyslogd
// stores them whole (it does not parse RFC 5424 on its local socket).
func TestStructuredLocalSyslog(t *testing.T) {
	local := rsyslogtest.Start(t)
	tr, err := Open(Config{SyslogPath: local.UnixSocket(), Structured: true})
	if err != nil {
		t.Fatal(err)
	}
	decideAndLog(tr, "192.0.2.9", access.Hooks{})
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := local.Wait(t, 2, 10*time.Second)
	if strings.TrimSpace(lines[0].Msg) != "refused connect from 192.0.2.9 (192.0.2.9)" || lines[0].AppName != "in.fingerd" {
		t.Errorf("classic line: %+v", lines[0])
	}
	l := lines[1]
	if l.AppName != "tcpwrap" || l.ProcID != "4242" || l.PRI != "28" {
		t.Errorf("record stored as %+v; want tcpwrap[4242] at daemon.warning (28)", l)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(l.Msg)), &rec); err != nil {
		t.Fatalf("stored record is not JSON: %q: %v", l.Msg, err)
	}
	if rec["verdict"] != "denied" || rec["daemon"] != "in.fingerd" {
		t.Errorf("record %v", rec)
	}
}

// A record longer than the local socket's message text (a long rule, many
// options) reaches rsyslogd cut shorter but whole: still JSON, with the
// fields after the long ones.
func TestStructuredLocalSyslogLongRecord(t *testing.T) {
	local := rsyslogtest.Start(t)
	tr, err := Open(Config{SyslogPath: local.UnixSocket(), Structured: true})
	if err != nil {
		t.Fatal(err)
	}
	opts := make([]string, 100)
	for i := range opts {
		opts[i] = fmt.Sprintf("setenv VAR%d %s", i, strings.Repeat("v", 30))
	}
	now := time.Now()
	tr.Record(&audit.Message{Time: now, Priority: audit.GrantPriority, AppName: "sshd", PID: 4242,
		Text: "connect from 192.0.2.7 (192.0.2.7)",
		Record: &audit.Record{Time: now, Verdict: "granted", Reason: "allow-table", Daemon: "sshd",
			Client:  audit.Endpoint{Addr: "192.0.2.7", Port: 40000},
			Rule:    &audit.RuleRef{File: "/etc/hosts.allow", Line: 3, Text: "sshd: " + strings.Repeat("192.0.2.", 400)},
			Options: opts, PID: 4242}})
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := local.Wait(t, 1, 10*time.Second)[0]
	var rec struct {
		Verdict string
		Rule    struct{ Text string }
		Options []string
		PID     int
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(l.Msg)), &rec); err != nil {
		t.Fatalf("stored record (%d bytes) is not JSON: %v", len(l.Msg), err)
	}
	if rec.Verdict != "granted" || rec.PID != 4242 || !strings.HasSuffix(rec.Rule.Text, "...") ||
		len(rec.Options) == 0 || rec.Options[len(rec.Options)-1] != "..." {
		t.Errorf("record %+v: want every field, the rule text and the options cut", rec)
	}
}
