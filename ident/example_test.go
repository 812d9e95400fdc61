package ident_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"tcpwrap/ident"
	"tcpwrap/ident/identtest"
)

func ExampleParseReply() {
	// The client connected from port 40001 to our port 23.
	for _, line := range []string{
		"40001 , 23 : USERID : UNIX : john smith\r\n",
		"40001 , 23 : ERROR : NO-USER\r\n",
		"1 , 2 : USERID : UNIX : eve\r\n",
	} {
		user, ok := ident.ParseReply(line, 40001, 23)
		fmt.Printf("%q %v\n", user, ok)
	}
	// Output:
	// "john" true
	// "" false
	// "" false
}

// A Client with another port talks to a fake ident server, as tests do.
func ExampleClient_Lookup() {
	srv, err := identtest.Listen("127.0.0.1:0", identtest.UserID("alice"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	client := netip.MustParseAddrPort("127.0.0.1:40001") // the peer of the connection
	server := netip.MustParseAddrPort("127.0.0.1:23")    // our end of it
	c := &ident.Client{Port: srv.Port()}
	fmt.Println(c.Lookup(context.Background(), client, server, 10*time.Second))
	fmt.Printf("%q\n", srv.Queries()[0].Text)
	// Output:
	// alice
	// "40001,23\r\n"
}
