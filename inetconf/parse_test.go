package inetconf_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"tcpwrap/inetconf"
)

// summary is a Service on one line, for tables and golden files.
func summary(s inetconf.Service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s proto=%s host=%s", s.Line, s.Key(), s.Proto, s.Host)
	if s.Wait {
		b.WriteString(" wait")
	}
	fmt.Fprintf(&b, " max=%d user=%s", s.Max, s.User)
	if s.Group != "" {
		fmt.Fprintf(&b, " group=%s", s.Group)
	}
	if s.SndBuf != 0 || s.RcvBuf != 0 {
		fmt.Fprintf(&b, " sndbuf=%d rcvbuf=%d", s.SndBuf, s.RcvBuf)
	}
	if s.Builtin != "" {
		fmt.Fprintf(&b, " builtin=%s", s.Builtin)
		if len(s.Argv) > 0 {
			fmt.Fprintf(&b, " argv=%q", s.Argv)
		}
	} else {
		fmt.Fprintf(&b, " server=%s argv=%q", s.Server, s.Argv)
	}
	if s.Tcpd != nil {
		fmt.Fprintf(&b, " tcpd=%s:%s:%q", s.Tcpd.Daemon, s.Tcpd.Path, s.Tcpd.Argv)
	}
	return b.String()
}

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		conf string
		want []string // summaries
		// warns are "LINE:substring" for each warning, in order.
		warns []string
	}{
		{
			// A plain tcp entry is two listeners: IPv4, and IPv6 only.
			name: "tcp is tcp4 and tcp6",
			conf: "svcA stream tcp nowait root /usr/sbin/in.svcd in.svcd -l\n",
			want: []string{
				`1 tcp4 0.0.0.0:17260 proto=tcp host=* max=256 user=root server=/usr/sbin/in.svcd argv=["in.svcd" "-l"]`,
				`1 tcp6 [::]:17260 proto=tcp6 host=* max=256 user=root server=/usr/sbin/in.svcd argv=["in.svcd" "-l"]`,
			},
		},
		{
			// tcp46 is one dual-stack socket; udp6 and udp46 leave
			// IPV6_V6ONLY alone.
			name: "families",
			conf: "17200 stream tcp46 nowait root /bin/x\n17201 dgram udp6 wait root /bin/x\n17202 dgram udp46 wait root /bin/x\n17203 dgram udp wait root /bin/x\n",
			want: []string{
				`1 tcp6 [::]:17200 v6only=off proto=tcp46 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`2 udp6 [::]:17201 v6only=unset proto=udp6 host=* wait max=256 user=root server=/bin/x argv=["x"]`,
				`3 udp6 [::]:17202 v6only=unset proto=udp46 host=* wait max=256 user=root server=/bin/x argv=["x"]`,
				`4 udp4 0.0.0.0:17203 proto=udp host=* wait max=256 user=root server=/bin/x argv=["x"]`,
				`4 udp6 [::]:17203 v6only=unset proto=udp6 host=* wait max=256 user=root server=/bin/x argv=["x"]`,
			},
		},
		{
			// Comments only in column 1; blank lines; an unterminated
			// last line counts.
			name: "comments and blank lines",
			conf: "# comment\n\n   \n#17200 stream tcp4 nowait root /bin/x\n17201 stream tcp4 nowait root /bin/x",
			want: []string{`5 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`},
		},
		{
			// "host:" alone sets the host of the lines after it; "*:"
			// resets it; "host: service" is an entry.
			name: "default host",
			conf: "127.0.0.2:\n17200 stream tcp4 nowait root /bin/x\n*:\n17201 stream tcp4 nowait root /bin/x\n127.0.0.3: 17202 stream tcp4 nowait root /bin/x\n17203 stream tcp4 nowait root /bin/x\n",
			want: []string{
				`2 tcp4 127.0.0.2:17200 proto=tcp4 host=127.0.0.2 max=256 user=root server=/bin/x argv=["x"]`,
				`4 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`5 tcp4 127.0.0.3:17202 proto=tcp4 host=127.0.0.3 max=256 user=root server=/bin/x argv=["x"]`,
				`6 tcp4 0.0.0.0:17203 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
			},
		},
		{
			// An IPv6 host in brackets or not (the service follows the
			// last colon); an IPv4 host has no IPv6 half; a list gives
			// one listener per address, the last first; a name goes to
			// the Resolver.
			name: "hosts",
			conf: "[::1]:17200 stream tcp nowait root /bin/x\n::1:17201 stream tcp6 nowait root /bin/x\n127.0.0.2,two:17202 stream tcp4 nowait root /bin/x\nnohost:17203 stream tcp4 nowait root /bin/x\n127.1:17204 stream tcp4 nowait root /bin/x\n",
			want: []string{
				`1 tcp6 [::1]:17200 proto=tcp6 host=::1 max=256 user=root server=/bin/x argv=["x"]`,
				`2 tcp6 [::1]:17201 proto=tcp6 host=::1 max=256 user=root server=/bin/x argv=["x"]`,
				`3 tcp4 127.0.0.2:17202 proto=tcp4 host=two max=256 user=root server=/bin/x argv=["x"]`,
				`5 tcp4 127.0.0.1:17204 proto=tcp4 host=127.1 max=256 user=root server=/bin/x argv=["x"]`,
			},
			warns: []string{
				`1:host "::1": an IPv6 address, and tcp listens on IPv4`,
				`3:tcp4 127.0.0.2:17202 overlaps tcp4 127.0.0.2:17202 from line 3`,
				`4:host "nohost": Name or service not known`,
				`5:host "127.1" is read as 127.0.0.1`,
			},
		},
		{
			// Empty host specifiers give nothing, silently in
			// openbsd-inetd.
			name:  "empty hosts",
			conf:  "[]:17200 stream tcp4 nowait root /bin/x\n,:17201 stream tcp4 nowait root /bin/x\n",
			warns: []string{`1:host specifier "" names no host`, `2:host specifier "," names no host`},
		},
		{
			// Numbers, with strtonum's leading sign; names and aliases
			// for the protocol without its digit; tcp46 looks names up
			// under "tcp4".
			name: "services",
			conf: "+17200 stream tcp4 nowait root /bin/x\n0 stream tcp4 nowait root /bin/x\n65536 stream tcp4 nowait root /bin/x\nsvcB-alias stream tcp4 nowait root /bin/x\nsvcB dgram udp4 wait root /bin/x\nsvcA stream tcp46 nowait root /bin/x\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`4 tcp4 0.0.0.0:17261 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
			},
			warns: []string{
				`2:unknown service "0"`, `3:unknown service "65536"`,
				`5:unknown service "svcB" (udp4): not a port number and not in the services table for "udp"`,
				`6:openbsd-inetd looks the name up under protocol "tcp4"`,
			},
		},
		{
			// Built-ins by official name and socket type; always
			// nowait; words after "internal" are kept.
			name: "builtins",
			conf: "echo stream tcp4 wait root internal\ntime dgram udp4 wait root internal x\nsink stream tcp4 nowait root internal\n17200 stream tcp4 nowait root internal\n",
			want: []string{
				`1 tcp4 0.0.0.0:17250 proto=tcp4 host=* max=256 user=root builtin=echo`,
				`2 udp4 0.0.0.0:17254 proto=udp4 host=* max=256 user=root builtin=time argv=["x"]`,
			},
			warns: []string{`3:no built-in stream service "sink"`, `4:no built-in stream service "17200"`},
		},
		{
			// max: strtoul base 0, 32-bit truncation; bad ones take the
			// default with openbsd-inetd's message; anything but
			// "wait" is nowait.
			name: "wait and max",
			conf: "17200 stream tcp4 nowait.0x10 root /bin/x\n17201 stream tcp4 nowait.010 root /bin/x\n17202 stream tcp4 nowait.0 root /bin/x\n17203 stream tcp4 nowait.4294967297 root /bin/x\n17204 dgram udp4 wiat.5x root /bin/x\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=16 user=root server=/bin/x argv=["x"]`,
				`2 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=8 user=root server=/bin/x argv=["x"]`,
				`3 tcp4 0.0.0.0:17202 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`4 tcp4 0.0.0.0:17203 proto=tcp4 host=* max=1 user=root server=/bin/x argv=["x"]`,
				`5 udp4 0.0.0.0:17204 proto=udp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
			},
			warns: []string{`3:max "0" in "nowait.0" is not a positive number: using 256`, `4:does not fit in 32 bits: openbsd-inetd uses 1`,
				`5:max "5x" in "wiat.5x"`, `5:"wiat" is neither wait nor nowait`},
		},
		{
			// The first "." splits the user field, else the first ":".
			name: "user and group",
			conf: "17200 stream tcp4 nowait daemon.adm:x /bin/x\n17201 stream tcp4 nowait daemon:adm /bin/x\n17202 stream tcp4 nowait a:b.c /bin/x\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=daemon group=adm:x server=/bin/x argv=["x"]`,
				`2 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=daemon group=adm server=/bin/x argv=["x"]`,
				`3 tcp4 0.0.0.0:17202 proto=tcp4 host=* max=256 user=a:b group=c server=/bin/x argv=["x"]`,
			},
			warns: []string{`3:user "a:b.c"`},
		},
		{
			// Entries that could only fail every connection.
			name:  "empty user or group",
			conf:  "17200 stream tcp4 nowait .adm /bin/x\n17201 stream tcp4 nowait root: /bin/x\n17202 stream tcp4 nowait :adm internal\n",
			warns: []string{`1:empty user name`, `2:empty group name after user "root"`, `3:no built-in stream service "17202"`},
		},
		{
			// At most 20 argv words; none means the path's last part.
			name: "argv",
			conf: "17200 stream tcp4 nowait root /bin/x a b c d e f g h i j k l m n o p q r s t u v\n17201 stream tcp4 nowait root /bin/\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t"]`,
				`2 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=root server=/bin/ argv=[""]`,
			},
			warns: []string{`1:22 words after the server program: openbsd-inetd keeps only the first 20 (argv[0] included) and drops "u"`},
		},
		{
			// tcpd: the daemon as tcpd derives it.
			name: "tcpd",
			conf: "17200 stream tcp4 nowait root /usr/sbin/tcpd in.fingerd -w\n17201 stream tcp4 nowait root /usr/local/sbin/tcpd /usr/sbin/in.ftpd -l\n17202 stream tcp4 nowait root /usr/sbin/tcpd\n17203 stream tcp4 nowait root /usr/sbin/tcpd /usr/sbin/tcpd x\n17204 stream tcp4 nowait root /usr/sbin/tcpdx y\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root server=/usr/sbin/tcpd argv=["in.fingerd" "-w"] tcpd=in.fingerd:/usr/sbin/in.fingerd:["in.fingerd" "-w"]`,
				`2 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=root server=/usr/local/sbin/tcpd argv=["/usr/sbin/in.ftpd" "-l"] tcpd=in.ftpd:/usr/sbin/in.ftpd:["in.ftpd" "-l"]`,
				`5 tcp4 0.0.0.0:17204 proto=tcp4 host=* max=256 user=root server=/usr/sbin/tcpdx argv=["y"]`,
			},
			warns: []string{`3:tcpd would run itself (daemon "tcpd")`, `4:tcpd would run itself (daemon "/usr/sbin/tcpd")`},
		},
		{
			// Indented lines continue an entry; an indented "#" line is
			// arguments; after an entry fails before its arguments, its
			// continuation line is an entry of its own.
			name: "continuation",
			conf: "17200\n stream\n\ttcp4 nowait root /bin/x a\n b\n  # c\n17201 bogus tcp4 nowait root internal\n  17202 stream tcp4 nowait root /bin/y\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["a" "b" "#" "c"]`,
				`7 tcp4 0.0.0.0:17202 proto=tcp4 host=* max=256 user=root server=/bin/y argv=["y"]`,
			},
			warns: []string{`5:continuation line starts with "#"`, `6:no built-in bogus service "17201"`},
		},
		{
			// The IPv6 half of a tcp entry reads its first line only.
			name: "continued tcp",
			conf: "17200 stream tcp nowait root /bin/x a\n b\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp host=* max=256 user=root server=/bin/x argv=["a" "b"]`,
				`1 tcp6 [::]:17200 proto=tcp6 host=* max=256 user=root server=/bin/x argv=["a"]`,
			},
			warns: []string{`1:entry "17200" goes on over lines 1-2: openbsd-inetd reads only line 1 again for its IPv6 listener`},
		},
		{
			// A carriage return stays in its word; a NUL ends the
			// line's text; a line is read 1023 bytes at a time.
			name: "line ends",
			conf: "17200 stream tcp4 nowait root /bin/x a\r\n17201 stream tcp4 nowait root /bin/x \x00 b\n17202 stream tcp4 nowait root /bin/x " + strings.Repeat("y", 985) + " 17203 stream tcp4 nowait root /bin/z\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["a\r"]`,
				`2 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`3 tcp4 0.0.0.0:17202 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["` + strings.Repeat("y", 985) + `"]`,
				`3 tcp4 0.0.0.0:17203 proto=tcp4 host=* max=256 user=root server=/bin/z argv=["z"]`,
			},
			warns: []string{`1:word "a\r" contains a carriage return`},
		},
		{
			// Buffer sizes: k and m; a value followed by another size
			// needs its suffix; sizes are checked.
			name: "buffer sizes",
			conf: "17200 stream tcp4,rcvbuf=64k,sndbuf=1m nowait root /bin/x\n17201 stream tcp4,sndbuf=2048 nowait root /bin/x\n17202 stream tcp4,sndbuf=1,rcvbuf=2k nowait root /bin/x\n17203 stream tcp4,rcvbuf=0k nowait root /bin/x\n17204 stream tcp4,a=1,b=2,c=3 nowait root /bin/x\n17205 stream tcp4,foo=1k nowait root /bin/x\n17206 stream tcp4,rcvbuf=2048m nowait root /bin/x\n17207 stream tcp4,sndbuf=5x nowait root /bin/x\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root sndbuf=1048576 rcvbuf=65536 server=/bin/x argv=["x"]`,
				`2 tcp4 0.0.0.0:17201 proto=tcp4 host=* max=256 user=root sndbuf=2048 rcvbuf=0 server=/bin/x argv=["x"]`,
				`8 tcp4 0.0.0.0:17207 proto=tcp4 host=* max=256 user=root sndbuf=5 rcvbuf=0 server=/bin/x argv=["x"]`,
			},
			warns: []string{`3:malformed buffer size option "1"`, `4:buffer size "0k" is not a positive`, `5:more than two buffer sizes`,
				`6:malformed buffer size option "foo"`, `7:buffer size "2048m" is not a positive`},
		},
		{
			// A later line for the same service, host and protocol
			// updates the entry in place.
			name: "duplicates",
			conf: "17200 stream tcp4 nowait root /bin/x\n17200 stream tcp4 nowait.7 daemon /bin/y b\n17201 dgram udp4 nowait root /bin/x\n17201 dgram udp4 wait root /bin/x\n17202 stream tcp4 nowait root internal\necho stream tcp4 nowait root internal\necho stream tcp4 nowait root /bin/x\n",
			want: []string{
				`2 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=7 user=daemon server=/bin/y argv=["b"]`,
				`4 udp4 0.0.0.0:17201 proto=udp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`6 tcp4 0.0.0.0:17250 proto=tcp4 host=* max=256 user=root builtin=echo`,
			},
			warns: []string{`2:duplicate of line 1`, `4:duplicate of line 3`, `4:line 3's nowait stays`,
				`5:no built-in stream service "17202"`, `7:switches between a built-in and a server program: ignored`},
		},
		{
			// A stream socket opened for wait stays wait.
			name:  "wait to nowait",
			conf:  "17200 stream tcp4 wait root /bin/x\n17200 stream tcp4 nowait root /bin/y\n",
			want:  []string{`2 tcp4 0.0.0.0:17200 proto=tcp4 host=* wait max=256 user=root server=/bin/y argv=["y"]`},
			warns: []string{`2:duplicate of line 1`, `2:the socket was opened for wait (line 1): openbsd-inetd records nowait`},
		},
		{
			// Overlapping stream listeners cannot both bind; UDP
			// duplicates of one socket are refused here.
			name: "conflicts",
			conf: "17200 stream tcp4 nowait root /bin/x\n127.0.0.1:17200 stream tcp4 nowait root /bin/x\n17201 stream tcp nowait root /bin/x\n17201 stream tcp46 nowait root /bin/x\n17202 dgram udp4 wait root /bin/x\n+17202 dgram udp4 wait root /bin/x\n",
			want: []string{
				`1 tcp4 0.0.0.0:17200 proto=tcp4 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`3 tcp4 0.0.0.0:17201 proto=tcp host=* max=256 user=root server=/bin/x argv=["x"]`,
				`3 tcp6 [::]:17201 proto=tcp6 host=* max=256 user=root server=/bin/x argv=["x"]`,
				`5 udp4 0.0.0.0:17202 proto=udp4 host=* wait max=256 user=root server=/bin/x argv=["x"]`,
			},
			warns: []string{`2:tcp4 127.0.0.1:17200 overlaps tcp4 0.0.0.0:17200 from line 1`,
				`4:tcp6 [::]:17201 v6only=off overlaps tcp4 0.0.0.0:17201 from line 3`,
				`6:udp4 0.0.0.0:17202 is also the socket of line 5`},
		},
		{
			// Unix sockets: the path is the service; the host is
			// ignored; 107 bytes at most.
			name: "unix",
			conf: "127.0.0.1:/run/a.sock stream unix nowait root /bin/x\n/run/b.sock dgram unix,rcvbuf=1k wait root /bin/x\n/run/" + strings.Repeat("p", 103) + " stream unix nowait root /bin/x\n/run/c raw unix nowait root /bin/x\n/run/a.sock dgram unix wait root /bin/x\n",
			want: []string{
				`1 unix /run/a.sock proto=unix host=127.0.0.1 max=256 user=root server=/bin/x argv=["x"]`,
				`2 unixgram /run/b.sock proto=unix host=* wait max=256 user=root sndbuf=0 rcvbuf=1024 server=/bin/x argv=["x"]`,
			},
			warns: []string{`3:is 108 bytes; a Unix socket address holds at most 107`, `4:socket type "raw" is not supported`,
				`5:socket "/run/a.sock" is also the socket of line 1`},
		},
		{
			// Deliberate differences: RPC, other protocols, socket
			// types that contradict the protocol.
			name: "refused",
			conf: "rusers/1-3 dgram rpc/udp wait root /bin/x\nrusers dgram rpc/udp wait root /bin/x\n17200 stream sctp nowait root /bin/x\n17201 dgram tcp4 wait root /bin/x\n17202 stream udp6 nowait root /bin/x\n",
			warns: []string{`1:RPC service "rusers" (protocol "rpc/udp"): RPC services are not supported`,
				`1:RPC service "rusers" (protocol "rpc/udp6"): RPC services are not supported`,
				`2:RPC service "rusers" has no /version`, `2:RPC service "rusers" has no /version`,
				`3:unknown protocol "sctp"`, `3:unknown protocol "sctp6"`,
				`4:socket type dgram does not go with protocol "tcp4"`, `5:socket type stream does not go with protocol "udp6"`},
		},
		{
			// Socket types openbsd-inetd cannot open.
			name:  "socket types",
			conf:  "17200 raw tcp4 nowait root /bin/x\n17201 seqpacket tcp nowait root /bin/x\n",
			warns: []string{`1:socket type "raw" is not supported`, `2:socket type "seqpacket" is not supported`, `2:socket type "seqpacket" is not supported`},
		},
		{
			// Syntax errors name the missing field.
			name:  "syntax",
			conf:  "17200 stream\n17201 stream tcp4 nowait root\n",
			warns: []string{`1:entry "17200" ends before its protocol field`, `2:entry "17201" ends before its server program field`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svcs, warns, err := inetconf.Parse(strings.NewReader(c.conf), "inetd.conf", testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range svcs {
				got = append(got, summary(s))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("services:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(c.want, "\n     "))
			}
			ok := len(warns) == len(c.warns)
			for i := 0; ok && i < len(warns); i++ {
				line, sub, _ := strings.Cut(c.warns[i], ":")
				ok = fmt.Sprint(warns[i].Line) == line && strings.Contains(warns[i].Text, sub)
			}
			if !ok {
				t.Errorf("warnings:\n%s\nwant:\n%s", warningLines(warns), strings.Join(c.warns, "\n"))
			}
			for _, w := range warns {
				if !strings.HasPrefix(w.String(), "inetd.conf:") || strings.Contains(w.Text, "%!") {
					t.Errorf("bad warning %q", w.String())
				}
			}
		})
	}
}

// openbsd-inetd never finishes reading these files: Parse says so, with
// the line.
func TestParseEndless(t *testing.T) {
	for _, conf := range []string{
		"17200\n stream tcp nowait root /bin/x\n",
		"17200 stream\n tcp nowait root /bin/x\n17201 stream tcp4 nowait root /bin/x\n",
		"17199 stream tcp4 nowait root /bin/x\n\n  17200 stream udp nowait root /bin/x\n",
	} {
		svcs, _, err := inetconf.Parse(strings.NewReader(conf), "inetd.conf", testOptions(t))
		var e *inetconf.Error
		if !errors.As(err, &e) || svcs != nil || e.File != "inetd.conf" || e.Line == 0 || !strings.Contains(e.Error(), "never finishes") {
			t.Errorf("%q: %v, %v", conf, svcs, err)
		}
	}
	// Continuation lines that do reach the protocol are read again.
	conf := "17200\n stream\n17201 stream tcp4 nowait root /bin/x\n"
	if _, _, err := inetconf.Parse(strings.NewReader(conf), "inetd.conf", testOptions(t)); err != nil {
		t.Errorf("%q: %v", conf, err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReadError(t *testing.T) {
	_, _, err := inetconf.Parse(failingReader{}, "inetd.conf", inetconf.Options{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("got %v", err)
	}
	_, _, err = inetconf.ParseServices(failingReader{}, "services")
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("services: got %v", err)
	}
}

// Without Ports and Resolver only numbers resolve; -R changes the
// default max; DaemonDir changes tcpd's directory.
func TestParseOptions(t *testing.T) {
	conf := "svcA stream tcp4 nowait root /bin/x\nlocalhost:17200 stream tcp4 nowait root /bin/x\n127.0.0.1:17201 stream tcp4 nowait root /usr/sbin/tcpd in.x\n"
	svcs, warns, err := inetconf.Parse(strings.NewReader(conf), "f", inetconf.Options{DefaultMax: 40, DaemonDir: "/opt/sbin"})
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].Max != 40 || svcs[0].Tcpd.Path != "/opt/sbin/in.x" || svcs[0].Addr != netip.MustParseAddrPort("127.0.0.1:17201") {
		t.Errorf("got %v", svcs)
	}
	if len(warns) != 2 || !strings.Contains(warns[0].Text, `unknown service "svcA"`) || !strings.Contains(warns[1].Text, "no resolver") {
		t.Errorf("warnings: %s", warningLines(warns))
	}
}

// Keys identify sockets: unique within a Parse, equal across Parses of
// the same listener however it is written.
func TestKeys(t *testing.T) {
	a, _, _ := inetconf.Parse(strings.NewReader("svcA stream tcp nowait root /bin/x\n@/x dgram unix wait root /bin/x\n"), "a", testOptions(t))
	b, _, _ := inetconf.Parse(strings.NewReader("17260 stream tcp6 wait daemon /bin/y\n*:17260 stream tcp4 nowait root /bin/z\n@/x dgram unix nowait root /bin/x\n"), "b", testOptions(t))
	keys := map[inetconf.Key]bool{}
	for _, s := range a {
		keys[s.Key()] = true
	}
	if len(keys) != 3 || len(b) != 3 {
		t.Fatalf("a %v b %v", a, b)
	}
	for _, s := range b {
		if !keys[s.Key()] {
			t.Errorf("%s not in %v", s.Key(), keys)
		}
	}
	for k, want := range map[inetconf.Key]string{
		a[0].Key(): "tcp4 0.0.0.0:17260",
		a[1].Key(): "tcp6 [::]:17260",
		a[2].Key(): "unixgram @/x",
	} {
		if k.String() != want {
			t.Errorf("%v: String %q, want %q", k, k.String(), want)
		}
	}
}
