package trail

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/internal/rsyslogtest"
)

// The configuration file's TLS remote with a client certificate, end to
// end: the log host requires the certificate and stores the record.
func TestConfigFileTLS(t *testing.T) {
	central := rsyslogtest.Start(t, rsyslogtest.WithClientAuth())
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert := central.ClientCert()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	ca := write("ca.pem", central.CACertPEM())
	crt := write("client.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
	k := write("client.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
	conf := write("logging.conf", []byte(strings.Join([]string{
		"syslog off",
		"json " + filepath.Join(dir, "d.jsonl"),
		"remote tls " + central.TLSAddr() + " ca=" + ca + " cert=" + crt + " key=" + k,
		"spool " + filepath.Join(dir, "spool"),
		"",
	}, "\n")))
	tr, err := OpenFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	decideAndLog(tr, "192.0.2.9", access.Hooks{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := central.Wait(t, 1, 10*time.Second)
	if got[0].Input != "imtcp-tls" || !strings.Contains(got[0].StructuredData, `verdict="denied"`) {
		t.Errorf("stored %+v", got[0])
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "logging.conf")
	os.WriteFile(bad, []byte("syslog sometimes\n"), 0o644)
	if _, err := OpenFile(bad); err == nil || !strings.Contains(err.Error(), "logging.conf:1:") {
		t.Errorf("error %v, want one naming file and line", err)
	}
	tlsBad := filepath.Join(dir, "tls.conf")
	os.WriteFile(tlsBad, []byte("remote tls 127.0.0.1:6514 ca="+filepath.Join(dir, "missing.pem")+"\n"), 0o644)
	if _, err := OpenFile(tlsBad); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("error %v, want the missing CA file named", err)
	}
}
