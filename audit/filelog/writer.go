package filelog

import (
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"tcpwrap/audit"
)

// Route sends the messages its selector matches to the file at Path, in
// Format. Path should be absolute; a relative path is taken from the
// working directory at the time of the first write.
type Route struct {
	Selector Selector
	Path     string
	Format   Format
}

// Table is an ordered list of routes. As in syslog.conf, a message goes to
// every route whose selector matches it, not only to the first.
type Table []Route

// checkEvery is how often a Writer looks whether a log file was rotated:
// 0, before every record (see Open for why).
const checkEvery = 0

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("filelog: writer closed")

// Writer writes messages to the files of a Table. It is safe for
// concurrent use; records written by other processes to the same files at
// the same time never interleave with its own (see Open).
//
// A Writer never writes to standard error: every failure is returned.
type Writer struct {
	mu       sync.Mutex
	routes   []route
	files    []*appendFile
	hostname string
	done     []bool // per route, during one Write
	buf      []byte
	closed   bool
	now      func() time.Time
}

type route struct {
	sel    Selector
	format Format
	file   int // index in Writer.files
	first  int // the first route with the same file and format
}

// Open returns a Writer for the table. It opens no file: each file is
// opened (and created, mode 0640 before the umask, with its missing
// parent directories, mode 0750) when the first message for it comes,
// and errors are returned by Write.
//
// Each record is written with a single write(2) on a descriptor opened
// with O_APPEND|O_CREAT. On a local file system the kernel then makes
// every write(2) atomic with respect to the file offset and to other
// writers, whatever its length (the PIPE_BUF limit is for pipes), so
// records from concurrent processes never interleave. This does not hold
// on NFS.
//
// Before each record the Writer stats the file's path, and reopens it
// when it names another file than the open one (logrotate's "create"
// mode renamed the old file and made a new one) or none (it was
// removed). (rsyslogd instead waits for logrotate's SIGHUP; a library
// in every tcpd process has no such signal.) Checking before every
// record, rather than once a second, means that a record goes to a file
// logrotate has already moved only if the move falls in the microseconds
// between the stat and the write, which matters when the moved file is
// compressed at once (no "delaycompress"): a record appended after gzip
// read the end would be lost. The price, measured on the development VM
// (BenchmarkWrite): a Write of a tcpd line costs 4.0 µs with the check
// and 1.3 µs with a check once a second; the stat(2) itself is 1.2 µs
// there. A process such as tcpd that writes one record or two opens the
// file for the first and never pays it. If logrotate's "create" finds
// the file already made again by a Writer, it moves it aside as
// NAME-YYYYMMDDHH.backup: nothing is lost either way.
//
// In "copytruncate" mode the file stays and is emptied; O_APPEND makes
// the next record start at the new end, without a hole. (Records written
// between logrotate's copy and its truncation are lost: that is
// copytruncate's own race, which no writer can close.)
//
// Two routes with the same path and format write a message that both
// match once, not twice (syslogd would write it twice).
func Open(table Table) *Writer {
	return openWriter(table, checkEvery)
}

func openWriter(table Table, checkEvery time.Duration) *Writer {
	w := &Writer{hostname: localHostname(), now: time.Now}
	byPath := map[string]int{}
	for i, r := range table {
		fi, ok := byPath[r.Path]
		if !ok {
			fi = len(w.files)
			byPath[r.Path] = fi
			w.files = append(w.files, newAppendFile(r.Path, checkEvery))
		}
		first := i
		for j := range i {
			if w.routes[j].file == fi && w.routes[j].format == r.Format {
				first = j
				break
			}
		}
		w.routes = append(w.routes, route{sel: r.Selector, format: r.Format, file: fi, first: first})
	}
	w.done = make([]bool, len(w.routes))
	return w
}

// localHostname is the host name as rsyslogd writes it by default: cut
// at the first dot. "localhost" if the system has none.
func localHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// Write writes m to the file of every route whose selector matches its
// priority. A failure on one file does not keep m from the others; the
// errors of all files are returned together (errors.Join), each naming
// its file. A message no route matches is not an error.
func (w *Writer) Write(m *audit.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	var (
		errs []error
		now  time.Time
		got  bool
	)
	for i, r := range w.routes {
		w.done[i] = false
		if !r.sel.Match(m.Priority) {
			continue
		}
		w.done[i] = true
		if r.first != i && w.done[r.first] {
			continue
		}
		f := w.files[r.file]
		if !got && f.checkEvery != 0 {
			now, got = w.now(), true
		}
		w.buf = r.format.AppendLine(w.buf[:0], m, w.hostname)
		if err := f.write(w.buf, now); err != nil {
			errs = append(errs, err)
		}
	}
	if cap(w.buf) > 64<<10 {
		w.buf = nil // do not keep one huge record's buffer
	}
	return errors.Join(errs...)
}

// Close closes the files. Write fails with ErrClosed afterwards.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	for _, f := range w.files {
		if err := f.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
