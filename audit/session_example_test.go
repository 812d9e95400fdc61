package audit_test

import (
	"fmt"
	"os"
	"time"

	"tcpwrap/audit"
)

// The end of a redirect session, as the JSON-lines file and syslog's
// classic destinations receive it.
func ExampleSessionRecord() {
	start := time.Date(2026, 11, 27, 4, 5, 6, 0, time.UTC)
	r := &audit.SessionRecord{
		Time:    start.Add(1204 * time.Millisecond),
		Service: "127.0.0.1:2222/tcp4", Daemon: "sshd", Kind: "redirect",
		Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000},
		Start:  start, Duration: 1204 * time.Millisecond,
		BytesCounted: true, BytesIn: 1020, BytesOut: 34567,
	}
	os.Stdout.Write(r.AppendJSON(nil))
	fmt.Println(r.Text())
	// Output:
	// {"time":"2026-11-27T04:05:07.204000Z","event":"session-end","service":"127.0.0.1:2222/tcp4","daemon":"sshd","kind":"redirect","client":{"addr":"192.0.2.7","port":40000},"start":"2026-11-27T04:05:06.000000Z","duration_s":1.204000,"bytes_in":1020,"bytes_out":34567}
	// session end: service=127.0.0.1:2222/tcp4 daemon=sshd kind=redirect client=192.0.2.7:40000 duration=1.204s in=1020 out=34567
}

// A program that exited with status 3, as a log host receives it: RFC
// 5424 with the record as structured data.
func ExampleSessionRecord_Message() {
	end := time.Date(2026, 11, 27, 4, 5, 6, 0, time.UTC)
	r := &audit.SessionRecord{Time: end, Service: "127.0.0.1:7000/tcp4", Kind: "program",
		Duration: 25 * time.Millisecond, PID: 4243, Exit: &audit.ExitStatus{Exited: true, Code: 3}}
	m := r.Message(audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, "tcpwrapd", 4242)
	fmt.Println(string(m.Append5424(nil, "gate")))
	// Output:
	// <30>1 2026-11-27T04:05:06.000000Z gate tcpwrapd 4242 session-end [tcpwrap-session@32473 service="127.0.0.1:7000/tcp4" kind="program" duration_s="0.025000" pid="4243" exited="true" exit_code="3"] session end: service=127.0.0.1:7000/tcp4 kind=program pid=4243 status=exit:3 duration=0.025s
}
