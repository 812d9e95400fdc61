package access_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"tcpwrap/access"
)

// A large table compiled in two halves at once is the table compiled in
// one piece: the same rules with the same lines and positions, the same
// warnings in the same places, the same decisions.
func TestParseHalves(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []func(i int) string{
		func(i int) string { return fmt.Sprintf("ALL: 10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255) },
		func(i int) string { return "# a comment\n" },
		func(i int) string { return "\n" },
		func(i int) string { return "sshd: 192.0.2.\\\n 198.51.100.7\n" },
		func(i int) string { return "no separator here\n" },
		func(i int) string { return fmt.Sprintf("in.ftpd: 172.16.%d.0/255.255.255.0: spawn echo %%a\n", i&255) },
		func(i int) string { return "sshd: " + strings.Repeat("x", 2100) + "\n" }, // over-long
	}
	for round := range 12 {
		var b strings.Builder
		n := 30000 + r.IntN(10000)
		for i := range n {
			k := r.IntN(6)
			// Over-long lines only sometimes, and late, so both halves
			// are exercised with and without them.
			if round%3 == 0 && i == n*(1+round%2)/3 {
				k = 6
			}
			b.WriteString(kinds[k](i))
		}
		if round%4 == 1 {
			b.WriteString("sshd: 10.0.0.1") // no final newline
		}
		src := []byte(b.String())
		for _, checker := range []bool{false, true} {
			opts := access.ParseOptions{Checker: checker}
			a, s := access.Parse(src, "t", opts), access.ParseSequential(src, "t", opts)
			if len(a.Rules) != len(s.Rules) {
				t.Fatalf("round %d: %d rules, sequential %d", round, len(a.Rules), len(s.Rules))
			}
			for i := range a.Rules {
				x, y := a.Rules[i], s.Rules[i]
				if x.Line != y.Line || x.Text != y.Text || x.Options != y.Options {
					t.Fatalf("round %d rule %d: %d %q vs %d %q", round, i, x.Line, x.Text, y.Line, y.Text)
				}
			}
			if itemsText(a) != itemsText(s) {
				t.Fatalf("round %d: items differ", round)
			}
			if strings.Join(a.Warnings(), "\n") != strings.Join(s.Warnings(), "\n") {
				t.Fatalf("round %d: warnings differ:\n%v\n%v", round, a.Warnings(), s.Warnings())
			}
			for _, c := range []string{"10.0.0.1", "10.0.100.7", "192.0.2.3", "172.16.5.9", "203.0.113.1"} {
				req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: c}}
				da := access.Policy{Deny: a}.Check(req, access.Hooks{})
				ds := access.Policy{Deny: s}.Check(req, access.Hooks{})
				if da.Verdict != ds.Verdict || (da.Rule == nil) != (ds.Rule == nil) || (da.Rule != nil && da.Rule.Line != ds.Rule.Line) || fmt.Sprint(da.Log) != fmt.Sprint(ds.Log) {
					t.Fatalf("round %d client %s: %v %+v vs %v %+v", round, c, da.Verdict, da.Rule, ds.Verdict, ds.Rule)
				}
			}
		}
	}
}

func itemsText(t *access.Table) string {
	var b strings.Builder
	for _, it := range t.Items() {
		if it.Rule != nil {
			fmt.Fprintf(&b, "%d rule %q\n", it.Line, it.Rule.Text)
		} else {
			fmt.Fprintf(&b, "%d warning %s\n", it.Line, it.Warning)
		}
	}
	return b.String()
}

// Rules compiled on first use are compiled safely when many decisions
// reach them at once (run with -race).
func TestLazyCompileConcurrent(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "sshd: 10.0.%d.%d\n", i>>8, i&255)
	}
	for _, tab := range []*access.Table{
		access.Parse([]byte(b.String()), "t", access.ParseOptions{}),
		mustLoad(t, access.Parse([]byte(b.String()), "t", access.ParseOptions{}).AppendSnapshot(nil)),
	} {
		p := access.Policy{Deny: tab}
		done := make(chan bool)
		for g := range 8 {
			go func() {
				ok := true
				for i := range 2000 {
					c := fmt.Sprintf("10.0.%d.%d", (i+g)%2000>>8, (i+g)%2000&255)
					d := p.Check(access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: c}}, access.Hooks{})
					ok = ok && d.Verdict == access.Denied && d.Rule.Line == (i+g)%2000+1
				}
				done <- ok
			}()
		}
		for range 8 {
			if !<-done {
				t.Fatal("a decision went wrong")
			}
		}
	}
}

func mustLoad(t *testing.T, snap []byte) *access.Table {
	t.Helper()
	tab, err := access.LoadSnapshot(snap, "t", access.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
