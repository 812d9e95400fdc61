package remote_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/remote"
	"tcpwrap/internal/rsyslogtest"
)

// testTime is the time of every test message, so that their bytes are
// known in advance.
var testTime = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

// message returns decision record number seq.
func message(seq int) *audit.Message {
	return &audit.Message{
		Time:     testTime,
		Priority: audit.Priority{Facility: audit.Auth, Severity: audit.Info},
		AppName:  "sshd",
		PID:      4242,
		Text:     fmt.Sprintf("seq=%d connect from 192.0.2.7 (192.0.2.7)", seq),
		Record: &audit.Record{
			Time: testTime, Verdict: "granted", Reason: "allow-table", Daemon: "sshd",
			Client:     audit.Endpoint{Addr: "192.0.2.7", Port: 40000 + seq%1000},
			Server:     audit.Endpoint{Addr: "192.0.2.1", Port: 22},
			ClientName: "host.example.org", NameVerified: true, User: "alice",
			Rule:    &audit.RuleRef{File: "/etc/hosts.allow", Line: 3, Text: "sshd: 192.0.2.0/24"},
			Latency: 1234 * time.Microsecond,
		},
	}
}

const testHost = "sender.example"

// encoded is what message(seq) is on the wire, without framing.
func encoded(seq int) string { return string(message(seq).Append5424(nil, testHost)) }

// seqOf returns the seq of a stored line, -1 if it has none.
func seqOf(l rsyslogtest.Line) int {
	i := strings.Index(l.Raw, "seq=")
	if i < 0 {
		return -1
	}
	rest := l.Raw[i+4:]
	j := strings.IndexByte(rest, ' ')
	if j < 0 {
		j = len(rest)
	}
	n, err := strconv.Atoi(rest[:j])
	if err != nil {
		return -1
	}
	return n
}

func newSender(t testing.TB, cfg remote.Config) *remote.Sender {
	t.Helper()
	if cfg.Hostname == "" {
		cfg.Hostname = testHost
	}
	s, err := remote.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}

func closeSender(t testing.TB, s *remote.Sender, timeout time.Duration) remote.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v (stats %+v)", err, s.Stats())
	}
	return s.Stats()
}

// checkBalance checks the accounting identity of Stats after Close.
func checkBalance(t testing.TB, st remote.Stats) {
	t.Helper()
	if st.Records+st.Recovered != st.Sent+st.Dropped+st.Unconfirmed+st.Queued+st.InFlight+st.Spooled {
		t.Errorf("stats do not balance: %+v", st)
	}
}

// waitStable waits until the server holds at least n lines and then no
// more arrive for a while (so that duplicates have a chance to show).
func waitStable(t testing.TB, srv *rsyslogtest.Server, n int, timeout time.Duration) []rsyslogtest.Line {
	t.Helper()
	srv.Wait(t, n, timeout)
	last := -1
	for {
		lines := srv.Lines()
		if len(lines) == last {
			return lines
		}
		last = len(lines)
		time.Sleep(300 * time.Millisecond)
	}
}
