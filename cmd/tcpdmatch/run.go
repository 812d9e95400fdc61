package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/user"

	"strconv"
	"strings"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/inetcf"
)

// resolver is what tcpdmatch needs from name service.
type resolver interface {
	access.NameLookup
	LookupHost(name string) (canonical string, addrs []netip.Addr, err error)
}

// env is tcpdmatch's outside world.
type env struct {
	names    resolver
	terminal bool // standard output is a terminal (line-buffered, as stdio)
	accounts access.Accounts
}

const usageText = `usage: %s [-d] [-i inet_conf] daemon[@host] [user@]host
	-d: use allow/deny files in current directory
	-i: location of inetd.conf file
`

// stdioBuffer is the block size of C stdio on a pipe or file: tcp_wrappers
// writes banners with write(2), past this buffer, so where a banner lands
// in the output depends on it.
const stdioBuffer = 4096

// stdout imitates C stdio in front of a writer that banners write to
// directly.
type stdout struct {
	w        io.Writer
	buf      []byte
	terminal bool
}

func (s *stdout) printf(format string, a ...any) {
	s.buf = fmt.Appendf(s.buf, format, a...)
	if s.terminal {
		if i := strings.LastIndexByte(string(s.buf), '\n'); i >= 0 {
			s.w.Write(s.buf[:i+1])
			s.buf = s.buf[i+1:]
		}
		return
	}
	for len(s.buf) >= stdioBuffer {
		s.w.Write(s.buf[:stdioBuffer])
		s.buf = s.buf[stdioBuffer:]
	}
}

func (s *stdout) flush() {
	s.w.Write(s.buf)
	s.buf = nil
}

// options are the parsed command line.
type options struct {
	dflag   bool
	inetcf  string
	explain bool
	daemon  string
	client  string
}

// parseArgs reads the command line the way glibc's getopt does with
// "di:" (options may follow operands), plus the long option --explain.
func parseArgs(args []string, stderr io.Writer) (*options, bool) {
	o := &options{}
	prog := args[0]
	var operands []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if a == "--explain" {
			o.explain = true
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			operands = append(operands, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			fmt.Fprintf(stderr, "%s: unrecognized option '%s'\n", prog, a)
			return nil, false
		}
		for j := 1; j < len(a); j++ {
			switch a[j] {
			case 'd':
				o.dflag = true
			case 'i':
				if j+1 < len(a) {
					o.inetcf = a[j+1:]
				} else if i+1 < len(args) {
					i++
					o.inetcf = args[i]
				} else {
					fmt.Fprintf(stderr, "%s: option requires an argument -- 'i'\n", prog)
					return nil, false
				}
				j = len(a)
			default:
				fmt.Fprintf(stderr, "%s: invalid option -- '%c'\n", prog, a[j])
				return nil, false
			}
		}
	}
	if len(operands) != 2 {
		return nil, false
	}
	o.daemon, o.client = operands[0], operands[1]
	return o, true
}

func run(args []string, w, stderr io.Writer, e *env) int {
	errw := bufio.NewWriter(stderr)
	defer errw.Flush()
	warn := func(text string) { fmt.Fprintf(errw, "warning: %s\n", text) }

	o, ok := parseArgs(args, errw)
	if !ok {
		fmt.Fprintf(errw, usageText, args[0])
		return 1
	}
	out := &stdout{w: w, terminal: e.terminal}
	defer out.flush()

	// daemon[@server]
	daemon, server, hasServer := access.SplitAt(o.daemon, '@')
	if !hasServer {
		server = access.Unknown
	}
	if strings.HasPrefix(daemon, "/") {
		base := daemon[strings.LastIndexByte(daemon, '/')+1:]
		warn(daemon + ": daemon name normalized to: " + base)
		daemon = base
	}
	// [user@]client
	userName, client := access.Unknown, o.client
	if u, c, ok := access.SplitAt(o.client, '@'); ok {
		userName, client = u, c
	}

	// The inetd.conf analysis.
	table, warnings, err := inetcf.Scan(inetcf.OS{}, o.inetcf, "/usr/sbin")
	if err != nil {
		errw.WriteString(err.Error() + "\n")
		return 1
	}
	for _, w := range warnings {
		errw.WriteString(w + "\n")
	}
	for _, name := range inetcf.TcpdmatchNotWrapped {
		table.Register(name, inetcf.NotWrapped)
	}
	if msg := table.CheckDaemon(daemon); msg != "" {
		errw.WriteString(msg + "\n")
	}

	allowPath, denyPath := hostsfile.AllowPath, hostsfile.DenyPath
	if o.dflag {
		allowPath, denyPath = "hosts.allow", "hosts.deny"
	}
	for _, p := range []string{allowPath, denyPath} {
		for _, w := range inetcf.CheckWorldWritable(inetcf.OS{}, p) {
			errw.WriteString(w + "\n")
		}
	}

	req := access.Request{Daemon: daemon, User: userName, PID: os.Getpid()}

	// The server, when one was given.
	if !strings.EqualFold(server, access.Unknown) && !strings.EqualFold(server, access.Paranoid) {
		addrs, ok := findInetAddr(e.names, server, warn)
		if !ok {
			return 1
		}
		if len(addrs) > 1 {
			fmt.Fprintf(errw, "Error: %s has more than one address\n", server)
			fmt.Fprintf(errw, "Please specify an address instead\n")
			return 1
		}
		req.Server.IP = addrs[0]
	} else {
		req.Server.Name = server
	}

	policy := hostsfile.ReadPolicy(allowPath, denyPath)
	hooks := access.Hooks{
		Names:     e.names,
		Accounts:  e.accounts,
		BannerFS:  hostsfile.OS{},
		BannerOut: w,
	}
	decide := func(req access.Request) bool {
		f := access.NewFacts(req, hooks)
		ok := report(out, errw, policy, f, o.explain)
		return ok
	}

	switch {
	case access.NumericAddress(client):
		req.Client.Addr = client
		decide(req)
	case strings.EqualFold(client, access.Unknown) || strings.EqualFold(client, access.Paranoid):
		req.Client.Name = client
		decide(req)
	default:
		addrs, ok := findInetAddr(e.names, client, warn)
		if !ok {
			return 1
		}
		for i, a := range addrs {
			if i > 0 {
				out.printf("\n")
			}
			r := req
			r.Client.IP = a
			if !decide(r) {
				break
			}
		}
	}
	return 0
}

// findInetAddr is how tcpdmatch resolves a host operand: an address is
// looked up in reverse only to warn when that fails; a name is looked up
// forward, with warnings when it is not found or is an alias.
func findInetAddr(r resolver, host string, warn func(string)) ([]netip.Addr, bool) {
	if access.NumericAddress(host) {
		a, err := netip.ParseAddr(host)
		if err != nil {
			// inet_addr forms netip does not take (octal, hex parts).
			a = parseInetAddr(host)
		}
		if name, _ := r.HostName(a); name == access.Unknown {
			warn("host address " + a.String() + "->name lookup failed")
		}
		return []netip.Addr{a}, true
	}
	canon, addrs, err := r.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		warn(host + ": host not found")
		return nil, false
	}
	if !strings.EqualFold(canon, host) {
		warn(host + ": hostname alias")
		warn("(official name: " + canon + ")")
	}
	return addrs, true
}

func parseInetAddr(s string) netip.Addr {
	var b [4]byte
	parts := strings.Split(s, ".")
	for i := 0; i < 4 && i < len(parts); i++ {
		v, _ := strconv.ParseUint(parts[i], 0, 8)
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b)
}

// report prints one report block and the diagnostics of its decision. It
// returns false when the decision was aborted (tcp_wrappers exits then).
func report(out *stdout, errw *bufio.Writer, p access.Policy, f *access.Facts, explain bool) bool {
	line := func(label, seq string) {
		v, _ := f.Expand(seq, access.MaxExpansion)
		if !strings.EqualFold(v, access.Unknown) {
			out.printf("%s%s\n", label, v)
		}
	}
	line("client:   hostname ", "%n")
	line("client:   address  ", "%a")
	line("client:   username ", "%u")
	line("server:   hostname ", "%N")
	line("server:   address  ", "%A")
	d, _ := f.Expand("%d", access.MaxExpansion)
	out.printf("server:   process  %s\n", d)
	// Diagnostics from the report lines themselves (lookups).
	logged := len(f.Log())
	for _, m := range f.Log() {
		errw.WriteString(m.Text + "\n")
	}
	// The banners option writes straight to the output, past stdio.
	dec := p.Decide(f)
	for _, m := range dec.Log[logged:] {
		errw.WriteString(m.Text + "\n")
	}
	if dec.Reason == access.ReasonAborted {
		return false
	}
	verdict := dec.Verdict.String()
	if dec.Delegated {
		verdict = "delegated"
	}
	out.printf("access:   %s\n", verdict)
	if explain {
		for _, s := range p.Explain(f, dec) {
			out.printf("explain:  %s\n", s)
		}
	}
	return true
}

// dryRunAccounts checks the user and group options as Debian's tcpdmatch
// would find them when it really switched its own credentials (it does,
// by a defect), without switching: the same verdict and the same error
// text, but this process keeps its identity.
type dryRunAccounts struct {
	uid int
	gid int
}

func newDryRunAccounts() *dryRunAccounts {
	return &dryRunAccounts{uid: os.Geteuid(), gid: os.Getegid()}
}

type accountError string

func (e accountError) Error() string { return string(e) }

func (a *dryRunAccounts) Group(name string) error {
	g, err := user.LookupGroup(name)
	if err != nil {
		return accountError(`unknown group: "` + name + `"`)
	}
	gid, _ := strconv.Atoi(g.Gid)
	if a.uid != 0 && gid != a.gid {
		return accountError("setgid(" + name + "): Operation not permitted")
	}
	a.gid = gid
	return nil
}

func (a *dryRunAccounts) User(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return accountError(`unknown user: "` + name + `"`)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if a.uid != 0 && uid != a.uid {
		return accountError("setuid(" + name + "): Operation not permitted")
	}
	a.uid = uid
	if a.uid != 0 && gid != a.gid {
		return accountError("setgid(" + name + "): Operation not permitted")
	}
	a.gid = gid
	return nil
}
