package hostsfile_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	// Write a new file and rename it into place, as editors and
	// tcpdwatch do, so a reader never sees half a file.
	tmp := path + ".tmp"
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

func TestReadTableErrors(t *testing.T) {
	dir := t.TempDir()
	if tab := hostsfile.ReadTable(filepath.Join(dir, "missing"), hostsfile.OS{}); tab != nil {
		t.Errorf("missing file: %v, want nil (no table)", tab)
	}
	if tab := hostsfile.ReadTable(dir, hostsfile.OS{}); tab == nil || len(tab.Rules) != 0 || tab.OpenErr != "" {
		t.Errorf("directory: %+v, want an empty table", tab)
	}
	loop := filepath.Join(dir, "loop")
	os.Symlink(loop, loop)
	if tab := hostsfile.ReadTable(loop, hostsfile.OS{}); tab == nil || tab.OpenErr != "cannot open "+loop+": Too many levels of symbolic links" {
		t.Errorf("symlink loop: %+v", tab)
	}
}

func TestEngineReloadsChangedFiles(t *testing.T) {
	dir := t.TempDir()
	allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
	write(t, allow, "")
	write(t, deny, "ALL: 192.0.2.1\n")
	e := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: time.Millisecond})
	if d := e.Check(req("192.0.2.1"), access.Hooks{}); d.Verdict != access.Denied {
		t.Fatalf("before: %v", d.Verdict)
	}
	write(t, deny, "ALL: 192.0.2.2\n")
	time.Sleep(5 * time.Millisecond)
	if d := e.Check(req("192.0.2.1"), access.Hooks{}); d.Verdict != access.Granted {
		t.Fatalf("after the edit: %v", d.Verdict)
	}
	if e.Reloads() != 1 {
		t.Errorf("%d reloads, want 1", e.Reloads())
	}
	// Nothing changed: no reload.
	time.Sleep(5 * time.Millisecond)
	e.Check(req("192.0.2.1"), access.Hooks{})
	if e.Reloads() != 1 {
		t.Errorf("%d reloads after no change, want 1", e.Reloads())
	}
}

// A /file list is watched like the tables themselves.
func TestEngineReloadsFileLists(t *testing.T) {
	dir := t.TempDir()
	allow, deny, list := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "banned")
	write(t, allow, "")
	write(t, deny, "ALL: "+list+"\n")
	write(t, list, "192.0.2.1\n")
	e := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: time.Millisecond})
	if d := e.Check(req("192.0.2.7"), access.Hooks{}); d.Verdict != access.Granted {
		t.Fatalf("before: %v", d.Verdict)
	}
	write(t, list, "192.0.2.1\n192.0.2.7\n")
	time.Sleep(5 * time.Millisecond)
	if d := e.Check(req("192.0.2.7"), access.Hooks{}); d.Verdict != access.Denied {
		t.Fatalf("after adding to the list: %v", d.Verdict)
	}
}

// Many goroutines decide while the tables change under them; run with
// -race. Every decision must come from one whole version of the tables.
func TestEngineConcurrent(t *testing.T) {
	dir := t.TempDir()
	allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
	write(t, allow, "sshd: 192.0.2.1\n")
	write(t, deny, "ALL: ALL\n")
	e := hostsfile.New(hostsfile.Config{Allow: allow, Deny: deny, Interval: time.Microsecond})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d := e.Check(req("192.0.2.1"), access.Hooks{})
				// Version A grants through hosts.allow line 1, version B
				// denies through hosts.deny line 1: nothing else.
				if !(d.Verdict == access.Granted && d.Rule != nil && d.Rule.File == allow) &&
					!(d.Verdict == access.Denied && d.Rule != nil && d.Rule.File == deny) {
					t.Errorf("decision from a mixed version: %v %+v", d.Verdict, d.Rule)
					return
				}
			}
		}()
	}
	for i := range 50 {
		if i%2 == 0 {
			write(t, allow, "sshd: 192.0.2.9\n")
		} else {
			write(t, allow, "sshd: 192.0.2.1\n")
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
}
