package dataplane

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// ringFixture is a veth pair p0/p1 in a test namespace, with frames sent
// on p1 arriving at p0.
type ringFixture struct {
	t          *testing.T
	ns         func(func() error) error
	p0, p1, fd int // interface indexes; a send socket
}

func newRingFixture(t *testing.T) *ringFixture {
	ns := privtest.Netns(t)
	f := &ringFixture{t: t, ns: func(fn func() error) error { return nsrun.Run(ns, fn) }, fd: -1}
	err := f.ns(func() error {
		// No IPv6 on the pair: the kernel's own chatter (DAD, MLD) would
		// take ring space the tests count on.
		for _, k := range []string{"all", "default"} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1"), 0o644); err != nil {
				return err
			}
		}
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "p0"}, PeerName: "p1"}); err != nil {
			return err
		}
		for _, n := range []string{"p0", "p1"} {
			l, err := netlink.LinkByName(n)
			if err != nil {
				return err
			}
			if err := netlink.LinkSetUp(l); err != nil {
				return err
			}
			if n == "p0" {
				f.p0 = l.Attrs().Index
			} else {
				f.p1 = l.Attrs().Index
			}
		}
		var err error
		f.fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(f.fd) })
	return f
}

// open opens a ring on p0 (every frame but the service's copies).
func (f *ringFixture) open(c tpRingConfig) *tpRing {
	f.t.Helper()
	prog, err := captureFilter(DefaultMark)
	if err != nil {
		f.t.Fatal(err)
	}
	var r *tpRing
	err = f.ns(func() error {
		var err error
		if r, err = openTPRing(c, prog, -1); err != nil {
			return err
		}
		return r.bind(f.p0)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { r.close() })
	return r
}

// frame is a size-byte frame of a local experimental EtherType, tagged n.
func testFrame(n byte, size int) []byte {
	b := make([]byte, size)
	copy(b, []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5})
	b[14] = n
	return b
}

func (f *ringFixture) send(frames ...[]byte) {
	f.t.Helper()
	for _, b := range frames {
		if err := unix.Sendto(f.fd, b, 0, &unix.SockaddrLinklayer{Ifindex: f.p1, Protocol: htons(0x88b5)}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// nextOurs returns the next frame of ours (not the kernel's own chatter).
func nextOurs(t *testing.T, r *tpRing) []byte {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		b, err := r.next()
		if errors.Is(err, errTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 14 && b[12] == 0x88 && b[13] == 0xb5 {
			return b
		}
	}
	t.Fatal("no frame within 5 s")
	return nil
}

// TestPrivilegedRingHoldsBlockUntilSent: a block a queued copy points
// into stays the reader's (its frame intact) after the reader moved on,
// and goes back to the kernel when the last holder lets go.
func TestPrivilegedRingHoldsBlockUntilSent(t *testing.T) {
	f := newRingFixture(t)
	page := unix.Getpagesize()
	r := f.open(tpRingConfig{blockSize: page, blocks: 8, timeout: time.Millisecond, poll: 20 * time.Millisecond})
	f.send(testFrame(1, 1500), testFrame(2, 1500), testFrame(3, 1500), testFrame(4, 1500))
	first := nextOurs(t, r)
	b := r.hold() // a copy of first is queued
	want := bytes.Clone(first)
	for r.cur == b {
		nextOurs(t, r) // the reader walks on into the next block
	}
	status := func() uint32 { return atomic.LoadUint32(&r.blockDesc(b).Block_status) }
	if status()&unix.TP_STATUS_USER == 0 || r.holds[b].Load() != 1 {
		t.Fatalf("block %d went back to the kernel (status %#x, holds %d) while a copy points into it", b, status(), r.holds[b].Load())
	}
	f.send(testFrame(5, 1500), testFrame(6, 1500))
	nextOurs(t, r)
	if !bytes.Equal(first, want) {
		t.Fatal("the held frame changed under the copy")
	}
	r.unhold(b, 1) // sent
	if status() != unix.TP_STATUS_KERNEL {
		t.Fatalf("block %d not given back once sent (status %#x)", b, status())
	}
}

// TestPrivilegedIdleRingsHoldNoThreads: captures waiting on idle rings
// are parked in the netpoller, not each an OS thread in poll(2), and wake
// returns them at once however long their wait.
func TestPrivilegedIdleRingsHoldNoThreads(t *testing.T) {
	f := newRingFixture(t)
	const n = 48
	rings := make([]*tpRing, n)
	for i := range rings {
		rings[i] = f.open(tpRingConfig{blockSize: 1 << 16, blocks: 2, timeout: time.Millisecond, poll: time.Minute})
	}
	before := osThreads(t)
	var wg sync.WaitGroup
	for _, r := range rings {
		wg.Go(func() {
			for {
				if _, err := r.next(); errors.Is(err, errTimeout) && r.stopping.Load() {
					return
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if grown := osThreads(t) - before; grown > n/4 {
		t.Errorf("%d idle captures took %d more OS threads", n, grown)
	}
	for _, r := range rings {
		r.wake()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("woken captures still wait (their wait is a minute)")
	}
}

// TestPrivilegedRingNotReadTwice: a reader that comes round the ring to a
// block it read a lap ago, still held by queued copies, does not take it
// for a new one (every frame is returned once), and reads on once the
// copies are sent.
func TestPrivilegedRingNotReadTwice(t *testing.T) {
	f := newRingFixture(t)
	r := f.open(tpRingConfig{blockSize: unix.Getpagesize(), blocks: 4, timeout: time.Millisecond, poll: 20 * time.Millisecond})
	seen := map[byte]int{}
	held := map[int]int32{}
	read := func(want int) {
		t.Helper()
		for range want {
			b := nextOurs(t, r)
			seen[b[14]]++
			held[r.hold()]++ // a copy of it is queued, never sent yet
		}
	}
	for i := range byte(4) { // a block each: the reader waits out the block timeout
		f.send(testFrame(i+1, 1500))
		read(1)
	}
	// The ring is full of held blocks: nothing new may come out of it.
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		b, err := r.next()
		if err == nil && len(b) > 14 && b[12] == 0x88 && b[13] == 0xb5 {
			t.Fatalf("frame %d returned again from a held block", b[14])
		}
	}
	for b, n := range held {
		r.unhold(b, n) // the copies are sent
	}
	f.send(testFrame(5, 1500))
	read(1)
	for tag := range byte(5) {
		if seen[tag+1] != 1 {
			t.Errorf("frame %d returned %d times, want once", tag+1, seen[tag+1])
		}
	}
}

// TestPrivilegedRingReadNoAlloc: reading frames, across blocks and waits
// for the kernel to hand one over, does not allocate.
func TestPrivilegedRingReadNoAlloc(t *testing.T) {
	f := newRingFixture(t)
	r := f.open(tpRingConfig{blockSize: unix.Getpagesize(), blocks: 64, timeout: time.Millisecond, poll: time.Second})
	const runs = 40
	for i := range runs + 1 {
		f.send(testFrame(byte(i), 1000))
	}
	allocs := testing.AllocsPerRun(runs, func() {
		b := nextOurs(t, r)
		r.unhold(r.hold(), 1) // a copy queued and sent
		_ = b
	})
	if allocs != 0 {
		t.Errorf("reading a frame allocates %.1f times", allocs)
	}
}
