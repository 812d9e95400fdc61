package smtptest_test

import (
	"fmt"
	"net/smtp"
	"testing"

	"tcpwrap/internal/smtptest"
)

func ExampleStart() {
	var t *testing.T // the test's own
	s := smtptest.Start(t, smtptest.Options{})
	smtp.SendMail(s.Addr, nil, "watch@example.org", []string{"root@example.org"}, []byte("Subject: hi\r\n\r\n"))
	for _, m := range s.Messages(t) {
		fmt.Println(m.From, m.To, m.TLS)
	}
}
