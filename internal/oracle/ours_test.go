package oracle

import (
	"os"
	"os/exec"
	"path/filepath"

	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildOut  []byte
)

// ourTcpdmatch builds cmd/tcpdmatch once per test process.
func ourTcpdmatch(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tcpwrap-ours-")
		if buildErr != nil {
			return
		}
		// Some cases run the program as an unprivileged user (B08).
		if buildErr = os.Chmod(buildDir, 0o755); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "tcpdmatch"), "tcpwrap/cmd/tcpdmatch")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building tcpdmatch: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(buildDir, "tcpdmatch")
}

// oursDiffer lists the tricky cases where our tcpdmatch deliberately
// differs from Debian's (see docs/compat.md), with what we do instead.
var oursDiffer = map[string]string{
	"E16": "no 5-second sleep before exiting on an expansion overflow (docs/compat.md); stdout and diagnostics are the same",
}

// TestTrickyOurs runs every tcpdmatch case of tricky-cases.md against our
// tcpdmatch: stdout and exit status must be Debian's byte for byte, and our
// standard error must hold exactly the diagnostics Debian sent to syslog,
// in the same order, followed by what Debian wrote to standard error.
func TestTrickyOurs(t *testing.T) {
	needOracle(t)
	ours := ourTcpdmatch(t)
	cases := loadTricky(t)
	for i := range cases {
		tc := &cases[i]
		if tc.Kind != "tcpdmatch" {
			continue
		}
		t.Run(tc.ID, func(t *testing.T) {
			t.Parallel()
			if tc.usesDefaultInetdConf() && !inetdConfHasOnlyComments() {
				t.Skip("the recorded output assumes an /etc/inetd.conf with only comments")
			}
			run := *tc
			// Debian's diagnostics are in syslog, ours on stderr: keep
			// our stderr apart even where the shell line merged them.
			run.Commands = append([]TrickyCommand(nil), tc.Commands...)
			for i := range run.Commands {
				run.Commands[i].StderrToStdout = false
			}
			if run.Hosts == nil {
				h := documentedMachineHosts
				run.Hosts = &h
			}
			got, err := runTricky(&run, map[string]string{"tcpdmatch": ours})
			if err != nil {
				t.Fatal(err)
			}
			if got.Stdout != tc.Stdout {
				t.Errorf("stdout:\n--- ours\n%s--- Debian\n%s", got.Stdout, tc.Stdout)
			}
			if got.Exit != tc.Exit {
				t.Errorf("exit %d, Debian %d", got.Exit, tc.Exit)
			}
			want := ""
			for _, l := range tc.Log {
				want += l + "\n"
			}
			timed := false
			for _, c := range tc.Commands {
				timed = timed || c.Timed
			}
			if tc.Stderr != nil && !timed {
				want += *tc.Stderr
			}
			if got.Stderr != want {
				t.Errorf("stderr:\n--- ours\n%s--- Debian (syslog, then stderr)\n%s", got.Stderr, want)
			}
			if len(got.Log) != 0 {
				t.Errorf("our tcpdmatch wrote to syslog: %q", got.Log)
			}
			if why, ok := oursDiffer[tc.ID]; ok {
				t.Logf("documented difference: %s", why)
			}
		})
	}
}
