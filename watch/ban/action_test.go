package ban_test

import (
	"net/netip"
	"testing"
	"time"

	"tcpwrap/hostsfile"
	"tcpwrap/watch"
	"tcpwrap/watch/alert"
)

// From events to a refusal: a threshold rule whose action is the ban
// list's; the engine then refuses the whole /64, and nobody is banned
// for events that carry only a host name.
func TestAlertRuleBans(t *testing.T) {
	s := newSetup(t, nil)
	allow, deny := tables(t, s)
	l := s.open(t)
	e, err := alert.New(alert.Config{Rules: []alert.Rule{
		{Name: "ssh-guessing", Kind: alert.Threshold, Count: 3, Window: time.Minute, Services: []string{"sshd"}, Actions: []string{"ban"}},
		{Name: "trap", Kind: alert.Trap, Services: []string{"in.telnetd"}, Actions: []string{"ban"}},
	}}, alert.Options{Clock: s.clock, Actions: map[string]alert.Action{"ban": l.Action()}})
	if err != nil {
		t.Fatal(err)
	}
	engine := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: time.Nanosecond})
	refuse := func(addr, name, daemon string) {
		ev := watch.Event{Time: s.clock.Now(), Program: "tcpd", Daemon: daemon, Verdict: watch.Refused, Name: name, Source: watch.SourceTcpd}
		if addr != "" {
			ev.Addr = netip.MustParseAddr(addr)
		}
		e.Observe(ev)
		s.clock.Advance(time.Second)
	}
	refuse("2001:db8:4:4::1", "", "sshd")
	refuse("2001:db8:4:4::2", "", "sshd")
	refuse("192.0.2.1", "", "sshd") // another source
	refuse("2001:db8:4:4::3", "", "sshd")
	refuse("", "evil.example", "in.telnetd") // a name only: alert, no ban
	refuse("127.0.0.1", "", "in.telnetd")    // loopback: never banned
	e.Close()                                // waits for the actions
	st := e.Stats()
	if a := st.Actions[0]; a.Sent != 3 || a.Failed != 0 {
		t.Errorf("ban action %+v", a)
	}
	if got := s.list(t); got != "[2001:db8:4:4::]/64\n" {
		t.Errorf("list %q", got)
	}
	for client, want := range map[string]string{"2001:db8:4:4:5::9": "denied", "192.0.2.1": "granted", "127.0.0.1": "granted"} {
		if got := verdict(engine, client); got != want {
			t.Errorf("%s: %s, want %s", client, got, want)
		}
	}
	if st := l.Stats(); st.Banned != 1 || st.Allowed != 1 {
		t.Errorf("ban stats %+v", st)
	}
}
