// Command tcpwrap-bench is the Go side of bench/libwrap-compare: it
// compiles a hosts.allow/hosts.deny pair once, timing that and measuring
// the heap the compiled tables hold, then times decisions the way
// bench/libwrap/bench.c times hosts_ctl.
//
//	tcpwrap-bench [-t 500ms] [-parse-repeats 3] -allow PATH -deny PATH [-daemon sshd] [NAME=ADDR:VERDICT:LINE...]
//
// It prints
//
//	compile rules=N parse_ns=T parse_cpu_ns=C parse_warm_ns=W heap_bytes=B bytes_per_rule=B/N
//	client=NAME addr=ADDR verdict=V line=L calls=N ns=MEAN cpu_ns=CPU allocs=A
//
// parse_ns is one access.Parse of each table (the files are read
// beforehand and not timed), parse_cpu_ns the process CPU time it took
// (garbage collection on other threads included); heap_bytes is the growth of the live heap
// across that, after a GC on each side; parse_warm_ns is the fastest of
// -parse-repeats further compiles, for comparison. For each client it first checks
// one decision against the expectation (VERDICT "granted" or "denied";
// LINE the deny-table line that must decide, 0 for none), then calls
// Policy.Check(req, access.Hooks{}) N times, N chosen so
// the loop takes at least -t and N >= 3, checking every verdict. MEAN is
// wall-clock time per decision, CPU the process's CPU time per decision
// (garbage collection included), A the heap allocations per decision. It
// exits 1 if any expectation fails.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
)

func main() {
	allow := flag.String("allow", "", "hosts.allow `path` (required)")
	deny := flag.String("deny", "", "hosts.deny `path` (required)")
	daemon := flag.String("daemon", "sshd", "daemon `name` of every request")
	minTime := flag.Duration("t", 500*time.Millisecond, "minimum duration of each timed loop")
	warm := flag.Int("parse-repeats", 3, "`times` to compile again after the measured compile, reporting the fastest as parse_warm_ns (0: none)")
	flag.Parse()
	if *allow == "" || *deny == "" {
		fmt.Fprintln(os.Stderr, "usage: tcpwrap-bench [-t 500ms] [-parse-repeats 3] -allow PATH -deny PATH [-daemon sshd] [NAME=ADDR:VERDICT:LINE...]")
		os.Exit(2)
	}
	type spec struct {
		name, addr string
		want       access.Verdict
		line       int
	}
	var specs []spec
	for _, arg := range flag.Args() {
		name, rest, ok1 := strings.Cut(arg, "=")
		addr, rest, ok2 := strings.Cut(rest, ":")
		v, l, ok3 := strings.Cut(rest, ":")
		line, err := strconv.Atoi(l)
		if !ok1 || !ok2 || !ok3 || err != nil || (v != "granted" && v != "denied") {
			fmt.Fprintf(os.Stderr, "bad client spec %q: want NAME=ADDR:VERDICT:LINE\n", arg)
			os.Exit(2)
		}
		want := access.Denied
		if v == "granted" {
			want = access.Granted
		}
		specs = append(specs, spec{name, addr, want, line})
	}

	allowSrc, err1 := os.ReadFile(*allow)
	denySrc, err2 := os.ReadFile(*deny)
	for _, err := range []error{err1, err2} {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	opts := access.ParseOptions{Files: hostsfile.OS{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c0 := cpuTime()
	t0 := time.Now()
	p := access.Policy{Allow: access.Parse(allowSrc, *allow, opts), Deny: access.Parse(denySrc, *deny, opts)}
	parse := time.Since(t0)
	parseCPU := cpuTime() - c0
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(allowSrc)
	runtime.KeepAlive(denySrc)
	rules := len(p.Allow.Rules) + len(p.Deny.Rules)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// The first compile is what a daemon pays at start-up: a small heap
	// grows, with several collections on the way. Later ones find the
	// heap already grown.
	var warmNs int64
	for range *warm {
		runtime.GC()
		t0 := time.Now()
		access.Parse(allowSrc, *allow, opts)
		access.Parse(denySrc, *deny, opts)
		if d := time.Since(t0).Nanoseconds(); warmNs == 0 || d < warmNs {
			warmNs = d
		}
	}
	runtime.GC()
	fmt.Printf("compile rules=%d parse_ns=%d parse_cpu_ns=%d parse_warm_ns=%d heap_bytes=%d bytes_per_rule=%.1f\n",
		rules, parse.Nanoseconds(), parseCPU.Nanoseconds(), warmNs, heap, float64(heap)/float64(max(rules, 1)))

	fail := false
	for _, s := range specs {
		req := access.Request{Daemon: *daemon, Client: access.Endpoint{Addr: s.addr}, User: access.Unknown}
		if msg := check(p, req, s.want, s.line, *deny); msg != "" {
			fmt.Fprintf(os.Stderr, "%s (%s): %s\n", s.name, s.addr, msg)
			fail = true
			continue
		}
		bad := false
		var m0, m1 runtime.MemStats
		n := 1
		var el, cpu time.Duration
		for {
			runtime.ReadMemStats(&m0)
			c0 := cpuTime()
			t0 := time.Now()
			for range n {
				if p.Check(req, access.Hooks{}).Verdict != s.want {
					bad = true
				}
			}
			el = time.Since(t0)
			cpu = cpuTime() - c0
			runtime.ReadMemStats(&m1)
			if bad {
				break
			}
			if el >= *minTime && n >= 3 {
				break
			}
			// As bench.c: aim 20% past the target, grow 2x to 100x.
			next := float64(n) * 100
			if el > 0 {
				next = float64(n) * float64(*minTime) * 1.2 / float64(el)
			}
			n = int(min(max(next, float64(n)*2), float64(n)*100))
		}
		if bad {
			fmt.Fprintf(os.Stderr, "%s (%s): verdict changed during the loop\n", s.name, s.addr)
			fail = true
			continue
		}
		fmt.Printf("client=%s addr=%s verdict=%s line=%d calls=%d ns=%.1f cpu_ns=%.1f allocs=%.1f\n",
			s.name, s.addr, s.want, s.line, n, float64(el.Nanoseconds())/float64(n),
			float64(cpu.Nanoseconds())/float64(n), float64(m1.Mallocs-m0.Mallocs)/float64(n))
	}
	if fail {
		os.Exit(1)
	}
}

// cpuTime is the CPU time (user + system) the process has used, garbage
// collection on other threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "getrusage:", err)
		os.Exit(1)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// check makes one decision and says what is wrong with it, if anything:
// the verdict, the deciding rule (line of the deny table, or none for
// line 0), or any warning on the way.
func check(p access.Policy, req access.Request, want access.Verdict, line int, deny string) string {
	d := p.Check(req, access.Hooks{})
	for _, m := range d.Log {
		if m.Level == access.LevelError {
			return "unexpected diagnostic: " + m.Text
		}
	}
	if d.Verdict != want {
		return fmt.Sprintf("tcpwrap says %s, want %s", d.Verdict, want)
	}
	switch {
	case line == 0 && d.Rule != nil:
		return fmt.Sprintf("matched %s line %d, want no match", d.Rule.File, d.Rule.Line)
	case line > 0 && d.Rule == nil:
		return fmt.Sprintf("no rule matched (%s), want %s line %d", d.Reason, deny, line)
	case line > 0 && (d.Rule.File != deny || d.Rule.Line != line || d.Reason != access.ReasonDenyTable):
		return fmt.Sprintf("matched %s line %d (%s), want %s line %d", d.Rule.File, d.Rule.Line, d.Reason, deny, line)
	}
	return ""
}
