// Package dnstest runs a small authoritative DNS server on a loopback
// address for tests, and hands out a [net.Resolver] that talks only to it.
//
// The server answers from a fixed set of records given as RFC 1035 master
// file text. It follows CNAME chains inside that set the way an
// authoritative server does, answers NXDOMAIN for names that own no record
// at all and NOERROR with an empty answer for names that own records of
// other types only. Options make it stay silent (to provoke timeouts) or
// answer with a fixed response code.
//
// What it deliberately does not do: recursion, delegation, wildcards,
// DNSSEC, zone transfers or EDNS options. It is a test double, not a name
// server; it binds only where it is told to (by default 127.0.0.1 on a
// kernel-chosen port) and it never touches the network beyond loopback.
package dnstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a running test name server. Its zero value is not usable; call
// [Start].
type Server struct {
	// Addr is the UDP address the server listens on, "127.0.0.1:port".
	Addr string
	// TCPAddr is the TCP address the server listens on. It has the same
	// port as Addr when that port was free for TCP too.
	TCPAddr string

	records []dns.RR
	silent  func(dns.Question) bool
	rcodes  []rcodeRule
	listen  string

	mu      sync.Mutex
	queries []dns.Question

	udp, tcp *dns.Server
}

type rcodeRule struct {
	rcode int
	match func(dns.Question) bool
}

// An Option changes how a [Server] answers.
type Option func(*Server)

// Silent makes the server read, log and never answer every question for
// which match reports true. A nil match silences every question. Use it
// to test timeouts.
func Silent(match func(q dns.Question) bool) Option {
	if match == nil {
		match = func(dns.Question) bool { return true }
	}
	return func(s *Server) { s.silent = match }
}

// Rcode makes the server answer every question for which match reports
// true with an empty message carrying rcode (for example
// [dns.RcodeServerFailure]). A nil match applies to every question. Rules
// are tried in the order given; Silent takes precedence over them.
func Rcode(rcode int, match func(q dns.Question) bool) Option {
	if match == nil {
		match = func(dns.Question) bool { return true }
	}
	return func(s *Server) { s.rcodes = append(s.rcodes, rcodeRule{rcode, match}) }
}

// ListenAddr makes the server listen on the given UDP and TCP address
// instead of 127.0.0.1 on a kernel-chosen port. Tests that must run a
// server on port 53 (for example inside a private namespace) use it.
func ListenAddr(addr string) Option {
	return func(s *Server) { s.listen = addr }
}

// Name returns a question matcher for Silent and Rcode that matches the
// owner name (case ignored, trailing dot optional) and, when qtype is not
// dns.TypeNone, the question type.
func Name(name string, qtype uint16) func(dns.Question) bool {
	name = dns.CanonicalName(name)
	return func(q dns.Question) bool {
		return dns.CanonicalName(q.Name) == name && (qtype == dns.TypeNone || q.Qtype == qtype)
	}
}

// Start parses zone as master-file text (origin ".", default TTL 60) and
// serves it on loopback over UDP and TCP until the test ends. Records may
// use \DDD escapes to put arbitrary bytes into names. A parse or listen
// error fails the test at once.
func Start(t testing.TB, zone string, opts ...Option) *Server {
	t.Helper()
	s := &Server{listen: "127.0.0.1:0"}
	for _, o := range opts {
		o(s)
	}
	zp := dns.NewZoneParser(strings.NewReader(zone), ".", "zone")
	zp.SetDefaultTTL(60)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		s.records = append(s.records, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("dnstest: %v", err)
	}

	pc, err := net.ListenPacket("udp", s.listen)
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	s.Addr = pc.LocalAddr().String()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		host, _, _ := net.SplitHostPort(s.Addr)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			pc.Close()
			t.Fatalf("dnstest: %v", err)
		}
	}
	s.TCPAddr = ln.Addr().String()

	handler := dns.HandlerFunc(s.serveDNS)
	s.udp = &dns.Server{PacketConn: pc, Handler: handler}
	s.tcp = &dns.Server{Listener: ln, Handler: handler}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			s.Close()
			t.Fatalf("dnstest: serve: %v", err)
		}
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server. It is called automatically when the test ends;
// calling it more than once is harmless.
func (s *Server) Close() {
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if srv != nil {
			_ = srv.Shutdown() // error only means "not started" or "already stopped"
		}
	}
}

// Resolver returns a pure-Go resolver whose every query goes to this
// server, whatever name server the system configuration names.
//
// Note that the Go resolver still consults the system hosts file before
// asking the server, so tests should use names and addresses that are not
// in /etc/hosts.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if strings.HasPrefix(network, "tcp") {
				return d.DialContext(ctx, "tcp", s.TCPAddr)
			}
			return d.DialContext(ctx, "udp", s.Addr)
		},
	}
}

// Queries returns the questions the server has received so far, in
// arrival order, including those it stayed silent on.
func (s *Server) Queries() []dns.Question {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]dns.Question(nil), s.queries...)
}

// Asked reports how many questions for name (case ignored, trailing dot
// optional) of type qtype the server has received. dns.TypeNone counts
// every type.
func (s *Server) Asked(name string, qtype uint16) int {
	match := Name(name, qtype)
	n := 0
	for _, q := range s.Queries() {
		if match(q) {
			n++
		}
	}
	return n
}

func (s *Server) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcodeFormatError(req)
		_ = w.WriteMsg(m) // the client is gone; nothing to do
		return
	}
	q := req.Question[0]
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()

	if s.silent != nil && s.silent(q) {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	for _, r := range s.rcodes {
		if r.match(q) {
			m.Rcode = r.rcode
			_ = w.WriteMsg(m) // see above
			return
		}
	}
	m.Answer, m.Rcode = s.answer(q)
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if o := req.IsEdns0(); o != nil && int(o.UDPSize()) > size {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m) // see above
}

// answer looks q up in the records, following CNAMEs (at most 16).
func (s *Server) answer(q dns.Question) ([]dns.RR, int) {
	var ans []dns.RR
	name := q.Name
	for hop := 0; hop < 16; hop++ {
		var cname *dns.CNAME
		found := false
		for _, rr := range s.records {
			h := rr.Header()
			if !strings.EqualFold(h.Name, name) {
				continue
			}
			found = true
			if h.Rrtype == q.Qtype || q.Qtype == dns.TypeANY {
				ans = append(ans, dns.Copy(rr))
			} else if c, ok := rr.(*dns.CNAME); ok && cname == nil {
				cname = c
			}
		}
		if !found {
			return ans, dns.RcodeNameError
		}
		hasFinal := false
		for _, rr := range ans {
			if strings.EqualFold(rr.Header().Name, name) && rr.Header().Rrtype == q.Qtype {
				hasFinal = true
			}
		}
		if hasFinal || cname == nil {
			return ans, dns.RcodeSuccess
		}
		ans = append(ans, dns.Copy(cname))
		name = cname.Target
	}
	return ans, dns.RcodeServerFailure
}

// String describes the server for test logs.
func (s *Server) String() string {
	return fmt.Sprintf("dnstest server udp %s tcp %s (%d records)", s.Addr, s.TCPAddr, len(s.records))
}
