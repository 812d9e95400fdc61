// Package conffile reads the tcpdwatch configuration file format, which
// several packages share (each parses its own sections):
//
//	# a comment (only at the start of a line)
//	[kind]
//	key = value
//
//	[kind name]
//	key = value
//
// A section starts with [kind] or [kind name]; "key = value" lines
// follow, the value being the rest of the line with blanks trimmed.
// Lines holding control characters (other than tab) are refused.
// Durations take Go's units plus "d" for days.
//
// Split cuts a file into sections; Lines gives the content lines alone
// to a parser that reads its sections its own way; ParseDuration reads
// the durations.
package conffile

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"
)

// Section is one [kind] or [kind name] section and its entries, in
// file order.
type Section struct {
	Kind, Name string
	Line       int // of the header
	Entries    []Entry
}

// Entry is one "key = value" line.
type Entry struct {
	Key, Value string
	Line       int
}

// Lines yields the content lines of src with their numbers (from 1):
// each with a trailing CR dropped and blanks trimmed, blank lines and
// comments skipped. A line holding a control character other than tab,
// or DEL, is not yielded: bad is called with its number and a message.
func Lines(src []byte, bad func(line int, msg string)) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, l := range strings.Split(string(src), "\n") {
			n := i + 1
			t := strings.TrimSpace(strings.TrimSuffix(l, "\r"))
			if t == "" || t[0] == '#' {
				continue
			}
			if c := strings.IndexFunc(t, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); c >= 0 {
				bad(n, fmt.Sprintf("control character %q", t[c]))
				continue
			}
			if !yield(n, t) {
				return
			}
		}
	}
}

// Split cuts src, read from the file called name, into sections of
// entries. Each line it cannot place is left out and reported as
// "name:line: message": a section header without ], or with no kind or
// more than a name; a line without "="; a key that is empty or holds
// blanks; an entry before the first section; and what Lines refuses.
// Sections and entries are in file order, and so are the errors.
func Split(src []byte, name string) ([]Section, []error) {
	var secs []Section
	var errs []error
	errf := func(n int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, args...)))
	}
	bad := func(n int, msg string) { errf(n, "%s", msg) }
	for n, t := range Lines(src, bad) {
		if t[0] == '[' {
			if !strings.HasSuffix(t, "]") {
				errf(n, "section header without ]")
				continue
			}
			f := strings.Fields(t[1 : len(t)-1])
			if len(f) == 0 || len(f) > 2 {
				errf(n, "want [kind] or [kind name]")
				continue
			}
			s := Section{Kind: f[0], Line: n}
			if len(f) == 2 {
				s.Name = f[1]
			}
			secs = append(secs, s)
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			errf(n, "want key = value")
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || strings.ContainsAny(k, " \t") {
			errf(n, "bad key %q", k)
			continue
		}
		if len(secs) == 0 {
			errf(n, "%s outside any section", k)
			continue
		}
		s := &secs[len(secs)-1]
		s.Entries = append(s.Entries, Entry{Key: k, Value: v, Line: n})
	}
	return secs, errs
}

// ParseDuration reads a duration in Go's syntax ("90s", "1h30m") or in
// days ("7d", "1d12h"), up to 36500 days. Negative durations, and sums
// that overflow, are refused.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("bad duration %q", orig)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || days+d < days {
		return 0, fmt.Errorf("bad duration %q", orig)
	}
	return days + d, nil
}
