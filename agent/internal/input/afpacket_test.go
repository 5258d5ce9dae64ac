package input

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// stalledFrames handles frames only once released, so the ring overflows.
type stalledFrames struct {
	release chan struct{}
	n       atomic.Int64
}

func (s *stalledFrames) Frame(b []byte, ethernet bool, ts time.Time) {
	<-s.release
	s.n.Add(1)
}

// TestPrivilegedAFPacketDropsCountedAtExit: a burst overflows a 1 MiB ring
// while the reader is stalled; the run ends well within the second after
// which the ring's drop count would be read again, so only the read on the
// way out counts the drops. What was handled plus what was dropped is what
// was sent.
func TestPrivilegedAFPacketDropsCountedAtExit(t *testing.T) {
	privtest.Require(t)
	ns := privtest.Netns(t)
	inNS := func(fn func() error) error { return nsrun.Run(ns, fn) }
	drops := &dropSum{}
	af, err := OpenAFPacket(AFPacketConfig{Interface: "lo", RingBytes: 1 << 20, VXLANPort: 4789,
		InNamespace: inNS, Drops: drops})
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	h := &stalledFrames{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- af.Run(ctx, h) }()
	const sent = 3000
	err = inNS(func() error {
		// Nobody listens on 4789: the capture sees each datagram once as
		// it arrives on lo (the filter drops the copy the host sends).
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer c.Close()
		dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4789}
		payload := make([]byte, 1200)
		for i := 0; i < sent; i++ {
			if _, err := c.WriteTo(payload, dst); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	close(h.release)
	for last := int64(-1); ; {
		time.Sleep(20 * time.Millisecond)
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
