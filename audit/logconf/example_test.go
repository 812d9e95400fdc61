package logconf_test

import (
	"fmt"
	"strings"

	"tcpwrap/audit/logconf"
)

func ExampleParse() {
	cfg, err := logconf.Parse(strings.NewReader(`
syslog off
remote tls loghost.example.org:6514 ca=/etc/tcpwrap/ca.pem
route daemon.info /var/log/tcpwrap/infolog
`), "logging.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.SyslogMode, cfg.JSONPath, cfg.Remotes[0].Addr, cfg.Routes[0].Selector)

	_, err = logconf.Parse(strings.NewReader("syslog on\nremote tcp loghost\nqueue 10k\n"), "logging.conf")
	fmt.Println(err)
	// Output:
	// off /var/log/tcpwrap/decisions.jsonl loghost.example.org:6514 daemon.info
	// logging.conf:2: remote: address "loghost": missing port, as in loghost.example.org:514
	// logging.conf:3: queue: bad size "10k" (want a whole number from 1 to 1000000)
}
