package difftest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	flagN        = flag.Int("difftest.n", 0, "number of generated cases (default 3000, 300 with -short)")
	flagSeed     = flag.Uint64("difftest.seed", 1, "seed of the case generator")
	flagOnly     = flag.Int("difftest.only", -1, "run only this case index (with -difftest.seed)")
	flagKeep     = flag.Bool("difftest.keep", false, "write failing cases to testdata/failures/ as txtar")
	flagMinimize = flag.Bool("difftest.minimize", true, "minimise failing cases before reporting them")
	flagMax      = flag.Int("difftest.max", 20, "stop after this many mismatches")
	flagRegen    = flag.Bool("difftest.regen", false, "rewrite the expected output of testdata/cases/*.txtar and testdata/failures/*.txtar from Debian's tcpdmatch")
	flagCC       = flag.String("difftest.cc", "cc", "C compiler for the syslog shim")
	flagVerbose  = flag.Bool("difftest.v", false, "log every case that takes more than 200ms")
	flagClassify = flag.Bool("difftest.classify", false, "run all cases, group the mismatches by Signature and report one minimised example per group")
	flagOurs     = flag.String("difftest.ours", "", "use this tcpdmatch binary instead of building tcpwrap/cmd/tcpdmatch")
)

var tempRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	if code, ok := maybeReexec(); ok {
		os.Exit(code)
	}
	d, err := os.MkdirTemp("", "tcpwrap-difftest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// The scratch dirs must not be world-writable (tcpdmatch warns about
	// world-writable paths).
	os.Chmod(d, 0o755)
	tempRoot = d
	if err := setupNamespace(d); err != nil {
		fmt.Fprintln(os.Stderr, "difftest:", err)
		os.RemoveAll(d)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// --- shared fixtures, built once per process ---

var (
	shimOnce sync.Once
	shimPath string
	shimErr  error

	oursOnce sync.Once
	oursPath string
	oursErr  error
)

// debianProgram returns Debian's tcpdmatch with the syslog shim, or skips.
func debianProgram(t *testing.T) Program {
	t.Helper()
	if _, err := os.Stat(DebianTcpdmatch); err != nil {
		t.Skipf("Debian's tcpdmatch is not installed (%v); install the tcpd package", err)
	}
	shimOnce.Do(func() {
		dir := filepath.Join(tempRoot, "shim")
		if shimErr = os.MkdirAll(dir, 0o755); shimErr == nil {
			shimPath, shimErr = BuildShim(*flagCC, dir)
		}
	})
	if shimErr != nil {
		if _, err := exec.LookPath(*flagCC); err != nil {
			t.Skipf("no C compiler to build the LD_PRELOAD syslog shim: %v", err)
		}
		t.Fatal(shimErr)
	}
	return Program{Path: DebianTcpdmatch, Env: []string{"LD_PRELOAD=" + shimPath}}
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join("/usr/local/go", "bin", "go")
}

// ourProgram builds cmd/tcpdmatch once; a build failure fails the test.
func ourProgram(t *testing.T) Program {
	t.Helper()
	oursOnce.Do(func() {
		if *flagOurs != "" {
			oursPath, oursErr = filepath.Abs(*flagOurs)
			return
		}
		dir := filepath.Join(tempRoot, "bin")
		if oursErr = os.MkdirAll(dir, 0o755); oursErr != nil {
			return
		}
		bin := filepath.Join(dir, "tcpdmatch")
		out, err := exec.Command(goCommand(), "build", "-o", bin, "tcpwrap/cmd/tcpdmatch").CombinedOutput()
		if err != nil {
			oursErr = fmt.Errorf("go build tcpwrap/cmd/tcpdmatch: %v\n%s", err, out)
			return
		}
		oursPath = bin
	})
	if oursErr != nil {
		t.Fatal(oursErr)
	}
	return Program{Path: oursPath}
}

func newDiffer(t *testing.T, debian, ours Program) *Differ {
	dir, err := os.MkdirTemp(tempRoot, "run-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	return &Differ{Debian: debian, Ours: ours, TempDir: dir, Timeout: 20 * time.Second}
}

// --- the differential test ---

type mismatch struct {
	index int
	c     *Case
	want  Outcome
	got   Outcome
}

func TestDifferential(t *testing.T) {
	debian := debianProgram(t)
	ours := ourProgram(t)
	d := newDiffer(t, debian, ours)
	t.Parallel()
	if !isolated {
		t.Logf("note: not isolated (%s): the machine's /etc/hosts and DNS are used", isolationReason)
	}

	n := *flagN
	if n <= 0 {
		n = 3000
		if testing.Short() {
			n = 300
		}
	}
	seed := *flagSeed
	first, last := 0, n
	if *flagOnly >= 0 {
		first, last = *flagOnly, *flagOnly+1
	}

	start := time.Now()
	var (
		mu         sync.Mutex
		mismatches []mismatch
		stop       atomic.Bool
		done       atomic.Int64
		slow       atomic.Int64
		verdicts   = map[string]int{}
		classes    = map[string]*class{}
		total      atomic.Int64
	)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := Generate(seed, i)
				want, got, err := d.RunBoth(c)
				if err != nil {
					t.Errorf("seed %d case %d: %v", seed, i, err)
					stop.Store(true)
					continue
				}
				done.Add(1)
				if *flagVerbose && want.Elapsed+got.Elapsed > 200*time.Millisecond {
					t.Logf("seed %d case %d: slowish: debian %v ours %v\n%s", seed, i, want.Elapsed, got.Elapsed, Describe(c))
				}
				if want.Elapsed > 2*time.Second {
					slow.Add(1)
					t.Logf("seed %d case %d: Debian took %v", seed, i, want.Elapsed)
				}
				diff := Compare(want, got)
				mu.Lock()
				verdicts[verdictOf(want)]++
				if diff != "" {
					total.Add(1)
				}
				if diff != "" && *flagClassify {
					sig := Signature(want, got)
					cl := classes[sig]
					if cl == nil {
						cl = &class{sig: sig, first: mismatch{i, c, want, got}}
						classes[sig] = cl
					} else if i < cl.first.index {
						cl.first = mismatch{i, c, want, got}
					}
					cl.count++
				} else if diff != "" && len(mismatches) < *flagMax {
					mismatches = append(mismatches, mismatch{i, c, want, got})
					if len(mismatches) >= *flagMax {
						stop.Store(true)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := first; i < last && !stop.Load(); i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)

	var vs []string
	for v, k := range verdicts {
		vs = append(vs, fmt.Sprintf("%s=%d", v, k))
	}
	sort.Strings(vs)
	t.Logf("seed %d: %d cases in %v (%d workers), %d mismatches, %d slow; Debian verdicts: %s",
		seed, done.Load(), elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0), total.Load(), slow.Load(), strings.Join(vs, " "))

	if *flagClassify {
		var cls []*class
		for _, cl := range classes {
			cls = append(cls, cl)
		}
		sort.Slice(cls, func(i, j int) bool {
			if cls[i].count != cls[j].count {
				return cls[i].count > cls[j].count
			}
			return cls[i].sig < cls[j].sig
		})
		var summary strings.Builder
		for k, cl := range cls {
			fmt.Fprintf(&summary, "%3d. %5d × %s (first: case %d)\n", k+1, cl.count, cl.sig, cl.first.index)
		}
		t.Logf("%d mismatch classes:\n%s", len(cls), summary.String())
		for k, cl := range cls {
			if k >= *flagMax {
				t.Errorf("%d more classes not shown (-difftest.max)", len(cls)-k)
				break
			}
			mismatches = append(mismatches, cl.first)
		}
	}

	sort.Slice(mismatches, func(i, j int) bool { return mismatches[i].index < mismatches[j].index })
	for _, m := range mismatches {
		c, want, got := m.c, m.want, m.got
		note := ""
		if *flagMinimize {
			if mc, w, g := d.Minimize(c, true); mc != c {
				c, want, got = mc, w, g
				note = " (minimised)"
			}
		}
		sig := ""
		if *flagClassify {
			sig = "class: " + Signature(want, got) + "\n"
		}
		t.Errorf("MISMATCH seed %d case %d%s\n%sreproduce: go test ./internal/difftest -run 'TestDifferential$' -difftest.seed=%d -difftest.only=%d\n%s%s",
			seed, m.index, note, sig, seed, m.index, Describe(c), Compare(want, got))
		if *flagKeep && isolated {
			rec := &Record{
				Comment: fmt.Sprintf("Differential test failure: seed %d, case %d%s.\nExpected output is Debian's tcpdmatch (diagnostics via the syslog shim).\n", seed, m.index, note),
				Case:    c,
				Want:    want,
			}
			name := fmt.Sprintf("seed%d-case%d.txtar", seed, m.index)
			if err := WriteRecord(filepath.Join("testdata", "failures"), name, rec); err != nil {
				t.Error(err)
			} else {
				t.Logf("wrote testdata/failures/%s", name)
			}
		}
	}
	if *flagKeep && !isolated && len(mismatches) > 0 {
		t.Logf("-difftest.keep: nothing written: the expected outputs would not be reproducible outside the test namespace (%s)", isolationReason)
	}
	if !*flagClassify && len(mismatches) >= *flagMax {
		t.Errorf("stopped after %d mismatches", len(mismatches))
	}
}

type class struct {
	sig   string
	count int
	first mismatch
}

func verdictOf(o Outcome) string {
	switch {
	case o.Exit != 0:
		return fmt.Sprintf("exit%d", o.Exit)
	case strings.Contains(o.Stdout, "access:   granted"):
		return "granted"
	case strings.Contains(o.Stdout, "access:   denied"):
		return "denied"
	case strings.Contains(o.Stdout, "access:   delegated"):
		return "delegated"
	default:
		return "none"
	}
}

// TestExpansionOverflow is the one slow case: an expansion longer than
// 8190 bytes makes Debian's tcpdmatch sleep 5 s and exit 0 without an
// access line. Ours gives the same output without the sleep, a documented
// difference (docs/compat.md).
func TestExpansionOverflow(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (5 s sleep); skipped with -short")
	}
	debian := debianProgram(t)
	ours := ourProgram(t)
	t.Parallel()
	d := newDiffer(t, debian, ours)
	daemon := strings.Repeat("d", 120)
	c := &Case{
		Allow: []string{"ALL: ALL: spawn echo " + strings.Repeat("%d", 70) + "\n"},
		Deny:  []string{},
		Files: map[string]string{},
		Args:  []string{"-d", "-i", "/dev/null", daemon, "10.0.0.1"},
		Slow:  true,
	}
	want, got, err := d.RunBoth(c)
	if err != nil {
		t.Fatal(err)
	}
	if want.Elapsed < 4500*time.Millisecond {
		t.Errorf("Debian took %v; expected the 5 s sleep (is the case still overflowing?)", want.Elapsed)
	}
	if diff := Compare(want, got); diff != "" {
		t.Errorf("MISMATCH\n%s%s", Describe(c), diff)
	}
	if got.Elapsed > 2*time.Second {
		t.Errorf("ours took %v; it should exit at once (docs/compat.md)", got.Elapsed)
	}
}

// --- regressions (our binary only) ---

func loadRecords(t *testing.T, dir string) map[string]*Record {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]*Record{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRecord(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		recs[f] = r
	}
	return recs
}

// TestRegressions replays testdata/cases/*.txtar against our binary; the
// expected output is stored in the files, so Debian's package is not
// needed.
func TestRegressions(t *testing.T) {
	recs := loadRecords(t, filepath.Join("testdata", "cases"))
	if len(recs) == 0 {
		t.Skip("no regression cases in testdata/cases")
	}
	if !isolated {
		t.Skipf("the expected outputs assume TestHosts as /etc/hosts and no DNS; that needs a private mount namespace: %s", isolationReason)
	}
	ours := ourProgram(t)
	d := newDiffer(t, Program{}, ours)
	names := make([]string, 0, len(recs))
	for f := range recs {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		r := recs[f]
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			t.Parallel()
			got, err := d.RunOne(ours, r.Case)
			if err != nil {
				t.Fatal(err)
			}
			if diff := Compare(r.Want, got); diff != "" {
				t.Errorf("%s\n%s%s", strings.TrimSpace(r.Comment), Describe(r.Case), diff)
			}
		})
	}
}

// TestRegen rewrites the expected outputs of testdata/cases/*.txtar and
// testdata/failures/*.txtar from Debian's tcpdmatch; it runs only with
// -difftest.regen.
func TestRegen(t *testing.T) {
	if !*flagRegen {
		t.Skip("only with -difftest.regen")
	}
	debian := debianProgram(t)
	if !isolated {
		t.Fatalf("refusing to record expectations outside the test namespace: %s", isolationReason)
	}
	d := newDiffer(t, debian, Program{})
	recs := loadRecords(t, filepath.Join("testdata", "cases"))
	for f, r := range loadRecords(t, filepath.Join("testdata", "failures")) {
		recs[f] = r
	}
	for f, r := range recs {
		want, err := d.RunOne(debian, r.Case)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want.Elapsed > 2*time.Second {
			t.Errorf("%s: Debian took %v; regression cases should be fast", f, want.Elapsed)
		}
		r.Want = want
		if err := os.WriteFile(f, r.Format(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRecordsAgreeWithDebian checks that the stored expectations of
// testdata/cases still match Debian's binary (when installed).
func TestRecordsAgreeWithDebian(t *testing.T) {
	recs := loadRecords(t, filepath.Join("testdata", "cases"))
	if len(recs) == 0 {
		t.Skip("no regression cases in testdata/cases")
	}
	debian := debianProgram(t)
	if !isolated {
		t.Skipf("the expected outputs assume the test namespace: %s", isolationReason)
	}
	d := newDiffer(t, debian, Program{})
	for f, r := range recs {
		want, err := d.RunOne(debian, r.Case)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if diff := Compare(r.Want, want); diff != "" {
			t.Errorf("%s: stored expectation differs from Debian (regenerate with -difftest.regen):\n%s", f, diff)
		}
	}
}

// TestKnownFailures replays testdata/failures/*.txtar (mismatches found by
// the differential test, expected output from Debian) against our binary
// and reports which of them still fail. It never fails itself: a fixed
// case should be moved to testdata/cases/.
func TestKnownFailures(t *testing.T) {
	recs := loadRecords(t, filepath.Join("testdata", "failures"))
	if len(recs) == 0 {
		t.Skip("no cases in testdata/failures")
	}
	if !isolated {
		t.Skipf("the expected outputs assume the test namespace: %s", isolationReason)
	}
	ours := ourProgram(t)
	d := newDiffer(t, Program{}, ours)
	names := make([]string, 0, len(recs))
	for f := range recs {
		names = append(names, f)
	}
	sort.Strings(names)
	var fixed, failing []string
	for _, f := range names {
		got, err := d.RunOne(ours, recs[f].Case)
		if err != nil {
			t.Fatal(err)
		}
		if Compare(recs[f].Want, got) == "" {
			fixed = append(fixed, filepath.Base(f))
		} else {
			failing = append(failing, filepath.Base(f))
		}
	}
	t.Logf("%d still failing: %s", len(failing), strings.Join(failing, " "))
	if len(fixed) > 0 {
		t.Logf("%d now agree with Debian (move them to testdata/cases): %s", len(fixed), strings.Join(fixed, " "))
	}
}
