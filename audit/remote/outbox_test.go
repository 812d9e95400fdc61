package remote_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/audit"
	"tcpwrap/audit/remote"
)

// Records left in an outbox by several writers are shipped in the order
// of their times, each file removed once sent; a file that is no record
// is set aside, never sent.
func TestOutboxDrain(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dir := filepath.Join(t.TempDir(), "outbox")
	o1, err := remote.NewOutbox(dir, "gate")
	if err != nil {
		t.Fatal(err)
	}
	o2, _ := remote.NewOutbox(dir, "gate") // a second process
	base := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	for i, o := range []*remote.Outbox{o2, o1, o2} {
		// Written out of order: 2, 0, 1.
		at := base.Add(time.Duration((i+2)%3) * time.Second)
		m := &audit.Message{Time: at, Priority: audit.RefusePriority, AppName: "in.fingerd", PID: 7,
			Text: "refused connect from 192.0.2." + string(rune('0'+(i+2)%3))}
		if err := o.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "9999999999999999999-1-0"), nil, 0o600) // empty: not a record

	s, err := remote.New(remote.Config{Network: "udp", Addr: pc.LocalAddr().String(), Hostname: "gate"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := remote.DrainOutbox(context.Background(), dir, s, 0, 10*time.Millisecond)
	s.Close(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("DrainOutbox: %d shipped, %v; want 3", n, err)
	}
	buf := make([]byte, 4096)
	for i := range 3 {
		pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := "refused connect from 192.0.2." + string(rune('0'+i)); !strings.HasSuffix(string(buf[:k]), want) {
			t.Errorf("datagram %d: %q, want it to end in %q", i, buf[:k], want)
		}
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != ".bad-9999999999999999999-1-0 LOCK" {
		t.Errorf("outbox left with %v", names)
	}
}

// One shipper per outbox: a second one is told so and touches nothing.
func TestOutboxOneShipper(t *testing.T) {
	dir := t.TempDir()
	o, _ := remote.NewOutbox(dir, "gate")
	o.Send(&audit.Message{Time: time.Now(), Text: "x"})
	if o.ShipperRunning() {
		t.Fatal("a shipper is running before any started")
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if !o.ShipperRunning() {
		t.Error("the held lock is not seen")
	}
	s, _ := remote.New(remote.Config{Network: "udp", Addr: "127.0.0.1:9", Hostname: "gate"})
	defer s.Close(context.Background())
	if _, err := remote.DrainOutbox(context.Background(), dir, s, 0, 0); err != remote.ErrShipperBusy {
		t.Errorf("second shipper: %v, want ErrShipperBusy", err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "[0-9]*")); len(names) != 1 {
		t.Errorf("records %v, want the one left alone", names)
	}
}
