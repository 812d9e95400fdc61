package main

import (
	"fmt"
	"io"
	"net/netip"
	"syscall"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
	"tcpwrap/internal/inetcf"
	"tcpwrap/internal/stdio"
)

// resolver is what tcpdchk needs from the name service: the verified name
// of an address (with tcpd's warnings) and a forward lookup with the
// canonical name, as getaddrinfo(AI_CANONNAME) gives them.
type resolver interface {
	access.NameLookup
	LookupHost(name string) (canonical string, addrs []netip.Addr, err error)
}

// env is tcpdchk's outside world.
type env struct {
	// names resolves host names and addresses; nil does no lookups (as
	// -n).
	names resolver
	// files reads the tables, /file patterns and banner files.
	files access.FileSystem
	// inetFS is what the inetd.conf analysis and the world-writable checks
	// look at.
	inetFS inetcf.FS
	// terminal: standard output is a terminal, so it is line-buffered as
	// C stdio would make it.
	terminal bool
	// newAccounts returns the checks of the user and group options for one
	// rule (see internal/dryrun).
	newAccounts func() access.Accounts
	// pid is what %p expands to.
	pid int
}

// usageText is Debian's usage message, byte for byte; -l and -n are
// documented in the manual page only.
const usageText = `usage: %s [-a] [-d] [-i inet_conf] [-v]
	-a: report rules with implicit "ALLOW" at end
	-d: use allow/deny files in current directory
	-i: location of inetd.conf file
	-v: list all rules
`

// Exit statuses.
const (
	exitOK    = 0
	exitUsage = 1 // also an -i file that cannot be opened, as in Debian
	exitError = 2 // the tables have errors
)

// flags are the parsed command line.
type flags struct {
	allowCheck bool   // -a
	cwd        bool   // -d
	inetConf   string // -i
	iflag      bool   // -i given: inetConf names the file, even when empty
	lint       bool   // -l
	noLookups  bool   // -n
	verbose    bool   // -v
}

// parseArgs reads the command line as glibc's getopt(3) does with
// "adi:lnv": options may be grouped and may follow operands, "--" ends
// them, and a long option such as "--foo" is read as the group of short
// options "-", "f", "o", "o" (Debian's tcpdchk has no long options). The
// first bad option is reported as getopt reports it; any operand is a
// usage error without a message.
func parseArgs(args []string, stderr io.Writer) (*flags, bool) {
	f := &flags{}
	prog := args[0]
	operands := 0
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands += len(args) - i - 1
			break
		}
		if len(a) < 2 || a[0] != '-' {
			operands++
			continue
		}
		for j := 1; j < len(a); j++ {
			switch c := a[j]; c {
			case 'a':
				f.allowCheck = true
			case 'd':
				f.cwd = true
			case 'l':
				f.lint = true
			case 'n':
				f.noLookups = true
			case 'v':
				f.verbose = true
			case 'i':
				f.iflag = true
				switch {
				case j+1 < len(a):
					f.inetConf = a[j+1:]
				case i+1 < len(args):
					i++
					f.inetConf = args[i]
				default:
					fmt.Fprintf(stderr, "%s: option requires an argument -- 'i'\n", prog)
					return nil, false
				}
				j = len(a)
			default:
				fmt.Fprintf(stderr, "%s: invalid option -- '%c'\n", prog, c)
				return nil, false
			}
		}
	}
	return f, operands == 0
}

func run(args []string, stdout, stderr io.Writer, e *env) int {
	if len(args) == 0 {
		args = []string{"tcpdchk"}
	}
	f, ok := parseArgs(args, stderr)
	if !ok {
		fmt.Fprintf(stderr, usageText, args[0])
		return exitUsage
	}
	out := &stdio.Stdout{W: stdout, Terminal: e.terminal}
	defer out.Flush()
	c := &checker{
		flags:  f,
		env:    e,
		out:    out,
		stdout: stdout,
		errw:   stderr,
		names:  e.names,
	}
	if f.noLookups {
		c.names = nil
	}

	// The inetd.conf analysis, with the REAL_DAEMON_DIR check first.
	// inetcf takes "" for "the default file, if it opens"; Debian opens
	// an empty -i name as it is, which fails.
	if f.iflag && f.inetConf == "" {
		c.line((&inetcf.OpenError{Path: "", Err: syscall.ENOENT}).Error())
		return exitUsage
	}
	table, warnings, err := inetcf.Scan(e.inetFS, f.inetConf, inetcf.DefaultDaemonDir)
	for _, w := range warnings {
		c.line(w)
	}
	if err != nil {
		out.Flush()
		c.line(err.Error())
		return exitUsage
	}
	// Debian registers the daemons that link libwrap themselves, so that
	// they never draw the inetd warnings.
	for _, name := range inetcf.DebianLibwrapped {
		table.Register(name, inetcf.Wrapped)
	}
	c.inetd = table
	if f.verbose {
		out.Printf("Using network configuration file: %s\n", table.Name())
	}

	allow, deny := hostsfile.AllowPath, hostsfile.DenyPath
	if f.cwd {
		allow, deny = "hosts.allow", "hosts.deny"
	}
	for _, p := range []string{allow, deny} {
		for _, w := range inetcf.CheckWorldWritable(e.inetFS, p) {
			c.line(w)
		}
	}

	c.checkTable(allow, access.Granted)
	c.checkTable(deny, access.Denied)
	if c.errors > 0 {
		return exitError
	}
	return exitOK
}
