package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
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
	return alert.SendMail(context.Background(), *mc, msg)
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
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, alert.HeaderValue(v)) }
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
