package access

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule is one access rule of a table.
type Rule struct {
	File string // the table's name as used in messages
	Line int    // the last physical line of the rule, as tcp_wrappers counts
	Text string // the logical line without its newline

	// Daemons and Clients are the list words as written.
	Daemons, Clients []string
	// Options is the option text after the second ':', including the
	// line's newline; HasOptions tells an absent option field from an
	// empty one.
	Options    string
	HasOptions bool

	pos     int
	daemons list[daemonPattern]
	clients list[clientPattern]
}

// event is something that happens when a scan passes over a line that is
// not a rule: a "missing ':' separator" warning.
type event struct {
	pos  int // the number of rules before it
	line int
	text string
}

// Table is a compiled hosts.allow or hosts.deny file. A Table is immutable
// once built and is safe for concurrent use.
type Table struct {
	Name  string
	Rules []*Rule

	// OpenErr, when not empty, is the warning that opening the file gave
	// ("cannot open FILE: ..."); the table then counts as an error.
	OpenErr string

	events []event
	// trunc is the unterminated or over-long line that ends the table,
	// if any: the scan stops there with an error.
	trunc *event

	files []string // /file patterns consulted
	index *index
}

// Files returns the paths of every /file pattern the table consulted, so
// that a loader can watch them.
func (t *Table) Files() []string { return t.files }

// Warnings returns the diagnostics a full scan of the table would give
// that do not depend on a request: missing separators and an unterminated
// or over-long line, with file and line.
func (t *Table) Warnings() []string {
	var w []string
	if t.OpenErr != "" {
		w = append(w, "warning: "+t.OpenErr)
	}
	for _, e := range t.events {
		w = append(w, "warning: "+t.Name+", line "+strconv.Itoa(e.line)+": "+e.text)
	}
	if t.trunc != nil {
		w = append(w, "warning: "+t.Name+", line "+strconv.Itoa(t.trunc.line)+": "+t.trunc.text,
			"warning: "+t.Name+", line "+strconv.Itoa(t.trunc.line)+": all the subsequent rules will be ignored")
	}
	return w
}

// Truncated reports whether the table ends in an unterminated or over-long
// line, and the line number tcp_wrappers gives it.
func (t *Table) Truncated() (line int, ok bool) {
	if t.trunc == nil {
		return 0, false
	}
	return t.trunc.line, true
}

const (
	msgMissingNewline = "missing newline or line too long"
	msgMissingColon   = `missing ":" separator`
)

// ParseOptions are settings for Parse. The zero value reads no /file
// patterns (they match nothing).
type ParseOptions struct {
	// Files is where "/path" client patterns are read from. Nil: /file
	// patterns match nothing.
	Files FileSystem
}

// Parse compiles the text of one table. It never fails: every problem
// tcp_wrappers would report is kept in the table and reported, with file
// and line, when a scan reaches it, exactly as tcp_wrappers would.
func Parse(src []byte, name string, opts ParseOptions) *Table {
	t := &Table{Name: name}
	c := &compiler{fsys: opts.Files}
	r := &lineReader{src: src}
	for {
		l, ok := r.next(lineBufSize)
		if !ok {
			break
		}
		if !l.terminated {
			t.trunc = &event{pos: len(t.Rules), line: l.line, text: msgMissingNewline}
			break
		}
		text := l.text
		if text[0] == '#' || isBlank(text) {
			continue
		}
		dl, rest, ok := splitAt(text, ':')
		if !ok {
			t.events = append(t.events, event{pos: len(t.Rules), line: l.line, text: msgMissingColon})
			continue
		}
		cl, opt, hasOpt := splitAt(rest, ':')
		rule := &Rule{
			File:       name,
			Line:       l.line,
			Text:       strings.TrimSuffix(text, "\n"),
			Options:    opt,
			HasOptions: hasOpt,
			pos:        len(t.Rules),
			daemons:    compileList(dl, c.daemon),
			clients:    compileList(cl, c.client),
		}
		rule.Daemons = rule.daemons.words
		rule.Clients = rule.clients.words
		t.Rules = append(t.Rules, rule)
	}
	for p := range c.files {
		t.files = append(t.files, p)
	}
	t.index = buildIndex(t)
	return t
}

// ErrorTable returns a table that could not be opened: scanning it logs
// text (for example "cannot open /etc/hosts.deny: Permission denied") and
// counts as an error.
func ErrorTable(name, text string) *Table {
	t := &Table{Name: name, OpenErr: text}
	t.index = buildIndex(t)
	return t
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Strerror renders an error the way the C library's strerror would: the
// innermost error's text with its first letter in upper case (Go's errno
// texts are the C library's, lower-cased).
func Strerror(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	s := err.Error()
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
