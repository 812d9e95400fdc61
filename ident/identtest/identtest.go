// Package identtest runs a fake ident (RFC 1413) server on a loopback
// address for tests.
//
// The server accepts connections, reads one query line from each, logs
// it, writes whatever the test's reply function returns — byte for byte,
// so tests control line endings, lengths and malformations — and closes
// the connection. With a nil reply function it reads the query and then
// holds the connection open without answering, for timeout tests.
//
// It deliberately does not implement ident: it knows nothing of users or
// connections. It listens only where it is told to.
package identtest

import (
	"bufio"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"tcpwrap/ident"
)

// A Query is one query the server received.
type Query struct {
	// From is the address and port the query connection came from.
	From netip.AddrPort
	// Text is what the client sent, up to and including the first '\n'
	// (or whatever arrived before it closed).
	Text string
}

// Server is a running fake ident server.
type Server struct {
	// Addr is the address the server listens on.
	Addr netip.AddrPort

	ln    net.Listener
	reply func(query string) string
	done  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	queries []Query
	conns   map[net.Conn]bool
}

// Start listens on addr (for example "127.0.0.1:0") and serves until the
// test ends. reply receives the query line as sent, "\r\n" included, and
// returns the exact bytes to send back; nil means never answer. Failing
// to listen fails the test.
func Start(t testing.TB, addr string, reply func(query string) string) *Server {
	t.Helper()
	s, err := Listen(addr, reply)
	if err != nil {
		t.Fatalf("identtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen is Start without a test: the caller must Close the server.
func Listen(addr string, reply func(query string) string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Addr:  ln.Addr().(*net.TCPAddr).AddrPort(),
		ln:    ln,
		reply: reply,
		done:  make(chan struct{}),
		conns: map[net.Conn]bool{},
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Port returns the port the server listens on.
func (s *Server) Port() uint16 { return s.Addr.Port() }

// Client returns an ident client that queries this server's port.
func (s *Server) Client() *ident.Client { return &ident.Client{Port: s.Port()} }

// Queries returns the queries received so far, in arrival order.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// Close stops the server and drops open connections. Start arranges for
// it to be called when the test ends; calling it again is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
	}
	close(s.done)
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(c)
	}
}

func (s *Server) handle(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	line, _ := bufio.NewReader(c).ReadString('\n') // a partial line is logged as is
	s.mu.Lock()
	s.queries = append(s.queries, Query{From: c.RemoteAddr().(*net.TCPAddr).AddrPort(), Text: line})
	s.mu.Unlock()
	if s.reply == nil {
		<-s.done
		return
	}
	_, _ = c.Write([]byte(s.reply(line))) // the client may be gone; nothing to do
}

// Ports returns the two ports of a query line, as text, or "" and "" if
// the line does not hold "a,b".
func Ports(query string) (client, server string) {
	a, b, ok := strings.Cut(strings.TrimRight(query, "\r\n"), ",")
	if !ok {
		return "", ""
	}
	return strings.TrimSpace(a), strings.TrimSpace(b)
}

// UserID returns a reply function that answers every query with
// "<client port> , <server port> : USERID : UNIX : user\r\n".
func UserID(user string) func(query string) string {
	return func(query string) string {
		a, b := Ports(query)
		return a + " , " + b + " : USERID : UNIX : " + user + "\r\n"
	}
}

// Error returns a reply function that answers every query with
// "<client port> , <server port> : ERROR : reason\r\n".
func Error(reason string) func(query string) string {
	return func(query string) string {
		a, b := Ports(query)
		return a + " , " + b + " : ERROR : " + reason + "\r\n"
	}
}

// Fixed returns a reply function that always sends reply.
func Fixed(reply string) func(query string) string {
	return func(string) string { return reply }
}
