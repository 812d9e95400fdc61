package logconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"tcpwrap/audit/filelog"
	"tcpwrap/internal/rawfile"
)

// Error is one mistake in a configuration file.
type Error struct {
	File string
	Line int
	Msg  string // quotes the offending token
}

func (e *Error) Error() string { return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg }

// Limits of the reader.
const (
	maxLine   = 64 << 10 // bytes in one line
	maxErrors = 20       // errors reported before giving up
)

// Load reads the configuration file at path. An empty path means
// DefaultPath, and then a missing file means Default(); a path that is
// given must exist.
func Load(path string) (*Config, error) {
	if path == "" {
		return load(DefaultPath, false)
	}
	return load(path, true)
}

func load(path string, explicit bool) (*Config, error) {
	// Read without an *os.File: tcpd reads this once per connection,
	// and the first os.File of a process sets up the network poller.
	data, err := rawfile.ReadFile(path)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Op == "read" {
		// Opened but unreadable (a directory): an error at its line 1,
		// as the parser reports a read error.
		return nil, &Error{File: path, Line: 1, Msg: "read: " + err.Error()}
	}
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return Default(), nil
		}
		return nil, err
	}
	return Parse(bytes.NewReader(data), path)
}

// Parse reads a configuration file; name is the file name for errors.
// Settings that the file does not give keep their Default values.
//
// On error the Config is nil and the error lists every mistake found
// (up to 20), one per line, each an *Error, "FILE:LINE: message" with
// the bad token quoted; errors.As finds the first.
func Parse(r io.Reader, name string) (*Config, error) {
	p := &parser{name: name, cfg: Default(), first: map[string]int{}, remotes: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		p.line++
		p.parseLine(sc.Text())
		if len(p.errs) >= maxErrors {
			p.errorf("too many errors, stopping")
			break
		}
	}
	if err := sc.Err(); err != nil && len(p.errs) < maxErrors {
		p.line++ // the line that could not be read
		if errors.Is(err, bufio.ErrTooLong) {
			p.errorf("line too long (more than %d bytes)", maxLine)
		} else {
			p.errorf("read: %v", err)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.cfg, nil
}

type parser struct {
	name    string
	line    int
	cfg     *Config
	first   map[string]int // single-valued keyword: the line that gave it
	remotes map[string]int // "network addr": the line that gave it
	errs    []error
}

func (p *parser) errorf(format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.name, Line: p.line, Msg: fmt.Sprintf(format, args...)})
}

// fields splits a line at blanks and tabs (and the CR of a CRLF file),
// up to a field that starts with '#'.
func fields(line string) []string {
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' })
	for i, w := range f {
		if strings.HasPrefix(w, "#") {
			return f[:i]
		}
	}
	return f
}

func (p *parser) parseLine(line string) {
	f := fields(line)
	if len(f) == 0 {
		return
	}
	kw, args := f[0], f[1:]
	switch kw {
	case "syslog", "json", "syslog-structured", "spool", "queue":
		if l, dup := p.first[kw]; dup {
			p.errorf("%q given twice (first on line %d)", kw, l)
			return
		}
		p.first[kw] = p.line
	}
	switch kw {
	case "syslog":
		v, ok := p.oneOf(kw, args, "auto, on or off", "auto", "on", "off")
		if ok {
			p.cfg.SyslogMode = map[string]SyslogMode{"auto": SyslogAuto, "on": SyslogOn, "off": SyslogOff}[v]
		}
	case "syslog-structured":
		v, ok := p.oneOf(kw, args, "on or off", "on", "off")
		if ok {
			p.cfg.Structured = v == "on"
		}
	case "json":
		p.json(args)
	case "remote":
		p.remote(args)
	case "spool":
		p.spool(args)
	case "queue":
		p.queue(args)
	case "route":
		p.route(args)
	default:
		p.errorf("unknown keyword %q", kw)
	}
}

// oneOf reads the single argument of kw, one of the words.
func (p *parser) oneOf(kw string, args []string, want string, words ...string) (string, bool) {
	if len(args) == 0 {
		p.errorf("%s: missing value (%s)", kw, want)
		return "", false
	}
	if !p.noMore(kw, args[1:]) {
		return "", false
	}
	for _, w := range words {
		if args[0] == w {
			return w, true
		}
	}
	p.errorf("%s: unknown value %q (want %s)", kw, args[0], want)
	return "", false
}

// noMore reports an unexpected argument.
func (p *parser) noMore(kw string, rest []string) bool {
	if len(rest) > 0 {
		p.errorf("%s: unexpected %q", kw, rest[0])
		return false
	}
	return true
}

func (p *parser) json(args []string) {
	if len(args) == 0 {
		p.errorf("json: missing path (or off)")
		return
	}
	if !p.noMore("json", args[1:]) {
		return
	}
	if args[0] == "off" {
		p.cfg.JSONPath = ""
		return
	}
	if err := checkPath(args[0]); err != nil {
		p.errorf("json: %v", err)
		return
	}
	p.cfg.JSONPath = args[0]
}

// options reads name=value arguments into the named fields, reporting
// words without "=", unknown names, empty values and repeated names. It
// returns the names given, or nil after an error.
func (p *parser) options(kw string, args []string, want string, known map[string]*string) map[string]bool {
	ok := true
	seen := map[string]bool{}
	for _, a := range args {
		name, value, isOpt := strings.Cut(a, "=")
		dst, isKnown := known[name]
		switch {
		case !isOpt:
			p.errorf("%s: unexpected %q (options are %s)", kw, a, want)
		case !isKnown:
			p.errorf("%s: unknown option %q (want %s)", kw, a, want)
		case seen[name]:
			p.errorf("%s: option %q given twice", kw, name)
		case value == "":
			p.errorf("%s: option %q has no value", kw, name)
		default:
			seen[name] = true
			*dst = value
			continue
		}
		ok = false
	}
	if !ok {
		return nil
	}
	return seen
}

func (p *parser) remote(args []string) {
	if len(args) == 0 {
		p.errorf("remote: missing network (udp, tcp or tls)")
		return
	}
	var r Remote
	switch r.Network = args[0]; r.Network {
	case "udp", "tcp", "tls":
	default:
		p.errorf("remote: unknown network %q (want udp, tcp or tls)", r.Network)
		return
	}
	if len(args) == 1 {
		p.errorf("remote: missing address (host:port) after %q", r.Network)
		return
	}
	addr, err := checkAddr(args[1])
	if err != nil {
		p.errorf("remote: address %q: %v", args[1], err)
		return
	}
	r.Addr = addr
	opts := args[2:]
	if r.Network != "tls" {
		if len(opts) > 0 {
			if name, _, isOpt := strings.Cut(opts[0], "="); isOpt {
				p.errorf("remote: option %q is only for tls", name)
			} else {
				p.errorf("remote: unexpected %q", opts[0])
			}
			return
		}
	} else {
		if p.options("remote", opts, "ca=, cert= and key=", map[string]*string{"ca": &r.CA, "cert": &r.Cert, "key": &r.Key}) == nil {
			return
		}
		for _, o := range []struct{ name, value string }{{"ca", r.CA}, {"cert", r.Cert}, {"key", r.Key}} {
			if o.value == "" {
				continue
			}
			if err := checkPath(o.value); err != nil {
				p.errorf("remote: %s: %v", o.name, err)
				return
			}
		}
		if (r.Cert == "") != (r.Key == "") {
			if r.Cert == "" {
				p.errorf("remote: key= needs cert=")
			} else {
				p.errorf("remote: cert= needs key=")
			}
			return
		}
	}
	id := r.Network + " " + r.Addr
	if l, dup := p.remotes[id]; dup {
		p.errorf("remote: %s given twice (first on line %d)", id, l)
		return
	}
	p.remotes[id] = p.line
	p.cfg.Remotes = append(p.cfg.Remotes, r)
}

func (p *parser) spool(args []string) {
	if len(args) == 0 {
		p.errorf("spool: missing directory")
		return
	}
	if err := checkPath(args[0]); err != nil {
		p.errorf("spool: %v", err)
		return
	}
	max := ""
	given := p.options("spool", args[1:], "max=", map[string]*string{"max": &max})
	if given == nil {
		return
	}
	if given["max"] {
		n, err := parseSize(max)
		if err != nil {
			p.errorf("spool: max: %v", err)
			return
		}
		p.cfg.SpoolMax = n
	}
	p.cfg.SpoolDir = args[0]
}

func (p *parser) queue(args []string) {
	if len(args) == 0 {
		p.errorf("queue: missing size")
		return
	}
	if !p.noMore("queue", args[1:]) {
		return
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > MaxQueueSize || strings.Trim(args[0], "0123456789") != "" {
		p.errorf("queue: bad size %q (want a whole number from 1 to %d)", args[0], MaxQueueSize)
		return
	}
	p.cfg.QueueSize = n
}

func (p *parser) route(args []string) {
	switch len(args) {
	case 0:
		p.errorf("route: missing selector and path")
		return
	case 1:
		p.errorf("route: missing path after %q", args[0])
		return
	}
	sel, err := filelog.ParseSelector(args[0])
	if err != nil {
		p.errorf("route: %v", err)
		return
	}
	if err := checkPath(args[1]); err != nil {
		p.errorf("route: %v", err)
		return
	}
	format := "text"
	if p.options("route", args[2:], "format=", map[string]*string{"format": &format}) == nil {
		return
	}
	f, err := filelog.ParseFormat(format)
	if err != nil {
		p.errorf("route: format: %v", err)
		return
	}
	p.cfg.Routes = append(p.cfg.Routes, filelog.Route{Selector: sel, Path: args[1], Format: f})
}
