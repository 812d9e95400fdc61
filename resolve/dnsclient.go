package resolve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// This file is a minimal DNS client: one question, UDP with a TCP retry
// on truncation, the name servers and timeouts of resolv.conf. Queries go
// through Resolver.Net.Dial when one is set, so tests can point them at
// a loopback server exactly as they do for net.Resolver lookups.
//
// The reverse lookup always uses it instead of net.Resolver.LookupAddr,
// because LookupAddr drops every name that fails Go's isDomainName. That
// test refuses all-numeric names such as "10.20.30.40", which glibc
// accepts and which tcpd must see in order to report "reverse lookup
// results in non-FQDN" (case G16), and names such as "x.-y.example",
// which glibc accepts too. The forward lookup uses it only for names
// that net.Resolver refuses to look up but glibc would (see forward).

var (
	errNoAnswer  = errors.New("no usable PTR record")
	errNXDomain  = errors.New("no such name")
	errNoServers = errors.New("no name server answered")
)

// resolvConf is the part of resolv.conf(5) the client needs.
type resolvConf struct {
	servers  []string // host:port
	timeout  time.Duration
	attempts int
}

// readResolvConf reads path as glibc does for these settings: at most
// three "nameserver" lines, "options timeout:n attempts:n"; defaults are
// a name server on the local host, 5 s and 2 attempts. A missing file
// gives the defaults.
func readResolvConf(path string) resolvConf {
	conf := resolvConf{timeout: 5 * time.Second, attempts: 2}
	data, _ := os.ReadFile(path) // missing or unreadable: defaults
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0][0] == '#' || f[0][0] == ';' {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 && len(conf.servers) < 3 {
				if a, err := netip.ParseAddr(f[1]); err == nil {
					conf.servers = append(conf.servers, netip.AddrPortFrom(a, 53).String())
				}
			}
		case "options":
			for _, o := range f[1:] {
				k, v, _ := strings.Cut(o, ":")
				n, err := strconv.Atoi(v)
				if err != nil {
					continue
				}
				switch k {
				case "timeout":
					conf.timeout = time.Duration(min(max(n, 1), 30)) * time.Second
				case "attempts":
					conf.attempts = min(max(n, 1), 5)
				}
			}
		}
	}
	if len(conf.servers) == 0 {
		conf.servers = []string{"127.0.0.1:53", "[::1]:53"}
	}
	return conf
}

// lookupPTR asks the name servers for the PTR record of a and returns the
// host name glibc's getnameinfo(NI_NAMEREQD) would return.
func (r *Resolver) lookupPTR(ctx context.Context, a netip.Addr) (string, error) {
	qname := reverseName(a)
	m, err := r.query(ctx, qname, typePTR)
	if err != nil {
		return "", err
	}
	if name, ok := ptrTarget(m, qname); ok {
		return name, nil
	}
	return "", errNoAnswer
}

// query asks the name servers of resolv.conf, in order and for the
// configured number of attempts, and returns the first reply with
// NOERROR. NXDOMAIN ends the search at once; other response codes and
// network errors move on to the next server.
func (r *Resolver) query(ctx context.Context, qname []string, qtype uint16) (*message, error) {
	conf := readResolvConf(r.resolvConf())
	lastErr := errNoServers
	for try := 0; try < conf.attempts; try++ {
		for _, server := range conf.servers {
			m, err := r.exchange(ctx, server, qname, qtype, conf.timeout)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				lastErr = err
				continue
			}
			switch m.rcode {
			case rcodeSuccess:
				return m, nil
			case rcodeNXDomain:
				return nil, errNXDomain
			default: // SERVFAIL, REFUSED and the like: try the next server
				lastErr = errNoServers
			}
		}
	}
	return nil, lastErr
}

// exchange sends one query to server over UDP, and again over TCP if the
// reply is truncated.
func (r *Resolver) exchange(ctx context.Context, server string, qname []string, qtype uint16, timeout time.Duration) (*message, error) {
	id := uint16(rand.N(1 << 16))
	q := buildQuery(id, qname, qtype)
	m, err := r.roundTrip(ctx, "udp", server, id, qname, qtype, q, timeout)
	if err != nil || !m.truncated {
		return m, err
	}
	return r.roundTrip(ctx, "tcp", server, id, qname, qtype, q, timeout)
}

func (r *Resolver) roundTrip(ctx context.Context, network, server string, id uint16, qname []string, qtype uint16, q []byte, timeout time.Duration) (*message, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := r.dial(ctx, network, server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d) // a conn without deadlines still ends with ctx below
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if network == "tcp" {
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)); err != nil {
			return nil, err
		}
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return nil, err
		}
		buf := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, buf); err != nil {
			return nil, err
		}
		m, err := parseMessage(buf)
		if err != nil || !matches(m, id, qname, qtype) {
			return nil, errMalformed
		}
		return m, nil
	}

	if _, err := c.Write(q); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		// Ignore replies that do not answer this query, as glibc and Go
		// do, and keep waiting until the deadline.
		if m, err := parseMessage(buf[:n]); err == nil && matches(m, id, qname, qtype) {
			return m, nil
		}
	}
}

func matches(m *message, id uint16, qname []string, qtype uint16) bool {
	return m.response && m.id == id && m.question != nil && sameName(m.question, qname) &&
		m.qtype == qtype && m.qclass == classINET
}

func (r *Resolver) dial(ctx context.Context, network, server string) (net.Conn, error) {
	if r.Net != nil && r.Net.Dial != nil {
		return r.Net.Dial(ctx, network, server)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, server)
}
