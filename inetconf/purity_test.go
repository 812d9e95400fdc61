package inetconf_test

import (
	"os/exec"
	"strings"
	"testing"
)

// inetconf is pure: the file comes in as an io.Reader and the outside
// world answers through Options, so neither the package nor anything
// it imports may reach the file system, the network or processes.
// (syscall arrives through package time; inetconf must not import it.)
func TestPure(t *testing.T) {
	const pkg = "tcpwrap/inetconf"
	forbidden := map[string]bool{"os": true, "net": true, "os/exec": true, "os/user": true, "golang.org/x/sys/unix": true}
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if forbidden[dep] {
			t.Errorf("%s depends on %s", pkg, dep)
		}
	}
	out, err = exec.Command("go", "list", "-f", `{{join .Imports " "}}`, pkg).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if imp == "syscall" || imp == "unsafe" {
			t.Errorf("%s imports %s", pkg, imp)
		}
	}
}
