package inetcf

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
)

const (
	// DefaultConf is the inetd.conf read when no file is named.
	DefaultConf = "/etc/inetd.conf"
	// DefaultDaemonDir is Debian's REAL_DAEMON_DIR, where tcpd looks for
	// daemons named without a leading slash.
	DefaultDaemonDir = "/usr/sbin"
)

// OpenError is returned by [Scan] when an explicitly named inetd.conf
// cannot be opened. Its text is what Debian's checkers print on stderr
// before exiting with status 1: "open <file>: <strerror>".
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string { return "open " + e.Path + ": " + strerror(e.Err) }

// Unwrap returns the underlying error.
func (e *OpenError) Unwrap() error { return e.Err }

// Scan performs the checkers' start-up analysis and returns the table of
// process names with the warnings, in the order Debian logs them. It is
// [CheckDaemonDir] followed by [ScanConf], which is what tcpdchk does;
// tcpdmatch logs its "daemon name normalized" warning between the two
// (and so should call them separately).
//
// conf names the file to read; "" means [DefaultConf] if it can be opened
// (any failure to open it, not only its absence, silently leaves the
// table empty, named "(null)"). An explicit conf that cannot be opened
// yields a nil table, the warnings logged so far and an [*OpenError];
// an explicit conf that opens but cannot be read (a directory) is an
// empty file. realDaemonDir is REAL_DAEMON_DIR; "" means
// [DefaultDaemonDir]. A nil fsys means [OS].
//
// In emission order Scan:
//
//  1. checks realDaemonDir ([CheckDaemonDir]);
//  2. opens conf; for the default file only, logs the world-writable
//     warnings for it and its parents (an explicit file is not checked);
//  3. analyses each entry, every warning carrying the context
//     "<conf>, line <n>: ".
//
// The file is read in logical lines: backslash-newline joins physical
// lines (a comment ending in a backslash swallows the next line), a line
// longer than 8191 bytes is cut there and its rest read as the next line,
// a NUL byte hides the rest of its physical line and joins the next one,
// an unterminated last line counts, and "line <n>" is the number of
// newlines read so far (so 0 before the first one).
//
// Entries are read as whitespace-separated fields (blank, tab, CR): an
// optional service name (absent when the first field is "stream" or
// "dgram"), socket type, protocol, wait flag, user (absent when it starts
// with "/"), server path, then argv. Lines whose first field starts with
// "#", and lines that end before the server path, are skipped silently.
// One leading "?" is removed from the path; a path of "internal" skips the
// line; a path made only of digits and "-" (an RPC version; the empty
// string counts) is followed by the real path. A missing argv[0] draws
// "incomplete line", and an argv[0] made only of digits (an argument
// count) is followed by the real argv[0]. Keywords ("stream", "internal",
// "tcpd", "rpc/tcp", ...) compare ASCII case-insensitively.
//
// Each entry's server path is stat'ed (world-writable warnings, then
// "<path>: not found: <strerror>", or "<path>: not executable" when the
// owner-execute bit is clear). Then, with name being argv[0] reduced to
// its last component if it starts with "/":
//
//   - a path whose last component is miscd registers argv[0] itself as
//     Wrapped and nothing else is checked;
//   - a name of rexd or rpc.rexd draws "<name> may be an insecure
//     service";
//   - a path whose last component is tcpd: "<name> is recursively calling
//     itself" if name is tcpd; "<path>: file is set-uid or set-gid" (from
//     the last successful entry stat when the path itself could not be
//     stat'ed, as in Debian); "<path> inserted before <argv0>" if argv[0]
//     is absolute and its last component equals that of argv[1] (an
//     absent argv[1] counts as ""); the daemon is stat'ed at argv[0]
//     if absolute ("<argv0>: not found: <strerror>") or at
//     "<dir>/<argv0>" ("<argv0>: not found in <dir>: <strerror>"), with
//     "not executable" as for the path; name is registered Wrapped; and
//     "<name>: cannot wrap rpc/tcp services" follows for protocol rpc/tcp;
//   - any other path registers name as NotWrapped if the path equals
//     "<dir>/<argv0>", else stats "<dir>/<argv0>": MaybeWrapped if it
//     exists, NotWrapped on ENOENT, and "<dir>/<argv0>: file lookup:
//     <strerror>" (leaving it MaybeWrapped) on any other error.
func Scan(fsys FS, conf, realDaemonDir string) (*Table, []string, error) {
	warnings := CheckDaemonDir(fsys, realDaemonDir)
	tab, more, err := ScanConf(fsys, conf, realDaemonDir)
	return tab, append(warnings, more...), err
}

// CheckDaemonDir returns the checkers' warnings about REAL_DAEMON_DIR
// (dir; "" means [DefaultDaemonDir]): the world-writable warnings for it
// and its parents, then "warning: REAL_DAEMON_DIR <dir>: <strerror>" if
// it cannot be stat'ed, or "warning: REAL_DAEMON_DIR <dir> is not a
// directory". A nil fsys means [OS].
func CheckDaemonDir(fsys FS, dir string) []string {
	s := newScanner(fsys, dir)
	if fi, err := s.checkPath(s.dir); err != nil {
		s.warn("REAL_DAEMON_DIR %s: %s", s.dir, strerror(err))
	} else if !fi.IsDir() {
		s.warn("REAL_DAEMON_DIR %s is not a directory", s.dir)
	}
	return s.warnings
}

// ScanConf is [Scan] without the [CheckDaemonDir] step: it opens and
// analyses inetd.conf only.
func ScanConf(fsys FS, conf, realDaemonDir string) (*Table, []string, error) {
	s := newScanner(fsys, realDaemonDir)
	var rc io.ReadCloser
	var err error
	if conf != "" {
		if rc, err = s.fsys.Open(conf); err != nil {
			return nil, s.warnings, &OpenError{Path: conf, Err: err}
		}
	} else {
		if rc, err = s.fsys.Open(DefaultConf); err != nil {
			return s.table, s.warnings, nil
		}
		conf = DefaultConf
		s.checkPath(conf)
	}
	defer rc.Close()

	s.table.name = conf
	s.conf = conf
	lr := newLineReader(rc)
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		s.lineno = lr.lineno
		s.entry(line)
	}
	return s.table, s.warnings, nil
}

func newScanner(fsys FS, dir string) *scanner {
	if fsys == nil {
		fsys = OS{}
	}
	if dir == "" {
		dir = DefaultDaemonDir
	}
	return &scanner{fsys: fsys, dir: dir, table: &Table{}}
}

type scanner struct {
	fsys     FS
	dir      string
	table    *Table
	conf     string // set while inside inetd.conf: warnings get context
	lineno   int
	warnings []string

	// lastMode is the mode from the most recent successful stat of an
	// entry's server path, tcpd's daemon or a <dir>/<argv0> lookup. The
	// set-uid test reads it even when the server path itself could not
	// be stat'ed, as Debian's does (it reuses one stat buffer); it
	// starts out zero.
	lastMode fs.FileMode
}

func (s *scanner) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s.conf != "" {
		msg = fmt.Sprintf("%s, line %d: %s", s.conf, s.lineno, msg)
	}
	s.warnings = append(s.warnings, "warning: "+msg)
}

// checkPath stats path and logs the world-writable warnings for it and
// its parents. Nothing is logged if the stat fails.
func (s *scanner) checkPath(path string) (fs.FileInfo, error) {
	fi, err := s.fsys.Stat(path)
	if err != nil {
		return nil, err
	}
	for _, p := range worldWritable(s.fsys, path, fi) {
		s.warn("%s: world writable", p)
	}
	return fi, nil
}

// statEntry is checkPath for the stats that share the entry stat
// buffer: it records the mode of a successful stat in lastMode.
func (s *scanner) statEntry(path string) (fs.FileInfo, error) {
	fi, err := s.checkPath(path)
	if err == nil {
		s.lastMode = fi.Mode()
	}
	return fi, err
}

// checkProgram stats a program: "<notFound>: <strerror>" if that fails,
// "<path>: not executable" if its owner-execute bit is clear.
func (s *scanner) checkProgram(path, notFound string) {
	fi, err := s.statEntry(path)
	if err != nil {
		s.warn("%s: %s", notFound, strerror(err))
		return
	}
	if fi.Mode()&0o100 == 0 {
		s.warn("%s: not executable", path)
	}
}

func (s *scanner) entry(line string) {
	f := fields(line)
	if len(f) == 0 || f[0][0] == '#' {
		return
	}
	i := 0
	next := func() (string, bool) {
		if i < len(f) {
			i++
			return f[i-1], true
		}
		return "", false
	}
	first, _ := next()
	if !equalFoldASCII(first, "stream") && !equalFoldASCII(first, "dgram") {
		if _, ok := next(); !ok { // socket type after the service name
			return
		}
	}
	proto, ok := next()
	if !ok {
		return
	}
	if _, ok = next(); !ok { // wait flag
		return
	}
	path, ok := next() // user, unless it is already the path
	if !ok {
		return
	}
	if path[0] != '/' {
		if path, ok = next(); !ok {
			return
		}
	}
	path = strings.TrimPrefix(path, "?")
	if equalFoldASCII(path, "internal") {
		return
	}
	if onlyBytes(path, "-0123456789") { // RPC version
		if path, ok = next(); !ok {
			return
		}
	}
	arg0, ok := next()
	if ok && onlyBytes(arg0, "0123456789") { // argument count
		arg0, ok = next()
	}
	if !ok {
		s.warn("incomplete line")
		return
	}
	arg1, _ := next() // "" when absent

	s.checkProgram(path, path+": not found")

	base := lastComponent(path)
	if equalFoldASCII(base, "miscd") {
		s.table.Register(arg0, Wrapped)
		return
	}
	name := arg0
	if arg0[0] == '/' {
		name = lastComponent(arg0)
	}
	if equalFoldASCII(name, "rexd") || equalFoldASCII(name, "rpc.rexd") {
		s.warn("%s may be an insecure service", name)
	}

	full := s.dir + "/" + arg0
	if !equalFoldASCII(base, "tcpd") {
		switch {
		case equalFoldASCII(path, full):
			s.table.Register(name, NotWrapped)
		default:
			if _, err := s.statEntry(full); err == nil {
				s.table.Register(name, MaybeWrapped)
			} else if isNotExist(err) {
				s.table.Register(name, NotWrapped)
			} else {
				s.warn("%s: file lookup: %s", full, strerror(err))
				s.table.Register(name, MaybeWrapped)
			}
		}
		return
	}

	if equalFoldASCII(name, "tcpd") {
		s.warn("%s is recursively calling itself", name)
	}
	if s.lastMode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
		s.warn("%s: file is set-uid or set-gid", path)
	}
	if arg0[0] == '/' {
		if equalFoldASCII(name, lastComponent(arg1)) {
			s.warn("%s inserted before %s", path, arg0)
		}
		s.checkProgram(arg0, arg0+": not found")
	} else {
		s.checkProgram(full, arg0+": not found in "+s.dir)
	}
	s.table.Register(name, Wrapped)
	if equalFoldASCII(proto, "rpc/tcp") {
		s.warn("%s: cannot wrap rpc/tcp services", name)
	}
}

// onlyBytes reports whether every byte of s is in set (true for "").
func onlyBytes(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// lastComponent returns what follows the last slash of s, or s.
func lastComponent(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}
