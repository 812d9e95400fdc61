package report

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"tcpwrap/watch"
)

// MaxWindow is the longest window New accepts: a year and a day of
// hourly buckets.
const MaxWindow = 366 * 24 * time.Hour

// Defaults for the zero values of Options.
const (
	DefaultIPv6Prefix  = 64
	DefaultTop         = 10
	DefaultMaxSources  = 10000
	DefaultMaxServices = 256
	DefaultMaxRules    = 1024
)

// Bounds on the strings an Aggregator keeps, in bytes.
const (
	maxServiceLen = 128
	maxNameLen    = 255
	maxRuleLen    = 256
)

// Options configure an Aggregator. Only From and To are required.
type Options struct {
	// From and To are the window, [From, To). To must be after From and
	// at most MaxWindow later.
	From, To time.Time

	// IPv6Prefix is the prefix length IPv6 sources are counted under,
	// 1 to 128; zero means DefaultIPv6Prefix (a /64, what one customer
	// or one attacker usually gets).
	IPv6Prefix int

	// Top is how many sources, new sources and rules a Report lists;
	// zero means DefaultTop. Services are all listed.
	Top int

	// MaxSources bounds the refused sources and the new sources tracked;
	// zero means DefaultMaxSources. See the package documentation.
	MaxSources int

	// MaxServices and MaxRules bound the distinct services and rules
	// counted exactly; zero means DefaultMaxServices and DefaultMaxRules.
	MaxServices int
	MaxRules    int

	// Known reports whether a source was seen before the window: an IPv4
	// address as a /32, an IPv6 address as its IPv6Prefix. It is called
	// for every event from an address source not yet listed as new, so it
	// should be fast. Nil means an empty history: every source is new.
	// Clients logged only by name are never listed as new.
	Known func(netip.Prefix) bool

	// Location is the time zone of the Report's times; nil means UTC.
	// Hours are counted in absolute time, so in a zone whose offset is
	// not a whole number of hours they do not start at :00.
	Location *time.Location
}

// An Aggregator counts Events; see the package documentation.
type Aggregator struct {
	opt   Options
	start time.Time // From rounded down to the hour

	events, granted, refused, outside int64

	hours    []Counts
	services capped
	rules    capped
	noRule   int64

	top spaceSaving

	newSrc       map[srcKey]*NewSource
	newUntracked int64
}

// New returns an Aggregator for the window and options o, or an error
// naming the option that is out of range.
func New(o Options) (*Aggregator, error) {
	if o.From.IsZero() || o.To.IsZero() {
		return nil, errors.New("report: the window needs both From and To")
	}
	if !o.To.After(o.From) {
		return nil, fmt.Errorf("report: window end %s is not after its start %s", o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
	}
	if o.To.Sub(o.From) > MaxWindow {
		return nil, fmt.Errorf("report: window of %s is longer than %s", o.To.Sub(o.From), MaxWindow)
	}
	if o.IPv6Prefix == 0 {
		o.IPv6Prefix = DefaultIPv6Prefix
	}
	if o.IPv6Prefix < 1 || o.IPv6Prefix > 128 {
		return nil, fmt.Errorf("report: IPv6Prefix %d is not between 1 and 128", o.IPv6Prefix)
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{
		{"Top", &o.Top, DefaultTop},
		{"MaxSources", &o.MaxSources, DefaultMaxSources},
		{"MaxServices", &o.MaxServices, DefaultMaxServices},
		{"MaxRules", &o.MaxRules, DefaultMaxRules},
	} {
		if *f.v < 0 {
			return nil, fmt.Errorf("report: %s is negative (%d)", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	a := &Aggregator{opt: o, start: o.From.Truncate(time.Hour)}
	n := int((o.To.Sub(a.start) + time.Hour - 1) / time.Hour)
	a.hours = make([]Counts, n)
	a.services = capped{m: make(map[string]*Counts), max: o.MaxServices}
	a.rules = capped{m: make(map[string]*Counts), max: o.MaxRules}
	a.top = spaceSaving{idx: make(map[srcKey]*srcEntry), max: o.MaxSources}
	a.newSrc = make(map[srcKey]*NewSource)
	return a, nil
}

// Add counts one event.
func (a *Aggregator) Add(e watch.Event) {
	if e.Time.Before(a.opt.From) || !e.Time.Before(a.opt.To) {
		a.outside++
		return
	}
	a.events++
	switch e.Verdict {
	case watch.Granted:
		a.granted++
	case watch.Refused:
		a.refused++
	}
	a.hours[int(e.Time.Sub(a.start)/time.Hour)].add(e.Verdict)

	a.services.add(clip(e.Daemon, maxServiceLen), e.Verdict)
	if e.Rule == "" {
		a.noRule++
	} else {
		a.rules.add(clip(e.Rule, maxRuleLen), e.Verdict)
	}

	k, ok := a.key(e)
	if !ok {
		return
	}
	if e.Verdict == watch.Refused {
		a.top.add(k, e)
	}
	if k.prefix.IsValid() {
		a.addNew(k, e)
	}
}

// addNew counts e for the first-seen list when its source is new.
func (a *Aggregator) addNew(k srcKey, e watch.Event) {
	if n := a.newSrc[k]; n != nil {
		n.add(e.Verdict)
		return
	}
	if a.opt.Known != nil && a.opt.Known(k.prefix) {
		return
	}
	if len(a.newSrc) >= a.opt.MaxSources {
		a.newUntracked++
		return
	}
	n := &NewSource{
		Prefix:  k.prefix,
		Name:    strings.Clone(clip(e.Name, maxNameLen)),
		First:   e.Time,
		Service: strings.Clone(clip(e.Daemon, maxServiceLen)),
	}
	n.add(e.Verdict)
	a.newSrc[k.clone()] = n
}

// srcKey identifies a source: an address or prefix, or, for a client
// logged only by name, the lower-cased name.
type srcKey struct {
	prefix netip.Prefix
	name   string
}

// clone returns k with its name copied, for keeping.
func (k srcKey) clone() srcKey {
	k.name = strings.Clone(k.name)
	return k
}

// key returns e's source, false when it has neither address nor name.
func (a *Aggregator) key(e watch.Event) (srcKey, bool) {
	if e.Addr.IsValid() {
		ip := e.Addr.Unmap().WithZone("")
		bits := 32
		if ip.Is6() {
			bits = a.opt.IPv6Prefix
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			return srcKey{}, false
		}
		return srcKey{prefix: p}, true
	}
	if e.Name == "" {
		return srcKey{}, false
	}
	return srcKey{name: strings.ToLower(clip(e.Name, maxNameLen))}, true
}

// show returns how a source is displayed: an address for a full-length
// prefix, the prefix otherwise, the name for a name-only source.
func (k srcKey) show() string {
	if !k.prefix.IsValid() {
		return k.name
	}
	if k.prefix.IsSingleIP() {
		return k.prefix.Addr().String()
	}
	return k.prefix.String()
}

func (c *Counts) add(v watch.Verdict) {
	c.Attempts++
	switch v {
	case watch.Granted:
		c.Granted++
	case watch.Refused:
		c.Refused++
	}
}

// capped counts events per key exactly for up to max keys, and the events
// of further keys in others.
type capped struct {
	m      map[string]*Counts
	max    int
	others Counts
}

func (c *capped) add(k string, v watch.Verdict) {
	n := c.m[k]
	if n == nil {
		if len(c.m) >= c.max {
			c.others.add(v)
			return
		}
		n = new(Counts)
		c.m[strings.Clone(k)] = n
	}
	n.add(v)
}

// sorted returns the keys and counts, most attempts first, then by key.
func (c *capped) sorted() ([]string, []Counts) {
	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y string) int {
		if d := cmp.Compare(c.m[y].Attempts, c.m[x].Attempts); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	counts := make([]Counts, len(keys))
	for i, k := range keys {
		counts[i] = *c.m[k]
	}
	return keys, counts
}

func (c *capped) other() *Counts {
	if c.others.Attempts == 0 {
		return nil
	}
	o := c.others
	return &o
}

// clip returns s cut to at most n bytes, on a rune boundary when s is
// valid UTF-8 there. It does not copy: whatever keeps the result clones it
// first, since s may be a slice of a large line buffer that must not be
// kept alive.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > n-utf8.UTFMax && cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Report returns a snapshot of the counts so far. The Aggregator can go
// on counting afterwards.
func (a *Aggregator) Report() *Report {
	loc := a.opt.Location
	r := &Report{
		Version:    FormatVersion,
		From:       a.opt.From.In(loc),
		To:         a.opt.To.In(loc),
		Location:   loc,
		IPv6Prefix: a.opt.IPv6Prefix,
		Events:     a.events,
		Granted:    a.granted,
		Refused:    a.refused,
		Outside:    a.outside,
		NoRule:     a.noRule,
	}

	keys, counts := a.services.sorted()
	r.Services = make([]ServiceStat, len(keys))
	for i := range keys {
		r.Services[i] = ServiceStat{Service: keys[i], Counts: counts[i]}
	}
	r.OtherServices = a.services.other()

	keys, counts = a.rules.sorted()
	keys, counts = keys[:min(len(keys), a.opt.Top)], counts[:min(len(keys), a.opt.Top)]
	r.Rules = make([]RuleStat, len(keys))
	for i := range keys {
		r.Rules[i] = RuleStat{Rule: keys[i], Counts: counts[i]}
	}
	r.OtherRules = a.rules.other()

	r.Sources, r.SourcesExact = a.top.top(a.opt.Top, loc)

	r.NewSources = make([]NewSource, 0, len(a.newSrc))
	for k, n := range a.newSrc {
		s := *n
		s.Source = k.show()
		s.First = s.First.In(loc)
		r.NewSources = append(r.NewSources, s)
	}
	slices.SortFunc(r.NewSources, func(x, y NewSource) int {
		if d := x.First.Compare(y.First); d != 0 {
			return d
		}
		return x.Prefix.Compare(y.Prefix)
	})
	r.NewSourcesTotal = len(r.NewSources)
	r.NewSources = slices.Clip(r.NewSources[:min(len(r.NewSources), a.opt.Top)])
	r.NewSourceEventsUntracked = a.newUntracked

	r.Timeline = make([]Hour, len(a.hours))
	for i, c := range a.hours {
		r.Timeline[i] = Hour{Start: a.start.Add(time.Duration(i) * time.Hour).In(loc), Counts: c}
	}
	return r
}
