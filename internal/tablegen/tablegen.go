// Package tablegen writes the large hosts.deny tables that the benchmarks
// (go test -bench in access, and bench/libwrap-compare) decide against.
package tablegen

import (
	"fmt"
	"strings"
)

// Addr is the n-th address of the DenyHosts table: 10.x.y.z.
func Addr(n int) string {
	return fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
}

// DenyHosts is a DenyHosts-style table of n "ALL: a.b.c.d" lines; the
// client that only its last rule matches is Addr(n-1).
func DenyHosts(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "ALL: %s\n", Addr(i))
	}
	return []byte(b.String())
}

// AddressLast is the client that only the last rule of Address matches.
const AddressLast = "198.51.100.7"

// Address mixes the address rules admins write: exact addresses, "net."
// prefixes and net/mask patterns, per daemon; its last line is
// "sshd: 198.51.100.7", the only rule that AddressLast matches.
func Address(n int) []byte {
	var b strings.Builder
	for i := 0; i < n-1; i++ {
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&b, "sshd: %s\n", Addr(i))
		case 2:
			fmt.Fprintf(&b, "in.ftpd sshd: 10.%d.%d.\n", (i>>16)&255, (i>>8)&255)
		case 3:
			fmt.Fprintf(&b, "ALL EXCEPT in.telnetd: 172.%d.%d.0/255.255.255.0\n", 16+(i>>16)&15, (i>>8)&255)
		}
	}
	fmt.Fprintf(&b, "sshd: %s\n", AddressLast)
	return []byte(b.String())
}
