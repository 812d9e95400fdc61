// Command gensyslog writes a syslog file as Debian's rsyslog writes it
// (the traditional file format), for bench/tcpdwatch-scan: a quarter of
// the lines are tcpd's (grants and refusals, IPv4 and IPv6, some with
// user and host names), openbsd-inetd's and xinetd's; the rest is other
// programs' noise, some of which mentions "connect from". The output is
// deterministic for a seed. The last line is stamped -end (default now),
// the lines before it about a second apart.
//
//	gensyslog -size BYTES [-seed N] [-end RFC3339] > file
//
// It prints on standard error how many lines it wrote and how many of
// them are tcpd-style events.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

var noise = []string{
	"sshd[%d]: Accepted publickey for root from 192.0.2.%d port %d ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4cXV1eHh5enp5enp5",
	"sshd[%d]: Invalid user refused connect from 198.51.100.%d (198.51.100.66) from 203.0.113.7 port %d",
	"sshd[%d]: pam_unix(sshd:session): session closed for user alice%d %d",
	"CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1) %d %d",
	"postfix/smtpd[%d]: connect from unknown[203.0.113.%d] port %d",
	"postfix/smtpd[%d]: disconnect from unknown[203.0.113.%d] ehlo=1 auth=0/1 quit=1 commands=2/3 %d",
	"systemd[%d]: Started session-%d.scope - Session %d of User alice.",
	"dhclient[%d]: DHCPREQUEST for 192.0.2.%d on eth0 to 192.0.2.1 port %d",
}

var daemons = []string{"in.fingerd", "in.ftpd", "in.telnetd", "sshd", "in.tftpd"}

func main() {
	size := flag.Int64("size", 1<<30, "bytes to write (the last line may end past it)")
	seed := flag.Uint64("seed", 42, "random seed")
	endFlag := flag.String("end", "", "time stamp of the last line, RFC 3339 (default now)")
	flag.Parse()
	end := time.Now()
	if *endFlag != "" {
		var err error
		if end, err = time.Parse(time.RFC3339, *endFlag); err != nil {
			fmt.Fprintln(os.Stderr, "gensyslog:", err)
			os.Exit(2)
		}
	}
	rng := rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15))
	// About 105 bytes a line, one second apart on average.
	lines := *size / 105
	t := end.Add(-time.Duration(lines) * time.Second)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var written, n, events int64
	var b []byte
	for written < *size {
		t = t.Add(time.Duration(rng.IntN(2000)) * time.Millisecond)
		if t.After(end) {
			t = end
		}
		b = t.AppendFormat(b[:0], time.Stamp)
		b = append(b, " gate "...)
		pid := 1000 + rng.IntN(30000)
		c := rng.IntN(250) + 1
		switch r := rng.IntN(100); {
		case r < 12:
			events++
			d := daemons[rng.IntN(len(daemons))]
			b = fmt.Appendf(b, "%s[%d]: refused connect from 198.51.100.%d (198.51.100.%d)", d, pid, c, c)
		case r < 16:
			events++
			d := daemons[rng.IntN(len(daemons))]
			b = fmt.Appendf(b, "%s[%d]: refused connect from 2001:db8:%x:%x::%x (2001:db8:%x:%x::%x)", d, pid, c, c%7, c, c, c%7, c)
		case r < 21:
			events++
			d := daemons[rng.IntN(len(daemons))]
			b = fmt.Appendf(b, "%s[%d]: connect from host%d.example.org (192.0.2.%d)", d, pid, c, c)
		case r < 23:
			events++
			d := daemons[rng.IntN(len(daemons))]
			b = fmt.Appendf(b, "%s[%d]: connect from user%d@host%d.example.org (192.0.2.%d)", d, pid, c, c, c)
		case r < 24:
			events++
			b = fmt.Appendf(b, "inetd[%d]: refused connection from 203.0.113.%d, service finger (tcp)", pid, c)
		case r < 25:
			events++
			b = fmt.Appendf(b, "xinetd[%d]: FAIL: telnet libwrap from=203.0.113.%d", pid, c)
		default:
			b = fmt.Appendf(b, noise[rng.IntN(len(noise))], pid, c, rng.IntN(65536))
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			fmt.Fprintln(os.Stderr, "gensyslog:", err)
			os.Exit(1)
		}
		written += int64(len(b))
		n++
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gensyslog:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gensyslog: %d bytes, %d lines, %d events\n", written, n, events)
}
