// Package puritytest checks, from a package's tests, that a pure package
// does no I/O: neither it nor anything it imports, however indirectly,
// may reach the file system, the network or processes, and it may not
// import syscall or unsafe itself (syscall comes in through package
// time, which is allowed). It asks `go list`, in the spirit of depaware.
//
// Each pure package keeps a short test of its own:
//
//	func TestPure(t *testing.T) {
//		puritytest.Check(t, "tcpwrap/inetconf")
//	}
package puritytest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Forbidden are the packages that a pure package may not depend on,
// directly or through another package.
var Forbidden = []string{"os", "net", "os/exec", "os/user", "golang.org/x/sys/unix"}

// ForbiddenImports are the packages that a pure package may not import
// itself, although they may reach it through others.
var ForbiddenImports = []string{"syscall", "unsafe"}

// Check reports with t.Errorf every forbidden dependency and import of
// each package in pkgs. It skips the test when `go list -deps` cannot
// run (no go command), and fails it when the package list cannot be read.
func Check(t testing.TB, pkgs ...string) {
	t.Helper()
	for _, pkg := range pkgs {
		deps, err := goList("-deps", pkg)
		if err != nil {
			t.Skipf("go list: %v", err)
		}
		imports, err := goList("-f", `{{join .Imports " "}}`, pkg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems(pkg, deps, imports) {
			t.Error(p)
		}
	}
}

// problems lists what pkg, with these dependencies and direct imports,
// breaks of the rules.
func problems(pkg string, deps, imports []string) []string {
	var out []string
	for _, dep := range deps {
		if contains(Forbidden, dep) {
			out = append(out, fmt.Sprintf("%s depends on %s", pkg, dep))
		}
	}
	for _, imp := range imports {
		if contains(ForbiddenImports, imp) {
			out = append(out, fmt.Sprintf("%s imports %s", pkg, imp))
		}
	}
	return out
}

func goList(args ...string) ([]string, error) {
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
