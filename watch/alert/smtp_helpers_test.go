package alert_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// debianPython is Debian's interpreter, which has python3-aiosmtpd; the
// python3 on PATH may be another one.
const debianPython = "/usr/bin/python3"

// needAiosmtpd skips the test when Debian's aiosmtpd is not installed.
func needAiosmtpd(t *testing.T) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skip("needs Debian's python3-aiosmtpd (apt-get install -y python3-aiosmtpd): ", err)
	}
}

// smtpSink is a running aiosmtpd server.
type smtpSink struct {
	dir  string
	addr string
}

// startSink starts testdata/smtpsink.py with args on 127.0.0.1 and
// waits for it to say it is ready. It is stopped when the test ends.
func startSink(t *testing.T, args ...string) *smtpSink {
	t.Helper()
	needAiosmtpd(t)
	dir := t.TempDir()
	cmd := exec.Command(debianPython, append([]string{"testdata/smtpsink.py", dir}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &testWriter{t: t, prefix: "smtpsink: "}
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
		return &smtpSink{dir: dir, addr: net.JoinHostPort("127.0.0.1", port)}
	case <-time.After(30 * time.Second):
		t.Fatal("smtpsink did not start in 30s")
	}
	return nil
}

type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// delivered is one message the sink received.
type delivered struct {
	From  string   `json:"from"`
	To    []string `json:"to"`
	TLS   bool     `json:"tls"`
	Login string   `json:"login"`
	Data  string
}

// messages returns what the sink has received so far.
func (s *smtpSink) messages(t *testing.T) []delivered {
	t.Helper()
	var out []delivered
	for i := 1; ; i++ {
		base := filepath.Join(s.dir, fmt.Sprintf("msg-%d", i))
		meta, err := os.ReadFile(base + ".json")
		if os.IsNotExist(err) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var d delivered
		if err := json.Unmarshal(meta, &d); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(base + ".eml")
		if err != nil {
			t.Fatal(err)
		}
		d.Data = string(data)
		out = append(out, d)
	}
}

func (s *smtpSink) authLog(t *testing.T) string {
	data, err := os.ReadFile(filepath.Join(s.dir, "auth.log"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// testCert writes a self-signed certificate for 127.0.0.1 and its key
// to dir, and returns their paths.
func testCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tcpdwatch test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
