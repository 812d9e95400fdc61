package logscan_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

// receiver serves r on fresh loopback sockets and collects its Events.
type receiverRun struct {
	r      *logscan.Receiver
	udp    string
	tcp    string
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	events  []watch.Event
	changed chan struct{}
}

func startReceiver(t *testing.T, r *logscan.Receiver) *receiverRun {
	t.Helper()
	rr := &receiverRun{r: r, done: make(chan error, 2), changed: make(chan struct{}, 1)}
	r.Handler = func(ev watch.Event) {
		rr.mu.Lock()
		rr.events = append(rr.events, ev)
		rr.mu.Unlock()
		select {
		case rr.changed <- struct{}{}:
		default:
		}
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr.udp, rr.tcp = pc.LocalAddr().String(), ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	rr.cancel = cancel
	go func() { rr.done <- r.ServeUDP(ctx, pc) }()
	go func() { rr.done <- r.ServeTCP(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-rr.done; err != context.Canceled {
				t.Errorf("serve returned %v", err)
			}
		}
	})
	return rr
}

func (rr *receiverRun) wait(t *testing.T, n int) []watch.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		rr.mu.Lock()
		if len(rr.events) >= n {
			evs := append([]watch.Event(nil), rr.events...)
			rr.mu.Unlock()
			return evs
		}
		have := len(rr.events)
		rr.mu.Unlock()
		select {
		case <-rr.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d events after 30s; stats %+v", have, n, rr.r.Stats())
		}
	}
}

func msg3164(n int) string {
	a := seqAddr(n)
	return fmt.Sprintf("<28>Nov 27 05:48:56 gate in.fake[%d]: refused connect from %s (%s)", n+1, a, a)
}

func msg5424(n int) string {
	a := seqAddr(n)
	return fmt.Sprintf(`<28>1 2026-11-27T05:48:56.000001Z gate in.fake %d decision [tcpwrap@32473 verdict="denied" daemon="in.fake" client="%s"] refused connect from %s (%s)`, n+1, a, a, a)
}

func evSeqs(evs []watch.Event) []int {
	var s []int
	for _, ev := range evs {
		s = append(s, addrSeq(ev.Addr))
	}
	return s
}

func TestReceiverUDP(t *testing.T) {
	rr := startReceiver(t, &logscan.Receiver{Parse: parse.Config{Location: time.UTC}})
	c, err := net.Dial("udp", rr.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(msg3164(0)))
	c.Write([]byte(msg5424(1) + "\n"))
	c.Write([]byte("<13>Nov 27 05:48:56 gate sshd[2]: Invalid user refused connect from 198.51.100.66 (198.51.100.66)"))
	c.Write([]byte(msg3164(2) + "\x00"))
	evs := rr.wait(t, 3)
	if got := fmt.Sprint(evSeqs(evs)); got != "[0 1 2]" {
		t.Errorf("events %s", got)
	}
	if evs[1].Source != watch.SourceRFC5424 || evs[0].Source != watch.SourceTcpd || evs[0].Host != "gate" {
		t.Errorf("events %+v", evs)
	}
	if st := rr.r.Stats(); st.Messages != 4 || st.Events != 3 {
		t.Errorf("stats %+v", st)
	}
}

// TestReceiverTCP: RFC 6587 octet counting and LF-terminated messages,
// mixed on one connection and split across writes at every byte.
func TestReceiverTCP(t *testing.T) {
	rr := startReceiver(t, &logscan.Receiver{Parse: parse.Config{Location: time.UTC}, MaxMessage: 1024})
	var stream strings.Builder
	want := 0
	for n := 0; n < 40; n++ {
		m := msg3164(n)
		if n%3 == 1 {
			m = msg5424(n)
		}
		if n%2 == 0 {
			fmt.Fprintf(&stream, "%d %s", len(m), m)
		} else {
			stream.WriteString(m + "\n")
		}
		want++
	}
	// A message too long, both ways, then one more good one.
	long := "<28>Nov 27 05:48:56 gate in.fake[1]: refused connect from " + strings.Repeat("x", 2000) + " (127.0.0.9)"
	fmt.Fprintf(&stream, "%d %s", len(long), long)
	stream.WriteString(long + "\n")
	m := msg3164(40)
	fmt.Fprintf(&stream, "%d %s", len(m), m)
	// A message starting with a digit that is not a count: LF framing.
	stream.WriteString("2026-11-27T05:48:56Z gate in.fake[42]: refused connect from 127.0.0.42 (127.0.0.42)\n")
	want += 2

	c, err := net.Dial("tcp", rr.tcp)
	if err != nil {
		t.Fatal(err)
	}
	s := stream.String()
	for i := 0; i < len(s); {
		n := 1 + i%7
		if i+n > len(s) {
			n = len(s) - i
		}
		if _, err := c.Write([]byte(s[i : i+n])); err != nil {
			t.Fatal(err)
		}
		i += n
	}
	c.Close()
	evs := rr.wait(t, want)
	seqs := evSeqs(evs)
	for i := 0; i <= 40; i++ {
		if seqs[i] != i {
			t.Fatalf("events %v", seqs)
		}
	}
	if evs[41].Addr != netip.MustParseAddr("127.0.0.42") {
		t.Errorf("last event %+v", evs[41])
	}
	time.Sleep(50 * time.Millisecond)
	if st := rr.r.Stats(); st.TooLong != 2 || st.Events != int64(want) || st.Conns != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestReceiverAllow: senders outside Allow are dropped.
func TestReceiverAllow(t *testing.T) {
	rr := startReceiver(t, &logscan.Receiver{Parse: parse.Config{Location: time.UTC},
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	for _, src := range []string{"127.0.0.1", "127.0.0.2"} {
		la, _ := net.ResolveUDPAddr("udp", src+":0")
		ra, _ := net.ResolveUDPAddr("udp", rr.udp)
		c, err := net.DialUDP("udp", la, ra)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(msg3164(0)))
		c.Close()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		tc, err := d.Dial("tcp", rr.tcp)
		if err != nil {
			t.Fatal(err)
		}
		tc.Write([]byte(msg3164(1) + "\n"))
		tc.Close()
	}
	rr.wait(t, 2)
	time.Sleep(100 * time.Millisecond)
	rr.mu.Lock()
	evs := append([]watch.Event(nil), rr.events...)
	rr.mu.Unlock()
	if len(evs) != 2 || rr.r.Stats().Refused != 2 {
		t.Errorf("events %v, stats %+v", evs, rr.r.Stats())
	}
}

// TestReceiverListenAndServe: the convenience entry point.
func TestReceiverListenAndServe(t *testing.T) {
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	addr := pc.LocalAddr().String()
	pc.Close()
	got := make(chan watch.Event, 1)
	r := &logscan.Receiver{Handler: func(ev watch.Event) { got <- ev }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.ListenAndServe(ctx, addr, "") }()
	deadline := time.Now().Add(30 * time.Second)
	var ev watch.Event
loop:
	for {
		c, err := net.Dial("udp", addr)
		if err == nil {
			c.Write([]byte(msg3164(5)))
			c.Close()
		}
		select {
		case ev = <-got:
			break loop
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing received")
		}
	}
	cancel()
	if err := <-done; err != context.Canceled || addrSeq(ev.Addr) != 5 {
		t.Errorf("err %v, event %+v", err, ev)
	}
	if err := r.ListenAndServe(context.Background(), "", ""); err == nil {
		t.Error("no addresses: no error")
	}
}
