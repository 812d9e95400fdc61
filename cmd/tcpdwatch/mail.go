package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"strings"
	"time"

	"tcpwrap/watch/alert"
	"tcpwrap/watch/report"
)

// newAction builds an action to check its configuration (check).
func newAction(ac alert.ActionConfig) (alert.Action, error) {
	return alert.NewAction(ac, nil)
}

// mailReport sends the report as one mail, a plain-text part and an HTML
// part, with the server, TLS, authentication and addresses of the mail
// action called name.
func mailReport(cfg *Config, name string, r *report.Report, e *env) error {
	if cfg == nil {
		return errors.New("no configuration")
	}
	var mc *alert.MailConfig
	for i := range cfg.Alert.Actions {
		if a := &cfg.Alert.Actions[i]; a.Name == name && a.Kind == alert.ActionMail {
			mc = &a.Mail
		}
	}
	if mc == nil {
		return fmt.Errorf("%s has no [action %s] of kind mail", cfg.File, name)
	}
	var text, html bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		return err
	}
	if err := r.WriteHTML(&html); err != nil {
		return err
	}
	msg := reportMessage(mc, r, e.now(), text.Bytes(), html.Bytes())
	return sendMail(mc, msg)
}

// headerValue keeps a header value on one line.
func headerValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
}

// reportMessage is the mail: multipart/alternative, both parts base64
// (the text may hold UTF-8, and base64 keeps every line short).
func reportMessage(mc *alert.MailConfig, r *report.Report, now time.Time, text, html []byte) []byte {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	domain := "localhost"
	if _, d, ok := strings.Cut(mc.From, "@"); ok && d != "" {
		domain = d
	}
	prefix := mc.SubjectPrefix
	if prefix == "" {
		prefix = "[tcpdwatch]"
	}
	boundary := "tcpdwatch-" + id
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, headerValue(v)) }
	h("From", mc.From)
	h("To", strings.Join(mc.To, ", "))
	h("Subject", fmt.Sprintf("%s report %s to %s: %d refused, %d granted",
		prefix, r.From.Format("2006-01-02 15:04"), r.To.Format("2006-01-02 15:04 MST"), r.Refused, r.Granted))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<tcpdwatch.report."+id+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	part := func(ctype string, data []byte) {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, ctype)
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	part("text/plain; charset=utf-8", text)
	part("text/html; charset=utf-8", html)
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// sendMail delivers msg as the mail action would: STARTTLS when offered
// (or required), SMTPS with tls = implicit, authentication only over
// TLS, one timeout for the whole delivery.
func sendMail(mc *alert.MailConfig, msg []byte) error {
	timeout := mc.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	host, _, err := net.SplitHostPort(mc.Server)
	if err != nil {
		return err
	}
	tc := &tls.Config{ServerName: mc.ServerName, MinVersion: tls.VersionTLS12}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if mc.CAFile != "" {
		pem, err := os.ReadFile(mc.CAFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no PEM certificate", mc.CAFile)
		}
		tc.RootCAs = pool
	}
	password := mc.Password
	if mc.PasswordFile != "" {
		data, err := os.ReadFile(mc.PasswordFile)
		if err != nil {
			return err
		}
		password, _, _ = strings.Cut(string(data), "\n")
		password = strings.TrimSuffix(password, "\r")
	}

	dialer := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	if mc.TLS == alert.TLSImplicit {
		conn, err = tls.DialWithDialer(dialer, "tcp", mc.Server, tc)
	} else {
		conn, err = dialer.Dial("tcp", mc.Server)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	helo := mc.Helo
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	secure := mc.TLS == alert.TLSImplicit
	if !secure && mc.TLS != alert.TLSNone {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tc); err != nil {
				return err
			}
			secure = true
		} else if mc.TLS == alert.TLSRequired {
			return errors.New("the server does not offer STARTTLS (tls = required)")
		}
	}
	if mc.Auth != "" {
		if !secure {
			return errors.New("refusing to authenticate without TLS")
		}
		var a smtp.Auth
		switch mc.Auth {
		case "plain":
			a = smtp.PlainAuth("", mc.Username, password, host)
		case "login":
			a = &loginAuth{user: mc.Username, pass: password}
		default:
			return fmt.Errorf("auth %q not supported", mc.Auth)
		}
		if err := c.Auth(a); err != nil {
			return err
		}
	}
	if err := c.Mail(mc.From); err != nil {
		return err
	}
	for _, to := range mc.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// loginAuth is AUTH LOGIN, used only over TLS.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS {
		return "", nil, errors.New("refusing AUTH LOGIN without TLS")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(from []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(from))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", from)
}
