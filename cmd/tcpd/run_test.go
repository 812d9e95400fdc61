package main

import "testing"

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
