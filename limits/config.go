package limits

import (
	"errors"
	"math"
	"strconv"
	"time"
)

var itoa = strconv.Itoa

// Config is the limiter-wide configuration. The zero value limits nothing:
// no global maximum, no per-source limits, sources grouped by IPv4 address
// and IPv6 /64, at most DefaultMaxSources tracked sources, refusals logged
// at most once a minute per source and reason.
type Config struct {
	// GlobalMax is the most sessions held at once across every service.
	// Zero means no global limit.
	GlobalMax int

	// Source limits each source, across every service: a source is
	// throttled as a whole, wherever it connects. The zero value limits
	// nothing, and then sources are not tracked at all.
	Source SourceLimits

	// Overflow limits the sources that arrive while the table of tracked
	// sources is full of sources that cannot be forgotten (see the package
	// documentation). They are grouped, per shard, into one shared entry
	// with these limits. Nil means the same limits as Source.
	Overflow *SourceLimits

	// IPv4Bits is the prefix length that groups IPv4 clients into one
	// source: 32 (the zero value) means each address is a source, 24 groups
	// a /24. IPv4-mapped IPv6 addresses are IPv4 addresses here.
	IPv4Bits int

	// IPv6Bits is the prefix length that groups IPv6 clients into one
	// source. Zero means 64, so that one host cannot dodge its limits by
	// rotating through the addresses of its /64.
	IPv6Bits int

	// MaxSources caps the number of tracked sources, and with it the
	// memory a flood of rotating or spoofed sources can take. Zero means
	// DefaultMaxSources. The number of shards is chosen from it when the
	// Limiter is made and kept; the cap is enforced per shard
	// (MaxSources/shards each, rounded up).
	MaxSources int

	// LogInterval is how often, at most, a refusal of one kind is reported
	// as to be logged (Refusal.Log) for one source, one service (for
	// service-max) or the whole limiter (for global-max). Zero means one
	// minute.
	LogInterval time.Duration

	// Clock gives the time. Nil means the system's monotonic clock.
	// Reconfigure ignores it: a Limiter keeps the clock it was made with.
	Clock Clock
}

// SourceLimits are the limits on one source.
type SourceLimits struct {
	// Max is the most sessions one source holds at once. Zero means no
	// limit.
	Max int
	// Rate limits how fast one source may open connections. Every attempt
	// that reaches the rate check costs a token, admitted or not (see the
	// package documentation). The zero value means no rate limit.
	Rate Rate
}

// ServiceLimits are the limits on one service.
type ServiceLimits struct {
	// Max is the most instances (sessions) of the service at once. Zero
	// means no per-service limit.
	Max int
}

// DefaultMaxSources is the cap on tracked sources when Config.MaxSources is
// zero. Each tracked source takes about 160 bytes with a session held
// (see BenchmarkMemory), so the default bounds the table at about 10 MB.
const DefaultMaxSources = 1 << 16

const (
	defaultIPv6Bits    = 64
	defaultLogInterval = time.Minute
	maxCount           = 1 << 30 // bound on every Max, so that counts fit in an int32
)

// limit is a SourceLimits ready for use: the token bucket as a GCRA
// emission interval t and tolerance tau, both in nanoseconds.
type limit struct {
	max  int32
	rate bool
	t    int64 // nanoseconds per token
	tau  int64 // (burst-1)*t: how far ahead of now the theoretical arrival time may run
}

// params is a validated Config, swapped atomically on Reconfigure.
type params struct {
	cfg       Config
	globalMax int64
	src, over limit
	track     bool // per-source limits are in force
	v4bits    int
	v6bits    int
	perShard  int // cap on tracked sources in one shard
	interval  int64
}

func compile(c Config, shards int) (*params, error) {
	p := &params{cfg: c}
	if c.GlobalMax < 0 || c.GlobalMax > maxCount {
		return nil, errors.New("limits: global maximum " + itoa(c.GlobalMax) + " out of range 0.." + itoa(maxCount))
	}
	p.globalMax = int64(c.GlobalMax)
	var err error
	if p.src, err = compileSource(c.Source, "per-source"); err != nil {
		return nil, err
	}
	p.over = p.src
	if c.Overflow != nil {
		if p.over, err = compileSource(*c.Overflow, "overflow"); err != nil {
			return nil, err
		}
	}
	p.track = p.src.max > 0 || p.src.rate
	switch {
	case c.IPv4Bits == 0:
		p.v4bits = 32
	case c.IPv4Bits < 0 || c.IPv4Bits > 32:
		return nil, errors.New("limits: IPv4 prefix length " + itoa(c.IPv4Bits) + " out of range 1..32")
	default:
		p.v4bits = c.IPv4Bits
	}
	switch {
	case c.IPv6Bits == 0:
		p.v6bits = defaultIPv6Bits
	case c.IPv6Bits < 0 || c.IPv6Bits > 128:
		return nil, errors.New("limits: IPv6 prefix length " + itoa(c.IPv6Bits) + " out of range 1..128")
	default:
		p.v6bits = c.IPv6Bits
	}
	n := c.MaxSources
	switch {
	case n == 0:
		n = DefaultMaxSources
	case n < 0 || n > maxCount:
		return nil, errors.New("limits: maximum tracked sources " + itoa(n) + " out of range 1.." + itoa(maxCount))
	}
	p.perShard = (n + shards - 1) / shards
	switch {
	case c.LogInterval == 0:
		p.interval = int64(defaultLogInterval)
	case c.LogInterval < 0:
		return nil, errors.New("limits: negative log interval " + c.LogInterval.String())
	default:
		p.interval = int64(c.LogInterval)
	}
	return p, nil
}

func compileSource(s SourceLimits, what string) (limit, error) {
	var l limit
	if s.Max < 0 || s.Max > maxCount {
		return l, errors.New("limits: " + what + " maximum " + itoa(s.Max) + " out of range 0.." + itoa(maxCount))
	}
	l.max = int32(s.Max)
	if s.Rate.N == 0 && s.Rate.Burst == 0 && s.Rate.Per == 0 {
		return l, nil
	}
	t, burst, err := s.Rate.compile()
	if err != nil {
		return l, errors.New("limits: " + what + " rate: " + err.Error())
	}
	l.rate, l.t, l.tau = true, t, (burst-1)*t
	return l, nil
}

// Rate is a token bucket: a source may open Burst connections at once, and
// the bucket refills at N tokens per Per. The zero value means no limit.
type Rate struct {
	N     int           // tokens per Per; must be positive in a non-zero Rate
	Per   time.Duration // the period; zero means one second
	Burst int           // the bucket's size; zero means N
}

// PerSecond is n connections a second, in bursts of up to burst (zero: n).
func PerSecond(n, burst int) Rate { return Rate{N: n, Per: time.Second, Burst: burst} }

// PerMinute is n connections a minute, in bursts of up to burst (zero: n).
func PerMinute(n, burst int) Rate { return Rate{N: n, Per: time.Minute, Burst: burst} }

const maxPer = 24 * time.Hour

// compile returns the emission interval in nanoseconds, rounded up (so the
// rate is never more generous than asked, and off by at most 1 ns per
// token), and the burst.
func (r Rate) compile() (t, burst int64, err error) {
	per := r.Per
	if per == 0 {
		per = time.Second
	}
	switch {
	case r.N <= 0 || r.N > maxCount:
		return 0, 0, errors.New(itoa(r.N) + " connections per period out of range 1.." + itoa(maxCount))
	case per < 0 || per > maxPer:
		return 0, 0, errors.New("period " + per.String() + " out of range (0, " + maxPer.String() + "]")
	case r.Burst < 0 || r.Burst > maxCount:
		return 0, 0, errors.New("burst " + itoa(r.Burst) + " out of range 0.." + itoa(maxCount))
	}
	t = (int64(per) + int64(r.N) - 1) / int64(r.N)
	burst = int64(r.Burst)
	if burst == 0 {
		burst = int64(r.N)
	}
	if (burst - 1) > math.MaxInt64/4/t {
		return 0, 0, errors.New("burst times period too large")
	}
	return t, burst, nil
}
