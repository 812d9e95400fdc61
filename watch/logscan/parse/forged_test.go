package parse_test

import (
	"net/netip"
	"strings"
	"testing"

	"tcpwrap/watch/logscan/parse"
)

// attacker is the address a forger wants banned (a victim's, say). No
// line below may make an Event with it.
var attacker = netip.MustParseAddr("198.51.100.66")

// TestForged is the table of forged lines: text another program logs
// (or that an attacker gets into tcpd's own line through an ident user
// name or a host name), built the ways log scanners have been fooled
// (DenyHosts CVE-2013-6465 and its relatives: unanchored patterns, a
// user-chosen string matched as the address, the last address on the
// line taken as the client's). Each must give NotOurs, Malformed or an
// Event without the attacker's address; where the line does name the
// real client, that address is checked too.
func TestForged(t *testing.T) {
	const pre = "Nov 27 05:48:56 gate "
	listed := parse.Config{Daemons: []string{"in.fingerd", "in.ftpd"}}
	cases := []struct {
		name string
		cfg  parse.Config
		line string
		want parse.Status
		real string // the true client address the Event must carry, if any
	}{
		// Another program logs a user-chosen string that contains our text.
		{"sshd invalid user (CVE-2013-6465 style)", parse.Config{},
			pre + "sshd[1]: Invalid user refused connect from 198.51.100.66 (198.51.100.66) from 192.0.2.1 port 22", parse.NotOurs, ""},
		{"sshd invalid user, inetd text", parse.Config{},
			pre + "sshd[1]: Invalid user refused connection from 198.51.100.66, service x (tcp) from 192.0.2.1", parse.NotOurs, ""},
		{"sshd invalid user, xinetd text", parse.Config{},
			pre + "sshd[1]: Invalid user FAIL: x libwrap from=198.51.100.66 from 192.0.2.1", parse.NotOurs, ""},
		{"text in the middle of a message", parse.Config{},
			pre + "webapp[1]: user said: connect from 198.51.100.66 (198.51.100.66)", parse.NotOurs, ""},
		{"a whole fake header inside another program's message", parse.Config{},
			pre + "sshd[1]: Nov 27 05:48:56 gate in.fingerd[2]: refused connect from 198.51.100.66 (198.51.100.66)", parse.NotOurs, ""},
		{"postfix's own connect line is no tcpd line", parse.Config{},
			pre + "postfix/smtpd[1]: connect from unknown[198.51.100.66] (198.51.100.66)x", parse.NotOurs, ""},
		{"a broken tcpd line from an unlisted program is not ours", parse.Config{},
			pre + "webapp[1]: refused connect from 198.51.100.66 (198.51.100.66) extra", parse.NotOurs, ""},
		{"leading blank", parse.Config{},
			pre + "in.fingerd[1]:  refused connect from 198.51.100.66 (198.51.100.66)", parse.NotOurs, ""},
		{"a program that is not listed logs tcpd's exact text", listed,
			pre + "webapp[1]: refused connect from 198.51.100.66 (198.51.100.66)", parse.NotOurs, ""},
		{"no PID: tcpd always logs one (logger -t without -i)", parse.Config{},
			pre + "in.fingerd: refused connect from 198.51.100.66 (198.51.100.66)", parse.NotOurs, ""},
		{"program name with a blank in the tag", parse.Config{},
			pre + "evil in.fingerd[1]: refused connect from 198.51.100.66 (198.51.100.66)", parse.NotOurs, ""},
		{"inetd's text from another program", parse.Config{},
			pre + "webapp[1]: refused connection from 198.51.100.66, service x (tcp)", parse.NotOurs, ""},
		{"xinetd's text from another program", parse.Config{},
			pre + "webapp[1]: FAIL: x libwrap from=198.51.100.66", parse.NotOurs, ""},
		{"a JSON record logged by an application", parse.Config{},
			pre + `webapp[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"198.51.100.66"}}`, parse.NotOurs, ""},
		{"an RFC 5424 record from an unlisted program", listed,
			`<28>1 2026-11-27T05:48:56Z gate webapp 1 decision [tcpwrap@32473 verdict="denied" daemon="x" client="198.51.100.66"]`, parse.NotOurs, ""},
		{"our SD-ID in a message without our MSGID", parse.Config{},
			`<28>1 2026-11-27T05:48:56Z gate in.fingerd 1 - [tcpwrap@32473 verdict="denied" daemon="x" client="198.51.100.66"]`, parse.Malformed, ""},
		{"our SD-ID twice", parse.Config{},
			`<28>1 2026-11-27T05:48:56Z gate in.fingerd 1 decision [tcpwrap@32473 verdict="denied" daemon="x" client="192.0.2.7"][tcpwrap@32473 verdict="denied" daemon="x" client="198.51.100.66"]`, parse.NotOurs, ""},
		{"client parameter twice", parse.Config{},
			`<28>1 2026-11-27T05:48:56Z gate in.fingerd 1 decision [tcpwrap@32473 verdict="denied" daemon="x" client="192.0.2.7" client="198.51.100.66"]`, parse.Malformed, ""},

		// The attacker's text inside tcpd's own line: a hostile ident
		// user name or host name. The client part never has a blank in
		// a line tcpd wrote, so these are ambiguous.
		{"host name that contains ' (addr)'", parse.Config{},
			pre + "in.fingerd[1]: refused connect from evil (198.51.100.66) (192.0.2.7)", parse.Ambiguous, ""},
		{"user name that contains ' (addr)@'", parse.Config{},
			pre + "in.fingerd[1]: refused connect from x (198.51.100.66)@host.example (192.0.2.7)", parse.Ambiguous, ""},
		{"user name that contains a whole tcpd message", parse.Config{},
			pre + "in.fingerd[1]: refused connect from refused connect from 198.51.100.66 (198.51.100.66)@192.0.2.7 (192.0.2.7)", parse.Ambiguous, ""},
		{"newline escaped by rsyslog, fake line after it", parse.Config{},
			pre + "in.fingerd[1]: refused connect from x#012Nov 27 05:48:56 gate in.fingerd[2]: refused connect from 198.51.100.66 (198.51.100.66)@192.0.2.7 (192.0.2.7)", parse.Ambiguous, ""},
		{"newline escaped by us, fake line after it", parse.Config{},
			pre + `in.fingerd[1]: refused connect from x\x0aNov 27 05:48:56 gate in.fingerd[2]: refused connect from 198.51.100.66 (198.51.100.66)@192.0.2.7 (192.0.2.7)`, parse.Ambiguous, ""},
		{"tab instead of blank", parse.Config{},
			pre + "in.fingerd[1]: refused connect from evil\t(198.51.100.66) (192.0.2.7)", parse.Ambiguous, ""},
		{"host part is another address (a numeric PTR name)", parse.Config{},
			pre + "in.fingerd[1]: refused connect from 198.51.100.66 (192.0.2.7)", parse.Ambiguous, ""},
		{"user@ and host part is another address", parse.Config{},
			pre + "in.fingerd[1]: refused connect from u@198.51.100.66 (192.0.2.7)", parse.Ambiguous, ""},
		{"IPv4-mapped spelling of another address", parse.Config{},
			pre + "in.fingerd[1]: refused connect from ::ffff:198.51.100.66 (192.0.2.7)", parse.Ambiguous, ""},
		{"same address spelled differently is not tcpd's", parse.Config{},
			pre + "in.fingerd[1]: refused connect from ::ffff:192.0.2.7 (192.0.2.7)", parse.Ambiguous, ""},
		{"host name with characters no resolver returns", parse.Config{},
			pre + "in.fingerd[1]: refused connect from evil(198.51.100.66) (192.0.2.7)", parse.Ambiguous, ""},
		{"host name with non-ASCII lookalike parentheses", parse.Config{},
			pre + "in.fingerd[1]: refused connect from evil\uff08198.51.100.66\uff09 (192.0.2.7)", parse.Ambiguous, ""},
		{"empty user name", parse.Config{},
			pre + "in.fingerd[1]: refused connect from @192.0.2.7 (192.0.2.7)", parse.Ambiguous, ""},
		{"a line cut after a forged address (client too long to be tcpd's)", parse.Config{},
			pre + "in.fingerd[1]: refused connect from " + strings.Repeat("P", 2017) + " (198.51.100.66)", parse.Ambiguous, ""},
		{"a user name longer than ident allows", parse.Config{},
			pre + "in.fingerd[1]: refused connect from " + strings.Repeat("u", 1100) + "@host.example (198.51.100.66)", parse.Ambiguous, ""},
		{"a host name longer than DNS allows", parse.Config{},
			pre + "in.fingerd[1]: refused connect from " + strings.Repeat("h", 300) + " (198.51.100.66)", parse.Ambiguous, ""},
		{"parentheses in the user name, no blank: harmless", parse.Config{},
			pre + "in.fingerd[1]: refused connect from x(198.51.100.66)@192.0.2.7 (192.0.2.7)", parse.OK, "192.0.2.7"},
		{"@ in the user name: the host is after the last @", parse.Config{},
			pre + "in.fingerd[1]: refused connect from a@198.51.100.66@192.0.2.7 (192.0.2.7)", parse.OK, "192.0.2.7"},
		{"a second address part after the real one", listed,
			pre + "in.fingerd[1]: refused connect from 192.0.2.7 (192.0.2.7) (198.51.100.66)", parse.Ambiguous, ""},
		{"text after the address part", listed,
			pre + "in.fingerd[1]: refused connect from 198.51.100.66 (198.51.100.66) by request of 192.0.2.7", parse.Malformed, ""},
		{"octal address", listed,
			pre + "in.fingerd[1]: refused connect from 0306.0063.0144.0102 (0306.0063.0144.0102)", parse.Malformed, ""},

		// inetd's and xinetd's lines.
		{"inetd: user name with ', service '", parse.Config{},
			pre + "inetd[1]: refused connection from 198.51.100.66, service x (tcp)@evil, service finger (tcp)", parse.Malformed, ""},
		{"inetd: blank in the client part", parse.Config{},
			pre + "inetd[1]: refused connection from evil 198.51.100.66, service finger (tcp)", parse.Ambiguous, ""},
		{"inetd: a name that is no host name", parse.Config{},
			pre + "inetd[1]: refused connection from evil(198.51.100.66), service finger (tcp)", parse.Ambiguous, ""},
		{"xinetd: trailing text", parse.Config{},
			pre + "xinetd[1]: FAIL: finger libwrap from=198.51.100.66 and more", parse.Malformed, ""},
		{"xinetd: START is no decision", parse.Config{},
			pre + "xinetd[1]: START: finger pid=2 from=198.51.100.66", parse.NotOurs, ""},

		// JSON records.
		{"JSON: the client address twice", parse.Config{},
			pre + `tcpwrap[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"192.0.2.7","addr":"198.51.100.66"}}`, parse.Malformed, ""},
		{"JSON: the client object twice", parse.Config{},
			pre + `tcpwrap[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"192.0.2.7"},"client":{"addr":"198.51.100.66"}}`, parse.Malformed, ""},
		{"JSON: a second object after the record", parse.Config{},
			pre + `tcpwrap[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"192.0.2.7"}} {"client":{"addr":"198.51.100.66"}}`, parse.Malformed, ""},
		{"JSON: a name as the address", parse.Config{},
			pre + `tcpwrap[1]: {"time":"2026-11-27T05:48:56Z","verdict":"denied","daemon":"x","client":{"addr":"evil.example"}}`, parse.Malformed, ""},
		{"JSON: unknown verdict", parse.Config{},
			pre + `tcpwrap[1]: {"time":"2026-11-27T05:48:56Z","verdict":"ban","daemon":"x","client":{"addr":"198.51.100.66"}}`, parse.Malformed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, how := range []string{"line", "message"} {
				p := newParser(tc.cfg)
				ev, st := p.Line([]byte(tc.line))
				if how == "message" {
					msg := tc.line
					if !strings.HasPrefix(msg, "<") {
						msg = "<28>" + msg
					}
					ev, st = p.Message([]byte(msg))
				}
				if ev.Addr == attacker {
					t.Fatalf("%s: forged address accepted: %s", how, describe(ev, st))
				}
				if st != tc.want {
					t.Errorf("%s: %s, want %s", how, describe(ev, st), tc.want)
				}
				if st == parse.Ambiguous && (ev.Addr.IsValid() || ev.User != "") {
					t.Errorf("%s: ambiguous Event with an address or user: %s", how, describe(ev, st))
				}
				if tc.real != "" && ev.Addr != netip.MustParseAddr(tc.real) {
					t.Errorf("%s: %s, want the address %s", how, describe(ev, st), tc.real)
				}
			}
		})
	}
}
