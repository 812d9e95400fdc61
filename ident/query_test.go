package ident_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tcpwrap/ident"
	"tcpwrap/ident/identtest"
)

// The endpoints of the connection being asked about, as the server sees
// them. Nothing connects to these ports: only the ident query is real.
var (
	clientEnd = netip.MustParseAddrPort("127.0.0.1:40001")
	serverEnd = netip.MustParseAddrPort("127.0.0.1:23")
)

func TestQuery(t *testing.T) {
	long := strings.Repeat("x", 600)
	tests := []struct {
		name  string
		reply func(string) string
		user  string // "" means an error is expected
		err   error  // if set, errors.Is must hold
	}{
		{"G08 alice", identtest.UserID("alice"), "alice", nil},
		{"G10 first word only", identtest.UserID("john smith"), "john", nil},
		{"G34 ERROR reply", identtest.Error("NO-USER"), "", ident.ErrReply},
		{"G35 other ports", identtest.Fixed("1 , 2 : USERID : UNIX : eve\r\n"), "", ident.ErrReply},
		{"LF only", identtest.Fixed("40001,23:USERID:UNIX:bob\n"), "bob", nil},
		// tcpd refuses a last line without newline (fgets sees EOF).
		{"no newline before close", identtest.Fixed("40001,23:USERID:UNIX:bob"), "", ident.ErrIncomplete},
		{"nothing before close", identtest.Fixed(""), "", ident.ErrIncomplete},
		// Only 511 bytes are read: a long user is cut by the read and by
		// %255s, and a line whose fields start after byte 511 fails.
		{"over-long user", identtest.Fixed("40001,23:USERID:UNIX:" + long), long[:255], nil},
		{"over-long padding", identtest.Fixed(strings.Repeat(" ", 600) + "40001,23:USERID:UNIX:bob\r\n"), "", ident.ErrReply},
		{"exactly 511 bytes, no newline", identtest.Fixed("40001,23:USERID:UNIX:" + long[:511-21]), long[:255], nil},
		// Hostile names come back verbatim.
		{"shell metacharacters", identtest.UserID("a;b$c`id`|x"), "a;b$c`id`|x", nil},
		{"escape sequence", identtest.UserID("\x1b]0;pwned\x07"), "\x1b]0;pwned\x07", nil},
		{"newline inside", identtest.UserID("evil\nroot"), "evil", nil},
		{"NUL inside", identtest.UserID("ro\x00ot"), "ro", nil},
		{"second line ignored", identtest.Fixed("junk\r\n40001,23:USERID:UNIX:bob\r\n"), "", ident.ErrReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := identtest.Start(t, "127.0.0.1:0", tt.reply)
			user, err := srv.Client().Query(context.Background(), clientEnd, serverEnd, 2*time.Second)
			if tt.user != "" {
				if err != nil || user != tt.user {
					t.Errorf("Query = %q, %v; want %q", user, err, tt.user)
				}
			} else if err == nil || tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("Query = %q, %v; want error %v", user, err, tt.err)
			}
			q := srv.Queries()
			if len(q) != 1 || q[0].Text != "40001,23\r\n" {
				t.Errorf("queries = %q, want one \"40001,23\\r\\n\"", q)
			}
			wantLookup := tt.user
			if wantLookup == "" {
				wantLookup = ident.Unknown
			}
			if got := srv.Client().Lookup(context.Background(), clientEnd, serverEnd, 2*time.Second); got != wantLookup {
				t.Errorf("Lookup = %q, want %q", got, wantLookup)
			}
		})
	}
}

// The query connection comes from the server's address.
func TestQueryFromServerAddress(t *testing.T) {
	srv := identtest.Start(t, "127.0.0.1:0", identtest.UserID("alice"))
	server := netip.MustParseAddrPort("127.0.0.2:23")
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("cannot use 127.0.0.2: %v", err)
	} else {
		ln.Close()
	}
	user, err := srv.Client().Query(context.Background(), clientEnd, server, 2*time.Second)
	if err != nil || user != "alice" {
		t.Fatalf("Query = %q, %v", user, err)
	}
	if q := srv.Queries(); len(q) != 1 || q[0].From.Addr() != server.Addr() {
		t.Errorf("query came from %v, want %v", q, server.Addr())
	}
}

// A server that never answers gives an error, then "unknown", within the
// timeout.
func TestQueryTimeout(t *testing.T) {
	srv := identtest.Start(t, "127.0.0.1:0", nil)
	start := time.Now()
	_, err := srv.Client().Query(context.Background(), clientEnd, serverEnd, 200*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Query error = %v, want deadline exceeded", err)
	}
	if got := srv.Client().Lookup(context.Background(), clientEnd, serverEnd, 200*time.Millisecond); got != ident.Unknown {
		t.Errorf("Lookup = %q", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// Cancelling the context ends the query at once.
func TestQueryCancel(t *testing.T) {
	srv := identtest.Start(t, "127.0.0.1:0", nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	if _, err := srv.Client().Query(ctx, clientEnd, serverEnd, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Query error = %v, want canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestQueryRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).AddrPort().Port()
	ln.Close()
	c := &ident.Client{Port: port}
	if _, err := c.Query(context.Background(), clientEnd, serverEnd, time.Second); err == nil {
		t.Error("Query to a closed port succeeded")
	}
	if got := c.Lookup(context.Background(), clientEnd, serverEnd, time.Second); got != ident.Unknown {
		t.Errorf("Lookup = %q", got)
	}
}

func TestQueryBadEndpoints(t *testing.T) {
	c := &ident.Client{Dial: func(context.Context, netip.AddrPort, netip.AddrPort) (net.Conn, error) {
		t.Fatal("dialled")
		return nil, nil
	}}
	for _, tt := range []struct{ client, server netip.AddrPort }{
		{netip.AddrPort{}, serverEnd},
		{clientEnd, netip.AddrPort{}},
		{clientEnd, netip.MustParseAddrPort("[::1]:23")}, // families differ
	} {
		if _, err := c.Query(context.Background(), tt.client, tt.server, time.Second); err == nil {
			t.Errorf("Query(%v, %v) succeeded", tt.client, tt.server)
		}
	}
}

// v4-mapped endpoints, as an IPv6 listener reports them, are unmapped.
func TestQueryMapped(t *testing.T) {
	srv := identtest.Start(t, "127.0.0.1:0", identtest.UserID("alice"))
	client := netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), 40001)
	server := netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), 23)
	if user, err := srv.Client().Query(context.Background(), client, server, 2*time.Second); err != nil || user != "alice" {
		t.Errorf("Query = %q, %v", user, err)
	}
}

// The dial hook sees the server's address with port 0 and the client's
// address with the ident port.
func TestClientDial(t *testing.T) {
	var gotLocal, gotRemote netip.AddrPort
	c := &ident.Client{Dial: func(_ context.Context, local, remote netip.AddrPort) (net.Conn, error) {
		gotLocal, gotRemote = local, remote
		return nil, errors.New("no")
	}}
	_, _ = c.Query(context.Background(), clientEnd, serverEnd, time.Second) // fails by design
	if gotLocal != netip.MustParseAddrPort("127.0.0.1:0") || gotRemote != netip.MustParseAddrPort("127.0.0.1:113") {
		t.Errorf("dial(%v, %v)", gotLocal, gotRemote)
	}
}
