package alert

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"strings"
	"time"
)

var splitHostPort = net.SplitHostPort

// NewAction builds the action an ActionConfig describes. The clock dates
// the mails; nil means the real clock.
func NewAction(ac ActionConfig, clock Clock) (Action, error) {
	if err := ac.validate(); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = realClock{}
	}
	switch ac.Kind {
	case ActionMail:
		return newMail(ac.Mail, clock)
	case ActionWebhook:
		return newWebhook(ac.Webhook), nil
	case ActionProgram:
		return newProgram(ac.Program), nil
	}
	return nil, fmt.Errorf("action %s: unknown kind", ac.Name)
}

// mailAction sends each notice as a plain-text mail.
type mailAction struct {
	cfg      MailConfig
	clock    Clock
	tls      *tls.Config
	host     string // the server's host part
	domain   string // for Message-ID
	password string
}

func newMail(c MailConfig, clock Clock) (*mailAction, error) {
	host, _, err := net.SplitHostPort(c.Server)
	if err != nil {
		return nil, err
	}
	m := &mailAction{cfg: c, clock: clock, host: host, password: c.Password}
	m.tls = &tls.Config{ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
	if m.tls.ServerName == "" {
		m.tls.ServerName = host
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", c.CAFile)
		}
		m.tls.RootCAs = pool
	}
	if c.PasswordFile != "" {
		data, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, err
		}
		m.password, _, _ = strings.Cut(string(data), "\n")
		m.password = strings.TrimSuffix(m.password, "\r")
	}
	m.domain = "localhost"
	if _, d, ok := strings.Cut(c.From, "@"); ok && validHost(d) {
		m.domain = d
	}
	if m.cfg.Helo == "" {
		m.cfg.Helo = "localhost"
	}
	if m.cfg.Timeout == 0 {
		m.cfg.Timeout = 30 * time.Second
	}
	if m.cfg.SubjectPrefix == "" {
		m.cfg.SubjectPrefix = "[tcpdwatch]"
	}
	return m, nil
}

// messageID is the Message-ID of a notice's mail: the Opened and Summary
// mails of one incident get related IDs so that mail readers thread them.
func (m *mailAction) messageID(n *Notice, kind NoticeKind) string {
	id := n.Incident
	if !validName(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	return fmt.Sprintf("<tcpdwatch.%s.%s@%s>", id, kind, m.domain)
}

// Message renders the mail for a notice: headers and body, CRLF line
// ends, ASCII only. Every hostile string went through Clean, so no header
// can be split or added.
func (m *mailAction) message(n *Notice) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, HeaderValue(v)) }
	h("From", m.cfg.From)
	h("To", strings.Join(m.cfg.To, ", "))
	h("Subject", m.cfg.SubjectPrefix+" "+n.Subject())
	h("Date", m.clock.Now().Format(time.RFC1123Z))
	h("Message-ID", m.messageID(n, n.Kind))
	if n.Kind == Summary {
		h("In-Reply-To", m.messageID(n, Opened))
		h("References", m.messageID(n, Opened))
	}
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=us-ascii")
	h("Content-Transfer-Encoding", "7bit")
	h("Auto-Submitted", "auto-generated")
	h("X-Tcpdwatch-Rule", n.Rule)
	h("X-Tcpdwatch-Incident", Clean(n.Incident))
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(n.Text(), "\n", "\r\n"))
	return b.Bytes()
}

// HeaderValue is v made safe as a mail header value, the last line of
// defence behind Clean: every control character (line breaks included)
// and DEL becomes a space, so that a value can neither end its header
// nor add another.
func HeaderValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
}

func (m *mailAction) Do(ctx context.Context, n Notice) error {
	return m.send(ctx, m.message(&n))
}

// SendMail delivers msg, a whole message (headers and body, CRLF line
// ends), to c.To as a mail action with configuration c delivers its
// notices: TLS as c.TLS says, credentials only over TLS, the whole
// delivery within c.Timeout (30s when zero) or ctx, whichever ends
// first. It is for mails other than notices, such as reports; c is
// checked as NewAction checks it.
func SendMail(ctx context.Context, c MailConfig, msg []byte) error {
	if err := c.validate(); err != nil {
		return err
	}
	m, err := newMail(c, realClock{})
	if err != nil {
		return err
	}
	return m.send(ctx, msg)
}

func (m *mailAction) send(ctx context.Context, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Server)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%v (%v)", err, ctx.Err())
		}
	}()

	secure := false
	if m.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, m.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		conn, secure = tc, true
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(m.cfg.Helo); err != nil {
		return err
	}
	if m.cfg.TLS == TLSOpportunistic || m.cfg.TLS == TLSRequired {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tls); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
			secure = true
		} else if m.cfg.TLS == TLSRequired {
			return errors.New("the server does not offer STARTTLS, which the configuration requires")
		}
	}
	if m.cfg.Auth != "" {
		if !secure {
			return errors.New("not authenticating over a connection without TLS")
		}
		mech := strings.ToUpper(m.cfg.Auth)
		ok, mechs := c.Extension("AUTH")
		if !ok || !hasWord(mechs, mech) {
			return fmt.Errorf("the server does not offer AUTH %s", mech)
		}
		var a smtp.Auth = &plainAuth{user: m.cfg.Username, pass: m.password}
		if mech == "LOGIN" {
			a = &loginAuth{user: m.cfg.Username, pass: m.password}
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("AUTH %s: %w", mech, err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return err
	}
	for _, to := range m.cfg.To {
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

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

// plainAuth is AUTH PLAIN (RFC 4616), refused without TLS.
type plainAuth struct{ user, pass string }

func (a *plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("not sending credentials without TLS")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is AUTH LOGIN: the user name, then the password, each in
// answer to a challenge; refused without TLS.
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("not sending credentials without TLS")
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected third challenge after AUTH LOGIN")
}
