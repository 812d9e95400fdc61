package inetconf_test

import (
	"fmt"
	"strings"
	"testing"

	"tcpwrap/inetconf"
)

// BenchmarkParse reads a file of 1,000 entries (2,000 listeners: each
// is tcp, so IPv4 and IPv6).
func BenchmarkParse(b *testing.B) {
	var conf strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&conf, "%d stream tcp nowait.%d root /usr/sbin/tcpd in.d%d -l\n", 20000+i, 10+i%50, i)
	}
	text := conf.String()
	opts := testOptions(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		svcs, _, err := inetconf.Parse(strings.NewReader(text), "inetd.conf", opts)
		if err != nil || len(svcs) != 2000 {
			b.Fatal(len(svcs), err)
		}
	}
}
