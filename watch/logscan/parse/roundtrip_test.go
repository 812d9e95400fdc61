package parse_test

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
	"tcpwrap/watch"
	"tcpwrap/watch/logscan/parse"
)

// What the project's own writers produce is read back: tcpd's classic
// lines (audit.Classic) in the file format of audit/filelog and as
// syslog(3) sends them (Append3164), the JSON record (AppendJSON) and
// the RFC 5424 record (Append5424), for decisions made by the real
// engine (package access) with hostile user and host names.

type fixedName string

func (n fixedName) HostName(netip.Addr) (string, []string) { return string(n), nil }

type fixedUser string

func (u fixedUser) User(c, s netip.AddrPort, _ time.Duration) string { return string(u) }

var when = time.Date(2026, 11, 27, 4, 5, 6, 789012000, time.UTC)

// decision decides a connection from client to in.fake on a table that
// looks the client's name up and asks its ident service (when user or
// name is not ""), and refuses it.
func decision(client, user, name string) (*access.Facts, access.Decision) {
	deny := "in.fake: ALL\n"
	var hooks access.Hooks
	if name != "" {
		deny = "in.fake: nosuch.example\n" + deny
		hooks.Names = fixedName(name)
	}
	if user != "" {
		deny = strings.Replace(deny, "in.fake: ALL\n", "in.fake: ALL: rfc931\n", 1)
		hooks.Ident = fixedUser(user)
	}
	pol := access.Policy{
		Allow: access.Parse(nil, "/etc/hosts.allow", access.ParseOptions{}),
		Deny:  access.Parse([]byte(deny), "/etc/hosts.deny", access.ParseOptions{}),
	}
	f := access.NewFacts(access.Request{
		Daemon: "in.fake",
		Client: access.Endpoint{IP: netip.MustParseAddr(client), Port: 40000},
		Server: access.Endpoint{IP: netip.MustParseAddr("127.0.0.1"), Port: 79},
		PID:    77,
	}, hooks)
	return f, pol.Decide(f)
}

// written returns every form the project writes the decision in, by
// name, and how to parse each.
func written(f *access.Facts, d access.Decision) map[string]func(*parse.Parser) (watch.Event, parse.Status) {
	c := audit.Classic{AppName: "in.fake", PID: 77, Facility: audit.Daemon}
	m := c.Refuse(when, f, &d)
	if d.Verdict == access.Granted {
		m = c.Connect(when, f, &d)
	}
	text := filelog.Text.AppendLine(nil, m, "gate")
	msg3164 := m.Append3164(nil)
	rm := *m
	rm.Record = audit.NewRecord(when, f, &d, time.Microsecond)
	rm.Record.PID = 77 // NewRecord takes the test's own
	js := rm.Record.AppendJSON(nil)
	msg5424 := rm.Append5424(nil, "gate")
	return map[string]func(*parse.Parser) (watch.Event, parse.Status){
		"file line":    func(p *parse.Parser) (watch.Event, parse.Status) { return p.Line(text) },
		"3164 message": func(p *parse.Parser) (watch.Event, parse.Status) { return p.Message(msg3164) },
		"json record":  func(p *parse.Parser) (watch.Event, parse.Status) { return p.Record(js) },
		"5424 record":  func(p *parse.Parser) (watch.Event, parse.Status) { return p.Message(msg5424) },
	}
}

func TestSDID(t *testing.T) {
	if parse.SDID != audit.SDID {
		t.Errorf("parse.SDID %q, audit.SDID %q", parse.SDID, audit.SDID)
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name, client, user, host string
		wantName, wantUser       string
	}{
		{"address only", "127.0.0.2", "", "", "", ""},
		{"IPv6", "::1", "", "", "", ""},
		{"IPv4-mapped", "::ffff:127.0.0.2", "", "", "", ""},
		{"name", "127.0.0.2", "", "host.example", "host.example", ""},
		{"user and name", "127.0.0.2", "alice", "host.example", "host.example", "alice"},
		{"user", "127.0.0.2", "bob", "", "", "bob"},
		{"unknown name", "127.0.0.2", "", access.Unknown, "", ""},
		{"paranoid name", "127.0.0.2", "", access.Paranoid, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, d := decision(tc.client, tc.user, tc.host)
			for form, parseIt := range written(f, d) {
				p := newParser(parse.Config{})
				ev, st := parseIt(p)
				if st != parse.OK {
					t.Errorf("%s: %s", form, describe(ev, st))
					continue
				}
				want := netip.MustParseAddr(tc.client).Unmap()
				if ev.Addr != want || ev.Verdict != watch.Refused || ev.Daemon != "in.fake" || ev.PID != 77 {
					t.Errorf("%s: %s; want refused in.fake pid 77 from %s", form, describe(ev, st), want)
				}
				if !ev.Time.Equal(when.Truncate(time.Second)) && !ev.Time.Equal(when) {
					t.Errorf("%s: time %v, want %v", form, ev.Time, when)
				}
				if ev.Name != tc.wantName || ev.User != tc.wantUser {
					t.Errorf("%s: name %q user %q, want %q %q", form, ev.Name, ev.User, tc.wantName, tc.wantUser)
				}
				if (form == "json record" || form == "5424 record") && ev.Rule != "/etc/hosts.deny:"+strconv.Itoa(d.Rule.Line) {
					t.Errorf("%s: rule %q", form, ev.Rule)
				}
			}
		})
	}
}

// FuzzRoundTrip: whatever user name an ident service returns and
// whatever host name a resolver returns, the lines we write never make
// an Event whose address is not the client's.
func FuzzRoundTrip(f *testing.F) {
	f.Add("alice", "host.example", uint8(2))
	f.Add("x (198.51.100.66)", "evil (198.51.100.66)", uint8(3))
	f.Add("refused connect from 198.51.100.66 (198.51.100.66)", "198.51.100.66", uint8(4))
	f.Add("a\nNov 27 05:48:56 gate in.fake[1]: refused connect from 198.51.100.66 (198.51.100.66)", "x", uint8(5))
	f.Add(string(make([]byte, 3000)), "P (198.51.100.66)", uint8(6))
	f.Fuzz(func(t *testing.T, user, name string, last uint8) {
		if user == "" || name == "" {
			return
		}
		client := netip.AddrFrom4([4]byte{127, 0, 0, last})
		f, d := decision(client.String(), user, name)
		for form, parseIt := range written(f, d) {
			ev, st := parseIt(newParser(parse.Config{}))
			if ev.Addr.IsValid() && ev.Addr != client {
				t.Fatalf("%s: address %s, the client was %s (user %q, name %q): %s", form, ev.Addr, client, user, name, describe(ev, st))
			}
			if (form == "json record" || form == "5424 record") && (st != parse.OK || ev.Addr != client) {
				t.Fatalf("%s: %s; the records always carry the client's address", form, describe(ev, st))
			}
		}
	})
}
