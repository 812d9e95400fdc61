package main

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/smtptest"
)

// reportArgs are the report tests' command line: the testdata files,
// one fixed day, UTC.
var reportArgs = []string{"report", "-c", "testdata/report.conf", "-from", "2026-11-20", "-to", "2026-11-21"}

// TestReportGolden: the text and JSON reports of the testdata logs.
// The forged sshd lines count nowhere; the line of a listed daemon that
// breaks the grammar is reported on standard error with the ambiguous
// one.
func TestReportGolden(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := runCmd(t, nil, append(reportArgs, "-format", format, "testdata/auth.log", "testdata/decisions.jsonl")...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			golden(t, "report."+format, r.stdout)
			wantErr := "tcpdwatch: testdata/auth.log: 2 line(s) of ours not read with certainty (1 ambiguous, counted without an address; 1 malformed; 0 too long)\n"
			if r.stderr != wantErr {
				t.Errorf("stderr %q, want %q", r.stderr, wantErr)
			}
			if strings.Contains(r.stdout, "203.0.113.66") || strings.Contains(r.stdout, "203.0.113.67") {
				t.Error("a forged or malformed line's address is in the report")
			}
		})
	}
}

// TestReportHTMLFile: -o writes the same page as standard output gets.
// (The page itself is rendered by Chromium in watch/report's tests and in
// the end-to-end test.)
func TestReportHTMLFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.html")
	args := append(reportArgs, "-format", "html", "testdata/auth.log")
	r1 := runCmd(t, nil, args...)
	r2 := runCmd(t, nil, append(append(reportArgs, "-format", "html", "-o", out), "testdata/auth.log")...)
	if r1.code != exitOK || r2.code != exitOK || r2.stdout != "" {
		t.Fatalf("exit %d, %d: %s %s", r1.code, r2.code, r1.stderr, r2.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != r1.stdout || !strings.HasPrefix(r1.stdout, "<!DOCTYPE html>") {
		t.Errorf("the file (%d bytes) differs from standard output (%d bytes)", len(data), len(r1.stdout))
	}
}

// TestReportUsage: bad flags are usage errors (2) with a message.
func TestReportUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-format", "pdf"}, `-format: want text, json or html, not "pdf"`},
		{[]string{"-from", "yesterday"}, `-from: "yesterday": want a time`},
		{[]string{"-last", "24h", "-from", "2026-11-20"}, "-last and -from exclude each other"},
		{[]string{"-last", "-5h"}, "-last: want a duration"},
		{[]string{"-from", "2026-11-21", "-to", "2026-11-20"}, "the window ends before it starts"},
		{[]string{"-from", "2020-01-01", "-to", "2026-01-01"}, "the window is longer than"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		r := runCmd(t, nil, append(append([]string{"report", "-c", "testdata/report.conf"}, tc.args...), "testdata/auth.log")...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	// A file that cannot be read is a failure (1), after the others.
	r := runCmd(t, nil, append(reportArgs, "testdata/auth.log", "/nonexistent/file")...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "/nonexistent/file") || !strings.Contains(r.stdout, "events: 15") {
		t.Errorf("missing file: %+v", r)
	}
	// An explicit configuration that does not exist is an error; the
	// default one may be missing when files are named.
	if r := runCmd(t, nil, "report", "-c", "/nonexistent.conf", "testdata/auth.log"); r.code != exitUsage {
		t.Errorf("missing -c file: %+v", r)
	}
	e := testEnv(map[string]string{"TCPDWATCH_CONFIG": ""})
	if _, err := os.Stat(DefaultConfig); err == nil {
		t.Skip(DefaultConfig + " exists on this machine")
	}
	if r := runCmd(t, e, "report", "-from", "2026-11-20", "-to", "2026-11-21", "-daemons", "in.fingerd,in.ftpd", "testdata/auth.log"); r.code != exitOK || !strings.Contains(r.stdout, "198.51.100.7") {
		t.Errorf("without a configuration: %+v", r)
	}
}

// TestReportInputs: without files, the configured inputs are read with
// their rotations (plain and gzip), oldest first; rotations last written
// before the window are skipped; sources the history knows from before
// the window are not first-seen.
func TestReportInputs(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	log := filepath.Join(dir, "auth.log")
	conf := filepath.Join(dir, "tcpdwatch.conf")
	// The records file does not exist yet: a warning, not a failure.
	writeFile(t, conf, fmt.Sprintf("[tcpdwatch]\nstate-dir = %s\ndaemons = in.fingerd\ntimezone = UTC\n[input auth]\nfile = %s\n[input records]\nfile = %s/decisions.jsonl\nformat = json\n", state, log, dir))
	line := func(at, addr string) string {
		return fmt.Sprintf("2026-11-20T%s.000000+00:00 gate in.fingerd[7]: refused connect from %s (%s)", at, addr, addr)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	appendLines(t, log, line("12:00:00", "192.0.2.1"))
	appendLines(t, log+".1", line("11:00:00", "192.0.2.2"), line("11:00:01", "198.51.100.7"))
	// A compressed rotation.
	f, err := os.Create(log + ".2.gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	io.WriteString(zw, line("10:00:00", "192.0.2.3")+"\n")
	zw.Close()
	f.Close()
	// An old rotation: last written before the window, so not read even
	// though its (made-up) content is in the window.
	appendLines(t, log+".3", line("09:00:00", "192.0.2.4"))
	// Not a rotation of auth.log.
	appendLines(t, filepath.Join(dir, "auth.log.bak"), line("09:00:00", "192.0.2.5"))
	for name, at := range map[string]time.Time{"": day.Add(13 * time.Hour), ".1": day.Add(12 * time.Hour), ".2.gz": day.Add(11 * time.Hour), ".3": day.Add(-time.Hour)} {
		if err := os.Chtimes(log+name, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(state, "tcpdwatch-sources"), historyHeader+" ipv6-prefix=64\n198.51.100.7/32 1700000000 1700000000\n192.0.2.1/32 1795694400 1795694400\n")

	r := runCmd(t, nil, "report", "-c", conf, "-from", "2026-11-20", "-to", "2026-11-21", "-format", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "tcpdwatch: warning: " + dir + "/decisions.jsonl does not exist (yet)\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	var rep struct {
		Events     int `json:"events"`
		Sources    []struct{ Source string }
		NewSources []struct {
			Source string
		} `json:"new_sources"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var srcs, news []string
	for _, s := range rep.Sources {
		srcs = append(srcs, s.Source)
	}
	for _, s := range rep.NewSources {
		news = append(news, s.Source)
	}
	if rep.Events != 4 || strings.Join(srcs, " ") != "192.0.2.1 192.0.2.2 192.0.2.3 198.51.100.7" {
		t.Errorf("events %d, sources %v; want 4 from .1 .2 .3 and 198.51.100.7", rep.Events, srcs)
	}
	// 198.51.100.7 was seen in 2023; 192.0.2.1's first time (2026-11-20
	// 08:00) is in the window, so it is still new.
	if strings.Join(news, " ") != "192.0.2.3 192.0.2.2 192.0.2.1" {
		t.Errorf("new sources %v", news)
	}
}

// TestReportMail: -mail sends the report to Debian's aiosmtpd as one
// multipart/alternative mail whose parts are the text and HTML reports.
func TestReportMail(t *testing.T) {
	sink := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	conf := filepath.Join(dir, "tcpdwatch.conf")
	src, err := os.ReadFile("testdata/report.conf")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, conf, string(src)+fmt.Sprintf("\n[action admin]\nkind = mail\nserver = %s\nfrom = tcpdwatch@gate.example\nto = root@gate.example\ntls = none\n", sink.Addr))
	args := []string{"report", "-c", conf, "-from", "2026-11-20", "-to", "2026-11-21", "testdata/auth.log"}
	r := runCmd(t, nil, append(args[:len(args)-1:len(args)-1], "-mail", "admin", "testdata/auth.log")...)
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
	}
	text := runCmd(t, nil, append(args[:len(args)-1:len(args)-1], "-format", "text", "testdata/auth.log")...).stdout
	html := runCmd(t, nil, append(args[:len(args)-1:len(args)-1], "-format", "html", "testdata/auth.log")...).stdout
	msgs := sink.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d mails", len(msgs))
	}
	m, err := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Header.Get("Subject"); s != "[tcpdwatch] report 2026-11-20 00:00 to 2026-11-21 00:00 UTC: 13 refused, 2 granted" {
		t.Errorf("subject %q", s)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	want := []struct{ ctype, body string }{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html}}
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			if i != 2 {
				t.Errorf("%d parts, want 2", i)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= 2 {
			t.Fatal("more than two parts")
		}
		data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") != want[i].ctype || string(data) != want[i].body {
			t.Errorf("part %d: %s, %d bytes; want %s, %d bytes", i, p.Header.Get("Content-Type"), len(data), want[i].ctype, len(want[i].body))
		}
	}
	// Every line of the mail is short (RFC 5322's 78 characters).
	for _, l := range strings.Split(msgs[0].Data, "\n") {
		if len(l) > 100 {
			t.Errorf("line of %d bytes: %.60q...", len(l), l)
		}
	}
}
