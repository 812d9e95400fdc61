package difftest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Record is a case together with the expected outcome, as stored in a
// txtar file under testdata/cases or testdata/failures.
//
// Sections (a name ending in ".q" holds one Go-quoted string per line,
// concatenated; it is used for data that a plain section cannot hold
// exactly, such as CR, NUL or a missing final newline):
//
//	args          one Go-quoted argument per line
//	hosts.allow   absent section: no file
//	hosts.deny
//	dir:NAME      an (empty) directory to create
//	link:NAME     a symbolic link; the content (one line) is the target
//	mode:NAME     octal permission bits set on NAME after everything is written
//	file:NAME     an extra file
//	stdout        expected standard output
//	stderr        expected standard error (compared line by line)
//	exit          expected exit status
type Record struct {
	Comment string
	Case    *Case
	Want    Outcome
}

func rawOK(s string) bool {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' && r != '\n' && r != '\t' || r == 0x7f {
			return false
		}
	}
	for _, line := range strings.Split(s, "\n") {
		// Marker-like lines and trailing blanks (which editors strip)
		// are quoted.
		if strings.HasPrefix(line, "--") || strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return false
		}
	}
	return true
}

func writeSection(b *strings.Builder, name, data string) {
	if rawOK(data) {
		fmt.Fprintf(b, "-- %s --\n%s", name, data)
		return
	}
	fmt.Fprintf(b, "-- %s.q --\n", name)
	for data != "" {
		i := strings.IndexByte(data, '\n')
		if i < 0 {
			i = len(data) - 1
		}
		b.WriteString(strconv.Quote(data[:i+1]))
		b.WriteByte('\n')
		data = data[i+1:]
	}
}

// Format renders r as a txtar file.
func (r *Record) Format() []byte {
	var b strings.Builder
	for _, line := range splitLines(r.Comment) {
		b.WriteString(line + "\n")
	}
	c := r.Case
	b.WriteString("-- args --\n")
	for _, a := range c.Args {
		b.WriteString(strconv.Quote(a) + "\n")
	}
	if c.Allow != nil {
		writeSection(&b, "hosts.allow", string(c.AllowData()))
	}
	if c.Deny != nil {
		writeSection(&b, "hosts.deny", string(c.DenyData()))
	}
	dirs := append([]string(nil), c.Dirs...)
	sort.Strings(dirs)
	for _, d := range dirs {
		fmt.Fprintf(&b, "-- dir:%s --\n", d)
	}
	for _, n := range sortedKeys(c.Links) {
		writeSection(&b, "link:"+n, c.Links[n]+"\n")
	}
	for _, n := range sortedKeys(c.Modes) {
		fmt.Fprintf(&b, "-- mode:%s --\n%04o\n", n, c.Modes[n])
	}
	for _, n := range sortedKeys(c.Files) {
		writeSection(&b, "file:"+n, c.Files[n])
	}
	writeSection(&b, "stdout", r.Want.Stdout)
	writeSection(&b, "stderr", r.Want.Stderr)
	fmt.Fprintf(&b, "-- exit --\n%d\n", r.Want.Exit)
	return []byte(b.String())
}

// ParseRecord parses a txtar file written by Format (or by hand).
func ParseRecord(data []byte) (*Record, error) {
	r := &Record{Case: &Case{Files: map[string]string{}}}
	lines := strings.SplitAfter(string(data), "\n")
	var comment strings.Builder
	type section struct {
		name string
		body strings.Builder
	}
	var secs []*section
	for _, line := range lines {
		if line == "" {
			continue
		}
		t := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			secs = append(secs, &section{name: t[3 : len(t)-3]})
			continue
		}
		if len(secs) == 0 {
			comment.WriteString(line)
		} else {
			secs[len(secs)-1].body.WriteString(line)
		}
	}
	r.Comment = comment.String()
	seen := map[string]bool{}
	haveExit := false
	for _, s := range secs {
		name, body := s.name, s.body.String()
		if strings.HasSuffix(name, ".q") {
			name = strings.TrimSuffix(name, ".q")
			var b strings.Builder
			for _, l := range splitLines(body) {
				if strings.TrimSpace(l) == "" {
					continue
				}
				u, err := strconv.Unquote(strings.TrimSpace(l))
				if err != nil {
					return nil, fmt.Errorf("section %s: %v", s.name, err)
				}
				b.WriteString(u)
			}
			body = b.String()
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate section %s", name)
		}
		seen[name] = true
		switch {
		case name == "args":
			r.Case.Args = []string{}
			for _, l := range splitLines(body) {
				if strings.TrimSpace(l) == "" {
					continue
				}
				u, err := strconv.Unquote(strings.TrimSpace(l))
				if err != nil {
					return nil, fmt.Errorf("args: %v", err)
				}
				r.Case.Args = append(r.Case.Args, u)
			}
		case name == "hosts.allow":
			r.Case.Allow = []string{body}
		case name == "hosts.deny":
			r.Case.Deny = []string{body}
		case strings.HasPrefix(name, "dir:"):
			r.Case.Dirs = append(r.Case.Dirs, strings.TrimPrefix(name, "dir:"))
		case strings.HasPrefix(name, "link:"):
			if r.Case.Links == nil {
				r.Case.Links = map[string]string{}
			}
			r.Case.Links[strings.TrimPrefix(name, "link:")] = strings.TrimSuffix(body, "\n")
		case strings.HasPrefix(name, "mode:"):
			m, err := strconv.ParseUint(strings.TrimSpace(body), 8, 32)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			if r.Case.Modes == nil {
				r.Case.Modes = map[string]uint32{}
			}
			r.Case.Modes[strings.TrimPrefix(name, "mode:")] = uint32(m)
		case strings.HasPrefix(name, "file:"):
			r.Case.Files[strings.TrimPrefix(name, "file:")] = body
		case name == "stdout":
			r.Want.Stdout = body
		case name == "stderr":
			r.Want.Stderr = body
		case name == "exit":
			n, err := strconv.Atoi(strings.TrimSpace(body))
			if err != nil {
				return nil, fmt.Errorf("exit: %v", err)
			}
			r.Want.Exit = n
			haveExit = true
		default:
			return nil, fmt.Errorf("unknown section %q", s.name)
		}
	}
	if r.Case.Args == nil {
		return nil, fmt.Errorf("no args section")
	}
	if !haveExit {
		return nil, fmt.Errorf("no exit section")
	}
	return r, nil
}
