package inetcf

// Status says what the scan learned about a process name. The values
// mirror tcpd's WR_UNKNOWN, WR_YES, WR_NOT and WR_MAYBE.
type Status int

const (
	// Unknown: the name is not in the table.
	Unknown Status = iota
	// Wrapped: an entry runs the name through tcpd (or miscd).
	Wrapped
	// NotWrapped: an entry runs the name directly, or nothing of that
	// name exists in the real-daemon directory.
	NotWrapped
	// MaybeWrapped: an entry runs the name directly but a program of
	// that name exists in the real-daemon directory, so it may be
	// wrapped through libwrap. Debian's checkers treat it like Wrapped.
	MaybeWrapped
)

// String returns "unknown", "wrapped", "not wrapped" or "maybe wrapped".
func (s Status) String() string {
	switch s {
	case Wrapped:
		return "wrapped"
	case NotWrapped:
		return "not wrapped"
	case MaybeWrapped:
		return "maybe wrapped"
	}
	return "unknown"
}

// NullName is the name Debian prints for the inetd.conf file when none
// was read (the C program formats a null pointer).
const NullName = "(null)"

// DebianLibwrapped lists the daemons Debian's tcpdchk registers as
// [Wrapped] after the scan, because they link libwrap themselves; they
// therefore never draw "no such process name" or "possibly not wrapped"
// from tcpdchk, whatever inetd.conf says (the registration overrides the
// scan). Observed from Debian 7.6.q tcpdchk.
var DebianLibwrapped = []string{
	"portmap", "mountd", "statd", "ugidd", "redir", "rlinetd", "sshd",
	"atftpd", "diald", "esound", "gdm", "gnome-session", "icecast",
	"icecast_admin", "icecast_client", "icecast_source", "mysqld", "ntop",
	"pptpd", "rquotad", "sendmail", "smail",
}

// TcpdmatchNotWrapped lists the names Debian's tcpdmatch registers as
// [NotWrapped] after the scan, overriding inetd.conf (a tcpd entry for
// rpcbind still leaves rpcbind "possibly not wrapped"). Observed from
// Debian 7.6.q tcpdmatch.
var TcpdmatchNotWrapped = []string{"portmap", "rpcbind"}

// Table maps process names to their [Status]. Names compare ASCII
// case-insensitively, as tcpd's strcasecmp does; registering a name again
// replaces the earlier status, so a later inetd.conf entry wins.
//
// The zero Table is empty, has no file ([Table.Name] is "(null)") and is
// ready to use.
type Table struct {
	name    string
	entries map[string]Status
}

// Name returns the inetd.conf path that was read, as given, or "(null)"
// when no file was read. Debian quotes it in "no such process name in
// <name>".
func (t *Table) Name() string {
	if t == nil || t.name == "" {
		return NullName
	}
	return t.name
}

// Lookup returns the status recorded for name, or Unknown. A nil Table is
// empty.
func (t *Table) Lookup(name string) Status {
	if t == nil {
		return Unknown
	}
	return t.entries[lowerASCII(name)]
}

// Register records status for name, replacing any earlier status
// (Register(name, Unknown) forgets the name).
func (t *Table) Register(name string, status Status) {
	key := lowerASCII(name)
	if status == Unknown {
		delete(t.entries, key)
		return
	}
	if t.entries == nil {
		t.entries = make(map[string]Status)
	}
	t.entries[key] = status
}

// Len returns the number of names in the table.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Diagnose returns the checkers' complaint about daemon name, without
// the "warning: " prefix and without file context: "<name>: no such
// process name in <Name()>" when the name is Unknown, "<name>: service
// possibly not wrapped" when it is NotWrapped, and "" otherwise. tcpdchk
// logs it with the hosts.allow/deny line as context.
func (t *Table) Diagnose(name string) string {
	switch t.Lookup(name) {
	case Unknown:
		return name + ": no such process name in " + t.Name()
	case NotWrapped:
		return name + ": service possibly not wrapped"
	}
	return ""
}

// CheckDaemon returns the line tcpdmatch logs about its daemon operand
// (after reducing an absolute path to its last component), such as
// "warning: sshd: no such process name in /etc/inetd.conf", or "" when
// there is nothing to say.
func (t *Table) CheckDaemon(name string) string {
	if msg := t.Diagnose(name); msg != "" {
		return "warning: " + msg
	}
	return ""
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// equalFoldASCII is strcasecmp(a, b) == 0 in the C locale.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
