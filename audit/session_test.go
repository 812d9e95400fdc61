package audit_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var sessionStart = time.Date(2026, 11, 27, 4, 5, 6, 789012000, time.UTC)

// sessionCases are the session ends the golden files hold.
var sessionCases = []struct {
	name string
	rec  audit.SessionRecord
}{
	// A program that exited with status 3.
	{"program exit 3", audit.SessionRecord{Service: "127.0.0.1:7000/tcp4", Daemon: "in.fake", Kind: "program",
		Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 7000},
		Duration: 25 * time.Millisecond, PID: 4243, Exit: &audit.ExitStatus{Exited: true, Code: 3}}},
	// A program killed by a signal, not checked (no daemon name).
	{"program killed", audit.SessionRecord{Service: "127.0.0.1:7001/tcp4", Kind: "program",
		Client: audit.Endpoint{Addr: "192.0.2.8", Port: 40001}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 7001},
		Duration: 3*time.Second + 500*time.Microsecond, PID: 4244, Exit: &audit.ExitStatus{Signal: syscall.SIGKILL}}},
	// A redirect service that moved bytes both ways, over IPv6.
	{"redirect", audit.SessionRecord{Service: "[::1]:2222/tcp6", Daemon: "sshd", Kind: "redirect",
		Client: audit.Endpoint{Addr: "::1", Port: 40002}, Server: audit.Endpoint{Addr: "::1", Port: 2222},
		Duration: 1204 * time.Millisecond, BytesCounted: true, BytesIn: 1020, BytesOut: 34567}},
	// A redirect whose target refused: no bytes, an error.
	{"redirect failed", audit.SessionRecord{Service: "127.0.0.1:2223/tcp4", Daemon: "fwd", Kind: "redirect",
		Client: audit.Endpoint{Addr: "192.0.2.9", Port: 40003}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 2223},
		Duration: 2 * time.Millisecond, BytesCounted: true,
		Err: "dial tcp 127.0.0.1:1: connect: connection refused"}},
	// A built-in counts its bytes; the classic text has no in=/out=.
	{"builtin", audit.SessionRecord{Service: "127.0.0.1:7/tcp4", Daemon: "echo", Kind: "builtin",
		Client: audit.Endpoint{Addr: "127.0.0.3", Port: 40004}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 7},
		Duration: time.Microsecond, BytesCounted: true, BytesIn: 4, BytesOut: 4}},
	// An error with what a hostile peer could put in it: it stays one
	// line and one value in every form.
	{"hostile error", audit.SessionRecord{Service: "127.0.0.1:7002/tcp4", Daemon: "fwd", Kind: "redirect",
		Client:       audit.Endpoint{Addr: "192.0.2.10", Port: 1},
		BytesCounted: true, Err: "x\nNov 27 04:05:06 gate sshd[1]: Accepted\r\x00\"]\\ \xff\u2028"}},
	// A twist command that exited 0, with no start time known.
	{"twist", audit.SessionRecord{Service: "127.0.0.1:7003/tcp4", Daemon: "in.fake", Kind: "twist", PID: 77,
		Exit: &audit.ExitStatus{Exited: true}}},
}

// sessionRecord returns case i with its times filled in.
func sessionRecord(i int) *audit.SessionRecord {
	r := sessionCases[i].rec
	if r.Kind != "twist" {
		r.Start = sessionStart
	}
	r.Time = sessionStart.Add(r.Duration)
	return &r
}

// The JSON, RFC 5424 and classic forms of session ends, against
// testdata/session.golden.
func TestSessionGolden(t *testing.T) {
	var b bytes.Buffer
	for i, c := range sessionCases {
		r := sessionRecord(i)
		m := r.Message(audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, "tcpwrapd", 4242)
		fmt.Fprintf(&b, "## %s\n", c.name)
		b.Write(r.AppendJSON(nil))
		b.Write(m.Append5424(nil, "gate"))
		b.WriteString("\n")
		b.Write(m.Append3164(nil))
		b.WriteString("\n")
	}
	golden := filepath.Join("testdata", "session.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("session encodings differ from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

// The JSON form is JSON with the documented members and types, and the
// Record that carries a session writes exactly the session's JSON.
func TestSessionJSONFields(t *testing.T) {
	for i, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			r := sessionRecord(i)
			line := r.AppendJSON(nil)
			if !bytes.Equal(line, (&audit.Record{Verdict: "granted", Session: r}).AppendJSON(nil)) {
				t.Errorf("Record with Session writes something else than the session")
			}
			var v struct {
				Time    time.Time `json:"time"`
				Event   string    `json:"event"`
				Service string    `json:"service"`
				Daemon  *string   `json:"daemon"`
				Kind    string    `json:"kind"`
				Client  *struct {
					Addr string
					Port int
				}
				Server *struct {
					Addr string
					Port int
				}
				Start    *time.Time `json:"start"`
				Duration float64    `json:"duration_s"`
				PID      *int       `json:"pid"`
				Exit     *struct {
					Exited     bool   `json:"exited"`
					Code       *int   `json:"code"`
					Signal     *int   `json:"signal"`
					SignalName string `json:"signal_name"`
				} `json:"exit"`
				BytesIn  *int64 `json:"bytes_in"`
				BytesOut *int64 `json:"bytes_out"`
				Error    string `json:"error"`
				Verdict  *string
			}
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			if !v.Time.Equal(r.Time) || v.Event != "session-end" || v.Service != r.Service || v.Kind != r.Kind || v.Verdict != nil {
				t.Errorf("header members wrong: %+v", v)
			}
			if (v.Daemon != nil) != (r.Daemon != "") || (v.Daemon != nil && *v.Daemon != r.Daemon) {
				t.Errorf("daemon %v, want %q", v.Daemon, r.Daemon)
			}
			for _, e := range []struct {
				got *struct {
					Addr string
					Port int
				}
				want audit.Endpoint
			}{{v.Client, r.Client}, {v.Server, r.Server}} {
				if (e.got == nil) != (e.want == audit.Endpoint{}) || (e.got != nil && (e.got.Addr != e.want.Addr || e.got.Port != e.want.Port)) {
					t.Errorf("endpoint %+v, want %+v", e.got, e.want)
				}
			}
			if (v.Start == nil) != r.Start.IsZero() || (v.Start != nil && !v.Start.Equal(r.Start)) {
				t.Errorf("start %v, want %v", v.Start, r.Start)
			}
			if time.Duration(v.Duration*1e9+0.5) != r.Duration.Truncate(time.Microsecond) {
				t.Errorf("duration_s %v, want %v", v.Duration, r.Duration)
			}
			if (v.PID != nil) != (r.PID != 0) || (v.PID != nil && *v.PID != r.PID) {
				t.Errorf("pid %v, want %d", v.PID, r.PID)
			}
			switch e := r.Exit; {
			case e == nil:
				if v.Exit != nil {
					t.Errorf("exit %+v for no process", v.Exit)
				}
			case e.Exited:
				if v.Exit == nil || !v.Exit.Exited || v.Exit.Code == nil || *v.Exit.Code != e.Code || v.Exit.Signal != nil {
					t.Errorf("exit %+v, want code %d", v.Exit, e.Code)
				}
			default:
				if v.Exit == nil || v.Exit.Exited || v.Exit.Code != nil || v.Exit.Signal == nil || *v.Exit.Signal != int(e.Signal) ||
					v.Exit.SignalName != sigName(e.Signal) {
					t.Errorf("exit %+v, want signal %d", v.Exit, e.Signal)
				}
			}
			if r.BytesCounted != (v.BytesIn != nil && v.BytesOut != nil) ||
				(r.BytesCounted && (*v.BytesIn != r.BytesIn || *v.BytesOut != r.BytesOut)) {
				t.Errorf("bytes %v %v, want %v %d %d", v.BytesIn, v.BytesOut, r.BytesCounted, r.BytesIn, r.BytesOut)
			}
			if v.Error != audit.Clean(r.Err, audit.MaxText) {
				t.Errorf("error %q, want %q", v.Error, audit.Clean(r.Err, audit.MaxText))
			}
		})
	}
}

// sigName is the name the test expects for the signals it uses.
func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return ""
}

// sdParams reads the parameters of the SD-ELEMENT with the given ID from
// an RFC 5424 message, unescaping \" \\ \] (a test's own small reader).
func sdParams(t *testing.T, msg, id string) (msgID string, params map[string][]string) {
	t.Helper()
	f := strings.SplitN(msg, " ", 7)
	if len(f) < 7 {
		t.Fatalf("not RFC 5424: %q", msg)
	}
	msgID, rest := f[5], f[6]
	if !strings.HasPrefix(rest, "["+id+" ") {
		t.Fatalf("no [%s ...] first in %q", id, rest)
	}
	rest = rest[len(id)+1:]
	params = map[string][]string{}
	for len(rest) > 0 && rest[0] == ' ' {
		eq := strings.Index(rest, `="`)
		if eq < 0 {
			t.Fatalf("bad parameter at %q", rest)
		}
		name := rest[1:eq]
		rest = rest[eq+2:]
		var v strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) && strings.IndexByte(`"\]`, rest[i+1]) >= 0 {
				i++
			} else if rest[i] == ']' {
				t.Fatalf("unescaped ] in %q", rest)
			}
			v.WriteByte(rest[i])
		}
		if i == len(rest) {
			t.Fatalf("unterminated value in %q", msg)
		}
		params[name] = append(params[name], v.String())
		rest = rest[i+1:]
	}
	if !strings.HasPrefix(rest, "] ") {
		t.Fatalf("element does not end in %q", rest)
	}
	return msgID, params
}

// The RFC 5424 form carries the same fields, each once, under
// tcpwrap-session@32473 and MSGID session-end, with the text after it.
func TestSessionSD(t *testing.T) {
	for i, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			r := sessionRecord(i)
			m := r.Message(audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, "tcpwrapd", 4242)
			msg := string(m.Append5424(nil, "gate"))
			id, p := sdParams(t, msg, audit.SessionSDID)
			if id != "session-end" {
				t.Errorf("MSGID %q", id)
			}
			want := map[string]string{"service": r.Service, "kind": r.Kind,
				"duration_s": strconv.FormatFloat(r.Duration.Seconds(), 'f', 6, 64)}
			if r.Daemon != "" {
				want["daemon"] = r.Daemon
			}
			if r.Client.Addr != "" {
				want["client"], want["client_port"] = r.Client.Addr, strconv.Itoa(r.Client.Port)
			}
			if r.Server.Addr != "" {
				want["server"], want["server_port"] = r.Server.Addr, strconv.Itoa(r.Server.Port)
			}
			if !r.Start.IsZero() {
				want["start"] = r.Start.Format("2006-01-02T15:04:05.000000Z07:00")
			}
			if r.PID != 0 {
				want["pid"] = strconv.Itoa(r.PID)
			}
			if e := r.Exit; e != nil && e.Exited {
				want["exited"], want["exit_code"] = "true", strconv.Itoa(e.Code)
			} else if e != nil {
				want["exited"], want["signal"], want["signal_name"] = "false", strconv.Itoa(int(e.Signal)), sigName(e.Signal)
			}
			if r.BytesCounted {
				want["bytes_in"], want["bytes_out"] = strconv.FormatInt(r.BytesIn, 10), strconv.FormatInt(r.BytesOut, 10)
			}
			if r.Err != "" {
				want["error"] = audit.Clean(r.Err, audit.MaxText)
			}
			for k, v := range p {
				if len(v) != 1 || v[0] != want[k] {
					t.Errorf("%s=%q, want %q", k, v, want[k])
				}
			}
			for k := range want {
				if _, ok := p[k]; !ok {
					t.Errorf("no %s parameter in %q", k, msg)
				}
			}
			if !strings.HasSuffix(msg, "] "+audit.Clean(r.Text(), audit.MaxText)) {
				t.Errorf("the text is not the message after the SD: %q", msg)
			}
		})
	}
}

// Text is the line tcpwrapd wrote before records were structured.
func TestSessionText(t *testing.T) {
	cases := []struct {
		rec  audit.SessionRecord
		want string
	}{
		{audit.SessionRecord{Service: "ssh/tcp", Daemon: "sshd", Kind: "redirect", Duration: 1204 * time.Millisecond, BytesCounted: true, BytesIn: 1020, BytesOut: 34567,
			Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000}},
			"session end: service=ssh/tcp daemon=sshd kind=redirect client=192.0.2.7:40000 duration=1.204s in=1020 out=34567"},
		{audit.SessionRecord{Service: "x/tcp6", Kind: "program", Client: audit.Endpoint{Addr: "::1", Port: 5}, PID: 9,
			Exit: &audit.ExitStatus{Signal: syscall.SIGTERM}, Duration: 1500 * time.Microsecond},
			"session end: service=x/tcp6 kind=program client=[::1]:5 pid=9 status=signal:15 duration=0.002s"},
		{audit.SessionRecord{Service: "x/tcp", Kind: "redirect", Err: "a \"b\"\n"},
			`session end: service=x/tcp kind=redirect duration=0.000s in=0 out=0 error="a \"b\"\n"`},
		{audit.SessionRecord{Service: "x/tcp", Kind: "builtin", BytesCounted: true, BytesIn: 3},
			"session end: service=x/tcp kind=builtin duration=0.000s"},
	}
	for _, c := range cases {
		if got := c.rec.Text(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

// Whatever the strings, every form stays one line and the JSON parses.
func FuzzSessionEncoders(f *testing.F) {
	f.Add("127.0.0.1:22/tcp4", "sshd", "redirect", "connect: refused", int64(5), 3, -1)
	f.Add("a\nb", "\x00]\"\\", "\xff\xfe", "\u2028", int64(-1), 0, 9)
	f.Fuzz(func(t *testing.T, service, daemon, kind, errText string, n int64, pid, sig int) {
		r := &audit.SessionRecord{Time: sessionStart, Start: sessionStart, Service: service, Daemon: daemon, Kind: kind,
			Client: audit.Endpoint{Addr: daemon, Port: pid}, PID: pid, BytesCounted: n >= 0, BytesIn: n, BytesOut: n,
			Duration: time.Duration(n), Err: errText}
		if sig >= 0 {
			r.Exit = &audit.ExitStatus{Exited: sig == 0, Code: pid, Signal: syscall.Signal(sig)}
		}
		m := r.Message(audit.GrantPriority, daemon, pid)
		j := m.Record.AppendJSON(nil)
		if strings.Count(string(j), "\n") != 1 || j[len(j)-1] != '\n' {
			t.Fatalf("JSON not one line: %q", j)
		}
		var v map[string]any
		if err := json.Unmarshal(j, &v); err != nil {
			t.Fatalf("JSON does not parse: %v: %q", err, j)
		}
		if v["event"] != "session-end" || v["verdict"] != nil {
			t.Fatalf("event %v, verdict %v", v["event"], v["verdict"])
		}
		for _, b := range [][]byte{m.Append3164(nil), m.Append5424(nil, "h")} {
			if strings.ContainsAny(string(b), "\n\r\x00") {
				t.Fatalf("line break in %q", b)
			}
		}
	})
}

func BenchmarkSessionEncode(b *testing.B) {
	r := sessionRecord(2)
	m := r.Message(audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, "sshd", 4242)
	var buf []byte
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
	b.Run("rfc5424", func(b *testing.B) {
		for b.Loop() {
			buf = m.Append5424(buf[:0], "host")
		}
	})
}
