package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"tcpwrap/watch"
	"tcpwrap/watch/report"
)

// hostile are strings an attacker can make appear in a log as a host
// name, a user name or (through a forged line) a service or rule.
var hostile = []string{
	"<script>alert(1)</script>",
	"\x1b[2J\x1b[31mred\n2024-05-01 fake line\r",
	"\u202egnp.exe",
	`"><img src=x onerror=alert(1)>`,
	"</svg><SCRIPT>x</SCRIPT>",
	"\x00\x07\x7f\u0085\u009b",
	"a\u2028b\u2029c",
	"pile of \U0001F4A9, tag \U000E0041, bad \xff\xfe byte",
}

func renderAll(t *testing.T, r *report.Report) (text, js, page []byte) {
	t.Helper()
	var a, b, c bytes.Buffer
	if err := r.WriteText(&a); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&c); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes(), c.Bytes()
}

// TestHostile puts hostile strings in every string field, in both kinds
// of source, and checks each rendering.
func TestHostile(t *testing.T) {
	for i, s := range hostile {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			ev := []watch.Event{
				{Time: t0, Addr: netip.MustParseAddr("192.0.2.1"), Name: s, Daemon: s, Rule: s, Verdict: watch.Refused},
				{Time: t0, Name: s, Daemon: s, Verdict: watch.Refused},
				{Time: t0.Add(time.Minute), Addr: netip.MustParseAddr("192.0.2.2"), Name: s, Daemon: "sshd", Verdict: watch.Granted},
			}
			_, r := aggregate(t, report.Options{}, ev...)
			text, js, page := renderAll(t, r)

			checkText(t, text)
			if want := report.Escape(s); !bytes.Contains(text, []byte(want[:min(len(want), 20)])) {
				t.Errorf("text does not show the escaped string %q", want)
			}
			// The same report with a harmless name has as many lines:
			// no hostile string made a line of its own.
			for i := range ev {
				for _, f := range []*string{&ev[i].Name, &ev[i].Daemon, &ev[i].Rule} {
					if *f == s {
						*f = "x"
					}
				}
			}
			_, plainR := aggregate(t, report.Options{}, ev...)
			plainText, _, _ := renderAll(t, plainR)
			if a, b := bytes.Count(text, []byte("\n")), bytes.Count(plainText, []byte("\n")); a != b {
				t.Errorf("text has %d lines, %d with harmless names", a, b)
			}

			checkJSON(t, js, r.Events)
			var back report.Report
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if utf8.ValidString(s) && (back.Sources[0].Name != s || back.Services[0].Service != s || back.Rules[0].Rule != s) {
				t.Errorf("JSON does not carry the data as logged: name %q service %q rule %q, want %q",
					back.Sources[0].Name, back.Services[0].Service, back.Rules[0].Rule, s)
			}

			checkHTML(t, page)
			if strings.Contains(s, "<") && !bytes.Contains(page, []byte("&lt;")) {
				t.Errorf("HTML does not show the escaped '<'")
			}
		})
	}
}

// checkText checks that a text report is printable, that each line is one
// row, and that the rows of each table are equally wide in runes.
func checkText(t *testing.T, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("text is not valid UTF-8")
	}
	for _, r := range string(out) {
		if r != '\n' && r != ' ' && (!unicode.IsPrint(r) || unicode.In(r, unicode.Mn, unicode.Me)) {
			t.Fatalf("text contains %U:\n%s", r, out)
		}
	}
	for _, section := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n\n")[1:] {
		lines := strings.Split(section, "\n")
		width := -1
		for _, l := range lines[1:] {
			if strings.HasSuffix(l, ")") { // a note or "(none)"
				continue
			}
			if !strings.HasPrefix(l, "  ") {
				t.Errorf("row %q of %q is not indented", l, lines[0])
			}
			if width < 0 {
				width = utf8.RuneCountInString(l)
			} else if n := utf8.RuneCountInString(l); n != width {
				t.Errorf("in %q, row %q is %d runes wide, the header %d", lines[0], l, n, width)
			}
		}
	}
}

// checkJSON checks that out is valid ASCII JSON holding n events.
func checkJSON(t *testing.T, out []byte, n int64) {
	t.Helper()
	for i, c := range out {
		if c >= 0x80 || (c < 0x20 && c != '\n') || c == '<' || c == '>' || c == '&' {
			t.Fatalf("JSON has byte %#x at %d", c, i)
		}
	}
	var back report.Report
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("JSON does not decode: %v\n%s", err, out)
	}
	if back.Events != n || back.Version != report.FormatVersion {
		t.Errorf("JSON says %d events, version %d; want %d, %d", back.Events, back.Version, n, report.FormatVersion)
	}
}

var (
	tagRE    = regexp.MustCompile(`<(/?)([!a-zA-Z][a-zA-Z0-9-]*)([^>]*)>`)
	valueRE  = regexp.MustCompile(`="[^"]*"`)
	attrRE   = regexp.MustCompile(`\s([^\s=]+)=`)
	htmlTags = strings.Fields("!DOCTYPE html head meta title style body main h1 h2 p div span svg g line rect text table thead tbody tr th td footer")
	attrs    = strings.Fields("lang charset name content class id xmlns width height viewBox role aria-label x y x1 x2 y1 y2 dx stroke stroke-width text-anchor fill style title")
)

// checkHTML checks that every tag and attribute in the page is one the
// template writes, so that no script, event handler or external
// reference got in, and that no control character did.
func checkHTML(t *testing.T, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("HTML is not valid UTF-8")
	}
	// Text cannot hold a raw '<', so this finds every real tag.
	if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
		t.Fatalf("HTML contains <script")
	}
	for _, m := range tagRE.FindAllSubmatch(out, -1) {
		if !slices.ContainsFunc(htmlTags, func(h string) bool { return strings.EqualFold(h, string(m[2])) }) {
			t.Fatalf("HTML has a <%s%s> tag the template does not write", m[1], m[2])
		}
		// Attribute values cannot hold a raw '"'; drop them and look
		// at the names.
		rest := valueRE.ReplaceAll(m[3], []byte(`=""`))
		for _, a := range attrRE.FindAllSubmatch(rest, -1) {
			if !slices.Contains(attrs, string(a[1])) {
				t.Fatalf("HTML has attribute %q in %q", a[1], m[0])
			}
		}
	}
	// Control and format characters never reach the page, not even
	// where html/template would leave them as they are.
	for _, r := range string(out) {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("HTML contains %U", r)
		}
	}
}

// FuzzRender renders reports of arbitrary events and checks the three
// outputs with checkText, checkJSON and checkHTML.
func FuzzRender(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, "sshd", "/etc/hosts.deny:1", []byte{192, 0, 2, 1}, uint16(5), uint8(2), uint8(3))
	}
	f.Add("", "", "", []byte{}, uint16(0), uint8(0), uint8(0))
	f.Add("h\u0301", "\ufeff", "\xff", []byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(179), uint8(1), uint8(7))
	f.Fuzz(func(t *testing.T, name, daemon, rule string, addr []byte, minute uint16, verdict, more uint8) {
		a, err := report.New(report.Options{From: t0, To: t0.Add(3 * time.Hour), Top: 3, MaxSources: 4, MaxServices: 2, MaxRules: 2})
		if err != nil {
			t.Fatal(err)
		}
		for i := range int(more%8) + 1 {
			e := watch.Event{
				Time:    t0.Add(time.Duration((int(minute)+i*37)%200) * time.Minute), // some after the window
				Name:    name[:len(name)*i/8],
				Daemon:  daemon[len(daemon)*i/8:],
				Rule:    rule,
				Verdict: watch.Verdict((int(verdict) + i) % 3),
			}
			if ip, ok := netip.AddrFromSlice(addr); ok {
				b := ip.AsSlice()
				b[len(b)-1] += byte(i)
				e.Addr, _ = netip.AddrFromSlice(b)
			}
			a.Add(e)
		}
		r := a.Report()
		text, js, page := renderAll(t, r)
		checkText(t, text)
		checkJSON(t, js, r.Events)
		checkHTML(t, page)
	})
}
