package logscan_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// syslogGen generates a syslog file as rsyslog writes it with the
// traditional template: a mix of tcpd's lines (grants and refusals,
// with and without names and users, IPv4 and IPv6), openbsd-inetd's
// and xinetd's lines, and other programs' noise (sshd, CRON, kernel,
// postfix, systemd), some of which mentions "connect from". It is an
// io.Reader of unlimited length (or limit bytes), deterministic for a
// seed, and counts the lines that must make Events.
type syslogGen struct {
	rng    *rand.Rand
	t      time.Time
	buf    []byte
	off    int
	limit  int64 // 0: no limit
	read   int64
	events int64 // lines generated that make an Event
	lines  int64
}

func newSyslogGen(seed uint64, limit int64) *syslogGen {
	return &syslogGen{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		t:     time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		limit: limit,
	}
}

var noise = []string{
	"sshd[%d]: Accepted publickey for root from 192.0.2.%d port %d ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4cXV1eHh5enp5enp5",
	"sshd[%d]: Invalid user refused connect from 198.51.100.%d (198.51.100.66) from 203.0.113.7 port %d",
	"sshd[%d]: pam_unix(sshd:session): session closed for user alice%d %d",
	"CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1) %d %d",
	"postfix/smtpd[%d]: connect from unknown[203.0.113.%d] port %d",
	"postfix/smtpd[%d]: disconnect from unknown[203.0.113.%d] ehlo=1 auth=0/1 quit=1 commands=2/3 %d",
	"systemd[%d]: Started session-%d.scope - Session %d of User alice.",
	"kernel: [%d.%06d] IN=eth0 OUT= MAC=00:11:22:33:44:55 SRC=203.0.113.%d DST=192.0.2.1 LEN=60 PROTO=TCP",
	"dhclient[%d]: DHCPREQUEST for 192.0.2.%d on eth0 to 192.0.2.1 port %d",
	"rsyslogd[%d]: action 'action-%d-builtin:omfile' resumed (module 'builtin:omfile') [v8.2302.0 try https://www.rsyslog.com/e/%d ]",
}

// line appends one generated line.
func (g *syslogGen) line(b []byte) []byte {
	g.t = g.t.Add(time.Duration(g.rng.IntN(2000)) * time.Millisecond)
	b = g.t.AppendFormat(b, time.Stamp)
	b = append(b, " gate "...)
	r := g.rng.IntN(100)
	pid := 1000 + g.rng.IntN(30000)
	c := g.rng.IntN(250) + 1
	g.lines++
	switch {
	case r < 12:
		g.events++
		b = fmt.Appendf(b, "in.fingerd[%d]: refused connect from 192.0.2.%d (192.0.2.%d)", pid, c, c)
	case r < 18:
		g.events++
		b = fmt.Appendf(b, "in.ftpd[%d]: connect from host%d.example.org (198.51.100.%d)", pid, c, c)
	case r < 21:
		g.events++
		b = fmt.Appendf(b, "sshd[%d]: refused connect from alice@2001:db8::%x (2001:db8::%x)", pid, c, c)
	case r < 24:
		g.events++
		b = fmt.Appendf(b, "inetd[%d]: refused connection from 192.0.2.%d, service finger (tcp)", pid, c)
	case r < 26:
		g.events++
		b = fmt.Appendf(b, "xinetd[%d]: FAIL: telnet libwrap from=203.0.113.%d", pid, c)
	default:
		n := noise[g.rng.IntN(len(noise))]
		b = fmt.Appendf(b, n, pid, c, g.rng.IntN(60000))
	}
	return append(b, '\n')
}

func (g *syslogGen) Read(p []byte) (int, error) {
	if g.off == len(g.buf) {
		if g.limit > 0 && g.read >= g.limit {
			return 0, io.EOF
		}
		g.buf, g.off = g.buf[:0], 0
		for len(g.buf) < 64<<10 && (g.limit == 0 || g.read+int64(len(g.buf)) < g.limit) {
			g.buf = g.line(g.buf)
		}
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	g.read += int64(n)
	return n, nil
}
