package filelog_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

// TestMain lets the test binary play a helper process that writes
// records (see TestConcurrentProcesses).
func TestMain(m *testing.M) {
	if os.Getenv("FILELOG_TEST_HELPER") == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

func mustSelector(t testing.TB, s string) filelog.Selector {
	t.Helper()
	sel, err := filelog.ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end in a newline", path)
	}
	return strings.Split(string(b[:len(b)-1]), "\n")
}

func msg(sev audit.Severity, fac audit.Facility, text string) *audit.Message {
	return &audit.Message{
		Time:     time.Date(2026, time.November, 27, 9, 14, 3, 0, cet),
		Priority: audit.Priority{Facility: fac, Severity: sev},
		AppName:  "tcpd", PID: 7, Text: text,
	}
}

// TestRoutes: every matching route gets the message; a message that two
// routes to one file in one format both match is written once.
func TestRoutes(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	table := filelog.Table{
		{Selector: mustSelector(t, "daemon.info"), Path: p("infolog")},
		{Selector: mustSelector(t, "auth,authpriv.notice"), Path: p("authlog")},
		{Selector: mustSelector(t, "*.err"), Path: p("errors")},
		{Selector: mustSelector(t, "*.*"), Path: p("all.jsonl"), Format: filelog.JSON},
		{Selector: mustSelector(t, "daemon.*"), Path: p("infolog")},                         // same file and format as the first
		{Selector: mustSelector(t, "daemon.err"), Path: p("infolog"), Format: filelog.JSON}, // same file, other format
		{Selector: mustSelector(t, "mail.*"), Path: p("never")},
	}
	w := filelog.OpenForTest(table, 0, time.Now, "gate")
	defer w.Close()
	for _, m := range []*audit.Message{
		msg(audit.Info, audit.Daemon, "one"),
		msg(audit.Debug, audit.Daemon, "two"),
		msg(audit.Warning, audit.Auth, "three"),
		msg(audit.Crit, audit.Daemon, "four"),
		msg(audit.Debug, audit.Local0, "five"),
	} {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{
		"infolog":   {"one", "two", "four", "four (json)"},
		"authlog":   {"three"},
		"errors":    {"four"},
		"all.jsonl": {"one (json)", "two (json)", "three (json)", "four (json)", "five (json)"},
	}
	for name, texts := range want {
		lines := readLines(t, p(name))
		var got []string
		for _, l := range lines {
			if strings.HasPrefix(l, "{") {
				var obj struct{ Text string }
				if err := json.Unmarshal([]byte(l), &obj); err != nil {
					t.Fatal(err)
				}
				got = append(got, obj.Text+" (json)")
			} else {
				got = append(got, l[strings.LastIndex(l, ": ")+2:])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(texts) {
			t.Errorf("%s: got %q, want %q", name, got, texts)
		}
	}
	if _, err := os.Stat(p("never")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file no message was routed to exists: %v", err)
	}
}

// TestCreate: missing directories are made; the file mode is 0640.
func TestCreate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "var", "log", "tcpwrap", "infolog")
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	if err := w.Write(msg(audit.Info, audit.Daemon, "hello")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode())
	}
	st, err = os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o750 {
		t.Errorf("directory mode %v, want 0750", st.Mode().Perm())
	}
	// The local host name, cut at the first dot, is in the line.
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	if line := readLines(t, path)[0]; !strings.Contains(line, " "+host+" tcpd[7]: hello") {
		t.Errorf("line %q lacks the host name %q", line, host)
	}
}

// TestErrors: a file that cannot be opened does not keep the message from
// the others; the errors name the files; Close ends writing.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "plainfile")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good")
	bad1 := filepath.Join(blocker, "log") // parent is a file
	bad2 := filepath.Join(dir, "adir")    // a directory
	if err := os.Mkdir(bad2, 0o755); err != nil {
		t.Fatal(err)
	}
	all := mustSelector(t, "*.*")
	w := filelog.Open(filelog.Table{{Selector: all, Path: bad1}, {Selector: all, Path: good}, {Selector: all, Path: bad2}})
	err := w.Write(msg(audit.Info, audit.Daemon, "hello"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"open " + bad1 + ": not a directory", "open " + bad2 + ": is a directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if lines := readLines(t, good); len(lines) != 1 {
		t.Errorf("good file has %d lines, want 1", len(lines))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(msg(audit.Info, audit.Daemon, "late")); !errors.Is(err, filelog.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

// TestFIFOWithoutReader: a FIFO nobody reads fails at once; it does not
// hang the logger.
func TestFIFOWithoutReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip(err)
	}
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	err := w.Write(msg(audit.Info, audit.Daemon, "hello"))
	if !errors.Is(err, syscall.ENXIO) {
		t.Errorf("Write to a FIFO without a reader = %v, want ENXIO", err)
	}
}

// The helper process: writes FILELOG_COUNT records as writer number
// FILELOG_ID to FILELOG_DIR/text and FILELOG_DIR/json, once its standard
// input says go. It reports nothing on standard error unless it fails.
func helperMain() int {
	id, _ := strconv.Atoi(os.Getenv("FILELOG_ID"))
	n, _ := strconv.Atoi(os.Getenv("FILELOG_COUNT"))
	dir := os.Getenv("FILELOG_DIR")
	all, _ := filelog.ParseSelector("*.*")
	w := filelog.Open(filelog.Table{
		{Selector: all, Path: filepath.Join(dir, "text"), Format: filelog.Text},
		{Selector: all, Path: filepath.Join(dir, "json"), Format: filelog.JSON},
	})
	fmt.Println("ready")
	if _, err := io.ReadAll(os.Stdin); err != nil {
		return 2
	}
	for seq := range n {
		if err := w.Write(helperMessage(id, seq)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperSize is the padding of record seq: small, near PIPE_BUF, and far
// beyond it (JSON records with options of up to audit.MaxText each).
func helperSize(seq int) int {
	return []int{10, 1000, 2040, 4000, 5000, 20000}[seq%6]
}

// helperMessage is record seq of writer id, its padding made of one
// letter so that a torn or interleaved record shows.
func helperMessage(id, seq int) *audit.Message {
	letter := string(rune('a' + id%26))
	size := helperSize(seq)
	text := fmt.Sprintf("writer %d seq %d ", id, seq) + strings.Repeat(letter, min(size, 2000))
	var opts []string
	for left := size; left > 0; left -= audit.MaxText {
		opts = append(opts, strings.Repeat(letter, min(left, audit.MaxText)))
	}
	return &audit.Message{
		Time:     time.Now(),
		Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Info},
		AppName:  "helper", PID: id + 1, Text: text,
		Record: &audit.Record{Verdict: "granted", Daemon: fmt.Sprintf("writer-%d", id), Reason: strconv.Itoa(seq), Options: opts, PID: id + 1},
	}
}

// TestConcurrentProcesses: N processes each write K records (some far
// longer than PIPE_BUF) to the same two files at the same time; every line
// is intact, none is lost, and each writer's records keep their order.
func TestConcurrentProcesses(t *testing.T) {
	const procs, count = 8, 250
	dir := t.TempDir()
	type helper struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		stderr bytes.Buffer
	}
	var helpers []*helper
	for id := range procs {
		h := &helper{cmd: exec.Command(os.Args[0], "-test.run=^$")}
		h.cmd.Env = append(os.Environ(), "FILELOG_TEST_HELPER=1", "FILELOG_ID="+strconv.Itoa(id),
			"FILELOG_COUNT="+strconv.Itoa(count), "FILELOG_DIR="+dir)
		h.cmd.Stderr = &h.stderr
		var err error
		if h.stdin, err = h.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		stdout, err := h.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := h.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer h.cmd.Process.Kill()
		// Start together: each helper says it is ready, then waits.
		if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("helper %d: %q, %v", id, line, err)
		}
		helpers = append(helpers, h)
	}
	for _, h := range helpers {
		h.stdin.Close()
	}
	for id, h := range helpers {
		if err := h.cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", id, err, h.stderr.String())
		}
		if h.stderr.Len() != 0 {
			t.Errorf("helper %d wrote to standard error: %q", id, h.stderr.String())
		}
	}

	// Text lines: "Mmm dd hh:mm:ss HOST helper[ID]: writer ID seq SEQ PAD".
	next := make([]int, procs)
	for i, line := range readLines(t, filepath.Join(dir, "text")) {
		_, rest, ok := strings.Cut(line, " helper[")
		var id, seq int
		var pad string
		if ok {
			var pid int
			_, err := fmt.Sscanf(rest, "%d]: writer %d seq %d %s", &pid, &id, &seq, &pad)
			ok = err == nil && pid == id+1
		}
		if !ok || id < 0 || id >= procs || seq != next[id] || pad != strings.Repeat(string(rune('a'+id)), min(helperSize(seq), 2000)) {
			t.Fatalf("text line %d is torn or out of order (%d bytes): %.200q", i+1, len(line), line)
		}
		next[id]++
	}
	for id, n := range next {
		if n != count {
			t.Errorf("text: writer %d has %d records, want %d", id, n, count)
		}
	}

	// JSON lines: the record, with its padding in the options.
	next = make([]int, procs)
	for i, line := range readLines(t, filepath.Join(dir, "json")) {
		var r struct {
			Daemon, Reason string
			Options        []string
			PID            int
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("json line %d is torn (%d bytes): %v", i+1, len(line), err)
		}
		id := r.PID - 1
		if id < 0 || id >= procs {
			t.Fatalf("json line %d: bad pid: %.200q", i+1, line)
		}
		seq := next[id]
		pad := strings.Join(r.Options, "")
		if r.Daemon != fmt.Sprintf("writer-%d", id) || r.Reason != strconv.Itoa(seq) || pad != strings.Repeat(string(rune('a'+id)), helperSize(seq)) {
			t.Fatalf("json line %d is wrong or out of order: %.200q", i+1, line)
		}
		next[id]++
	}
	for id, n := range next {
		if n != count {
			t.Errorf("json: writer %d has %d records, want %d", id, n, count)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "json"))
	t.Logf("%d processes × %d records; json file %d bytes", procs, count, st.Size())
}

// seqsIn returns the numbers of the "n N" texts in a text log file.
func seqsIn(t *testing.T, path string) []int {
	t.Helper()
	var seqs []int
	for _, line := range readLines(t, path) {
		i := strings.LastIndex(line, ": n ")
		n, err := strconv.Atoi(line[i+4:])
		if i < 0 || err != nil {
			t.Fatalf("%s: bad line %q", path, line)
		}
		seqs = append(seqs, n)
	}
	return seqs
}

// TestRotateCreate: logrotate's default mode renames the file and makes a
// new one while a writer keeps writing. The Writer follows: every record is
// in exactly one of the files, in order, and after each rotation the next
// record goes to the new file.
func TestRotateCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "infolog")
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	seq := 0
	write := func(k int) {
		for range k {
			if err := w.Write(msg(audit.Info, audit.Daemon, "n "+strconv.Itoa(seq))); err != nil {
				t.Fatal(err)
			}
			seq++
		}
	}
	const rotations = 5
	for r := rotations; r >= 1; r-- {
		write(10)
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, r)); err != nil {
			t.Fatal(err)
		}
		// logrotate's "create": a new empty file, before any record.
		if err := os.WriteFile(path, nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	write(10)
	for r := rotations; r >= 1; r-- {
		got := seqsIn(t, fmt.Sprintf("%s.%d", path, r))
		first := (rotations - r) * 10
		if len(got) != 10 || got[0] != first || got[9] != first+9 {
			t.Errorf("%s.%d holds %v, want %d..%d", path, r, got, first, first+9)
		}
	}
	if got := seqsIn(t, path); len(got) != 10 || got[0] != rotations*10 {
		t.Errorf("%s holds %v after the last rotation", path, got)
	}
}

// TestRotateCreateConcurrent: rotations while goroutines write as fast as
// they can; no record is lost or duplicated, none is torn.
func TestRotateCreateConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "infolog")
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	const writers, each = 4, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				if err := w.Write(msg(audit.Info, audit.Daemon, "n "+strconv.Itoa(g*each+i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	files := []string{path}
	for r := 1; r <= 20; r++ {
		time.Sleep(time.Millisecond)
		old := fmt.Sprintf("%s.r%d", path, r)
		if err := os.Rename(path, old); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		files = append(files, old)
		// logrotate's createOutputFile: O_EXCL; when the file exists
		// (the Writer made it in between), rename it to
		// NAME-YYYYMMDDHH.backup and try again.
		for try := 0; ; try++ {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
			if err == nil {
				f.Close()
				break
			}
			if !errors.Is(err, os.ErrExist) || try == 1 {
				t.Fatal(err)
			}
			backup := fmt.Sprintf("%s.r%d.backup", path, r)
			if err := os.Rename(path, backup); err != nil {
				t.Fatal(err)
			}
			files = append(files, backup)
		}
	}
	wg.Wait()
	seen := make([]bool, writers*each)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		for _, n := range seqsIn(t, f) {
			if seen[n] {
				t.Fatalf("record %d twice", n)
			}
			seen[n] = true
		}
	}
	for n, ok := range seen {
		if !ok {
			t.Fatalf("record %d lost", n)
		}
	}
}

// TestRotateCopytruncate: logrotate copies the file and truncates it in
// place. O_APPEND puts the next record at the new end: no hole of NUL
// bytes, nothing lost outside copytruncate's own window.
func TestRotateCopytruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "infolog")
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	for i := range 10 {
		if err := w.Write(msg(audit.Info, audit.Daemon, "n "+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", old, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 15; i++ {
		if err := w.Write(msg(audit.Info, audit.Daemon, "n "+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	if bytes.IndexByte(b, 0) >= 0 {
		t.Fatalf("the truncated file has a hole: %q", b)
	}
	if got := seqsIn(t, path); fmt.Sprint(got) != "[10 11 12 13 14]" {
		t.Errorf("after copytruncate: %v", got)
	}
	if got := seqsIn(t, path+".1"); len(got) != 10 {
		t.Errorf("the copy: %v", got)
	}
}

// TestRotateRemoved: a removed file is made again by the next record.
func TestRotateRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "infolog")
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	if err := w.Write(msg(audit.Info, audit.Daemon, "n 0")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(msg(audit.Info, audit.Daemon, "n 1")); err != nil {
		t.Fatal(err)
	}
	if got := seqsIn(t, path); fmt.Sprint(got) != "[1]" {
		t.Errorf("after removal: %v", got)
	}
}

// TestRotateInterval: with a check interval, records go to the renamed
// file until the interval is over, then to the new one. (Open checks
// before every record; this is the other policy, kept for measurement.)
func TestRotateInterval(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "infolog")
	now := time.Unix(1e9, 0)
	w := filelog.OpenForTest(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}}, time.Second, func() time.Time { return now }, "gate")
	defer w.Close()
	write := func(n int) {
		if err := w.Write(msg(audit.Info, audit.Daemon, "n "+strconv.Itoa(n))); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(999 * time.Millisecond)
	write(1) // not checked yet: to the renamed file
	now = now.Add(time.Millisecond)
	write(2) // checked: a new file
	if got := seqsIn(t, path+".1"); fmt.Sprint(got) != "[0 1]" {
		t.Errorf("renamed file: %v", got)
	}
	if got := seqsIn(t, path); fmt.Sprint(got) != "[2]" {
		t.Errorf("new file: %v", got)
	}
}

// TestReopenFails: when the path cannot be opened again, the record still
// goes to the file that is open, and the error says so.
func TestReopenFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "infolog")
	w := filelog.Open(filelog.Table{{Selector: mustSelector(t, "*.*"), Path: path}})
	defer w.Close()
	if err := w.Write(msg(audit.Info, audit.Daemon, "n 0")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil { // a directory in the way
		t.Fatal(err)
	}
	err := w.Write(msg(audit.Info, audit.Daemon, "n 1"))
	if err == nil || !strings.Contains(err.Error(), "is a directory (the record went to the file that was open)") {
		t.Errorf("error = %v", err)
	}
	if got := seqsIn(t, path+".1"); fmt.Sprint(got) != "[0 1]" {
		t.Errorf("old file: %v", got)
	}
	// Once the path is usable again, the writer moves on.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(msg(audit.Info, audit.Daemon, "n 2")); err != nil {
		t.Fatal(err)
	}
	if got := seqsIn(t, path); fmt.Sprint(got) != "[2]" {
		t.Errorf("new file: %v", got)
	}
}
