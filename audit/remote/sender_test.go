package remote_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/remote"
	"tcpwrap/audit/remote/tlsclient"
	"tcpwrap/internal/rsyslogtest"
)

// TestExactBytes checks that rsyslog stores exactly the bytes sent, over
// each transport, and parses them as meant.
func TestExactBytes(t *testing.T) {
	srv := rsyslogtest.Start(t, rsyslogtest.WithClientAuth())
	for _, tc := range []struct {
		network, addr string
		input         string
	}{
		{"udp", srv.UDPAddr(), "imudp"},
		{"tcp", srv.TCPAddr(), "imtcp"},
		{"tls", srv.TLSAddr(), "imtcp-tls"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			before := srv.Count()
			cfg := remote.Config{Network: tc.network, Addr: tc.addr}
			if tc.network == "tls" {
				// rsyslog requires a client certificate here.
				cfg.TLS = tlsclient.New(srv.ClientTLSConfig(true))
			}
			s := newSender(t, cfg)
			const n = 50
			for i := range n {
				s.Send(message(i))
			}
			st := closeSender(t, s, 10*time.Second)
			if st.Sent != n || st.Dropped != 0 || st.Resent != 0 {
				t.Errorf("stats %+v", st)
			}
			checkBalance(t, st)
			lines := srv.Wait(t, before+n, 10*time.Second)[before:]
			if len(lines) != n {
				t.Fatalf("%d lines stored, want %d", len(lines), n)
			}
			for i, l := range lines {
				if want := encoded(i); l.Raw != want {
					t.Fatalf("line %d:\n got %q\nwant %q", i, l.Raw, want)
				}
				if l.Input != tc.input || l.Hostname != testHost || l.AppName != "sshd" || l.ProcID != "4242" ||
					l.MsgID != "decision" || l.PRI != "38" || l.Time != "2024-05-06T07:08:09.123456Z" ||
					!strings.HasPrefix(l.StructuredData, "[tcpwrap@32473 verdict=\"granted\"") {
					t.Fatalf("line %d parsed as %+v", i, l)
				}
			}
		})
	}
}

// unescapeSD undoes RFC 5424's escaping in a PARAM-VALUE: \" \\ \] stand
// for the character; a backslash before anything else stays.
func unescapeSD(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && strings.IndexByte(`"\]`, v[i+1]) >= 0 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// sdParams parses one SD-ELEMENT "[id name="value" ...]" strictly and
// returns its ID and params; ok is false unless sd is exactly one
// well-formed element.
func sdParams(sd string) (id string, params map[string][]string, ok bool) {
	if len(sd) < 2 || sd[0] != '[' {
		return "", nil, false
	}
	i := 1
	for i < len(sd) && sd[i] != ' ' && sd[i] != ']' {
		i++
	}
	id = sd[1:i]
	params = map[string][]string{}
	for i < len(sd) && sd[i] == ' ' {
		i++
		j := i
		for j < len(sd) && sd[j] != '=' {
			j++
		}
		name := sd[i:j]
		if j+1 >= len(sd) || sd[j+1] != '"' {
			return "", nil, false
		}
		k := j + 2
		for k < len(sd) && sd[k] != '"' {
			if sd[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(sd) {
			return "", nil, false
		}
		params[name] = append(params[name], unescapeSD(sd[j+2:k]))
		i = k + 1
	}
	return id, params, i == len(sd)-1 && sd[i] == ']'
}

// TestHostileNames sends records whose names came from the network with
// every character that could break a log line or structured data, and
// checks that each is stored as one line with exactly the bytes sent,
// and that rsyslog finds the same SD-ELEMENT and message.
func TestHostileNames(t *testing.T) {
	srv := rsyslogtest.Start(t)
	hostile := []string{
		"evil\nhost.example",              // newline: would start a new line
		"a]b",                             // ends SD-ELEMENT early unless escaped
		`q"uote`,                          // ends PARAM-VALUE early unless escaped
		`back\slash\`,                     // escapes the next character
		"nul\x00byte",                     // C string end
		"bad\xff\xfeutf8",                 // invalid UTF-8
		"cr\r\nlf <13>1 - - fake - - - x", // a forged second message
		"\u2028sep\u0085",                 // Unicode line separators
		"tab\there\x7f",                   // tab and DEL
		`]"\` + "\x1b[31m",                // all at once, with an ANSI escape
	}
	s := newSender(t, remote.Config{Network: "tcp", Addr: srv.TCPAddr()})
	var msgs []*audit.Message
	for i, h := range hostile {
		m := message(i)
		m.Hostname = "host " + h // header fields: no spaces, printable
		m.AppName = h
		m.Text = "seq=" + string(rune('0'+i)) + " text " + h
		m.Record.ClientName = h
		m.Record.User = h
		m.Record.Rule.Text = "sshd: " + h
		m.Record.Options = []string{"banners " + h}
		msgs = append(msgs, m)
		s.Send(m)
	}
	closeSender(t, s, 10*time.Second)
	lines := waitStable(t, srv, len(msgs), 10*time.Second)
	if len(lines) != len(msgs) {
		t.Fatalf("%d lines stored for %d messages: %q", len(lines), len(msgs), lines)
	}
	for i, l := range lines {
		m, h := msgs[i], hostile[i]
		if want := string(m.Append5424(nil, testHost)); l.Raw != want {
			t.Errorf("%q: stored\n%q\nsent\n%q", h, l.Raw, want)
			continue
		}
		id, params, ok := sdParams(l.StructuredData)
		if !ok || id != audit.SDID {
			t.Errorf("%q: rsyslog's structured data %q is not one element", h, l.StructuredData)
			continue
		}
		clean := audit.Clean(h, audit.MaxName)
		for _, p := range []string{"client_name", "user"} {
			if got := params[p]; len(got) != 1 || got[0] != clean {
				t.Errorf("%q: %s = %q, want %q", h, p, got, clean)
			}
		}
		if got := params["option"]; len(got) != 1 || got[0] != audit.Clean("banners "+h, audit.MaxText) {
			t.Errorf("%q: option = %q", h, got)
		}
		if l.MsgID != "decision" || strings.TrimSpace(l.Msg) != audit.Clean(m.Text, audit.MaxText) {
			t.Errorf("%q: MSGID %q, MSG %q", h, l.MsgID, l.Msg)
		}
		if strings.ContainsAny(l.Hostname, " \n") || strings.ContainsAny(l.AppName, " \n") {
			t.Errorf("%q: header fields %q %q", h, l.Hostname, l.AppName)
		}
	}
}

// producer sends numbered records at about rate per second until stopped.
type producer struct {
	n    atomic.Int64
	stop chan struct{}
	done sync.WaitGroup
}

func produce(s *remote.Sender, rate int) *producer {
	p := &producer{stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		start := time.Now()
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			i := p.n.Load()
			s.Send(message(int(i)))
			p.n.Add(1)
			// Pace to rate: sleep when ahead.
			if ahead := time.Duration(i+1)*time.Second/time.Duration(rate) - time.Since(start); ahead > time.Millisecond {
				time.Sleep(ahead)
			}
		}
	}()
	return p
}

func (p *producer) finish() int {
	close(p.stop)
	p.done.Wait()
	return int(p.n.Load())
}

// waitSent waits until s has delivered n records.
func waitSent(t *testing.T, s *remote.Sender, n uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.Stats().Sent < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d records sent after 30s: %+v", n, s.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkDelivery is the honest accounting of a fault test: every record
// produced is stored or counted as dropped, the records stored more than
// once are no more than Stats.Resent, and records first arrive in the
// order they were produced.
func checkDelivery(t *testing.T, lines []rsyslogtest.Line, produced int, st remote.Stats) {
	t.Helper()
	count := make([]int, produced)
	last := -1
	for _, l := range lines {
		seq := seqOf(l)
		if seq < 0 || seq >= produced {
			t.Fatalf("stored a record that was not produced: %q", l.Raw)
		}
		if count[seq] == 0 {
			if seq < last {
				t.Errorf("seq %d first arrived after %d", seq, last)
			}
			last = seq
		}
		count[seq]++
	}
	missing, dups := 0, 0
	for _, c := range count {
		if c == 0 {
			missing++
		} else {
			dups += c - 1
		}
	}
	t.Logf("produced %d, stored %d lines, missing %d, duplicates %d; stats %+v", produced, len(lines), missing, dups, st)
	if uint64(missing) != st.Dropped {
		t.Errorf("%d records missing, %d counted as dropped; missing: %s", missing, st.Dropped, ranges(count, 0))
	}
	if uint64(dups) > st.Resent {
		t.Errorf("%d duplicates, but only %d records were re-sent", dups, st.Resent)
	}
	if st.Unconfirmed != 0 || st.Queued != 0 || st.InFlight != 0 || st.Spooled != 0 {
		t.Errorf("records left after Close: %+v", st)
	}
	checkBalance(t, st)
}

// TestFault stops rsyslog while records keep coming and starts it again:
// every record must arrive exactly once, be counted as dropped, or be one
// of the few re-sent around the break.
func TestFault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network string
		spool   bool
		queue   int
	}{
		{"tcp-spool", "tcp", true, 1000},
		{"tls-spool", "tls", true, 1000},
		{"tcp-memory", "tcp", false, 100000},
		{"tcp-memory-drops", "tcp", false, 200}, // the queue overflows while rsyslog is down
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := rsyslogtest.Start(t, rsyslogtest.WithTLS())
			cfg := remote.Config{
				Network: tc.network, Addr: srv.TCPAddr(), QueueSize: tc.queue,
				BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
			}
			if tc.network == "tls" {
				cfg.Addr, cfg.TLS = srv.TLSAddr(), tlsclient.New(srv.ClientTLSConfig(false))
			}
			if tc.spool {
				cfg.SpoolDir = t.TempDir()
			}
			s := newSender(t, cfg)
			p := produce(s, 5000)
			for range 2 {
				// Stop rsyslog mid-stream: once records flow again.
				waitSent(t, s, s.Stats().Sent+1000)
				t0 := time.Now()
				srv.Stop()
				t1 := time.Now()
				time.Sleep(500 * time.Millisecond)
				srv.Start()
				t.Logf("stop %v, start %v, produced %d, stats %+v", t1.Sub(t0), time.Since(t1), p.n.Load(), s.Stats())
			}
			waitSent(t, s, s.Stats().Sent+1000)
			produced := p.finish()
			st := closeSender(t, s, 30*time.Second)
			if st.Reconnects < 2 {
				t.Errorf("%d reconnects, want 2", st.Reconnects)
			}
			t.Logf("produced %d, stats %+v", produced, st)
			srv.Wait(t, 1, time.Second)
			lines := waitStable(t, srv, 0, 30*time.Second)
			checkDelivery(t, lines, produced, st)
			if tc.queue == 200 && st.Dropped == 0 {
				t.Errorf("no record dropped with a queue of %d", tc.queue)
			}
			if tc.spool && st.Dropped != 0 {
				t.Errorf("%d records dropped with a spool", st.Dropped)
			}
		})
	}
}

// TestSpoolSurvivesRestart sends records while the log host is down,
// closes the Sender (the records stay in the spool) and checks that a new
// Sender on the same spool delivers them, in order, once.
func TestSpoolSurvivesRestart(t *testing.T) {
	srv := rsyslogtest.Start(t)
	srv.Stop()
	dir := t.TempDir()
	cfg := remote.Config{Network: "tcp", Addr: srv.TCPAddr(), SpoolDir: dir, QueueSize: 100,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond}
	a := newSender(t, cfg)
	const n = 3000
	for i := range n {
		a.Send(message(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := a.Close(ctx)
	cancel()
	if err == nil {
		t.Fatal("Close succeeded with the log host down")
	}
	st := a.Stats()
	if st.Spooled != n || st.Sent != 0 || st.Dropped != 0 {
		t.Fatalf("after Close: %+v", st)
	}
	checkBalance(t, st)

	srv.Start()
	b := newSender(t, cfg)
	if st := b.Stats(); st.Recovered != n {
		t.Errorf("recovered %d, want %d", st.Recovered, n)
	}
	st = closeSender(t, b, 10*time.Second)
	lines := waitStable(t, srv, n, 10*time.Second)
	checkDelivery(t, lines, n, st)
	if len(lines) != n {
		t.Errorf("%d lines, want %d", len(lines), n)
	}
}

// TestUDPClosedPort checks that sending to a UDP port nobody listens on
// neither blocks nor fails Close.
func TestUDPClosedPort(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	s := newSender(t, remote.Config{Network: "udp", Addr: addr})
	const n = 20000
	start := time.Now()
	for i := range n {
		s.Send(message(i))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("%d Sends took %v", n, d)
	}
	start = time.Now()
	st := closeSender(t, s, 10*time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if st.Sent+st.Dropped != n {
		t.Errorf("stats %+v", st)
	}
	checkBalance(t, st)
}

// TestStalledPeer checks that Send does not block when the log host
// accepts the connection but never reads: the queue fills and records
// are dropped and counted.
func TestStalledPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	s := newSender(t, remote.Config{Network: "tcp", Addr: ln.Addr().String(), QueueSize: 1000, Timeout: time.Second})
	const n = 100000
	start := time.Now()
	var slowest time.Duration
	for i := range n {
		t0 := time.Now()
		s.Send(message(i))
		slowest = max(slowest, time.Since(t0))
	}
	t.Logf("%d Sends in %v, slowest %v", n, time.Since(start), slowest)
	if slowest > time.Second {
		t.Errorf("a Send took %v", slowest)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	s.Close(ctx)
	st := s.Stats()
	if st.Dropped == 0 {
		t.Errorf("nothing dropped: %+v", st)
	}
	checkBalance(t, st)
}

// ranges lists the runs of seqs whose count is c, for failure messages.
func ranges(count []int, c int) string {
	var b strings.Builder
	for i := 0; i < len(count); i++ {
		if count[i] != c {
			continue
		}
		j := i
		for j+1 < len(count) && count[j+1] == c {
			j++
		}
		fmt.Fprintf(&b, " %d-%d", i, j)
		if b.Len() > 2000 {
			b.WriteString(" ...")
			break
		}
		i = j
	}
	return b.String()
}

// TestSenderCrash stops a Sender as a crash would, with its records in
// the spool and half a record torn off at its end, and checks that a new
// Sender delivers them all, once.
func TestSenderCrash(t *testing.T) {
	srv := rsyslogtest.Start(t)
	srv.Stop()
	dir := t.TempDir()
	cfg := remote.Config{Network: "tcp", Addr: srv.TCPAddr(), SpoolDir: dir,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond}
	a, err := remote.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := range n {
		a.Send(message(i))
	}
	// While the host is down, the queue goes to the spool every 100ms.
	deadline := time.Now().Add(10 * time.Second)
	for a.Stats().Spooled != n {
		if time.Now().After(deadline) {
			t.Fatalf("not spooled: %+v", a.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.Crash()
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
	if len(segs) == 0 {
		t.Fatal("no segment files")
	}
	sort.Strings(segs)
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef, '<', '1'}) // a torn record
	f.Close()

	srv.Start()
	b := newSender(t, cfg)
	if st := b.Stats(); st.Recovered != n {
		t.Errorf("recovered %d, want %d", st.Recovered, n)
	}
	st := closeSender(t, b, 10*time.Second)
	lines := waitStable(t, srv, n, 10*time.Second)
	checkDelivery(t, lines, n, st)
	if len(lines) != n {
		t.Errorf("%d lines, want %d", len(lines), n)
	}
}

// TestSpoolInUse checks that two Senders cannot share a spool.
func TestSpoolInUse(t *testing.T) {
	cfg := remote.Config{Network: "tcp", Addr: "127.0.0.1:1", SpoolDir: t.TempDir()}
	newSender(t, cfg)
	if s, err := remote.New(cfg); err == nil {
		s.Close(context.Background())
		t.Fatal("a second Sender opened the same spool")
	}
}
