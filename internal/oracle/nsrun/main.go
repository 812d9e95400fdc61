// Command nsrun is the in-namespace half of package oracle. It is not meant
// to be run by hand: oracle.Run starts it as
//
//	unshare --mount --propagation private nsrun
//
// with a JSON request on stdin, and reads a JSON reply from stdout (the
// types of package internal/oracle/nsproto).
//
// Inside the fresh (private) mount namespace it:
//
//  1. mounts a tmpfs over /dev and bind-mounts null, zero, full, random,
//     urandom and tty back from the original /dev (plus the usual fd/std*
//     symlinks), so that nothing of the machine's /dev/log is visible;
//  2. optionally bind-mounts a file over /etc/hosts;
//  3. binds a Unix datagram socket at /dev/log (mode 0666, so that a program
//     that drops privileges can still log) and records every datagram;
//  4. runs the target program with stdin /dev/null, stdout and stderr
//     captured, and the given working directory, environment and
//     credentials;
//  5. after the program has exited, sends a sentinel datagram to /dev/log
//     and keeps reading until the sentinel arrives. Datagrams on a Unix
//     socket are queued in order, and every syslog(3) send of the program
//     completed before it exited, so every record is drained.
//
// None of this is visible outside the namespace; the real /dev and /etc are
// never modified.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"

	"tcpwrap/internal/nsmount"
	"tcpwrap/internal/oracle/nsproto"
)

const logPath = "/dev/log"

func main() {
	var rep nsproto.Reply
	if err := run(&rep); err != nil {
		rep.Error = err.Error()
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(&rep); err != nil {
		fmt.Fprintln(os.Stderr, "nsrun:", err)
		os.Exit(2)
	}
}

func run(rep *nsproto.Reply) error {
	var req nsproto.Request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return fmt.Errorf("decode request: %w", err)
	}
	if err := setupMounts(&req); err != nil {
		return err
	}

	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: logPath, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("listen on %s: %w", logPath, err)
	}
	defer conn.Close()
	if err := os.Chmod(logPath, 0o666); err != nil {
		return err
	}

	sentinel := make([]byte, 16)
	if _, err := rand.Read(sentinel); err != nil {
		return err
	}
	sentinel = []byte("nsrun-sentinel-" + hex.EncodeToString(sentinel))

	type recvResult struct {
		msgs [][]byte
		err  error
	}
	done := make(chan recvResult, 1)
	go func() {
		var msgs [][]byte
		buf := make([]byte, 1<<20)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				done <- recvResult{msgs, err}
				return
			}
			msg := append([]byte(nil), buf[:n]...)
			if bytes.Equal(msg, sentinel) {
				done <- recvResult{msgs, nil}
				return
			}
			msgs = append(msgs, msg)
		}
	}()

	var stdout, stderr bytes.Buffer
	cmd := &exec.Cmd{
		Path:   req.Program,
		Args:   req.Argv,
		Dir:    req.Dir,
		Env:    req.Env,
		Stdin:  nil, // /dev/null
		Stdout: &stdout,
		Stderr: &stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Pdeathsig: syscall.SIGKILL,
			Setpgid:   true,
		},
		WaitDelay: 5 * time.Second,
	}
	if req.UID != nil || req.GID != nil {
		cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
		if req.UID != nil {
			cred.Uid = *req.UID
		}
		if req.GID != nil {
			cred.Gid = *req.GID
		}
		cred.Groups = []uint32{} // like setpriv --clear-groups
		cmd.SysProcAttr.Credential = cred
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", req.Program, err)
	}
	var timer *time.Timer
	if req.Timeout > 0 {
		timer = time.AfterFunc(time.Duration(req.Timeout*float64(time.Second)), func() {
			rep.TimedOut = true
			// Kill the whole process group.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		})
	}
	waitErr := cmd.Wait()
	rep.Elapsed = time.Since(start).Seconds()
	if timer != nil {
		timer.Stop()
	}
	rep.Stdout = stdout.Bytes()
	rep.Stderr = stderr.Bytes()
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return fmt.Errorf("wait: %w", waitErr)
		}
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		rep.Exit = ws.ExitStatus()
	case ws.Signaled():
		rep.Signal = int(ws.Signal())
		rep.Exit = 128 + rep.Signal
	default:
		rep.Exit = -1
	}

	// Drain: the sentinel is queued behind every datagram already sent.
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: logPath, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("dial %s for sentinel: %w", logPath, err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(sentinel); err != nil {
		c.Close()
		return fmt.Errorf("send sentinel: %w", err)
	}
	c.Close()
	select {
	case r := <-done:
		rep.Syslog = r.msgs
		if r.err != nil {
			return fmt.Errorf("read %s: %w", logPath, r.err)
		}
	case <-time.After(10 * time.Second):
		return errors.New("timed out draining /dev/log")
	}
	if rep.Syslog == nil {
		rep.Syslog = [][]byte{}
	}
	return nil
}

// setupMounts prepares /dev and /etc/hosts. It must run in a private mount
// namespace (unshare --mount --propagation private).
func setupMounts(req *nsproto.Request) error {
	// Belt and braces: make sure nothing propagates back to the host.
	if err := nsmount.MakePrivate(); err != nil {
		return err
	}
	if err := nsmount.PrivateDev(req.OldDev, nil); err != nil {
		return err
	}
	if req.Hosts != "" {
		return nsmount.BindHosts(req.Hosts)
	}
	return nil
}
