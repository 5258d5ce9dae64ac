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

func TestParseControl(t *testing.T) {
	const hdr = unix.SizeofCmsghdr
	const align = hdr - 8
	b := make([]byte, 128)
	// A first control message of another type, then SO_RXQ_OVFL = 1234,
	// then SO_TIMESTAMPNS.
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
	next := func(off, l int) int { return off + (l+align-1)&^(align-1) }
	putHdr(0, hdr+4, unix.SOL_IP, unix.IP_TTL)
	second := next(0, hdr+4)
	putHdr(second, hdr+4, unix.SOL_SOCKET, unix.SO_RXQ_OVFL)
	binary.NativeEndian.PutUint32(b[second+hdr:], 1234)
	third := next(second, hdr+4)
	putHdr(third, hdr+2*align, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS)
	want := time.Unix(1700000000, 123456789)
	if align == 8 {
		binary.NativeEndian.PutUint64(b[third+hdr:], uint64(want.Unix()))
		binary.NativeEndian.PutUint64(b[third+hdr+8:], uint64(want.Nanosecond()))
	} else {
		binary.NativeEndian.PutUint32(b[third+hdr:], uint32(want.Unix()))
		binary.NativeEndian.PutUint32(b[third+hdr+4:], uint32(want.Nanosecond()))
	}
	if c := parseControl(b[:third+hdr+2*align]); !c.hasOvfl || c.ovfl != 1234 || !c.ts.Equal(want) {
		t.Fatalf("parseControl = %+v", c)
	}
	if c := parseControl(b[:second+hdr+4]); !c.hasOvfl || !c.ts.IsZero() {
		t.Fatalf("without a timestamp: %+v", c)
	}
	if c := parseControl(b[:hdr-1]); c.hasOvfl || !c.ts.IsZero() {
		t.Fatal("parsed a truncated header")
	}
}

type stamps struct {
	mu sync.Mutex
	ts []time.Time
}

func (s *stamps) Datagram(b []byte, ts time.Time) {
	s.mu.Lock()
	s.ts = append(s.ts, ts)
	s.mu.Unlock()
}

// Datagrams read in one batch keep the kernel's receive time each: two
// sent 30 ms apart before the reader starts are 30 ms apart, not both
// stamped with the batch's read time.
func TestUDPDatagramsKeepTheirReceiveTimes(t *testing.T) {
	u, err := ListenUDP(context.Background(), UDPConfig{Addr: "127.0.0.1:0", Sockets: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", u.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for i := 0; i < 2; i++ {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		if _, err := c.Write([]byte{8, 0, 0, 0, 0, 0, 1, 0}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // both queued before the reader starts
	h := &stamps{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx, func() DatagramHandler { return h }) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.ts)
		h.mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(h.ts) != 2 {
		t.Fatalf("%d datagrams", len(h.ts))
	}
	gap := h.ts[1].Sub(h.ts[0])
	if gap < 25*time.Millisecond || h.ts[0].Before(start.Add(-time.Second)) || h.ts[0].After(start.Add(10*time.Millisecond)) {
		t.Fatalf("receive times %v and %v (%v apart; sent from %v)", h.ts[0], h.ts[1], gap, start)
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

type contents struct {
	mu  sync.Mutex
	got map[string]int
}

func (c *contents) Datagram(b []byte, ts time.Time) {
	c.mu.Lock()
	c.got[string(b)]++
	c.mu.Unlock()
}

// The message array is built once and reused: every datagram, over many
// batches of a small array and of lengths that shrink and grow, arrives
// whole, with its own bytes and length (a length or control size left
// over from an earlier call would show here).
func TestUDPReusedBatchKeepsEachDatagram(t *testing.T) {
	u, err := ListenUDP(context.Background(), UDPConfig{Addr: "127.0.0.1:0", Sockets: 1, Batch: 3})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", u.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const count = 200
	want := map[string]int{}
	for i := 0; i < count; i++ {
		b := []byte(strings.Repeat(strconv.Itoa(i%10), 1+(i*37)%1500) + "#" + strconv.Itoa(i))
		want[string(b)]++
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	h := &contents{got: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx, func() DatagramHandler { return h }) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.got)
		h.mu.Unlock()
		if n >= count || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for b, n := range want {
		if h.got[b] != n {
			t.Fatalf("datagram %q… received %d times, want %d", b[:min(len(b), 20)], h.got[b], n)
		}
	}
	if len(h.got) != len(want) {
		t.Fatalf("%d distinct datagrams received, want %d", len(h.got), len(want))
	}
}

// backlogSocket is a UDP input with batches of 4 that counts its
// Backlog calls in calls, and a client connected to it.
func backlogSocket(t *testing.T, calls *atomic.Int64) (*UDP, net.Conn) {
	t.Helper()
	u, err := ListenUDP(context.Background(), UDPConfig{Addr: "127.0.0.1:0", Sockets: 1, Batch: 4,
		Backlog: func() { calls.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", u.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return u, c
}

// Datagrams waiting beyond one batch make the reader call Backlog; one
// datagram at a time never does.
func TestUDPBacklogOnFullBatch(t *testing.T) {
	var calls atomic.Int64
	h := &contents{got: map[string]int{}}
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			h.mu.Lock()
			got := len(h.got)
			h.mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d datagrams received, want %d", got, n)
			}
		}
	}
	run := func(u *UDP) func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- u.Run(ctx, func() DatagramHandler { return h }) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	u, c := backlogSocket(t, &calls)
	stop := run(u)
	for i := 0; i < 3; i++ { // one at a time: never a full batch
		if _, err := c.Write([]byte("single " + strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		waitFor(i + 1)
	}
	stop()
	if n := calls.Load(); n != 0 {
		t.Fatalf("Backlog called %d times for datagrams read one by one", n)
	}
	// Forty datagrams queued before the reader starts: full batches.
	u, c = backlogSocket(t, &calls)
	for i := 0; i < 40; i++ {
		if _, err := c.Write([]byte("queued " + strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	stop = run(u)
	waitFor(43)
	stop()
	if n := calls.Load(); n == 0 {
		t.Fatal("Backlog never called for 40 datagrams waiting, batches of 4")
	}
}
