package parse_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan/parse"
)

func addSeeds(f *testing.F) {
	for _, s := range []string{
		"Nov 27 05:48:56 gate in.fingerd[2817]: refused connect from alice@host.example (192.0.2.7)",
		"2026-11-27T05:48:56.123456+00:00 gate in.fingerd[2817]: connect from ::ffff:192.0.2.7 (::ffff:192.0.2.7)",
		"Nov 27 05:52:05 vm inetd[6324]: refused connection from 127.0.0.2, service 17001 (tcp)",
		"Nov 27 05:52:50 vm xinetd[6966]: FAIL: x17021 libwrap from=127.0.0.1",
		`<28>1 2026-11-27T05:48:56Z gate in.fingerd 42 decision [tcpwrap@32473 verdict="denied" daemon="in.fingerd" client="192.0.2.7" rule_file="/etc/hosts.deny" rule_line="3"] refused connect from 192.0.2.7 (192.0.2.7)`,
		`Nov 27 05:48:56 gate tcpwrap[9]: {"time":"2026-11-27T05:48:56.000001Z","verdict":"denied","daemon":"in.fake","client":{"addr":"127.0.0.2","port":5},"pid":77}`,
		"Nov 27 05:48:56 gate in.fingerd[1]: refused connect from evil (198.51.100.66) (192.0.2.7)",
		"<28>Nov 27 05:48:56 in.fingerd[2817]: refused connect from 192.0.2.7 (192.0.2.7)",
		`<30>1 2026-11-27T05:48:56Z gate in.fake 4242 session-end [tcpwrap-session@32473 service="127.0.0.1:7000/tcp4" kind="program" client="192.0.2.7" pid="4243" exited="true" exit_code="3"] session end: service=127.0.0.1:7000/tcp4 kind=program`,
		`Nov 27 05:48:56 gate tcpwrap[4242]: {"time":"2026-11-27T05:48:56Z","event":"session-end","service":"s","kind":"redirect","client":{"addr":"192.0.2.7","port":1},"duration_s":0.5,"bytes_in":1,"bytes_out":2}`,
	} {
		f.Add([]byte(s))
	}
}

// checkEvent checks what holds for every Event, whatever the input.
func checkEvent(t *testing.T, line []byte, ev watch.Event, st parse.Status) {
	t.Helper()
	if st != parse.OK && st != parse.Ambiguous {
		if ev != (watch.Event{}) {
			t.Fatalf("%q: %s with a non-zero Event %+v", line, st, ev)
		}
		return
	}
	if st == parse.Ambiguous && (ev.Addr.IsValid() || ev.User != "") {
		t.Fatalf("%q: ambiguous with an address or user: %s", line, describe(ev, st))
	}
	if ev.Addr.IsValid() && (ev.Addr.Zone() != "" || ev.Addr.Is4In6()) {
		t.Fatalf("%q: address %v not normalised", line, ev.Addr)
	}
	if ev.Daemon == "" || ev.Time.IsZero() {
		t.Fatalf("%q: no daemon or time: %s", line, describe(ev, st))
	}
	// A classic line's address is the last parenthesised word of the line.
	if ev.Source == watch.SourceTcpd && ev.Addr.IsValid() {
		s := strings.TrimRight(string(line), "\r\n\x00")
		open := strings.LastIndex(s, " (")
		if open < 0 || !strings.HasSuffix(s, ")") {
			t.Fatalf("%q: address %v not from the address part", line, ev.Addr)
		}
		a, err := netip.ParseAddr(s[open+2 : len(s)-1])
		if err != nil || a.WithZone("").Unmap() != ev.Addr {
			t.Fatalf("%q: address %v is not the address part's", line, ev.Addr)
		}
	}
}

// FuzzLine: no input panics, every Event is consistent, and a parser
// that has seen other lines (its caches warm) says the same as a fresh
// one.
func FuzzLine(f *testing.F) {
	addSeeds(f)
	warm := newParser(parse.Config{})
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, st := newParser(parse.Config{}).Line(line)
		checkEvent(t, line, ev, st)
		ev2, st2 := warm.Line(line)
		if st2 != st || !ev2.Time.Equal(ev.Time) || describe(ev2, st2) != describe(ev, st) {
			t.Fatalf("%q: fresh parser %s, warm parser %s", line, describe(ev, st), describe(ev2, st2))
		}
		ev, st = newParser(parse.Config{}).Message(line)
		checkEvent(t, line, ev, st)
	})
}

// FuzzRecord: whatever the JSON reader accepts is valid JSON, and
// encoding/json reads the same members from it.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-27T04:05:06.789012Z","verdict":"granted","reason":"allow-table","daemon":"in.fake","server":{"addr":"127.0.0.1","port":79},"client":{"addr":"127.0.0.1","port":40000},"rule":{"file":"/etc/hosts.allow","line":1,"text":"x"},"options":["spawn echo 127.0.0.1"],"latency_us":1.500,"pid":42}`))
	f.Add([]byte(`{"time":"2026-11-27T04:05:06Z","verdict":"denied","daemon":"s\u00e9\"\\","client":{"addr":"::1"},"client_name":"a\ud83d\ude00","name_verified":true,"user":"\/x"}`))
	f.Add([]byte(`{"time":"2026-11-27T04:05:06Z","verdict":"denied","daemon":"x","extra":[1,{"a":null},true,-0.5e+3]}`))
	f.Add([]byte(`{"time":"2026-11-27T04:05:06.814012Z","event":"session-end","service":"127.0.0.1:7000/tcp4","daemon":"in.fake","kind":"program","client":{"addr":"192.0.2.7","port":40000},"duration_s":0.025000,"pid":4243,"exit":{"exited":true,"code":3}}`))
	f.Add([]byte(`{"time":"2026-11-27T04:05:06Z","event":"decision","verdict":"denied","daemon":"x","client":{"addr":"::1"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, st := newParser(parse.Config{}).Record(line)
		checkEvent(t, line, ev, st)
		if st != parse.OK {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("%q: accepted but not valid JSON", line)
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(line))
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if m["daemon"] != ev.Daemon {
			t.Fatalf("%q: daemon %q, encoding/json says %q", line, ev.Daemon, m["daemon"])
		}
		// An empty address is what audit writes when it knows only the
		// port: no address.
		if c, ok := m["client"].(map[string]any); ok && c["addr"] != nil && c["addr"] != "" {
			a, err := netip.ParseAddr(c["addr"].(string))
			if err != nil || a.WithZone("").Unmap() != ev.Addr {
				t.Fatalf("%q: address %v, encoding/json says %q", line, ev.Addr, c["addr"])
			}
		}
		if u, _ := m["user"].(string); u != ev.User {
			t.Fatalf("%q: user %q, encoding/json says %q", line, ev.User, u)
		}
		// Only a decision makes an Event: a session end never does.
		if e, ok := m["event"]; ok && e != "decision" {
			t.Fatalf("%q: an Event from a record whose event is %v", line, e)
		}
	})
}
