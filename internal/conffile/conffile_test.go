package conffile_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/conffile"
)

type entry = conffile.Entry

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []conffile.Section
		errs string // joined
	}{
		{name: "empty", src: ""},
		{name: "comments and blanks", src: "# c\n\n   \n\t# indented comment\n"},
		{
			name: "sections",
			src:  "[alert]\nquiet = 10m\n\n[rule ssh]\n  kind=threshold  \nservices = sshd  ftpd\r\n[ban]\n",
			want: []conffile.Section{
				{Kind: "alert", Line: 1, Entries: []entry{{"quiet", "10m", 2}}},
				{Kind: "rule", Name: "ssh", Line: 4, Entries: []entry{{"kind", "threshold", 5}, {"services", "sshd  ftpd", 6}}},
				{Kind: "ban", Line: 7},
			},
		},
		{
			name: "value keeps = and #",
			src:  "[a]\nk = x=y # not a comment\nempty =\n",
			want: []conffile.Section{{Kind: "a", Line: 1, Entries: []entry{{"k", "x=y # not a comment", 2}, {"empty", "", 3}}}},
		},
		{
			name: "header spacing",
			src:  "[ rule   x ]\n",
			want: []conffile.Section{{Kind: "rule", Name: "x", Line: 1}},
		},
		{
			name: "errors, every one",
			src:  "k = v\n[a\n[]\n[a b c]\n[s]\nno equals\n = v\nbad key = v\nctl = \x01\ndel = \x7f\nok = 1\n",
			want: []conffile.Section{{Kind: "s", Line: 5, Entries: []entry{{"ok", "1", 11}}}},
			errs: "f:1: k outside any section\n" +
				"f:2: section header without ]\n" +
				"f:3: want [kind] or [kind name]\n" +
				"f:4: want [kind] or [kind name]\n" +
				"f:6: want key = value\n" +
				"f:7: bad key \"\"\n" +
				"f:8: bad key \"bad key\"\n" +
				"f:9: control character '\\x01'\n" +
				"f:10: control character '\\x7f'",
		},
		{
			name: "tab is not a control character",
			src:  "[a]\nk =\tx\ty\n",
			want: []conffile.Section{{Kind: "a", Line: 1, Entries: []entry{{"k", "x\ty", 2}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := conffile.Split([]byte(tc.src), "f")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sections\n got %+v\nwant %+v", got, tc.want)
			}
			var msg string
			if err := errors.Join(errs...); err != nil {
				msg = err.Error()
			}
			if msg != tc.errs {
				t.Errorf("errors\n got %q\nwant %q", msg, tc.errs)
			}
		})
	}
}

func TestLines(t *testing.T) {
	src := "# c\n  a = 1 \r\n\n[x]\nb\x00c\nlast"
	type line struct {
		n int
		t string
	}
	var got []line
	var bad []string
	for n, l := range conffile.Lines([]byte(src), func(n int, msg string) { bad = append(bad, msg) }) {
		got = append(got, line{n, l})
	}
	want := []line{{2, "a = 1"}, {4, "[x]"}, {6, "last"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
	if !reflect.DeepEqual(bad, []string{`control character '\x00'`}) {
		t.Errorf("bad %q", bad)
	}
	// Stopping early stops the scan.
	n := 0
	for range conffile.Lines([]byte("a\nb\nc\n"), nil) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("%d lines after break", n)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "0", want: 0},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "36500d", want: 36500 * 24 * time.Hour},
		{in: "36501d", err: true},
		{in: "-1s", err: true},
		{in: "-1d", err: true},
		{in: "1d-1h", err: true},
		{in: "d", err: true},
		{in: "1dd", err: true},
		{in: "forever", err: true},
		{in: "", err: true},
		{in: "36500d2562047h", err: true}, // overflows
	}
	for _, tc := range tests {
		got, err := conffile.ParseDuration(tc.in)
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), `bad duration "`+tc.in+`"`) {
				t.Errorf("ParseDuration(%q) = %v, %v; want an error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// Whatever the input: no panic, every entry under a section with a
// clean key, and every line either placed, skipped as blank or comment,
// or reported.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "[a]\nk = v\n", "[a b]\n[c", "k=v\n[x]\n=\n\x01", "[ban]\nfile = /b\r\n# c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		secs, errs := conffile.Split([]byte(src), "f")
		placed := len(errs)
		for _, s := range secs {
			placed++
			if s.Kind == "" || strings.ContainsAny(s.Kind+s.Name, " \t") {
				t.Errorf("section %+v", s)
			}
			for _, e := range s.Entries {
				placed++
				if e.Key == "" || strings.ContainsAny(e.Key, " \t") || e.Line <= s.Line {
					t.Errorf("entry %+v in %+v", e, s)
				}
			}
		}
		content := 0
		for _, l := range strings.Split(src, "\n") {
			if l = strings.TrimSpace(strings.TrimSuffix(l, "\r")); l != "" && l[0] != '#' {
				content++
			}
		}
		if placed != content {
			t.Errorf("%d content lines, %d placed or reported", content, placed)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "7d", "1d12h", "-1s", "d", "36500d2562047h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := conffile.ParseDuration(s)
		if err == nil && d < 0 {
			t.Errorf("ParseDuration(%q) = %v", s, d)
		}
	})
}
