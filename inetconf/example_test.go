package inetconf_test

import (
	"fmt"
	"strings"

	"tcpwrap/inetconf"
)

func ExampleParse() {
	services, _, _ := inetconf.ParseServices(strings.NewReader(
		"finger 79/tcp\ndaytime 13/tcp\ndaytime 13/udp\n"), "/etc/services")
	conf := `# comment
finger  stream tcp4 nowait nobody /usr/sbin/tcpd in.fingerd -w
daytime stream tcp  nowait root   internal
127.0.0.1:2323 stream tcp4 nowait.10 daemon:daemon /usr/sbin/in.telnetd
nosuch  stream tcp4 nowait root   /bin/true
`
	svcs, warns, err := inetconf.Parse(strings.NewReader(conf), "/etc/inetd.conf", inetconf.Options{Ports: services})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range svcs {
		fmt.Printf("%s (line %d)", s.Key(), s.Line)
		switch {
		case s.Builtin != "":
			fmt.Printf(": built-in %s\n", s.Builtin)
		case s.Tcpd != nil:
			fmt.Printf(": check %s, then run %s %q as %s\n", s.Tcpd.Daemon, s.Tcpd.Path, s.Tcpd.Argv, s.User)
		default:
			fmt.Printf(": run %s %q as %s:%s, at most %d a minute\n", s.Server, s.Argv, s.User, s.Group, s.Max)
		}
	}
	for _, w := range warns {
		fmt.Println(w)
	}
	// Output:
	// tcp4 0.0.0.0:79 (line 2): check in.fingerd, then run /usr/sbin/in.fingerd ["in.fingerd" "-w"] as nobody
	// tcp4 0.0.0.0:13 (line 3): built-in daytime
	// tcp6 [::]:13 (line 3): built-in daytime
	// tcp4 127.0.0.1:2323 (line 4): run /usr/sbin/in.telnetd ["in.telnetd"] as daemon:daemon, at most 10 a minute
	// /etc/inetd.conf:5: unknown service "nosuch" (tcp4): not a port number and not in the services table for "tcp": skipped
}

func ExampleParseServices() {
	tab, warns, _ := inetconf.ParseServices(strings.NewReader(`
ssh     22/tcp              # SSH Remote Login Protocol
finger  79/tcp
discard 9/udp   sink null
broken  80
`), "/etc/services")
	for _, q := range [][2]string{{"ssh", "tcp"}, {"null", "udp"}, {"finger", "udp"}} {
		port, ok := tab.Port(q[0], q[1])
		fmt.Println(q[0], q[1], port, ok)
	}
	fmt.Println(warns[0])
	// Output:
	// ssh tcp 22 true
	// null udp 9 true
	// finger udp 0 false
	// /etc/services:5: service "broken": "80" is not port/protocol: ignored
}
