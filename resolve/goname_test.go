package resolve

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
)

// goAcceptsName must agree with net.Resolver: a name it accepts is sent
// to a name server, a name it refuses is not. If a Go release changes the
// rule, this test says so.
func TestGoAcceptsNameMatchesNet(t *testing.T) {
	var dials atomic.Int32
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("no network in tests")
	}}
	names := []string{
		"host.example", "x.-y.example", "trailing-.example", "-lead.example", "1.2.3.4.5",
		"10.20.30.40.in-addr", "1234", "a_b.example", "a;b.example", "a..b", "host.example.",
		"0x7f.example", "é.example", "a\x00b", "xn--bcher-kva.example", "1-2.3",
	}
	for _, name := range names {
		dials.Store(0)
		_, _ = r.LookupNetIP(context.Background(), "ip4", name) // the dial error is the point
		if dialed := dials.Load() > 0; dialed != goAcceptsName(name) {
			t.Errorf("%q: net.Resolver dialed %v, goAcceptsName says %v", name, dialed, goAcceptsName(name))
		}
	}
}
