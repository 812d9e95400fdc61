package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/loopback"
	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

// sessionJSON is a session-end record as the JSON-lines file holds it.
type sessionJSON struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"`
	Service string    `json:"service"`
	Daemon  string    `json:"daemon"`
	Kind    string    `json:"kind"`
	Client  *struct {
		Addr string `json:"addr"`
		Port int    `json:"port"`
	} `json:"client"`
	Server *struct {
		Addr string `json:"addr"`
		Port int    `json:"port"`
	} `json:"server"`
	Start    time.Time `json:"start"`
	Duration float64   `json:"duration_s"`
	PID      int       `json:"pid"`
	Exit     *struct {
		Exited     bool   `json:"exited"`
		Code       *int   `json:"code"`
		Signal     int    `json:"signal"`
		SignalName string `json:"signal_name"`
	} `json:"exit"`
	BytesIn  *int64 `json:"bytes_in"`
	BytesOut *int64 `json:"bytes_out"`
	Error    string `json:"error"`
	Verdict  string `json:"verdict"`
}

// sessionRecords reads the session-end records of a JSON-lines file.
func sessionRecords(t *testing.T, path string) []sessionJSON {
	t.Helper()
	b, _ := os.ReadFile(path)
	var out []sessionJSON
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r sessionJSON
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: not JSON: %q: %v", path, sc.Text(), err)
		}
		if r.Event == "session-end" {
			out = append(out, r)
		}
	}
	return out
}

// The end of every session is a structured record in each structured
// destination of a real tcpwrapd: the JSON-lines file, a log host
// (Debian's rsyslogd, RFC 5424 structured data) and syslog-structured
// messages; with --log-session-end its text line goes to syslog too.
// The sessions: a program that exits with status 3, one that a signal
// kills, and a redirect service that moves a known number of bytes.
// tcpdwatch's reader, given the same JSON file, sees the decisions and
// only them.
func TestSessionEndRecords(t *testing.T) {
	central := rsyslogtest.Start(t)
	scripts := t.TempDir()
	os.Chmod(scripts, 0o755)
	exit3 := filepath.Join(scripts, "exit3")
	os.WriteFile(exit3, []byte("#!/bin/sh\necho \"bye $$\"\nexit 3\n"), 0o755)
	killed := filepath.Join(scripts, "killed")
	os.WriteFile(killed, []byte("#!/bin/sh\necho \"dying $$\"\nkill -TERM $$\n"), 0o755)

	// The redirect's target: it reads the client's bytes to the end and
	// answers with 2345 bytes.
	const sent, answer = 1000, 2345
	target := loopback.ServeTCP(t, func(c net.Conn) {
		io.Copy(io.Discard, c)
		c.Write(bytes.Repeat([]byte("y"), answer))
	})

	logs := t.TempDir()
	os.Chmod(logs, 0o755)
	jsonPath := filepath.Join(logs, "records.jsonl")
	conf := filepath.Join(logs, "logging.conf")
	os.WriteFile(conf, []byte("syslog on\njson "+jsonPath+"\nsyslog-structured on\nremote tcp "+central.TCPAddr()+"\n"), 0o644)
	d := startDaemon(t, daemonSpec{nports: 3,
		args: []string{"-l", "--logging-conf", conf, "--log-session-end"},
		conf: "127.0.0.1:{P0} stream tcp4 nowait root " + exit3 + " exit3\n" +
			"127.0.0.1:{P1} stream tcp4 nowait root " + killed + " killed\n" +
			fmt.Sprintf("127.0.0.1:{P2} stream tcp4 nowait root redirect fwd 127.0.0.1:%d\n", target.Port),
		allow: "exit3 killed: 127.0.0.1\nfwd: 127.0.0.2\n",
		deny:  "ALL: ALL\n",
	})

	pidOf := func(reply, word string) int {
		t.Helper()
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(reply, word+" ")))
		if err != nil {
			t.Fatalf("the program said %q", reply)
		}
		return n
	}
	exitPID := pidOf(mustExchange(t, "127.0.0.1", d.addr(0), ""), "bye")
	killedPID := pidOf(mustExchange(t, "127.0.0.1", d.addr(1), ""), "dying")
	if got := mustExchange(t, "127.0.0.2", d.addr(2), strings.Repeat("x", sent)); got != strings.Repeat("y", answer) {
		t.Errorf("redirect: got %d bytes, want %d", len(got), answer)
	}
	// Refused: a decision, no session.
	if got := mustExchange(t, "127.0.0.3", d.addr(2), "x"); got != "" {
		t.Errorf("refused client got %q", got)
	}

	var recs []sessionJSON
	deadline := time.Now().Add(15 * time.Second)
	for {
		if recs = sessionRecords(t, jsonPath); len(recs) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(jsonPath)
	if len(recs) != 3 {
		t.Fatalf("%d session-end records, want 3:\n%s", len(recs), b)
	}
	byService := map[string]sessionJSON{}
	for _, r := range recs {
		byService[r.Service] = r
		// Common to all: the endpoints, and a duration that is the
		// time from start to end (to the microsecond of the encoding).
		if r.Client == nil || r.Server == nil || r.Server.Addr != "127.0.0.1" || r.Client.Port == 0 || r.Verdict != "" {
			t.Errorf("%s: endpoints %+v %+v, verdict %q", r.Service, r.Client, r.Server, r.Verdict)
		}
		if d := r.Time.Sub(r.Start) - time.Duration(r.Duration*1e9); d < -2*time.Microsecond || d > 2*time.Microsecond || r.Duration < 0 {
			t.Errorf("%s: start %v, end %v, duration %v s", r.Service, r.Start, r.Time, r.Duration)
		}
		if r.Start.IsZero() || time.Since(r.Start) > time.Minute {
			t.Errorf("%s: start %v", r.Service, r.Start)
		}
	}
	svc := func(i int) string { return fmt.Sprintf("127.0.0.1:%d/tcp4", d.ports[i]) }

	r := byService[svc(0)]
	if r.Daemon != "exit3" || r.Kind != "program" || r.Client.Addr != "127.0.0.1" || r.Server.Port != d.ports[0] || r.PID != exitPID ||
		r.Exit == nil || !r.Exit.Exited || r.Exit.Code == nil || *r.Exit.Code != 3 || r.BytesIn != nil || r.Error != "" {
		t.Errorf("exit 3: %+v (exit %+v), want daemon exit3, pid %d, code 3", r, r.Exit, exitPID)
	}
	r = byService[svc(1)]
	if r.Daemon != "killed" || r.Kind != "program" || r.PID != killedPID ||
		r.Exit == nil || r.Exit.Exited || r.Exit.Code != nil || r.Exit.Signal != 15 || r.Exit.SignalName != "SIGTERM" {
		t.Errorf("killed: %+v (exit %+v), want pid %d, SIGTERM", r, r.Exit, killedPID)
	}
	r = byService[svc(2)]
	if r.Daemon != "fwd" || r.Kind != "redirect" || r.Client.Addr != "127.0.0.2" || r.PID != 0 || r.Exit != nil ||
		r.BytesIn == nil || *r.BytesIn != sent || r.BytesOut == nil || *r.BytesOut != answer || r.Error != "" {
		t.Errorf("redirect: %+v, want %d bytes in, %d out", r, sent, answer)
	}

	// The log host: RFC 5424 with the session as structured data.
	var sd []string
	deadline = time.Now().Add(15 * time.Second)
	for len(sd) < 3 && time.Now().Before(deadline) {
		sd = sd[:0]
		for _, l := range central.Lines() {
			if l.MsgID == "session-end" {
				sd = append(sd, l.StructuredData)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	all := strings.Join(sd, "\n")
	for _, want := range []string{
		fmt.Sprintf(`[tcpwrap-session@32473 service="%s" daemon="exit3" kind="program" client="127.0.0.1"`, svc(0)),
		fmt.Sprintf(`pid="%d" exited="true" exit_code="3"]`, exitPID),
		fmt.Sprintf(`pid="%d" exited="false" signal="15" signal_name="SIGTERM"]`, killedPID),
		fmt.Sprintf(`[tcpwrap-session@32473 service="%s" daemon="fwd" kind="redirect" client="127.0.0.2"`, svc(2)),
		fmt.Sprintf(`bytes_in="%d" bytes_out="%d"]`, sent, answer),
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the log host has no %s in:\n%s", want, all)
		}
	}

	// The local syslog daemon: the records as JSON from tcpwrap, and
	// the classic text lines (--log-session-end) under the daemons'
	// names.
	d.log.WaitFor(t, fmt.Sprintf("[daemon.info] exit3[PID]: session end: service=%s daemon=exit3 kind=program client=127.0.0.1:", svc(0)))
	d.log.WaitFor(t, fmt.Sprintf(" pid=%d status=signal:15 duration=", killedPID))
	d.log.WaitFor(t, fmt.Sprintf(" in=%d out=%d", sent, answer))
	if n := len(d.log.Matching(`tcpwrap[PID]: {"time":`)); n < 7 {
		// 4 decisions and 3 session ends.
		t.Errorf("%d structured messages from tcpwrap, want 7:\n%s", n, strings.Join(d.log.Lines(), "\n"))
	}
	if n := len(d.log.Matching(`"event":"session-end"`)); n != 3 {
		t.Errorf("%d structured session ends in syslog, want 3", n)
	}

	// tcpdwatch's reader: the four decisions, nothing from the session
	// ends, nothing malformed.
	f, err := os.Open(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var granted, refused int
	st, err := logscan.Scan(f, logscan.Options{Format: logscan.JSONLines, Parse: parse.Config{}}, func(ev watch.Event) {
		switch ev.Verdict {
		case watch.Granted:
			granted++
		case watch.Refused:
			refused++
			if ev.Addr.String() != "127.0.0.3" {
				t.Errorf("refusal of %v", ev.Addr)
			}
		}
	})
	if err != nil || st.Malformed != 0 || st.Ambiguous != 0 || granted != 3 || refused != 1 || st.Events != 4 {
		t.Errorf("tcpdwatch's reader: %+v, %d granted, %d refused (want 3 and 1, nothing malformed), %v\n%s", st, granted, refused, err, b)
	}
}
