package hostswatch_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/hostsfile/hostswatch"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp" // renamed into place, as editors do
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func req(client string) access.Request {
	return access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: client}, User: access.Unknown}
}

// A change is in force long before the check interval (here: never) would
// have noticed it: for a table, and for a /file list a table names.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	allow, deny, list := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "list")
	write(t, allow, "")
	write(t, deny, "")
	write(t, list, "")
	e := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: -1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- hostswatch.Watch(ctx, e) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the watcher start
	waitFor := func(client string, want access.Verdict) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for e.Check(req(client), access.Hooks{}).Verdict != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the watcher did not pick up the change within 5 s", client)
			}
			time.Sleep(time.Millisecond)
		}
	}
	write(t, deny, "ALL: 192.0.2.1 "+list+"\n")
	waitFor("192.0.2.1", access.Denied)
	if len(e.Files()) != 3 {
		t.Fatalf("Files() = %q, want the two tables and the list", e.Files())
	}
	write(t, list, "192.0.2.9\n")
	waitFor("192.0.2.9", access.Denied)
	if e.Stale() {
		t.Error("Stale after the reload")
	}
}

func ExampleWatch() {
	e := hostsfile.New(hostsfile.Config{}) // /etc/hosts.allow and /etc/hosts.deny
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	go hostswatch.Watch(ctx, e) // reloads e at once when a table changes
	<-ctx.Done()
}
