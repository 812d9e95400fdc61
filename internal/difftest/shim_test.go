package difftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpwrap/internal/oracle"
)

// shimCheckCases are hand-written cases for the shim check, in addition to
// generated ones: %m (strerror), stderr output of the program itself and
// messages with odd characters.
func shimCheckCases() []*Case {
	return []*Case{
		{ // %m: the banners directory does not exist.
			Allow: []string{"ALL: ALL: banners SCRATCH/nob\n"},
			Files: map[string]string{},
			Args:  []string{"-d", "-i", "/dev/null", "sshd", "10.0.0.1"},
		},
		{ // Program's own stderr (open inetd.conf: %m) and usage.
			Files: map[string]string{},
			Args:  []string{"-d", "-i", "nonexistent.conf", "sshd", "10.0.0.1"},
		},
		{
			Files: map[string]string{},
			Args:  []string{"-x", "sshd"},
		},
		{ // Many records, unrecognized %<CR>, percent at end.
			Allow: []string{"sshd: ALL: spawn %\r%x%%%:setenv A b\\:c %:severity bogus\r\n"},
			Deny:  []string{"ALL: ALL\n"},
			Files: map[string]string{},
			Args:  []string{"-d", "-i", "/dev/null", "sshd", "a b@localhost"},
		},
		{ // Host name resolution warnings (alias) and a missing newline.
			Allow: []string{"ALL: KNOWN"},
			Deny:  []string{"ALL: ALL: banners SCRATCH/b1\n"},
			Files: map[string]string{"b1/in.ftpd": "\x00hi %a\n"},
			Args:  []string{"-d", "/usr/sbin/in.ftpd@localhost", "runsc"},
		},
	}
}

// TestShimMatchesNamespace checks the fast oracle (LD_PRELOAD shim) against
// the exact one (package oracle: /dev/log captured in a private mount
// namespace): same stdout and exit status, and the shim's stderr lines are
// the syslog records interleaved with the program's own stderr lines.
func TestShimMatchesNamespace(t *testing.T) {
	debian := debianProgram(t)
	if ok, reason := oracle.Available(); !ok {
		t.Skip(reason)
	}
	t.Parallel()
	d := newDiffer(t, debian, Program{})
	cases := shimCheckCases()
	for i := 0; i < 20; i++ {
		cases = append(cases, Generate(12345, i))
	}
	for i, c := range cases {
		shim, err := d.RunOne(debian, c)
		if err != nil {
			t.Fatal(err)
		}
		oc := oracle.Case{
			Allow: c.AllowData(),
			Deny:  c.DenyData(),
			Files: map[string][]byte{},
			Args:  c.Args,
			Argv0: Argv0,
		}
		for name, data := range c.Files {
			oc.Files[name] = []byte(data)
		}
		cc := c
		oc.Setup = func(dir string) error {
			for _, sub := range cc.Dirs {
				if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(sub)), 0o755); err != nil {
					return err
				}
			}
			for name, target := range cc.Links {
				target = strings.ReplaceAll(target, Placeholder, dir)
				if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
					return err
				}
			}
			for name, mode := range cc.Modes {
				if err := os.Chmod(filepath.Join(dir, filepath.FromSlash(name)), os.FileMode(mode)); err != nil {
					return err
				}
			}
			return nil
		}
		ns, err := oracle.Run(DebianTcpdmatch, oc)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var problems []string
		if shim.Stdout != ns.Stdout {
			problems = append(problems, "stdout:\n"+UnifiedDiff("namespace", "shim", stdoutLines(ns.Stdout), stdoutLines(shim.Stdout)))
		}
		if shim.Exit != ns.Exit {
			problems = append(problems, "exit status differs")
		}
		// Take the program's own stderr lines out of the shim's stderr
		// (in order); what remains must be the syslog records.
		own := splitLines(ns.Stderr)
		var rest []string
		for _, line := range shim.StderrLines() {
			if len(own) > 0 && line == own[0] {
				own = own[1:]
				continue
			}
			rest = append(rest, line)
		}
		if len(own) > 0 {
			problems = append(problems, "program stderr lines missing from the shim's stderr: "+strings.Join(own, " | "))
		}
		if d := UnifiedDiff("namespace syslog", "shim stderr", ns.Log, rest); d != "" {
			problems = append(problems, "records:\n"+d)
		}
		if len(problems) > 0 {
			t.Errorf("case %d:\n%s%s", i, Describe(c), strings.Join(problems, "\n"))
		}
		if testing.Verbose() && i < len(shimCheckCases()) {
			t.Logf("case %d: %d records, e.g. %q", i, len(ns.Log), ns.Log)
		}
	}
}
