// Command load is the redirect target and the syslog sink of
// bench/superserver-compare and bench/tcpd-compare (their client is
// bench/loadclient, in C).
//
//	load -serve HOST:PORT -reply TEXT   a server that answers TEXT and closes
//	load -sink PATH                     discards datagrams sent to a Unix socket
//
// The server closes first, so that the TIME_WAIT states are its own and
// the clients' ports do not run out.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	serve := flag.String("serve", "", "serve -reply on this address")
	reply := flag.String("reply", "hi\n", "what -serve answers")
	sink := flag.String("sink", "", "discard datagrams sent to this Unix socket path")
	flag.Parse()
	switch {
	case *sink != "":
		os.Remove(*sink)
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: *sink, Net: "unixgram"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		os.Chmod(*sink, 0o666)
		buf := make([]byte, 1<<16)
		for {
			if _, err := conn.Read(buf); err != nil {
				os.Exit(0)
			}
		}
	case *serve != "":
		l, err := net.Listen("tcp", *serve)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		for {
			conn, err := l.Accept()
			if err != nil {
				continue
			}
			go func() {
				io.WriteString(conn, *reply)
				conn.Close()
			}()
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: load -serve HOST:PORT [-reply TEXT] | load -sink PATH")
		os.Exit(2)
	}
}
