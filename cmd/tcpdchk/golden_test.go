package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/dryrun"
	"tcpwrap/internal/inetcf"
	"tcpwrap/resolve"
)

var update = flag.Bool("update", false, "rewrite the golden sections of testdata/*.txtar")

// A golden case is a txtar file in testdata:
//
//	comment: what the case shows
//	-- args --          the command line after "tcpdchk" (SCRATCH is the scratch dir)
//	-- hosts.allow --   the tables, written to the scratch dir (absent: no file)
//	-- hosts.deny --
//	-- hosts --         the hosts file the resolver reads (DNS is unreachable)
//	-- setup --         "chmod MODE PATH" and "symlink TARGET PATH" lines
//	-- files/NAME --    more files, at SCRATCH/NAME
//	-- stdout --        the golden output: refreshed with -update
//	-- stderr --
//	-- exit --
//
// SCRATCH in file contents and arguments stands for the scratch directory,
// and the scratch directory is written back as SCRATCH in the outputs.

type archive struct {
	comment string
	files   []archiveFile
}

type archiveFile struct {
	name string
	data string
}

func parseArchive(data string) archive {
	var a archive
	cur := -1
	for len(data) > 0 {
		line, rest, _ := strings.Cut(data, "\n")
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") && len(line) > 6 {
			a.files = append(a.files, archiveFile{name: line[3 : len(line)-3]})
			cur = len(a.files) - 1
		} else if cur < 0 {
			a.comment += line + "\n"
		} else {
			a.files[cur].data += line + "\n"
		}
		data = rest
	}
	return a
}

func (a *archive) format() string {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, f := range a.files {
		fmt.Fprintf(&b, "-- %s --\n%s", f.name, f.data)
	}
	return b.String()
}

func (a *archive) get(name string) (string, bool) {
	for _, f := range a.files {
		if f.name == name {
			return f.data, true
		}
	}
	return "", false
}

func (a *archive) set(name, data string) {
	for i := range a.files {
		if a.files[i].name == name {
			a.files[i].data = data
			return
		}
	}
	a.files = append(a.files, archiveFile{name: name, data: data})
}

// deadDNS makes every DNS query fail at once, so that only the hosts file
// answers.
var deadDNS = &net.Resolver{
	PreferGo: true,
	Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	},
}

// testEnv is the outside world of an in-process run: the real file
// system, a resolver that reads only hostsPath, and the user and group
// checks of a process running as root.
func testEnv(hostsPath string) *env {
	return &env{
		names:       &resolve.Resolver{HostsFile: hostsPath, Net: deadDNS},
		files:       hostsfile.OS{},
		inetFS:      inetcf.OS{},
		newAccounts: func() access.Accounts { return &dryrun.Accounts{} },
		pid:         4242,
	}
}

// runIn runs tcpdchk in dir (which becomes the working directory) and
// returns its outputs with dir written as SCRATCH.
func runIn(t *testing.T, dir string, args []string, e *env) (stdout, stderr string, exit int) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	exit = run(append([]string{"tcpdchk"}, args...), &out, &errb, e)
	unscratch := func(s string) string { return strings.ReplaceAll(s, dir, "SCRATCH") }
	return unscratch(out.String()), unscratch(errb.String()), exit
}

// scratch makes a scratch directory (symbolic links resolved, so that the
// paths in the output are the ones given).
func scratch(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range paths {
		path, err := filepath.Abs(path) // the test changes directory
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a, dir, args, hostsPath := setupGolden(t, path)
			stdout, stderr, exit := runIn(t, dir, args, testEnv(hostsPath))
			got := map[string]string{"stdout": stdout, "stderr": stderr, "exit": strconv.Itoa(exit) + "\n"}
			if *update {
				for _, n := range []string{"stdout", "stderr", "exit"} {
					a.set(n, got[n])
				}
				if err := os.WriteFile(path, []byte(a.format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, n := range []string{"stdout", "stderr", "exit"} {
				want, _ := a.get(n)
				if got[n] != want {
					t.Errorf("%s:\n--- got\n%s--- want\n%s", n, got[n], want)
				}
			}
		})
	}
}

// setupGolden reads a golden file and lays out its scratch directory.
func setupGolden(t *testing.T, path string) (a archive, dir string, args []string, hostsPath string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a = parseArchive(string(raw))
	dir = scratch(t)
	fill := func(s string) string { return strings.ReplaceAll(s, "SCRATCH", dir) }
	hostsPath = filepath.Join(dir, ".hosts")
	writeFile(t, hostsPath, "")
	for _, f := range a.files {
		switch {
		case f.name == "hosts.allow" || f.name == "hosts.deny":
			writeFile(t, filepath.Join(dir, f.name), fill(unescape(f.data)))
		case f.name == "hosts":
			writeFile(t, hostsPath, f.data)
		case strings.HasPrefix(f.name, "files/"):
			writeFile(t, filepath.Join(dir, f.name[len("files/"):]), fill(unescape(f.data)))
		}
	}
	if setup, ok := a.get("setup"); ok {
		for _, l := range strings.Split(strings.TrimSpace(setup), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) == 3 && f[0] == "chmod":
				m, _ := strconv.ParseUint(f[1], 8, 32)
				if err := os.Chmod(filepath.Join(dir, f[2]), os.FileMode(m)); err != nil {
					t.Fatal(err)
				}
			case len(f) == 3 && f[0] == "symlink":
				if err := os.Symlink(fill(f[1]), filepath.Join(dir, f[2])); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("bad setup line %q", l)
			}
		}
	}
	argText, _ := a.get("args")
	args = strings.Fields(fill(argText))
	return a, dir, args, hostsPath
}

// TestLintOnlyAdds checks that -l only adds "lint:" warnings: the listing,
// the other diagnostics and the exit status stay as they are without it.
func TestLintOnlyAdds(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, path := range paths {
		path, _ := filepath.Abs(path)
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			_, dir, args, hostsPath := setupGolden(t, path)
			var plain []string
			for _, a := range args {
				if a != "-l" {
					plain = append(plain, a)
				}
			}
			out1, err1, exit1 := runIn(t, dir, plain, testEnv(hostsPath))
			out2, err2, exit2 := runIn(t, dir, append([]string{"-l"}, plain...), testEnv(hostsPath))
			var kept []string
			for _, l := range lines(err2) {
				if !strings.Contains(l, ": lint: ") {
					kept = append(kept, l)
				}
			}
			if out1 != out2 || exit1 != exit2 || strings.Join(kept, "\n") != strings.Join(lines(err1), "\n") {
				t.Errorf("-l changes more than lint lines:\n%s\n--- without -l\n%s", err2, err1)
			}
		})
	}
}

// unescape lets a golden file hold what a text file cannot show plainly:
// "\r" for a carriage return, "\<EOF>" at the very end for a missing final
// newline, and "\{N*TEXT}" for TEXT repeated N times.
func unescape(s string) string {
	s = strings.ReplaceAll(s, `\r`, "\r")
	s = strings.TrimSuffix(s, "\\<EOF>\n")
	for {
		i := strings.Index(s, `\{`)
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "}")
		star := strings.Index(s[i:], "*")
		if j < 0 || star < 0 || star > j {
			return s
		}
		n, err := strconv.Atoi(s[i+2 : i+star])
		if err != nil {
			return s
		}
		s = s[:i] + strings.Repeat(s[i+star+1:i+j], n) + s[i+j+1:]
	}
}
