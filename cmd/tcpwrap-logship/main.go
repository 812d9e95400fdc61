// Command tcpwrap-logship ships the audit records that tcpd leaves in
// outboxes to their central log hosts.
//
//	tcpwrap-logship [-c logging.conf] [-linger 60s] [-detach]
//
// tcpd does not speak TLS itself: it starts once per connection, linking
// TLS would slow every start, and a handshake per connection would cost
// more than the rest of tcpd. For each "remote tls" host of the logging
// configuration it writes the records into an outbox directory and, when
// no shipper holds that outbox, starts this program with -detach. The
// shipper delivers the records in order over one TLS connection, removes
// each once delivered, and exits after -linger without new records. It
// can also run as a service of its own (-linger 0 means forever).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"tcpwrap/audit/logconf"
	"tcpwrap/audit/remote"
	_ "tcpwrap/audit/remote/tlsclient" // TLS for the log hosts
	"tcpwrap/audit/trail"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("tcpwrap-logship", flag.ContinueOnError)
	conf := fs.String("c", os.Getenv("TCPWRAP_LOGGING_CONF"), "logging configuration (default /etc/tcpwrap/logging.conf)")
	linger := fs.Duration("linger", time.Minute, "exit after this long without records (0: never)")
	detach := fs.Bool("detach", false, "start a detached shipper and return at once")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *detach {
		return startDetached(*conf, *linger)
	}
	c, err := logconf.Load(*conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpwrap-logship:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *linger == 0 {
		*linger = 1<<63 - 1
	}
	var wg sync.WaitGroup
	status := 0
	var mu sync.Mutex
	for _, r := range c.Remotes {
		dir := trail.OutboxDir(c, r)
		if _, err := os.Stat(dir); err != nil {
			continue // nothing was ever left for this host
		}
		rc, err := trail.RemoteConfig(c, r)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tcpwrap-logship:", err)
			status = 1
			continue
		}
		// The outbox keeps the records until they are delivered: no
		// second spool.
		rc.SpoolDir = ""
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := remote.New(rc)
			if err != nil {
				fmt.Fprintln(os.Stderr, "tcpwrap-logship:", err)
				mu.Lock()
				status = 1
				mu.Unlock()
				return
			}
			n, err := remote.DrainOutbox(ctx, dir, s, *linger, 0)
			s.Close(context.Background())
			if err != nil && !errors.Is(err, remote.ErrShipperBusy) {
				fmt.Fprintf(os.Stderr, "tcpwrap-logship: %s %s: %v (%d records shipped)\n", r.Network, r.Addr, err, n)
				mu.Lock()
				status = 1
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return status
}

// startDetached starts the shipper in a session of its own, its standard
// descriptors on /dev/null, and does not wait for it.
func startDetached(conf string, linger time.Duration) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpwrap-logship:", err)
		return 1
	}
	args := []string{"-linger", linger.String()}
	if conf != "" {
		args = append(args, "-c", conf)
	}
	cmd := exec.Command(exe, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "tcpwrap-logship:", err)
		return 1
	}
	cmd.Process.Release()
	return 0
}
