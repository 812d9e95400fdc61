package difftest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DebianTcpdmatch is the location of Debian's binary.
const DebianTcpdmatch = "/usr/sbin/tcpdmatch"

// Argv0 is the argv[0] every program is run with (it appears in usage and
// getopt messages).
const Argv0 = "tcpdmatch"

// ShimSource is the C source of the LD_PRELOAD syslog shim.
//
//go:embed testdata/shim.c
var ShimSource []byte

// BuildShim compiles the shim into dir and returns the path of the shared
// object. cc is the C compiler to use ("" = "cc" from PATH).
func BuildShim(cc, dir string) (string, error) {
	if cc == "" {
		cc = "cc"
	}
	path, err := exec.LookPath(cc)
	if err != nil {
		return "", fmt.Errorf("no C compiler: %w", err)
	}
	src := filepath.Join(dir, "shim.c")
	if err := os.WriteFile(src, ShimSource, 0o644); err != nil {
		return "", err
	}
	so := filepath.Join(dir, "syslogshim.so")
	out, err := exec.Command(path, "-shared", "-fPIC", "-O2", "-o", so, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("compiling the syslog shim: %v\n%s", err, out)
	}
	return so, nil
}

// Program is a way to run a tcpdmatch.
type Program struct {
	Path string   // absolute path of the binary
	Env  []string // added to the base environment (e.g. LD_PRELOAD=...)
}

// Outcome is what one run produced; the scratch dir path is replaced by
// Placeholder everywhere.
type Outcome struct {
	Stdout   string
	Stderr   string
	Exit     int // 128+signal when killed by a signal
	Elapsed  time.Duration
	TimedOut bool
}

// StderrLines splits Stderr into lines (without the final empty one).
func (o *Outcome) StderrLines() []string { return splitLines(o.Stderr) }

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// BaseEnv is the environment every program gets.
var BaseEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC"}

// Scratch is a prepared scratch directory holding the files of a case.
type Scratch struct {
	Dir string
}

// Prepare creates dir (mode 0755, which must not exist yet) and writes the
// files of c into it.
func Prepare(dir string, c *Case) (*Scratch, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // umask-proof
		return nil, err
	}
	s := &Scratch{Dir: dir}
	expand := func(b string) []byte { return []byte(strings.ReplaceAll(b, Placeholder, dir)) }
	if c.Allow != nil {
		if err := s.write("hosts.allow", expand(string(c.AllowData()))); err != nil {
			return nil, err
		}
	}
	if c.Deny != nil {
		if err := s.write("hosts.deny", expand(string(c.DenyData()))); err != nil {
			return nil, err
		}
	}
	for _, d := range c.Dirs {
		if err := s.mkdir(d); err != nil {
			return nil, err
		}
	}
	for name, data := range c.Files {
		if err := s.write(name, expand(data)); err != nil {
			return nil, err
		}
	}
	for name, target := range c.Links {
		p, err := s.local(name)
		if err != nil {
			return nil, err
		}
		if err := os.Symlink(strings.ReplaceAll(target, Placeholder, dir), p); err != nil {
			return nil, err
		}
	}
	for name, mode := range c.Modes {
		p, err := s.local(name)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(p, os.FileMode(mode)&os.ModePerm); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Scratch) local(name string) (string, error) {
	rel := filepath.FromSlash(strings.TrimPrefix(name, Placeholder+"/"))
	if rel == "" || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("bad file name %q (must be relative to the scratch dir)", name)
	}
	return filepath.Join(s.Dir, rel), nil
}

func (s *Scratch) mkdir(name string) error {
	p, err := s.local(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return err
	}
	return os.Chmod(p, 0o755)
}

func (s *Scratch) write(name string, data []byte) error {
	p, err := s.local(name)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(p); dir != s.Dir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	return os.Chmod(p, 0o644)
}

// Run runs p with the arguments of c in the scratch dir.
func (s *Scratch) Run(p Program, c *Case, timeout time.Duration) (Outcome, error) {
	argv := []string{Argv0}
	for _, a := range c.Args {
		argv = append(argv, strings.ReplaceAll(a, Placeholder, s.Dir))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Path)
	cmd.Args = argv
	cmd.Dir = s.Dir
	cmd.Env = append(append([]string{}, BaseEnv...), p.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	o := Outcome{Elapsed: time.Since(start)}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return o, fmt.Errorf("running %s: %w", p.Path, err)
		}
	}
	if ctx.Err() != nil {
		o.TimedOut = true
	}
	ps := cmd.ProcessState
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		o.Exit = 128 + int(ws.Signal())
	} else {
		o.Exit = ps.ExitCode()
	}
	unexpand := func(b []byte) string { return strings.ReplaceAll(string(b), s.Dir, Placeholder) }
	o.Stdout = unexpand(stdout.Bytes())
	o.Stderr = unexpand(stderr.Bytes())
	return o, nil
}

// Remove deletes the scratch dir.
func (s *Scratch) Remove() error { return os.RemoveAll(s.Dir) }
