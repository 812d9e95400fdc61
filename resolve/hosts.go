package resolve

import (
	"bytes"
	"net/netip"
	"os"
	"sync"
)

// hostsEntry is one line of a hosts file that has a valid address.
type hostsEntry struct {
	// addr has no zone. IPv4 lines give 4-byte addresses; IPv6 lines,
	// v4-mapped ones included, give 16-byte addresses.
	addr netip.Addr
	// names holds the official name first, then the aliases. It is empty
	// for a line that has an address only.
	names []string
}

// hostsTable is a parsed hosts file, in file order.
type hostsTable struct {
	entries []hostsEntry
}

// parseHosts parses hosts(5) text the way glibc's files backend reads it:
//
//   - a NUL byte ends its line, as it ends the C string glibc parses;
//   - '#' anywhere starts a comment that runs to the end of the line;
//   - fields are separated by runs of space, tab, vertical tab, form feed
//     and carriage return;
//   - the first field must be a strict inet_pton address: dotted-decimal
//     IPv4 without leading zeros or short forms, or IPv6 without a
//     "%scope"; lines with any other first field are skipped;
//   - the remaining fields are the names, kept byte for byte.
//
// It never fails: like glibc it skips what it cannot use.
func parseHosts(data []byte) hostsTable {
	var t hostsTable
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := splitHostsFields(line)
		if len(fields) == 0 {
			continue
		}
		addr, ok := parseHostsAddr(fields[0])
		if !ok {
			continue
		}
		e := hostsEntry{addr: addr}
		for _, f := range fields[1:] {
			e.names = append(e.names, string(f))
		}
		t.entries = append(t.entries, e)
	}
	return t
}

// isHostsSpace reports whether c separates fields: C isspace() without
// '\n', which ends the line before fields are split.
func isHostsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'
}

func splitHostsFields(line []byte) [][]byte {
	var fields [][]byte
	i := 0
	for i < len(line) {
		for i < len(line) && isHostsSpace(line[i]) {
			i++
		}
		start := i
		for i < len(line) && !isHostsSpace(line[i]) {
			i++
		}
		if i > start {
			fields = append(fields, line[start:i])
		}
	}
	return fields
}

// parseHostsAddr parses the address field as inet_pton would.
func parseHostsAddr(f []byte) (netip.Addr, bool) {
	a, err := netip.ParseAddr(string(f))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// reverse returns the official name on the first line whose address is
// a, as gethostbyaddr from the files backend does. For an IPv4 a, lines
// with the v4-mapped form of a match too. found is true even when that
// line has no names (name is then "").
func (t *hostsTable) reverse(a netip.Addr) (name string, found bool) {
	for _, e := range t.entries {
		ea := e.addr
		if a.Is4() {
			ea = ea.Unmap()
		}
		if ea != a {
			continue
		}
		if len(e.names) == 0 {
			return "", true
		}
		return e.names[0], true
	}
	return "", false
}

// forward returns every address on lines naming name (ASCII case
// ignored), in file order, restricted to fam, with the official name of
// the first such line as the canonical name — glibc's files backend with
// "multi on". For AF_INET, v4-mapped IPv6 lines count as IPv4 and are
// unmapped; for AF_INET6, IPv4 lines are ignored.
func (t *hostsTable) forward(name string, fam family) (canonical string, addrs []netip.Addr) {
	for _, e := range t.entries {
		a := e.addr
		switch fam {
		case inet4:
			if !a.Is4() && !a.Is4In6() {
				continue
			}
			a = a.Unmap()
		case inet6:
			if !a.Is6() {
				continue
			}
		}
		for _, n := range e.names {
			if asciiEqualFold(n, name) {
				if addrs == nil {
					canonical = e.names[0]
				}
				addrs = append(addrs, a)
				break
			}
		}
	}
	return canonical, addrs
}

// asciiEqualFold is strcasecmp in the C locale: only ASCII letters fold.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hostsCache keeps the parsed hosts file and re-reads it when a stat
// shows that the path now names a different file or that its size or
// modification time changed. A missing or unreadable file is an empty
// table, as glibc moves on to DNS when it cannot open the file.
type hostsCache struct {
	mu    sync.Mutex
	path  string
	info  os.FileInfo // nil when the file could not be read
	table hostsTable
}

func (c *hostsCache) get(path string) hostsTable {
	fi, statErr := os.Stat(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == path && sameStamp(c.info, fi, statErr) {
		return c.table
	}
	c.path, c.info, c.table = path, nil, hostsTable{}
	if statErr != nil {
		return c.table
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c.table
	}
	c.info, c.table = fi, parseHosts(data)
	return c.table
}

func sameStamp(old, cur os.FileInfo, curErr error) bool {
	if old == nil || curErr != nil {
		return old == nil && curErr != nil
	}
	return os.SameFile(old, cur) && old.Size() == cur.Size() && old.ModTime().Equal(cur.ModTime())
}
