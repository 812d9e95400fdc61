package dnstest_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	"tcpwrap/resolve/dnstest"
)

const zone = `
www.example.   A     192.0.2.1
www.example.   AAAA  2001:db8::1
alias.example. CNAME www.example.
txt.example.   TXT   "no address"
fail.example.  A     192.0.2.9
slow.example.  A     192.0.2.8
1.2.0.192.in-addr.arpa. PTR www.example.
`

func start(t *testing.T) *dnstest.Server {
	return dnstest.Start(t, zone,
		dnstest.Rcode(dns.RcodeServerFailure, dnstest.Name("fail.example", dns.TypeNone)),
		dnstest.Silent(dnstest.Name("slow.example", dns.TypeA)))
}

func TestAnswers(t *testing.T) {
	s := start(t)
	r := s.Resolver()
	ctx := context.Background()

	addrs, err := r.LookupNetIP(ctx, "ip", "alias.example")
	if err != nil || len(addrs) != 2 {
		t.Fatalf("LookupNetIP(alias) = %v, %v", addrs, err)
	}
	cname, err := r.LookupCNAME(ctx, "alias.example")
	if err != nil || cname != "www.example." {
		t.Errorf("LookupCNAME(alias) = %q, %v", cname, err)
	}
	names, err := r.LookupAddr(ctx, "192.0.2.1")
	if err != nil || len(names) != 1 || names[0] != "www.example." {
		t.Errorf("LookupAddr = %v, %v", names, err)
	}
	var dnsErr *net.DNSError
	if _, err := r.LookupNetIP(ctx, "ip4", "nowhere.example"); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("NXDOMAIN: %v", err)
	}
	if _, err := r.LookupNetIP(ctx, "ip4", "txt.example"); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("NODATA: %v", err)
	}
	if _, err := r.LookupNetIP(ctx, "ip4", "fail.example"); !errors.As(err, &dnsErr) || dnsErr.IsNotFound {
		t.Errorf("SERVFAIL: %v", err)
	}
	if s.Asked("ALIAS.example.", dns.TypeA) == 0 || s.Asked("www.example", dns.TypeA) != 0 {
		t.Errorf("Asked: alias %d, www %d", s.Asked("alias.example", dns.TypeA), s.Asked("www.example", dns.TypeA))
	}
}

func TestSilent(t *testing.T) {
	s := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Resolver().LookupNetIP(ctx, "ip4", "slow.example"); err == nil {
		t.Fatal("silent server answered")
	}
	if s.Asked("slow.example", dns.TypeA) == 0 {
		t.Error("question not logged")
	}
}

// Large answers are truncated over UDP and complete over TCP.
func TestTCP(t *testing.T) {
	var z string
	for i := 1; i <= 60; i++ {
		z += "big.example. A 192.0.2." + strconv.Itoa(i) + "\n"
	}
	s := dnstest.Start(t, z)
	addrs, err := s.Resolver().LookupNetIP(context.Background(), "ip4", "big.example")
	if err != nil || len(addrs) != 60 {
		t.Fatalf("LookupNetIP(big) = %d addresses, %v", len(addrs), err)
	}
	if addrs[0].Unmap() != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("first address %v", addrs[0])
	}
}
