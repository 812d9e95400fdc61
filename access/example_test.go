package access_test

import (
	"fmt"

	"tcpwrap/access"
)

// Decide a request against a pair of tables, as tcpd would.
func Example() {
	allow := access.Parse([]byte("sshd: 192.0.2.0/255.255.255.0 EXCEPT 192.0.2.66\n"), "/etc/hosts.allow", access.ParseOptions{})
	deny := access.Parse([]byte("ALL: ALL\n"), "/etc/hosts.deny", access.ParseOptions{})
	policy := access.Policy{Allow: allow, Deny: deny}

	for _, client := range []string{"192.0.2.10", "192.0.2.66"} {
		req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: client}}
		d := policy.Decide(access.NewFacts(req, access.Hooks{}))
		fmt.Printf("%s: %s by %s line %d\n", client, d.Verdict, d.Rule.File, d.Rule.Line)
	}
	// Output:
	// 192.0.2.10: granted by /etc/hosts.allow line 1
	// 192.0.2.66: denied by /etc/hosts.deny line 1
}

// Options are returned as actions for the caller to carry out; deciding
// runs nothing.
func ExamplePolicy_Decide_options() {
	allow := access.Parse([]byte("in.fingerd: ALL: spawn echo %d from %a >> /var/log/finger: twist /bin/echo no\n"), "hosts.allow", access.ParseOptions{})
	req := access.Request{Daemon: "in.fingerd", Client: access.Endpoint{Addr: "198.51.100.7"}}
	d := access.Policy{Allow: allow}.Decide(access.NewFacts(req, access.Hooks{}))
	for _, a := range d.Actions {
		fmt.Printf("%s: %s\n", a.Kind, a.Value)
	}
	fmt.Println("delegated:", d.Delegated)
	// Output:
	// spawn: echo in.fingerd from 198.51.100.7 >> /var/log/finger
	// twist: /bin/echo no
	// delegated: true
}
