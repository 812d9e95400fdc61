package logscan_test

import (
	"bytes"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

var ref = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func opts() logscan.Options {
	return logscan.Options{Parse: parse.Config{Location: time.UTC}, Reference: ref}
}

func scanString(t *testing.T, input string, o logscan.Options) ([]watch.Event, logscan.Stats) {
	t.Helper()
	var evs []watch.Event
	st, err := logscan.Scan(strings.NewReader(input), o, func(ev watch.Event) { evs = append(evs, ev) })
	if err != nil {
		t.Fatal(err)
	}
	return evs, st
}

func addrs(evs []watch.Event) string {
	var s []string
	for _, ev := range evs {
		s = append(s, ev.Verdict.String()+" "+ev.Addr.String())
	}
	return strings.Join(s, ", ")
}

func TestScan(t *testing.T) {
	const syslog = "Nov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.2 (127.0.0.2)\n" +
		"Nov 27 05:48:57 gate sshd[2]: Invalid user refused connect from 198.51.100.66 (198.51.100.66)\n" +
		"\n" +
		"Nov 27 05:48:58 gate in.fingerd[3]: refused connect from evil (198.51.100.66) (127.0.0.3)\r\n" +
		"Nov 27 05:48:59 gate in.fingerd[4]: refused connect from 127.0.0.4 (127.0.0.4) trailing\n" +
		"Nov 27 05:49:00 gate in.fingerd[5]: connect from ::1 (::1)" // no final newline
	const jsonl = `{"time":"2026-11-27T04:05:06Z","priority":"daemon.notice","app":"tcpwrap","text":"no syslog daemon"}` + "\n" +
		`{"time":"2026-11-27T04:05:07Z","verdict":"denied","daemon":"in.fake","client":{"addr":"127.0.0.2"}}` + "\n" +
		`{"time":"2026-11-27T04:05:08Z","verdict":"granted","daemon":"in.fake","client":{"addr":"127.0.0.3"}` + "\n" +
		"Nov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.9 (127.0.0.9)\n"
	cases := []struct {
		name   string
		input  string
		format logscan.Format
		want   string
		stats  logscan.Stats
	}{
		{"syslog", syslog, logscan.Auto, "refused 127.0.0.2, refused invalid IP, granted ::1",
			logscan.Stats{Lines: 6, Events: 3, Ambiguous: 1, Malformed: 1}},
		{"syslog as JSON lines: nothing", syslog, logscan.JSONLines, "",
			logscan.Stats{Lines: 6, Malformed: 5}},
		// Auto decides by the first line: the syslog line in a JSON file
		// is not read as one.
		{"JSON lines", jsonl, logscan.Auto, "refused 127.0.0.2",
			logscan.Stats{Lines: 4, Events: 1, Malformed: 2}},
		{"JSON lines as syslog: nothing of the records", jsonl, logscan.Syslog, "refused 127.0.0.9",
			logscan.Stats{Lines: 4, Events: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := opts()
			o.Parse.Daemons = []string{"in.fingerd"}
			o.Format = tc.format
			evs, st := scanString(t, tc.input, o)
			if got := addrs(evs); got != tc.want {
				t.Errorf("events %q, want %q", got, tc.want)
			}
			tc.stats.Bytes = int64(len(tc.input))
			if st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
		})
	}
}

// TestScanSkips: every line that is ours but not clean is reported with
// its line number and offset.
func TestScanSkips(t *testing.T) {
	input := "Nov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.2 (127.0.0.2)\n" +
		"Nov 27 05:48:58 gate in.fingerd[3]: refused connect from evil (198.51.100.66) (127.0.0.3)\n" +
		"Nov 27 05:48:56 gate in.fingerd[1]: refused connect from " + strings.Repeat("x", 300) + "\n" +
		"Nov 27 05:48:59 gate in.fingerd[4]: refused connect from 127.0.0.4 (127.0.0.4) trailing\n"
	var skips []logscan.Skip
	o := opts()
	o.Parse.Daemons = []string{"in.fingerd"}
	o.MaxLine = 200
	o.OnSkip = func(s logscan.Skip) { skips = append(skips, s) }
	_, st := scanString(t, input, o)
	want := []struct {
		line    int64
		status  parse.Status
		tooLong bool
	}{{2, parse.Ambiguous, false}, {3, parse.NotOurs, true}, {4, parse.Malformed, false}}
	if len(skips) != len(want) {
		t.Fatalf("skips %+v", skips)
	}
	for i, w := range want {
		s := skips[i]
		if s.Line != w.line || s.Status != w.status || s.TooLong != w.tooLong || len(s.Text) > 200 {
			t.Errorf("skip %d: %+v, want line %d %s tooLong=%v", i, s, w.line, w.status, w.tooLong)
		}
		if off := int64(strings.Index(input, s.Text)); off != s.Offset {
			t.Errorf("skip %d: offset %d, want %d", i, s.Offset, off)
		}
	}
	if st.TooLong != 1 || st.Lines != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestScanLongLines: a line longer than MaxLine is skipped whole, even
// when it is much longer than the buffer, and what follows its newline
// is read; text in its middle that looks like a line is not.
func TestScanLongLines(t *testing.T) {
	forged := "Nov 27 05:48:56 gate in.fingerd[1]: refused connect from 198.51.100.66 (198.51.100.66)"
	for _, n := range []int{1 << 10, 70 << 10, 3 << 20} {
		var b bytes.Buffer
		b.WriteString("Nov 27 05:48:56 gate sshd[2]: ")
		for b.Len() < n {
			b.WriteString(forged + " ")
		}
		b.WriteString("\nNov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.2 (127.0.0.2)\n")
		// The long line again, last and without its newline.
		b.WriteString("Nov 27 05:48:56 gate sshd[2]: ")
		b.WriteString(strings.Repeat(forged+" ", n/len(forged)))
		o := opts()
		o.MaxLine = 512
		evs, st := scanString(t, b.String(), o)
		if got := addrs(evs); got != "refused 127.0.0.2" || st.TooLong != 2 {
			t.Errorf("%d-byte lines: events %q, stats %+v", n, got, st)
		}
	}
}

// TestScanMemoryBounded: the heap does not grow with the input, however
// long; Scan's own allocations per byte stay tiny.
func TestScanMemoryBounded(t *testing.T) {
	size := int64(32 << 20)
	if testing.Short() || raceEnabled {
		size = 8 << 20
	}
	gen := newSyslogGen(1, size)
	var peak uint64
	var ms runtime.MemStats
	n := int64(0)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	st, err := logscan.Scan(gen, opts(), func(ev watch.Event) {
		if n++; n%50000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != gen.events || st.Lines != gen.lines || st.Bytes != gen.read {
		t.Errorf("stats %+v; generated %d lines, %d events, %d bytes", st, gen.lines, gen.events, gen.read)
	}
	runtime.ReadMemStats(&ms)
	t.Logf("%d MB scanned: %d events, peak heap in use %.1f MB, %.3f bytes allocated per byte read (generator included)",
		st.Bytes>>20, st.Events, float64(peak)/(1<<20), float64(ms.TotalAlloc-before)/float64(st.Bytes))
	if peak > 64<<20 {
		t.Errorf("peak heap %d bytes", peak)
	}
}

// TestScanReadError: a read error ends the scan with it, after the
// lines read before.
func TestScanReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("Nov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.2 (127.0.0.2)\n"), errReader{})
	var evs []watch.Event
	_, err := logscan.Scan(r, opts(), func(ev watch.Event) { evs = append(evs, ev) })
	if err != errBroken || len(evs) != 1 || evs[0].Addr != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("err %v, events %v", err, evs)
	}
}

type errReader struct{}

var errBroken = io.ErrClosedPipe

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
