package difftest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Compare returns a description of the differences between the expected
// (Debian) and actual (ours) outcomes: stdout as bytes, stderr as lines and
// the exit status. It returns "" when they agree.
func Compare(want, got Outcome) string {
	var b strings.Builder
	if want.TimedOut || got.TimedOut {
		fmt.Fprintf(&b, "timed out: debian %v, ours %v\n", want.TimedOut, got.TimedOut)
	}
	if want.Exit != got.Exit {
		fmt.Fprintf(&b, "exit status: debian %d, ours %d\n", want.Exit, got.Exit)
	}
	if want.Stdout != got.Stdout {
		b.WriteString("stdout:\n")
		if d := UnifiedDiff("debian", "ours", stdoutLines(want.Stdout), stdoutLines(got.Stdout)); d != "" {
			b.WriteString(d)
		} else {
			fmt.Fprintf(&b, "debian %q\nours   %q\n", want.Stdout, got.Stdout)
		}
	}
	if d := UnifiedDiff("debian", "ours", want.StderrLines(), got.StderrLines()); d != "" {
		b.WriteString("stderr:\n")
		b.WriteString(d)
	}
	return b.String()
}

// Differ runs cases with Debian's tcpdmatch (through the shim) and ours.
type Differ struct {
	Debian, Ours Program
	// TempDir is where the scratch dirs are created.
	TempDir string
	// Timeout bounds one program run.
	Timeout time.Duration

	seq atomic.Int64
}

// NewScratch prepares a fresh scratch dir for c.
func (d *Differ) NewScratch(c *Case) (*Scratch, error) {
	// Keep the path the same length for every case: it appears in
	// messages, which are subject to length limits.
	dir := filepath.Join(d.TempDir, fmt.Sprintf("s%09d", d.seq.Add(1)))
	return Prepare(dir, c)
}

// RunBoth runs c with both programs in the same fresh scratch dir.
func (d *Differ) RunBoth(c *Case) (want, got Outcome, err error) {
	s, err := d.NewScratch(c)
	if err != nil {
		return want, got, err
	}
	defer s.Remove()
	timeout := d.Timeout
	if c.Slow {
		timeout += 30 * time.Second
	}
	if want, err = s.Run(d.Debian, c, timeout); err != nil {
		return want, got, err
	}
	got, err = s.Run(d.Ours, c, timeout)
	return want, got, err
}

// RunOne runs c with p in a fresh scratch dir.
func (d *Differ) RunOne(p Program, c *Case) (Outcome, error) {
	s, err := d.NewScratch(c)
	if err != nil {
		return Outcome{}, err
	}
	defer s.Remove()
	timeout := d.Timeout
	if c.Slow {
		timeout += 30 * time.Second
	}
	return s.Run(p, c, timeout)
}

// Signature summarises how two outcomes differ, for grouping mismatches
// by likely root cause: the first removed and first added line of the
// stdout and stderr diffs and the exit statuses, with digits and quoted
// values blurred.
func Signature(want, got Outcome) string {
	var parts []string
	first := func(what string, a, b []string) {
		if equalLines(a, b) {
			return
		}
		inA, inB := map[string]int{}, map[string]int{}
		for _, l := range a {
			inA[l]++
		}
		for _, l := range b {
			inB[l]++
		}
		var minus, plus string
		for _, l := range a {
			if inB[l] == 0 && minus == "" {
				minus = l
			}
		}
		for _, l := range b {
			if inA[l] == 0 && plus == "" {
				plus = l
			}
		}
		if minus == "" && plus == "" {
			parts = append(parts, what+": order/count")
			return
		}
		parts = append(parts, what+": -"+blur(minus)+" +"+blur(plus))
	}
	first("stdout", stdoutLines(want.Stdout), stdoutLines(got.Stdout))
	first("stderr", want.StderrLines(), got.StderrLines())
	if want.Exit != got.Exit {
		parts = append(parts, fmt.Sprintf("exit %d/%d", want.Exit, got.Exit))
	}
	return strings.Join(parts, " | ")
}

var (
	blurDigits = regexp.MustCompile(`[0-9]+`)
	blurQuoted = regexp.MustCompile(`"[^"]*"`)
	blurLine   = regexp.MustCompile(`line N: `)
)

func blur(s string) string {
	s = blurDigits.ReplaceAllString(s, "N")
	s = blurQuoted.ReplaceAllString(s, `"…"`)
	s = blurLine.ReplaceAllString(s, "")
	if i := strings.Index(s, "option:   "); i >= 0 {
		// Keep the keyword only.
		f := strings.Fields(s[i+len("option:   "):])
		if len(f) > 0 {
			s = s[:i] + "option:   " + strings.ToLower(f[0]) + " …"
		}
	}
	return s
}

// Minimize reduces c while the two programs still disagree (with the same
// Signature when sameSig is set): it drops table chunks, extra files,
// directories and whole tables, and then words of the remaining lines and
// files. It returns the reduced case and its outcomes.
func (d *Differ) Minimize(c *Case, sameSig bool) (*Case, Outcome, Outcome) {
	want, got, err := d.RunBoth(c)
	if err != nil || Compare(want, got) == "" {
		return c, want, got
	}
	sig := Signature(want, got)
	try := func(cand *Case) bool {
		w, g, err := d.RunBoth(cand)
		if err != nil || Compare(w, g) == "" || (sameSig && Signature(w, g) != sig) {
			return false
		}
		c, want, got = cand, w, g
		return true
	}
	tables := func(cc *Case) []*[]string { return []*[]string{&cc.Allow, &cc.Deny} }
	for changed := true; changed; {
		changed = false
		for t := range 2 {
			for i := 0; i < len(*tables(c)[t]); i++ {
				cand := c.Clone()
				p := tables(cand)[t]
				*p = append((*p)[:i:i], (*p)[i+1:]...)
				if try(cand) {
					changed = true
					i--
				}
			}
		}
		for _, name := range sortedKeys(c.Files) {
			cand := c.Clone()
			delete(cand.Files, name)
			if try(cand) {
				changed = true
			}
		}
		for i := 0; i < len(c.Dirs); i++ {
			cand := c.Clone()
			cand.Dirs = append(cand.Dirs[:i:i], cand.Dirs[i+1:]...)
			if try(cand) {
				changed = true
				i--
			}
		}
		for _, name := range sortedKeys(c.Links) {
			cand := c.Clone()
			delete(cand.Links, name)
			if try(cand) {
				changed = true
			}
		}
		for _, name := range sortedKeys(c.Modes) {
			cand := c.Clone()
			delete(cand.Modes, name)
			if try(cand) {
				changed = true
			}
		}
		for t := range 2 {
			if p := tables(c)[t]; *p != nil && len(*p) == 0 {
				cand := c.Clone()
				*tables(cand)[t] = nil
				if try(cand) {
					changed = true
				}
			}
		}
		// Words inside the lines.
		for t := range 2 {
			for i := 0; i < len(*tables(c)[t]); i++ {
				for j := 0; ; j++ {
					chunk := (*tables(c)[t])[i]
					reduced, ok := dropWord(chunk, j)
					if !ok {
						break
					}
					cand := c.Clone()
					(*tables(cand)[t])[i] = reduced
					if try(cand) {
						changed = true
						j--
					}
				}
			}
		}
		for _, name := range sortedKeys(c.Files) {
			for j := 0; ; j++ {
				reduced, ok := dropWord(c.Files[name], j)
				if !ok {
					break
				}
				cand := c.Clone()
				cand.Files[name] = reduced
				if try(cand) {
					changed = true
					j--
				}
			}
		}
	}
	return c, want, got
}

// dropWord removes word j of s (a word is a run of characters other than
// blanks, commas and colons, together with the separators that follow it;
// a final line terminator is kept). ok is false when there is no word j.
func dropWord(s string, j int) (string, bool) {
	body, term := s, ""
	for _, t := range []string{"\r\n", "\n"} {
		if strings.HasSuffix(body, t) {
			body, term = strings.TrimSuffix(body, t), t
			break
		}
	}
	isSep := func(c byte) bool { return c == ' ' || c == '\t' || c == ',' || c == ':' }
	// Leading separators belong to no word.
	i := 0
	for i < len(body) && isSep(body[i]) {
		i++
	}
	for k := 0; i < len(body); k++ {
		start := i
		for i < len(body) && !isSep(body[i]) {
			i++
		}
		for i < len(body) && isSep(body[i]) {
			i++
		}
		if k == j {
			return body[:start] + body[i:] + term, true
		}
	}
	return s, false
}

// Describe renders a case for a failure report: every file Go-quoted.
func Describe(c *Case) string {
	var b strings.Builder
	quoted := func(name string, data []byte) {
		if data == nil {
			fmt.Fprintf(&b, "%s: (absent)\n", name)
			return
		}
		fmt.Fprintf(&b, "%s: %s\n", name, strconv.Quote(string(data)))
	}
	quoted("hosts.allow", c.AllowData())
	quoted("hosts.deny", c.DenyData())
	for _, name := range sortedKeys(c.Files) {
		quoted("SCRATCH/"+name, []byte(c.Files[name]))
	}
	for _, dir := range c.Dirs {
		fmt.Fprintf(&b, "SCRATCH/%s/: (directory)\n", dir)
	}
	for _, name := range sortedKeys(c.Links) {
		fmt.Fprintf(&b, "SCRATCH/%s: symbolic link to %q\n", name, c.Links[name])
	}
	for _, name := range sortedKeys(c.Modes) {
		fmt.Fprintf(&b, "SCRATCH/%s: mode %04o\n", name, c.Modes[name])
	}
	fmt.Fprintf(&b, "args: %s\n", quoteArgs(c.Args))
	return b.String()
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, " ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// WriteRecord writes r to dir/name (creating dir).
func WriteRecord(dir, name string, r *Record) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), r.Format(), 0o644)
}
