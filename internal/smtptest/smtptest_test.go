package smtptest_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/smtp"
	"os"
	"strings"
	"testing"

	"tcpwrap/internal/smtptest"
)

func send(t *testing.T, addr string, tlsConf *tls.Config, auth smtp.Auth, body string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if tlsConf != nil {
		if err := c.StartTLS(tlsConf); err != nil {
			return err
		}
	}
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.Mail("from@example.org"); err != nil {
		return err
	}
	if err := c.Rcpt("to@example.org"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// A plain server keeps each message with its envelope, in order.
func TestPlain(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	for _, subj := range []string{"one", "two"} {
		if err := send(t, s.Addr, nil, nil, "Subject: "+subj+"\r\n\r\nbody\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	msgs := s.Messages(t)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	for i, subj := range []string{"one", "two"} {
		m := msgs[i]
		if m.From != "from@example.org" || strings.Join(m.To, ",") != "to@example.org" || m.TLS || m.Login != "" {
			t.Errorf("message %d envelope %+v", i, m)
		}
		if !strings.HasPrefix(m.Data, "Subject: "+subj+"\r\n") {
			t.Errorf("message %d data %q", i, m.Data)
		}
	}
	if log := s.AuthLog(t); log != "" {
		t.Errorf("auth log %q", log)
	}
}

// With STARTTLS and authentication required: mail without TLS is
// refused, a wrong password is refused and logged, the right one goes
// through with the login recorded.
func TestTLSAuth(t *testing.T) {
	cert, key := smtptest.Cert(t, t.TempDir())
	s := smtptest.Start(t, smtptest.Options{CertFile: cert, KeyFile: key, RequireSTARTTLS: true, Auth: "u:p w"})
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conf := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}

	if err := send(t, s.Addr, nil, nil, "x\r\n"); err == nil {
		t.Error("mail without STARTTLS accepted")
	}
	if err := send(t, s.Addr, conf, smtp.PlainAuth("", "u", "wrong", "127.0.0.1"), "x\r\n"); err == nil {
		t.Error("wrong password accepted")
	}
	if err := send(t, s.Addr, conf, smtp.PlainAuth("", "u", "p w", "127.0.0.1"), "Subject: ok\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(t)
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Login != "u" {
		t.Fatalf("messages %+v", msgs)
	}
	if log := s.AuthLog(t); log != "PLAIN u bad tls=True\nPLAIN u ok tls=True\n" {
		t.Errorf("auth log %q", log)
	}
}
