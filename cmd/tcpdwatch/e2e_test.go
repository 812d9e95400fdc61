package main

// The end-to-end test: every component real, on loopback. Our tcpd
// (run by internal/tcpdtest, which plays inetd) refuses connections and
// logs through a private Debian rsyslogd, which writes the file that
// the built tcpdwatch binary follows; alerts go to Debian's aiosmtpd and
// to an HTTP server; bans go to the file that the next tcpd run's
// hosts.deny includes. logrotate rotates the file both ways in the
// middle, logger forges lines, and headless Chromium renders the HTML
// report.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tcpwrap/internal/chromiumtest"
	"tcpwrap/internal/rsyslogfiles"
	"tcpwrap/internal/rsyslogtest"
	"tcpwrap/internal/smtptest"
	"tcpwrap/internal/tcpdtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	tcpdtest.Cleanup()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var keepScreenshot = flag.String("screenshot", "", "also copy the end-to-end test's Chromium screenshot to this file")

// raceBuild is set when the tests run with -race (race_test.go).
var raceBuild bool

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// binary builds tcpdwatch once per test binary.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "tcpdwatch-bin-")
		if binErr != nil {
			return
		}
		args := []string{"build", "-o", filepath.Join(binDir, "tcpdwatch")}
		if raceBuild {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, "tcpwrap/cmd/tcpdwatch")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "tcpdwatch")
}

// proc is the built tcpdwatch running as a process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// startProc starts "tcpdwatch run -c conf" and waits for it to say it
// started.
func startProc(t *testing.T, conf string) *proc {
	t.Helper()
	p := &proc{t: t, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), "run", "-c", conf)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		t.Logf("tcpdwatch run (pid %d) said:\n%s", p.cmd.Process.Pid, p.stderr)
	})
	waitFor(t, 30*time.Second, "tcpdwatch to start", func() bool {
		select {
		case <-p.done:
			t.Fatalf("tcpdwatch exited: %s", p.stderr)
		default:
		}
		return strings.Contains(p.stderr.String(), "tcpdwatch: started ")
	})
	return p
}

// stop sends SIGTERM and returns the exit status.
func (p *proc) stop() int {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.t.Fatal("tcpdwatch did not stop in 60s")
	}
	return p.cmd.ProcessState.ExitCode()
}

// startRsyslog starts rsyslogtest's private rsyslogd writing one more
// file, trad.log, in Debian's default (traditional) file format.
func startRsyslog(t *testing.T) (*rsyslogtest.Server, string) {
	t.Helper()
	rs := rsyslogfiles.Start(t, []rsyslogfiles.File{{Name: "trad.log", Template: rsyslogfiles.Traditional}})
	return rs, filepath.Join(rs.Dir(), "trad.log")
}

// logrotate runs Debian's logrotate on the file with the directives and
// a private state file.
func logrotate(t *testing.T, file, directives string) {
	t.Helper()
	rsyslogfiles.Rotate(t, filepath.Dir(file), []string{file}, directives)
}

func needPrograms(t *testing.T) {
	t.Helper()
	for prog, pkg := range map[string]string{
		"/usr/sbin/logrotate": "logrotate",
		"/usr/bin/logger":     "bsdutils",
		"/usr/sbin/rsyslogd":  "rsyslog",
	} {
		if _, err := os.Stat(prog); err != nil {
			t.Skipf("needs %s (apt-get install -y %s)", prog, pkg)
		}
	}
}

// granted reports whether the fake daemon ran (it writes its argv).
func granted(r tcpdtest.Result) bool { return bytes.HasPrefix(r.Received, []byte("ARGV:")) }

// probe measures, by looking every millisecond, when the log file first
// holds n lines matching re, and when the ban file first holds the
// line ban.
type probe struct {
	done           chan struct{}
	logged, banned time.Time
}

func startProbe(log string, re *regexp.Regexp, n int, banFile, ban string) *probe {
	p := &probe{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			now := time.Now()
			if p.logged.IsZero() {
				data, _ := os.ReadFile(log)
				if len(re.FindAll(data, -1)) >= n {
					p.logged = now
				}
			}
			if fileHasLine(banFile, ban) {
				p.banned = now
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return p
}

// TestEndToEnd: see the top of this file.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts rsyslogd, aiosmtpd, tcpd, logrotate and Chromium")
	}
	needPrograms(t)
	rs, log := startRsyslog(t)
	sink := smtptest.Start(t, smtptest.Options{})
	hook := newHookServer(t)
	dir := t.TempDir()
	banFile := filepath.Join(dir, "banned")
	conf := filepath.Join(dir, "tcpdwatch.conf")
	writeFile(t, conf, fmt.Sprintf(`# tcpdwatch end-to-end test
[tcpdwatch]
state-dir = %s/state
# Only tcpd's lines for the fake daemon count.
daemons = in.fake

[input syslog]
file = %s
start = beginning

[alert]
quiet = 1h

[rule repeat]
kind = threshold
count = 3
within = 1m
services = in.fake
actions = admin hook ban

[action admin]
kind = mail
server = %s
from = tcpdwatch@gate.test
to = root@gate.test
tls = none

[action hook]
kind = webhook
url = %s

[ban]
file = %s
# The test's offenders are on loopback, which is allowlisted by default.
default-allow = no
allow = 127.0.0.1
duration = 1h
`, dir, log, sink.Addr, hook.URL, banFile))
	if out, err := exec.Command(binary(t), "check", "-c", conf).CombinedOutput(); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	w := startProc(t, conf)

	tcpd := func(client, deny string) tcpdtest.Result {
		t.Helper()
		return tcpdtest.Run(t, tcpdtest.Spec{Program: tcpdtest.Ours(t), Rsyslog: rs, ClientAddr: client, Deny: deny})
	}
	includeBans := "ALL: " + banFile + "\n"
	refuse := func(client string, n int) {
		t.Helper()
		for range n {
			r := tcpd(client, includeBans+"in.fake: "+client+"\n")
			if granted(r) {
				t.Fatalf("%s was granted by a table that denies it", client)
			}
		}
	}
	waitBan := func(addr string) {
		t.Helper()
		waitFor(t, 30*time.Second, addr+" in the ban file", func() bool { return fileHasLine(banFile, addr) })
	}

	// Before any ban, hosts.deny's include changes nothing.
	if r := tcpd("127.0.0.2", includeBans); !granted(r) {
		t.Fatalf("127.0.0.2 refused before any ban: %q", r.Received)
	}

	// Three refusals by a rule of hosts.deny: the threshold rule fires;
	// the latency from the third line in the file to the ban file.
	refuse("127.0.0.2", 2)
	pr := startProbe(log, regexp.MustCompile(`in\.fake\[\d+\]: refused connect from \S+ \(127\.0\.0\.2\)`), 3, banFile, "127.0.0.2")
	refuse("127.0.0.2", 1)
	<-pr.done
	if pr.logged.IsZero() || pr.banned.IsZero() {
		t.Fatalf("probe: line seen at %v, ban at %v\n%s", pr.logged, pr.banned, w.stderr)
	}
	latency := pr.banned.Sub(pr.logged)
	t.Logf("latency from the offending line in %s to the ban in %s: %v", filepath.Base(log), filepath.Base(banFile), latency)
	if latency > 10*time.Second {
		t.Errorf("ban latency %v (requirement: under 1s; this bound only catches a stall)", latency)
	}

	// The mail and the webhook.
	waitFor(t, 30*time.Second, "the alert mail", func() bool { return len(sink.Messages(t)) >= 1 })
	if m := sink.Messages(t)[0].Data; !strings.Contains(m, "Subject: [tcpdwatch] ALERT repeat: 3 refusals from 127.0.0.2") {
		t.Errorf("mail:\n%s", m)
	}
	waitFor(t, 30*time.Second, "the webhook", func() bool { return hook.opened()["127.0.0.2"] == 1 })

	// The next connection from 127.0.0.2 is refused by the ban (no
	// other rule names it), 127.0.0.3 still gets through.
	if r := tcpd("127.0.0.2", includeBans); granted(r) {
		t.Errorf("127.0.0.2 granted although banned")
	} else if len(r.Rsyslog) == 0 || !strings.Contains(r.Rsyslog[0].Msg, "refused connect from") {
		t.Errorf("127.0.0.2's refusal was logged as %+v", r.Rsyslog)
	}
	if r := tcpd("127.0.0.3", includeBans); !granted(r) {
		t.Errorf("127.0.0.3 refused: %q", r.Received)
	}

	// Rotation by rename in the middle of an offence: two refusals in
	// the old file, one in the new.
	refuse("127.0.0.4", 2)
	logrotate(t, log, rsyslogfiles.RenameAndHUP(rsyslogfiles.PID(t, rs)))
	refuse("127.0.0.4", 1)
	waitBan("127.0.0.4")
	// And by copytruncate.
	refuse("127.0.0.5", 2)
	logrotate(t, log, rsyslogfiles.CopyTruncate)
	refuse("127.0.0.5", 1)
	waitBan("127.0.0.5")

	// Forged lines through the same rsyslogd: another program (with a
	// PID) in tcpd's words, and tcpd's words inside another message.
	for i := range 5 {
		for _, args := range [][]string{
			{"-t", "sshd", "--id=" + strconv.Itoa(4000+i), "refused connect from 127.0.0.9 (127.0.0.9)"},
			{"-t", "sshd", "--id=" + strconv.Itoa(4100+i), "Invalid user refused connect from 127.0.0.9 (127.0.0.9) from 127.0.0.8 port 22"},
			{"-t", "in.fake", "refused connect from 127.0.0.9 (127.0.0.9) and more"},
		} {
			if out, err := exec.Command("/usr/bin/logger", append([]string{"-u", rs.UnixSocket()}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("logger: %v\n%s", err, out)
			}
		}
	}
	// A real offender after them: once it is banned, the forged lines
	// have been read.
	refuse("127.0.0.6", 3)
	waitBan("127.0.0.6")
	if data, _ := os.ReadFile(log); !bytes.Contains(data, []byte("sshd[4000]: refused connect from 127.0.0.9 (127.0.0.9)")) {
		t.Errorf("the forged line is not in the log file as expected:\n%s", data)
	}

	// Restart: SIGTERM, a refusal sequence while stopped, start again.
	// Nothing read before is alerted again; what came meanwhile is.
	if code := w.stop(); code != 0 {
		t.Fatalf("tcpdwatch exited %d:\n%s", code, w.stderr)
	}
	refuse("127.0.0.7", 3)
	w = startProc(t, conf)
	waitBan("127.0.0.7")
	waitFor(t, 30*time.Second, "the webhook for 127.0.0.7", func() bool { return hook.opened()["127.0.0.7"] == 1 })
	time.Sleep(500 * time.Millisecond) // room for a wrong second alert
	opened := hook.opened()
	for _, a := range []string{"127.0.0.2", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"} {
		if opened[a] != 1 {
			t.Errorf("%s: %d alerts, want 1", a, opened[a])
		}
	}
	if len(opened) != 5 {
		t.Errorf("alerts: %v (forged lines must alert nobody)", opened)
	}
	var alerts []string
	for _, msg := range sink.Messages(t) {
		m := msg.Data
		if i := strings.Index(m, "Subject: [tcpdwatch] ALERT"); i >= 0 {
			alerts = append(alerts, m[i:i+strings.IndexByte(m[i:], '\r')])
		}
	}
	sort.Strings(alerts)
	if len(alerts) != 5 {
		t.Errorf("alert mails:\n%s", strings.Join(alerts, "\n"))
	}
	if data, _ := os.ReadFile(banFile); string(data) != "127.0.0.2\n127.0.0.4\n127.0.0.5\n127.0.0.6\n127.0.0.7\n" {
		t.Errorf("ban file %q", data)
	}

	// bans list and lift, against the running daemon's state.
	out, err := exec.Command(binary(t), "bans", "list", "-c", conf).CombinedOutput()
	if err != nil || bytes.Count(out, []byte("repeat")) != 5 || !bytes.Contains(out, []byte("\n127.0.0.2 ")) {
		t.Errorf("bans list: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "bans", "lift", "127.0.0.2", "-c", conf).CombinedOutput()
	if err != nil || string(out) != "lifted 127.0.0.2\n" {
		t.Errorf("bans lift: %v\n%s", err, out)
	}
	if fileHasLine(banFile, "127.0.0.2") {
		t.Error("127.0.0.2 still in the ban file")
	}
	if r := tcpd("127.0.0.2", includeBans); !granted(r) {
		t.Errorf("127.0.0.2 refused after its ban was lifted")
	}
	if code := w.stop(); code != 0 {
		t.Errorf("tcpdwatch exited %d", code)
	}

	// The report over the configured input and its rotations.
	out, err = exec.Command(binary(t), "report", "-c", conf, "-last", "1h", "-format", "json").Output()
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var rep struct {
		Refused int64 `json:"refused"`
		Sources []struct {
			Source  string `json:"source"`
			Refused int64  `json:"refused"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int64{}
	for _, s := range rep.Sources {
		bySource[s.Source] = s.Refused
	}
	// 127.0.0.2: three by the rule, one by the ban. The rotations lose
	// nothing here (no line was written during logrotate's copy).
	want := map[string]int64{"127.0.0.2": 4, "127.0.0.4": 3, "127.0.0.5": 3, "127.0.0.6": 3, "127.0.0.7": 3}
	for a, n := range want {
		if bySource[a] != n {
			t.Errorf("report: %s refused %d times, want %d (%v)", a, bySource[a], n, bySource)
		}
	}
	if _, ok := bySource["127.0.0.9"]; ok || len(bySource) != len(want) {
		t.Errorf("report sources %v", bySource)
	}

	page := filepath.Join(dir, "report.html")
	if out, err := exec.Command(binary(t), "report", "-c", conf, "-last", "1h", "-format", "html", "-o", page).CombinedOutput(); err != nil {
		t.Fatalf("report html: %v\n%s", err, out)
	}
	renderInChromium(t, dir, page)
}

// renderInChromium opens the page in Debian's headless Chromium, takes
// a screenshot (it must be a page of the window's size, not blank, with
// the refused colour of the charts) and checks the DOM's sources table.
func renderInChromium(t *testing.T, dir, page string) {
	t.Helper()
	const w, h = 1200, 1600
	b, err := chromiumtest.New(dir, w, h)
	if err != nil {
		t.Logf("%v: the HTML report is not rendered", err)
		return
	}
	shot := filepath.Join(dir, "report.png")
	data := b.Screenshot(t, page, shot)
	if *keepScreenshot != "" {
		if err := os.WriteFile(*keepScreenshot, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if img.Bounds().Size() != image.Pt(w, h) {
		t.Fatalf("screenshot is %v", img.Bounds().Size())
	}
	nonWhite := 0
	for y := range h {
		for x := range w {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c.R < 245 || c.G < 245 || c.B < 245 {
				nonWhite++
			}
		}
	}
	t.Logf("screenshot %s: %d bytes, %d non-white pixels", shot, len(data), nonWhite)
	if nonWhite < w*h/100 {
		t.Errorf("the screenshot is nearly blank (%d non-white pixels)", nonWhite)
	}
	dom := b.DOM(t, page)
	m := regexp.MustCompile(`(?s)<table id="sources">(.*?)</table>`).FindSubmatch(dom)
	if m == nil || !bytes.Contains(m[1], []byte(">127.0.0.2<")) || bytes.Contains(m[1], []byte("127.0.0.9")) {
		t.Errorf("the rendered sources table: %s", m)
	}
}
