package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The service manager's protocols, as sd_notify(3) and
// sd_listen_fds(3) describe them, with the standard library only.

// notifier sends state changes to $NOTIFY_SOCKET; without one it does
// nothing.
type notifier struct {
	addr *net.UnixAddr
}

func newNotifier(getenv func(string) string) *notifier {
	path := getenv("NOTIFY_SOCKET")
	if path == "" {
		return &notifier{}
	}
	// "@name" is an abstract socket; net does the translation.
	return &notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// send sends one message ("READY=1", lines joined with "\n").
func (n *notifier) send(lines ...string) error {
	if n.addr == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(strings.Join(lines, "\n") + "\n"))
	return err
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants
// it in MONOTONIC_USEC.
func monotonicUsec() string {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return strconv.FormatInt(ts.Sec*1e6+ts.Nsec/1e3, 10)
}

// watchdogInterval is how often to send WATCHDOG=1: half of
// $WATCHDOG_USEC, when it is set for this process.
func watchdogInterval(getenv func(string) string) time.Duration {
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// listenFDs returns the sockets passed by socket activation
// ($LISTEN_PID, $LISTEN_FDS, descriptors from 3), named after
// $LISTEN_FDNAMES when given.
func listenFDs(getenv func(string) string) ([]*os.File, error) {
	pid := getenv("LISTEN_PID")
	if pid == "" {
		return nil, nil
	}
	if pid != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	n, err := strconv.Atoi(getenv("LISTEN_FDS"))
	if err != nil || n < 0 || n > 4096 {
		return nil, fmt.Errorf("LISTEN_FDS=%q is not a count of descriptors", getenv("LISTEN_FDS"))
	}
	names := strings.Split(getenv("LISTEN_FDNAMES"), ":")
	var files []*os.File
	for i := range n {
		fd := 3 + i
		unix.CloseOnExec(fd)
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		files = append(files, os.NewFile(uintptr(fd), name))
	}
	return files, nil
}
