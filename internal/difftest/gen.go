package difftest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Placeholder is replaced by the scratch directory path in Case.Args and in
// the contents of the tables and extra files, and put back in place of that
// path in every output (the same convention as package oracle).
const Placeholder = "SCRATCH"

// Case is one tcpdmatch run: the files of its scratch directory (which is
// also its working directory) and its command line.
type Case struct {
	// Allow and Deny are ./hosts.allow and ./hosts.deny as a list of
	// chunks (one or more physical lines with their terminators); the
	// file is their concatenation. nil means the file is absent. The
	// chunks are the units the minimiser drops.
	Allow, Deny []string
	// Files are extra files, by slash-separated path relative to the
	// scratch dir.
	Files map[string]string
	// Dirs are (possibly empty) directories to create in the scratch dir.
	Dirs []string
	// Links are symbolic links to create (name -> target; the target may
	// use the placeholder).
	Links map[string]string
	// Modes changes the permission bits of files or directories of the
	// scratch dir after they are written (e.g. 0666: world-writable).
	Modes map[string]uint32
	// Args are the arguments after argv[0] ("tcpdmatch").
	Args []string
	// Slow marks a case that is expected to take seconds (Debian sleeps 5 s
	// before exiting after an expansion overflow).
	Slow bool
}

// AllowData returns the contents of hosts.allow, or nil when it is absent.
func (c *Case) AllowData() []byte { return joinChunks(c.Allow) }

// DenyData returns the contents of hosts.deny, or nil when it is absent.
func (c *Case) DenyData() []byte { return joinChunks(c.Deny) }

func joinChunks(chunks []string) []byte {
	if chunks == nil {
		return nil
	}
	return []byte(strings.Join(chunks, ""))
}

// Clone returns a deep copy of c.
func (c *Case) Clone() *Case {
	d := *c
	if c.Allow != nil {
		d.Allow = append([]string{}, c.Allow...)
	}
	if c.Deny != nil {
		d.Deny = append([]string{}, c.Deny...)
	}
	d.Files = make(map[string]string, len(c.Files))
	for k, v := range c.Files {
		d.Files[k] = v
	}
	d.Dirs = append([]string(nil), c.Dirs...)
	if c.Links != nil {
		d.Links = make(map[string]string, len(c.Links))
		for k, v := range c.Links {
			d.Links[k] = v
		}
	}
	if c.Modes != nil {
		d.Modes = make(map[string]uint32, len(c.Modes))
		for k, v := range c.Modes {
			d.Modes[k] = v
		}
	}
	d.Args = append([]string(nil), c.Args...)
	return &d
}

// gen holds the state of the generation of one case.
type gen struct {
	r     *rand.Rand
	c     *Case
	req   request
	nfile int // host-pattern files created so far
}

// request is the simulated request of a case.
type request struct {
	daemon string   // the daemon name as tcpdmatch will use it
	server string   // the server operand part after "@", or ""
	saddrs []string // address strings of the server, when known
	snames []string // names of the server, when known
	user   string   // the user operand part, or ""
	addrs  []string // address strings the client will have
	names  []string // names the client will have
}

// Generate returns case number index of the stream identified by seed. The
// result depends only on (seed, index).
func Generate(seed uint64, index int) *Case {
	g := &gen{
		r: rand.New(rand.NewPCG(seed, uint64(index)^0x9e3779b97f4a7c15)),
		c: &Case{Files: map[string]string{}},
	}
	daemonArg, clientArg := g.request()
	if g.chance(0.88) {
		g.c.Allow = g.table()
	}
	if g.chance(0.85) {
		g.c.Deny = g.table()
	}
	g.c.Args = g.args(daemonArg, clientArg)
	g.tableFiles()
	return g.c
}

// tableFiles sometimes replaces a table by something other than a plain
// file, or makes it (or the scratch dir) world-writable.
func (g *gen) tableFiles() {
	names := []string{"hosts.allow", "hosts.deny"}
	tables := []*[]string{&g.c.Allow, &g.c.Deny}
	for k, name := range names {
		switch x := g.intn(200); {
		case x < 3: // a directory: opens, but yields no lines
			*tables[k] = nil
			g.c.Dirs = appendUnique(g.c.Dirs, name)
		case x < 6: // ELOOP: "cannot open"
			*tables[k] = nil
			g.setLink(name, name)
		case x < 8: // dangling link: like a missing file
			*tables[k] = nil
			g.setLink(name, "SCRATCH/nonexistent")
		case x < 11: // a link to a real table
			if *tables[k] != nil {
				g.c.Files["real."+name] = string(joinChunks(*tables[k]))
				*tables[k] = nil
				g.setLink(name, g.pick("real."+name, "SCRATCH/real."+name))
			}
		case x < 16:
			if *tables[k] != nil {
				g.setMode(name, uint32(g.pick2(0o666, 0o646, 0o600, 0o000)))
			}
		}
	}
	if g.chance(0.01) {
		g.setMode(".", 0o777)
	}
	if _, ok := g.c.Files["inetd.conf"]; ok && g.chance(0.2) {
		g.setMode("inetd.conf", 0o666)
	}
}

func (g *gen) pick2(xs ...int) int { return xs[g.r.IntN(len(xs))] }

func (g *gen) setLink(name, target string) {
	if g.c.Links == nil {
		g.c.Links = map[string]string{}
	}
	g.c.Links[name] = target
}

func (g *gen) setMode(name string, mode uint32) {
	if g.c.Modes == nil {
		g.c.Modes = map[string]uint32{}
	}
	g.c.Modes[name] = mode
}

// --- random helpers ---

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }
func (g *gen) intn(n int) int        { return g.r.IntN(n) }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// randCase changes the case of some letters of s.
func (g *gen) randCase(s string) string {
	switch g.intn(4) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	default:
		b := []byte(s)
		for i, c := range b {
			if g.chance(0.5) {
				if 'a' <= c && c <= 'z' {
					b[i] = c - 'a' + 'A'
				} else if 'A' <= c && c <= 'Z' {
					b[i] = c - 'A' + 'a'
				}
			}
		}
		return string(b)
	}
}

// wildcard turns s into a wildcard pattern that usually matches it.
func (g *gen) wildcard(s string) string {
	if s == "" {
		return g.pick("*", "?", "*?")
	}
	b := []byte(s)
	switch g.intn(4) {
	case 0: // replace one character by ?
		b[g.intn(len(b))] = '?'
		return string(b)
	case 1: // keep a prefix
		return string(b[:g.intn(len(b))]) + "*"
	case 2: // keep a suffix
		return "*" + string(b[g.intn(len(b)):])
	default: // replace a middle run by *
		i := g.intn(len(b))
		j := i + g.intn(len(b)-i)
		return string(b[:i]) + "*" + string(b[j:])
	}
}

// --- the request ---

type clientChoice struct {
	arg          string
	addrs, names []string
}

var clientChoices = []clientChoice{
	{"10.0.0.1", []string{"10.0.0.1"}, nil},
	{"10.0.0.1", []string{"10.0.0.1"}, nil},
	{"10.1.2.3", []string{"10.1.2.3"}, nil},
	{"192.168.1.5", []string{"192.168.1.5"}, nil},
	{"100.0.0.1", []string{"100.0.0.1"}, nil},
	{"127.0.0.1", []string{"127.0.0.1"}, []string{"localhost"}},
	{"127.0.0.1", []string{"127.0.0.1"}, []string{"localhost"}},
	{"::1", []string{"::1"}, nil},
	{"::ffff:10.0.0.1", []string{"::ffff:10.0.0.1", "10.0.0.1"}, nil},
	{"::FFFF:127.0.0.1", []string{"::FFFF:127.0.0.1", "127.0.0.1"}, []string{"localhost"}},
	{"2001:db8::1", []string{"2001:db8::1"}, nil},
	{"2001:DB8:0::1", []string{"2001:DB8:0::1"}, nil},
	{"fe80::1", []string{"fe80::1"}, nil},
	{"unknown", nil, []string{"unknown"}},
	{"UNKNOWN", nil, []string{"UNKNOWN"}},
	{"paranoid", nil, []string{"paranoid"}},
	{"PaRaNoId", nil, []string{"PaRaNoId"}},
	{"localhost", []string{"127.0.0.1"}, []string{"localhost"}},
	{"localhost", []string{"127.0.0.1"}, []string{"localhost"}},
	{"LOCALHOST", []string{"127.0.0.1"}, []string{"localhost"}},
	{"runsc", []string{"127.0.0.1"}, []string{"localhost", "runsc"}},
	{"vm", []string{"127.0.0.1"}, []string{"localhost", "vm"}},
	{"255.255.255.255", []string{"255.255.255.255"}, nil},
	{"0.0.0.0", []string{"0.0.0.0"}, nil},
	{"1.2.3", []string{"1.2.0.3"}, nil},
	{"127.1", []string{"127.0.0.1"}, []string{"localhost"}},
	{"2130706433", []string{"127.0.0.1"}, []string{"localhost"}},
	{"0x7f000001", []string{"127.0.0.1"}, []string{"localhost"}},
	{"fe80::1%lo", []string{"fe80::1%lo", "fe80::1"}, nil},
	{"fe80::1%1", []string{"fe80::1%1", "fe80::1"}, nil},
	{"::ffff:127.0.0.1", []string{"::ffff:127.0.0.1", "127.0.0.1"}, []string{"localhost"}},
	{"::", []string{"::"}, nil},
	{"", nil, nil}, // an error operand (badClients), see request
	{"010.000.000.001", []string{"010.000.000.001"}, nil},
	// Names of TestHosts.
	{"host1", []string{"10.0.0.1"}, []string{"host1.example.com"}},
	{"host1.example.com", []string{"10.0.0.1"}, []string{"host1.example.com"}},
	{"HOST1.Example.com", []string{"10.0.0.1"}, []string{"host1.example.com"}},
	{"mixed", []string{"10.0.0.2"}, []string{"Mixed.Example.COM"}},
	{"multi.example.com", []string{"10.0.0.20", "10.0.0.21"}, []string{"multi.example.com"}},
	{"dual.example.com", []string{"10.0.0.22", "2001:db8::22"}, []string{"dual.example.com"}},
	{"alias7", []string{"10.0.0.8", "10.0.0.7"}, []string{"canon8.example.com", "alias7", "paranoid"}},
	{"numrev.example.com", []string{"10.0.0.9"}, []string{"10.0.0.10", "paranoid"}},
	{"v6host", []string{"2001:db8::1"}, []string{"v6host.example.com"}},
	{"ip6-localhost", []string{"::1"}, []string{"ip6-localhost"}},
	{"we$ird;name", []string{"10.0.0.30"}, []string{"we$ird;name"}},
	{"server.example.com", []string{"10.2.2.2"}, []string{"server.example.com"}},
	{"10.0.0.2", []string{"10.0.0.2"}, nil},
}

// badClients are operands tcpdmatch rejects (host not found).
var badClients = []string{"nosuchhost.invalid", "[::1]", "10.0.0.1.", "", "-", "10.0.0.256", "1.2.3.4.5"}

var daemonChoices = []string{
	"sshd", "sshd", "sshd", "in.ftpd", "in.ftpd", "in.telnetd", "in.telnetd",
	"/usr/sbin/in.fingerd", "/usr/sbin/in.fingerd", "ftpd", "portmap", "rpcbind",
	"SSHD", "In.TelnetD", "in.rshd", "a*b?c", "s?h*", "ALL", "unknown", "KNOWN",
	"22", "0", "except", "in.", ".d", "/in.x/", "/", "x.y.z",
	strings.Repeat("d", 150),
}

var serverChoices = []clientChoice{
	{"10.2.2.2", []string{"10.2.2.2"}, nil},
	{"10.2.2.2", []string{"10.2.2.2"}, nil},
	{"127.0.0.1", []string{"127.0.0.1"}, []string{"localhost"}},
	{"unknown", nil, []string{"unknown"}},
	{"UNKNOWN", nil, []string{"UNKNOWN"}},
	{"paranoid", nil, []string{"paranoid"}},
	{"localhost", []string{"127.0.0.1"}, []string{"localhost"}},
	{"::1", []string{"::1"}, nil},
	{"2001:db8::2", []string{"2001:db8::2"}, nil},
	{"::ffff:10.2.2.2", []string{"::ffff:10.2.2.2", "10.2.2.2"}, nil},
	{"nosuchhost.invalid", nil, nil},
	{"[::1]", nil, nil},
	{"10.1", []string{"10.0.0.1"}, nil},
	{"0x7f.0.0.1", []string{"127.0.0.1"}, []string{"localhost"}},
	{"runsc", []string{"127.0.0.1"}, []string{"localhost"}},
	{"server", []string{"10.2.2.2"}, []string{"server.example.com"}},
	{"server", []string{"10.2.2.2"}, []string{"server.example.com"}},
	{"10.0.0.1", []string{"10.0.0.1"}, []string{"host1.example.com"}},
	{"multi.example.com", nil, nil},
	{"alias7", nil, nil},
	{"10.0.0.9", []string{"10.0.0.9"}, []string{"paranoid"}},
	{"v6host", []string{"2001:db8::1"}, []string{"v6host.example.com"}},
}

var userChoices = []string{
	"alice", "alice", "root", "Bob", "a b$c;d", "x|y", "`id`", "ALL", "unknown",
	"UNKNOWN", "%x", "~user", strings.Repeat("u", 140), "bob.smith",
}

// request picks the daemon and client operands.
func (g *gen) request() (daemonArg, clientArg string) {
	d := g.pick(daemonChoices...)
	daemonArg = d
	if strings.HasPrefix(d, "/") {
		d = d[strings.LastIndexByte(d, '/')+1:]
	}
	if len(d) > 127 {
		d = d[:127]
	}
	g.req.daemon = d
	if g.chance(0.3) {
		s := serverChoices[g.intn(len(serverChoices))]
		g.req.server = s.arg
		g.req.saddrs, g.req.snames = s.addrs, s.names
		daemonArg += "@" + s.arg
	}
	if g.chance(0.03) {
		daemonArg = g.pick("", "@10.2.2.2", "sshd@", "sshd@@10.2.2.2")
	}

	cl := clientChoices[g.intn(len(clientChoices))]
	g.req.addrs, g.req.names = cl.addrs, cl.names
	clientArg = cl.arg
	if clientArg == "" {
		clientArg = g.pick(badClients...)
	}
	if g.chance(0.3) {
		g.req.user = g.pick(userChoices...)
		clientArg = g.req.user + "@" + clientArg
	} else if g.chance(0.01) {
		clientArg = g.pick("@", "u@v@") + clientArg
	}
	return daemonArg, clientArg
}

// args builds the command line.
func (g *gen) args(daemonArg, clientArg string) []string {
	switch x := g.intn(100); {
	case x < 82:
		return []string{"-d", "-i", "/dev/null", daemonArg, clientArg}
	case x < 87:
		// The machine's /etc/inetd.conf.
		return []string{"-d", daemonArg, clientArg}
	case x < 90:
		g.c.Files["inetd.conf"] = g.inetdConf()
		return []string{"-d", "-i", "inetd.conf", daemonArg, clientArg}
	case x < 92:
		return []string{"-di/dev/null", daemonArg, clientArg}
	case x < 94:
		// getopt permutes: options after operands.
		return []string{daemonArg, "-d", clientArg, "-i", "/dev/null"}
	case x < 97:
		return []string{"-d", "-i", "/dev/null", "--", daemonArg, clientArg}
	default:
		// Usage and -i errors.
		switch g.intn(8) {
		case 0:
			return []string{"-d", "-i", "/dev/null", daemonArg}
		case 1:
			return []string{"-d", "-i", "/dev/null", daemonArg, clientArg, "extra"}
		case 2:
			return []string{"-x", "-d", daemonArg, clientArg}
		case 3:
			return []string{"-d", "-i"}
		case 4:
			return []string{"-d", "-i", "nonexistent.conf", daemonArg, clientArg}
		case 5:
			return []string{}
		case 6:
			return []string{"-d", "-i", ".", daemonArg, clientArg}
		default:
			return []string{"--bogus", daemonArg, clientArg}
		}
	}
}

var inetdLines = []string{
	"sshd\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\t/usr/sbin/sshd\n",
	"ftp stream tcp nowait root /usr/sbin/tcpd in.ftpd\n",
	"telnet stream tcp nowait root /usr/sbin/in.telnetd in.telnetd\n",
	"finger stream tcp nowait nobody /usr/sbin/tcpd in.fingerd -w\n",
	"echo stream tcp nowait root internal\n",
	"rexd stream tcp nowait root /usr/sbin/rpc.rexd rpc.rexd\n",
	"# sshd stream tcp nowait root /usr/sbin/tcpd sshd\n",
	"\n",
	"broken stream\n",
	"shell stream tcp nowait root /usr/sbin/tcpd tcpd\n",
	"login stream tcp nowait root ?/usr/sbin/tcpd in.rlogind\n",
	"stream tcp nowait root /usr/sbin/tcpd in.rshd\n",
	"rpc/x dgram rpc/udp wait root /usr/sbin/tcpd 1-2 rpc.x\n",
	"long stream tcp nowait root /usr/sbin/tcpd " + strings.Repeat("a", 2100) + "\n",
	"cont stream tcp nowait root \\\n/usr/sbin/tcpd in.contd\n",
	"sshd stream tcp nowait root /usr/sbin/sshd sshd\n",
}

func (g *gen) inetdConf() string {
	var b strings.Builder
	for n := 1 + g.intn(5); n > 0; n-- {
		b.WriteString(g.pick(inetdLines...))
	}
	return b.String()
}

// --- tables ---

func (g *gen) table() []string {
	chunks := []string{}
	nl := "\n"
	if g.chance(0.08) {
		nl = "\r\n"
	}
	n := g.intn(7)
	if g.chance(0.3) {
		n = 1 + g.intn(3)
	}
	for i := 0; i < n; i++ {
		chunks = append(chunks, g.chunk()+nl)
	}
	if len(chunks) > 0 {
		last := len(chunks) - 1
		switch x := g.intn(100); {
		case x < 4: // no final newline
			chunks[last] = strings.TrimSuffix(chunks[last], nl)
		case x < 6: // backslash at EOF
			chunks[last] = strings.TrimSuffix(chunks[last], nl) + "\\"
		case x < 7: // backslash-newline at EOF
			chunks[last] = strings.TrimSuffix(chunks[last], nl) + "\\\n"
		}
	}
	return chunks
}

// chunk returns one logical line without its final terminator.
func (g *gen) chunk() string {
	switch x := g.intn(100); {
	case x < 68:
		return g.maybeContinue(g.rule())
	case x < 73:
		return "#" + g.pick("", " ", "#") + g.rule()
	case x < 75:
		// A comment ending in a backslash swallows the next line.
		return "# " + g.rule() + "\\"
	case x < 78:
		return g.pick(" ", "\t", "  ") + "#" + g.pick("", " ") + g.rule()
	case x < 82:
		return g.pick("", " ", "\t", " \t ", "\r")
	case x < 86:
		// No ":" separator.
		return g.list(g.daemonToken) + " " + g.list(g.clientToken)
	case x < 89:
		return g.overLong()
	case x < 92:
		// Bracket games in the field split.
		return g.pick(
			g.daemonPattern()+": [2001:db8::1: "+g.options(),
			g.daemonPattern()+": ]x[: "+g.options(),
			"]x[:"+g.list(g.clientToken),
			g.daemonPattern()+": [::1]:"+g.options(),
			"["+g.daemonPattern()+": ALL",
			g.daemonPattern()+"@[::1]: ALL",
			g.daemonPattern()+": "+g.clientPattern()+" [ : allow",
		)
	case x < 96:
		// Backslash-colon in the lists (not an escape there).
		return g.daemonPattern() + ": " + g.clientPattern() + "\\: " + g.options()
	default:
		return g.maybeContinue(g.rule())
	}
}

// maybeContinue splits a line with backslash-newline pairs.
func (g *gen) maybeContinue(s string) string {
	if len(s) < 2 || !g.chance(0.07) {
		return s
	}
	for n := 1 + g.intn(2); n > 0; n-- {
		i := 1 + g.intn(len(s)-1)
		s = s[:i] + "\\\n" + s[i:]
	}
	return s
}

func (g *gen) colon() string {
	return g.pick(":", ": ", " : ", " :", ":\t", ":")
}

// rule returns "daemons : clients [: options]".
func (g *gen) rule() string {
	s := g.list(g.daemonToken) + g.colon() + g.list(g.clientToken)
	if g.chance(0.5) {
		s += g.colon() + g.options()
	}
	return s
}

// overLong returns a line whose length is close to the 2046 limit (or far
// above it). The padding is blanks and commas in a list, or comment text.
func (g *gen) overLong() string {
	target := g.pick("2046", "2047", "2045", "2048", "2040", "2050", "4100", "2047", "2046")
	var n int
	fmt.Sscan(target, &n)
	if g.chance(0.25) {
		return "#" + strings.Repeat("x", n-1)
	}
	head := g.list(g.daemonToken) + ": "
	tail := g.list(g.clientToken)
	if g.chance(0.5) {
		tail += ": " + g.shortOptions()
	}
	pad := n - len(head) - len(tail)
	if pad < 0 {
		pad = 0
	}
	unit := g.pick(" ", ",", " ,")
	padding := strings.Repeat(unit, pad/len(unit)+1)[:pad]
	return g.maybeContinue(head + padding + tail)
}

// list returns a daemon or client list with optional EXCEPT parts.
func (g *gen) list(tok func() string) string {
	sep := func() string { return g.pick(" ", ",", ", ", "\t", " ,", ",,", "  ") }
	except := func() string { return g.pick(" EXCEPT ", " except ", " Except ", "\tEXCEPT\t", ",EXCEPT,") }
	part := func() string {
		n := 1 + g.intn(3)
		toks := make([]string, n)
		for i := range toks {
			toks[i] = tok()
		}
		var b strings.Builder
		for i, t := range toks {
			if i > 0 {
				b.WriteString(sep())
			}
			b.WriteString(t)
		}
		return b.String()
	}
	switch x := g.intn(100); {
	case x < 3:
		return g.pick("", " ", ",")
	case x < 6:
		return "EXCEPT " + part()
	case x < 9:
		return part() + g.pick(" EXCEPT", " except")
	case x < 27:
		return part() + except() + part()
	case x < 32:
		return part() + except() + part() + except() + part()
	default:
		s := part()
		if g.chance(0.1) {
			s = g.pick(" ", ",", "\t") + s + g.pick(" ", ",", "\t")
		}
		return s
	}
}

// --- daemon patterns ---

func (g *gen) daemonToken() string {
	if g.chance(0.15) {
		return g.daemonPattern() + "@" + g.serverHostPattern()
	}
	return g.daemonPattern()
}

func (g *gen) daemonPattern() string {
	d := g.req.daemon
	if g.chance(0.5) && d != "" {
		switch g.intn(8) {
		case 0, 1, 2:
			return d
		case 3:
			return g.randCase(d)
		case 4:
			if i := strings.IndexByte(d, '.'); i >= 0 {
				return d[:i+1]
			}
			return d
		case 5:
			if i := strings.LastIndexByte(d, '.'); i >= 0 {
				return d[i:]
			}
			return "." + d
		case 6:
			return g.wildcard(d)
		default:
			return d + "."
		}
	}
	return g.pick(
		"ALL", "ALL", "all", "KNOWN", "known", "UNKNOWN", "unknown", "sshd", "in.ftpd",
		"in.", "In.", ".d", ".telnetd", "*", "?", "s?h*", "*d", "in.*", "ftpd", "#",
		"0", "+0", "00", "-0", "-1", "22", "65535", "65536", "99999", "0022",
		"+65535", "4294967296", "18446744073709551615", "1a", "@ng", "@",
		"SCRATCH/hf", "portmap", "a*b?c", "EXCEPT1", "[sshd]", strings.Repeat("d", 127),
		strings.Repeat("d", 130),
	)
}

// serverHostPattern is the host part of daemon@host.
func (g *gen) serverHostPattern() string {
	var derived []string
	for _, a := range g.req.saddrs {
		derived = append(derived, g.addrPatterns(a)...)
	}
	for _, n := range g.req.snames {
		derived = append(derived, g.namePatterns(n)...)
	}
	if len(derived) > 0 && g.chance(0.5) {
		return g.pick(derived...)
	}
	return g.pick(
		"ALL", "LOCAL", "KNOWN", "UNKNOWN", "unknown", "PARANOID", "10.2.2.2",
		"10.2.", "10.2.2.0/24", "10.2.2.0/255.255.255.0", "127.0.0.1", "localhost",
		"[::1]", "[::1]/128", "@ng", g.hostFile(0), "*.2.2.2", "10.2.2.2/0",
	)
}

// --- client patterns ---

func (g *gen) clientToken() string {
	if g.chance(0.12) {
		return g.userPattern() + "@" + g.clientPattern()
	}
	return g.clientPattern()
}

func (g *gen) userPattern() string {
	if u := g.req.user; u != "" && g.chance(0.5) {
		switch g.intn(4) {
		case 0, 1:
			return u
		case 2:
			return g.randCase(u)
		default:
			return g.wildcard(u)
		}
	}
	return g.pick("ALL", "all", "KNOWN", "UNKNOWN", "unknown", "alice", "root", "a*", "?ob",
		"b.", ".d", "x|y", "a b")
}

func (g *gen) clientPattern() string {
	var derived []string
	for _, a := range g.req.addrs {
		derived = append(derived, g.addrPatterns(a)...)
	}
	for _, n := range g.req.names {
		derived = append(derived, g.namePatterns(n)...)
	}
	if len(derived) > 0 && g.chance(0.45) {
		return g.pick(derived...)
	}
	if g.chance(0.07) {
		return g.hostFile(0)
	}
	return g.pick(
		"ALL", "ALL", "all", "LOCAL", "local", "KNOWN", "Known", "UNKNOWN", "unknown",
		"PARANOID", "paranoid", "Paranoid",
		"10.", "127.", "192.168.", "1.", ".0.1", ".1", "10.0.0.1", "127.0.0.1",
		"10.0.0.0/255.0.0.0", "10.0.0.0/8", "10.0.0.0/0", "10.0.0.0/33",
		"10.0.0.0/255.255.255.255", "10.0.0.0/8abc", "10.0.0.1/8",
		"10.0.0.0/255.0.255.0", "0.0.0.0/0.0.0.0", "10/8", "10.0/16", "127.0.0.0/8",
		"0x0a.0.0.0/8", "10.0.0.1/32", "10.0.0.1/255.255.255.255", "127.0.0.1/32",
		"[::1]", "[::1]/128", "[2001:db8::]/32", "[2001:db8::]/0", "[::]/0",
		"[2001:db8::]/abc", "[::ffff:10.0.0.1]", "[2001:DB8::1]", "[fe80::]/10",
		"[::ffff:10.0.0.0]/104", "[10.0.0.1]", "[::1]/129",
		"@staff", "@", "*", "?*", "10.0.0.*", "*.0.0.1", "1?.0.0.1", "local*",
		"?ocalhost", "localhost", "LOCALHOST", "localhost.", "local.", ".localhost",
		"runsc", "vm", "example.com", ".example.com", "#", "EXCEPTx",
		"host1", "host1.example.com", "*.example.com", ".EXAMPLE.COM", "mixed.example.com",
		"multi.example.com", "canon8.example.com", "alias7", "we$ird;name", "v6host.example.com",
		"ip6-localhost", "10.0.0.10", "server.example.com", "host1.", "*.com", "?????.example.com",
		"SCRATCH/missing", "SCRATCH/b1", "/nonexistent/file", "::1",
	)
}

// addrPatterns returns host patterns derived from an address string.
func (g *gen) addrPatterns(a string) []string {
	ps := []string{a, a}
	if strings.Contains(a, ":") {
		ps = append(ps,
			"["+a+"]", "["+strings.ToUpper(a)+"]", "["+a+"]/64", "["+a+"]/128",
			"["+a+"]/0", "[2001:db8::]/32", "[::1]/128", g.wildcard(a), a+"/64",
		)
		return ps
	}
	parts := strings.Split(a, ".")
	if len(parts) != 4 {
		return append(ps, g.wildcard(a))
	}
	ps = append(ps,
		parts[0]+".", parts[0]+"."+parts[1]+".", "."+parts[3], "."+parts[2]+"."+parts[3],
		parts[0]+".0.0.0/255.0.0.0", parts[0]+".0.0.0/8",
		parts[0]+"."+parts[1]+"."+parts[2]+".0/24",
		parts[0]+"."+parts[1]+"."+parts[2]+".0/255.255.255.0",
		a+"/32", a+"/255.255.255.255", a+"/8", a+"/0", a+"/33",
		parts[0]+".0.0.0/8abc", parts[0]+".0.0.0/255.0.255.0",
		g.wildcard(a), "[::ffff:"+a+"]", "[::ffff:"+a+"]/128", "[::ffff:0.0.0.0]/96",
	)
	return ps
}

// namePatterns returns host patterns derived from a host name.
func (g *gen) namePatterns(n string) []string {
	ps := []string{n, n, g.randCase(n), g.wildcard(n), n + ".", "." + n, "LOCAL", "KNOWN"}
	if len(n) > 3 {
		ps = append(ps, n[:3]+".", "."+n[len(n)-3:])
	}
	if i := strings.IndexByte(n, '.'); i > 0 {
		ps = append(ps, n[i:], g.randCase(n[i:]), n[:i], n[:i+1], "*"+n[i:])
	}
	return ps
}

// hostFile writes a host-pattern file and returns a pattern naming it.
// Files only refer to files created after them, so there are no cycles.
func (g *gen) hostFile(depth int) string {
	if g.chance(0.1) {
		return g.pick("SCRATCH/missing", "SCRATCH/hostdir")
	}
	if g.chance(0.03) {
		g.setLink("hfloop", "hfloop")
		return "SCRATCH/hfloop"
	}
	if g.chance(0.05) {
		g.c.Dirs = appendUnique(g.c.Dirs, "hostdir")
		return "SCRATCH/hostdir"
	}
	name := fmt.Sprintf("hf%d", g.nfile)
	g.nfile++
	var b strings.Builder
	n := g.intn(5)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(g.pick(" ", "\n", "\t", "\n\n", " \n "))
		}
		switch {
		case depth < 2 && g.chance(0.15):
			b.WriteString(g.hostFile(depth + 1))
		case g.chance(0.1):
			b.WriteString(g.pick("#", "EXCEPT", "alice@ALL", "ALL@ALL", "# comment"))
		default:
			b.WriteString(g.clientPattern())
		}
	}
	if g.chance(0.8) {
		b.WriteString("\n")
	}
	g.c.Files[name] = b.String()
	return "SCRATCH/" + name
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// --- options ---

// options returns option text: fields separated by colons.
func (g *gen) options() string {
	n := 1 + g.intn(3)
	if g.chance(0.15) {
		n++
	}
	fields := make([]string, n)
	for i := range fields {
		fields[i] = g.optionField()
	}
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteString(g.pick(":", ": ", " : ", " :"))
		}
		b.WriteString(f)
	}
	switch x := g.intn(100); {
	case x < 3:
		b.WriteString(":") // field holding only the newline
	case x < 5:
		b.WriteString(": ")
	case x < 7:
		return g.pick(" ", "") + b.String()
	}
	return b.String()
}

// shortOptions returns options without % expansions (for long lines).
func (g *gen) shortOptions() string {
	return g.pick("allow", "deny", "severity auth.info", "umask 022", "nice", "keepalive",
		"spawn echo hi", "bogus", "linger 5")
}

// kv joins an option keyword and value with one of the accepted forms.
func (g *gen) kv(kw, val string) string {
	if g.chance(0.2) {
		kw = g.randCase(kw)
	}
	if val == "" {
		return kw
	}
	return kw + g.pick(" ", " ", "=", " = ", "\t", " =", "= ") + val
}

func (g *gen) optionField() string {
	switch x := g.intn(100); {
	case x < 9:
		return g.kv("allow", g.pick("", "", "", "", "x"))
	case x < 18:
		return g.kv("deny", g.pick("", "", "", "", "x"))
	case x < 28:
		return g.kv("spawn", g.pick(g.expandValue(), g.expandValue(), ""))
	case x < 35:
		return g.kv("twist", g.pick(g.expandValue(), g.expandValue(), ""))
	case x < 39:
		return g.kv("aclexec", g.pick(g.expandValue(), "/bin/false", ""))
	case x < 45:
		name := g.pick("FOO", "FOO", "BAR_1", "", "X")
		val := g.pick(g.expandValue(), "", "plain")
		if name == "" {
			return g.kv("setenv", val)
		}
		if val == "" {
			return g.kv("setenv", name)
		}
		return g.kv("setenv", name+g.pick(" ", "  ", "\t")+val)
	case x < 52:
		return g.kv("banners", g.banners())
	case x < 56:
		return g.kv("umask", g.pick("022", "0777", "0", "777", "08", "0888", "1000", "abc", "", "022x", "-1", "0022"))
	case x < 59:
		return g.kv("linger", g.pick("0", "10", "-1", "0x10", "5x", "", "99999999999", "+3"))
	case x < 62:
		return g.kv("nice", g.pick("", "5", "-5", "abc", "10x", "+3", "0"))
	case x < 65:
		return g.kv("keepalive", g.pick("", "", "1"))
	case x < 69:
		return g.kv("rfc931", g.pick("", "5", "0", "-1", "3x", "10", "+2", "0x5"))
	case x < 75:
		return g.kv("severity", g.pick("auth.info", "local7.err", "LOCAL7.ERR", "WARNING",
			"warning", "authpriv.info", "warn", "bogus1.bogus2", ".info", "auth.", "info",
			"crit", "daemon.notice", "user.debug", "mail.emerg", "kern.alert",
			"syslog.info", "ftp.info", "", "auth.info.x", "local0.panic", "news.error"))
	case x < 81:
		return g.kv("user", g.pick("root", "root", "root.root", "nosuchuser", "root.nosuchgroup",
			"nosuchuser.root", "root.", ".root", "", "0", "root.0", "nobody", "root.nogroup"))
	case x < 83:
		return g.kv("group", g.pick("root", "nogroup", "nosuchgroup", "", "0"))
	case x < 90:
		return g.pick("bogus", "spawnx", "allowed", "banner x", "=x", "", " ", "\t",
			"severity", "BOGUS=1", "%d", "user", "twist", "umask")
	default:
		// An escaped colon inside a value.
		return g.kv(g.pick("spawn", "twist", "setenv", "aclexec"), "A\\:B "+g.expandValue())
	}
}

// expandValue returns a short value with % sequences and shell junk.
func (g *gen) expandValue() string {
	var b strings.Builder
	n := 1 + g.intn(5)
	for i := 0; i < n; i++ {
		if i > 0 && g.chance(0.6) {
			b.WriteString(" ")
		}
		b.WriteString(g.pick(
			"echo", "/bin/true", "x", "hello", "%a", "%A", "%c", "%d", "%h", "%H", "%n",
			"%N", "%r", "%R", "%s", "%u", "%%", "%x", "%Z", "%%a", "\\:", ";", "$(id)",
			"|", "&", "'q'", "\"", "[x]", "%a%A", "%n%h%c", "FOO=%u", "/tmp/%d.log",
			"\\", "~",
		))
	}
	if g.chance(0.05) {
		b.WriteString("%") // % at end of text
	}
	return b.String()
}

var bannerTexts = []string{
	"Hello %d from %a\n",
	"\x00\x00lead NULs\nline2 %u\n",
	"no final LF %h",
	"[unbalanced\nnext]\n",
	"mid\x00NUL\nafter\n",
	"ok\n\x00starts with NUL\nend\n",
	"%x %% %\n",
	"a;$(x) %u\n",
	"",
	"%n %N %c %s %H %A %r %R\n",
	"a\r\nb\r\n",
	"plain banner\n",
	"\n\n",
	strings.Repeat("x", 2500) + " %d\n" + strings.Repeat("y", 2500) + "\n" + strings.Repeat("z", 1000) + "\n",
	strings.Repeat("long line without newline ", 200),
}

// banners returns a banners option value, creating what it points to.
func (g *gen) banners() string {
	switch x := g.intn(100); {
	case x < 65:
		d := g.req.daemon
		if d != "" && !strings.Contains(d, "/") && d != "." && d != ".." {
			if _, ok := g.c.Files["b1/"+d]; !ok {
				g.c.Files["b1/"+d] = g.pick(bannerTexts...)
			}
		}
		g.c.Dirs = appendUnique(g.c.Dirs, "b1")
		return g.pick("SCRATCH/b1", "SCRATCH/b1", "SCRATCH/b1/", "SCRATCH//b1")
	case x < 75:
		g.c.Dirs = appendUnique(g.c.Dirs, "b2")
		return "SCRATCH/b2"
	case x < 85:
		return "SCRATCH/nob"
	case x < 90:
		return "b1"
	default:
		return ""
	}
}
