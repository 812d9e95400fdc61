package puritytest

import (
	"slices"
	"testing"
)

func TestProblems(t *testing.T) {
	tests := []struct {
		name          string
		deps, imports []string
		want          []string
	}{
		{name: "pure", deps: []string{"io", "net/netip", "syscall", "time"}, imports: []string{"io", "net/netip"}},
		{name: "os through another", deps: []string{"io", "os", "example/x"}, imports: []string{"example/x"},
			want: []string{"p depends on os"}},
		{name: "each forbidden", deps: []string{"os", "net", "os/exec", "os/user", "golang.org/x/sys/unix"},
			want: []string{"p depends on os", "p depends on net", "p depends on os/exec", "p depends on os/user", "p depends on golang.org/x/sys/unix"}},
		{name: "direct syscall and unsafe", deps: []string{"syscall", "unsafe"}, imports: []string{"syscall", "unsafe"},
			want: []string{"p imports syscall", "p imports unsafe"}},
		{name: "prefix is not a match", deps: []string{"osx", "network", "os/signalx"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problems("p", tc.deps, tc.imports)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems = %q, want %q", got, tc.want)
			}
		})
	}
}

// Real packages through go list: time imports syscall itself, the
// atomicfile helper depends on os, and the watch event type is pure.
func TestGoList(t *testing.T) {
	tests := []struct {
		pkg  string
		want []string
	}{
		{pkg: "tcpwrap/watch"},
		{pkg: "time", want: []string{"time imports syscall", "time imports unsafe"}},
		{pkg: "tcpwrap/internal/atomicfile", want: []string{"tcpwrap/internal/atomicfile depends on os"}},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			deps, err := goList("-deps", tc.pkg)
			if err != nil {
				t.Skipf("go list: %v", err)
			}
			imports, err := goList("-f", `{{join .Imports " "}}`, tc.pkg)
			if err != nil {
				t.Fatal(err)
			}
			got := problems(tc.pkg, deps, imports)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckPure(t *testing.T) {
	Check(t, "tcpwrap/watch", "io")
}
