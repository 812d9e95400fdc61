package superserver

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Rlimit is a resource limit set on every program a service runs.
type Rlimit struct {
	Resource int // unix.RLIMIT_*
	// Soft and Hard are the limits; RlimInfinity means none.
	Soft, Hard uint64
}

// RlimInfinity is "unlimited".
const RlimInfinity = math.MaxUint64

var rlimitNames = []struct {
	name string
	res  int
}{
	{"as", unix.RLIMIT_AS},
	{"core", unix.RLIMIT_CORE},
	{"cpu", unix.RLIMIT_CPU},
	{"data", unix.RLIMIT_DATA},
	{"fsize", unix.RLIMIT_FSIZE},
	{"locks", unix.RLIMIT_LOCKS},
	{"memlock", unix.RLIMIT_MEMLOCK},
	{"msgqueue", unix.RLIMIT_MSGQUEUE},
	{"nofile", unix.RLIMIT_NOFILE},
	{"nproc", unix.RLIMIT_NPROC},
	{"rss", unix.RLIMIT_RSS},
	{"sigpending", unix.RLIMIT_SIGPENDING},
	{"stack", unix.RLIMIT_STACK},
}

func rlimitName(res int) string {
	for _, r := range rlimitNames {
		if r.res == res {
			return r.name
		}
	}
	return strconv.Itoa(res)
}

// String formats r as ParseRlimit reads it.
func (r Rlimit) String() string {
	f := func(v uint64) string {
		if v == RlimInfinity {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	return rlimitName(r.Resource) + "=" + f(r.Soft) + ":" + f(r.Hard)
}

// ParseRlimit reads a resource limit as "NAME=SOFT[:HARD]", where NAME is
// as, core, cpu, data, fsize, locks, memlock, msgqueue, nofile, nproc,
// rss, sigpending or stack (setrlimit(2) without RLIMIT_), and each limit
// is a decimal number or "unlimited". Without HARD the hard limit is the
// soft one. Sizes are in bytes, cpu in seconds.
func ParseRlimit(s string) (Rlimit, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return Rlimit{}, fmt.Errorf("resource limit %q: want NAME=SOFT[:HARD]", s)
	}
	r := Rlimit{Resource: -1}
	for _, n := range rlimitNames {
		if n.name == name {
			r.Resource = n.res
		}
	}
	if r.Resource < 0 {
		return Rlimit{}, fmt.Errorf("resource limit %q: unknown resource %q", s, name)
	}
	soft, hard, hasHard := strings.Cut(val, ":")
	num := func(v string) (uint64, error) {
		if v == "unlimited" || v == "infinity" {
			return RlimInfinity, nil
		}
		if v == "" || strings.TrimLeft(v, "0123456789") != "" {
			return 0, fmt.Errorf("resource limit %q: %q is not a number", s, v)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == RlimInfinity {
			return 0, fmt.Errorf("resource limit %q: %q is too large", s, v)
		}
		return n, nil
	}
	var err error
	if r.Soft, err = num(soft); err != nil {
		return Rlimit{}, err
	}
	r.Hard = r.Soft
	if hasHard {
		if r.Hard, err = num(hard); err != nil {
			return Rlimit{}, err
		}
	}
	if r.Soft > r.Hard {
		return Rlimit{}, fmt.Errorf("resource limit %q: the soft limit is above the hard one", s)
	}
	return r, nil
}

// errTarget is wrapped by every error of ParseTarget.
var errTarget = errors.New("bad redirect target")

// ParseTarget reads the target of a redirect service: "HOST:PORT", with
// an IPv6 address in brackets ("[::1]:22"), a port number from 1 to
// 65535, and a host that is an address or a name (looked up at every
// connection).
func ParseTarget(s string) (host string, port uint16, err error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("%w %q: want HOST:PORT", errTarget, s)
	}
	if h == "" {
		return "", 0, fmt.Errorf("%w %q: no host", errTarget, s)
	}
	if strings.ContainsAny(h, " \t\r\n/\x00") {
		return "", 0, fmt.Errorf("%w %q: bad host %q", errTarget, s, h)
	}
	if p == "" || strings.TrimLeft(p, "0123456789") != "" || len(p) > 5 {
		return "", 0, fmt.Errorf("%w %q: port %q is not a number", errTarget, s, p)
	}
	n, _ := strconv.Atoi(p)
	if n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("%w %q: port %d is out of range", errTarget, s, n)
	}
	return h, uint16(n), nil
}
