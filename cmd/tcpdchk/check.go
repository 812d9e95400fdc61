package main

import (
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/inetcf"
	"tcpwrap/internal/stdio"
)

// checker examines the tables as Debian's tcpdchk does: every rule of
// hosts.allow, then of hosts.deny, with the same checks, texts and order.
//
// Debian behaviour deliberately not copied (see DIFFERENCES FROM DEBIAN in
// man/tcpdchk.8):
//
//   - The /file strtok clash (case F05): Debian's checker reads a /file
//     pattern's file with strtok(3), which destroys the tokenizer state of
//     the client list being checked, so the rest of that list is never
//     checked. Here every word of the list is checked.
//   - CR is not a list separator in Debian's checker (its tokenizer lacks
//     it, unlike the matcher's), so a CRLF table gives words such as
//     "sshd\r". Here the lists are the shared parser's, exactly what the
//     matcher sees.
//   - The user and group options (case F07): Debian's checker really
//     changes its own credentials (the "initgroups" patch inverted the
//     dry-run test) and may then be unable to read the remaining files.
//     Here each rule's verdict is decided by a simulation
//     (internal/dryrun) and this process never changes its credentials.
//   - An over-long %-expansion makes Debian's checker sleep 5 s and exit;
//     here the rule counts as an error and checking goes on.
//   - Words of a /file pattern are the matcher's words (split at white
//     space); Debian's checker cuts lines into 8191-byte pieces and
//     counts each piece as a line.
type checker struct {
	*flags
	env    *env
	out    *stdio.Stdout // the listing (-v)
	stdout io.Writer     // raw standard output, for the banners option
	errw   io.Writer     // diagnostics
	names  resolver      // nil: no lookups (-n)
	inetd  *inetcf.Table

	ctx    string // "FILE, line N: " for diagnostics
	errors int    // errors found: they make the exit status 2

	// open lists the /file patterns being checked, so that a file that
	// names itself is read once.
	open map[string]bool

	// For the lint: rules whose client list always matches, which can
	// shadow later rules; those of hosts.allow without aclexec also
	// shadow rules of hosts.deny.
	allowShadows []*access.Rule
	shadows      []*access.Rule
	// bareHead is the client word that starts a bare IPv6 address in the
	// rule being checked (it gets the bare-address lint only).
	bareHead string
}

// line writes one line of diagnostics.
func (c *checker) line(s string) { io.WriteString(c.errw, s+"\n") }

func (c *checker) warn(text string) { c.line("warning: " + c.ctx + text) }

// checkTable checks one table. A table that does not exist is skipped
// silently and a directory reads as an empty table, as fopen(3) and
// fgets(3) make them in Debian's tcpdchk.
func (c *checker) checkTable(path string, defl access.Verdict) {
	c.ctx = ""
	data, err := c.env.files.ReadFile(path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return
		case errors.Is(err, syscall.EISDIR):
			data = nil
		default:
			c.warn("cannot open " + path + ": " + access.Strerror(err))
			c.errors++
			return
		}
	}
	t := access.Parse(data, path, access.ParseOptions{Files: c.env.files, Checker: true, Zones: hostsfile.InterfaceExists})
	c.shadows = nil
	for _, it := range t.Items() {
		c.ctx = path + ", line " + strconv.Itoa(it.Line) + ": "
		if it.Rule == nil {
			// "missing newline or line too long", `missing ":" separator`
			c.warn(it.Warning)
			c.errors++
			continue
		}
		c.checkRule(it.Rule, defl)
	}
	c.ctx = ""
	if defl == access.Granted {
		for _, r := range c.shadows {
			if !r.HasAclExec() {
				c.allowShadows = append(c.allowShadows, r)
			}
		}
	}
}

// checkRule checks one rule and, with -v, lists it.
func (c *checker) checkRule(r *access.Rule, defl access.Verdict) {
	c.bareHead = ""
	if c.lint {
		if b, ok := r.BareIPv6(); ok {
			c.bareHead, _, _ = strings.Cut(b.Addr, ":")
		}
	}
	if c.verbose {
		c.out.Printf("\n>>> Rule %s line %d:\n", r.File, r.Line)
		c.out.Printf("daemons:  %s\n", strings.Join(r.Daemons(), " "))
	}
	c.checkDaemonList(r.Daemons())
	if c.verbose {
		c.out.Printf("clients:  %s\n", strings.Join(r.Clients(), " "))
	}
	c.checkClientList(r.Clients())
	verdict := c.checkOptions(r, defl)
	if c.lint {
		c.lintRule(r)
	}
	if c.verbose {
		c.out.Printf("access:   %s\n", verdict)
	}
}

func isExcept(tok string) bool { return access.EqualFold(tok, "EXCEPT") }

// checkDaemonList criticises a daemon list.
func (c *checker) checkDaemonList(words []string) {
	n := 0
	for _, tok := range words {
		if isExcept(tok) {
			n = 0
			continue
		}
		n++
		name := tok
		if d, h, ok := access.SplitAt(tok[1:], '@'); ok {
			name = tok[:1] + d
			if c.checkHost(h, tok) > 1 {
				c.warn("host " + h + " has more than one address")
				c.warn("(consider using an address instead)")
			}
		}
		c.checkDaemon(name)
	}
	if n == 0 {
		c.warn("daemon list is empty or ends in EXCEPT")
	}
}

// checkClientList criticises a client list. Unlike Debian's checker, it
// checks the whole list even after a /file pattern (case F05).
func (c *checker) checkClientList(words []string) {
	n := 0
	for _, tok := range words {
		if isExcept(tok) {
			n = 0
			continue
		}
		n++
		if u, h, ok := access.SplitAt(tok[1:], '@'); ok {
			c.checkUser(tok[:1] + u)
			c.checkHost(h, tok)
		} else {
			c.checkHost(tok, tok)
		}
	}
	if n == 0 {
		c.warn("client list is empty or ends in EXCEPT")
	}
}

// reserved reports the words tcp_wrappers reserves.
func reserved(pat string) bool {
	for _, w := range []string{access.Unknown, "KNOWN", access.Paranoid, "ALL", "LOCAL"} {
		if access.EqualFold(pat, w) {
			return true
		}
	}
	return false
}

func (c *checker) failWarning() {
	c.warn("FAIL is no longer recognized")
	c.warn("(use EXCEPT or DENY instead)")
}

// checkName gives the warnings daemon and user patterns share (kind is
// "daemon" or "user"; KNOWN is a keyword for users only). It reports
// whether the pattern is an ordinary name that needs checking further.
func (c *checker) checkName(pat, kind string) bool {
	switch {
	case pat[0] == '@':
		c.warn(pat + ": " + kind + ` name begins with "@"`)
	case pat[0] == '/':
		c.warn(pat + ": " + kind + ` name begins with "/"`)
	case pat[0] == '.':
		c.warn(pat + ": " + kind + " name begins with dot")
	case pat[len(pat)-1] == '.':
		c.warn(pat + ": " + kind + " name ends in dot")
	case access.EqualFold(pat, "ALL"), access.EqualFold(pat, access.Unknown),
		kind == "user" && access.EqualFold(pat, "KNOWN"):
	case access.EqualFold(pat, "FAIL"):
		c.failWarning()
	case reserved(pat):
		c.warn(pat + ": " + kind + " name may be reserved word")
	default:
		return true
	}
	return false
}

// checkDaemon criticises a daemon pattern (without its @host part).
func (c *checker) checkDaemon(pat string) {
	// Each name is reported once: it counts as wrapped afterwards.
	if c.checkName(pat, "daemon") {
		if msg := c.inetd.Diagnose(pat); msg != "" {
			c.warn(msg)
			c.inetd.Register(pat, inetcf.Wrapped)
		}
	}
}

// checkUser criticises the user part of user@host.
func (c *checker) checkUser(pat string) { c.checkName(pat, "user") }

// checkHost criticises a host pattern and returns the number of addresses
// it stands for (0 when a name is not found; 1 when not looked up).
// token is the list word it came from, for the lint.
func (c *checker) checkHost(pat, token string) int {
	info := access.ExamineHost(pat)
	count := 1
	switch {
	case pat == "":
		// "user@" or "daemon@": Debian looks up the empty name.
		count = c.checkDNS(pat)
	case info.Class == access.HostNetgroup:
		// There is no NIS here, and the matcher knows no netgroup.
		c.warn(pat[1:] + ": unknown or empty netgroup")
	case info.Class == access.HostFile:
		c.checkFile(pat)
	case info.Class == access.HostNetmask:
		if !info.NetmaskValid {
			c.warn(pat + ": bad net/mask pattern")
		}
	case access.EqualFold(pat, "FAIL"):
		c.failWarning()
	case reserved(pat):
	case info.IPv6:
	case !info.Numeric:
		switch {
		case pat[len(pat)-1] == '.':
			c.warn(pat + ": domain or host name ends in dot")
		case pat[0] != '.':
			count = c.checkDNS(pat)
		}
	default:
		switch {
		case pat == "0.0.0.0" || pat == "255.255.255.255":
		case pat[0] == '.':
			c.warn(pat + ": network number begins with dot")
		case pat[len(pat)-1] != '.':
			c.checkDNS(pat) // Debian keeps the count at 1 here
		}
	}
	if c.lint {
		c.lintHost(pat, token, info)
	}
	return count
}

// checkFile checks each word of a /file pattern's file as a host pattern,
// with the file's own name and line as context.
func (c *checker) checkFile(path string) {
	data, err := c.env.files.ReadFile(path)
	if err != nil {
		// fopen(3) opens a directory, which then reads as empty.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.EISDIR) {
			c.warn("open " + path + ": " + access.Strerror(err))
		}
		return
	}
	if c.open[path] {
		return // the file names itself: it is being checked already
	}
	if c.open == nil {
		c.open = map[string]bool{}
	}
	c.open[path] = true
	defer delete(c.open, path)
	saved := c.ctx
	for _, w := range access.FileWords(data) {
		c.ctx = path + ", line " + strconv.Itoa(w.Line) + ": "
		c.checkHost(w.Text, w.Text)
	}
	c.ctx = saved
}

// checkDNS gives a host name or address a thorough workout, as Debian's
// check_dns does, and returns its number of addresses: the name is looked
// up (warning when it is not found or is an alias), and then each address
// is looked up in reverse and verified (warning when that fails). With -n
// nothing is looked up and 1 is returned.
func (c *checker) checkDNS(host string) int {
	if c.names == nil {
		return 1
	}
	canonical, addrs, err := c.names.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		c.warn(host + ": host not found")
		return 0
	}
	if !access.EqualFold(host, canonical) {
		c.warn(host + ": hostname alias")
		c.warn("(official name: " + truncate(canonical, 128) + ")")
	}
	for _, a := range addrs {
		name, warnings := c.names.HostName(a)
		for _, w := range warnings {
			c.warn(w)
		}
		if access.EqualFold(name, access.Unknown) {
			c.warn("host address " + a.String() + "->name lookup failed")
		}
	}
	return len(addrs)
}

// checkOptions runs the rule's options in dry-run mode with the made-up
// request and returns the rule's verdict: the table's default unless an
// allow or deny option settles it; an option error denies.
func (c *checker) checkOptions(r *access.Rule, defl access.Verdict) access.Verdict {
	implicit := func() {
		if c.allowCheck {
			c.warn(`implicit "allow" at end of rule`)
		}
	}
	if !r.HasOptions {
		if defl == access.Granted {
			implicit()
		}
		return defl
	}
	f := access.NewFacts(fakeRequest(c.env.pid), access.Hooks{
		Verbose:   true,
		Accounts:  c.env.newAccounts(),
		BannerFS:  c.env.files,
		BannerOut: c.stdout,
	})
	d := r.RunOptions(f)
	for _, m := range d.Log {
		if m.Level == access.LevelDebug && !c.verbose {
			continue
		}
		c.line(m.Text)
	}
	switch d.Reason {
	case access.ReasonAllowOption:
		return access.Granted
	case access.ReasonDenyOption:
		return access.Denied
	case access.ReasonOptionError, access.ReasonAborted:
		c.errors++
		return access.Denied
	}
	// twist ends the dry run: no implicit allow, and the default stands.
	if !d.Delegated && defl == access.Granted {
		implicit()
	}
	return defl
}

// fakeRequest is the arbitrary request Debian's tcpdchk checks options
// with: every expansion gives a placeholder (%a is client_addr, %h
// client_hostname, %u user_name, %d daemon_name), and nothing is looked
// up.
func fakeRequest(pid int) access.Request {
	return access.Request{
		Daemon: "daemon_name",
		Client: access.Endpoint{Name: "client_hostname", Addr: "client_addr"},
		Server: access.Endpoint{Name: "server_hostname", Addr: "server_addr"},
		User:   "user_name",
		PID:    pid,
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
