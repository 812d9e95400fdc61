package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"tcpwrap/internal/conffile"
	"tcpwrap/watch/alert"
	"tcpwrap/watch/ban"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

// The configuration file holds sections of three owners: this command's
// ([tcpdwatch], [input NAME], [report]), package alert's ([alert],
// [rule NAME], [action NAME]) and package ban's ([ban]). Each owner
// parses its own; this file checks that every section has an owner and
// that the parts fit together (actions named by rules exist, the ban
// action has a [ban] section, inputs do not collide).

// DefaultConfig is the configuration file read without -c.
const DefaultConfig = "/etc/tcpwrap/tcpdwatch.conf"

// DefaultStateDir is where positions, the source history and (unless
// the configuration says otherwise) the alert seen set are kept.
const DefaultStateDir = "/var/lib/tcpwrap"

// Defaults of the [tcpdwatch] and [report] keys.
const (
	DefaultCheckpoint = time.Second
	DefaultMaxHistory = 100000
	DefaultLast       = 24 * time.Hour
)

// banAction is the action name under which rules ban their offenders.
const banAction = "ban"

// Config is a whole tcpdwatch configuration file.
type Config struct {
	File string // the file it was read from

	StateDir string
	// Location is the time zone of traditional syslog time stamps and
	// of reports.
	Location *time.Location
	// Checkpoint is the longest time between two saves of the read
	// positions while lines flow.
	Checkpoint time.Duration
	// MaxHistory bounds the sources remembered for first-seen reports.
	MaxHistory int

	Inputs []Input
	// Programs are the program lists for files named on report's
	// command line: [tcpdwatch]'s when it lists daemons, else the union
	// of the inputs' lists.
	Programs parse.Config
	Report   ReportConfig
	Alert    alert.Config
	Ban      ban.Config
	HasBan   bool
}

// Input is one [input NAME] section: a file to follow or a syslog
// receiver.
type Input struct {
	Name string
	Line int

	// A file input.
	File       string
	Format     logscan.Format
	StartAtEnd bool

	// A receiver: UDP and/or TCP listening addresses.
	UDP, TCP    string
	Allow       []netip.Prefix
	MaxConns    int
	IdleTimeout time.Duration

	Parse parse.Config
}

// IsFile reports whether the input follows a file.
func (in *Input) IsFile() bool { return in.File != "" }

// ReportConfig is the [report] section.
type ReportConfig struct {
	IPv6Prefix int
	Top        int
	MaxSources int
	Last       time.Duration
}

// Paths of the state kept in StateDir.
func (c *Config) positionsFile() string { return filepath.Join(c.StateDir, "tcpdwatch-positions") }
func (c *Config) historyFile() string   { return filepath.Join(c.StateDir, "tcpdwatch-sources") }

// ipv6Prefix is the prefix length IPv6 sources are remembered and
// reported under.
func (c *Config) ipv6Prefix() int {
	if c.Report.IPv6Prefix > 0 {
		return c.Report.IPv6Prefix
	}
	return 64
}

// ownedSections are the section kinds other packages read.
func ownedSections() []string {
	return append(slices.Clone(alert.Sections), "ban")
}

// ParseConfig reads a configuration file. Every problem is reported as
// "name:line: message"; all of them are returned, sorted by line.
func ParseConfig(src []byte, name string) (*Config, error) {
	cfg := &Config{
		File:       name,
		StateDir:   DefaultStateDir,
		Location:   time.Local,
		Checkpoint: DefaultCheckpoint,
		MaxHistory: DefaultMaxHistory,
	}
	// alert.ParseConfig splits the file the same way: its structural
	// messages repeat these, and joinSorted merges them.
	secs, errs := conffile.Split(src, name)
	errf := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}

	owned := ownedSections()
	var global, rep *conffile.Section
	var defaults programLists
	for i := range secs {
		s := &secs[i]
		switch s.Kind {
		case "tcpdwatch":
			if s.Name != "" {
				errf(s.Line, "[tcpdwatch] takes no name")
			}
			if global != nil {
				errf(s.Line, "second [tcpdwatch] section (first on line %d)", global.Line)
				continue
			}
			global = s
			parseGlobal(cfg, s, &defaults, errf)
		case "report":
			if s.Name != "" {
				errf(s.Line, "[report] takes no name")
			}
			if rep != nil {
				errf(s.Line, "second [report] section (first on line %d)", rep.Line)
				continue
			}
			rep = s
			parseReport(&cfg.Report, s, errf)
		case "input":
		default:
			if !slices.Contains(owned, s.Kind) {
				errf(s.Line, "unknown section [%s] (want tcpdwatch, input, report, %s)", s.Kind, strings.Join(owned, ", "))
			}
		}
	}
	// Inputs after [tcpdwatch], whose program lists they inherit,
	// wherever it is in the file.
	inputNames := map[string]int{}
	for i := range secs {
		s := &secs[i]
		if s.Kind != "input" {
			continue
		}
		in := parseInput(s, &defaults, cfg.Location, errf)
		if prev, dup := inputNames[in.Name]; dup && in.Name != "" {
			errf(s.Line, "input %q defined twice (first on line %d)", in.Name, prev)
		}
		inputNames[in.Name] = s.Line
		cfg.Inputs = append(cfg.Inputs, in)
	}
	checkInputs(cfg.Inputs, errf)
	cfg.Programs = programsFor(cfg, &defaults)
	if len(cfg.Inputs) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s:1: no [input NAME] section: nothing to read", name))
	}

	ac, err := alert.ParseConfig(src, name)
	if err != nil {
		errs = append(errs, err)
	} else {
		cfg.Alert = ac
	}
	bc, hasBan, err := ban.ParseConfig(src, name)
	if err != nil {
		errs = append(errs, err)
	} else {
		cfg.Ban, cfg.HasBan = bc, hasBan
	}
	if err == nil && hasBan {
		for _, a := range ac.Actions {
			if a.Name == banAction {
				errf(a.Pos.Line, "[action %s]: the name %q is the [ban] section's action", banAction, banAction)
			}
		}
	}
	// Every action a rule names must exist.
	actions := map[string]bool{}
	for _, a := range ac.Actions {
		actions[a.Name] = true
	}
	for _, r := range ac.Rules {
		for _, a := range r.Actions {
			switch {
			case actions[a]:
			case a == banAction && hasBan:
			case a == banAction:
				errf(r.Pos.Line, "rule %s: action %q needs a [ban] section", r.Name, a)
			default:
				errf(r.Pos.Line, "rule %s: no [action %s]", r.Name, a)
			}
		}
	}
	if cfg.Alert.SeenFile == "" {
		cfg.Alert.SeenFile = filepath.Join(cfg.StateDir, "tcpdwatch-seen.json")
	}
	if len(errs) > 0 {
		return nil, joinSorted(errs)
	}
	return cfg, nil
}

// programLists are the parse.Config lists a section sets; nil fields
// are not set there.
type programLists struct {
	daemons, inetd, xinetd, json []string
	daemonsSet                   bool
	daemonsLine                  int
}

type errfFunc func(line int, format string, args ...any)

// once reports keys given twice in a section.
type onceChecker map[string]int

func (o onceChecker) check(e conffile.Entry, errf errfFunc) bool {
	if prev, dup := o[e.Key]; dup {
		errf(e.Line, "%s given twice (first on line %d)", e.Key, prev)
		return false
	}
	o[e.Key] = e.Line
	return true
}

func words(e conffile.Entry, errf errfFunc) []string {
	w, err := alert.SplitWords(e.Value)
	if err != nil {
		errf(e.Line, "%s: %v", e.Key, err)
		return nil
	}
	if len(w) == 0 {
		errf(e.Line, "%s: no value", e.Key)
	}
	return w
}

func absPath(e conffile.Entry, errf errfFunc) string {
	w := words(e, errf)
	if len(w) != 1 || !filepath.IsAbs(w[0]) {
		if len(w) > 0 {
			errf(e.Line, "%s: want one absolute path", e.Key)
		}
		return ""
	}
	return filepath.Clean(w[0])
}

func integer(e conffile.Entry, lo, hi int, errf errfFunc) int {
	n, err := strconv.Atoi(e.Value)
	if err != nil || n < lo || n > hi {
		errf(e.Line, "%s: want a number from %d to %d, not %q", e.Key, lo, hi, e.Value)
		return 0
	}
	return n
}

func duration(e conffile.Entry, errf errfFunc) time.Duration {
	d, err := alert.ParseDuration(e.Value)
	if err != nil {
		errf(e.Line, "%s: %v", e.Key, err)
	}
	return d
}

// programNameRE is what a syslog tag's program part may be.
var programNameRE = regexp.MustCompile(`^[A-Za-z0-9_.+/-]{1,64}$`)

// programList reads a list of program names: "none" is the empty list,
// "*" (daemons only) any program.
func programList(e conffile.Entry, star bool, errf errfFunc) (names []string, any bool) {
	w := words(e, errf)
	if len(w) == 1 && w[0] == "none" {
		return []string{}, false
	}
	if len(w) == 1 && w[0] == "*" && star {
		return nil, true
	}
	names = []string{}
	for _, n := range w {
		if !programNameRE.MatchString(n) {
			errf(e.Line, "%s: %q is not a program name", e.Key, n)
			continue
		}
		names = append(names, n)
	}
	return names, false
}

// programKey reads the program list keys shared by [tcpdwatch] and
// [input]; it reports whether e was one.
func programKey(p *programLists, e conffile.Entry, errf errfFunc) bool {
	switch e.Key {
	case "daemons":
		names, any := programList(e, true, errf)
		p.daemons, p.daemonsSet, p.daemonsLine = names, true, e.Line
		if any {
			p.daemons = nil
		}
	case "inetd":
		p.inetd, _ = programList(e, false, errf)
	case "xinetd":
		p.xinetd, _ = programList(e, false, errf)
	case "json-programs":
		p.json, _ = programList(e, false, errf)
	default:
		return false
	}
	return true
}

func parseGlobal(cfg *Config, s *conffile.Section, p *programLists, errf errfFunc) {
	once := onceChecker{}
	for _, e := range s.Entries {
		if !once.check(e, errf) {
			continue
		}
		if programKey(p, e, errf) {
			continue
		}
		switch e.Key {
		case "state-dir":
			if d := absPath(e, errf); d != "" {
				cfg.StateDir = d
			}
		case "timezone":
			loc, err := loadLocation(e.Value)
			if err != nil {
				errf(e.Line, "timezone: %v", err)
				continue
			}
			cfg.Location = loc
		case "checkpoint":
			if d := duration(e, errf); d > 0 {
				if d > time.Hour {
					errf(e.Line, "checkpoint: at most 1h")
				}
				cfg.Checkpoint = d
			} else if d == 0 {
				errf(e.Line, "checkpoint: must be positive")
			}
		case "max-history":
			cfg.MaxHistory = integer(e, 1, 10_000_000, errf)
		default:
			errf(e.Line, "unknown key %q in [tcpdwatch]", e.Key)
		}
	}
}

func loadLocation(s string) (*time.Location, error) {
	switch s {
	case "", "local", "Local":
		return time.Local, nil
	case "UTC", "utc":
		return time.UTC, nil
	}
	return time.LoadLocation(s)
}

func parseReport(r *ReportConfig, s *conffile.Section, errf errfFunc) {
	once := onceChecker{}
	for _, e := range s.Entries {
		if !once.check(e, errf) {
			continue
		}
		switch e.Key {
		case "ipv6-prefix":
			r.IPv6Prefix = integer(e, 1, 128, errf)
		case "top":
			r.Top = integer(e, 1, 1000, errf)
		case "max-sources":
			r.MaxSources = integer(e, 1, 10_000_000, errf)
		case "last":
			r.Last = duration(e, errf)
			if r.Last <= 0 || r.Last > 366*24*time.Hour {
				errf(e.Line, "last: want a duration from 1s to 366d")
			}
		default:
			errf(e.Line, "unknown key %q in [report]", e.Key)
		}
	}
}

// inputNameRE is what an input may be called.
var inputNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func parseInput(s *conffile.Section, defaults *programLists, loc *time.Location, errf errfFunc) Input {
	in := Input{Name: s.Name, Line: s.Line, StartAtEnd: true}
	if !inputNameRE.MatchString(s.Name) {
		errf(s.Line, "[input] needs a name of letters, digits, '.', '_' and '-'")
	}
	once := onceChecker{}
	var own programLists
	lines := map[string]int{}
	for _, e := range s.Entries {
		multi := e.Key == "allow"
		if !multi && !once.check(e, errf) {
			continue
		}
		lines[e.Key] = e.Line
		if programKey(&own, e, errf) {
			continue
		}
		switch e.Key {
		case "file":
			in.File = absPath(e, errf)
		case "format":
			switch e.Value {
			case "auto":
				in.Format = logscan.Auto
			case "syslog":
				in.Format = logscan.Syslog
			case "json":
				in.Format = logscan.JSONLines
			default:
				errf(e.Line, "format: want auto, syslog or json, not %q", e.Value)
			}
		case "start":
			switch e.Value {
			case "end":
				in.StartAtEnd = true
			case "beginning":
				in.StartAtEnd = false
			default:
				errf(e.Line, "start: want end or beginning, not %q", e.Value)
			}
		case "udp", "tcp":
			addr := e.Value
			if _, err := netip.ParseAddrPort(addr); err != nil {
				errf(e.Line, "%s: want ADDRESS:PORT (127.0.0.1:5514, [::1]:5514), not %q", e.Key, addr)
				continue
			}
			if e.Key == "udp" {
				in.UDP = addr
			} else {
				in.TCP = addr
			}
		case "allow":
			for _, w := range words(e, errf) {
				p, err := ban.ParsePrefix(w)
				if err != nil {
					errf(e.Line, "allow: %v", err)
					continue
				}
				in.Allow = append(in.Allow, p)
			}
		case "max-conns":
			in.MaxConns = integer(e, 1, 100000, errf)
		case "idle-timeout":
			in.IdleTimeout = duration(e, errf)
		default:
			errf(e.Line, "unknown key %q in [input]", e.Key)
		}
	}
	isRecv := in.UDP != "" || in.TCP != ""
	switch {
	case in.File != "" && isRecv:
		errf(s.Line, "input %s: both a file and a receiver address; make them two inputs", s.Name)
	case in.File == "" && !isRecv:
		if _, bad := lines["file"]; !bad {
			errf(s.Line, "input %s: no file, udp or tcp", s.Name)
		}
	}
	fileOnly := []string{"format", "start"}
	recvOnly := []string{"allow", "max-conns", "idle-timeout"}
	for _, k := range fileOnly {
		if l, ok := lines[k]; ok && isRecv {
			errf(l, "%s applies to file inputs only", k)
		}
	}
	for _, k := range recvOnly {
		if l, ok := lines[k]; ok && in.File != "" {
			errf(l, "%s applies to receiver inputs (udp, tcp) only", k)
		}
	}
	if isRecv && in.Allow == nil {
		// Anyone who can reach a receiver can send any line: by default
		// only this machine may.
		in.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}

	// Program lists: the input's own, else [tcpdwatch]'s.
	pick := func(own, def []string) []string {
		if own != nil {
			return own
		}
		return def
	}
	in.Parse = parse.Config{
		Inetd:    pick(own.inetd, defaults.inetd),
		Xinetd:   pick(own.xinetd, defaults.xinetd),
		JSON:     pick(own.json, defaults.json),
		Location: loc,
	}
	switch {
	case own.daemonsSet:
		in.Parse.Daemons = own.daemons
	case defaults.daemonsSet:
		in.Parse.Daemons = defaults.daemons
	case in.Format == logscan.JSONLines && !isRecv:
		// JSON records name no program: nothing to choose.
		in.Parse.Daemons = []string{}
	default:
		errf(s.Line, "input %s: no daemons listed: name the programs tcpd logs for (daemons = in.fingerd sshd) here or in [tcpdwatch]; daemons = * counts any program, which anyone who can log can forge", s.Name)
	}
	return in
}

// checkInputs reports inputs that read the same file or listen on the
// same address.
func checkInputs(ins []Input, errf errfFunc) {
	files := map[string]int{}
	addrs := map[string]int{}
	for _, in := range ins {
		if in.File != "" {
			if prev, dup := files[in.File]; dup {
				errf(in.Line, "input %s: %s is read by the input on line %d too", in.Name, in.File, prev)
			}
			files[in.File] = in.Line
		}
		for _, a := range []string{"udp " + in.UDP, "tcp " + in.TCP} {
			if len(a) == 4 {
				continue
			}
			if prev, dup := addrs[a]; dup {
				errf(in.Line, "input %s: %s is used by the input on line %d too", in.Name, a, prev)
			}
			addrs[a] = in.Line
		}
	}
}

// joinSorted joins errors (each possibly several joined lines) into one,
// one message per line, without repeats, ordered by line number.
func joinSorted(errs []error) error {
	var msgs []string
	seen := map[string]bool{}
	for _, err := range errs {
		for _, m := range strings.Split(err.Error(), "\n") {
			if m != "" && !seen[m] {
				seen[m] = true
				msgs = append(msgs, m)
			}
		}
	}
	sort.SliceStable(msgs, func(i, j int) bool { return lineOf(msgs[i]) < lineOf(msgs[j]) })
	out := make([]error, len(msgs))
	for i, m := range msgs {
		out[i] = errors.New(m)
	}
	return errors.Join(out...)
}

// lineOf reads N from "file:N: message" (0 when there is none).
func lineOf(m string) int {
	// The file name may hold colons; the line number is the first
	// all-digit field followed by ": ".
	for i := 0; i < len(m); i++ {
		if m[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(m) && m[j] >= '0' && m[j] <= '9' {
			j++
		}
		if j > i+1 && strings.HasPrefix(m[j:], ": ") {
			n, _ := strconv.Atoi(m[i+1 : j])
			return n
		}
	}
	return 0
}

// isLoopback reports whether a listening address is on loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Warnings lists what is valid but risky in cfg, one message a line
// with the file and line where it applies.
func (c *Config) Warnings() []string {
	var w []string
	var jsonIn, syslogIn *Input
	for i := range c.Inputs {
		in := &c.Inputs[i]
		switch {
		case in.IsFile() && in.Format == logscan.JSONLines:
			if jsonIn == nil {
				jsonIn = in
			}
		case syslogIn == nil:
			syslogIn = in
		}
	}
	if c.HasBan {
		banFor := c.Ban.Duration
		if banFor == 0 {
			banFor = ban.DefaultDuration
		}
		for _, r := range c.Alert.Rules {
			quiet := r.Quiet
			if quiet == 0 {
				quiet = c.Alert.Quiet
			}
			if quiet == 0 {
				quiet = alert.DefaultQuiet
			}
			if slices.Contains(r.Actions, banAction) && quiet >= banFor {
				w = append(w, fmt.Sprintf("%s:%d: rule %s: its incidents stay open %s after the last event, not less than a ban lasts (%s): an offender who starts again as soon as the ban ends is not banned again until the incident closes", c.File, r.Pos.Line, r.Name, quiet, banFor))
			}
		}
	}
	if jsonIn != nil && syslogIn != nil {
		w = append(w, fmt.Sprintf("%s:%d: input %s reads JSON decision records and input %s (line %d) syslog lines: if our tcpd wrote both, each decision counts twice", c.File, jsonIn.Line, jsonIn.Name, syslogIn.Name, syslogIn.Line))
	}
	for _, in := range c.Inputs {
		if in.Parse.Daemons == nil {
			w = append(w, fmt.Sprintf("%s:%d: input %s: daemons = *: any program's line in tcpd's format counts, and any local user can log one (logger -t NAME)", c.File, in.Line, in.Name))
		}
		for _, a := range []string{in.UDP, in.TCP} {
			if a != "" && !isLoopback(a) {
				w = append(w, fmt.Sprintf("%s:%d: input %s: listens on %s, not on loopback: whoever can reach it can send any line (restrict with allow = ...)", c.File, in.Line, in.Name, a))
			}
		}
	}
	return w
}

// programsFor is Config.Programs.
func programsFor(cfg *Config, defaults *programLists) parse.Config {
	pc := parse.Config{Inetd: defaults.inetd, Xinetd: defaults.xinetd, JSON: defaults.json, Location: cfg.Location}
	if defaults.daemonsSet {
		pc.Daemons = defaults.daemons
		return pc
	}
	union := []string{}
	for _, in := range cfg.Inputs {
		if in.Parse.Daemons == nil {
			pc.Daemons = nil
			return pc
		}
		for _, d := range in.Parse.Daemons {
			if !slices.Contains(union, d) {
				union = append(union, d)
			}
		}
	}
	pc.Daemons = union
	return pc
}
