package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"tcpwrap/internal/atomicfile"
	"tcpwrap/watch"
	"tcpwrap/watch/alert"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
	"tcpwrap/watch/report"
)

// reportFlags are report's command line.
type reportFlags struct {
	from, to, last string
	format, out    string
	top            int
	daemons        string
	mail           string
	files          []string
}

// cmdReport: tcpdwatch report [FLAGS] [FILE...].
func cmdReport(args []string, conf string, e *env) int {
	fs, c := subFlags("report", conf)
	var f reportFlags
	fs.StringVar(&f.from, "from", "", "start of the window")
	fs.StringVar(&f.to, "to", "", "end of the window (default now)")
	fs.StringVar(&f.last, "last", "", "window ending now (default 24h)")
	fs.StringVar(&f.format, "format", "text", "text, json or html")
	fs.StringVar(&f.out, "o", "", "write to this file instead of standard output")
	fs.IntVar(&f.top, "top", 0, "how many sources and rules to list")
	fs.StringVar(&f.daemons, "daemons", "", "program names whose tcpd lines count (* for any)")
	fs.StringVar(&f.mail, "mail", "", "mail the report with the settings of this mail action")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return usage(e, "report: %v", err)
	}
	f.files = files
	switch f.format {
	case "text", "json", "html":
	default:
		return usage(e, "report: -format: want text, json or html, not %q", f.format)
	}
	if f.top < 0 || f.top > 1000 {
		return usage(e, "report: -top: want 1 to 1000")
	}

	// The configuration: needed for the configured inputs, the history
	// and mail; optional when files are named and it is the default
	// one that does not exist.
	path, explicit := configPath(*c, e)
	cfg, err := loadConfig(path)
	if err != nil {
		var pe *os.PathError
		if !errors.As(err, &pe) || explicit || len(f.files) == 0 || f.mail != "" {
			return failLines(e, exitUsage, err)
		}
		cfg = nil
	}
	loc := time.Local
	if cfg != nil {
		loc = cfg.Location
	}
	from, to, err := window(f, cfg, e.now(), loc)
	if err != nil {
		return usage(e, "report: %v", err)
	}

	type source struct {
		path       string
		format     logscan.Format
		parse      parse.Config
		configured bool // from the configuration: may be missing
	}
	var sources []source
	if len(f.files) > 0 {
		pc := parse.Config{Location: loc}
		if cfg != nil {
			pc = cfg.Programs
		}
		if f.daemons != "" {
			ds := strings.FieldsFunc(f.daemons, func(r rune) bool { return r == ',' || r == ' ' })
			pc.Daemons = ds
			if len(ds) == 1 && ds[0] == "*" {
				pc.Daemons = nil
			}
		}
		for _, p := range f.files {
			sources = append(sources, source{p, logscan.Auto, pc, false})
		}
	} else {
		for _, in := range cfg.Inputs {
			if !in.IsFile() {
				continue
			}
			for _, p := range withRotations(in.File, from) {
				sources = append(sources, source{p, in.Format, in.Parse, true})
			}
		}
		if len(sources) == 0 {
			return fail(e, exitUsage, "report: no files: the configuration has no file inputs, and none were named")
		}
	}

	opts := report.Options{From: from, To: to, Location: loc, Top: f.top}
	if cfg != nil {
		opts.IPv6Prefix = cfg.ipv6Prefix()
		opts.MaxSources = cfg.Report.MaxSources
		if opts.Top == 0 {
			opts.Top = cfg.Report.Top
		}
		hist, err := loadHistory(cfg.historyFile(), cfg.MaxHistory, cfg.ipv6Prefix(), false)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: warning: source history not used: %v\n", progName, err)
		} else if hist.len() > 0 {
			start := from.Unix()
			opts.Known = func(p netip.Prefix) bool { return hist.knownBefore(p, start) }
		}
	}
	agg, err := report.New(opts)
	if err != nil {
		return usage(e, "%v", err)
	}

	status := exitOK
	for _, s := range sources {
		st, err := scanFile(s.path, s.format, s.parse, agg.Add)
		if s.configured && errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(e.stderr, "%s: warning: %s does not exist (yet)\n", progName, s.path)
			continue
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", progName, err)
			status = exitFailure
			continue
		}
		if bad := st.Ambiguous + st.Malformed + st.TooLong; bad > 0 {
			fmt.Fprintf(e.stderr, "%s: %s: %d line(s) of ours not read with certainty (%d ambiguous, counted without an address; %d malformed; %d too long)\n",
				progName, s.path, bad, st.Ambiguous, st.Malformed, st.TooLong)
		}
	}
	r := agg.Report()

	if f.mail != "" {
		if err := mailReport(cfg, f.mail, r, e); err != nil {
			return fail(e, exitFailure, "report: mail: %v", err)
		}
		if f.out == "" {
			return status
		}
	}
	var b bytes.Buffer
	switch f.format {
	case "text":
		err = r.WriteText(&b)
	case "json":
		err = r.WriteJSON(&b)
	case "html":
		err = r.WriteHTML(&b)
	}
	if err != nil {
		return fail(e, exitFailure, "report: %v", err)
	}
	if f.out != "" {
		if err := atomicfile.WriteFile(f.out, b.Bytes(), 0o644); err != nil {
			return fail(e, exitFailure, "report: %v", err)
		}
		return status
	}
	if _, err := e.stdout.Write(b.Bytes()); err != nil {
		return fail(e, exitFailure, "report: %v", err)
	}
	return status
}

// timeLayouts are what --from and --to take, in the report's zone unless
// they say otherwise.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

func parseWhen(s string, loc *time.Location) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a time such as 2026-11-27, \"2026-11-27 15:04\" or 2026-11-27T15:04:05Z", s)
}

// window is the report's [from, to).
func window(f reportFlags, cfg *Config, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	if f.last != "" && f.from != "" {
		return from, to, errors.New("-last and -from exclude each other")
	}
	to = now
	if f.to != "" {
		if to, err = parseWhen(f.to, loc); err != nil {
			return from, to, fmt.Errorf("-to: %v", err)
		}
	}
	switch {
	case f.from != "":
		if from, err = parseWhen(f.from, loc); err != nil {
			return from, to, fmt.Errorf("-from: %v", err)
		}
	default:
		last := DefaultLast
		if cfg != nil && cfg.Report.Last > 0 {
			last = cfg.Report.Last
		}
		if f.last != "" {
			d, err := parseDurationFlag(f.last)
			if err != nil {
				return from, to, fmt.Errorf("-last: %v", err)
			}
			last = d
		}
		from = to.Add(-last)
	}
	if !to.After(from) {
		return from, to, errors.New("the window ends before it starts")
	}
	if to.Sub(from) > report.MaxWindow {
		return from, to, fmt.Errorf("the window is longer than %s", report.MaxWindow)
	}
	return from, to, nil
}

func parseDurationFlag(s string) (time.Duration, error) {
	// The same durations as the configuration file (1h, 7d).
	d, err := alert.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration such as 24h or 7d, not %q", s)
	}
	return d, nil
}

// rotatedRE matches the names logrotate gives a file's rotations, after
// the file's own name: ".1", ".2.gz", "-20261127", "-2026112715.gz".
var rotatedRE = regexp.MustCompile(`^(\.[0-9]{1,4}|-[0-9]{8,10})(\.gz)?$`)

// withRotations is path and its rotations, oldest first, leaving out
// those last written before from (they hold nothing for the window).
func withRotations(path string, from time.Time) []string {
	dir, base := filepath.Dir(path), filepath.Base(path)
	ents, _ := os.ReadDir(dir)
	type f struct {
		path  string
		mtime time.Time
	}
	var rot []f
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base)
		if !ok || !rotatedRE.MatchString(rest) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.ModTime().Before(from) {
			continue
		}
		rot = append(rot, f{filepath.Join(dir, e.Name()), fi.ModTime()})
	}
	slices.SortStableFunc(rot, func(a, b f) int { return a.mtime.Compare(b.mtime) })
	out := make([]string, 0, len(rot)+1)
	for _, r := range rot {
		out = append(out, r.path)
	}
	return append(out, path)
}

// scanFile scans one file (gzip-compressed when its name ends in .gz),
// inferring the year of traditional time stamps from its modification
// time.
func scanFile(path string, format logscan.Format, pc parse.Config, fn func(watch.Event)) (logscan.Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return logscan.Stats{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return logscan.Stats{}, err
	}
	if fi.IsDir() {
		return logscan.Stats{}, fmt.Errorf("%s: is a directory", path)
	}
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return logscan.Stats{}, fmt.Errorf("%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	st, err := logscan.Scan(r, logscan.Options{Parse: pc, Format: format, Reference: fi.ModTime()}, fn)
	if err != nil {
		return st, fmt.Errorf("%s: %v", path, err)
	}
	return st, nil
}
