package dataplane

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestRingBindsByIndex: a ring opened by interface index (not a lookup
// by name, which dumps every link) captures what arrives at that
// interface and what it sends, each told by its direction (what the
// fabric end sends is the instance's ingress), and nothing of a
// neighbour's traffic.
func TestRingBindsByIndex(t *testing.T) {
	ns := privtest.Netns(t)
	var r *ring
	frame := func(b byte) []byte {
		f := make([]byte, 60)
		copy(f, []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5}) // local experimental EtherType
		f[20] = b
		return f
	}
	err := nsrun.Run(ns, func() error {
		idx := map[string]int{}
		for _, pair := range [][2]string{{"p0", "p1"}, {"q0", "q1"}} {
			v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: pair[0]}, PeerName: pair[1]}
			if err := netlink.LinkAdd(v); err != nil {
				return err
			}
			for _, n := range pair {
				l, err := netlink.LinkByName(n)
				if err != nil {
					return err
				}
				if err := netlink.LinkSetUp(l); err != nil {
					return err
				}
				idx[n] = l.Attrs().Index
			}
		}
		var err error
		if r, err = openRing("p0", idx["p0"], false, DefaultMark, -1, RingOptions{Blocks: 2, BlockTimeout: time.Millisecond}); err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		for _, s := range []struct {
			dev string
			b   byte
		}{{"q1", 2}, {"p0", 3}, {"p1", 1}} {
			if err := unix.Sendto(fd, frame(s.b), 0, &unix.SockaddrLinklayer{Ifindex: idx[s.dev], Protocol: htons(0x88b5)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	type seen struct {
		b       byte
		ingress bool
	}
	var got []seen
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		data, _, _, err := r.read()
		if errors.Is(err, errTimeout) {
			if len(got) >= 2 {
				break
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(data) >= 60 && data[12] == 0x88 && data[13] == 0xb5 { // not the kernel's own IPv6 chatter
			if !bytes.Equal(data[:60], frame(data[20])) {
				t.Fatalf("ring on p0 captured %x, not a frame the test sent", data)
			}
			got = append(got, seen{data[20], r.ingress})
		}
	}
	// Sent: q1 (a neighbour's), p0 (out of p0: ingress), p1 (arrives at
	// p0: egress). The two reach the ring by different paths (a backlog,
	// a transmit), so a loaded machine may swap them: compared in order
	// of the frame.
	slices.SortFunc(got, func(a, b seen) int { return int(a.b) - int(b.b) })
	if want := []seen{{1, false}, {3, true}}; !slices.Equal(got, want) {
		t.Fatalf("ring on p0 captured %v (frame, ingress), want %v", got, want)
	}
}
