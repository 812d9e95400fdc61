package rsyslogtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Rsyslogd is the daemon Start runs.
const Rsyslogd = "/usr/sbin/rsyslogd"

// gtlsModules finds the GnuTLS network stream driver (Debian's
// rsyslog-gnutls) in any multiarch directory.
const gtlsModules = "/usr/lib/*/rsyslog/lmnsd_gtls.so"

// StartTimeout bounds how long Start and Restart wait for rsyslogd to
// listen on every input.
const StartTimeout = 20 * time.Second

// Option changes what Start configures.
type Option func(*options)

type options struct {
	tls            bool
	clientAuth     bool
	maxMessageSize int
}

// WithTLS adds the RFC 5425 listener (imtcp with the gtls driver) at
// TLSAddr. Clients are not asked for a certificate. The test is skipped
// when the gtls driver (package rsyslog-gnutls) is not installed.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithClientAuth adds the TLS listener like WithTLS and makes it require a
// client certificate signed by the server's CA (authMode x509/certvalid);
// ClientCert is one.
func WithClientAuth() Option { return func(o *options) { o.tls, o.clientAuth = true, true } }

// WithMaxMessageSize sets rsyslog's maxMessageSize (default 64 KiB);
// longer messages are cut by rsyslog.
func WithMaxMessageSize(n int) Option { return func(o *options) { o.maxMessageSize = n } }

// Server is one private rsyslogd. Its methods may be called from any
// goroutine, but Start, Stop, Restart and Kill report failure with the
// testing.TB given to Start, so call them from that test's goroutine.
type Server struct {
	t    testing.TB
	cfg  config
	pki  *pki
	conf string // path of rsyslog.conf
	pid  string // path of the pid file

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	exitErr error
	out     *os.File // rsyslogd's stdout and stderr
	reader  lineReader
}

// Start writes a configuration into t.TempDir(), starts rsyslogd with it
// and waits until every input listens. It skips the test when rsyslogd
// is missing. The server is stopped when the test ends; on failure the
// test log gets rsyslogd's own messages.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{maxMessageSize: 64 << 10}
	for _, f := range opts {
		f(&o)
	}
	if _, err := os.Stat(Rsyslogd); err != nil {
		t.Skipf("rsyslogtest: %s not installed (apt-get install rsyslog): %v", Rsyslogd, err)
	}
	if o.tls {
		if m, _ := filepath.Glob(gtlsModules); len(m) == 0 {
			t.Skipf("rsyslogtest: rsyslog's gtls driver (%s) not installed (apt-get install rsyslog-gnutls)", gtlsModules)
		}
	}

	dir := t.TempDir()
	s := &Server{
		t:    t,
		conf: filepath.Join(dir, "rsyslog.conf"),
		pid:  filepath.Join(dir, "rsyslogd.pid"),
		cfg: config{
			dir:            dir,
			workDir:        filepath.Join(dir, "work"),
			unixSocket:     filepath.Join(dir, "sock", "log"),
			rawFile:        filepath.Join(dir, "raw.log"),
			fieldsFile:     filepath.Join(dir, "fields.log"),
			internalFile:   filepath.Join(dir, "rsyslogd.log"),
			maxMessageSize: o.maxMessageSize,
			tlsClientAuth:  o.clientAuth,
		},
	}
	s.reader = lineReader{rawPath: s.cfg.rawFile, fieldsPath: s.cfg.fieldsFile}
	if err := os.Mkdir(s.cfg.workDir, 0o700); err != nil {
		t.Fatal(err)
	}

	var err error
	ports := []*int{&s.cfg.udpPort, &s.cfg.tcpPort}
	if o.tls {
		ports = append(ports, &s.cfg.tlsPort)
		if s.pki, err = newPKI(); err != nil {
			t.Fatalf("rsyslogtest: certificates: %v", err)
		}
		s.cfg.caFile = filepath.Join(dir, "ca.pem")
		s.cfg.certFile = filepath.Join(dir, "server.pem")
		s.cfg.keyFile = filepath.Join(dir, "server-key.pem")
		for name, data := range map[string][]byte{s.cfg.caFile: s.pki.caPEM, s.cfg.certFile: s.pki.serverPEM, s.cfg.keyFile: s.pki.serverKey} {
			if err := os.WriteFile(name, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := freePorts(ports); err != nil {
		t.Fatalf("rsyslogtest: %v", err)
	}
	if err := os.WriteFile(s.conf, []byte(s.cfg.text()), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		s.stop(syscall.SIGTERM)
		if t.Failed() {
			s.logDiagnostics()
		}
	})
	s.Start()
	return s
}

// freePorts sets each port to one that the kernel just gave out and
// took back: 127.0.0.1 UDP for the first, TCP for the others. Another
// program could take one before rsyslogd binds it; Start then fails
// clearly rather than talking to a stranger, since readiness checks
// that rsyslogd itself holds the sockets.
func freePorts(ports []*int) error {
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	*ports[0] = uc.LocalAddr().(*net.UDPAddr).Port
	uc.Close()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for _, p := range ports[1:] {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		*p = ln.Addr().(*net.TCPAddr).Port
	}
	return nil
}

// Start starts rsyslogd again after Stop or Kill, with the same
// configuration, ports and files, and waits until it listens.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.logDiagnostics()
		s.t.Fatalf("rsyslogtest: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("rsyslogd already running")
	}
	out, err := os.OpenFile(filepath.Join(s.cfg.dir, "rsyslogd.out"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	// -n: stay in the foreground; -f: our config, never /etc/rsyslog.conf;
	// -i: our pid file, never /run/rsyslogd.pid (which would make it refuse
	// to start next to the system's rsyslogd). -C is not needed: every path
	// in the configuration is absolute.
	cmd := exec.Command(Rsyslogd, "-n", "-f", s.conf, "-i", s.pid)
	cmd.Dir = s.cfg.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		s.mu.Unlock()
		return fmt.Errorf("start %s: %v", Rsyslogd, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.exitErr = err
		s.mu.Unlock()
		close(exited)
	}()
	return s.waitReady(cmd.Process.Pid, exited)
}

// waitReady polls until rsyslogd (pid) holds every listening socket.
func (s *Server) waitReady(pid int, exited chan struct{}) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		select {
		case <-exited:
			s.mu.Lock()
			err := s.exitErr
			s.cmd, s.exited = nil, nil
			s.out.Close()
			s.out = nil
			s.mu.Unlock()
			return fmt.Errorf("rsyslogd exited while starting (%v); see %s", err, filepath.Join(s.cfg.dir, "rsyslogd.out"))
		default:
		}
		missing := s.notListening(pid)
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rsyslogd (pid %d) not listening on %s after %v", pid, strings.Join(missing, ", "), StartTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// notListening lists the inputs for which rsyslogd does not yet hold a
// socket, looked up in its /proc/PID/fd and /proc/net tables (so a
// stranger on the same port does not count, and no probe message ends up
// in the output files).
func (s *Server) notListening(pid int) []string {
	inodes := socketInodes(pid)
	var missing []string
	if !hasSocket(inodes, "/proc/net/unix", func(f []string) bool { return len(f) >= 8 && f[7] == s.cfg.unixSocket }, 6) {
		missing = append(missing, "unix "+s.cfg.unixSocket)
	}
	if !hasSocket(inodes, "/proc/net/udp", localPort(s.cfg.udpPort, ""), 9) {
		missing = append(missing, "udp "+s.UDPAddr())
	}
	if !hasSocket(inodes, "/proc/net/tcp", localPort(s.cfg.tcpPort, "0A"), 9) {
		missing = append(missing, "tcp "+s.TCPAddr())
	}
	if s.cfg.tlsPort != 0 && !hasSocket(inodes, "/proc/net/tcp", localPort(s.cfg.tlsPort, "0A"), 9) {
		missing = append(missing, "tls "+s.TLSAddr())
	}
	return missing
}

// socketInodes returns the inode numbers of the sockets pid has open.
func socketInodes(pid int) map[string]bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	m := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			m[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return m
}

// localPort matches a /proc/net/{tcp,udp} line bound to 127.0.0.1:port
// (in state st, when st is not "").
func localPort(port int, st string) func([]string) bool {
	want := fmt.Sprintf("0100007F:%04X", port)
	return func(f []string) bool {
		return len(f) >= 10 && f[1] == want && (st == "" || f[3] == st)
	}
}

func hasSocket(inodes map[string]bool, table string, match func([]string) bool, inodeField int) bool {
	data, err := os.ReadFile(table)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > inodeField && match(f) && inodes[f[inodeField]] {
			return true
		}
	}
	return false
}

// Stop stops rsyslogd with SIGTERM and waits for it to exit; rsyslogd
// writes out what it has read before exiting. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.stop(syscall.SIGTERM); err != nil {
		s.t.Fatalf("rsyslogtest: %v", err)
	}
}

// Kill stops rsyslogd with SIGKILL, as a crash: what it had read but not
// yet written is lost.
func (s *Server) Kill() {
	s.t.Helper()
	if err := s.stop(syscall.SIGKILL); err != nil {
		s.t.Fatalf("rsyslogtest: %v", err)
	}
}

// Restart is Stop and then Start.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

// Running reports whether rsyslogd is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

func (s *Server) stop(sig syscall.Signal) error {
	s.mu.Lock()
	cmd, exited, out := s.cmd, s.exited, s.out
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(sig)
	var err error
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		err = fmt.Errorf("rsyslogd (pid %d) ignored %v for 30s; killed", cmd.Process.Pid, sig)
	}
	out.Close()
	s.mu.Lock()
	s.cmd, s.exited, s.out = nil, nil, nil
	s.mu.Unlock()
	return err
}

// logDiagnostics copies rsyslogd's own messages and output into the test log.
func (s *Server) logDiagnostics() {
	for _, name := range []string{s.cfg.internalFile, filepath.Join(s.cfg.dir, "rsyslogd.out")} {
		data, err := os.ReadFile(name)
		if err != nil || len(data) == 0 {
			continue
		}
		if len(data) > 8<<10 {
			data = append([]byte("...\n"), data[len(data)-8<<10:]...)
		}
		s.t.Logf("rsyslogtest: %s:\n%s", name, bytes.TrimSpace(data))
	}
}

// Dir is the directory holding the configuration, the output files and
// rsyslogd's work directory.
func (s *Server) Dir() string { return s.cfg.dir }

// ConfigFile is the path of the generated rsyslog.conf.
func (s *Server) ConfigFile() string { return s.conf }

// RawFile is the file with one %rawmsg% per line.
func (s *Server) RawFile() string { return s.cfg.rawFile }

// UnixSocket is the path of the imuxsock datagram socket.
func (s *Server) UnixSocket() string { return s.cfg.unixSocket }

// UDPAddr is imudp's "127.0.0.1:port".
func (s *Server) UDPAddr() string { return hostPort(s.cfg.udpPort) }

// TCPAddr is the plain imtcp listener's "127.0.0.1:port" (RFC 6587:
// octet counting, or LF-terminated lines).
func (s *Server) TCPAddr() string { return hostPort(s.cfg.tcpPort) }

// TLSAddr is the RFC 5425 listener's "127.0.0.1:port", "" without WithTLS.
func (s *Server) TLSAddr() string {
	if s.cfg.tlsPort == 0 {
		return ""
	}
	return hostPort(s.cfg.tlsPort)
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// CACertPEM is the PEM certificate of the CA that signed the server's and
// ClientCert's certificates; nil without WithTLS.
func (s *Server) CACertPEM() []byte {
	if s.pki == nil {
		return nil
	}
	return s.pki.caPEM
}

// CAPool is a pool holding only the CA; nil without WithTLS.
func (s *Server) CAPool() *x509.CertPool {
	if s.pki == nil {
		return nil
	}
	p := x509.NewCertPool()
	p.AddCert(s.pki.caCert)
	return p
}

// ClientCert is a client certificate signed by the CA (the zero value
// without WithTLS).
func (s *Server) ClientCert() tls.Certificate {
	if s.pki == nil {
		return tls.Certificate{}
	}
	return s.pki.client
}

// ClientTLSConfig is a client configuration that trusts the CA and, with
// clientCert, presents ClientCert; nil without WithTLS.
func (s *Server) ClientTLSConfig(clientCert bool) *tls.Config {
	if s.pki == nil {
		return nil
	}
	c := &tls.Config{RootCAs: s.CAPool(), ServerName: "127.0.0.1"}
	if clientCert {
		c.Certificates = []tls.Certificate{s.pki.client}
	}
	return c
}

// WriteClientFiles writes the CA certificate, ClientCert's certificate
// and its key as PEM files into dir (mode 0600), as a logging
// configuration names them, and returns their paths.
func (s *Server) WriteClientFiles(t testing.TB, dir string) (ca, cert, key string) {
	t.Helper()
	c := s.ClientCert()
	k, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", s.CACertPEM()),
		write("client.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})),
		write("client.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}))
}
