package ban_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"tcpwrap/watch/ban"
)

// Ban two offenders and show the list hosts.deny includes.
func Example() {
	dir, _ := os.MkdirTemp("", "ban-example")
	defer os.RemoveAll(dir)
	clock := newClock()
	list, err := ban.Open(ban.Config{
		File:     filepath.Join(dir, "banned"), // hosts.deny: "ALL: /var/lib/tcpwrap/banned"
		Duration: time.Hour,
	}, ban.Options{Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range []string{"192.0.2.7", "2001:db8:1:2::5", "2001:db8:1:2::6", "127.0.0.1"} {
		b, added, err := list.Ban(netip.MustParseAddr(a), "ssh-guessing")
		switch {
		case err != nil:
			fmt.Printf("%s: %v\n", a, err)
		case added:
			fmt.Printf("%s: banned %s until %s\n", a, b.Pattern(), b.Until.Format(time.Kitchen))
		default:
			fmt.Printf("%s: already banned by %s\n", a, b.Pattern())
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "banned"))
	fmt.Print(string(data))
	// Output:
	// 192.0.2.7: banned 192.0.2.7 until 1:00PM
	// 2001:db8:1:2::5: banned [2001:db8:1:2::]/64 until 1:00PM
	// 2001:db8:1:2::6: already banned by [2001:db8:1:2::]/64
	// 127.0.0.1: ban: address is allowlisted
	// 192.0.2.7
	// [2001:db8:1:2::]/64
}

// The hosts_access(5) words the list is written in.
func ExamplePattern() {
	for _, p := range []string{"192.0.2.7/32", "198.51.100.0/24", "2001:db8::7/128", "2001:db8:1:2::/64"} {
		fmt.Println(ban.Pattern(netip.MustParsePrefix(p)))
	}
	// Output:
	// 192.0.2.7
	// 198.51.100.0/255.255.255.0
	// [2001:db8::7]
	// [2001:db8:1:2::]/64
}
