package logscan

import (
	"bytes"
	"errors"
	"io"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan/parse"
)

// Format is the kind of lines an input holds.
type Format uint8

const (
	// Auto decides by the input's first line that is not empty: a line
	// starting with '{' makes a JSON-lines file, anything else a syslog
	// file. The whole input is then read as that one kind, so that a
	// line can never change what the next ones are taken for.
	Auto Format = iota
	// Syslog: lines as a syslog daemon writes them (parse.Parser.Line).
	Syslog
	// JSONLines: one JSON decision record per line
	// (parse.Parser.Record), as the audit trail's JSON file holds them.
	JSONLines
)

func (f Format) String() string {
	switch f {
	case Auto:
		return "auto"
	case Syslog:
		return "syslog"
	case JSONLines:
		return "json"
	}
	return "format?"
}

// DefaultMaxLine is the longest line read when Options.MaxLine is 0.
// rsyslog's default maximum message size is 8 KiB; tcpd's lines are
// well under 1 KiB.
const DefaultMaxLine = 64 << 10

// readSize is the size of the reads and the minimum buffer.
const readSize = 256 << 10

// Options configure Scan and Follow. The zero value reads syslog or
// JSON-lines input (decided by the first line) with the default program
// lists of parse.Config, lines up to DefaultMaxLine, and infers the year
// of traditional time stamps from the current time.
type Options struct {
	Parse  parse.Config
	Format Format
	// Reference is the time the year of traditional time stamps is
	// inferred from (zero: now; see parse.Parser.SetReference). Scan
	// uses it for the whole input; Follow always uses the time each
	// line is read.
	Reference time.Time
	// MaxLine is the longest line read, in bytes (0: DefaultMaxLine).
	// Longer lines are skipped whole and counted in Stats.TooLong;
	// memory use does not grow with them.
	MaxLine int
	// OnSkip, if not nil, is told about every line that is Ambiguous,
	// Malformed or too long (a line from one of our programs that could
	// not be read with certainty: damaged, or forged).
	OnSkip func(Skip)
}

// Skip describes a line that was not (or not fully) read.
type Skip struct {
	Path   string       // Follow's file; "" for Scan
	Line   int64        // 1-based line number in the input read (0 when unknown)
	Offset int64        // byte offset of the line's start
	Status parse.Status // Ambiguous or Malformed; NotOurs for TooLong
	// TooLong is set for a line longer than MaxLine.
	TooLong bool
	// Text is the start of the line (at most 200 bytes), as read: hostile
	// input, to be escaped before it is shown.
	Text string
}

// Stats count what an input held.
type Stats struct {
	Bytes     int64 // bytes read
	Lines     int64 // complete lines, including those too long
	Events    int64 // lines that made an Event (OK and Ambiguous)
	Ambiguous int64 // of which the client could not be read with certainty (no address)
	Malformed int64 // lines of ours that did not follow the grammar (no Event)
	TooLong   int64 // lines longer than MaxLine, skipped
}

// Add adds the counts of o to s.
func (s *Stats) Add(o Stats) {
	s.Bytes += o.Bytes
	s.Lines += o.Lines
	s.Events += o.Events
	s.Ambiguous += o.Ambiguous
	s.Malformed += o.Malformed
	s.TooLong += o.TooLong
}

// Scan reads r to its end and calls fn for every Event of its lines, in
// order. Memory use is bounded by MaxLine whatever the input: a
// fixed-size buffer is reused and lines are parsed in place. A final
// line without a newline is read too. The error is nil at the end of
// the input, otherwise the read error.
func Scan(r io.Reader, opts Options, fn func(watch.Event)) (Stats, error) {
	ref := opts.Reference
	if ref.IsZero() {
		ref = time.Now()
	}
	ls := newLineSet(opts, "")
	ls.parser.SetReference(ref)
	sp := newSplitter(opts.MaxLine)
	for {
		n, err := sp.fill(r)
		ls.stats.Bytes += int64(n)
		sp.lines(func(line []byte, off int64) { ls.line(line, off, fn) }, ls.tooLong)
		if err != nil {
			if errors.Is(err, io.EOF) {
				if rest, off, ok := sp.rest(); ok {
					ls.line(rest, off, fn)
				} else if sp.skipping && sp.skipFrom >= 0 {
					ls.tooLong(sp.skipHead, sp.skipFrom)
				}
				return ls.stats, nil
			}
			return ls.stats, err
		}
	}
}

// lineSet parses the lines of one input.
type lineSet struct {
	parser *parse.Parser
	format Format
	path   string
	onSkip func(Skip)
	stats  Stats
	lineNo int64 // lines seen; 0 when counting started mid-file
	counts bool  // lineNo is meaningful
}

func newLineSet(opts Options, path string) *lineSet {
	return &lineSet{parser: parse.New(opts.Parse), format: opts.Format, path: path, onSkip: opts.OnSkip, counts: true}
}

// line handles one complete line (without its newline) that started at
// byte offset off.
func (ls *lineSet) line(line []byte, off int64, fn func(watch.Event)) {
	ls.stats.Lines++
	ls.lineNo++
	if ls.format == Auto {
		t := bytes.TrimLeft(line, " \t\r")
		if len(t) == 0 {
			return
		}
		ls.format = Syslog
		if t[0] == '{' {
			ls.format = JSONLines
		}
	}
	var ev watch.Event
	var st parse.Status
	if ls.format == JSONLines {
		ev, st = ls.parser.Record(line)
	} else {
		ev, st = ls.parser.Line(line)
	}
	switch st {
	case parse.OK:
		ls.stats.Events++
		fn(ev)
	case parse.Ambiguous:
		ls.stats.Events++
		ls.stats.Ambiguous++
		ls.skip(line, off, st, false)
		fn(ev)
	case parse.Malformed:
		ls.stats.Malformed++
		ls.skip(line, off, st, false)
	}
}

// tooLong counts a line longer than the limit; head is its start.
func (ls *lineSet) tooLong(head []byte, off int64) {
	ls.stats.Lines++
	ls.lineNo++
	ls.stats.TooLong++
	ls.skip(head, off, parse.NotOurs, true)
}

func (ls *lineSet) skip(line []byte, off int64, st parse.Status, tooLong bool) {
	if ls.onSkip == nil {
		return
	}
	if len(line) > 200 {
		line = line[:200]
	}
	s := Skip{Path: ls.path, Offset: off, Status: st, TooLong: tooLong, Text: string(line)}
	if ls.counts {
		s.Line = ls.lineNo
	}
	ls.onSkip(s)
}

// splitter cuts a byte stream into lines with a fixed buffer. It tracks
// byte offsets: off is the input offset of buf[r], and a line's offset
// is where it starts. A line longer than max is skipped whole: its
// bytes are dropped as they come and never parsed, and the next line
// starts after its newline (never in its middle, where a forger's text
// could pass for a line of its own).
type splitter struct {
	buf      []byte
	r, w     int
	max      int
	off      int64 // input offset of buf[r]
	skipping bool  // inside a line longer than max
	skipFrom int64 // its start
	skipHead []byte
	// done is the offset after the last complete line (or skipped
	// line): where reading may resume without starting mid-line.
	done int64
}

func newSplitter(max int) *splitter {
	if max <= 0 {
		max = DefaultMaxLine
	}
	size := readSize
	if 2*max > size {
		size = 2 * max
	}
	return &splitter{buf: make([]byte, size), max: max}
}

// reset starts over at input offset off (a line boundary).
func (s *splitter) reset(off int64) {
	s.r, s.w, s.off, s.done, s.skipping = 0, 0, off, off, false
}

// resetSkipping starts at offset off, which may be mid-line: everything
// up to the next newline is dropped, uncounted.
func (s *splitter) resetSkipping(off int64) {
	s.reset(off)
	s.skipping, s.skipFrom, s.skipHead = true, -1, s.skipHead[:0]
}

// fill reads once into the free part of the buffer.
func (s *splitter) fill(r io.Reader) (int, error) {
	if s.r > 0 && (s.w == len(s.buf) || s.r > len(s.buf)/2) {
		copy(s.buf, s.buf[s.r:s.w])
		s.w -= s.r
		s.r = 0
	}
	n, err := r.Read(s.buf[s.w:])
	if n < 0 {
		n = 0
	}
	s.w += n
	return n, err
}

// lines calls fn for each complete line buffered, and tooLong for each
// line longer than max (with its first bytes) once its end is seen.
func (s *splitter) lines(fn func(line []byte, off int64), tooLong func(head []byte, off int64)) {
	for s.r < s.w {
		data := s.buf[s.r:s.w]
		nl := bytes.IndexByte(data, '\n')
		if s.skipping {
			if nl < 0 {
				s.keepHead(data)
				s.off += int64(len(data))
				s.r = s.w
				return
			}
			s.keepHead(data[:nl])
			s.r += nl + 1
			s.off += int64(nl + 1)
			s.done = s.off
			s.skipping = false
			if s.skipFrom >= 0 {
				tooLong(s.skipHead, s.skipFrom)
			}
			continue
		}
		if nl < 0 {
			if len(data) > s.max {
				s.skipping, s.skipFrom = true, s.off
				s.skipHead = append(s.skipHead[:0], data[:min(len(data), 200)]...)
				s.off += int64(len(data))
				s.r = s.w
			}
			return
		}
		line := data[:nl]
		if len(line) > s.max {
			tooLong(line[:min(len(line), 200)], s.off)
		} else {
			fn(line, s.off)
		}
		s.r += nl + 1
		s.off += int64(nl + 1)
		s.done = s.off
	}
}

func (s *splitter) keepHead(b []byte) {
	if s.skipFrom >= 0 && len(s.skipHead) < 200 {
		s.skipHead = append(s.skipHead, b[:min(len(b), 200-len(s.skipHead))]...)
	}
}

// rest returns the incomplete final line at the end of the input, if
// any (not when it is being skipped as too long).
func (s *splitter) rest() ([]byte, int64, bool) {
	if s.skipping || s.r == s.w {
		return nil, 0, false
	}
	line, off := s.buf[s.r:s.w], s.off
	s.off += int64(len(line))
	s.r = s.w
	s.done = s.off
	return line, off, true
}
