package inetconf_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"tcpwrap/inetconf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden parses testdata/rich.conf and compares every service and
// warning with testdata/rich.golden (go test -update rewrites it).
func TestGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/rich.conf")
	if err != nil {
		t.Fatal(err)
	}
	svcs, warns, err := inetconf.Parse(strings.NewReader(string(b)), "rich.conf", testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("# services\n")
	for _, s := range svcs {
		out.WriteString(summary(s) + "\n")
	}
	out.WriteString("\n# warnings\n")
	out.WriteString(warningLines(warns))
	if *update {
		if err := os.WriteFile("testdata/rich.golden", []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/rich.golden")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("rich.conf gives (run go test -update to accept):\n%s\nwant:\n%s", out.String(), want)
	}
}
