// Command gentables writes the hosts.allow/hosts.deny pairs that
// bench/libwrap-compare times libwrap and tcpwrap on, and prints one
// manifest line per pair:
//
//	KIND RULES DIR LAST_ADDR NONE_ADDR
//
// LAST_ADDR is a client whose first (and only) matching rule is the last
// line of DIR/hosts.deny; NONE_ADDR matches no rule. hosts.allow is empty.
//
// The tables are the ones access/bench_test.go builds for go test -bench:
// "denyhosts" is DenyHosts-style "ALL: a.b.c.d" lines, "address" mixes
// exact addresses, "net." prefixes and net/mask patterns per daemon. One
// difference: in the address table every 10.x.y.z address is also
// matched by an earlier "10.x.y." prefix rule and the net/mask rules
// repeat, so no client there matches only the last rule; the last line
// of the address table is therefore replaced by "sshd: 198.51.100.7", an
// exact-address rule that nothing before it matches.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"tcpwrap/internal/tablegen"
)

const (
	noneAddr        = "192.0.2.1"          // TEST-NET-1: matches no rule
	addressLastAddr = tablegen.AddressLast // only the address table's last rule
)

func main() {
	dir := flag.String("dir", "", "directory to write KIND-RULES/hosts.{allow,deny} under (required)")
	sizes := flag.String("sizes", "10,1000,10000,100000", "comma-separated rule counts")
	kinds := flag.String("kinds", "denyhosts,address", "comma-separated table kinds")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for _, kind := range strings.Split(*kinds, ",") {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				fatal(fmt.Errorf("bad size %q", s))
			}
			var src []byte
			var last string
			switch kind {
			case "denyhosts":
				src, last = tablegen.DenyHosts(n), tablegen.Addr(n-1)
			case "address":
				src, last = tablegen.Address(n), addressLastAddr
			default:
				fatal(fmt.Errorf("unknown kind %q", kind))
			}
			d := filepath.Join(*dir, fmt.Sprintf("%s-%d", kind, n))
			if err := os.MkdirAll(d, 0o755); err != nil {
				fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, "hosts.allow"), nil, 0o644); err != nil {
				fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, "hosts.deny"), src, 0o644); err != nil {
				fatal(err)
			}
			fmt.Fprintf(out, "%s %d %s %s %s\n", kind, n, d, last, noneAddr)
		}
	}
	if err := out.Flush(); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gentables:", err)
	os.Exit(1)
}
