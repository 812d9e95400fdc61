package limits_test

import (
	"strings"
	"testing"
	"time"

	"tcpwrap/limits"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want limits.Rate
		err  string // a part of the error; empty: no error
	}{
		{in: "10/s", want: limits.Rate{N: 10, Per: time.Second}},
		{in: "1/sec", want: limits.Rate{N: 1, Per: time.Second}},
		{in: "3/second", want: limits.Rate{N: 3, Per: time.Second}},
		{in: "30/min", want: limits.Rate{N: 30, Per: time.Minute}},
		{in: "30/m", want: limits.Rate{N: 30, Per: time.Minute}},
		{in: "30/minute,burst=5", want: limits.Rate{N: 30, Per: time.Minute, Burst: 5}},
		{in: "1073741824/s", want: limits.Rate{N: 1 << 30, Per: time.Second}},
		{in: "007/s", want: limits.Rate{N: 7, Per: time.Second}}, // decimal, not octal
		// Errors: nothing malformed reads as "no limit".
		{in: "", err: "want N/s or N/min"},
		{in: "10", err: "want N/s or N/min"},
		{in: "0/s", err: "out of range"},
		{in: "-1/s", err: "not a decimal number"},
		{in: "+1/s", err: "not a decimal number"},
		{in: "1_0/s", err: "not a decimal number"},
		{in: " 10/s", err: "not a decimal number"},
		{in: "1e3/s", err: "not a decimal number"},
		{in: "0x10/s", err: "not a decimal number"},
		{in: "1073741825/s", err: "out of range"},
		{in: "99999999999999999999/s", err: "out of range"},
		{in: "/s", err: "missing number"},
		{in: "10/h", err: `unit "h"`},
		{in: "10/S", err: `unit "S"`},
		{in: "10/s ", err: `unit "s "`},
		{in: "10/s,", err: "want burst=B"},
		{in: "10/s,burst=", err: "missing number"},
		{in: "10/s,burst=0", err: "out of range"},
		{in: "10/s,burst=5,burst=6", err: "not a decimal number"},
		{in: "10/s,rate=5", err: "want burst=B"},
		{in: "10/s/s", err: `unit "s/s"`},
		{in: "1/min,burst=1073741824", err: "burst times period too large"},
		{in: "1/s,burst=1073741824", want: limits.Rate{N: 1, Per: time.Second, Burst: 1 << 30}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := limits.ParseRate(tc.in)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("got %+v, want an error with %q", got, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("error %q, want one with %q", err, tc.err)
			case tc.err != "" && got != (limits.Rate{}):
				t.Fatalf("error with a rate %+v", got)
			case got != tc.want:
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if err == nil {
				if _, err := limits.New(limits.Config{Source: limits.SourceLimits{Rate: got}}); err != nil {
					t.Fatalf("New rejects the parsed rate: %v", err)
				}
			}
		})
	}
}

func TestRateString(t *testing.T) {
	for _, tc := range []struct {
		r    limits.Rate
		want string
	}{
		{limits.Rate{}, "none"},
		{limits.PerSecond(10, 0), "10/s"},
		{limits.PerSecond(10, 10), "10/s"},
		{limits.PerSecond(10, 20), "10/s,burst=20"},
		{limits.PerMinute(3, 1), "3/min,burst=1"},
		{limits.Rate{N: 5}, "5/s"},
		{limits.Rate{N: 5, Per: time.Hour}, "5/1h0m0s"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}

// ParseRate never panics, never returns a rate with an error, and what it
// accepts New accepts and String gives back in a form it reads the same.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"10/s", "30/min,burst=5", "0/s", "1/m,burst=1073741824", "x", "10/s,burst=", "7/second"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := limits.ParseRate(s)
		if err != nil {
			if r != (limits.Rate{}) {
				t.Fatalf("%q: error %v with rate %+v", s, err, r)
			}
			return
		}
		if r.N <= 0 || (r.Per != time.Second && r.Per != time.Minute) || r.Burst < 0 {
			t.Fatalf("%q: accepted as %+v", s, r)
		}
		if _, err := limits.New(limits.Config{Source: limits.SourceLimits{Rate: r}}); err != nil {
			t.Fatalf("%q: parsed as %+v, which New rejects: %v", s, r, err)
		}
		back, err := limits.ParseRate(r.String())
		if err != nil {
			t.Fatalf("%q: String gave %q: %v", s, r.String(), err)
		}
		norm := func(r limits.Rate) limits.Rate {
			if r.Burst == 0 {
				r.Burst = r.N
			}
			return r
		}
		if norm(back) != norm(r) {
			t.Fatalf("%q: %+v, round trip %+v", s, r, back)
		}
	})
}

// New and Reconfigure reject what they cannot honour, naming it.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  limits.Config
		err  string
	}{
		{"negative global", limits.Config{GlobalMax: -1}, "global maximum -1"},
		{"huge global", limits.Config{GlobalMax: 1<<30 + 1}, "global maximum"},
		{"negative source max", limits.Config{Source: limits.SourceLimits{Max: -1}}, "per-source maximum -1"},
		{"negative overflow max", limits.Config{Overflow: &limits.SourceLimits{Max: -2}}, "overflow maximum -2"},
		{"rate without N", limits.Config{Source: limits.SourceLimits{Rate: limits.Rate{Burst: 3}}}, "per-source rate: 0 connections"},
		{"negative rate", limits.Config{Source: limits.SourceLimits{Rate: limits.Rate{N: -1}}}, "per-source rate: -1 connections"},
		{"negative period", limits.Config{Source: limits.SourceLimits{Rate: limits.Rate{N: 1, Per: -time.Second}}}, "period -1s"},
		{"long period", limits.Config{Source: limits.SourceLimits{Rate: limits.Rate{N: 1, Per: 25 * time.Hour}}}, "period 25h0m0s"},
		{"negative burst", limits.Config{Source: limits.SourceLimits{Rate: limits.Rate{N: 1, Burst: -1}}}, "burst -1"},
		{"burst too long", limits.Config{Source: limits.SourceLimits{Rate: limits.Rate{N: 1, Per: 24 * time.Hour, Burst: 1 << 30}}}, "burst times period"},
		{"ipv4 bits", limits.Config{IPv4Bits: 33}, "IPv4 prefix length 33"},
		{"negative ipv4 bits", limits.Config{IPv4Bits: -1}, "IPv4 prefix length -1"},
		{"ipv6 bits", limits.Config{IPv6Bits: 129}, "IPv6 prefix length 129"},
		{"max sources", limits.Config{MaxSources: -5}, "maximum tracked sources -5"},
		{"log interval", limits.Config{LogInterval: -time.Second}, "negative log interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := limits.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("New: %v, want an error with %q", err, tc.err)
			}
			l, err := limits.New(limits.Config{GlobalMax: 7})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Reconfigure(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Reconfigure: %v, want an error with %q", err, tc.err)
			}
			if l.Config().GlobalMax != 7 {
				t.Fatal("a rejected reload changed the configuration")
			}
		})
	}
}
