package ban_test

import (
	"net/netip"
	"os"
	"reflect"
	"testing"
	"time"

	"tcpwrap/watch/ban"
)

func TestParseConfigFile(t *testing.T) {
	src, err := os.ReadFile("testdata/ban.conf")
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok, err := ban.ParseConfig(src, "ban.conf")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	want := ban.Config{
		File: "/var/lib/tcpwrap/banned", State: "/var/lib/tcpdwatch/bans.json",
		Duration: 30 * time.Minute, Factor: 4, MaxDuration: 14 * 24 * time.Hour, Forget: 60 * 24 * time.Hour,
		Prefix4: 32, Prefix6: 56, MaxBans: 5000,
		Allow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::10/128"), netip.MustParsePrefix("198.51.100.7/32")},
		Pos:   ban.Pos{File: "ban.conf", Line: 5},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if _, ok, err := ban.ParseConfig([]byte("[alert]\nquiet = 1m\n"), "x"); ok || err != nil {
		t.Errorf("no [ban] section: %v %v", ok, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"no file", "[ban]\nduration = 1h\n", "c.conf:1: [ban] needs a file"},
		{"relative file", "[ban]\nfile = banned\n", "c.conf:2: file: want an absolute path"},
		{"unknown key", "[ban]\nfile = /b\nbantime = 1h\n", `c.conf:3: unknown key "bantime" in [ban]`},
		{"twice", "[ban]\nfile = /b\nfile = /c\n", "c.conf:3: file given twice (first on line 2)"},
		{"duration", "[ban]\nfile = /b\nduration = forever\n", `c.conf:3: duration: bad duration "forever"`},
		{"factor", "[ban]\nfile = /b\nfactor = 0.5\n", `c.conf:3: factor: want a number from 1 to 1000, not "0.5"`},
		{"factor NaN", "[ban]\nfile = /b\nfactor = NaN\n", `c.conf:3: factor: want a number from 1 to 1000, not "NaN"`},
		{"prefix6 too wide", "[ban]\nfile = /b\nprefix6 = 16\n", `c.conf:3: prefix6: want a number from 32 to 128, not "16"`},
		{"prefix4 too wide", "[ban]\nfile = /b\nprefix4 = 8\n", `c.conf:3: prefix4: want a number from 16 to 32, not "8"`},
		{"allow host bits", "[ban]\nfile = /b\nallow = 192.0.2.1/24\n", `c.conf:3: allow: "192.0.2.1/24": bits set beyond the prefix length (did you mean 192.0.2.0/24?)`},
		{"allow name", "[ban]\nfile = /b\nallow = gateway\n", `c.conf:3: allow: "gateway": not an address or prefix`},
		{"default-allow", "[ban]\nfile = /b\ndefault-allow = maybe\n", "c.conf:3: default-allow: want yes or no"},
		{"max shorter", "[ban]\nfile = /b\nduration = 2h\nmax-duration = 1h\n", "c.conf:1: ban: max-duration is shorter than duration"},
		{"same files", "[ban]\nfile = /b\nstate = /b\n", "c.conf:1: ban: state and file must differ"},
		{"second section", "[ban]\nfile = /b\n[ban]\n", "c.conf:3: second [ban] section"},
		{"named section", "[ban x]\nfile = /b\n", "c.conf:1: [ban] takes no name"},
		{"no equals", "[ban]\nfile /b\n", "c.conf:2: want key = value"},
		{"all errors", "[ban]\nfile = /b\nduration = x\nforget = y\n", "c.conf:3: duration: bad duration \"x\"\nc.conf:4: forget: bad duration \"y\""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ban.ParseConfig([]byte(tt.src), "c.conf")
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}
