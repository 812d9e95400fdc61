package superserver

import (
	"fmt"
	"os"
	"strings"

	"tcpwrap/inetconf"
	"tcpwrap/limits"
)

// kind is what a service runs for a connection.
type kind uint8

const (
	// kindProgram: the service's program, executed with the
	// connection (or, for "wait" services, the socket) as descriptors
	// 0, 1 and 2.
	kindProgram kind = iota + 1
	// kindBuiltin: echo, discard, chargen, daytime or time, served by
	// the super-server itself.
	kindBuiltin
	// kindRedirect: the connection is relayed to another address.
	kindRedirect
)

// RedirectServer is the server-path word that makes an entry a redirect
// service: "redirect DAEMON HOST:PORT".
const RedirectServer = "redirect"

// service is an inetd.conf entry made ready to serve.
type service struct {
	def  inetconf.Service
	id   string
	kind kind
	// daemon is the process name the access tables are checked for;
	// "" means the service is not checked.
	daemon string
	// path and argv are what a Program runs.
	path string
	argv []string
	// execName is the name exec failures are logged under: tcpd logs
	// them under its argv[0]'s last component.
	execName string
	cred     credentials
	target   string // Redirect: "host:port"
	lim      *limits.Service
	// wait: the program gets the socket itself (UDP "wait", TCP
	// "wait"); false for every built-in and redirect.
	wait bool
}

// ServiceID names a listener in logs, limits and metrics:
// "NAME/PROTO" for a service on every address, "ADDR:NAME/PROTO" for one
// bound to an address ("127.0.0.1:echo/tcp4", "[::1]:echo/tcp6"), and
// "PATH/unix" for a Unix-domain socket.
func ServiceID(s *inetconf.Service) string {
	id := s.Name + "/" + s.Proto
	if s.Family == inetconf.Unix || s.Host == "*" || s.Host == "" {
		return id
	}
	a := s.Addr.Addr()
	if a.Is6() {
		return "[" + a.String() + "]:" + id
	}
	return a.String() + ":" + id
}

// reduce is tcpd's daemon name for an argv[0]: the last component of an
// absolute path, anything else as it is.
func reduce(argv0 string) string {
	if strings.HasPrefix(argv0, "/") {
		return argv0[strings.LastIndexByte(argv0, '/')+1:]
	}
	return argv0
}

func base(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// compile checks one entry and makes it a service, or says why it cannot
// run.
func (s *Server) compile(def inetconf.Service) (*service, error) {
	sv := &service{def: def, id: ServiceID(&def)}
	switch {
	case def.Builtin != "":
		sv.kind = kindBuiltin
		if s.cfg.CheckAll {
			sv.daemon = string(def.Builtin)
		}
	case def.Server == RedirectServer:
		sv.kind = kindRedirect
		if def.Socket != inetconf.Stream {
			return nil, fmt.Errorf("redirect works for stream services only")
		}
		if def.Wait {
			return nil, fmt.Errorf("a redirect service must be nowait")
		}
		if len(def.Argv) != 2 {
			return nil, fmt.Errorf("a redirect service needs a daemon name and a target, as in %q", "redirect sshd 127.0.0.1:2222")
		}
		if _, _, err := ParseTarget(def.Argv[1]); err != nil {
			return nil, err
		}
		sv.daemon, sv.target = reduce(def.Argv[0]), def.Argv[1]
	case def.Tcpd != nil && !(def.Wait && def.Socket == inetconf.Stream):
		sv.kind = kindProgram
		sv.daemon, sv.path, sv.argv = def.Tcpd.Daemon, def.Tcpd.Path, def.Tcpd.Argv
		sv.execName = base(def.Argv[0])
	default:
		// Programs, and tcpd itself for a stream "wait" service, where
		// there is no connection to check before the server accepts
		// one: tcpd then runs as under inetd.
		sv.kind = kindProgram
		sv.path, sv.argv = def.Server, def.Argv
		sv.execName = s.name
		if s.cfg.CheckAll && !(def.Wait && def.Socket == inetconf.Stream) {
			sv.daemon = reduce(def.Argv[0])
		}
	}
	if sv.kind == kindProgram {
		if err := checkProgram(sv.path); err != nil {
			return nil, err
		}
		// A datagram service always gets the socket: a "nowait" one
		// would be started again for the same datagram.
		sv.wait = def.Wait || def.Socket == inetconf.Dgram
	}
	cred, err := entryCredentials(s.accounts, s.euid, def.User, def.Group)
	if err != nil && sv.kind != kindBuiltin {
		return nil, err
	}
	sv.cred = cred
	if def.Max < 0 {
		return nil, fmt.Errorf("bad maximum %d", def.Max)
	}
	return sv, nil
}

// checkProgram checks that path names an executable regular file.
func checkProgram(path string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("server %q is not an absolute path", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("server %s: %v", path, errText(err))
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("server %s is not an executable file", path)
	}
	return nil
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
