package access

import (
	"io"
	"net/netip"
	"strconv"
	"tcpwrap/options"
	"time"
)

// maxString is the longest daemon name, user name, host name or address
// that tcp_wrappers keeps (a 128-byte field); longer values are truncated.
const maxString = 127

func truncate(s string) string {
	if len(s) > maxString {
		return s[:maxString]
	}
	return s
}

// Endpoint is one end of a connection, as far as it is known.
//
// The zero Endpoint is an endpoint about which nothing is known: its
// address and name are both "unknown".
type Endpoint struct {
	// IP is the endpoint's socket address. When it is valid, the
	// endpoint's name can be looked up (through Hooks.Names) and numeric
	// daemon patterns compare Port; when it is the zero Addr, neither is
	// possible.
	IP   netip.Addr
	Port uint16
	// Addr is the numeric address as text. Empty means IP.String() when IP
	// is valid, and "unknown" otherwise. tcpdmatch sets it to the operand
	// exactly as typed.
	Addr string
	// Name is the host name when it is already known; it may be "unknown"
	// or "paranoid". Empty means: look it up when a pattern needs it.
	Name string
}

// Request is what a decision is about.
type Request struct {
	// Daemon is the daemon (process) name. Debian's tcp_wrappers takes an
	// empty name as it is (it matches KNOWN and expands to nothing).
	Daemon string
	// Client and Server are the two ends of the connection.
	Client, Server Endpoint
	// User is the client user name. Empty means: ask the ident service
	// (Hooks.Ident) when a pattern, option or expansion needs it.
	User string
	// Datagram marks a datagram (UDP) service: no ident lookups.
	Datagram bool
	// PID is the process id that %p expands to.
	PID int
}

// NameLookup finds the verified host name of an address, as tcp_wrappers
// does for a socket: the name, or "unknown" when there is none, or
// "paranoid" when the name and address do not agree. Warnings are message
// texts without the "warning: " prefix.
type NameLookup interface {
	HostName(addr netip.Addr) (name string, warnings []string)
}

// IdentLookup asks the client's RFC 1413 service who owns the connection.
// It returns "unknown" on any failure.
type IdentLookup interface {
	User(client, server netip.AddrPort, timeout time.Duration) string
}

// Netgroups answers NIS netgroup membership questions.
type Netgroups interface {
	InNetgroup(group, host string) bool
}

// Accounts checks the user and group named by the user and group options.
// A non-nil error denies the request; its text is logged after "error: ".
type Accounts interface {
	User(name string) error
	Group(name string) error
}

// UserGroupAccounts is Accounts that also checks the user option with a
// group part ("user name.group") as one step. tcpd then switches to the
// group and afterwards only to the user's uid (no initgroups), which a
// Group then User check cannot tell from "group g: user name". When
// Hooks.Accounts has UserGroup, the decision calls it for that form.
type UserGroupAccounts interface {
	Accounts
	UserGroup(name, group string) error
}

// Hooks are the decision's only ways to learn more than the Request says.
// Every field may be nil: a nil Names leaves host names "unknown", a nil
// Ident leaves user names "unknown", a nil Netgroups matches no netgroup, a
// nil Accounts accepts every user and group, and a nil AclExec treats every
// aclexec command as having succeeded (the dry run of tcpdmatch).
type Hooks struct {
	Names     NameLookup
	Ident     IdentLookup
	Netgroups Netgroups
	Accounts  Accounts
	// AclExec runs an aclexec command and reports whether it exited 0.
	AclExec func(cmd string) (ok bool, warnings []string)
	// Verbose adds the "matched:" and "option:" records (LevelDebug) to
	// the decision's log, as tcpdmatch and tcpdchk show them.
	Verbose bool
	// BannerFS and BannerOut carry out the banners option while the rule
	// is processed, as tcp_wrappers does: the file DIR/DAEMON is read from
	// BannerFS and written, expanded, to BannerOut (the
	// client's socket in tcpd, standard output in tcpdmatch). Either nil:
	// banners are only reported as an Action.
	BannerFS  FileSystem
	BannerOut io.Writer
}

// DefaultIdentTimeout is the ident timeout when no rfc931 option sets one.
const DefaultIdentTimeout = 10 * time.Second

// host is the memoised state of one endpoint.
type host struct {
	ep      Endpoint
	addr    string
	addrSet bool
	name    string
	nameSet bool
}

// Facts is the memoised state of one request while it is decided: what has
// been looked up so far, the diagnostics so far. Lookups happen lazily,
// at most once each, in the order the rules need them, as in tcp_wrappers;
// expansions sanitise the cached values in place, so later log lines show
// the sanitised form.
//
// A Facts is used by one goroutine at a time.
type Facts struct {
	hooks    Hooks
	daemon   string
	client   host
	server   host
	user     string
	userSet  bool
	reqUser  string
	datagram bool
	pid      int

	identTimeout time.Duration
	ctx          warnCtx // "FILE, line N: " while a table is scanned
	verbose      bool
	log          []Message
	aclexecFail  bool
}

// NewFacts starts the state of a request.
func NewFacts(req Request, hooks Hooks) *Facts {
	f := new(Facts)
	f.reset(req, hooks)
	return f
}

func (f *Facts) reset(req Request, hooks Hooks) {
	log := f.log[:0]
	*f = Facts{
		hooks:        hooks,
		daemon:       truncate(req.Daemon),
		client:       newHost(req.Client),
		server:       newHost(req.Server),
		reqUser:      truncate(req.User),
		datagram:     req.Datagram,
		pid:          req.PID,
		identTimeout: DefaultIdentTimeout,
		verbose:      hooks.Verbose,
		log:          log,
	}
	if f.reqUser != "" {
		f.user, f.userSet = f.reqUser, true
	}
}

func newHost(ep Endpoint) host {
	h := host{ep: ep}
	if ep.Name != "" {
		h.name, h.nameSet = truncate(ep.Name), true
	}
	return h
}

// Level is the syslog severity of a diagnostic message.
type Level uint8

const (
	LevelError Level = iota // warnings and errors: syslog "err"
	LevelInfo               // "aclexec returned 1"
	LevelDebug              // "matched:" and "option:" records (verbose mode only)
)

// Message is one diagnostic, with the text exactly as tcp_wrappers logs it
// (for example "warning: hosts.allow, line 3: missing \":\" separator").
type Message struct {
	Level Level
	Text  string
}

func (f *Facts) warn(text string) {
	f.log = append(f.log, Message{LevelError, "warning: " + f.ctx.String() + text})
}

func (f *Facts) fail(text string) {
	f.log = append(f.log, Message{LevelError, "error: " + f.ctx.String() + text})
}

func (f *Facts) debug(text string) {
	f.log = append(f.log, Message{LevelDebug, text})
}

// Context returns the "FILE, line N: " prefix that warnings get now. After
// an option settled a decision at once (allow, deny, an error), Debian's
// tcp_wrappers leaves the rule's context in place for every later warning
// of the process; programs that make several decisions carry it over with
// SetContext.
func (f *Facts) Context() string { return f.ctx.String() }

// SetContext sets the prefix later warnings get (see Context).
func (f *Facts) SetContext(ctx string) { f.ctx = warnCtx{raw: ctx} }

// warnCtx is where a warning comes from: a file and line (rendered only
// when a warning is given) or a prefix set by SetContext.
type warnCtx struct {
	file string
	line int
	raw  string
	at   bool // file and line are set
}

func ctxAt(file string, line int) warnCtx { return warnCtx{file: file, line: line, at: true} }

func (c warnCtx) String() string {
	if c.at {
		return c.file + ", line " + strconv.Itoa(c.line) + ": "
	}
	return c.raw
}

// Log returns the diagnostics so far, in order.
func (f *Facts) Log() []Message { return f.log }

// Daemon returns the daemon name.
func (f *Facts) Daemon() string { return f.daemon }

func (f *Facts) hostAddr(h *host) string {
	if !h.addrSet {
		h.addrSet = true
		switch {
		case h.ep.Addr != "":
			h.addr = truncate(h.ep.Addr)
		case h.ep.IP.IsValid():
			h.addr = truncate(h.ep.IP.String())
		default:
			h.addr = Unknown
		}
	}
	return h.addr
}

func (f *Facts) hostName(h *host) string {
	if !h.nameSet {
		h.nameSet = true
		h.name = Unknown
		if h.ep.IP.IsValid() && f.hooks.Names != nil {
			name, warnings := f.hooks.Names.HostName(h.ep.IP.Unmap())
			for _, w := range warnings {
				f.warn(w)
			}
			if name != "" {
				h.name = truncate(name)
			}
		}
	}
	return h.name
}

// hostInfo is the name when a lookup has already produced a real one, and
// the address otherwise; it never causes a lookup.
func (f *Facts) hostInfo(h *host) *string {
	if h.nameSet && hostnameKnown(h.name) {
		return &h.name
	}
	f.hostAddr(h)
	return &h.addr
}

// User returns the client user name, asking the ident service if needed.
func (f *Facts) User() string {
	if !f.userSet {
		f.userSet = true
		f.user = Unknown
		c, s := f.client.ep, f.server.ep
		if !f.datagram && f.hooks.Ident != nil && c.IP.IsValid() && s.IP.IsValid() && c.IP.Is4() == s.IP.Is4() {
			if u := f.hooks.Ident.User(netip.AddrPortFrom(c.IP, c.Port), netip.AddrPortFrom(s.IP, s.Port), f.identTimeout); u != "" {
				f.user = truncate(u)
			}
		}
	}
	return f.user
}

// Endpoints returns the request's client and server endpoints as given.
func (f *Facts) Endpoints() (client, server Endpoint) { return f.client.ep, f.server.ep }

// KnownClientName returns the client's host name if it has been looked up
// (or was given), without looking it up.
func (f *Facts) KnownClientName() (name string, ok bool) { return f.client.name, f.client.nameSet }

// KnownUser returns the client user name if it has been asked for (or was
// given), without asking.
func (f *Facts) KnownUser() (user string, ok bool) { return f.user, f.userSet }

// ClientAddr is %a: the client address, or "unknown".
func (f *Facts) ClientAddr() string { return f.hostAddr(&f.client) }

// ServerAddr is %A.
func (f *Facts) ServerAddr() string { return f.hostAddr(&f.server) }

// ClientName is %n: the client host name, looked up if needed.
func (f *Facts) ClientName() string { return f.hostName(&f.client) }

// ServerName is %N.
func (f *Facts) ServerName() string { return f.hostName(&f.server) }

// ClientInfo is %c: user@host when a user name is already known, else the
// host name when already known, else the address. It causes no lookups.
func (f *Facts) ClientInfo() string {
	info := *f.hostInfo(&f.client)
	if f.userSet && f.user != "" && !options.EqualFold(f.user, Unknown) {
		return f.user + "@" + info
	}
	return info
}

// ServerInfo is %s: daemon@host when anything is known about the server
// host, else the daemon name.
func (f *Facts) ServerInfo() string {
	info := *f.hostInfo(&f.server)
	if !options.EqualFold(info, Unknown) {
		return f.Daemon() + "@" + info
	}
	return f.Daemon()
}

// value returns the expansion of %c and, when the expansion is the cached
// value itself, a pointer to it so that sanitising can change it in place.
func (f *Facts) value(c byte) (string, *string, bool) {
	switch c {
	case 'a':
		f.hostAddr(&f.client)
		return "", &f.client.addr, true
	case 'A':
		f.hostAddr(&f.server)
		return "", &f.server.addr, true
	case 'c':
		if f.userSet && f.user != "" && !options.EqualFold(f.user, Unknown) {
			return f.ClientInfo(), nil, true
		}
		return "", f.hostInfo(&f.client), true
	case 'd':
		return "", &f.daemon, true
	case 'h':
		return "", f.hostInfo(&f.client), true
	case 'H':
		return "", f.hostInfo(&f.server), true
	case 'n':
		f.hostName(&f.client)
		return "", &f.client.name, true
	case 'N':
		f.hostName(&f.server)
		return "", &f.server.name, true
	case 'p':
		return strconv.Itoa(f.pid), nil, true
	case 'r':
		return portString(f.client.ep), nil, true
	case 'R':
		return portString(f.server.ep), nil, true
	case 's':
		if p := f.hostInfo(&f.server); !options.EqualFold(*p, Unknown) {
			return f.ServerInfo(), nil, true
		}
		return "", &f.daemon, true
	case 'u':
		f.User()
		return "", &f.user, true
	case '%':
		return "%", nil, true
	}
	return "", nil, false
}

func portString(ep Endpoint) string {
	if !ep.IP.IsValid() {
		return "0"
	}
	return strconv.Itoa(int(ep.Port))
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
