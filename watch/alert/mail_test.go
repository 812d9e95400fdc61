package alert_test

import (
	"context"
	"flag"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/smtptest"
	"tcpwrap/watch/alert"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// hostileNotice is an incident whose logged strings try to add headers,
// end the SMTP data early and send terminal escapes.
func hostileNotice(kind alert.NoticeKind) alert.Notice {
	e := refused(t0, "192.0.2.66", "sshd\r\nSubject: injected")
	e.Name = "evil.example\r\nBcc: victim@example.org\r\n\r\n.\r\nMAIL FROM:<x@y>"
	e.User = "root\x1b[31m\u00e9"
	n := alert.Notice{
		Kind: kind, Incident: "0123abcd-7", Rule: "trap", RuleKind: alert.Trap,
		Source: "192.0.2.66", Event: e, First: t0, Last: t0.Add(time.Minute),
		Count: 3, Followed: 2, Refused: 3,
		Services: []string{"in.telnetd", e.Daemon}, Names: []string{e.Name},
	}
	if kind == alert.Summary {
		n.Closed = alert.ClosedQuiet
	}
	return n
}

func mailConfig(server string) alert.ActionConfig {
	return alert.ActionConfig{Name: "admin", Kind: alert.ActionMail, Mail: alert.MailConfig{
		Server: server, Helo: "watch.example.org",
		From: "tcpdwatch@example.org", To: []string{"root@example.org", "ops@example.org"},
		Timeout: 20 * time.Second,
	}}
}

// The rendered mails, byte for byte (testdata/*.golden; -update
// rewrites them).
func TestMailGolden(t *testing.T) {
	clock := newClock()
	for _, kind := range []alert.NoticeKind{alert.Opened, alert.Summary} {
		msg, err := alert.MailMessage(mailConfig("127.0.0.1:25"), clock, hostileNotice(kind))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "mail-"+kind.String()+".golden")
		if *update {
			if err := os.WriteFile(golden, msg, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(msg) != string(want) {
			t.Errorf("%s mail:\n%s\nwant:\n%s", kind, msg, want)
		}
		checkMailText(t, string(msg))
	}
}

// checkMailText checks that a mail is ASCII with CRLF line ends, short
// lines, and headers that net/mail reads as intended.
func checkMailText(t *testing.T, data string) {
	t.Helper()
	for i, l := range strings.Split(data, "\r\n") {
		if len(l) > 998 {
			t.Errorf("line %d is %d bytes long", i+1, len(l))
		}
		for _, c := range []byte(l) {
			if c < 0x20 && c != '\t' || c >= 0x7f {
				t.Errorf("line %d has byte %#x: %q", i+1, c, l)
				break
			}
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range m.Header {
		if len(v) != 1 {
			t.Errorf("header %s appears %d times", k, len(v))
		}
	}
	want := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
		"In-Reply-To": true, "References": true, "Mime-Version": true, "Content-Type": true,
		"Content-Transfer-Encoding": true, "Auto-Submitted": true, "X-Tcpdwatch-Rule": true, "X-Tcpdwatch-Incident": true}
	for k := range m.Header {
		if !want[k] {
			t.Errorf("unexpected header %s: %q", k, m.Header.Get(k))
		}
	}
	if strings.Contains(m.Header.Get("Subject"), "\n") || m.Header.Get("Bcc") != "" {
		t.Errorf("injected header: %v", m.Header)
	}
}

// Mail through a real SMTP server (aiosmtpd) without TLS: the server
// offers no STARTTLS, so opportunistic TLS sends in clear text.
func TestMailDelivered(t *testing.T) {
	sink := smtptest.Start(t, smtptest.Options{})
	clock := newClock()
	act, err := alert.NewAction(mailConfig(sink.Addr), clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := act.Do(context.Background(), hostileNotice(alert.Opened)); err != nil {
		t.Fatal(err)
	}
	if err := act.Do(context.Background(), hostileNotice(alert.Summary)); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages(t)
	if len(msgs) != 2 {
		t.Fatalf("%d messages delivered", len(msgs))
	}
	for i, d := range msgs {
		if d.From != "tcpdwatch@example.org" || strings.Join(d.To, ",") != "root@example.org,ops@example.org" || d.TLS {
			t.Errorf("message %d envelope: %+v", i, d)
		}
		checkMailText(t, d.Data)
		m, err := mail.ReadMessage(strings.NewReader(d.Data))
		if err != nil {
			t.Fatal(err)
		}
		date, err := m.Header.Date()
		if err != nil || !date.Equal(t0) {
			t.Errorf("Date %q: %v %v", m.Header.Get("Date"), date, err)
		}
		body := readAll(t, m)
		if !strings.Contains(body, `names:     evil.example\r\nBcc: victim@example.org\r\n\r\n.\r\nMAIL FROM:<x@y>`) {
			t.Errorf("body does not show the hostile name escaped:\n%s", body)
		}
		if !strings.Contains(body, `client:    root\x1b[31m\u00e9@evil.example`) {
			t.Errorf("body does not show the hostile user escaped:\n%s", body)
		}
	}
	opened, _ := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	summary, _ := mail.ReadMessage(strings.NewReader(msgs[1].Data))
	if got := opened.Header.Get("Subject"); got != `[tcpdwatch] ALERT trap: 192.0.2.66 refused at trap service sshd\r\nSubject: injected` {
		t.Errorf("Subject %q", got)
	}
	if id := opened.Header.Get("Message-Id"); id != "<tcpdwatch.0123abcd-7.opened@example.org>" || summary.Header.Get("In-Reply-To") != id {
		t.Errorf("Message-ID %q, summary In-Reply-To %q", id, summary.Header.Get("In-Reply-To"))
	}
}

func readAll(t *testing.T, m *mail.Message) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := m.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// STARTTLS and authentication against aiosmtpd requiring both: the
// credentials go only over TLS, with PLAIN and with LOGIN.
func TestMailStartTLSAuth(t *testing.T) {
	cert, key := smtptest.Cert(t, t.TempDir())
	sink := smtptest.Start(t, smtptest.Options{CertFile: cert, KeyFile: key, RequireSTARTTLS: true, Auth: "watcher:s3cret pass"})
	pwfile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwfile, []byte("s3cret pass\n"), 0o600)
	for i, mech := range []string{"plain", "login"} {
		t.Run(mech, func(t *testing.T) {
			ac := mailConfig(sink.Addr)
			ac.Mail.TLS = alert.TLSRequired
			ac.Mail.CAFile = cert
			ac.Mail.Auth = mech
			ac.Mail.Username = "watcher"
			ac.Mail.PasswordFile = pwfile
			act, err := alert.NewAction(ac, newClock())
			if err != nil {
				t.Fatal(err)
			}
			if err := act.Do(context.Background(), hostileNotice(alert.Opened)); err != nil {
				t.Fatal(err)
			}
			msgs := sink.Messages(t)
			if len(msgs) != i+1 {
				t.Fatalf("%d messages", len(msgs))
			}
			if d := msgs[i]; !d.TLS || d.Login != "watcher" {
				t.Errorf("delivered with tls=%v login=%q", d.TLS, d.Login)
			}
			checkMailText(t, msgs[i].Data)
		})
	}
	if log := sink.AuthLog(t); log != "PLAIN watcher ok tls=True\nLOGIN watcher ok tls=True\n" {
		t.Errorf("auth log:\n%s", log)
	}
}

// Failures that must send nothing: TLS required but not offered; a
// certificate that is not trusted; credentials over a connection
// without TLS; a wrong password.
func TestMailRefusals(t *testing.T) {
	dir := t.TempDir()
	cert, key := smtptest.Cert(t, dir)
	otherCert, _ := smtptest.Cert(t, t.TempDir())
	plain := smtptest.Start(t, smtptest.Options{})
	plainAuth := smtptest.Start(t, smtptest.Options{Auth: "watcher:pw", AuthOverPlain: true})
	tlsAuth := smtptest.Start(t, smtptest.Options{CertFile: cert, KeyFile: key, Auth: "watcher:pw"})
	tests := []struct {
		name string
		sink *smtptest.Sink
		set  func(*alert.MailConfig)
		want string // in the error
	}{
		{"starttls required, not offered", plain, func(m *alert.MailConfig) { m.TLS = alert.TLSRequired },
			"does not offer STARTTLS"},
		{"untrusted certificate", tlsAuth, func(m *alert.MailConfig) {
			m.TLS, m.CAFile, m.Auth, m.Username, m.Password = alert.TLSRequired, otherCert, "plain", "watcher", "pw"
		}, "certificate"},
		{"no auth without TLS", plainAuth, func(m *alert.MailConfig) {
			m.Auth, m.Username, m.Password = "plain", "watcher", "pw"
		}, "not authenticating over a connection without TLS"},
		{"wrong password", tlsAuth, func(m *alert.MailConfig) {
			m.TLS, m.CAFile, m.Auth, m.Username, m.Password = alert.TLSRequired, cert, "login", "watcher", "nope"
		}, "AUTH LOGIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ac := mailConfig(tt.sink.Addr)
			tt.set(&ac.Mail)
			act, err := alert.NewAction(ac, newClock())
			if err != nil {
				t.Fatal(err)
			}
			err = act.Do(context.Background(), hostileNotice(alert.Opened))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if n := len(tt.sink.Messages(t)); n != 0 {
				t.Errorf("%d messages delivered", n)
			}
		})
	}
	if log := plainAuth.AuthLog(t); log != "" {
		t.Errorf("credentials reached the server without TLS: %q", log)
	}
	if log := tlsAuth.AuthLog(t); log != "LOGIN watcher bad tls=True\n" {
		t.Errorf("auth log %q", log)
	}
}

// A dead server is a counted failure within the timeout, and events go
// on being processed meanwhile.
func TestMailServerDown(t *testing.T) {
	ac := mailConfig("127.0.0.1:1") // nothing listens on port 1
	act, err := alert.NewAction(ac, newClock())
	if err != nil {
		t.Fatal(err)
	}
	if err := act.Do(context.Background(), hostileNotice(alert.Opened)); err == nil {
		t.Fatal("delivered to a closed port")
	}
}

// The whole path: a configuration file, the engine, and mail through
// aiosmtpd with STARTTLS: one mail when the incident opens, one summary
// when it ends.
func TestEngineMailsIncident(t *testing.T) {
	cert, key := smtptest.Cert(t, t.TempDir())
	sink := smtptest.Start(t, smtptest.Options{CertFile: cert, KeyFile: key, RequireSTARTTLS: true})
	conf := `
[alert]
quiet = 5m

[rule ssh-guessing]
kind = threshold
count = 3
within = 1m
services = sshd
actions = admin

[action admin]
kind = mail
server = ` + sink.Addr + `
from = tcpdwatch@example.org
to = root@example.org
tls = required
ca-file = ` + cert + `
`
	cfg, err := alert.ParseConfig([]byte(conf), "tcpdwatch.conf")
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	e, err := alert.New(cfg, alert.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		clock.Set(t0.Add(time.Duration(i) * 5 * time.Second))
		ev := refused(clock.Now(), fmt.Sprintf("2001:db8:77::%x", i+1), "sshd")
		e.Observe(ev)
	}
	clock.Set(t0.Add(time.Hour))
	e.Tick()
	e.Close()
	st := e.Stats()
	if a := st.Actions[0]; a.Sent != 2 || a.Failed != 0 || a.Dropped != 0 {
		t.Fatalf("mail action: %+v", a)
	}
	msgs := sink.Messages(t)
	if len(msgs) != 2 {
		t.Fatalf("%d mails", len(msgs))
	}
	first, _ := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	second, _ := mail.ReadMessage(strings.NewReader(msgs[1].Data))
	if s := first.Header.Get("Subject"); s != "[tcpdwatch] ALERT ssh-guessing: 3 refusals from 2001:db8:77::/64" {
		t.Errorf("first subject %q", s)
	}
	if s := second.Header.Get("Subject"); s != "[tcpdwatch] summary ssh-guessing: 2001:db8:77::/64, 7 more after the alert (quiet)" {
		t.Errorf("second subject %q", s)
	}
	body := readAll(t, second)
	for _, want := range []string{"events:    10 (10 refused, 0 granted, 7 after the alert)", "first:     2026-03-01T12:00:00Z", "last:      2026-03-01T12:00:45Z"} {
		if !strings.Contains(body, want) {
			t.Errorf("summary lacks %q:\n%s", want, body)
		}
	}
	if !msgs[0].TLS || !msgs[1].TLS {
		t.Errorf("sent without TLS")
	}
}

// SendMail delivers a message it did not render, byte for byte, with
// the mail action's TLS and authentication rules; a configuration that
// NewAction refuses sends nothing.
func TestSendMail(t *testing.T) {
	cert, key := smtptest.Cert(t, t.TempDir())
	sink := smtptest.Start(t, smtptest.Options{CertFile: cert, KeyFile: key, RequireSTARTTLS: true, Auth: "watcher:pw"})
	mc := mailConfig(sink.Addr).Mail
	mc.TLS, mc.CAFile, mc.Auth, mc.Username, mc.Password = alert.TLSRequired, cert, "login", "watcher", "pw"
	msg := "From: tcpdwatch@example.org\r\nSubject: report\r\n\r\nline one\r\n.dot line\r\n"
	if err := alert.SendMail(context.Background(), mc, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if d := msgs[0]; d.Data != msg || !d.TLS || d.Login != "watcher" || d.From != "tcpdwatch@example.org" ||
		strings.Join(d.To, ",") != "root@example.org,ops@example.org" {
		t.Errorf("delivered %+v", d)
	}

	bad := []struct {
		name string
		set  func(*alert.MailConfig)
		want string
	}{
		{"no port", func(m *alert.MailConfig) { m.Server = "127.0.0.1" }, "want host:port"},
		{"no recipient", func(m *alert.MailConfig) { m.To = nil }, "at least one recipient"},
		{"auth without TLS", func(m *alert.MailConfig) { m.TLS = alert.TLSNone }, "auth needs TLS"},
		{"wrong password", func(m *alert.MailConfig) { m.Password = "nope" }, "AUTH LOGIN"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := mc
			c.To = slices.Clone(mc.To)
			tt.set(&c)
			err := alert.SendMail(context.Background(), c, []byte(msg))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if n := len(sink.Messages(t)); n != 1 {
		t.Errorf("%d messages after the refusals, want 1", n)
	}
}

func TestHeaderValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain subject", "plain subject"},
		{"a\r\nBcc: x@y", "a  Bcc: x@y"},
		{"tab\there", "tab here"},
		{"nul\x00del\x7f", "nul del "},
		{"unicode é stays", "unicode é stays"},
	}
	for _, tt := range tests {
		if got := alert.HeaderValue(tt.in); got != tt.want {
			t.Errorf("HeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
