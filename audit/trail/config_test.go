package trail

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/audit/logconf"
	"tcpwrap/audit/remote"
	"tcpwrap/internal/rsyslogtest"
)

// The configuration file's TLS remote with a client certificate, in a
// program without TLS (as tcpd is built): the record goes to the outbox,
// Close starts the real tcpwrap-logship, which ships it over TLS; the log
// host requires the certificate and stores the record.
func TestConfigFileTLSThroughOutbox(t *testing.T) {
	central := rsyslogtest.Start(t, rsyslogtest.WithClientAuth())
	dir := t.TempDir()
	ca, crt, k := central.WriteClientFiles(t, dir)
	spool := filepath.Join(dir, "spool")
	conf := filepath.Join(dir, "logging.conf")
	if err := os.WriteFile(conf, []byte(strings.Join([]string{
		"syslog off",
		"json " + filepath.Join(dir, "d.jsonl"),
		"remote tls " + central.TLSAddr() + " ca=" + ca + " cert=" + crt + " key=" + k,
		"spool " + spool,
		"",
	}, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	shipper := filepath.Join(dir, "tcpwrap-logship")
	if out, err := exec.Command("go", "build", "-o", shipper, "tcpwrap/cmd/tcpwrap-logship").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	c, err := logconf.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Remotes) != 0 || len(cfg.Outboxes) != 1 {
		t.Fatalf("without TLS: remotes %v, outboxes %v; want the TLS host as an outbox", cfg.Remotes, cfg.Outboxes)
	}
	outbox := cfg.Outboxes[0].Dir
	cfg.Shipper, cfg.ShipperConf = shipper, conf
	tr, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	decideAndLog(tr, "192.0.2.9", access.Hooks{})
	decideAndLog(tr, "192.0.2.10", access.Hooks{})
	if names, _ := filepath.Glob(filepath.Join(outbox, "[0-9]*")); len(names) != 2 {
		t.Errorf("outbox holds %v, want the 2 records", names)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := central.Wait(t, 2, 20*time.Second)
	if got[0].Input != "imtcp-tls" || !strings.Contains(got[0].StructuredData, `verdict="denied"`) ||
		!strings.Contains(got[0].Msg, "192.0.2.9") || !strings.Contains(got[1].Msg, "192.0.2.10") {
		t.Errorf("stored %+v", got)
	}
	// Each record's file goes once the log host has it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		names, _ := filepath.Glob(filepath.Join(outbox, "[0-9]*"))
		if len(names) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %v", names)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The shipper lingers for more; stop it.
	o := &remote.Outbox{Dir: outbox}
	if !o.ShipperRunning() {
		t.Error("no shipper holds the outbox")
	}
	exec.Command("pkill", "-f", "^"+shipper+" ").Run()
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "logging.conf")
	os.WriteFile(bad, []byte("syslog sometimes\n"), 0o644)
	if _, err := OpenFile(bad); err == nil || !strings.Contains(err.Error(), "logging.conf:1:") {
		t.Errorf("error %v, want one naming file and line", err)
	}
}
