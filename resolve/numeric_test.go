package resolve

import (
	"net"
	"net/netip"
	"testing"
)

// The expectations below were checked against glibc 2.36's getaddrinfo
// with AI_NUMERICHOST on Debian 12.
func TestNumericHost(t *testing.T) {
	tests := []struct {
		name    string
		fam     family
		want    string // "" when not numeric for any family
		numeric bool
		ok      bool
	}{
		// Plain dotted quads.
		{"10.20.30.40", inet4, "10.20.30.40", true, true},
		{"10.20.30.40", anyFamily, "10.20.30.40", true, true},
		// An IPv4 literal is refused for AF_INET6 (EAI_ADDRFAMILY): the
		// reverse name of an IPv6 client is then not "numeric".
		{"10.20.30.40", inet6, "", true, false},
		// inet_aton short forms: the last part fills the remaining bytes.
		{"10.1", inet4, "10.0.0.1", true, true},
		{"1.2.65535", inet4, "1.2.255.255", true, true},
		{"167772161", inet4, "10.0.0.1", true, true},
		{"4294967295", inet4, "255.255.255.255", true, true},
		{"0", inet4, "0.0.0.0", true, true},
		// C notation: hex and octal parts.
		{"0x7f.1", inet4, "127.0.0.1", true, true},
		{"0XFF.0.0.1", inet4, "255.0.0.1", true, true},
		{"010.1.1.1", inet4, "8.1.1.1", true, true},
		{"1.2.3.04", inet4, "1.2.3.4", true, true},
		{"0x0.0X0.00.0", inet4, "0.0.0.0", true, true},
		// Out of range parts and trailing garbage are not numeric.
		{"4294967296", inet4, "", false, false},
		{"1.2.3.256", inet4, "", false, false},
		{"1.2.65536", inet4, "", false, false},
		{"1.2.3.4.5", inet4, "", false, false},
		{"1.2.3.4 ", inet4, "", false, false},
		{"08.1.1.1", inet4, "", false, false},
		{"0x", inet4, "", false, false},
		{"0x1g", inet4, "", false, false},
		{"00x1", inet4, "", false, false},
		{"1.0x", inet4, "", false, false},
		{"1..2", inet4, "", false, false},
		{"1.", inet4, "", false, false},
		{".1", inet4, "", false, false},
		{"+1", inet4, "", false, false},
		{" 1", inet4, "", false, false},
		{"", inet4, "", false, false},
		{"host.example", inet4, "", false, false},
		// IPv6.
		{"::1", inet6, "::1", true, true},
		{"::1", inet4, "", true, false},
		{"2001:DB8::1", anyFamily, "2001:db8::1", true, true},
		// A v4-mapped literal is IPv4 for AF_INET and stays mapped
		// otherwise.
		{"::ffff:1.2.3.4", inet4, "1.2.3.4", true, true},
		{"::ffff:1.2.3.4", inet6, "::ffff:1.2.3.4", true, true},
		// Scopes: decimal for any address, names only for link-local. A
		// literal with a bad scope fails without a name lookup.
		{"2001:db8::1%5", inet6, "2001:db8::1%5", true, true},
		{"fe80::1%4294967295", inet6, "fe80::1%4294967295", true, true},
		{"fe80::1%4294967296", inet6, "", true, false},
		{"fe80::1%bogus-interface", inet6, "", true, false},
		{"fe80::1%1x", inet6, "", true, false},
		{"fe80::1%", inet6, "", true, false},
		{"2001:db8::1%lo", inet6, "", true, false},
		{"::1%lo", inet6, "", true, false},
		{"::ffff:169.254.1.1%lo", inet6, "", true, false},
		{"::ffff:169.254.1.1%1", inet6, "::ffff:169.254.1.1%1", true, true},
		// Not addresses at all.
		{"1:2", inet6, "", false, false},
		{"[::1]", inet6, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.fam.String(), func(t *testing.T) {
			a, numeric, ok := numericHost(tt.name, tt.fam)
			if numeric != tt.numeric || ok != tt.ok {
				t.Fatalf("numericHost(%q, %v) = %v, numeric %v, ok %v; want numeric %v, ok %v", tt.name, tt.fam, a, numeric, ok, tt.numeric, tt.ok)
			}
			if ok && a.String() != tt.want {
				t.Errorf("numericHost(%q, %v) = %v, want %s", tt.name, tt.fam, a, tt.want)
			}
		})
	}
}

// A link-local address may name its scope by interface.
func TestNumericHostInterfaceScope(t *testing.T) {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Skip("no network interfaces to name")
	}
	name := "fe80::1%" + ifs[0].Name
	a, numeric, ok := numericHost(name, inet6)
	if !numeric || !ok || a.Zone() != ifs[0].Name {
		t.Errorf("numericHost(%q) = %v, %v, %v", name, a, numeric, ok)
	}
}

// Every strict dotted quad is an inet_aton form with the same value, and
// inet_aton never accepts what it cannot represent.
func FuzzInetAton(f *testing.F) {
	for _, s := range []string{"10.1", "0x7f.1", "010.1.1.1", "1.2.3.4", "4294967295", "1.2.3.4.5", "0x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseInetAton(s)
		if ok && !got.Is4() {
			t.Fatalf("parseInetAton(%q) = %v, not IPv4", s, got)
		}
		strict, err := netip.ParseAddr(s)
		if err == nil && strict.Is4() && (!ok || got != strict) {
			t.Fatalf("parseInetAton(%q) = %v, %v; netip says %v", s, got, ok, strict)
		}
	})
}
