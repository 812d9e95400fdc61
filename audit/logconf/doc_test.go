package logconf_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"tcpwrap/audit/logconf"
)

// TestManPage: the configurations in tcpwrap-logging.conf(5) parse, and
// the one under DEFAULTS is Default().
func TestManPage(t *testing.T) {
	b, err := os.ReadFile("../../man/tcpwrap-logging.conf.5")
	if err != nil {
		t.Fatal(err)
	}
	section := ""
	var block []string
	in := false
	blocks := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, ".SH "):
			section = strings.Trim(strings.TrimPrefix(line, ".SH "), `"`)
		case line == ".EX":
			in, block = true, nil
		case line == ".EE":
			in = false
			if section != "EXAMPLES" && section != "DEFAULTS" {
				continue
			}
			blocks++
			text := strings.ReplaceAll(strings.Join(block, "\n"), `\e`, `\`)
			cfg, err := logconf.Parse(strings.NewReader(text), "man page "+section)
			if err != nil {
				t.Errorf("%v\n%s", err, text)
				continue
			}
			if section == "DEFAULTS" && !reflect.DeepEqual(cfg, logconf.Default()) {
				t.Errorf("DEFAULTS gives %+v, not Default()", cfg)
			}
		case in:
			block = append(block, line)
		}
	}
	if blocks != 4 {
		t.Errorf("found %d example blocks, want 4", blocks)
	}
}
