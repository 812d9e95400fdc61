package filelog_test

import (
	"fmt"
	"strings"
	"testing"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

// matrix is what a selector lets through: for each facility index 0..23,
// a bit per severity.
type matrix [24]uint8

// matrixOf asks Match about every priority.
func matrixOf(sel filelog.Selector) matrix {
	var m matrix
	for f := range m {
		for s := range 8 {
			if sel.Match(audit.Priority{Facility: audit.Facility(f << 3), Severity: audit.Severity(s)}) {
				m[f] |= 1 << s
			}
		}
	}
	return m
}

var testFacilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
	"local5": 21, "local6": 22, "local7": 23,
}

var testLevels = map[string]int{
	"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7,
}

// expect builds a matrix from a readable description, independent of the
// selector syntax: space-separated "FACILITIES=SEVERITIES", applied in
// order, each setting (not adding to) the listed facilities. FACILITIES is
// a comma list of names or "*" (all 24, the unnamed 12..15 too);
// SEVERITIES is "none" or a comma list of names and inclusive ranges
// "emerg-info" (emerg being the highest severity, 0).
func expect(t *testing.T, spec string) matrix {
	t.Helper()
	var m matrix
	for item := range strings.FieldsSeq(spec) {
		facs, sevs, ok := strings.Cut(item, "=")
		if !ok {
			t.Fatalf("bad spec item %q", item)
		}
		var set uint8
		if sevs != "none" {
			for s := range strings.SplitSeq(sevs, ",") {
				a, b, isRange := strings.Cut(s, "-")
				if !isRange {
					b = a
				}
				lo, ok1 := testLevels[a]
				hi, ok2 := testLevels[b]
				if !ok1 || !ok2 || lo > hi {
					t.Fatalf("bad severities %q", s)
				}
				for v := lo; v <= hi; v++ {
					set |= 1 << v
				}
			}
		}
		for f := range strings.SplitSeq(facs, ",") {
			if f == "*" {
				for i := range m {
					m[i] = set
				}
				continue
			}
			i, ok := testFacilities[f]
			if !ok {
				t.Fatalf("bad facility %q", f)
			}
			m[i] = set
		}
	}
	return m
}

// selectorTests are the examples of rsyslog.conf(5) and sysklogd's
// syslog.conf(5), and the corners of the operators.
var selectorTests = []struct {
	sel  string
	want string // see expect
}{
	// rsyslog.conf(5) and the distributions' default rsyslog.conf.
	{"*.info;mail.none;authpriv.none;cron.none", "*=emerg-info mail,authpriv,cron=none"},
	{"authpriv.*", "authpriv=emerg-debug"},
	{"mail.*", "mail=emerg-debug"},
	{"cron.*", "cron=emerg-debug"},
	{"*.emerg", "*=emerg"},
	{"uucp,news.crit", "uucp,news=emerg-crit"},
	{"local7.*", "local7=emerg-debug"},
	{"*.*;auth,authpriv.none", "*=emerg-debug auth,authpriv=none"},
	// rsyslog.conf(5): "local6.err" does not take back what "*.debug"
	// gave; excluding needs the negations that follow.
	{"*.debug;local6.err", "*=emerg-debug"},
	{"*.debug;local6.!=info;local6.!=notice;local6.!=warn", "*=emerg-debug local6=emerg-err,debug"},
	// sysklogd's syslog.conf(5) examples.
	{"*.=crit;kern.none", "*=crit kern=none"},
	{"kern.*", "kern=emerg-debug"},
	{"kern.crit", "kern=emerg-crit"},
	{"kern.info;kern.!err", "kern=warning-info"},
	{"mail.=info", "mail=info"},
	{"mail.*;mail.!=info", "mail=emerg-notice,debug"},
	{"mail,news.=info", "mail,news=info"},
	{"*.=info;*.=notice;mail.none", "*=notice-info mail=none"},
	{"*.=emerg", "*=emerg"},
	{"*.alert", "*=emerg-alert"},
	// "mail.info" is info and every higher severity, not info alone.
	{"mail.info", "mail=emerg-info"},
	{"daemon.notice", "daemon=emerg-notice"},
	{"daemon.debug", "daemon=emerg-debug"},
	// Aliases, case, and the deprecated facility name.
	{"*.panic", "*=emerg"},
	{"*.error", "*=emerg-err"},
	{"*.warn", "*=emerg-warning"},
	{"MAIL.INFO", "mail=emerg-info"},
	{"Daemon.Warn", "daemon=emerg-warning"},
	{"security.*", "auth=emerg-debug"},
	{"auth,security.=err", "auth=err"},
	{"ftp.*;local0.info;local7.=debug", "ftp=emerg-debug local0=emerg-info local7=debug"},
	// none, *, and their negations (rsyslogd: "!none" is everything).
	{"*.none", ""},
	{"mail.none", ""},
	{"mail.!*", ""},
	{"mail.!none", "mail=emerg-debug"},
	{"mail.*;mail.!*", ""},
	// "!level" removes level and every higher severity; on its own it
	// leaves nothing.
	{"mail.!info", ""},
	{"mail.*;mail.!info", "mail=debug"},
	{"mail.*;mail.!emerg", "mail=alert-debug"},
	{"mail.info;mail.!info", ""},
	{"*.!=debug", ""},
	{"mail.!=info;mail.=info", "mail=info"},
	// Selectors apply left to right, each to the facilities it names.
	{"mail.none;mail.info", "mail=emerg-info"},
	{"mail.info;mail.none", ""},
	{"mail.=info;mail.=info", "mail=info"},
	{"mail.crit;mail.=debug", "mail=emerg-crit,debug"},
	{"*.info;mail.=debug", "*=emerg-info mail=emerg-debug"},
	{"*.*;*.!err", "*=warning-debug"},
	{"*,mail.info", "*=emerg-info"},
}

func TestParseSelector(t *testing.T) {
	for _, tt := range selectorTests {
		t.Run(tt.sel, func(t *testing.T) {
			sel, err := filelog.ParseSelector(tt.sel)
			if err != nil {
				t.Fatalf("ParseSelector(%q): %v", tt.sel, err)
			}
			got, want := matrixOf(sel), expect(t, tt.want)
			if got != want {
				t.Errorf("ParseSelector(%q) matches\n%s\nwant\n%s", tt.sel, show(got), show(want))
			}
			checkRoundTrip(t, tt.sel, sel)
		})
	}
}

// show prints a matrix one facility a line, severities as digits.
func show(m matrix) string {
	var b strings.Builder
	for f, set := range m {
		if set == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s:", audit.Facility(f<<3))
		for s := range 8 {
			if set&(1<<s) != 0 {
				fmt.Fprintf(&b, " %s", audit.Severity(s))
			}
		}
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		return "  nothing\n"
	}
	return b.String()
}

// checkRoundTrip checks that String gives a selector with the same
// meaning, and that String is a fixed point.
func checkRoundTrip(t *testing.T, in string, sel filelog.Selector) {
	t.Helper()
	s := sel.String()
	sel2, err := filelog.ParseSelector(s)
	if err != nil {
		t.Fatalf("ParseSelector(%q).String() = %q, which does not parse: %v", in, s, err)
	}
	if sel2 != sel {
		t.Fatalf("ParseSelector(%q).String() = %q, which means\n%s\nnot\n%s", in, s, show(matrixOf(sel2)), show(matrixOf(sel)))
	}
	if s2 := sel2.String(); s2 != s {
		t.Fatalf("String is not stable: %q, then %q", s, s2)
	}
}

// TestSelectorString shows the canonical forms.
func TestSelectorString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"*.info;mail.none;authpriv.none;cron.none", "*.info;mail,cron,authpriv.none"}, // facilities in numeric order
		{"*.*;auth,authpriv.none", "*.*;auth,authpriv.none"},
		{"mail,news.=info", "mail,news.=info"},
		{"news,mail.=info", "mail,news.=info"},
		{"kern.info;kern.!err", "kern.info;kern.!err"},
		{"mail.*;mail.!=info", "mail.notice;mail.=debug"},
		{"*.debug;local6.!=info;local6.!=notice;local6.!=warn", "*.*;local6.none;local6.err;local6.=debug"},
		{"security.warn", "auth.warning"},
		{"*.=crit;kern.none", "*.=crit;kern.none"},
		{"daemon.*;daemon.!=err;daemon.!=info", "daemon.*;daemon.!=err;daemon.!=info"},
		{"mail.none", "*.none"},
		{"*.!=debug", "*.none"},
		{"*.none;mail.info", "mail.info"},
		{"*.*", "*.*"},
	} {
		sel, err := filelog.ParseSelector(tt.in)
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", tt.in, err)
		}
		if got := sel.String(); got != tt.want {
			t.Errorf("ParseSelector(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
	var zero filelog.Selector
	if got := zero.String(); got != "*.none" {
		t.Errorf("zero Selector.String() = %q, want %q", got, "*.none")
	}
}

func TestParseSelectorErrors(t *testing.T) {
	for _, tt := range []struct{ sel, err string }{
		{"", `empty selector`},
		{"mail", `selector "mail": missing "." in "mail"`},
		{"mail.", `selector "mail.": missing level after "."`},
		{".info", `selector ".info": empty facility name in ".info"`},
		{"mail,.info", `selector "mail,.info": empty facility name in "mail,.info"`},
		{"mial.info", `selector "mial.info": unknown facility "mial"`},
		{"mail.inf", `selector "mail.inf": unknown level "inf"`},
		// Empty parts, which rsyslogd skips, are mistakes.
		{"*.info;", `selector "*.info;": empty part between ";"`},
		{";*.info", `selector ";*.info": empty part between ";"`},
		{"*.info;;mail.none", `selector "*.info;;mail.none": empty part between ";"`},
		// rsyslogd's internal facility, and facilities Linux has no name for.
		{"mark.*", `selector "mark.*": unknown facility "mark"`},
		{"ntp.*", `selector "ntp.*": unknown facility "ntp"`},
		// Numbers ("don't do that, you have been warned").
		{"24.info", `selector "24.info": unknown facility "24"`},
		{"mail.6", `selector "mail.6": unknown level "6"`},
		// "=" on * or none has no meaning (rsyslogd shifts by 255).
		{"mail.=*", `selector "mail.=*": "=" before "*" in level "=*"`},
		{"mail.!=none", `selector "mail.!=none": "=" before "none" in level "!=none"`},
		// "!" must come first.
		{"mail.=!info", `selector "mail.=!info": unknown level "=!info"`},
		{"mail.!!info", `selector "mail.!!info": unknown level "!!info"`},
		// A level inside a facility list (rsyslogd silently reads two
		// selectors).
		{"mail.info,news.crit", `selector "mail.info,news.crit": "," after level "info": join selectors with ";"`},
		// No blanks inside a selector.
		{"mail.info news.crit", `selector "mail.info news.crit": unknown level "info news.crit"`},
		{" mail.info", `selector " mail.info": unknown facility " mail"`},
		{"mail, news.info", `selector "mail, news.info": unknown facility " news"`},
		// Names are ASCII: the Kelvin sign is not a "k".
		{"\u212aern.info", "selector \"\u212aern.info\": unknown facility \"\u212aern\""},
		// The error quotes hostile bytes.
		{"mail.\x00info", `selector "mail.\x00info": unknown level "\x00info"`},
	} {
		sel, err := filelog.ParseSelector(tt.sel)
		if err == nil {
			t.Errorf("ParseSelector(%q) = %v, want error %q", tt.sel, sel, tt.err)
			continue
		}
		if err.Error() != tt.err {
			t.Errorf("ParseSelector(%q) error:\n got %s\nwant %s", tt.sel, err, tt.err)
		}
		if sel != (filelog.Selector{}) {
			t.Errorf("ParseSelector(%q) returned a non-zero Selector with its error", tt.sel)
		}
	}
}

// TestMatchOutOfRange: priorities that syslog cannot carry match nothing,
// not even "*.*"; the unnamed facilities 12..15 are reached by "*".
func TestMatchOutOfRange(t *testing.T) {
	all, err := filelog.ParseSelector("*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []audit.Priority{
		{Facility: 5, Severity: audit.Info}, // not shifted
		{Facility: 24 << 3, Severity: audit.Info},
		{Facility: -8, Severity: audit.Info},
		{Facility: audit.Daemon, Severity: 8},
		{Facility: audit.Daemon, Severity: -1},
	} {
		if all.Match(p) {
			t.Errorf("*.* matches %v", p)
		}
	}
	if !all.Match(audit.Priority{Facility: 12 << 3, Severity: audit.Debug}) {
		t.Error("*.* does not match facility 12")
	}
	var zero filelog.Selector
	if zero.Match(audit.Priority{Facility: audit.Daemon, Severity: audit.Emerg}) {
		t.Error("the zero Selector matches daemon.emerg")
	}
}
