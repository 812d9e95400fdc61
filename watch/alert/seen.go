package alert

import (
	"bytes"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"tcpwrap/internal/atomicfile"
)

// DamagedError reports a state file that could not be read back. The
// file has been renamed to Aside (kept for inspection, never deleted) and
// the engine goes on without its content.
type DamagedError struct {
	Path  string
	Aside string // "" when it could not be moved either
	Err   error
}

func (e *DamagedError) Error() string {
	if e.Aside == "" {
		return fmt.Sprintf("%s: damaged: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s: damaged, kept as %s: %v", e.Path, e.Aside, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// seenSet remembers which sources were granted which service, per
// NewSource rule, bounded: the least recently seen entry goes first.
type seenSet struct {
	path    string
	max     int
	created time.Time
	lru     *list.List // of *seenEntry, most recent at the front
	index   map[string]*list.Element
	dirty   bool
}

type seenEntry struct {
	Rule    string `json:"r"`
	Service string `json:"s"`
	Source  string `json:"a"`
	Last    int64  `json:"t"` // unix seconds (event time)
}

func (e *seenEntry) key() string { return e.Rule + "\x00" + e.Service + "\x00" + e.Source }

type seenFile struct {
	Version int          `json:"version"`
	Created time.Time    `json:"created"`
	Entries []*seenEntry `json:"entries"`
}

const seenVersion = 1

func newSeen(path string, max int, now time.Time) *seenSet {
	return &seenSet{path: path, max: max, created: now, lru: list.New(), index: map[string]*list.Element{}}
}

func (s *seenSet) len() int { return s.lru.Len() }

// touch records that rule saw service granted to source at t, and reports
// whether it had been seen before.
func (s *seenSet) touch(rule, service, source string, t time.Time) bool {
	e := &seenEntry{Rule: rule, Service: seenKey(service), Source: seenKey(source), Last: t.Unix()}
	k := e.key()
	if el, ok := s.index[k]; ok {
		old := el.Value.(*seenEntry)
		if e.Last > old.Last {
			old.Last = e.Last
			s.dirty = true
		}
		s.lru.MoveToFront(el)
		return true
	}
	for s.lru.Len() >= s.max {
		last := s.lru.Back()
		delete(s.index, last.Value.(*seenEntry).key())
		s.lru.Remove(last)
	}
	s.index[k] = s.lru.PushFront(e)
	s.dirty = true
	return false
}

// parseSeen reads a seen file. It rejects anything it does not fully
// understand rather than guess.
func parseSeen(data []byte, path string, max int) (*seenSet, error) {
	var f seenFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	if f.Version != seenVersion {
		return nil, fmt.Errorf("version %d, want %d", f.Version, seenVersion)
	}
	if f.Created.IsZero() {
		return nil, errors.New("no creation time")
	}
	s := newSeen(path, max, f.Created)
	// Oldest first, so that the newest end up at the front.
	slices.SortStableFunc(f.Entries, func(a, b *seenEntry) int {
		switch {
		case a == nil || b == nil:
			return 0
		case a.Last < b.Last:
			return -1
		case a.Last > b.Last:
			return 1
		}
		return 0
	})
	for i, e := range f.Entries {
		if e == nil || !seenField(e.Rule) || !seenField(e.Service) || !seenField(e.Source) {
			return nil, fmt.Errorf("entry %d: bad or missing field", i+1)
		}
		s.touch(e.Rule, e.Service, e.Source, time.Unix(e.Last, 0))
	}
	s.dirty = false
	return s, nil
}

// seenKey makes a string from a log fit to be kept in the seen file and
// read back as the same key: valid UTF-8, no NUL, at most 256 bytes.
func seenKey(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 256 {
		s = strings.ToValidUTF8(s[:256], "")
	}
	if s == "" {
		return "?"
	}
	return strings.ReplaceAll(s, "\x00", "?")
}

func seenField(s string) bool {
	return s != "" && len(s) <= 1024 && !strings.ContainsRune(s, 0)
}

// loadSeen reads the seen file at path; a missing file is a new, empty
// set created now. A damaged one is moved aside (DamagedError).
func loadSeen(path string, max int, now time.Time) (*seenSet, error) {
	if path == "" {
		return newSeen("", max, now), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return newSeen(path, max, now), nil
	}
	if err != nil {
		return nil, err
	}
	s, perr := parseSeen(data, path, max)
	if perr == nil {
		return s, nil
	}
	aside, err := atomicfile.MoveAside(path, now)
	return newSeen(path, max, now), &DamagedError{Path: path, Aside: aside, Err: errors.Join(perr, err)}
}

func (s *seenSet) marshal() ([]byte, error) {
	f := seenFile{Version: seenVersion, Created: s.created.UTC()}
	for el := s.lru.Back(); el != nil; el = el.Prev() {
		f.Entries = append(f.Entries, el.Value.(*seenEntry))
	}
	return json.Marshal(&f)
}

func (s *seenSet) save() error {
	if s.path == "" {
		s.dirty = false
		return nil
	}
	data, err := s.marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.path, append(data, '\n'), 0o600); err != nil {
		return err
	}
	s.dirty = false
	return nil
}
