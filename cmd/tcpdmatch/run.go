package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"syscall"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/dryrun"
	"tcpwrap/internal/inetcf"
	"tcpwrap/internal/stdio"
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
	// accounts are the credentials the user and group options leave
	// (Debian's tcpdmatch really takes them on: see internal/dryrun).
	accounts *dryrun.Accounts
	ifaces   interfaces
	// posixlyCorrect: POSIXLY_CORRECT is set (to anything, even ""), and
	// getopt stops at the first operand.
	posixlyCorrect bool
}

const usageText = `usage: %s [-d] [-i inet_conf] daemon[@host] [user@]host
	-d: use allow/deny files in current directory
	-i: location of inetd.conf file
`

// options are the parsed command line.
type options struct {
	dflag   bool
	iflag   bool // -i given: inetcf names the file, even when empty
	inetcf  string
	explain bool
	daemon  string
	client  string
}

// parseArgs reads the command line the way glibc's getopt does with
// "di:" (options may follow operands, unless posix: POSIXLY_CORRECT makes
// the first operand end the options), plus the long option --explain.
func parseArgs(args []string, posix bool, stderr io.Writer) (*options, bool) {
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
			if posix {
				operands = append(operands, args[i:]...)
				break
			}
			operands = append(operands, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			// getopt without long options reads "--x" as the option '-'.
			fmt.Fprintf(stderr, "%s: invalid option -- '-'\n", prog)
			return nil, false
		}
		for j := 1; j < len(a); j++ {
			switch a[j] {
			case 'd':
				o.dflag = true
			case 'i':
				o.iflag = true
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

	o, ok := parseArgs(args, e.posixlyCorrect, errw)
	if !ok {
		fmt.Fprintf(errw, usageText, args[0])
		return 1
	}
	out := &stdio.Stdout{W: w, Terminal: e.terminal}
	defer out.Flush()

	// daemon[@server]
	daemon, server, hasServer := access.SplitAt(o.daemon, '@')
	if !hasServer {
		server = access.Unknown
	}
	// Debian checks the real-daemon directory first, then reduces the
	// daemon name, then reads inetd.conf.
	for _, w := range inetcf.CheckDaemonDir(inetcf.OS{}, inetcf.DefaultDaemonDir) {
		errw.WriteString(w + "\n")
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

	// The inetd.conf analysis. inetcf takes "" for "the default file, if
	// it opens"; Debian opens an empty -i name as it is, which fails.
	if o.iflag && o.inetcf == "" {
		errw.WriteString((&inetcf.OpenError{Path: "", Err: syscall.ENOENT}).Error() + "\n")
		return 1
	}
	table, warnings, err := inetcf.ScanConf(inetcf.OS{}, o.inetcf, inetcf.DefaultDaemonDir)
	for _, w := range warnings {
		errw.WriteString(w + "\n")
	}
	if err != nil {
		errw.WriteString(err.Error() + "\n")
		return 1
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
	// Banners are read as whoever the user options have made Debian's
	// tcpdmatch by then.
	hooks := access.Hooks{
		Verbose:   true,
		Names:     e.names,
		Accounts:  e.accounts,
		BannerFS:  e.accounts.Files(hostsfile.OS{}),
		BannerOut: w,
	}
	printLog := func(f *access.Facts, from int) int {
		log := f.Log()
		for _, m := range log[from:] {
			errw.WriteString(m.Text + "\n")
		}
		return len(log)
	}

	// The server, when one was given: its name is looked up (and
	// verified) at once, and kept for every report block.
	if !access.EqualFold(server, access.Unknown) && !access.EqualFold(server, access.Paranoid) {
		addrs, ok := findInetAddr(e.names, e.ifaces, server, warn)
		if !ok {
			return 1
		}
		// Debian's tcpdmatch walks the list of addresses and is left
		// with the last one; that is the one it looks up.
		last := addrs[len(addrs)-1]
		text := numericHost(last, e.ifaces)
		sf := access.NewFacts(access.Request{Server: access.Endpoint{IP: last, Addr: text}}, hooks)
		name := sf.ServerName()
		printLog(sf, 0)
		if name == access.Unknown {
			warn("host address " + sf.ServerAddr() + "->name lookup failed")
		}
		if len(addrs) > 1 {
			fmt.Fprintf(errw, "Error: %s has more than one address\n", server)
			fmt.Fprintf(errw, "Please specify an address instead\n")
			return 1
		}
		req.Server = access.Endpoint{IP: last, Addr: text, Name: name}
	} else {
		req.Server.Name = server
	}

	policy := hostsfile.DefaultCache().ReadPolicy(allowPath, denyPath)
	// The warning context outlives a decision that an option ended (see
	// access.Facts.Context), as in Debian's tcpdmatch.
	ctx := ""
	decide := func(req access.Request, forceName bool) bool {
		f := access.NewFacts(req, hooks)
		f.SetContext(ctx)
		logged := 0
		if forceName {
			// Debian looks the client's name up (and verifies it) before
			// the report, and says so when there is none.
			name := f.ClientName()
			logged = printLog(f, logged)
			if name == access.Unknown {
				warnCtx(errw, f.Context(), "host address "+f.ClientAddr()+"->name lookup failed")
			}
		}
		ok := report(out, errw, policy, f, logged, o.explain)
		ctx = f.Context()
		return ok
	}

	switch {
	case numericOperand(client, e.ifaces):
		req.Client.Addr = client
		decide(req, false)
	case access.EqualFold(client, access.Unknown) || access.EqualFold(client, access.Paranoid):
		req.Client.Name = client
		decide(req, false)
	default:
		addrs, ok := findInetAddr(e.names, e.ifaces, client, func(text string) { warnCtx(errw, ctx, text) })
		if !ok {
			return 1
		}
		for i, a := range addrs {
			if i > 0 {
				out.Printf("\n")
			}
			r := req
			r.Client.IP, r.Client.Addr = a, numericHost(a, e.ifaces)
			if !decide(r, true) {
				break
			}
		}
	}
	return 0
}

func warnCtx(w io.Writer, ctx, text string) {
	fmt.Fprintf(w, "warning: %s%s\n", ctx, text)
}

// numericOperand reports whether the client operand is an address, which
// tcpdmatch takes as typed: a dotted quad, or an IPv6 literal with a
// scope getaddrinfo accepts (see parseInet6). Anything else is a name.
func numericOperand(host string, ifs interfaces) bool {
	if _, literal, ok := parseInet6(host, ifs); literal {
		return ok
	}
	return access.NumericAddress(host)
}

// findInetAddr is how tcpdmatch resolves a host operand: an address (in
// any inet_aton form, or IPv6) is taken as it is; an IPv6 literal with a
// bad scope is not found; a name is looked up, with warnings when it is
// not found or is an alias.
func findInetAddr(r resolver, ifs interfaces, host string, warn func(string)) ([]netip.Addr, bool) {
	if a, ok := access.InetAton(host); ok {
		return []netip.Addr{a}, true
	}
	if a, literal, ok := parseInet6(host, ifs); literal {
		if !ok {
			warn(host + ": host not found")
			return nil, false
		}
		return []netip.Addr{a}, true
	}
	canon, addrs, err := r.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		warn(host + ": host not found")
		return nil, false
	}
	if !access.EqualFold(canon, host) {
		warn(host + ": hostname alias")
		warn("(official name: " + canon + ")")
	}
	return addrs, true
}

// report prints one report block and the diagnostics of its decision. It
// returns false when the decision was aborted (tcp_wrappers exits then).
func report(out *stdio.Stdout, errw *bufio.Writer, p access.Policy, f *access.Facts, logged int, explain bool) bool {
	line := func(label, seq string) {
		v, _ := f.Expand(seq, access.MaxExpansion)
		if !access.EqualFold(v, access.Unknown) {
			out.Printf("%s%s\n", label, v)
		}
	}
	line("client:   hostname ", "%n")
	line("client:   address  ", "%a")
	line("client:   username ", "%u")
	line("server:   hostname ", "%N")
	line("server:   address  ", "%A")
	line("server:   process  ", "%d")
	// Diagnostics from the report lines themselves (lookups).
	for _, m := range f.Log()[logged:] {
		errw.WriteString(m.Text + "\n")
	}
	logged = len(f.Log())
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
	out.Printf("access:   %s\n", verdict)
	if explain {
		for _, s := range p.Explain(f, dec) {
			out.Printf("explain:  %s\n", s)
		}
	}
	return true
}
