// Package smtptest runs Debian's aiosmtpd (python3-aiosmtpd) as an SMTP
// server on 127.0.0.1 for tests that send real mail.
//
// The server is smtpsink.py, embedded here and run by Debian's
// /usr/bin/python3. It writes each message it accepts to a private
// directory as msg-N.eml (the data as received) and msg-N.json (the
// envelope, whether TLS was on, who logged in), both complete on disk
// before it answers 250; every AUTH attempt is appended to auth.log.
// Options turn on STARTTLS (with a certificate the test provides),
// require it, and require authentication.
//
// Tests that need the server skip, saying which package to install,
// when python3-aiosmtpd is missing.
package smtptest

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Python is Debian's interpreter, which has python3-aiosmtpd; the
// python3 on PATH may be another one.
const Python = "/usr/bin/python3"

//go:embed smtpsink.py
var script []byte

// Options configure the server. The zero value is a plain server that
// offers no STARTTLS and takes mail from anyone.
type Options struct {
	// CertFile and KeyFile, both PEM, turn on STARTTLS.
	CertFile, KeyFile string
	// RequireSTARTTLS refuses mail until the client has started TLS.
	RequireSTARTTLS bool
	// Auth, "USER:PASSWORD", requires authentication with these
	// credentials; only over TLS unless AuthOverPlain is set.
	Auth          string
	AuthOverPlain bool
}

func (o Options) args() []string {
	var a []string
	if o.CertFile != "" {
		a = append(a, "--cert", o.CertFile, "--key", o.KeyFile)
	}
	if o.RequireSTARTTLS {
		a = append(a, "--require-starttls")
	}
	if o.Auth != "" {
		a = append(a, "--auth", o.Auth)
	}
	if o.AuthOverPlain {
		a = append(a, "--auth-over-plain")
	}
	return a
}

// Sink is a running server.
type Sink struct {
	Dir  string // where the messages land
	Addr string // host:port on 127.0.0.1
}

// Message is one message the server accepted.
type Message struct {
	From  string   `json:"from"`
	To    []string `json:"to"`
	TLS   bool     `json:"tls"`
	Login string   `json:"login"` // the user that authenticated, or ""
	Data  string   `json:"-"`     // the message as received
}

// Need skips the test when Debian's aiosmtpd is not installed.
func Need(t testing.TB) {
	t.Helper()
	if err := exec.Command(Python, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skip("needs Debian's python3-aiosmtpd (apt-get install -y python3-aiosmtpd): ", err)
	}
}

// Start runs the server on a free port of 127.0.0.1 and waits up to 30
// seconds for it to accept connections. It is stopped when the test
// ends; its standard error goes to the test log.
func Start(t testing.TB, o Options) *Sink {
	t.Helper()
	Need(t)
	dir := t.TempDir()
	prog := filepath.Join(t.TempDir(), "smtpsink.py")
	if err := os.WriteFile(prog, script, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Python, append([]string{prog, dir}, o.args()...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Each message is complete on disk before the server answers
		// 250, so there is nothing to lose by killing it.
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		port, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
		if !ok {
			t.Fatalf("smtpsink did not start: %q", line)
		}
		return &Sink{Dir: dir, Addr: net.JoinHostPort("127.0.0.1", port)}
	case <-time.After(30 * time.Second):
		t.Fatal("smtpsink did not start in 30s")
	}
	return nil
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log("smtpsink: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Messages returns what the server has accepted so far, in order.
func (s *Sink) Messages(t testing.TB) []Message {
	t.Helper()
	var out []Message
	for i := 1; ; i++ {
		base := filepath.Join(s.Dir, fmt.Sprintf("msg-%d", i))
		meta, err := os.ReadFile(base + ".json")
		if os.IsNotExist(err) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var m Message
		if err := json.Unmarshal(meta, &m); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(base + ".eml")
		if err != nil {
			t.Fatal(err)
		}
		m.Data = string(data)
		out = append(out, m)
	}
}

// AuthLog returns the AUTH attempts so far, one a line:
// "MECHANISM USER ok|bad tls=True|False".
func (s *Sink) AuthLog(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Dir, "auth.log"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}
