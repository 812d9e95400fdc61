package logscan_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

// seqAddr encodes a line's sequence number in its client address
// (127.0.0.1 is line 0), so that the Events say which lines arrived.
func seqAddr(n int) netip.Addr {
	n++
	return netip.AddrFrom4([4]byte{127, byte(n >> 16), byte(n >> 8), byte(n)})
}

func addrSeq(a netip.Addr) int {
	b := a.As4()
	return (int(b[1])<<16 | int(b[2])<<8 | int(b[3])) - 1
}

// seqLine is line n of a test log.
func seqLine(n int) string {
	a := seqAddr(n)
	return fmt.Sprintf("Nov 27 05:48:56 gate in.fake[%d]: refused connect from %s (%s)\n", n+1, a, a)
}

// follower runs Follow in the background and collects what it reports.
type follower struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{}
	stats  logscan.Stats
	err    error

	mu       sync.Mutex
	got      []int
	arrived  []time.Time
	pos      logscan.Position
	posAfter int // len(got) when pos was reported
	notices  []string
	changed  chan struct{}
}

func follow(t *testing.T, path string, pos logscan.Position, o logscan.FollowOptions) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{t: t, cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}, 1)}
	o.Parse.Location = time.UTC
	o.Checkpoint = func(p logscan.Position) {
		f.mu.Lock()
		f.pos, f.posAfter = p, len(f.got)
		f.mu.Unlock()
	}
	o.Notice = func(s string) {
		f.mu.Lock()
		f.notices = append(f.notices, s)
		f.mu.Unlock()
		t.Logf("notice: %s", s)
	}
	go func() {
		defer close(f.done)
		f.stats, f.err = logscan.Follow(ctx, path, pos, o, func(ev watch.Event) {
			f.mu.Lock()
			f.got = append(f.got, addrSeq(ev.Addr))
			f.arrived = append(f.arrived, time.Now())
			f.mu.Unlock()
			select {
			case f.changed <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() { f.stop() })
	return f
}

// stop ends Follow and returns the final position.
func (f *follower) stop() logscan.Position {
	f.cancel()
	<-f.done
	if f.err != nil && f.err != context.Canceled {
		f.t.Errorf("Follow: %v", f.err)
		f.err = nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.posAfter != len(f.got) {
		f.t.Errorf("final position covers %d events, %d were delivered", f.posAfter, len(f.got))
	}
	return f.pos
}

// wait waits (generously: this is no timing assertion) until n events
// have arrived, and returns them.
func (f *follower) wait(n int) []int {
	f.t.Helper()
	got, ok := f.waitUpTo(n, 30*time.Second)
	if !ok {
		f.t.Fatalf("only %d of %d events after 30s", len(got), n)
	}
	return got
}

// waitUpTo waits until n events have arrived or d has passed, and
// returns those that have.
func (f *follower) waitUpTo(n int, d time.Duration) ([]int, bool) {
	deadline := time.After(d)
	for {
		f.mu.Lock()
		got := append([]int(nil), f.got...)
		f.mu.Unlock()
		if len(got) >= n {
			return got, true
		}
		select {
		case <-f.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return got, false
		}
	}
}

func (f *follower) events() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.got...)
}

// checkSeq checks that got is exactly first, first+1, ..., last.
func checkSeq(t *testing.T, got []int, first, last int) {
	t.Helper()
	if len(got) != last-first+1 {
		t.Errorf("%d events, want %d (%d..%d)", len(got), last-first+1, first, last)
	}
	for i, n := range got {
		if n != first+i {
			t.Fatalf("event %d is line %d, want %d (got %v...)", i, n, first+i, got[max(0, i-3):min(len(got), i+3)])
		}
	}
}

// checkOnce reports the lines delivered twice, and those in the files
// (inFiles) that were not delivered; it returns the set delivered.
func checkOnce(t *testing.T, got, inFiles []int) map[int]bool {
	t.Helper()
	seen := map[int]bool{}
	for _, n := range got {
		if seen[n] {
			t.Errorf("line %d delivered twice", n)
		}
		seen[n] = true
	}
	var missing []int
	for _, n := range inFiles {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d lines are in the files but were not delivered: %s", len(missing), ranges(missing))
	}
	return seen
}

// ranges writes sorted numbers as "3-7 9 12-13".
func ranges(ns []int) string {
	ns = append([]int(nil), ns...)
	slices.Sort(ns)
	var b strings.Builder
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", ns[i], ns[j])
		} else {
			fmt.Fprint(&b, ns[i])
		}
		i = j + 1
	}
	return b.String()
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for n := from; n <= to; n++ {
		b.WriteString(seqLine(n))
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

func TestFollowAndLatency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syslog")
	appendLines(t, path, 0, 2)
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
	fl.wait(3)

	// One line at a time: how long from write(2) to the Event.
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var lat []time.Duration
	for n := 3; n < 23; n++ {
		start := time.Now()
		w.WriteString(seqLine(n))
		fl.wait(n + 1)
		fl.mu.Lock()
		lat = append(lat, fl.arrived[n].Sub(start))
		fl.mu.Unlock()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("latency from write to Event over %d lines: min %v, median %v, max %v", len(lat), lat[0], lat[len(lat)/2], lat[len(lat)-1])

	// A line written in two parts is delivered once, when complete.
	line := seqLine(23)
	w.WriteString(line[:30])
	time.Sleep(3 * logscan.DefaultPoll)
	if n := len(fl.events()); n != 23 {
		t.Errorf("%d events before the line was complete", n)
	}
	w.WriteString(line[30:])
	checkSeq(t, fl.wait(24), 0, 23)
	fl.stop()
}

// TestFollowRename: logrotate's "create" rotation while lines keep
// coming: the file is renamed, a new empty one created, the writer goes
// on writing to the old one for a while and then reopens. Every line is
// delivered once, in order.
func TestFollowRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "syslog")
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
	const total = 3000
	for n := 0; n < total; n++ {
		switch n {
		case 1000:
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o644); err != nil { // "create"
				t.Fatal(err)
			}
		case 1500: // the writer is told to reopen (postrotate HUP)
			w.Close()
			if w, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
				t.Fatal(err)
			}
		case 2500: // and once more, without "create"
			if err := os.Rename(path, path+".2"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
			w.Close()
			if w, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.WriteString(seqLine(n)); err != nil {
			t.Fatal(err)
		}
		if n%100 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	w.Close()
	checkSeq(t, fl.wait(total), 0, total-1)
	time.Sleep(2 * logscan.DefaultPoll)
	checkSeq(t, fl.events(), 0, total-1)
	fl.stop()
}

// TestFollowCopyTruncate: logrotate's "copytruncate" while lines keep
// coming. Lines written between the copy and the truncation are in
// neither file and may be lost (logrotate documents it); every line in
// the copy or the file must be delivered, none twice.
func TestFollowCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "syslog")
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
	const total = 3000
	var copied []byte
	for n := 0; n < total; n++ {
		if n == 1200 {
			if copied, err = os.ReadFile(path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+".1", copied, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}
		w.WriteString(seqLine(n))
		if n%100 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	final, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inFiles := seqsOf(t, string(copied)+string(final))
	fl.wait(len(inFiles))
	time.Sleep(2 * logscan.DefaultPoll)
	got := fl.events()
	checkOnce(t, got, inFiles)
	t.Logf("%d lines written, %d in the copy and the file, %d delivered", total, len(inFiles), len(got))
	fl.stop()
}

func seqsOf(t *testing.T, text string) []int {
	var out []int
	_, err := logscan.Scan(strings.NewReader(text), logscan.Options{Parse: parse.Config{Location: time.UTC}}, func(ev watch.Event) {
		out = append(out, addrSeq(ev.Addr))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFollowResume: a Follow stopped and started again with its last
// Position reports nothing twice and misses nothing, whatever happened
// to the file meanwhile.
func TestFollowResume(t *testing.T) {
	cases := []struct {
		name string
		// meanwhile changes the file between the two runs; lines 0..9
		// were read by the first run. It returns the lines the second
		// run must deliver, in order.
		meanwhile func(t *testing.T, path string) []int
		notice    string // a notice the second run must give, if any
	}{
		{"appended", func(t *testing.T, path string) []int {
			appendLines(t, path, 10, 19)
			return seq(10, 19)
		}, ""},
		{"nothing new", func(t *testing.T, path string) []int { return nil }, ""},
		{"rotated by rename, new file has lines", func(t *testing.T, path string) []int {
			appendLines(t, path, 10, 14)
			os.Rename(path, path+".1")
			appendLines(t, path, 15, 19)
			return seq(10, 19)
		}, "rotated since"},
		{"rotated by rename, new file not yet created", func(t *testing.T, path string) []int {
			appendLines(t, path, 10, 14)
			os.Rename(path, path+"-20261127")
			return seq(10, 14)
		}, "rotated since"},
		{"copied and truncated", func(t *testing.T, path string) []int {
			appendLines(t, path, 10, 14)
			b, _ := os.ReadFile(path)
			os.WriteFile(path+".1", b, 0o644)
			os.Truncate(path, 0)
			appendLines(t, path, 15, 19)
			return seq(10, 19)
		}, "rotated since"},
		{"replaced by a copy of itself while stopped", func(t *testing.T, path string) []int {
			b, _ := os.ReadFile(path)
			os.WriteFile(path+".new", append(b, seqLine(10)...), 0o644)
			os.Rename(path+".new", path)
			return seq(10, 10)
		}, ""},
		{"replaced by another file of the same size", func(t *testing.T, path string) []int {
			b, _ := os.ReadFile(path)
			os.Remove(path)
			other := strings.Replace(string(b), "refused connect", "refusal connect", 1)
			os.WriteFile(path, []byte(other), 0o644)
			appendLines(t, path, 10, 10)
			return seq(1, 10) // line 0 no longer parses; the file is read again
		}, "matches neither"},
		{"truncated and rewritten in place, no copy", func(t *testing.T, path string) []int {
			os.Truncate(path, 0)
			appendLines(t, path, 20, 39)
			return seq(20, 39)
		}, "matches neither"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "syslog")
			appendLines(t, path, 0, 9)
			fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
			checkSeq(t, fl.wait(10), 0, 9)
			pos := fl.stop()
			if pos.Offset == 0 {
				t.Fatalf("no position saved")
			}
			// The position survives being saved as text.
			text, _ := pos.MarshalText()
			var back logscan.Position
			if err := back.UnmarshalText(text); err != nil || back != pos {
				t.Fatalf("position %q read back as %v, %v", text, back, err)
			}
			want := tc.meanwhile(t, path)
			fl2 := follow(t, path, back, logscan.FollowOptions{})
			if len(want) > 0 {
				fl2.wait(len(want))
			}
			time.Sleep(3 * logscan.DefaultPoll)
			got := fl2.events()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("second run delivered %v, want %v", got, want)
			}
			fl2.stop()
			if tc.notice != "" && !strings.Contains(strings.Join(fl2.notices, "\n"), tc.notice) {
				t.Errorf("notices %q, want one about %q", fl2.notices, tc.notice)
			}
		})
	}
}

func seq(from, to int) []int {
	var s []int
	for n := from; n <= to; n++ {
		s = append(s, n)
	}
	return s
}

// TestFollowStartAtEnd: only lines written later; a line being written
// when Follow starts is not taken for one from its middle.
func TestFollowStartAtEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syslog")
	appendLines(t, path, 0, 4)
	half := seqLine(5)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(half[:40])
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{StartAtEnd: true,
		Options: logscan.Options{OnSkip: func(s logscan.Skip) { t.Errorf("skip %+v", s) }}})
	time.Sleep(2 * logscan.DefaultPoll)
	f.WriteString(half[40:])
	f.WriteString(seqLine(6))
	checkSeq(t, fl.wait(1), 6, 6)
	fl.stop()
}

// TestFollowWaitsForFile: a file that does not exist yet is read from
// its beginning once it appears.
func TestFollowWaitsForFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syslog")
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
	time.Sleep(2 * logscan.DefaultPoll)
	appendLines(t, path, 0, 4)
	checkSeq(t, fl.wait(5), 0, 4)
	fl.stop()
}

// TestPositionText: the text form and its errors.
func TestPositionText(t *testing.T) {
	var p logscan.Position
	for _, bad := range []string{"", "1 2 3", "x 2 3 " + strings.Repeat("00", 32), "1 2 -3 " + strings.Repeat("00", 32), "1 2 3 00"} {
		if err := p.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p = logscan.Position{Dev: 2049, Ino: 1234, Offset: 567}
	p.Sum[0] = 0xab
	if s := p.String(); s != "2049 1234 567 ab"+strings.Repeat("00", 31) {
		t.Errorf("String %q", s)
	}
}

// TestFollowReplacedByCopy: a file replaced by a copy of itself while
// Follow runs (cp and mv, as sed -i does) is not read again.
func TestFollowReplacedByCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syslog")
	appendLines(t, path, 0, 9)
	fl := follow(t, path, logscan.Position{}, logscan.FollowOptions{})
	fl.wait(10)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path+".new", append(b, seqLine(10)...), 0o644)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 11, 12)
	fl.wait(13)
	time.Sleep(2 * logscan.DefaultPoll)
	checkSeq(t, fl.events(), 0, 12)
	fl.stop()
	if !strings.Contains(strings.Join(fl.notices, "\n"), "replaced by a copy") {
		t.Errorf("notices %q", fl.notices)
	}
}

// A copytruncate after which the writer fills the file past the old
// offset before Follow looks again: Follow must not read on from the
// middle of the new content (and lose its start), but notice the
// rewrite, finish the copy and read the new file from its beginning.
func TestFollowTruncatedAndRefilledBetweenSteps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendLines(t, path, 0, 99)
	var got []int
	step, done := logscan.NewStepper(path, func(ev watch.Event) { got = append(got, addrSeq(ev.Addr)) },
		func(s string) { t.Logf("notice: %s", s) })
	defer done()
	if err := step(); err != nil || len(got) != 100 {
		t.Fatalf("first step: %v, %d lines", err, len(got))
	}
	// logrotate's copytruncate: two more lines reach the file before the
	// copy, then the copy, the truncation, and 300 new lines, more than
	// the file held, all between two steps.
	appendLines(t, path, 100, 101)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 102, 401)
	if err := step(); err != nil {
		t.Fatal(err)
	}
	want := make([]int, 402)
	for i := range want {
		want[i] = i
	}
	checkOnce(t, got, want)
}
