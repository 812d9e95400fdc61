// Command fakedaemon is the "real daemon" of the tcpd tests (package
// tcpdtest), like in.fake of tricky-cases.md: it reports what tcpd passed
// on to it. On a stream socket it writes
//
//	ARGV: [argv0] [argv1] ...
//	DAEMON uid=U gid=G groups=[..] umask=022 nice=N keepalive=K linger=(on, secs) FOO=...
//
// to fd 0 and exits. On a datagram socket (a UDP "wait" service) it reads
// one datagram and answers its sender with the same two lines followed by
// got="<the datagram>".
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func main() {
	var b strings.Builder
	b.WriteString("ARGV:")
	for _, a := range os.Args {
		fmt.Fprintf(&b, " [%s]", a)
	}
	b.WriteString("\n")
	groups, _ := unix.Getgroups()
	gs := make([]string, len(groups))
	for i, g := range groups {
		gs[i] = strconv.Itoa(g)
	}
	mask := unix.Umask(0)
	unix.Umask(mask)
	prio, _ := unix.Getpriority(unix.PRIO_PROCESS, 0)
	keep, _ := unix.GetsockoptInt(0, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
	l, _ := unix.GetsockoptLinger(0, unix.SOL_SOCKET, unix.SO_LINGER)
	if l == nil {
		l = &unix.Linger{}
	}
	foo := "None"
	if v, ok := os.LookupEnv("FOO"); ok {
		foo = strconv.Quote(v)
	}
	fmt.Fprintf(&b, "DAEMON uid=%d gid=%d groups=[%s] umask=%03o nice=%d keepalive=%d linger=(%d, %d) FOO=%s",
		unix.Getuid(), unix.Getgid(), strings.Join(gs, ","), mask, 20-prio, keep, l.Onoff, l.Linger, foo)

	typ, err := unix.GetsockoptInt(0, unix.SOL_SOCKET, unix.SO_TYPE)
	if err == nil && typ == unix.SOCK_DGRAM {
		buf := make([]byte, 65536)
		n, from, err := unix.Recvfrom(0, buf, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakedaemon: recvfrom:", err)
			os.Exit(1)
		}
		fmt.Fprintf(&b, " got=%q\n", buf[:n])
		if err := unix.Sendto(0, []byte(b.String()), 0, from); err != nil {
			os.Exit(1)
		}
		return
	}
	b.WriteString("\n")
	unix.Write(0, []byte(b.String()))
}
