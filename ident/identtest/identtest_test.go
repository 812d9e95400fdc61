package identtest_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"tcpwrap/ident/identtest"
)

func TestReplyHelpers(t *testing.T) {
	tests := []struct {
		reply func(string) string
		want  string
	}{
		{identtest.UserID("alice"), "40001 , 23 : USERID : UNIX : alice\r\n"},
		{identtest.Error("NO-USER"), "40001 , 23 : ERROR : NO-USER\r\n"},
		{identtest.Fixed("x"), "x"},
	}
	for _, tt := range tests {
		if got := tt.reply("40001,23\r\n"); got != tt.want {
			t.Errorf("reply = %q, want %q", got, tt.want)
		}
	}
	if a, b := identtest.Ports("garbage"); a != "" || b != "" {
		t.Errorf("Ports(garbage) = %q, %q", a, b)
	}
}

func TestServer(t *testing.T) {
	srv := identtest.Start(t, "127.0.0.1:0", identtest.Fixed("no newline"))
	c, err := net.Dial("tcp", srv.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "1,2\r\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c) // the server closes after replying
	if err != nil || string(got) != "no newline" {
		t.Errorf("read %q, %v", got, err)
	}
	q := srv.Queries()
	if len(q) != 1 || q[0].Text != "1,2\r\n" || q[0].From.String() != c.LocalAddr().String() {
		t.Errorf("Queries = %+v", q)
	}
}

// A nil reply holds the connection open until Close.
func TestSilentServerClose(t *testing.T) {
	srv := identtest.Start(t, "127.0.0.1:0", nil)
	c, err := net.Dial("tcp", srv.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "1,2\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := bufio.NewReader(c).ReadByte(); err == nil {
		t.Fatal("silent server answered")
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
	srv.Close() // twice is fine
}
