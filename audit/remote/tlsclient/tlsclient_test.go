package tlsclient_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/audit"
	_ "tcpwrap/audit/remote/tlsclient"
	"tcpwrap/audit/trail"
	"tcpwrap/internal/rsyslogtest"
)

// In a program that imports this package, the configuration file's TLS
// remote is shipped to directly: the log host requires the client
// certificate and stores the record.
func TestConfigFileTLS(t *testing.T) {
	central := rsyslogtest.Start(t, rsyslogtest.WithClientAuth())
	dir := t.TempDir()
	ca, crt, k := central.WriteClientFiles(t, dir)
	conf := filepath.Join(dir, "logging.conf")
	if err := os.WriteFile(conf, []byte(strings.Join([]string{
		"syslog off",
		"json off",
		"remote tls " + central.TLSAddr() + " ca=" + ca + " cert=" + crt + " key=" + k,
		"",
	}, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := trail.OpenFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	tr.Record(&audit.Message{Time: time.Now(), Priority: audit.RefusePriority, AppName: "in.fingerd", PID: 4242,
		Text:   "refused connect from 192.0.2.9 (192.0.2.9)",
		Record: &audit.Record{Verdict: "denied", Daemon: "in.fingerd", Client: audit.Endpoint{Addr: "192.0.2.9"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := central.Wait(t, 1, 10*time.Second)
	if got[0].Input != "imtcp-tls" || !strings.Contains(got[0].StructuredData, `verdict="denied"`) {
		t.Errorf("stored %+v", got[0])
	}
	if _, err := os.Stat(filepath.Join(trail.DefaultOutboxBase)); err == nil {
		if names, _ := filepath.Glob(filepath.Join(trail.DefaultOutboxBase, "tls-*.outbox", "[0-9]*")); len(names) > 0 {
			t.Errorf("records left in an outbox although this program has TLS: %v", names)
		}
	}
}

func TestConfigFileTLSErrors(t *testing.T) {
	dir := t.TempDir()
	tlsBad := filepath.Join(dir, "tls.conf")
	os.WriteFile(tlsBad, []byte("remote tls 127.0.0.1:6514 ca="+filepath.Join(dir, "missing.pem")+"\n"), 0o644)
	if _, err := trail.OpenFile(tlsBad); err == nil || !strings.Contains(err.Error(), "missing.pem") || !strings.Contains(err.Error(), "remote 127.0.0.1:6514") {
		t.Errorf("error %v, want the host and the missing CA file named", err)
	}
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644)
	os.WriteFile(tlsBad, []byte("remote tls 127.0.0.1:6514 ca="+notPEM+"\n"), 0o644)
	if _, err := trail.OpenFile(tlsBad); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("error %v, want the CA file refused", err)
	}
}
