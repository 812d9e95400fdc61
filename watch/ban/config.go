package ban

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tcpwrap/internal/conffile"
)

// Defaults used when a Config field is zero.
const (
	DefaultDuration    = time.Hour
	DefaultFactor      = 2.0
	DefaultMaxDuration = 7 * 24 * time.Hour
	DefaultForget      = 30 * 24 * time.Hour
	DefaultPrefix4     = 32
	DefaultPrefix6     = 64
	DefaultMaxBans     = 10000
)

// The narrowest aggregation allowed: a configuration can never make one
// offender ban more than a /16 of IPv4 or a /32 of IPv6.
const (
	MinPrefix4 = 16
	MinPrefix6 = 32
)

// Pos is where something was written in a configuration file; the zero
// Pos means it did not come from one.
type Pos struct {
	File string
	Line int
}

func (p Pos) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.File == "" {
		return errors.New(msg)
	}
	return fmt.Errorf("%s:%d: %s", p.File, p.Line, msg)
}

// Config says where the deny list is and how bans are given.
type Config struct {
	// File is the deny list that hosts.deny includes ("ALL:
	// /var/lib/tcpwrap/banned"); required, absolute. It is rewritten
	// whole (atomically) at every change and belongs to this package:
	// write permanent entries in hosts.deny instead.
	File string
	// State keeps the bans and the offence history (JSON); empty means
	// File + ".json".
	State string
	// Duration is the first ban's length; zero means DefaultDuration.
	Duration time.Duration
	// Factor multiplies the length at each repeat offence (>= 1); zero
	// means DefaultFactor.
	Factor float64
	// MaxDuration caps a ban's length; zero means DefaultMaxDuration.
	MaxDuration time.Duration
	// Forget: an offender whose last ban ended longer ago than this
	// starts again at Duration; zero means DefaultForget.
	Forget time.Duration
	// Prefix4 and Prefix6 are what one offender's ban covers: the
	// address masked to this many bits (zero: DefaultPrefix4, a single
	// IPv4 address; DefaultPrefix6, its /64). IPv6 link-local addresses
	// are always banned alone.
	Prefix4, Prefix6 int
	// Allow lists addresses and prefixes never banned. Unless
	// NoDefaultAllow is set, loopback (127.0.0.0/8, ::1) and the
	// machine's own addresses are added. A ban that would cover an
	// allowed address narrows to the offender's address alone.
	Allow          []netip.Prefix
	NoDefaultAllow bool
	// MaxBans caps the bans in force; beyond it new bans are refused
	// (ErrFull) rather than old ones dropped. Zero means DefaultMaxBans.
	MaxBans int
	Pos     Pos
}

func (c *Config) setDefaults() {
	if c.State == "" && c.File != "" {
		c.State = c.File + ".json"
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Factor == 0 {
		c.Factor = DefaultFactor
	}
	if c.MaxDuration == 0 {
		c.MaxDuration = max(DefaultMaxDuration, c.Duration)
	}
	if c.Forget == 0 {
		c.Forget = DefaultForget
	}
	if c.Prefix4 == 0 {
		c.Prefix4 = DefaultPrefix4
	}
	if c.Prefix6 == 0 {
		c.Prefix6 = DefaultPrefix6
	}
	if c.MaxBans == 0 {
		c.MaxBans = DefaultMaxBans
	}
}

// Validate checks the configuration (after the defaults are applied).
func (c Config) Validate() error {
	c.setDefaults()
	switch {
	case c.File == "" || !filepath.IsAbs(c.File):
		return c.Pos.errorf("ban: file must be an absolute path")
	case !filepath.IsAbs(c.State):
		return c.Pos.errorf("ban: state must be an absolute path")
	case filepath.Clean(c.State) == filepath.Clean(c.File):
		return c.Pos.errorf("ban: state and file must differ")
	case c.Duration < 0 || c.MaxDuration < 0 || c.Forget < 0:
		return c.Pos.errorf("ban: negative duration")
	case c.MaxDuration < c.Duration:
		return c.Pos.errorf("ban: max-duration is shorter than duration")
	case !(c.Factor >= 1 && c.Factor <= 1000):
		return c.Pos.errorf("ban: factor must be from 1 to 1000")
	case c.Prefix4 < MinPrefix4 || c.Prefix4 > 32:
		return c.Pos.errorf("ban: prefix4 must be from %d to 32", MinPrefix4)
	case c.Prefix6 < MinPrefix6 || c.Prefix6 > 128:
		return c.Pos.errorf("ban: prefix6 must be from %d to 128", MinPrefix6)
	case c.MaxBans < 0 || c.MaxBans > 1_000_000:
		return c.Pos.errorf("ban: max-bans must be from 1 to 1000000")
	}
	for _, p := range c.Allow {
		if !p.IsValid() {
			return c.Pos.errorf("ban: invalid allow prefix")
		}
	}
	return nil
}

// ParseConfig reads the [ban] section of a tcpdwatch configuration file
// (the format of alert.ParseConfig: "key = value" lines under a section
// header, # comments at the start of a line). Other sections are
// skipped. Keys:
//
//	file = /var/lib/tcpwrap/banned   the deny list (required)
//	state = /var/lib/tcpwrap/banned.json
//	duration = 1h                    the first ban
//	factor = 2                       escalation for repeat offenders
//	max-duration = 7d
//	forget = 30d
//	prefix4 = 32                     what a ban covers
//	prefix6 = 64
//	allow = 192.0.2.0/24 2001:db8::1 never banned (repeatable)
//	default-allow = yes              loopback and own addresses (yes|no)
//	max-bans = 10000
//
// Durations take Go's units plus "d" for days. It returns ok false when
// the file has no [ban] section. Errors are "name:line: message", all
// of them, joined.
func ParseConfig(src []byte, name string) (cfg Config, ok bool, err error) {
	var errs []error
	errf := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	inBan := false
	seen := map[string]int{}
	bad := func(n int, msg string) { errf(n, "%s", msg) }
	for n, t := range conffile.Lines(src, bad) {
		if t[0] == '[' {
			f := strings.Fields(strings.TrimSuffix(t[1:], "]"))
			inBan = len(f) > 0 && f[0] == "ban"
			if inBan {
				switch {
				case !strings.HasSuffix(t, "]"):
					errf(n, "section header without ]")
				case len(f) != 1:
					errf(n, "[ban] takes no name")
				case ok:
					errf(n, "second [ban] section")
				}
				ok = true
				cfg.Pos = Pos{File: name, Line: n}
			}
			continue
		}
		if !inBan {
			continue
		}
		k, v, found := strings.Cut(t, "=")
		if !found {
			errf(n, "want key = value")
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if prev, dup := seen[k]; dup && k != "allow" {
			errf(n, "%s given twice (first on line %d)", k, prev)
			continue
		}
		seen[k] = n
		dur := func() time.Duration {
			d, err := conffile.ParseDuration(v)
			if err != nil {
				errf(n, "%s: %v", k, err)
			}
			return d
		}
		num := func(lo, hi int) int {
			x, err := strconv.Atoi(v)
			if err != nil || x < lo || x > hi {
				errf(n, "%s: want a number from %d to %d, not %q", k, lo, hi, v)
			}
			return x
		}
		path := func() string {
			if v == "" || strings.ContainsAny(v, " \t") || !filepath.IsAbs(v) {
				errf(n, "%s: want an absolute path", k)
			}
			return v
		}
		switch k {
		case "file":
			cfg.File = path()
		case "state":
			cfg.State = path()
		case "duration":
			cfg.Duration = dur()
		case "max-duration":
			cfg.MaxDuration = dur()
		case "forget":
			cfg.Forget = dur()
		case "factor":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f >= 1 && f <= 1000) {
				errf(n, "factor: want a number from 1 to 1000, not %q", v)
			}
			cfg.Factor = f
		case "prefix4":
			cfg.Prefix4 = num(MinPrefix4, 32)
		case "prefix6":
			cfg.Prefix6 = num(MinPrefix6, 128)
		case "max-bans":
			cfg.MaxBans = num(1, 1_000_000)
		case "default-allow":
			switch v {
			case "yes":
				cfg.NoDefaultAllow = false
			case "no":
				cfg.NoDefaultAllow = true
			default:
				errf(n, "default-allow: want yes or no")
			}
		case "allow":
			for _, w := range strings.Fields(v) {
				p, err := ParsePrefix(w)
				if err != nil {
					errf(n, "allow: %v", err)
					continue
				}
				cfg.Allow = append(cfg.Allow, p)
			}
		default:
			errf(n, "unknown key %q in [ban]", k)
		}
	}
	if len(errs) > 0 {
		return Config{}, ok, errors.Join(errs...)
	}
	if !ok {
		return Config{}, false, nil
	}
	if cfg.File == "" {
		return Config{}, ok, cfg.Pos.errorf("[ban] needs a file")
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, ok, err
	}
	return cfg, ok, nil
}

// ParsePrefix reads an address ("192.0.2.7", "2001:db8::1") or a prefix
// ("192.0.2.0/24", "2001:db8::/48") as a masked prefix. A prefix with
// bits set beyond its length is refused rather than silently widened.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: not an address or prefix", s)
		}
		if p.Addr().Zone() != "" || p != p.Masked() {
			return netip.Prefix{}, fmt.Errorf("%q: bits set beyond the prefix length (did you mean %s?)", s, p.Masked())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: not an address or prefix", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
