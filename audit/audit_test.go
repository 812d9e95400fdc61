package audit_test

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/audit"
)

var when = time.Date(2026, 11, 27, 4, 5, 6, 789012000, time.UTC)

func decide(t *testing.T, allow, deny string, req access.Request, hooks access.Hooks) (*access.Facts, access.Decision) {
	t.Helper()
	p := access.Policy{
		Allow: access.Parse([]byte(allow), "/etc/hosts.allow", access.ParseOptions{}),
		Deny:  access.Parse([]byte(deny), "/etc/hosts.deny", access.ParseOptions{}),
	}
	f := access.NewFacts(req, hooks)
	return f, p.Decide(f)
}

func sock(client string) access.Request {
	return access.Request{
		Daemon: "in.fake",
		Client: access.Endpoint{IP: netip.MustParseAddr(client), Port: 40000},
		Server: access.Endpoint{IP: netip.MustParseAddr("127.0.0.1"), Port: 79},
	}
}

type names map[string]string

func (n names) HostName(a netip.Addr) (string, []string) {
	if v, ok := n[a.String()]; ok {
		return v, nil
	}
	return access.Unknown, nil
}

type ident string

func (i ident) User(c, s netip.AddrPort, _ time.Duration) string { return string(i) }

// The lines of tricky cases G01, G02, G05/G06 (severity), G08 (user
// known), G13 (name known), G03 (twist).
func TestClassicLines(t *testing.T) {
	c := audit.Classic{AppName: "in.fake", PID: 77, Facility: audit.Daemon}
	cases := []struct {
		name, allow, deny, client string
		hooks                     access.Hooks
		want                      string // "[prio] text"
	}{
		{"G01 grant", "", "", "127.0.0.1", access.Hooks{}, "[daemon.info] connect from 127.0.0.1 (127.0.0.1)"},
		{"G02 refusal", "", "ALL: ALL\n", "127.0.0.1", access.Hooks{}, "[daemon.warning] refused connect from 127.0.0.1 (127.0.0.1)"},
		{"G06 severity without facility", "ALL: ALL: severity WARNING\n", "", "127.0.0.1", access.Hooks{}, "[daemon.warning] connect from 127.0.0.1 (127.0.0.1)"},
		{"severity with facility", "", "ALL: ALL: severity local7.crit\n", "127.0.0.1", access.Hooks{}, "[local7.crit] refused connect from 127.0.0.1 (127.0.0.1)"},
		{"G08 user known", "ALL: ALL: rfc931\n", "", "127.0.0.1", access.Hooks{Ident: ident("alice")}, "[daemon.info] connect from alice@127.0.0.1 (127.0.0.1)"},
		{"G13 name known", "ALL: localhost\n", "ALL: ALL\n", "127.0.0.1", access.Hooks{Names: names{"127.0.0.1": "localhost"}}, "[daemon.info] connect from localhost (127.0.0.1)"},
		{"G20 IPv6", "", "", "::1", access.Hooks{}, "[daemon.info] connect from ::1 (::1)"},
	}
	for _, tc := range cases {
		f, d := decide(t, tc.allow, tc.deny, sock(tc.client), tc.hooks)
		m := c.Connect(when, f, &d)
		if d.Verdict == access.Denied {
			m = c.Refuse(when, f, &d)
		}
		if got := "[" + m.Priority.String() + "] " + m.Text; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	f, d := decide(t, "ALL: ALL: twist /bin/echo hi\n", "", sock("127.0.0.1"), access.Hooks{})
	if m := c.Twist(when, f, &d, d.Actions[0].Value); m.Priority != audit.RefusePriority || m.Text != "twist 127.0.0.1 to /bin/echo hi" {
		t.Errorf("twist: %v %q", m.Priority, m.Text)
	}
}

func TestRecordJSON(t *testing.T) {
	f, d := decide(t, "in.fake: 127.0.0.1: spawn echo %a\n", "", sock("127.0.0.1"), access.Hooks{})
	r := audit.NewRecord(when, f, &d, 1500*time.Nanosecond)
	r.PID = 42
	got := string(r.AppendJSON(nil))
	want := `{"time":"2026-11-27T04:05:06.789012Z","verdict":"granted","reason":"allow-table","daemon":"in.fake","server":{"addr":"127.0.0.1","port":79},"client":{"addr":"127.0.0.1","port":40000},"rule":{"file":"/etc/hosts.allow","line":1,"text":"in.fake: 127.0.0.1: spawn echo %a"},"options":["spawn echo 127.0.0.1"],"latency_us":1.500,"pid":42}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}

// Names and users from the network cannot forge a second line or break
// the structure, in any encoding.
func TestHostileStrings(t *testing.T) {
	hostile := "evil\nJan  1 00:00:00 host sshd[1]: Accepted\r\x00\"]\\ \xff\u2028"
	r := &audit.Record{Time: when, Verdict: "denied", Daemon: "sshd", ClientName: hostile, User: hostile,
		Client: audit.Endpoint{Addr: "192.0.2.1", Port: 1}}
	m := &audit.Message{Time: when, Priority: audit.RefusePriority, AppName: "sshd", PID: 1, Text: "refused connect from " + hostile, Record: r}
	for name, b := range map[string][]byte{
		"json": r.AppendJSON(nil),
		"3164": m.Append3164(nil),
		"5424": m.Append5424(nil, "host"),
	} {
		s := strings.TrimSuffix(string(b), "\n")
		// The classic line keeps bytes above 0x7f as tcpd writes them;
		// the structured forms escape what is not clean UTF-8 text.
		if strings.ContainsAny(s, "\n\r\x00") || (name != "3164" && strings.Contains(s, "\u2028")) {
			t.Errorf("%s: control character survived: %q", name, s)
		}
	}
	var v map[string]any
	if err := json.Unmarshal(r.AppendJSON(nil), &v); err != nil {
		t.Fatalf("hostile JSON does not parse: %v", err)
	}
	sd := string(m.Append5424(nil, "host"))
	if !strings.Contains(sd, `client_name="evil\\x0aJan  1`) || !strings.Contains(sd, `\"\]\\\\`) {
		t.Errorf("5424 structured data not escaped as expected: %q", sd)
	}
}

func FuzzEncoders(f *testing.F) {
	f.Add("host.example.org", "alice", "connect from x", "sshd")
	f.Add("a\nb", "\x00]\"\\", "\xff\xfe", "")
	f.Fuzz(func(t *testing.T, name, user, text, daemon string) {
		r := &audit.Record{Time: when, Verdict: "granted", Daemon: daemon, ClientName: name, User: user,
			Rule: &audit.RuleRef{File: name, Line: 1, Text: text}, Options: []string{text}}
		m := &audit.Message{Time: when, Priority: audit.GrantPriority, AppName: daemon, PID: 1, Text: text, Record: r}
		j := r.AppendJSON(nil)
		if strings.Count(string(j), "\n") != 1 || j[len(j)-1] != '\n' {
			t.Fatalf("JSON not one line: %q", j)
		}
		var v map[string]any
		if err := json.Unmarshal(j, &v); err != nil {
			t.Fatalf("JSON does not parse: %v: %q", err, j)
		}
		for _, b := range [][]byte{m.Append3164(nil), m.Append5424(nil, "h")} {
			if strings.ContainsAny(string(b), "\n\r\x00") {
				t.Fatalf("line break in %q", b)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	r := &audit.Record{Time: when, Verdict: "denied", Reason: "deny-table", Daemon: "sshd",
		Client: audit.Endpoint{Addr: "192.0.2.1", Port: 40000}, Server: audit.Endpoint{Addr: "192.0.2.2", Port: 22},
		Rule: &audit.RuleRef{File: "/etc/hosts.deny", Line: 12, Text: "ALL: ALL"}, PID: 4242}
	m := &audit.Message{Time: when, Priority: audit.RefusePriority, AppName: "sshd", PID: 4242, Text: "refused connect from 192.0.2.1 (192.0.2.1)", Record: r}
	var buf []byte
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
	b.Run("rfc5424", func(b *testing.B) {
		for b.Loop() {
			buf = m.Append5424(buf[:0], "host")
		}
	})
	b.Run("rfc3164", func(b *testing.B) {
		for b.Loop() {
			buf = m.Append3164(buf[:0])
		}
	})
}
