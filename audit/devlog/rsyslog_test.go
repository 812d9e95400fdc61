package devlog

import (
	"strings"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/internal/rsyslogtest"
)

// What Debian's rsyslog stores from our writer: the exact bytes, parsed
// into the fields a tcpd line has, hostile text kept on one line.
func TestAgainstRsyslog(t *testing.T) {
	s := rsyslogtest.Start(t)
	w := New(s.UnixSocket())
	defer w.Close()
	texts := []string{
		"connect from 192.0.2.7 (192.0.2.7)",
		"refused connect from alice@host.example.org (192.0.2.8)",
		"refused connect from evil\nNov 27 04:05:06 host sshd[1]: Accepted password for root (192.0.2.9)",
	}
	var want []string
	for _, text := range texts {
		m := &audit.Message{Time: time.Now(), Priority: audit.RefusePriority, AppName: "in.fingerd", PID: 4242, Text: text}
		want = append(want, string(m.Append3164(nil)))
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	lines := s.Wait(t, len(texts), 10*time.Second)
	if len(lines) != len(texts) {
		t.Fatalf("rsyslog stored %d lines, want %d", len(lines), len(texts))
	}
	for i, l := range lines {
		if l.Raw != want[i] {
			t.Errorf("raw %q\nwant %q", l.Raw, want[i])
		}
		if l.AppName != "in.fingerd" || l.ProcID != "4242" || l.PRI != "28" || l.Input != "imuxsock" {
			t.Errorf("parsed %+v", l)
		}
		if strings.TrimSpace(l.Msg) != strings.ReplaceAll(texts[i], "\n", `\x0a`) {
			t.Errorf("msg %q", l.Msg)
		}
	}
}
