package filelog_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

// FuzzParseSelector: no panic; an error comes with the zero Selector and
// quotes the input; a selector that parses means the same after String,
// and String is a fixed point.
func FuzzParseSelector(f *testing.F) {
	for _, tt := range selectorTests {
		f.Add(tt.sel)
	}
	for _, s := range []string{"", ";", ".", "*.", ".*", "mail.=*", "mail.!=none", "a,b,c.info;;", "*.info,mail.none", "MAIL.!=WARN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := filelog.ParseSelector(s)
		if err != nil {
			if sel != (filelog.Selector{}) {
				t.Fatalf("ParseSelector(%q) returned a Selector with its error", s)
			}
			if s != "" && !strings.HasPrefix(err.Error(), "selector "+strconv.Quote(s)+": ") {
				t.Fatalf("ParseSelector(%q) error does not quote it: %v", s, err)
			}
			return
		}
		checkRoundTrip(t, s, sel)
		// Case does not matter.
		if up, err := filelog.ParseSelector(strings.ToUpper(s)); err != nil || up != sel {
			t.Fatalf("ParseSelector(%q) differs from the same in upper case: %v", s, err)
		}
	})
}

// FuzzAppendLine: whatever the strings, each format gives exactly one
// line, and JSON lines are JSON.
func FuzzAppendLine(f *testing.F) {
	f.Add("tcpd", "connect from 192.0.2.7", "gate", 3, 6)
	f.Add("a\nb", "x\x00\xff\u2028\"\\", "h o\x7fst", 255, -1)
	f.Fuzz(func(t *testing.T, app, text, host string, fac, sev int) {
		m := &audit.Message{
			Time:     time.Unix(1e9, 0),
			Priority: audit.Priority{Facility: audit.Facility(fac << 3), Severity: audit.Severity(sev)},
			Hostname: host, AppName: app, PID: fac, Text: text,
		}
		for _, format := range []filelog.Format{filelog.Text, filelog.JSON} {
			line := format.AppendLine(nil, m, "gate")
			if i := strings.IndexByte(string(line), '\n'); i != len(line)-1 {
				t.Fatalf("%v: not one line: %q", format, line)
			}
		}
		line := filelog.JSON.AppendLine(nil, m, "gate")
		checkOneLine(t, line)
		var obj struct{ App, Text string }
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Fatalf("not JSON: %v: %q", err, line)
		}
	})
}
