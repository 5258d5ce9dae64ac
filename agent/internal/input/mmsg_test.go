package input

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

// After a call that emptied the queue, the reader waits for the next
// datagram before calling recvmmsg again, instead of making a call that
// can only fail with EAGAIN: one call per datagram when datagrams come
// one at a time (two without the wait), and every datagram arrives.
func TestMmsgReaderOneCallPerWakeUp(t *testing.T) {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	rc, err := pc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	r := newMmsgReader(rc, 4, 2048)
	c, err := net.Dial("udp4", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const count = 100
	got := make(chan string)
	errc := make(chan error, 1)
	go func() {
		errc <- r.Run(func(n int) {
			for i := 0; i < n; i++ {
				b, _ := r.Datagram(i)
				got <- string(b)
			}
		})
	}()
	for i := 0; i < count; i++ {
		want := "datagram " + strconv.Itoa(i)
		if _, err := c.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		select {
		case b := <-got:
			if b != want {
				t.Fatalf("got %q, want %q", b, want)
			}
		case err := <-errc:
			t.Fatal(err)
		}
	}
	pc.Close() // Run returns
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Run after close: %v", err)
	}
	if r.syscalls > count+count/4 {
		t.Fatalf("%d recvmmsg calls for %d datagrams sent one at a time, want about one each", r.syscalls, count)
	}
}
