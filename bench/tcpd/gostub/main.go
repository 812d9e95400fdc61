// Command gostub is the do-nothing Go wrapper of bench/tcpd-compare: like
// bench/tcpd/stub.c it is started with the daemon's path as argv[0] and
// execs it, deciding and logging nothing. It shows what the Go runtime's
// start-up alone costs per connection, the floor under any wrapper
// written in Go (built static, as scripts/build builds cmd/tcpd).
package main

import (
	"os"
	"syscall"
)

func main() {
	err := syscall.Exec(os.Args[0], os.Args, os.Environ())
	os.Stderr.WriteString("gostub: exec " + os.Args[0] + ": " + err.Error() + "\n")
	os.Exit(1)
}
