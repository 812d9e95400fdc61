package logscan

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan/parse"
)

// DefaultMaxConns is Receiver.MaxConns's default.
const DefaultMaxConns = 64

// Receiver is a syslog receiver: it takes messages that syslog daemons
// (rsyslog's omfwd, syslog-ng) or our audit trail's remote senders
// send over UDP (one message per datagram) and TCP (RFC 6587: octet
// counting, "LEN MSG", or messages ended by a newline; each frame is
// recognised by its first bytes), and parses them with the same parser
// as the files (parse.Parser.Message: RFC 5424, and RFC 3164 with or
// without a host name).
//
// Anything that can reach the listening socket can send anything,
// program names included: listen on a loopback address (or one that a
// firewall guards) and use Allow.
//
// The zero value is ready to use once Handler is set; its fields must
// not change while it serves.
type Receiver struct {
	Parse parse.Config
	// Handler is called for every Event, one call at a time: the
	// Receiver serialises the calls of all its connections.
	Handler func(watch.Event)
	// OnSkip, if not nil, is told about Ambiguous, Malformed and too
	// long messages, under the same lock as Handler (Skip.Path is the
	// sender's address).
	OnSkip func(Skip)
	// Allow, if not nil, lists the networks messages are accepted from;
	// datagrams and connections from elsewhere are dropped (and
	// counted). nil accepts any sender.
	Allow []netip.Prefix
	// MaxMessage is the longest message read, in bytes (0:
	// DefaultMaxLine); longer ones are dropped whole and counted.
	MaxMessage int
	// MaxConns bounds the TCP connections served at once (0:
	// DefaultMaxConns); more wait to be accepted.
	MaxConns int
	// IdleTimeout closes a TCP connection that sends nothing for that
	// long (0: never).
	IdleTimeout time.Duration

	mu    sync.Mutex // serialises Handler and OnSkip, guards stats
	stats ReceiverStats
}

// ReceiverStats count what a Receiver received.
type ReceiverStats struct {
	Messages  int64 // messages read (datagrams, frames)
	Events    int64 // messages that made an Event
	Ambiguous int64
	Malformed int64
	TooLong   int64 // messages longer than MaxMessage, dropped
	Refused   int64 // datagrams and connections from outside Allow
	Conns     int64 // TCP connections accepted
}

// Stats returns the counts so far.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Receiver) maxMessage() int {
	if r.MaxMessage > 0 {
		return r.MaxMessage
	}
	return DefaultMaxLine
}

func (r *Receiver) allowed(a netip.Addr) bool {
	if r.Allow == nil {
		return true
	}
	a = a.Unmap()
	for _, p := range r.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// handle parses one message and delivers its Event.
func (r *Receiver) handle(p *parse.Parser, msg []byte, from string) {
	p.SetReference(time.Now())
	ev, st := p.Message(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Messages++
	switch st {
	case parse.OK:
		r.stats.Events++
		r.Handler(ev)
	case parse.Ambiguous:
		r.stats.Events++
		r.stats.Ambiguous++
		r.skip(msg, from, st, false)
		r.Handler(ev)
	case parse.Malformed:
		r.stats.Malformed++
		r.skip(msg, from, st, false)
	}
}

// tooLong counts a dropped message; r.mu is not held.
func (r *Receiver) tooLong(head []byte, from string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Messages++
	r.stats.TooLong++
	r.skip(head, from, parse.NotOurs, true)
}

func (r *Receiver) skip(msg []byte, from string, st parse.Status, tooLong bool) {
	if r.OnSkip == nil {
		return
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	r.OnSkip(Skip{Path: from, Status: st, TooLong: tooLong, Text: string(msg)})
}

// ServeUDP reads datagrams from pc until ctx is done or pc fails, and
// closes pc. It always returns a non-nil error (ctx's when it ends).
func (r *Receiver) ServeUDP(ctx context.Context, pc net.PacketConn) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	p := parse.New(r.Parse)
	buf := make([]byte, max(r.maxMessage()+1, 64<<10+1))
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		from := addrOf(addr)
		if !r.allowed(from.Addr()) {
			r.mu.Lock()
			r.stats.Refused++
			r.mu.Unlock()
			continue
		}
		if n > r.maxMessage() {
			r.tooLong(buf[:min(n, 200)], from.String())
			continue
		}
		r.handle(p, buf[:n], from.String())
	}
}

func addrOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case *net.TCPAddr:
		return a.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// ServeTCP accepts connections on ln until ctx is done or ln fails, and
// reads framed messages from each. It closes ln and every connection
// when it returns, after their goroutines have ended. It always returns
// a non-nil error (ctx's when it ends); it backs off on temporary
// accept errors.
func (r *Receiver) ServeTCP(ctx context.Context, ln net.Listener) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer func() {
		stop()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	maxConns := r.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	slots := make(chan struct{}, maxConns)
	backoff := time.Duration(0)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		c, err := ln.Accept()
		if err != nil {
			<-slots
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return ctx.Err()
				}
				continue
			}
			return err
		}
		backoff = 0
		from := addrOf(c.RemoteAddr())
		if !r.allowed(from.Addr()) {
			c.Close()
			<-slots
			r.mu.Lock()
			r.stats.Refused++
			r.mu.Unlock()
			continue
		}
		r.mu.Lock()
		r.stats.Conns++
		r.mu.Unlock()
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.serveConn(c, from.String())
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
}

// serveConn reads frames from one connection until it ends.
func (r *Receiver) serveConn(c net.Conn, from string) {
	p := parse.New(r.Parse)
	fr := newFramer(c, r.maxMessage())
	for {
		if r.IdleTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(r.IdleTimeout))
		}
		msg, tooLong, err := fr.next()
		switch {
		case tooLong:
			r.tooLong(msg, from)
		case msg != nil:
			r.handle(p, msg, from)
		}
		if err != nil {
			return
		}
	}
}

// framer reads RFC 6587 frames: octet counting ("LEN SP MSG", LEN a
// decimal number without leading zero) when a frame starts with a digit
// and a space follows the digits, otherwise non-transparent framing (a
// message ended by LF).
type framer struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func newFramer(r io.Reader, max int) *framer {
	return &framer{br: bufio.NewReaderSize(r, max+16), max: max}
}

// next returns the next message; tooLong (with the message's first
// bytes) for one longer than max, which has been read and dropped. err
// is set at the end of the stream or on a broken frame.
func (f *framer) next() (msg []byte, tooLong bool, err error) {
	head, _ := f.br.Peek(11)
	if n, digits := octetCount(head); digits > 0 {
		f.br.Discard(digits + 1)
		if n > f.max {
			first, _ := f.br.Peek(min(n, 200))
			first = append([]byte(nil), first...)
			if _, err := f.br.Discard(n); err != nil {
				return nil, false, err
			}
			return first, true, nil
		}
		if cap(f.buf) < n {
			f.buf = make([]byte, n)
		}
		f.buf = f.buf[:n]
		if _, err := io.ReadFull(f.br, f.buf); err != nil {
			return nil, false, err
		}
		return f.buf, false, nil
	}
	line, err := f.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		first := append([]byte(nil), line[:min(len(line), 200)]...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = f.br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		return first, true, err
	}
	if len(line) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, false, err
	}
	if len(line) > f.max+1 || (len(line) == f.max+1 && line[len(line)-1] != '\n') {
		return line[:min(len(line), 200)], true, err
	}
	return line, false, err
}

// octetCount reads "LEN SP" at the start of b: the count and the number
// of digits, or 0 digits when b does not start that way.
func octetCount(b []byte) (n, digits int) {
	for digits < len(b) && digits < 10 && b[digits] >= '0' && b[digits] <= '9' {
		n = n*10 + int(b[digits]-'0')
		digits++
	}
	if digits == 0 || digits >= len(b) || b[digits] != ' ' || b[0] == '0' {
		return 0, 0
	}
	return n, digits
}

// ListenAndServe listens on udpAddr and tcpAddr (either may be "" for
// none; "127.0.0.1:5514", "[::1]:5514") and serves both until ctx is
// done or one fails. It returns the first error (ctx's when it ends).
func (r *Receiver) ListenAndServe(ctx context.Context, udpAddr, tcpAddr string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	n := 0
	if udpAddr != "" {
		pc, err := net.ListenPacket("udp", udpAddr)
		if err != nil {
			return err
		}
		n++
		go func() { errc <- r.ServeUDP(ctx, pc) }()
	}
	if tcpAddr != "" {
		ln, err := net.Listen("tcp", tcpAddr)
		if err != nil {
			cancel()
			for ; n > 0; n-- {
				<-errc
			}
			return err
		}
		n++
		go func() { errc <- r.ServeTCP(ctx, ln) }()
	}
	if n == 0 {
		return errors.New("logscan: no address to listen on")
	}
	err := <-errc
	cancel()
	for n--; n > 0; n-- {
		<-errc
	}
	return err
}
