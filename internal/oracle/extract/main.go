// Command extract turns the tcpdmatch and tcpdchk cases (groups A to F) of
// tricky-cases.md into machine-readable JSON for the oracle tests.
//
// Usage (from the module root):
//
//	go run ./internal/oracle/extract \
//	    -in /work/shared/reference/tricky-cases.md \
//	    -out internal/oracle/testdata/tricky.json
//
// The extractor is strict: any line of a case it does not understand is an
// error, so that nothing is silently dropped. File contents are decoded from
// the document's Go-style string literals with strconv.Unquote; the
// shorthand forms `N x "s"`, `N spaces` and `a + b` are expanded.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Case is one extracted case. Absent files are null.
type Case struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Kind     string            `json:"kind"` // "tcpdmatch", "tcpdchk" or "mixed"
	Allow    *string           `json:"allow"`
	Deny     *string           `json:"deny"`
	Files    map[string]string `json:"files"` // keys relative to SCRATCH
	Hosts    *string           `json:"hosts"` // private /etc/hosts; null = machine's
	Setup    []string          `json:"setup"` // shell commands run in SCRATCH before the commands
	Shell    string            `json:"shell"` // the command line exactly as documented
	Commands []Command         `json:"commands"`
	Stdout   string            `json:"stdout"`
	Stderr   *string           `json:"stderr"` // null when the document shows no stderr block
	Exit     int               `json:"exit"`   // exit status of the last command
	Log      []string          `json:"log"`    // syslog texts, without "[fac.sev] ident: "
	Syslog   []string          `json:"syslog"` // the syslog records as documented
	Notes    string            `json:"notes"`
	Slow     bool              `json:"slow,omitempty"` // takes several seconds (skip in -short)
}

// Command is one program run of a case. Args are the arguments after the
// program name; "SCRATCH" in them stands for the scratch directory.
type Command struct {
	Program string   `json:"program"` // "tcpdmatch" or "tcpdchk"
	Args    []string `json:"args"`
	// Prefix is a wrapper command the document ran the program under
	// (only setpriv occurs); RunAs is its effect.
	Prefix []string `json:"prefix,omitempty"`
	RunAs  *RunAs   `json:"run_as,omitempty"`
	// Pipe: stdout was piped through this command (only "od -c" occurs).
	Pipe []string `json:"pipe,omitempty"`
	// StderrToStdout: the command had 2>&1.
	StderrToStdout bool `json:"stderr_to_stdout,omitempty"`
	// Timed: the command ran under bash's "time -p"; the documented stderr
	// is then the timing report, not the program's.
	Timed bool `json:"timed,omitempty"`
}

// RunAs is a user and group ID.
type RunAs struct {
	UID int `json:"uid"`
	GID int `json:"gid"`
}

var (
	caseRE    = regexp.MustCompile("^## Case ([A-Z][0-9]+): (.*)$")
	allowRE   = regexp.MustCompile("^- `hosts\\.allow` \\(in the working directory\\): (.*)$")
	denyRE    = regexp.MustCompile("^- `hosts\\.deny` \\(in the working directory\\): (.*)$")
	hostsRE   = regexp.MustCompile("^- `/etc/hosts` seen by the run \\(private mount namespace\\): (.*)$")
	extraRE   = regexp.MustCompile("^- extra file `([^`]+)`: (.*)$")
	setupRE   = regexp.MustCompile("^- setup before the run \\(in `SCRATCH`\\): `(.*)`$")
	commandRE = regexp.MustCompile("^- command \\(run in `SCRATCH`\\): `(.*)`$")
	stdoutRE  = regexp.MustCompile(`^Observed stdout \(exit status (-?[0-9]+)\):$`)
	stderrRE  = regexp.MustCompile(`^Observed stderr:$`)
	syslogRE  = regexp.MustCompile(`^Syslog records captured from /dev/log \(facility\.severity, ident, text\):$`)
	whyRE     = regexp.MustCompile(`^\*Why it is tricky:\* (.*)$`)
	obsRE     = regexp.MustCompile(`^\*Observation:\* (.*)$`)
	recordRE  = regexp.MustCompile(`^\[([a-z0-9]+)\.([a-z]+)\] ([^ :]+): (.*)$`)
	anchorRE  = regexp.MustCompile(`^<a id="case-[a-z0-9]+"></a>$`)
)

func main() {
	in := flag.String("in", "/work/shared/reference/tricky-cases.md", "tricky-cases.md to read")
	out := flag.String("out", "internal/oracle/testdata/tricky.json", "JSON file to write")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		fatal(err)
	}
	cases, err := extract(data)
	if err != nil {
		fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cases); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "extract: wrote %d cases to %s\n", len(cases), *out)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "extract:", err)
	os.Exit(1)
}

type section struct {
	id, title string
	lineNo    int
	lines     []string
}

func extract(data []byte) ([]*Case, error) {
	var sections []*section
	var cur *section
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if m := caseRE.FindStringSubmatch(line); m != nil {
			cur = &section{id: m[1], title: m[2], lineNo: n}
			sections = append(sections, cur)
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var cases []*Case
	seen := map[string]bool{}
	skipped := 0
	for _, s := range sections {
		if seen[s.id] {
			return nil, fmt.Errorf("duplicate case %s", s.id)
		}
		seen[s.id] = true
		if strings.HasPrefix(s.id, "G") {
			skipped++
			continue
		}
		c, err := parseCase(s)
		if err != nil {
			return nil, fmt.Errorf("case %s (line %d): %w", s.id, s.lineNo, err)
		}
		cases = append(cases, c)
	}
	fmt.Fprintf(os.Stderr, "extract: %d case sections, %d tcpd (G) cases skipped\n", len(sections), skipped)
	return cases, nil
}

func parseCase(s *section) (*Case, error) {
	c := &Case{ID: s.id, Title: s.title, Files: map[string]string{}, Setup: []string{}, Log: []string{}, Syslog: []string{}}
	var notes []string
	var haveAllow, haveDeny, haveStdout, haveSyslog bool
	lines := s.lines
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "" || anchorRE.MatchString(line):
		case whyRE.MatchString(line):
			notes = append(notes, "Why it is tricky: "+whyRE.FindStringSubmatch(line)[1])
		case obsRE.MatchString(line):
			notes = append(notes, "Observation: "+obsRE.FindStringSubmatch(line)[1])
		case allowRE.MatchString(line):
			v, err := parseContent(allowRE.FindStringSubmatch(line)[1])
			if err != nil {
				return nil, fmt.Errorf("hosts.allow: %w", err)
			}
			c.Allow, haveAllow = v, true
		case denyRE.MatchString(line):
			v, err := parseContent(denyRE.FindStringSubmatch(line)[1])
			if err != nil {
				return nil, fmt.Errorf("hosts.deny: %w", err)
			}
			c.Deny, haveDeny = v, true
		case hostsRE.MatchString(line):
			v, err := parseContent(hostsRE.FindStringSubmatch(line)[1])
			if err != nil || v == nil {
				return nil, fmt.Errorf("/etc/hosts: %v", err)
			}
			c.Hosts = v
		case extraRE.MatchString(line):
			m := extraRE.FindStringSubmatch(line)
			name, ok := strings.CutPrefix(m[1], "SCRATCH/")
			if !ok || name == "" {
				return nil, fmt.Errorf("extra file %q is not under SCRATCH", m[1])
			}
			v, err := parseContent(m[2])
			if err != nil || v == nil {
				return nil, fmt.Errorf("extra file %s: %v", m[1], err)
			}
			c.Files[name] = *v
		case setupRE.MatchString(line):
			c.Setup = append(c.Setup, setupRE.FindStringSubmatch(line)[1])
		case commandRE.MatchString(line):
			if c.Shell != "" {
				return nil, errors.New("more than one command line")
			}
			c.Shell = commandRE.FindStringSubmatch(line)[1]
			cmds, err := parseCommands(c.Shell)
			if err != nil {
				return nil, fmt.Errorf("command %q: %w", c.Shell, err)
			}
			c.Commands = cmds
		case stdoutRE.MatchString(line):
			exit, _ := strconv.Atoi(stdoutRE.FindStringSubmatch(line)[1])
			block, next, err := fence(lines, i+1)
			if err != nil {
				return nil, fmt.Errorf("stdout: %w", err)
			}
			c.Exit, c.Stdout, haveStdout = exit, blockText(block, "(empty)"), true
			i = next - 1
		case stderrRE.MatchString(line):
			block, next, err := fence(lines, i+1)
			if err != nil {
				return nil, fmt.Errorf("stderr: %w", err)
			}
			t := blockText(block, "(empty)")
			c.Stderr = &t
			i = next - 1
		case syslogRE.MatchString(line):
			block, next, err := fence(lines, i+1)
			if err != nil {
				return nil, fmt.Errorf("syslog: %w", err)
			}
			if !(len(block) == 1 && block[0] == "(none)") {
				for _, l := range block {
					m := recordRE.FindStringSubmatch(l)
					if m == nil {
						return nil, fmt.Errorf("bad syslog record %q", l)
					}
					c.Syslog = append(c.Syslog, l)
					c.Log = append(c.Log, m[4])
				}
			}
			haveSyslog = true
			i = next - 1
		default:
			return nil, fmt.Errorf("unrecognised line %q", line)
		}
	}
	switch {
	case !haveAllow || !haveDeny:
		return nil, errors.New("hosts.allow or hosts.deny line missing")
	case c.Shell == "":
		return nil, errors.New("no command")
	case !haveStdout:
		return nil, errors.New("no stdout block")
	case !haveSyslog:
		return nil, errors.New("no syslog block")
	}
	kinds := map[string]bool{}
	for _, cmd := range c.Commands {
		kinds[cmd.Program] = true
		if cmd.Timed {
			c.Slow = true
		}
	}
	if len(kinds) == 1 {
		c.Kind = c.Commands[0].Program
	} else {
		c.Kind = "mixed"
	}
	c.Notes = strings.Join(notes, "\n")
	return c, nil
}

// fence returns the lines of the ``` block starting at or after lines[i]
// (after blank lines) and the index after its closing fence.
func fence(lines []string, i int) ([]string, int, error) {
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i >= len(lines) || lines[i] != "```" {
		return nil, 0, errors.New("code block expected")
	}
	for j := i + 1; j < len(lines); j++ {
		if lines[j] == "```" {
			return lines[i+1 : j], j + 1, nil
		}
	}
	return nil, 0, errors.New("unterminated code block")
}

func blockText(block []string, empty string) string {
	if len(block) == 1 && block[0] == empty {
		return ""
	}
	if len(block) == 0 {
		return ""
	}
	return strings.Join(block, "\n") + "\n"
}

// parseContent decodes a file-content description: `(file absent)`, or
// terms joined by " + " where a term is a Go string literal, `N x "lit"` or
// `N spaces`, optionally followed by a parenthesised remark.
func parseContent(s string) (*string, error) {
	s = strings.TrimSpace(s)
	if s == "(file absent)" {
		return nil, nil
	}
	var out strings.Builder
	rest := s
	for {
		rest = strings.TrimLeft(rest, " ")
		var term string
		var err error
		term, rest, err = parseTerm(rest)
		if err != nil {
			return nil, fmt.Errorf("%w in %q", err, s)
		}
		out.WriteString(term)
		rest = strings.TrimLeft(rest, " ")
		if r, ok := strings.CutPrefix(rest, "+ "); ok {
			rest = r
			continue
		}
		break
	}
	if rest != "" {
		// A trailing remark such as "(2046 chars + newline)".
		if !(strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")")) {
			return nil, fmt.Errorf("trailing text %q in %q", rest, s)
		}
		if err := checkRemark(rest, out.String()); err != nil {
			return nil, err
		}
	}
	v := out.String()
	if !utf8.ValidString(v) {
		return nil, fmt.Errorf("content of %q is not valid UTF-8; JSON cannot hold it as a string", s)
	}
	return &v, nil
}

var remarkRE = regexp.MustCompile(`^\(([0-9]+) chars \+ newline\)$`)

// checkRemark verifies remarks of the form "(N chars + newline)".
func checkRemark(remark, content string) error {
	m := remarkRE.FindStringSubmatch(remark)
	if m == nil {
		return fmt.Errorf("unknown remark %q", remark)
	}
	n, _ := strconv.Atoi(m[1])
	if len(content) != n+1 || !strings.HasSuffix(content, "\n") {
		return fmt.Errorf("remark %q does not fit the content length %d", remark, len(content))
	}
	return nil
}

var (
	repeatRE = regexp.MustCompile(`^([0-9]+) x `)
	spacesRE = regexp.MustCompile(`^([0-9]+) spaces`)
)

func parseTerm(s string) (term, rest string, err error) {
	if m := spacesRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return strings.Repeat(" ", n), s[len(m[0]):], nil
	}
	count := 1
	if m := repeatRE.FindStringSubmatch(s); m != nil {
		count, _ = strconv.Atoi(m[1])
		s = s[len(m[0]):]
	}
	lit, rest, err := literal(s)
	if err != nil {
		return "", "", err
	}
	v, err := strconv.Unquote(lit)
	if err != nil {
		return "", "", fmt.Errorf("unquote %s: %w", lit, err)
	}
	return strings.Repeat(v, count), rest, nil
}

// literal splits a leading double-quoted Go string literal off s.
func literal(s string) (lit, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("string literal expected at %q", s)
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[:i+1], s[i+1:], nil
		}
	}
	return "", "", errors.New("unterminated string literal")
}

// parseCommands splits the documented shell command line into program runs.
func parseCommands(line string) ([]Command, error) {
	words, err := shellWords(line)
	if err != nil {
		return nil, err
	}
	var cmds []Command
	var cur []string
	flush := func() error {
		if len(cur) == 0 {
			return errors.New("empty command")
		}
		c, err := parseCommand(cur)
		if err != nil {
			return err
		}
		cmds = append(cmds, c)
		cur = nil
		return nil
	}
	for _, w := range words {
		if w == "\x00;" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		cur = append(cur, w)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return cmds, nil
}

var setprivRE = regexp.MustCompile(`^--(reuid|regid)=([0-9]+)$`)

func parseCommand(words []string) (Command, error) {
	var c Command
	if len(words) >= 2 && words[0] == "time" && words[1] == "-p" {
		c.Timed = true
		words = words[2:]
	}
	if len(words) > 0 && words[0] == "setpriv" {
		c.Prefix = []string{"setpriv"}
		c.RunAs = &RunAs{UID: -1, GID: -1}
		words = words[1:]
		for len(words) > 0 && strings.HasPrefix(words[0], "--") {
			w := words[0]
			c.Prefix = append(c.Prefix, w)
			words = words[1:]
			if m := setprivRE.FindStringSubmatch(w); m != nil {
				n, _ := strconv.Atoi(m[2])
				if m[1] == "reuid" {
					c.RunAs.UID = n
				} else {
					c.RunAs.GID = n
				}
			} else if w != "--clear-groups" {
				return c, fmt.Errorf("unsupported setpriv option %q", w)
			}
		}
		if c.RunAs.UID < 0 || c.RunAs.GID < 0 {
			return c, errors.New("setpriv without both --reuid and --regid")
		}
	}
	if len(words) == 0 {
		return c, errors.New("no program")
	}
	switch words[0] {
	case "tcpdmatch", "tcpdchk":
		c.Program = words[0]
	default:
		return c, fmt.Errorf("unsupported program %q", words[0])
	}
	c.Args = []string{}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; w {
		case "\x00|":
			c.Pipe = words[i+1:]
			if len(c.Pipe) == 0 {
				return c, errors.New("empty pipe")
			}
			for _, p := range c.Pipe {
				if strings.HasPrefix(p, "\x00") {
					return c, errors.New("unsupported shell syntax after pipe")
				}
			}
			return c, nil
		case "\x002>&1":
			c.StderrToStdout = true
		default:
			if strings.HasPrefix(w, "\x00") {
				return c, fmt.Errorf("unsupported shell operator %q", w[1:])
			}
			c.Args = append(c.Args, w)
		}
	}
	return c, nil
}

// shellWords splits a POSIX-shell-like line into words. Operators (";",
// "|", "2>&1") are returned prefixed with a NUL byte so they cannot be
// confused with quoted words.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	end := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			end()
		case ch == ';' || ch == '|':
			end()
			words = append(words, "\x00"+string(ch))
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`", s[i+1]) >= 0 {
					i++
				} else if s[i] == '$' || s[i] == '`' {
					return nil, errors.New("unsupported expansion in double quotes")
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case ch == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
				inWord = true
			}
		case ch == '2' && !inWord && strings.HasPrefix(s[i:], "2>&1") && (i+4 == len(s) || s[i+4] == ' ' || s[i+4] == ';'):
			words = append(words, "\x002>&1")
			i += 3
		case strings.IndexByte("<>&()$`", ch) >= 0:
			return nil, fmt.Errorf("unsupported shell character %q", ch)
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	end()
	return words, nil
}
