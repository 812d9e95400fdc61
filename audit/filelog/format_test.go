package filelog_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var cet = time.FixedZone("CET", 3600)

// goldenMessages cover the fields and the hostile strings.
func goldenMessages() []*audit.Message {
	t0 := time.Date(2026, time.November, 27, 9, 14, 3, 250_000_000, cet)
	daemonInfo := audit.Priority{Facility: audit.Daemon, Severity: audit.Info}
	authWarn := audit.Priority{Facility: audit.Auth, Severity: audit.Warning}
	return []*audit.Message{
		// tcpd's everyday line.
		{Time: t0, Priority: daemonInfo, AppName: "in.telnetd", PID: 2817, Text: "connect from 192.0.2.7 (192.0.2.7)"},
		// A single-digit day is padded with a blank, as syslogd does.
		{Time: time.Date(2026, time.March, 5, 7, 8, 9, 0, cet), Priority: authWarn, AppName: "sshd", PID: 1, Text: "refused connect from 198.51.100.9 (198.51.100.9)"},
		// A host name from DNS that tries to forge a second line, and
		// every kind of byte that needs escaping.
		{Time: t0, Priority: authWarn, AppName: "tcpd", PID: 77, Text: "refused connect from evil\nNov 27 09:14:03 gate sshd[1]: Accepted root"},
		{Time: t0, Priority: authWarn, AppName: "tcpd", PID: 77, Text: "quote \" backslash \\ tab \t cr \r del \x7f nul \x00 bad \xff\xfe ls \u2028 c1 \u0085 ok h\u00f6st \u65e5\u672c"},
		// No PID, an empty text, and a host name given by the caller
		// (blanks and control characters become '_').
		{Time: t0, Priority: audit.Priority{Facility: audit.Local7, Severity: audit.Debug}, Hostname: "relay one\n", AppName: "tcpwrapd", Text: ""},
		// An empty application name.
		{Time: t0, Priority: audit.Priority{Facility: audit.Mail, Severity: audit.Emerg}, Text: "no ident"},
		// A decision record: JSON lines carry the record, text the line.
		{Time: t0, Priority: daemonInfo, AppName: "tcpd", PID: 2818, Text: "connect from alice@192.0.2.8 (client.example.org)", Record: &audit.Record{
			Time: t0, Verdict: "granted", Reason: "allow-table", Daemon: "in.fingerd",
			Server:     audit.Endpoint{Addr: "192.0.2.1", Port: 79},
			Client:     audit.Endpoint{Addr: "192.0.2.8", Port: 40001},
			ClientName: "client.example.org", NameVerified: true, User: "alice\n",
			Rule:    &audit.RuleRef{File: "/etc/hosts.allow", Line: 12, Text: `in.fingerd: .example.org : spawn echo "%u" >> /tmp/x`},
			Options: []string{"spawn echo \"%u\" >> /tmp/x"},
			Latency: 1234567 * time.Nanosecond, PID: 2818,
		}},
		// A text longer than audit.MaxText is cut.
		{Time: t0, Priority: daemonInfo, AppName: "tcpd", PID: 5, Text: strings.Repeat("0123456789", 210)},
	}
}

// TestGolden writes the golden messages through a Writer with a text and
// a JSON route and compares the files with testdata/*.golden.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	all, _ := filelog.ParseSelector("*.*")
	table := filelog.Table{
		{Selector: all, Path: filepath.Join(dir, "text"), Format: filelog.Text},
		{Selector: all, Path: filepath.Join(dir, "json"), Format: filelog.JSON},
	}
	w := filelog.OpenForTest(table, 0, time.Now, "gate")
	for _, m := range goldenMessages() {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"text", "json"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "messages."+name+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, golden, lineDiff(string(got), string(want)))
		}
	}
}

// TestJSONLinesAreJSON: every JSON line is valid JSON, on one line.
func TestJSONLinesAreJSON(t *testing.T) {
	for _, m := range goldenMessages() {
		line := filelog.JSON.AppendLine(nil, m, "gate")
		checkOneLine(t, line)
		if !json.Valid(line) {
			t.Errorf("not JSON: %s", line)
		}
	}
}

func checkOneLine(t *testing.T, line []byte) {
	t.Helper()
	if i := bytes.IndexByte(line, '\n'); i != len(line)-1 {
		t.Errorf("want exactly one newline, at the end: %q", line)
	}
	for _, sep := range []string{"\r", "\u2028", "\u2029", "\u0085"} {
		if bytes.Contains(line, []byte(sep)) {
			t.Errorf("line contains %q: %q", sep, line)
		}
	}
}

// TestTextAgreesWithAppend3164: the text line is audit's syslog(3) form
// with the host name put after the time and "<PRI>" taken off.
func TestTextAgreesWithAppend3164(t *testing.T) {
	for _, m := range goldenMessages() {
		line := string(filelog.Text.AppendLine(nil, m, "gate"))
		pkt := string(m.Append3164(nil))
		pkt = pkt[strings.IndexByte(pkt, '>')+1:]
		host := "gate"
		if m.Hostname != "" {
			host = "relay_one_"
		}
		want := pkt[:15] + " " + host + pkt[15:] + "\n"
		if line != want {
			t.Errorf("text line\n got %q\nwant %q", line, want)
		}
	}
}

// TestJSONStringsAgreeWithAudit: the small JSON object escapes strings
// exactly as audit escapes a record's.
func TestJSONStringsAgreeWithAudit(t *testing.T) {
	for _, m := range goldenMessages() {
		for _, s := range []string{m.Text, m.AppName, strings.Repeat("\xff", 300)} {
			ours := fieldOf(t, filelog.JSON.AppendLine(nil, &audit.Message{AppName: s}, ""), "app")
			theirs := fieldOf(t, (&audit.Record{Daemon: s}).AppendJSON(nil), "daemon")
			if string(ours) != string(theirs) {
				t.Errorf("%q: ours %s, audit's %s", s, ours, theirs)
			}
		}
	}
}

func fieldOf(t *testing.T, line []byte, name string) json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return obj[name]
}

func TestParseFormat(t *testing.T) {
	for _, f := range []filelog.Format{filelog.Text, filelog.JSON} {
		g, err := filelog.ParseFormat(f.String())
		if err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), g, err)
		}
	}
	if _, err := filelog.ParseFormat("xml"); err == nil || err.Error() != `unknown format "xml" (want text or json)` {
		t.Errorf("ParseFormat(xml) error = %v", err)
	}
}
