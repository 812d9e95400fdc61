package inetconf

import "strings"

// tcpdFor returns what tcp_wrappers' tcpd would run, when server is
// tcpd (a path whose last component is "tcpd"), else nil. tcpd takes its
// argv[0] as the daemon: an absolute path is run as it is and its last
// component names the daemon; anything else names the daemon as it is
// and is run from dir (REAL_DAEMON_DIR). The daemon gets the name as its
// argv[0].
func tcpdFor(server string, argv []string, dir string) *Tcpd {
	if server[strings.LastIndexByte(server, '/')+1:] != "tcpd" || len(argv) == 0 {
		return nil
	}
	argv0 := argv[0]
	t := &Tcpd{Daemon: argv0, Path: dir + "/" + argv0}
	if strings.HasPrefix(argv0, "/") {
		t.Daemon, t.Path = argv0[strings.LastIndexByte(argv0, '/')+1:], argv0
	}
	t.Argv = append([]string{t.Daemon}, argv[1:]...)
	return t
}
