package access

import (
	"errors"
	"io/fs"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Rule is one access rule of a table.
type Rule struct {
	File string // the table's name as used in messages
	Text string // the logical line without its newline
	// Options is the option text after the second ':', including the
	// line's newline; HasOptions tells an absent option field from an
	// empty one.
	Options    string
	Line       int // the last physical line of the rule, as tcp_wrappers counts
	pos        int32
	HasOptions bool

	// lists holds the compiled daemon and client lists; a table loaded
	// from a snapshot compiles them when a decision first reaches the rule.
	lists atomic.Pointer[ruleLists]
}

// ruleLists are a rule's compiled lists.
type ruleLists struct {
	daemons list[daemonPattern]
	clients list[clientPattern]
}

// compiled returns the compiled lists of a rule, compiling them now if
// Parse left that for later. (Parse leaves only rules that need no file
// system to compile; rules of a snapshot table are compiled through their
// table, see Table.lists.)
func (r *Rule) compiled() *ruleLists {
	if l := r.lists.Load(); l != nil {
		return l
	}
	c := &compiler{exactSlabs: true}
	r.lists.CompareAndSwap(nil, c.ruleLists(r.Text))
	return r.lists.Load()
}

// Daemons returns the daemon list's words as written.
func (r *Rule) Daemons() []string {
	d, _, _ := splitAt(r.Text, ':')
	return tokens(d)
}

// Clients returns the client list's words as written.
func (r *Rule) Clients() []string {
	_, rest, _ := splitAt(r.Text, ':')
	c, _, _ := splitAt(rest, ':')
	return tokens(c)
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
	Name string
	// Rules are the rules in order, for a table compiled from source. A
	// table loaded from a snapshot leaves Rules nil and makes a rule only
	// when it is needed; NumRules, AllRules and Items work for both.
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
	lazy  *lazyCompiler // a snapshot table's compiler
	keys  *indexKeys    // while the table is read
	snap  *snapshot     // a table loaded from a snapshot: its data
}

// NumRules returns the number of rules.
func (t *Table) NumRules() int {
	if t.snap != nil {
		return t.snap.n
	}
	return len(t.Rules)
}

// rule returns the rule at pos; nil when the table is a snapshot that is
// damaged there.
func (t *Table) rule(pos int32) *Rule {
	if t.snap != nil {
		return t.snap.rule(pos)
	}
	return t.Rules[pos]
}

// AllRules returns every rule in order: Rules for a table compiled from
// source; for a table loaded from a snapshot, every rule made now (for a
// checker or an explanation, not for a decision, which makes only the
// rules it reaches). A snapshot found damaged gives the rules of its
// fallback table, or nil when it has none.
func (t *Table) AllRules() []*Rule {
	s := t.snap
	if s == nil {
		return t.Rules
	}
	rules := make([]*Rule, s.n)
	for i := range rules {
		if rules[i] = s.rule(int32(i)); rules[i] == nil {
			break
		}
	}
	if s.damaged.Load() {
		if fb, ok := s.replacement(); ok && fb != nil {
			return fb.AllRules()
		}
		return nil
	}
	return rules
}

// lazyCompiler compiles the rules of a snapshot table on first use.
type lazyCompiler struct {
	mu sync.Mutex
	c  *compiler
}

// lists returns a rule's compiled lists, compiling them if needed.
func (t *Table) lists(r *Rule) *ruleLists {
	if l := r.lists.Load(); l != nil {
		return l
	}
	if t.lazy == nil {
		return r.compiled()
	}
	t.lazy.mu.Lock()
	defer t.lazy.mu.Unlock()
	if l := r.lists.Load(); l != nil {
		return l
	}
	l := t.lazy.c.ruleLists(r.Text)
	r.lists.Store(l)
	return l
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

// Item is one line of a table as a checker sees it: a rule, or a warning
// about a line that is not one.
type Item struct {
	Rule    *Rule  // nil for a warning
	Line    int    // the line tcp_wrappers gives it
	Warning string // for a warning: the text without file and line
}

// Items returns the rules and the line warnings in file order; a
// truncated last line comes last.
func (t *Table) Items() []Item {
	var items []Item
	ev := 0
	rules := t.AllRules()
	if t.snap != nil && t.snap.damaged.Load() {
		if fb, ok := t.snap.replacement(); ok && fb != nil {
			return fb.Items()
		}
	}
	for _, r := range rules {
		for ev < len(t.events) && t.events[ev].pos <= int(r.pos) {
			items = append(items, Item{Line: t.events[ev].line, Warning: t.events[ev].text})
			ev++
		}
		items = append(items, Item{Rule: r, Line: r.Line})
	}
	for ; ev < len(t.events); ev++ {
		items = append(items, Item{Line: t.events[ev].line, Warning: t.events[ev].text})
	}
	if t.trunc != nil {
		items = append(items, Item{Line: t.trunc.line, Warning: t.trunc.text})
	}
	return items
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
	// Checker reads the table as tcpdchk does: an unterminated or
	// over-long line is reported and reading goes on (the rest of an
	// over-long line is read as a line of its own), instead of ending the
	// table with an error.
	Checker bool
	// Zones tells whether an IPv6 scope ("%eth0") names an interface. A
	// bracketed pattern whose scope does not never matches, as in Debian's
	// tcp_wrappers, where the address then fails to parse. Nil accepts
	// every scope that glibc would try (an interface name is tried only
	// on link-local addresses, see zoneOK, whatever Zones says).
	Zones func(zone string) bool
}

// Parse compiles the text of one table. It never fails: every problem
// tcp_wrappers would report is kept in the table and reported, with file
// and line, when a scan reaches it, exactly as tcp_wrappers would.
func Parse(src []byte, name string, opts ParseOptions) *Table {
	// One string for the whole file: rule texts and pattern words are
	// substrings of it, not allocations of their own.
	text := string(src)
	var t *Table
	if i := splitPoint(text); i > 0 {
		t = parseHalves(text, i, name, opts)
	} else {
		t = parseLines(text, 0, name, opts)
	}
	slices.Sort(t.files)
	t.files = slices.Compact(t.files)
	t.index = buildIndex(len(t.Rules), t.keys)
	t.keys = nil
	return t
}

// parallelMin is the size from which Parse compiles the two halves of a
// table at the same time.
const parallelMin = 256 << 10

// splitPoint returns where a large table can be cut in two so that each
// half reads exactly as it does as part of the whole: just after a newline
// that ends a logical line (no backslash before it), in a file without NUL
// bytes (a NUL swallows its line's newline and changes the line count).
// It returns 0 when the table is not to be cut.
func splitPoint(s string) int {
	if len(s) < parallelMin || runtime.GOMAXPROCS(0) < 2 || strings.IndexByte(s, 0) >= 0 {
		return 0
	}
	for i := len(s) / 2; i < len(s)-1; {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j
		if i > 0 && s[i-1] != '\\' {
			return i + 1
		}
		i++
	}
	return 0
}

// parseHalves compiles s[:cut] and s[cut:] at the same time and joins
// them.
func parseHalves(s string, cut int, name string, opts ParseOptions) *Table {
	var second *Table
	done := make(chan struct{})
	go func() {
		second = parseLines(s[cut:], strings.Count(s[:cut], "\n"), name, opts)
		close(done)
	}()
	t := parseLines(s[:cut], 0, name, opts)
	<-done
	if t.trunc != nil {
		return t // reading stops there: the second half is never read
	}
	off := len(t.Rules)
	for _, r := range second.Rules {
		r.pos += int32(off)
	}
	t.Rules = append(t.Rules, second.Rules...)
	for _, e := range second.events {
		e.pos += off
		t.events = append(t.events, e)
	}
	if second.trunc != nil {
		tr := *second.trunc
		tr.pos += off
		t.trunc = &tr
	}
	t.files = append(t.files, second.files...)
	second.keys.shift(int32(off))
	t.keys.appendKeys(second.keys)
	return t
}

// parseLines compiles the lines of s; line numbers start after firstLine.
func parseLines(s string, firstLine int, name string, opts ParseOptions) *Table {
	t := &Table{Name: name, keys: &indexKeys{}}
	c := &compiler{fsys: opts.Files, zones: opts.Zones}
	r := &lineReader{src: s, line: firstLine}
	// Rules whose client list is indexable on its own words are compiled
	// when a decision first reaches them (most never are: they are only
	// found through the index); the checker needs every rule compiled.
	lazy := !opts.Checker
	var k keys
	// Size the slabs for the whole table at once.
	lines := maxRules(r.src)
	slab := make([]Rule, lines)
	var listSlab []ruleLists // for the rules compiled now, as they come
	t.keys.exact = make([]keyAt[string], 0, lines)
	t.Rules = make([]*Rule, 0, lines)
	for {
		l, ok := r.next(lineBufSize)
		if !ok {
			break
		}
		if !l.terminated {
			if opts.Checker {
				t.events = append(t.events, event{pos: len(t.Rules), line: l.line, text: msgMissingNewline})
				continue
			}
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
		rule := &slab[0]
		slab = slab[1:]
		pos := int32(len(t.Rules))
		rule.File, rule.Line, rule.Text = name, l.line, text[:len(text)-1]
		rule.Options, rule.HasOptions, rule.pos = opt, hasOpt, pos
		t.Rules = append(t.Rules, rule)
		daemons := c.daemonList(dl)
		if lazy && sideEffectFree(&daemons) && c.clientKeys(cl, &k) {
			t.keys.add(&k, true, pos)
			continue
		}
		if len(listSlab) == 0 {
			listSlab = make([]ruleLists, min(256, lines))
		}
		ls := &listSlab[0]
		listSlab = listSlab[1:]
		ls.daemons, ls.clients = daemons, c.clientList(cl)
		rule.lists.Store(ls)
		t.keys.ruleKeys(ls, pos, &k)
	}
	for p := range c.files {
		t.files = append(t.files, p)
	}
	return t
}

// maxRules bounds the number of rules in a table: the lines that are
// neither comments nor empty.
func maxRules(src string) int {
	n := 1
	for len(src) > 0 {
		i := strings.IndexByte(src, '\n')
		if i < 0 {
			i = len(src) - 1
		}
		if i > 0 && src[0] != '#' {
			n++
		}
		src = src[i+1:]
	}
	return n
}

// ErrorTable returns a table that could not be opened: scanning it logs
// text (for example "cannot open /etc/hosts.deny: Permission denied") and
// counts as an error.
func ErrorTable(name, text string) *Table {
	t := &Table{Name: name, OpenErr: text}
	t.index = buildIndex(0, &indexKeys{})
	return t
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// isDirError reports a read of a directory, which tcp_wrappers' fopen
// allows and which then yields nothing.
func isDirError(err error) bool { return strings.HasSuffix(err.Error(), "is a directory") }

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
