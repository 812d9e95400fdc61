package main

import (
	"context"
	"testing"
	"time"
)

// argv[0] as Debian's tcpd reads it (tricky cases G01, G22, G23).
func TestDaemonPath(t *testing.T) {
	for _, c := range []struct{ argv0, name, path string }{
		{"/usr/sbin/in.fingerd", "in.fingerd", "/usr/sbin/in.fingerd"},
		{"in.fingerd", "in.fingerd", "/usr/sbin/in.fingerd"},
		{"bin/in.fake", "bin/in.fake", "/usr/sbin/bin/in.fake"}, // not reduced
		{"/x", "x", "/x"},
	} {
		name, path := daemonPath(c.argv0, "/usr/sbin")
		if name != c.name || path != c.path {
			t.Errorf("%q: %q %q, want %q %q", c.argv0, name, path, c.name, c.path)
		}
	}
}

func TestCloseCtx(t *testing.T) {
	ctx := closeCtx()
	d, ok := ctx.Deadline()
	if !ok || time.Until(d) <= 0 || time.Until(d) > 2*time.Second {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if ctx.Err() != nil {
		t.Fatalf("Err before the deadline: %v", ctx.Err())
	}
	c := &deadlineCtx{deadline: time.Now().Add(20 * time.Millisecond)}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the deadline")
	}
	if c.Err() != context.DeadlineExceeded {
		t.Fatalf("Err after the deadline: %v", c.Err())
	}
	// A context derived from it ends with it.
	child, cancel := context.WithCancel(&deadlineCtx{deadline: time.Now().Add(20 * time.Millisecond)})
	defer cancel()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("child not done")
	}
}
