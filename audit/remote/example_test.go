package remote_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/remote"
)

// A Sender ships decision records to a log host over TCP with octet
// counting. Here the log host is a listener that prints the first frame.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	frames := make(chan string)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		var n int
		fmt.Fscanf(r, "%d ", &n)
		msg := make([]byte, n)
		io.ReadFull(r, msg)
		frames <- fmt.Sprintf("%d %s", n, msg)
		io.Copy(io.Discard, r) // until the Sender closes
	}()

	s, err := remote.New(remote.Config{
		Network:  "tcp",
		Addr:     ln.Addr().String(),
		Hostname: "gw.example",
		SpoolDir: "", // no spool: records wait in memory only
	})
	if err != nil {
		log.Fatal(err)
	}
	s.Send(&audit.Message{
		Time:     time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		Priority: audit.Priority{Facility: audit.Auth, Severity: audit.Warning},
		AppName:  "in.telnetd",
		PID:      77,
		Text:     "refused connect from 198.51.100.9",
		Record: &audit.Record{
			Verdict: "denied", Reason: "deny-table", Daemon: "in.telnetd",
			Client: audit.Endpoint{Addr: "198.51.100.9", Port: 51000},
			Rule:   &audit.RuleRef{File: "/etc/hosts.deny", Line: 1, Text: "ALL: ALL"},
		},
	})
	fmt.Println(<-frames)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		log.Fatal(err)
	}
	st := s.Stats()
	fmt.Println("sent", st.Sent, "dropped", st.Dropped)
	// Output:
	// 293 <36>1 2024-05-06T07:08:09.000000Z gw.example in.telnetd 77 decision [tcpwrap@32473 verdict="denied" reason="deny-table" daemon="in.telnetd" client="198.51.100.9" client_port="51000" rule_file="/etc/hosts.deny" rule_line="1" rule="ALL: ALL" latency_us="0.000"] refused connect from 198.51.100.9
	// sent 1 dropped 0
}
