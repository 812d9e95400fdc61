package audit_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"tcpwrap/audit"
)

// withinLimit is the budget the local syslog socket gives a record.
const withinLimit = audit.MaxText

func TestRecordJSONWithin(t *testing.T) {
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	many := func(n int) []string {
		o := make([]string, n)
		for i := range o {
			o[i] = "setenv VAR" + strings.Repeat("x", i%40) + " value"
		}
		return o
	}
	base := func() *audit.Record {
		return &audit.Record{Time: when, Verdict: "granted", Reason: "allow-table", Daemon: "sshd",
			Server: audit.Endpoint{Addr: "127.0.0.1", Port: 22}, Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000},
			Rule: &audit.RuleRef{File: "/etc/hosts.allow", Line: 7, Text: "sshd: 192.0.2.7"}, PID: 42}
	}
	tests := []struct {
		name  string
		edit  func(r *audit.Record)
		limit int
		check func(t *testing.T, v map[string]any)
	}{
		{name: "fits", edit: func(*audit.Record) {}, limit: withinLimit},
		{name: "long rule text", limit: withinLimit,
			edit: func(r *audit.Record) { r.Rule.Text = "sshd: " + long(3000, "a") },
			check: func(t *testing.T, v map[string]any) {
				text := v["rule"].(map[string]any)["text"].(string)
				if !strings.HasPrefix(text, "sshd: aaa") || !strings.HasSuffix(text, "...") {
					t.Errorf("rule text %q: want its start, cut and marked", text)
				}
			}},
		{name: "many options", limit: withinLimit,
			edit: func(r *audit.Record) { r.Options = many(300) },
			check: func(t *testing.T, v map[string]any) {
				opts := v["options"].([]any)
				if len(opts) == 0 || len(opts) >= 300 || opts[len(opts)-1] != "..." || opts[0] == "..." {
					t.Errorf("options %d, first %v, last %v: want some, then \"...\"", len(opts), opts[0], opts[len(opts)-1])
				}
			}},
		{name: "hostile names and texts", limit: 1536,
			edit: func(r *audit.Record) {
				r.ClientName, r.User, r.Daemon = long(300, "\x01"), long(300, "\""), long(300, "\xff")
				r.Rule.File, r.Rule.Text = long(3000, "\\"), long(3000, "\n")
				r.Options = []string{long(3000, "\x7f"), long(3000, "]")}
			}},
		{name: "long session error", limit: withinLimit,
			edit: func(r *audit.Record) {
				r.Session = &audit.SessionRecord{Time: when, Service: "ssh/tcp", Kind: "redirect",
					Duration: time.Second, Err: "dial: " + long(5000, "e\x02")}
			},
			check: func(t *testing.T, v map[string]any) {
				if v["event"] != "session-end" || !strings.HasSuffix(v["error"].(string), "...") {
					t.Errorf("session record %v: want its error cut", v)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.edit(r)
			full := r.AppendJSON(nil)
			got := r.AppendJSONWithin([]byte("prefix"), tt.limit)
			if !strings.HasPrefix(string(got), "prefix") {
				t.Fatalf("dst's bytes not kept: %q", got)
			}
			got = got[len("prefix"):]
			if len(got)-1 > tt.limit || got[len(got)-1] != '\n' {
				t.Fatalf("%d bytes (limit %d), or no final newline", len(got)-1, tt.limit)
			}
			if len(full)-1 <= tt.limit && string(got) != string(full) {
				t.Errorf("a record that fits was changed:\n got %s\nwant %s", got, full)
			}
			if len(full)-1 > tt.limit && len(got) >= len(full) {
				t.Errorf("a record of %d bytes was not shortened", len(full))
			}
			var v map[string]any
			if err := json.Unmarshal(got, &v); err != nil {
				t.Fatalf("not JSON: %v: %s", err, got)
			}
			if r.Session == nil && (v["pid"] != 42.0 || v["verdict"] != "granted") {
				t.Errorf("fields after the cut ones lost: %v", v)
			}
			if tt.check != nil {
				tt.check(t, v)
			}
		})
	}
}

// Whatever its strings and numbers, a record comes out whole JSON within
// any limit from 1536 bytes, and unchanged when it fits.
func FuzzRecordJSONWithin(f *testing.F) {
	f.Add("host.example.org", "alice", "sshd: ALL", "sshd", uint8(1), uint16(0), false)
	f.Add("a\nb", "\x00]\"\\", strings.Repeat("\xff", 3000), "", uint8(200), uint16(1024), false)
	f.Add(strings.Repeat("\x01", 300), strings.Repeat("\x02", 300), strings.Repeat("\x03", 3000), strings.Repeat("\x04", 300), uint8(255), uint16(0), true)
	f.Fuzz(func(t *testing.T, name, user, text, daemon string, nopts uint8, extra uint16, huge bool) {
		limit := 1536 + int(extra%4096)
		opts := make([]string, nopts)
		for i := range opts {
			opts[i] = text
		}
		port, line, pid, lat := 1, 1, 7, time.Duration(1)
		if huge {
			port, line, pid, lat = math.MinInt, math.MaxInt, math.MinInt, math.MinInt64
		}
		r := &audit.Record{Time: when, Verdict: daemon, Reason: user, Daemon: daemon, ClientName: name, User: user,
			Server: audit.Endpoint{Addr: name, Port: port}, Client: audit.Endpoint{Addr: user, Port: port},
			Rule: &audit.RuleRef{File: name, Line: line, Text: text}, Options: opts, PID: pid, Latency: lat}
		for _, rec := range []*audit.Record{r, {Session: &audit.SessionRecord{Time: when, Service: name, Daemon: daemon,
			Kind: user, Client: audit.Endpoint{Addr: name, Port: port}, Server: audit.Endpoint{Addr: user, Port: port},
			Start: when, Duration: lat, PID: pid, BytesCounted: true, BytesIn: int64(pid), BytesOut: int64(line),
			Exit: &audit.ExitStatus{Code: line}, Err: text}}} {
			full := rec.AppendJSON(nil)
			got := rec.AppendJSONWithin(nil, limit)
			if len(got)-1 > limit {
				t.Fatalf("%d bytes, limit %d", len(got)-1, limit)
			}
			if len(full)-1 <= limit && string(got) != string(full) {
				t.Fatalf("changed a record that fits")
			}
			var v map[string]any
			if err := json.Unmarshal(got, &v); err != nil {
				t.Fatalf("not JSON: %v: %q", err, got)
			}
		}
	})
}
