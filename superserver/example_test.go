package superserver_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/user"
	"strings"
	"time"

	"tcpwrap/inetconf"
	"tcpwrap/superserver"
)

// A server with one service, /bin/echo run as the current user, on a
// port the kernel had free.
func ExampleServer() {
	l, _ := net.Listen("tcp4", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	me, _ := user.Current()
	conf := fmt.Sprintf("127.0.0.1:%d stream tcp4 nowait %s /bin/echo echo hello from echo\n", port, me.Username)
	services, warnings, err := inetconf.Parse(strings.NewReader(conf), "inetd.conf", inetconf.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := superserver.New(superserver.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if problems, err := srv.Load(services, warnings, true); err != nil {
		fmt.Println(problems, err)
		return
	}
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	reply, _ := io.ReadAll(c)
	c.Close()
	fmt.Print(string(reply))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	// Output: hello from echo
}

func ExampleParseTarget() {
	for _, s := range []string{"127.0.0.1:2222", "[::1]:22", "backend.example.org:8080", "127.0.0.1", "h:70000"} {
		host, port, err := superserver.ParseTarget(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(host, port)
	}
	// Output:
	// 127.0.0.1 2222
	// ::1 22
	// backend.example.org 8080
	// bad redirect target "127.0.0.1": want HOST:PORT
	// bad redirect target "h:70000": port 70000 is out of range
}

func ExampleParseRlimit() {
	for _, s := range []string{"nofile=1024", "core=0:unlimited", "cpu=-1"} {
		r, err := superserver.ParseRlimit(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(r)
	}
	// Output:
	// nofile=1024:1024
	// core=0:unlimited
	// resource limit "cpu=-1": "-1" is not a number
}

func ExampleSessionEnd_Text() {
	e := superserver.SessionEnd{Service: "ssh/tcp", Daemon: "sshd", Kind: "redirect", Duration: 1204 * time.Millisecond,
		BytesIn: 1020, BytesOut: 34567}
	fmt.Println(e.Text())
	// Output: session end: service=ssh/tcp daemon=sshd kind=redirect duration=1.204s in=1020 out=34567
}
