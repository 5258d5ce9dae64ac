package input

import (
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type counter struct{ n atomic.Int64 }

func (c *counter) Datagram(b []byte, ts time.Time) { c.n.Add(1) }

func TestUDPReusePortSockets(t *testing.T) {
	u, err := ListenUDP(context.Background(), UDPConfig{Addr: "127.0.0.1:0", Sockets: 3, RcvBuf: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range u.conns[1:] {
		if c.LocalAddr().String() != u.LocalAddr().String() {
			t.Fatalf("socket bound to %v, want %v", c.LocalAddr(), u.LocalAddr())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var handlers []*counter
	done := make(chan error, 1)
	go func() {
		done <- u.Run(ctx, func() DatagramHandler {
			mu.Lock()
			defer mu.Unlock()
			c := &counter{}
			handlers = append(handlers, c)
			return c
		})
	}()
	// Many senders (source ports) spread over the sockets.
	const senders, each = 16, 20
	for s := 0; s < senders; s++ {
		c, err := net.Dial("udp", u.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < each; i++ {
			if _, err := c.Write([]byte{8, 0, 0, 0, 0, 0, 1, 0}); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	total := int64(0)
	for time.Now().Before(deadline) {
		total = 0
		mu.Lock()
		for _, h := range handlers {
			total += h.n.Load()
		}
		mu.Unlock()
		if total == senders*each {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if total != senders*each || len(handlers) != 3 {
		t.Fatalf("received %d of %d datagrams with %d handlers", total, senders*each, len(handlers))
	}
}

func TestRxqOverflow(t *testing.T) {
	const hdr = unix.SizeofCmsghdr
	b := make([]byte, 64)
	// A first control message of another type, then SO_RXQ_OVFL = 1234.
	putHdr := func(off, l int, level, typ int32) {
		if hdr == 16 {
			binary.NativeEndian.PutUint64(b[off:], uint64(l))
			binary.NativeEndian.PutUint32(b[off+8:], uint32(level))
			binary.NativeEndian.PutUint32(b[off+12:], uint32(typ))
		} else {
			binary.NativeEndian.PutUint32(b[off:], uint32(l))
			binary.NativeEndian.PutUint32(b[off+4:], uint32(level))
			binary.NativeEndian.PutUint32(b[off+8:], uint32(typ))
		}
	}
	putHdr(0, hdr+4, unix.SOL_IP, unix.IP_TTL)
	second := (hdr + 4 + hdr - 9) &^ (hdr - 9)
	putHdr(second, hdr+4, unix.SOL_SOCKET, unix.SO_RXQ_OVFL)
	binary.NativeEndian.PutUint32(b[second+hdr:], 1234)
	if v, ok := rxqOverflow(b[:second+hdr+4]); !ok || v != 1234 {
		t.Fatalf("rxqOverflow = %d, %v", v, ok)
	}
	if _, ok := rxqOverflow(b[:hdr-1]); ok {
		t.Fatal("parsed a truncated header")
	}
}

func TestUDPPortInUseSaysWhatToDo(t *testing.T) {
	// A socket without SO_REUSEPORT (as a kernel vxlan device's) holds the
	// port.
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = ListenUDP(context.Background(), UDPConfig{Addr: c.LocalAddr().String()})
	if err == nil || !strings.Contains(err.Error(), "-input afpacket -interface vxlan0") {
		t.Fatalf("err = %v", err)
	}
}

type dropSum struct{ n atomic.Uint64 }

func (d *dropSum) Add(n uint64) uint64 { return d.n.Add(n) }

// stalled handles datagrams only once released, so the socket overflows.
type stalled struct {
	release chan struct{}
	n       atomic.Int64
}

func (s *stalled) Datagram(b []byte, ts time.Time) {
	<-s.release
	s.n.Add(1)
}

// TestUDPDropsAtEndOfBurstCounted: a burst overflows the socket while the
// reader is stalled and nothing comes after it. The drops are counted
// anyway (before, they waited for a later datagram to carry the count), so
// what was handled plus what was dropped is what was sent.
func TestUDPDropsAtEndOfBurstCounted(t *testing.T) {
	drops := &dropSum{}
	u, err := ListenUDP(context.Background(), UDPConfig{Addr: "127.0.0.1:0", Sockets: 1, RcvBuf: 64 << 10, Drops: drops})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	h := &stalled{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx, func() DatagramHandler { return h }) }()
	c, err := net.Dial("udp", u.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sent = 2000
	payload := make([]byte, 1000)
	for i := 0; i < sent; i++ {
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	close(h.release)
	// Wait until the reader has caught up with the queue, then stop.
	for last := int64(-1); ; {
		time.Sleep(50 * time.Millisecond)
		n := h.n.Load()
		if n == last {
			break
		}
		last = n
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	handled, dropped := h.n.Load(), drops.n.Load()
	if dropped == 0 || handled+int64(dropped) != sent {
		t.Fatalf("handled %d + dropped %d != sent %d (want some drops)", handled, dropped, sent)
	}
}

// TestUDPOverIPv6 receives VXLAN datagrams carried over IPv6 (the AWS
// model's copies between primary IPv6 addresses) on an IPv6 socket, and on
// the default dual-stack one.
func TestUDPOverIPv6(t *testing.T) {
	if c, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here (%v): the dual-stack lab's ipv6-dual-stack scenario covers it", err)
	} else {
		c.Close()
	}
	for _, addr := range []string{"[::1]:0", ":0"} {
		u, err := ListenUDP(context.Background(), UDPConfig{Addr: addr, Sockets: 1, RcvBuf: 1 << 20})
		if err != nil {
			t.Fatalf("ListenUDP %s: %v", addr, err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		ctx, cancel := context.WithCancel(context.Background())
		h := &counter{}
		done := make(chan error, 1)
		go func() { done <- u.Run(ctx, func() DatagramHandler { return h }) }()
		c, err := net.Dial("udp6", net.JoinHostPort("::1", strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := c.Write([]byte{8, 0, 0, 0, 0, 0, 1, 0}); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		for end := time.Now().Add(3 * time.Second); h.n.Load() < 5 && time.Now().Before(end); {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if h.n.Load() != 5 {
			t.Fatalf("%s: received %d of 5 datagrams over IPv6", addr, h.n.Load())
		}
	}
}
