package logscan_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/devlog"
	"tcpwrap/internal/rsyslogfiles"
	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

// Tests with Debian's rsyslogd (package rsyslog), started privately by
// internal/rsyslogtest, writing the files Follow reads and forwarding
// to the Receiver.

// rsyslogFiles are the files the server writes, one per file format
// (Traditional is Debian's default), in name order: logrotate rotates
// them in this order, trad.log last, as the tests were tuned with.
var rsyslogFiles = []rsyslogfiles.File{
	{Name: "precise.log", Template: rsyslogfiles.Precise},
	{Name: "protocol.log", Template: rsyslogfiles.Protocol23},
	{Name: "trad.log", Template: rsyslogfiles.Traditional},
}

// startRsyslog starts rsyslogtest's server writing rsyslogFiles in its
// directory, with the extra actions.
func startRsyslog(t *testing.T, extra ...string) *rsyslogtest.Server {
	t.Helper()
	return rsyslogfiles.Start(t, rsyslogFiles, extra...)
}

// sendRefusal logs line n's refusal through rsyslog's socket exactly as
// our tcpd does (audit/devlog, syslog(3)'s format).
func sendRefusal(t *testing.T, w *devlog.Writer, n int) {
	a := seqAddr(n).String()
	m := &audit.Message{Time: time.Now(), Priority: audit.RefusePriority, AppName: "in.fake", PID: n + 1,
		Text: "refused connect from " + a + " (" + a + ")"}
	if err := w.Write(m); err != nil {
		t.Errorf("devlog: %v", err)
	}
}

// logrotate rotates rsyslogFiles with Debian's logrotate.
func logrotate(t *testing.T, rs *rsyslogtest.Server, directives string) {
	t.Helper()
	var files []string
	for _, f := range rsyslogFiles {
		files = append(files, filepath.Join(rs.Dir(), f.Name))
	}
	rsyslogfiles.Rotate(t, rs.Dir(), files, directives)
}

// waitInFiles waits until each of rsyslogFiles holds line n.
func waitInFiles(t *testing.T, dir string, n int) {
	t.Helper()
	a := seqAddr(n).String()
	want := "refused connect from " + a + " (" + a + ")"
	deadline := time.Now().Add(30 * time.Second)
	for _, f := range rsyslogFiles {
		for {
			b, _ := os.ReadFile(filepath.Join(dir, f.Name))
			if strings.Contains(string(b), want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: line %d not written after 30 s", f.Name, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestRsyslogRotation: rsyslogd writes the three file formats while
// lines keep coming; logrotate rotates them by rename ("create" and a
// postrotate HUP, as Debian's rsyslog configuration does), then by
// "copytruncate". Follow reads each file. Every line of the rename
// rotation arrives exactly once; with copytruncate, every line that is
// in one of the files arrives exactly once (what logrotate loses between
// its copy and its truncation is counted and logged).
func TestRsyslogRotation(t *testing.T) {
	rs := startRsyslog(t)
	dir := rs.Dir()
	w := devlog.New(rs.UnixSocket())
	defer w.Close()

	followers := map[string]*follower{}
	for _, f := range rsyslogFiles {
		followers[f.Name] = follow(t, filepath.Join(dir, f.Name), logscan.Position{}, logscan.FollowOptions{})
	}

	const total = 3000
	pid := rsyslogfiles.PID(t, rs)
	var wg sync.WaitGroup
	wg.Add(1)
	rotated := make(chan int, 2)
	go func() {
		defer wg.Done()
		for n := 0; n < total; n++ {
			sendRefusal(t, w, n)
			switch n {
			case 1000, 2000:
				rotated <- n
			}
			if n%50 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	// Rotate while the writer goes on.
	<-rotated
	logrotate(t, rs, rsyslogfiles.RenameAndHUP(pid))
	n := <-rotated
	// Lines sent before the copytruncate may still be in rsyslogd's
	// queue; written between logrotate's copy and its truncation they
	// would be lost by logrotate, not by Follow. So the copy starts once
	// the files hold every line up to n.
	waitInFiles(t, dir, n)
	logrotate(t, rs, rsyslogfiles.CopyTruncate)
	wg.Wait()
	rs.Wait(t, total, 60*time.Second)

	for name, fl := range followers {
		t.Run(name, func(t *testing.T) {
			// What the files hold: the current one and its rotations.
			matches, _ := filepath.Glob(filepath.Join(dir, name) + "*")
			var text strings.Builder
			for _, m := range matches {
				b, err := os.ReadFile(m)
				if err != nil {
					t.Fatal(err)
				}
				text.Write(b)
			}
			inFiles := seqsOf(t, text.String())
			// On a timeout checkOnce says which lines are missing (the
			// parent's t must not fail from here).
			if _, ok := fl.waitUpTo(len(inFiles), 30*time.Second); !ok {
				t.Errorf("not every line in the files arrived within 30 s")
			}
			time.Sleep(2 * logscan.DefaultPoll)
			got := fl.events()
			seen := checkOnce(t, got, inFiles)
			// The rename rotation loses nothing: every line up to the
			// copytruncate (at 2000) arrived.
			for n := 0; n < 2000; n++ {
				if !seen[n] {
					t.Errorf("line %d, written before the copytruncate, was not delivered", n)
				}
			}
			t.Logf("%s: %d lines sent, %d in %d files, %d delivered, files %v", name, total, len(inFiles), len(matches), len(got), matches)
		})
	}

	// Latency through rsyslogd: from the send to the Event.
	fl := followers["trad.log"]
	have := len(fl.events())
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		start := time.Now()
		sendRefusal(t, w, total+i)
		fl.wait(have + i + 1)
		fl.mu.Lock()
		lat = append(lat, fl.arrived[have+i].Sub(start))
		fl.mu.Unlock()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("latency from the message sent to rsyslogd to the Event from its file, over %d lines: min %v, median %v, max %v", len(lat), lat[0], lat[len(lat)/2], lat[len(lat)-1])
}

// TestRsyslogResume: Follow is stopped, rsyslogd goes on writing and
// logrotate rotates the file, Follow starts again from its saved
// Position: the two runs together deliver every line once.
func TestRsyslogResume(t *testing.T) {
	rs := startRsyslog(t)
	path := filepath.Join(rs.Dir(), "trad.log")
	w := devlog.New(rs.UnixSocket())
	defer w.Close()
	for n := 0; n < 100; n++ {
		sendRefusal(t, w, n)
	}
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
	first := fl.wait(100)
	pos := fl.stop()
	for n := 100; n < 150; n++ {
		sendRefusal(t, w, n)
	}
	rs.Wait(t, 150, 60*time.Second)
	logrotate(t, rs, rsyslogfiles.RenameAndHUP(rsyslogfiles.PID(t, rs)))
	for n := 150; n < 200; n++ {
		sendRefusal(t, w, n)
	}
	rs.Wait(t, 200, 60*time.Second)
	fl2 := follow(t, path, pos, logscan.FollowOptions{})
	fl2.wait(100)
	time.Sleep(2 * logscan.DefaultPoll)
	second := fl2.events()
	fl2.stop()
	checkSeq(t, append(first, second...), 0, 199)
}

// TestRsyslogForward: rsyslogd forwards every message it receives to
// three Receivers: UDP (RFC 5424), TCP with octet counting (RFC 3164
// with an RFC 3339 time stamp) and TCP with newlines (traditional RFC
// 3164). Our tcpd's lines and decision records (sent to rsyslog as
// RFC 5424 through its socket) arrive as Events; another program's
// forged text does not.
func TestRsyslogForward(t *testing.T) {
	type target struct {
		name   string
		r      *logscan.Receiver
		events []watch.Event
		mu     sync.Mutex
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	listen := func(name string) (*target, int) {
		tg := &target{name: name}
		tg.r = &logscan.Receiver{Parse: parse.Config{Location: time.Local}, Handler: func(ev watch.Event) {
			tg.mu.Lock()
			tg.events = append(tg.events, ev)
			tg.mu.Unlock()
		}}
		wg.Add(1)
		if name == "udp" {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			pc.(*net.UDPConn).SetReadBuffer(4 << 20)
			go func() { defer wg.Done(); tg.r.ServeUDP(ctx, pc) }()
			return tg, pc.LocalAddr().(*net.UDPAddr).Port
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { defer wg.Done(); tg.r.ServeTCP(ctx, ln) }()
		return tg, ln.Addr().(*net.TCPAddr).Port
	}
	udp, udpPort := listen("udp")
	octet, octetPort := listen("tcp octet-counted")
	lf, lfPort := listen("tcp newline")
	rs := startRsyslog(t,
		fmt.Sprintf(`action(type="omfwd" target="127.0.0.1" port="%d" protocol="udp" template="RSYSLOG_SyslogProtocol23Format")`, udpPort),
		fmt.Sprintf(`action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_ForwardFormat")`, octetPort),
		fmt.Sprintf(`action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" template="RSYSLOG_TraditionalForwardFormat")`, lfPort),
	)
	w := devlog.New(rs.UnixSocket())
	defer w.Close()
	const classic = 200
	for n := 0; n < classic; n++ {
		sendRefusal(t, w, n)
		if n%50 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	// A decision record as our trail ships it to a log host: RFC 5424
	// over UDP (rsyslog's local socket input does not parse RFC 5424).
	a := seqAddr(classic).String()
	rec := &audit.Message{Time: time.Now(), Priority: audit.RefusePriority, AppName: "in.fake", PID: 4242,
		Text:   "refused connect from " + a + " (" + a + ")",
		Record: &audit.Record{Time: time.Now(), Verdict: "denied", Reason: "deny-table", Daemon: "in.fake", Client: audit.Endpoint{Addr: a, Port: 5}, Rule: &audit.RuleRef{File: "/etc/hosts.deny", Line: 3, Text: "ALL: ALL"}, PID: 4242}}
	uc, err := net.Dial("udp", rs.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Write(rec.Append5424(nil, "gate")); err != nil {
		t.Fatal(err)
	}
	uc.Close()
	// Forged: another program's message containing our text.
	forged := &audit.Message{Time: time.Now(), Priority: audit.Priority{Facility: audit.Auth, Severity: audit.Info}, AppName: "sshd", PID: 1,
		Text: "Invalid user refused connect from 198.51.100.66 (198.51.100.66)"}
	if err := w.Write(forged); err != nil {
		t.Fatal(err)
	}
	rs.Wait(t, classic+2, 60*time.Second)

	for _, tg := range []*target{udp, octet, lf} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			tg.mu.Lock()
			n := len(tg.events)
			tg.mu.Unlock()
			if n >= classic+1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		tg.mu.Lock()
		evs := append([]watch.Event(nil), tg.events...)
		tg.mu.Unlock()
		seen := map[int]bool{}
		var record *watch.Event
		for i, ev := range evs {
			if ev.Addr.String() == "198.51.100.66" {
				t.Errorf("%s: the forged line made an Event: %+v", tg.name, ev)
			}
			n := addrSeq(ev.Addr)
			if seen[n] && n != classic {
				t.Errorf("%s: line %d twice", tg.name, n)
			}
			seen[n] = true
			if ev.Source == watch.SourceRFC5424 {
				record = &evs[i]
			}
			if ev.Daemon != "in.fake" || ev.Verdict != watch.Refused || ev.Program != "in.fake" {
				t.Errorf("%s: event %+v", tg.name, ev)
			}
		}
		missing := 0
		for n := 0; n <= classic; n++ {
			if !seen[n] {
				missing++
			}
		}
		st := tg.r.Stats()
		t.Logf("%s: %d events of %d lines; receiver stats %+v", tg.name, len(evs), classic+1, st)
		// TCP loses nothing; UDP may, under load, and says how much.
		if missing > 0 && (tg.name != "udp" || missing > (classic+1)/10) {
			t.Errorf("%s: %d of %d lines missing", tg.name, missing, classic+1)
		}
		// Only the RFC 5424 forwarding keeps the structured data; the
		// RFC 3164 forms carry the record's text, a classic line.
		if tg.name == "udp" && (record == nil || record.Rule != "/etc/hosts.deny:3" || record.PID != 4242) {
			t.Errorf("%s: decision record %+v", tg.name, record)
		}
	}
}
