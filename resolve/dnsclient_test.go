package resolve

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestReadResolvConf(t *testing.T) {
	tests := []struct {
		name string
		text string
		want resolvConf
	}{
		{"defaults", "", resolvConf{[]string{"127.0.0.1:53", "[::1]:53"}, 5 * time.Second, 2}},
		{"servers and options",
			"# comment\n; comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2 timeout:1 attempts:3 rotate\n",
			resolvConf{[]string{"192.0.2.53:53", "[2001:db8::53]:53"}, time.Second, 3}},
		// glibc keeps three servers and caps the options.
		{"limits",
			"nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\noptions timeout:99 attempts:9\n",
			resolvConf{[]string{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"}, 30 * time.Second, 5}},
		{"bad lines", "nameserver\nnameserver not-an-address\noptions timeout:x attempts:0\n",
			resolvConf{[]string{"127.0.0.1:53", "[::1]:53"}, 5 * time.Second, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "resolv.conf")
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := readResolvConf(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readResolvConf = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := readResolvConf(filepath.Join(t.TempDir(), "missing")); got.attempts != 2 || len(got.servers) != 2 {
		t.Errorf("missing file: %+v", got)
	}
}
