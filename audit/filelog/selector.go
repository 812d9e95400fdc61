package filelog

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"tcpwrap/audit"
)

// nFacilities is the number of syslog facilities (kern = 0 to local7 = 23).
const nFacilities = 24

// A Selector is the selector field of a syslog.conf line, compiled: for
// each facility, the set of severities it lets through.
//
// The zero Selector matches nothing. Selectors are comparable; two
// selectors are == exactly when they match the same priorities.
type Selector struct {
	mask [nFacilities]uint8 // bit s set: severity s passes
}

// Match reports whether the selector lets a message of priority p through.
// A priority outside syslog's range (a facility that is not 0 to 23
// shifted left by 3, or a severity that is not 0 to 7) never matches.
func (s Selector) Match(p audit.Priority) bool {
	f, v := int(p.Facility), int(p.Severity)
	if f < 0 || f&7 != 0 || f>>3 >= nFacilities || v < 0 || v > 7 {
		return false
	}
	return s.mask[f>>3]&(1<<v) != 0
}

// Level names as rsyslog reads them, with its deprecated aliases.
var levelByName = map[string]audit.Severity{
	"emerg": audit.Emerg, "panic": audit.Emerg,
	"alert": audit.Alert,
	"crit":  audit.Crit,
	"err":   audit.Err, "error": audit.Err,
	"warning": audit.Warning, "warn": audit.Warning,
	"notice": audit.Notice,
	"info":   audit.Info,
	"debug":  audit.Debug,
}

// facilityByName maps the facility names of syslog.conf to the index of
// the facility (its value shifted right by 3).
var facilityByName = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "security": 4,
	"syslog": 5, "lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10,
	"ftp": 11, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// facilityNames are the canonical names, by index; "" for 12 to 15, which
// have no name on Linux and are reached only through "*".
var facilityNames = [nFacilities]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "", "", "", "",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var levelNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// levelOp is the level part of one selector, as it changes the severity
// set of each facility it names.
type levelOp struct {
	kind   byte // 'n': none, '*': all, '=': exactly sev, '>': sev and higher
	sev    audit.Severity
	negate bool // '!': remove instead of add
}

// apply returns the severity set m changed by the operation. These are
// sysklogd's and rsyslogd's rules: "none" empties the set and "!none"
// fills it; "*" fills it and "!*" empties it; "=sev" adds one severity and
// "!=sev" removes it; "sev" adds sev and every higher severity (lower
// number) and "!sev" removes them.
func (o levelOp) apply(m uint8) uint8 {
	switch o.kind {
	case 'n':
		if o.negate {
			return 0xff
		}
		return 0
	case '*':
		if o.negate {
			return 0
		}
		return 0xff
	case '=':
		if o.negate {
			return m &^ (1 << o.sev)
		}
		return m | 1<<o.sev
	default:
		upTo := uint8(1<<(o.sev+1) - 1) // emerg through sev
		if o.negate {
			return m &^ upTo
		}
		return m | upTo
	}
}

// ParseSelector parses the selector field of a syslog.conf line, with the
// meaning rsyslogd and Linux sysklogd give it:
//
//   - "facility.level" selects level and every higher severity of facility:
//     "mail.info" is info, notice, warning, err, crit, alert and emerg.
//   - Several facilities share a level with ",": "mail,news.info".
//   - Several selectors are joined with ";" and apply left to right, each
//     changing only the facilities it names, so a later one can take back
//     what an earlier one gave: "*.info;mail.none;authpriv.none".
//   - "*" is every facility, or every level; "none" is no level.
//   - "=level" is that level alone; "!level" removes level and every higher
//     severity, "!=level" removes level alone ("!" comes before "=").
//
// Facility names are kern, user, mail, daemon, auth (also security),
// syslog, lpr, news, uucp, cron, authpriv, ftp and local0 to local7. Level
// names are emerg (also panic), alert, crit, err (also error), warning
// (also warn), notice, info and debug. Names are case-insensitive.
//
// Unlike rsyslogd, ParseSelector rejects numbers in place of names, the
// internal facility "mark", empty parts (as in "*.info;"), a level on a
// facility in a list ("mail.info,news.crit", which rsyslogd reads as two
// selectors) and "=" before "*" or "none". The error quotes the selector
// and the bad token.
func ParseSelector(s string) (Selector, error) {
	var sel Selector
	if s == "" {
		return sel, errors.New("empty selector")
	}
	for part := range strings.SplitSeq(s, ";") {
		if err := sel.parsePart(part); err != nil {
			return Selector{}, fmt.Errorf("selector %q: %w", s, err)
		}
	}
	return sel, nil
}

// parsePart applies one "facilities.level" part to sel.
func (sel *Selector) parsePart(part string) error {
	if part == "" {
		return errors.New(`empty part between ";"`)
	}
	facs, level, ok := strings.Cut(part, ".")
	if !ok {
		return fmt.Errorf(`missing "." in %q`, part)
	}
	op, err := parseLevel(level)
	if err != nil {
		return err
	}
	var set [nFacilities]bool
	for name := range strings.SplitSeq(facs, ",") {
		if name == "" {
			return fmt.Errorf("empty facility name in %q", part)
		}
		if name == "*" {
			for i := range set {
				set[i] = true
			}
			continue
		}
		i, ok := facilityByName[asciiLower(name)]
		if !ok {
			return fmt.Errorf("unknown facility %q", name)
		}
		set[i] = true
	}
	for i, in := range set {
		if in {
			sel.mask[i] = op.apply(sel.mask[i])
		}
	}
	return nil
}

func parseLevel(level string) (levelOp, error) {
	if level == "" {
		return levelOp{}, errors.New(`missing level after "."`)
	}
	if i := strings.IndexByte(level, ','); i >= 0 {
		return levelOp{}, fmt.Errorf(`"," after level %q: join selectors with ";"`, level[:i])
	}
	var op levelOp
	name := level
	if strings.HasPrefix(name, "!") {
		op.negate, name = true, name[1:]
	}
	single := strings.HasPrefix(name, "=")
	if single {
		name = name[1:]
	}
	switch lower := asciiLower(name); lower {
	case "*", "none":
		if single {
			return levelOp{}, fmt.Errorf(`"=" before %q in level %q`, name, level)
		}
		op.kind = '*'
		if lower == "none" {
			op.kind = 'n'
		}
		return op, nil
	default:
		sev, ok := levelByName[lower]
		if !ok {
			return levelOp{}, fmt.Errorf("unknown level %q", level)
		}
		op.kind, op.sev = '>', sev
		if single {
			op.kind = '='
		}
		return op, nil
	}
}

// asciiLower lowers A to Z only: strings.ToLower would also turn the
// Kelvin sign into "k" and so accept "\u212aern.info" as kern.info.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// String returns a selector in canonical form that ParseSelector reads
// back as an equal Selector: facilities with the same severity set are
// listed together, "*" starts the text when the unnamed facilities 12 to
// 15 are selected, and the zero Selector is "*.none".
// For example "*.info;mail.none;authpriv.none" and "mail,news.=info".
func (s Selector) String() string {
	var parts []string
	add := func(facs string, m uint8) {
		for _, l := range levelExprs(m) {
			parts = append(parts, facs+"."+l)
		}
	}
	// Facilities 12 to 15 can only be reached with "*", so they always
	// share one set; a non-empty one means "*" starts the text.
	base := s.mask[12]
	if base != 0 {
		add("*", base)
	}
	// Group the other facilities by severity set, in order of their
	// first appearance.
	var order []uint8
	groups := map[uint8][]string{}
	for i, m := range s.mask {
		if m == base || facilityNames[i] == "" {
			continue
		}
		if _, seen := groups[m]; !seen {
			order = append(order, m)
		}
		groups[m] = append(groups[m], facilityNames[i])
	}
	for _, m := range order {
		facs := strings.Join(groups[m], ",")
		if base != 0 {
			parts = append(parts, facs+".none")
		}
		if m != 0 {
			add(facs, m)
		}
	}
	if len(parts) == 0 {
		return "*.none"
	}
	return strings.Join(parts, ";")
}

// levelExprs returns level parts that build severity set m from the empty
// set: "*"; a level ("info": emerg through info); a run of levels as
// sysklogd's manual writes it ("info", "!err": warning through info); or
// else the shorter of a level plus "=" levels and "*" less "!=" levels.
func levelExprs(m uint8) []string {
	switch m {
	case 0:
		return nil
	case 0xff:
		return []string{"*"}
	}
	lo, hi := bits.TrailingZeros8(m), 7-bits.LeadingZeros8(m)
	if int(m) == (1<<(hi+1)-1)&^(1<<lo-1) { // lo through hi
		if lo == 0 {
			return []string{levelNames[hi]}
		}
		if lo == hi {
			return []string{"=" + levelNames[lo]}
		}
		return []string{levelNames[hi], "!" + levelNames[lo-1]}
	}
	var add []string
	p := 0 // bits 0 .. p-1 all set
	for p < 8 && m&(1<<p) != 0 {
		p++
	}
	if p > 0 {
		add = append(add, levelNames[p-1])
	}
	for b := p; b < 8; b++ {
		if m&(1<<b) != 0 {
			add = append(add, "="+levelNames[b])
		}
	}
	sub := []string{"*"}
	for b := range 8 {
		if m&(1<<b) == 0 {
			sub = append(sub, "!="+levelNames[b])
		}
	}
	if len(sub) < len(add) {
		return sub
	}
	return add
}
