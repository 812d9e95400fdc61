package resolve_test

import (
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"

	"tcpwrap/resolve"
)

// writeHosts puts a hosts file for the examples in a temporary directory.
func writeHosts(content string) (path string, cleanup func()) {
	dir, err := os.MkdirTemp("", "resolve-example")
	if err != nil {
		log.Fatal(err)
	}
	path = filepath.Join(dir, "hosts")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
	return path, func() { os.RemoveAll(dir) }
}

// tcpd looks up the client's name when a rule needs it. A host whose
// reverse name is only an alias of another host's is "paranoid".
func ExampleResolver_HostName() {
	hosts, cleanup := writeHosts("198.51.100.9 real.example.com liar.example.com\n198.51.100.8 liar.example.com\n")
	defer cleanup()
	r := &resolve.Resolver{HostsFile: hosts}

	for _, a := range []string{"198.51.100.9", "::ffff:198.51.100.8"} {
		name, warnings := r.HostName(netip.MustParseAddr(a))
		fmt.Printf("%s: %s %q\n", a, name, warnings)
	}
	// Output:
	// 198.51.100.9: real.example.com []
	// ::ffff:198.51.100.8: paranoid ["host name/name mismatch: liar.example.com != real.example.com"]
}

// tcpdmatch resolves its client operand, warns when it is an alias, and
// evaluates every address separately (case D33).
func ExampleResolver_LookupHost() {
	hosts, cleanup := writeHosts("198.51.100.9 real.example.com liar.example.com\n198.51.100.8 liar.example.com\n")
	defer cleanup()
	r := &resolve.Resolver{HostsFile: hosts}

	canonical, addrs, err := r.LookupHost("liar.example.com")
	if err != nil {
		fmt.Println("liar.example.com: host not found")
		return
	}
	fmt.Println("official name:", canonical)
	for _, a := range addrs {
		name, _ := r.HostName(a)
		fmt.Println(a, name)
	}
	// Output:
	// official name: real.example.com
	// 198.51.100.9 real.example.com
	// 198.51.100.8 paranoid
}
