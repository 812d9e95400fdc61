// Command democlient is the client of scripts/demo: it connects from a
// chosen loopback source address (to play a different host), sends an
// optional line, and prints what the service answered. It also plays the
// standalone daemon that the demo's redirect service relays to.
//
//	democlient -from 127.0.0.2 -to 127.0.0.1:7007 [-send text] [-udp]
//	democlient -serve 127.0.0.1:7008 -reply text   answer each request line with text
//	democlient -free-ports N
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	from := flag.String("from", "127.0.0.1", "source address")
	to := flag.String("to", "", "service host:port")
	send := flag.String("send", "", "line to send")
	udp := flag.Bool("udp", false, "one datagram instead of a connection")
	freePorts := flag.Int("free-ports", 0, "print this many free TCP ports on 127.0.0.1 and exit")
	serveAddr := flag.String("serve", "", "serve on this address: read a line, answer -reply and the line, close")
	reply := flag.String("reply", "hello", "what -serve answers")
	flag.Parse()
	if *serveAddr != "" {
		serve(*serveAddr, *reply)
		return
	}
	if *freePorts > 0 {
		var ls []net.Listener
		for range *freePorts {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			ls = append(ls, l)
			fmt.Println(l.Addr().(*net.TCPAddr).Port)
		}
		for _, l := range ls {
			l.Close()
		}
		return
	}
	network, laddr := "tcp", net.Addr(&net.TCPAddr{IP: net.ParseIP(*from)})
	if *udp {
		network, laddr = "udp", &net.UDPAddr{IP: net.ParseIP(*from)}
	}
	d := net.Dialer{LocalAddr: laddr, Timeout: 5 * time.Second}
	c, err := d.Dial(network, *to)
	if err != nil {
		fmt.Printf("  %s -> %s: %v\n", *from, *to, err)
		os.Exit(1)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if *send != "" || *udp {
		c.Write([]byte(*send + "\n"))
	}
	var b []byte
	if *udp {
		buf := make([]byte, 65536)
		n, _ := c.Read(buf)
		b = buf[:n]
	} else {
		b, _ = io.ReadAll(c)
	}
	out := strings.TrimRight(string(b), "\r\n")
	if out == "" {
		out = "(closed without a word: refused)"
	}
	fmt.Printf("  %s -> %s: %s\n", *from, *to, strings.ReplaceAll(out, "\n", "\n      "))
}

// serve is a standalone daemon: for each connection it reads one line
// and answers with reply and what it read.
func serve(addr, reply string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "%s (you sent %q)\n", reply, strings.TrimRight(line, "\r\n"))
		}()
	}
}
