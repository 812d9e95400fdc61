package parse_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The parser does no I/O: it must not reach the file system, the
// network or processes, even indirectly (syscall comes in through
// package time; the parser may not import it itself).
func TestPure(t *testing.T) {
	forbidden := map[string]bool{"os": true, "net": true, "os/exec": true, "os/user": true, "golang.org/x/sys/unix": true}
	for _, pkg := range []string{"tcpwrap/watch/logscan/parse", "tcpwrap/watch"} {
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
}
