package inetconf

import (
	"fmt"
	"net/netip"
	"testing"
)

// sprintf must agree with fmt.Sprintf on the verbs and types the
// messages use.
func TestSprintf(t *testing.T) {
	cases := []struct {
		format string
		args   []any
	}{
		{"plain", nil},
		{"%s and %q", []any{"a b", "tab\there\x00\r\n\"é"}},
		{"%d of %d, %d", []any{3, int32(-7), uint16(65535)}},
		{"%s %v %q", []any{Stream, IPv6, Dgram}},
		{"host %q is read as %s", []any{"127.1", netip.MustParseAddr("127.0.0.1")}},
		{"100%% %s", []any{"sure"}},
		{"%s", []any{Key{Family: IPv4, Socket: Stream, Addr: netip.MustParseAddrPort("127.0.0.1:7")}}},
	}
	for _, c := range cases {
		if got, want := sprintf(c.format, c.args...), fmt.Sprintf(c.format, c.args...); got != want {
			t.Errorf("sprintf(%q) = %q, fmt says %q", c.format, got, want)
		}
	}
}
