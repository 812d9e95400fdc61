package resolve

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestReverseName(t *testing.T) {
	tests := map[string]string{
		"10.20.30.40":      "40.30.20.10.in-addr.arpa",
		"::ffff:127.0.0.5": "5.0.0.127.in-addr.arpa",
		"2001:db8::1":      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	}
	for in, want := range tests {
		if got := strings.Join(reverseName(netip.MustParseAddr(in)), "."); got != want {
			t.Errorf("reverseName(%s) = %s, want %s", in, got, want)
		}
	}
}

// reply builds a packed reply to a PTR question for qname with the given
// answer records (master-file text).
func reply(t testing.TB, qname string, answers ...string) []byte {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(qname, dns.TypePTR)
	m := new(dns.Msg)
	m.SetReply(q)
	for _, a := range answers {
		rr, err := dns.NewRR(a)
		if err != nil {
			t.Fatal(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The expectations were checked against glibc 2.36's getnameinfo with
// NI_NAMEREQD, served by a loopback name server.
func TestPTRTarget(t *testing.T) {
	const q = "40.30.20.10.in-addr.arpa."
	tests := []struct {
		name    string
		answers []string
		want    string
		ok      bool
	}{
		{"plain", []string{q + " PTR host.example."}, "host.example", true},
		{"case kept", []string{q + " PTR UPPER.Example."}, "UPPER.Example", true},
		// All-numeric names pass res_hnok (Go's LookupAddr drops them).
		{"numeric", []string{q + " PTR 10.20.30.40."}, "10.20.30.40", true},
		{"one label numeric", []string{q + " PTR 1234."}, "1234", true},
		{"underscore", []string{q + " PTR Under_Score.Example."}, "Under_Score.Example", true},
		{"hyphen inside", []string{q + " PTR x.-y.example."}, "x.-y.example", true},
		{"hyphen at label end", []string{q + " PTR trailing-.example."}, "trailing-.example", true},
		{"root", []string{q + " PTR ."}, ".", true},
		// res_hnok failures fail the lookup.
		{"leading hyphen", []string{q + " PTR -lead.example."}, "", false},
		{"shell metacharacters", []string{q + ` PTR a\;b\$c.example.`}, "", false},
		{"newline", []string{q + ` PTR evil\010name.example.`}, "", false},
		{"nul", []string{q + ` PTR nul\000name.example.`}, "", false},
		{"space", []string{q + ` PTR sp\032ace.example.`}, "", false},
		{"star", []string{q + ` PTR star*.example.`}, "", false},
		{"dot in label", []string{q + ` PTR dot\.inlabel.example.`}, "", false},
		// Only the first PTR counts, good or bad.
		{"first of two", []string{q + " PTR first.example.", q + " PTR second.example."}, "first.example", true},
		{"bad then good", []string{q + ` PTR bad\;one.example.`, q + " PTR good.example."}, "", false},
		{"good then bad", []string{q + " PTR good2.example.", q + ` PTR bad2\;.example.`}, "good2.example", true},
		// RFC 2317 classless delegation: a CNAME to the real PTR.
		{"cname", []string{q + " CNAME 40.0-24.30.20.10.in-addr.arpa.", "40.0-24.30.20.10.in-addr.arpa. PTR classless.example."}, "classless.example", true},
		// A CNAME is followed whoever owns it ("historic precedent").
		{"cname of another owner", []string{"x.example. CNAME 40.0-24.30.20.10.in-addr.arpa.", "40.0-24.30.20.10.in-addr.arpa. PTR classless.example."}, "classless.example", true},
		// PTR records owned by other names are ignored.
		{"other owner", []string{"41.30.20.10.in-addr.arpa. PTR other.example."}, "", false},
		{"no ptr", []string{q + ` TXT "nothing"`}, "", false},
		{"empty", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseMessage(reply(t, q, tt.answers...))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := ptrTarget(m, reverseName(netip.MustParseAddr("10.20.30.40")))
			if got != tt.want || ok != tt.ok {
				t.Errorf("ptrTarget = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAddrTargets(t *testing.T) {
	const q = "www.example."
	tests := []struct {
		name    string
		qtype   uint16
		answers []string
		canon   string
		addrs   string
		ok      bool
	}{
		{"plain", dns.TypeA, []string{q + " A 192.0.2.1", q + " A 192.0.2.2"}, "www.example", "192.0.2.1 192.0.2.2", true},
		{"aaaa", dns.TypeAAAA, []string{q + " AAAA 2001:db8::1"}, "www.example", "2001:db8::1", true},
		{"type filtered", dns.TypeA, []string{q + " AAAA 2001:db8::1", q + " A 192.0.2.1"}, "www.example", "192.0.2.1", true},
		{"cname chain", dns.TypeA, []string{q + " CNAME a.example.", "a.example. CNAME b.example.", "b.example. A 192.0.2.3"}, "b.example", "192.0.2.3", true},
		// The canonical name stays the last one that passes res_hnok; the
		// addresses still follow the chain.
		{"cname to bad name", dns.TypeA, []string{q + ` CNAME bad\;name.example.`, `bad\;name.example. A 192.0.2.4`}, "www.example", "192.0.2.4", true},
		{"address of another owner", dns.TypeA, []string{q + " CNAME a.example.", q + " A 192.0.2.5"}, "", "", false},
		{"cname only", dns.TypeA, []string{q + " CNAME a.example."}, "", "", false},
		{"empty", dns.TypeA, nil, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qm := new(dns.Msg)
			qm.SetQuestion(q, tt.qtype)
			m := new(dns.Msg)
			m.SetReply(qm)
			for _, a := range tt.answers {
				rr, err := dns.NewRR(a)
				if err != nil {
					t.Fatal(err)
				}
				m.Answer = append(m.Answer, rr)
			}
			b, err := m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			pm, err := parseMessage(b)
			if err != nil {
				t.Fatal(err)
			}
			canon, addrs, ok := addrTargets(pm, []string{"www", "example"}, tt.qtype)
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if canon != tt.canon || strings.Join(got, " ") != tt.addrs || ok != tt.ok {
				t.Errorf("addrTargets = %q, %v, %v; want %q, %s, %v", canon, got, ok, tt.canon, tt.addrs, tt.ok)
			}
		})
	}
	// The question name itself must pass res_hnok.
	m, _ := parseMessage(reply(t, "x.example.", `x.example. A 192.0.2.1`))
	if _, _, ok := addrTargets(m, []string{"a;b", "example"}, typeA); ok {
		t.Error("accepted a question name that fails res_hnok")
	}
}

func TestParseMessageMalformed(t *testing.T) {
	good := reply(t, "1.0.0.127.in-addr.arpa.", "1.0.0.127.in-addr.arpa. PTR localhost.")
	for n := 0; n < len(good); n++ {
		if _, err := parseMessage(good[:n]); err == nil && n < headerLen {
			t.Errorf("parseMessage accepted %d bytes", n)
		}
	}
	// A compression pointer loop.
	loop := append([]byte(nil), good[:headerLen]...)
	loop[5] = 1 // QDCOUNT 1
	loop[7] = 0 // ANCOUNT 0
	loop = append(loop, 0xc0, headerLen)
	if _, err := parseMessage(loop); err == nil {
		t.Error("parseMessage accepted a pointer loop")
	}
}

func TestBuildQuery(t *testing.T) {
	b := buildQuery(0x1234, reverseName(netip.MustParseAddr("10.20.30.40")), typePTR)
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		t.Fatal(err)
	}
	if m.Id != 0x1234 || !m.RecursionDesired || len(m.Question) != 1 ||
		m.Question[0].Name != "40.30.20.10.in-addr.arpa." || m.Question[0].Qtype != dns.TypePTR {
		t.Errorf("query = %v", &m)
	}
}

// FuzzParseMessage checks that arbitrary replies never panic the parser
// and that an accepted PTR name only ever holds res_hnok characters.
func FuzzParseMessage(f *testing.F) {
	f.Add(reply(f, "40.30.20.10.in-addr.arpa.", "40.30.20.10.in-addr.arpa. PTR host.example."))
	f.Add(reply(f, "40.30.20.10.in-addr.arpa.", "40.30.20.10.in-addr.arpa. CNAME x.example.", "x.example. PTR y.example."))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMessage(b)
		if err != nil {
			return
		}
		name, ok := ptrTarget(m, reverseName(netip.MustParseAddr("10.20.30.40")))
		if !ok {
			return
		}
		if name == "" || len(name) > 254 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
			t.Fatalf("ptrTarget accepted %q", name)
		}
	})
}
