package inetcf_test

import (
	"fmt"

	"tcpwrap/internal/inetcf"
)

// Example shows what Debian's tcpdmatch does with the scan: analyse
// inetd.conf, force portmap and rpcbind to "not wrapped", then check the
// daemon operand. Every line would go to syslog.
func Example() {
	fsys := debianTree("base", "/srv")
	fsys.set("/srv/inetd.conf", fileData(0o644,
		"telnet stream tcp nowait root /usr/sbin/tcpd in.telnetd\n"+
			"direct stream tcp nowait root /usr/sbin/tcpdmatch tcpdmatch\n"))

	tab, warnings, err := inetcf.Scan(fsys, "/srv/inetd.conf", "/usr/sbin")
	if err != nil {
		fmt.Println(err) // tcpdmatch prints this on stderr and exits 1
		return
	}
	for _, name := range inetcf.TcpdmatchNotWrapped {
		tab.Register(name, inetcf.NotWrapped)
	}
	for _, w := range warnings {
		fmt.Println(w)
	}
	for _, daemon := range []string{"in.telnetd", "tcpdmatch", "portmap", "sshd"} {
		if w := tab.CheckDaemon(daemon); w != "" {
			fmt.Println(w)
		}
	}
	// Output:
	// warning: /srv/inetd.conf, line 1: in.telnetd: not found in /usr/sbin: No such file or directory
	// warning: tcpdmatch: service possibly not wrapped
	// warning: portmap: service possibly not wrapped
	// warning: sshd: no such process name in /srv/inetd.conf
}
