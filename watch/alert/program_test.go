package alert_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tcpwrap/watch/alert"
)

// writeScript writes an executable /bin/sh script to dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// recordScript records its argv (NUL-separated) and environment in
// $OUT/argv and $OUT/env.
const recordScript = `for a in "$@"; do printf '%s\0' "$a"; done > "$OUT/argv"
env > "$OUT/env"
`

// Hostile strings from a log reach the program as inert, sanitised
// argv elements and environment variables: no shell ever sees them.
func TestProgramHostileNames(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	keep := filepath.Join(dir, "keep")
	os.WriteFile(keep, nil, 0o644)
	pwned := filepath.Join(dir, "pwned")
	script := writeScript(t, dir, "record", recordScript)

	n := hostileNotice(alert.Opened)
	n.Event.Name = "$(touch " + pwned + "); rm -rf " + keep + " `touch " + pwned + "`"
	n.Event.Daemon = "sshd;touch " + pwned
	n.Event.User = "-rf"
	n.Event.Host = "gw\nTCPDWATCH_RULE=forged"
	n.Source = "192.0.2.66"
	act, err := alert.NewAction(alert.ActionConfig{Name: "page", Kind: alert.ActionProgram, Program: alert.ProgramConfig{
		Argv: []string{script, "--name", "{name}", "--user={user}", "{source}", "{service}", "{{literal}}"},
		Env:  []string{"OUT=" + out},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := act.Do(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	argv := strings.Split(strings.TrimSuffix(string(mustRead(t, filepath.Join(out, "argv"))), "\x00"), "\x00")
	wantName := alert.SanitizeArg(n.Event.Name)
	want := []string{"--name", wantName, "--user=_rf", "192.0.2.66", alert.SanitizeArg(n.Event.Daemon), "{literal}"}
	if strings.Join(argv, "|") != strings.Join(want, "|") {
		t.Errorf("argv:\n%q\nwant\n%q", argv, want)
	}
	if strings.ContainsAny(wantName, "$() `;") {
		t.Errorf("sanitised name still has shell characters: %q", wantName)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Errorf("%s was created: something ran a shell on a hostile name", pwned)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("%s is gone: %v", keep, err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(string(mustRead(t, filepath.Join(out, "env"))), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	for k, v := range map[string]string{
		"TCPDWATCH_NAME": wantName, "TCPDWATCH_USER": "_rf", "TCPDWATCH_RULE": "trap",
		"TCPDWATCH_HOST": "gw_TCPDWATCH_RULE=forged", "TCPDWATCH_SOURCE": "192.0.2.66",
		"TCPDWATCH_KIND": "opened", "TCPDWATCH_COUNT": "3", "TCPDWATCH_ADDR": "192.0.2.66",
		"TCPDWATCH_FIRST": "2026-03-01T12:00:00Z", "OUT": out, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
	} {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["HOME"]; ok {
		t.Errorf("the program inherited HOME from the test")
	}
}

// A program that overruns its timeout is killed with its whole process
// group, including a child it started in the background.
func TestProgramTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "slow", `sleep 60 &
echo $! > "$OUT/child"
sleep 60
`)
	act, err := alert.NewAction(alert.ActionConfig{Name: "slow", Kind: alert.ActionProgram, Program: alert.ProgramConfig{
		Argv: []string{script}, Env: []string{"OUT=" + dir}, Timeout: 500 * time.Millisecond,
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = act.Do(context.Background(), hostileNotice(alert.Opened))
	if err == nil || !strings.Contains(err.Error(), "killed after 500ms") {
		t.Fatalf("err = %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "child")))))
	if err != nil {
		t.Fatal(err)
	}
	// The child was killed; once its new parent has reaped it, it is gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); bytes.Contains(stat, []byte(") Z ")) {
			break // killed, waiting to be reaped
		}
		if time.Now().After(deadline) {
			t.Fatalf("background child %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// No more than Concurrency copies run at once, however many notices
// come together.
func TestProgramConcurrencyLimit(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "count", `mkdir "$OUT/run.$$"
ls -d "$OUT"/run.* | wc -l >> "$OUT/counts"
sleep 0.2
rmdir "$OUT/run.$$"
`)
	act, err := alert.NewAction(alert.ActionConfig{Name: "count", Kind: alert.ActionProgram, Program: alert.ProgramConfig{
		Argv: []string{script}, Env: []string{"OUT=" + dir}, Concurrency: 2,
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() { errs <- act.Do(context.Background(), hostileNotice(alert.Opened)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	counts := strings.Fields(string(mustRead(t, filepath.Join(dir, "counts"))))
	if len(counts) != 6 {
		t.Fatalf("%d runs recorded", len(counts))
	}
	for _, c := range counts {
		if n, _ := strconv.Atoi(c); n < 1 || n > 2 {
			t.Errorf("%s copies ran at once (limit 2): %v", c, counts)
		}
	}
}

// A failing program is an error that quotes its first line of output,
// cleaned.
func TestProgramFailure(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "fail", `printf 'cannot page: \033[31mno modem\n' >&2; exit 3`)
	act, _ := alert.NewAction(alert.ActionConfig{Name: "f", Kind: alert.ActionProgram, Program: alert.ProgramConfig{Argv: []string{script}}}, nil)
	err := act.Do(context.Background(), hostileNotice(alert.Opened))
	if err == nil || err.Error() != script+`: exit status 3: cannot page: \x1b[31mno modem` {
		t.Errorf("err = %v", err)
	}
}

// Placeholders are checked when the configuration is.
func TestProgramPlaceholders(t *testing.T) {
	for _, tt := range []struct {
		arg  string
		want string // error text, "" for none
	}{
		{"{source}", ""},
		{"x={addr},{services}", ""},
		{"{{}}", ""},
		{"{nope}", "unknown placeholder {nope}"},
		{"{source", "unclosed {"},
		{"a}b", "lone }"},
	} {
		err := (&alert.Config{Actions: []alert.ActionConfig{{Name: "p", Kind: alert.ActionProgram,
			Program: alert.ProgramConfig{Argv: []string{"/bin/true", tt.arg}}}}}).Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%q: err = %v, want %q", tt.arg, err, tt.want)
		}
	}
	argv, err := alert.ProgramArgv(alert.ProgramConfig{Argv: []string{"/bin/echo", "{services}", "{count}/{followed}", "{closed}"}}, hostileNotice(alert.Summary))
	if err != nil || strings.Join(argv, " ") != "/bin/echo in.telnetd,sshd__Subject:_injected 3/2 quiet" {
		t.Errorf("argv %q, %v", argv, err)
	}
}

// SanitizeArg leaves only characters no shell or option parser reads
// specially.
func TestSanitizeArg(t *testing.T) {
	for in, want := range map[string]string{
		"host.example.org":        "host.example.org",
		"2001:db8::1":             "2001:db8::1",
		"$(reboot)":               "__reboot_",
		"-rf":                     "_rf",
		"a b\tc\nd":               "a_b_c_d",
		"caf\u00e9":               "caf__",
		strings.Repeat("x", 1000): strings.Repeat("x", 256),
	} {
		if got := alert.SanitizeArg(in); got != want {
			t.Errorf("SanitizeArg(%q) = %q, want %q", in, got, want)
		}
	}
}
