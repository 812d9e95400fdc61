package superserver

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"tcpwrap/audit"
)

// runRedirect relays a checked connection to the service's target and
// records the bytes each way.
func (s *Server) runRedirect(r *request) {
	sv := r.sv
	c := r.conn
	release := s.sessions.hold(c)
	defer release()
	e := &SessionEnd{Service: sv.id, Daemon: sv.daemon, Kind: "redirect", Client: r.client, Server: r.server, Start: r.start}
	dial := s.cfg.Dial
	if dial == nil {
		// No keep-alives, as for the clients' side (inetd sets none).
		dial = (&net.Dialer{KeepAlive: -1}).DialContext
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedirectTimeout)
	up, err := dial(ctx, "tcp", sv.target)
	cancel()
	if s.cfg.Observer != nil {
		s.cfg.Observer.SessionStart(sv.id)
	}
	if err != nil {
		c.Close()
		e.Err = err.Error()
		if s.cfg.Trail != nil {
			s.cfg.Trail.Log(&audit.Message{Time: s.now(), Priority: audit.ErrorPriority, AppName: sv.daemon, PID: s.pid,
				Text: "error: redirect to " + sv.target + ": " + err.Error()})
		}
		s.endSession(e)
		return
	}
	releaseUp := s.sessions.hold(up)
	defer releaseUp()
	e.BytesIn, e.BytesOut = relay(c, up)
	s.endSession(e)
}

// relay copies both ways until both sides have finished sending, passing
// each end of stream on as a half-close, and returns the bytes from the
// client and to it. An error on either side ends both.
func relay(client, server net.Conn) (in, out int64) {
	var wg sync.WaitGroup
	var once sync.Once
	abort := func() {
		once.Do(func() {
			client.Close()
			server.Close()
		})
	}
	half := func(dst, src net.Conn, n *int64) {
		defer wg.Done()
		var err error
		*n, err = io.Copy(dst, src)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			abort()
			return
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			if cw.CloseWrite() != nil {
				abort()
			}
		} else {
			abort()
		}
	}
	wg.Add(2)
	go half(server, client, &in)
	half(client, server, &out)
	wg.Wait()
	abort()
	return in, out
}
