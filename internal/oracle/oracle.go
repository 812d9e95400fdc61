// Package oracle runs the Debian tcp_wrappers binaries (tcpdmatch, tcpdchk)
// — or any other program, such as our own Go builds — under controlled
// conditions so that their behaviour can be compared.
//
// Debian's tcpdmatch and tcpdchk send their diagnostics to syslog rather
// than to stdout/stderr (tcp_wrappers-behaviour.md §8.4). Run therefore
// executes the program inside a private mount namespace in which /dev is a
// fresh tmpfs and /dev/log is a socket owned by the oracle; every record the
// program sends there is returned in Result.Log. Nothing outside the
// namespace (the real /dev, /etc) is touched.
//
// The work inside the namespace is done by a small helper program
// (internal/oracle/nsrun) that is built with the go command on first use
// and cached in the user cache directory.
package oracle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"tcpwrap/internal/oracle/nsproto"
)

// Default locations of the Debian binaries.
const (
	Tcpdmatch = "/usr/sbin/tcpdmatch"
	Tcpdchk   = "/usr/sbin/tcpdchk"
)

// Placeholder is the literal replaced by the scratch directory path in
// Case.Args, Case.Allow, Case.Deny and Case.Files contents, and put back in
// place of that path in every output.
const Placeholder = "SCRATCH"

// DefaultTimeout bounds a single Run; the program is killed when it expires.
const DefaultTimeout = 60 * time.Second

// Credential is a user and group ID for the program to run as. Supplementary
// groups are cleared (like setpriv --reuid=U --regid=G --clear-groups).
type Credential struct {
	UID, GID uint32
}

// Case describes one run.
type Case struct {
	// Contents of ./hosts.allow and ./hosts.deny; nil means the file is absent.
	Allow, Deny []byte
	// Extra files; keys are slash-separated paths relative to the scratch
	// dir (parent directories are created). A leading "SCRATCH/" is allowed
	// and ignored.
	Files map[string][]byte
	// If non-nil, bind-mounted over /etc/hosts for the run (private mount
	// namespace); nil means the machine's /etc/hosts.
	Hosts []byte
	// Arguments after the program name. "SCRATCH" inside any argument is
	// replaced by the scratch dir path.
	Args []string
	// Optional: runs (in this process, outside the namespace) after the
	// files are written and before the program starts.
	Setup func(dir string) error

	// Optional extras.

	// Argv0 is the program's argv[0]; default filepath.Base(program). The
	// Debian binaries print it in their usage messages and glibc derives
	// the syslog ident from it.
	Argv0 string
	// RunAs, if non-nil, runs the program with these credentials.
	RunAs *Credential
	// Env is appended to the minimal environment
	// (PATH=/usr/sbin:/usr/bin:/sbin:/bin, LC_ALL=C, TZ=UTC).
	Env []string
	// Timeout overrides DefaultTimeout.
	Timeout time.Duration
}

// Result is what a run produced. Every occurrence of the scratch dir path is
// replaced by "SCRATCH".
type Result struct {
	Stdout, Stderr string
	// Exit status; 128+signal number if the program was killed by a signal.
	Exit int
	// Text of each syslog record received on /dev/log, in order, without
	// priority, timestamp and ident, e.g.
	// "warning: hosts.allow, line 1: missing newline or line too long".
	Log []string
	// The same records with their priority and ident.
	Records []Record
	// Wall-clock run time of the program.
	Elapsed time.Duration
	// TimedOut is set when the program was killed because Timeout expired.
	TimedOut bool
}

var (
	availOnce   sync.Once
	availOK     bool
	availReason string
)

// Available reports whether the Debian binaries can be run under capture
// here (Linux, root, unshare(1) present and able to create a mount
// namespace, /usr/sbin/tcpdmatch and /usr/sbin/tcpdchk present); if not,
// reason says why (tests call t.Skip(reason)). The result is computed once.
//
// Run itself needs only the capture part (it can run any program, e.g. our
// own builds, on a machine without the Debian binaries).
func Available() (ok bool, reason string) {
	availOnce.Do(func() { availOK, availReason = probe() })
	return availOK, availReason
}

var (
	captureOnce   sync.Once
	captureOK     bool
	captureReason string
)

// captureAvailable reports whether Run can work at all (for any program).
func captureAvailable() (bool, string) {
	captureOnce.Do(func() { captureOK, captureReason = probeCapture() })
	return captureOK, captureReason
}

func probe() (bool, string) {
	if ok, reason := captureAvailable(); !ok {
		return false, reason
	}
	for _, p := range []string{Tcpdmatch, Tcpdchk} {
		if fi, err := os.Stat(p); err != nil {
			return false, "oracle: Debian binary missing: " + err.Error()
		} else if fi.Mode()&0o111 == 0 {
			return false, "oracle: " + p + " is not executable"
		}
	}
	return true, ""
}

func probeCapture() (bool, string) {
	if runtime.GOOS != "linux" {
		return false, "oracle: needs Linux mount namespaces, GOOS is " + runtime.GOOS
	}
	if os.Geteuid() != 0 {
		return false, "oracle: must run as root to create a private mount namespace"
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return false, "oracle: unshare(1) not found: " + err.Error()
	}
	out, err := exec.Command(unshare, "--mount", "--propagation", "private", "true").CombinedOutput()
	if err != nil {
		return false, fmt.Sprintf("oracle: unshare --mount does not work here: %v: %s", err, bytes.TrimSpace(out))
	}
	return true, ""
}

// helper build cache
var (
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

func helper() (string, error) {
	helperOnce.Do(func() { helperPath, helperErr = buildHelper() })
	return helperPath, helperErr
}

// sourceDir returns the directory holding this file, if it is available.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "nsrun", "main.go")); err != nil {
		return ""
	}
	return dir
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/local/go/bin/go", "/usr/lib/go/bin/go"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

func buildHelper() (string, error) {
	const pkg = "tcpwrap/internal/oracle/nsrun"
	src := sourceDir()
	var buildDir string
	var key []byte
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	if src != "" {
		buildDir = src
		for _, f := range []string{"nsrun/main.go", "nsproto/nsproto.go", "../nsmount/nsmount.go"} {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				return "", err
			}
			h.Write(b)
		}
		key = h.Sum(nil)
	}

	var outDir string
	if key != nil {
		if cache, err := os.UserCacheDir(); err == nil {
			outDir = filepath.Join(cache, "tcpwrap-oracle", "nsrun-"+hex.EncodeToString(key[:8]))
			bin := filepath.Join(outDir, "nsrun")
			if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
				return bin, nil
			}
			if err := os.MkdirAll(outDir, 0o700); err != nil {
				outDir = ""
			}
		}
	}
	if outDir == "" {
		d, err := os.MkdirTemp("", "tcpwrap-oracle-nsrun-")
		if err != nil {
			return "", err
		}
		outDir = d
	}
	bin := filepath.Join(outDir, "nsrun")
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	cmd := exec.Command(goCommand(), "build", "-o", tmp, pkg)
	cmd.Dir = buildDir // "" = current directory, which is inside the module under go test
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("oracle: building %s: %v\n%s", pkg, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return bin, nil
}

// Run runs program (an absolute path: /usr/sbin/tcpdmatch, or our built
// binary) in a fresh scratch dir (its cwd, mode 0755) inside a private mount
// namespace with the Hosts override and a /dev/log capture. The syslog
// records received on /dev/log are returned in Log (for any program); the
// scratch dir path is replaced back by the literal "SCRATCH" in all outputs
// so results are comparable. The scratch dir is removed afterwards.
func Run(program string, c Case) (Result, error) {
	if !filepath.IsAbs(program) {
		return Result{}, fmt.Errorf("oracle: program %q is not an absolute path", program)
	}
	if ok, reason := captureAvailable(); !ok {
		return Result{}, errors.New(reason)
	}
	nsrun, err := helper()
	if err != nil {
		return Result{}, err
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return Result{}, err
	}

	base, err := os.MkdirTemp("", "tcpwrap-oracle-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(base)
	if base, err = filepath.EvalSymlinks(base); err != nil {
		return Result{}, err
	}
	if err := os.Chmod(base, 0o755); err != nil {
		return Result{}, err
	}
	scratch := filepath.Join(base, "s")
	oldDev := filepath.Join(base, "olddev")
	for _, d := range []string{scratch, oldDev} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return Result{}, err
		}
		if err := os.Chmod(d, 0o755); err != nil { // umask-proof
			return Result{}, err
		}
	}
	expand := func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(Placeholder), []byte(scratch))
	}
	if c.Allow != nil {
		if err := writeFile(filepath.Join(scratch, "hosts.allow"), expand(c.Allow)); err != nil {
			return Result{}, err
		}
	}
	if c.Deny != nil {
		if err := writeFile(filepath.Join(scratch, "hosts.deny"), expand(c.Deny)); err != nil {
			return Result{}, err
		}
	}
	for name, data := range c.Files {
		rel := strings.TrimPrefix(name, Placeholder+"/")
		rel = filepath.FromSlash(rel)
		if rel == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
			return Result{}, fmt.Errorf("oracle: bad file name %q (must be relative to the scratch dir)", name)
		}
		p := filepath.Join(scratch, rel)
		if err := mkdirAll(filepath.Dir(p), scratch); err != nil {
			return Result{}, err
		}
		if err := writeFile(p, expand(data)); err != nil {
			return Result{}, err
		}
	}
	var hostsPath string
	if c.Hosts != nil {
		hostsPath = filepath.Join(base, "hosts")
		if err := writeFile(hostsPath, c.Hosts); err != nil {
			return Result{}, err
		}
	}
	if c.Setup != nil {
		if err := c.Setup(scratch); err != nil {
			return Result{}, fmt.Errorf("oracle: setup: %w", err)
		}
	}

	argv0 := c.Argv0
	if argv0 == "" {
		argv0 = filepath.Base(program)
	}
	argv := []string{argv0}
	for _, a := range c.Args {
		argv = append(argv, strings.ReplaceAll(a, Placeholder, scratch))
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	req := nsproto.Request{
		Program: program,
		Argv:    argv,
		Dir:     scratch,
		Env:     append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC"}, c.Env...),
		Hosts:   hostsPath,
		OldDev:  oldDev,
		Timeout: timeout.Seconds(),
	}
	if c.RunAs != nil {
		uid, gid := c.RunAs.UID, c.RunAs.GID
		req.UID, req.GID = &uid, &gid
	}
	reqJSON, err := json.Marshal(&req)
	if err != nil {
		return Result{}, err
	}

	// The helper enforces the timeout itself; this outer one is a backstop.
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "--mount", "--propagation", "private", nsrun)
	cmd.Dir = base
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC"}
	cmd.Stdin = bytes.NewReader(reqJSON)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("oracle: nsrun: %v: %s", err, bytes.TrimSpace(errOut.Bytes()))
	}
	var rep nsproto.Reply
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return Result{}, fmt.Errorf("oracle: nsrun reply: %v (stderr: %s)", err, bytes.TrimSpace(errOut.Bytes()))
	}
	if rep.Error != "" {
		return Result{}, fmt.Errorf("oracle: nsrun: %s", rep.Error)
	}

	unexpand := func(s string) string { return strings.ReplaceAll(s, scratch, Placeholder) }
	res := Result{
		Stdout:   unexpand(string(rep.Stdout)),
		Stderr:   unexpand(string(rep.Stderr)),
		Exit:     rep.Exit,
		Elapsed:  time.Duration(rep.Elapsed * float64(time.Second)),
		TimedOut: rep.TimedOut,
		Log:      []string{},
		Records:  []Record{},
	}
	for _, d := range rep.Syslog {
		r := ParseRecord(d)
		r.Text = unexpand(r.Text)
		r.Raw = unexpand(r.Raw)
		res.Records = append(res.Records, r)
		res.Log = append(res.Log, r.Text)
	}
	if rep.TimedOut {
		return res, fmt.Errorf("oracle: %s timed out after %v", program, timeout)
	}
	return res, nil
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return os.Chmod(path, 0o644) // umask-proof
}

// mkdirAll creates dir and its parents below root with mode 0755.
func mkdirAll(dir, root string) error {
	if dir == root {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirAll(filepath.Dir(dir), root); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, 0o755)
}
