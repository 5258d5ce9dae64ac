package dataplane

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestSenderFlushRunsAndErrors checks flush's bookkeeping without root: a
// batch whose messages alternate between two sockets (as copies to
// receivers in two fabrics would) goes out as one sendmmsg per run, every
// message once and in order, and a message the kernel refuses is reported
// with its own index while the rest of the batch still goes. UDP sockets
// on loopback stand in for the mirror sockets.
func TestSenderFlushRunsAndErrors(t *testing.T) {
	ln, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dst := [4]byte{127, 0, 0, 1}
	port := ln.LocalAddr().(*net.UDPAddr).Port
	var fds [2]int
	for i := range fds {
		if fds[i], err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fds[i])
	}
	// Message 3 goes to port 0: the kernel refuses it (EINVAL); message 6
	// has no way out (setNone) and is skipped without a word.
	plan := []struct {
		fd   int
		port int
	}{{0, port}, {0, port}, {1, port}, {1, 0}, {1, port}, {0, port}, {-1, port}, {0, port}}
	s := &sender{raw: -1, msgs: make([]unix.Mmsghdr, len(plan)), iovs: make([]unix.Iovec, len(plan)),
		in4: make([]unix.RawSockaddrInet4, len(plan)), fds: make([]int, len(plan))}
	payloads := make([][]byte, len(plan))
	for i, p := range plan {
		payloads[i] = []byte(fmt.Sprintf("message %d", i))
		s.iovs[i].Base = &payloads[i][0]
		s.iovs[i].SetLen(len(payloads[i]))
		s.msgs[i].Hdr.Iov, s.msgs[i].Hdr.Iovlen = &s.iovs[i], 1
		s.in4[i] = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: dst}
		pb := (*[2]byte)(unsafe.Pointer(&s.in4[i].Port))
		pb[0], pb[1] = byte(p.port>>8), byte(p.port)
		s.msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&s.in4[i]))
		s.msgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
		s.fds[i] = -1
		if p.fd >= 0 {
			s.fds[i] = fds[p.fd]
		}
	}
	s.setNone(6)
	var failed []int
	sent := s.flush(len(plan), func(i int, err error) {
		failed = append(failed, i)
		if !errors.Is(err, unix.EINVAL) {
			t.Errorf("message %d: error %v, want EINVAL", i, err)
		}
	})
	if sent != len(plan)-2 || len(failed) != 1 || failed[0] != 3 {
		t.Fatalf("flush sent %d and reported %v as refused; want %d sent and [3]", sent, failed, len(plan)-2)
	}
	buf := make([]byte, 64)
	for _, want := range []int{0, 1, 2, 4, 5, 7} {
		ln.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("read message %d: %v", want, err)
		}
		if got := string(buf[:n]); got != string(payloads[want]) {
			t.Fatalf("received %q, want %q (each message once, in order)", got, payloads[want])
		}
	}
}

// TestSenderTwinSharesSockets: an ENI's two senders share the sockets
// but not their batches, and the sockets close with the second close,
// not the first (the other direction may still be sending). UDP sockets
// stand in for the mirror sockets, so it needs no root.
func TestSenderTwinSharesSockets(t *testing.T) {
	var fds [2]int
	for i := range fds {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds[i] = fd
	}
	open := func(fd int) bool {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return err == nil
	}
	s := newBatch(4)
	s.raw, s.pkt, s.users = fds[0], []int{fds[1]}, new(atomic.Int32)
	s.users.Store(1)
	tw := s.twin()
	if tw.raw != s.raw || len(tw.pkt) != 1 || tw.pkt[0] != fds[1] {
		t.Fatalf("twin sockets raw %d pkt %v, want %d %v", tw.raw, tw.pkt, s.raw, s.pkt)
	}
	if &tw.msgs[0] == &s.msgs[0] || &tw.iovs[0] == &s.iovs[0] || len(tw.msgs) != 4 {
		t.Fatal("twin shares the batch arrays or has another batch size")
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if !open(fds[0]) || !open(fds[1]) {
		t.Fatal("the first close closed sockets the twin still uses")
	}
	if err := tw.close(); err != nil {
		t.Fatal(err)
	}
	if open(fds[0]) || open(fds[1]) {
		t.Fatal("the last close left the sockets open")
	}
}

// TestSenderDirectLinearHeader: a direct copy goes out behind a
// virtio_net_hdr that asks for nothing but a linear buffer as long as the
// whole frame (headers and the frame in the ring together), and a routed
// one behind none. Without root.
func TestSenderDirectLinearHeader(t *testing.T) {
	s := newBatch(2)
	s.pkt = []int{-1}
	head, ext := make([]byte, 64), make([]byte, 8947)
	s.setDirect(0, head, ext, 0, 7)
	s.setRouted(1, head[14:], ext, [4]byte{10, 0, 0, 1})
	iovs := func(i int) []unix.Iovec {
		return unsafe.Slice(s.msgs[i].Hdr.Iov, s.msgs[i].Hdr.Iovlen)
	}
	d := iovs(0)
	if len(d) != 3 || d[0].Len != vnetHdrLen || d[1].Len != 64 || d[2].Len != 8947 {
		t.Fatalf("direct message iovecs %+v, want a %d-byte virtio_net_hdr, 64 and 8947 bytes", d, vnetHdrLen)
	}
	vh := parseVnetHdr(unsafe.Slice(d[0].Base, vnetHdrLen))
	if want := (vnetHdr{hdrLen: 64 + 8947}); vh != want {
		t.Fatalf("virtio_net_hdr %+v, want %+v (linear over the whole frame, nothing else)", vh, want)
	}
	if r := iovs(1); len(r) != 2 || r[0].Len != 50 || r[1].Len != 8947 {
		t.Fatalf("routed message iovecs %+v, want 50 and 8947 bytes and no virtio_net_hdr", r)
	}
	var h [vnetHdrLen]byte
	if vh := parseVnetHdr(linearVnetHdr(&h, 70000)); vh.hdrLen != 0 {
		t.Fatalf("hdr_len %d for a 70000-byte frame, want 0 (paged)", vh.hdrLen)
	}
}

// TestPrivilegedDirectSendIntact: frames written by the direct socket
// (virtio_net_hdr in front, linear) arrive byte for byte at the other end
// of the port, a jumbo frame gathered from headers and the frame in the
// ring as well as smaller ones and one sent whole.
func TestPrivilegedDirectSendIntact(t *testing.T) {
	f := newRingFixture(t)
	var out, in int
	err := f.ns(func() (err error) {
		for _, name := range []string{"p0", "p1"} {
			l, err := netlink.LinkByName(name)
			if err == nil {
				err = netlink.LinkSetMTU(l, 9001)
			}
			if err != nil {
				return err
			}
		}
		if out, err = openPacketSocket(DefaultMark); err != nil {
			return err
		}
		if in, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(0x88b5))); err != nil {
			return err
		}
		return unix.Bind(in, &unix.SockaddrLinklayer{Protocol: htons(0x88b5), Ifindex: f.p0})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(out)
	defer unix.Close(in)
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(in, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{testFrame(1, 9015), testFrame(2, 60), testFrame(3, 5000), testFrame(4, 1514)}
	for i, b := range frames {
		for j := 15; j < len(b); j++ {
			b[j] = byte(i*31 + j*7)
		}
	}
	s := newBatch(len(frames))
	s.pkt = []int{out}
	s.setDirect(0, frames[0][:64], frames[0][64:], 0, int32(f.p1))
	s.setDirect(1, frames[1][:20], frames[1][20:], 0, int32(f.p1))
	s.setDirect(2, frames[2], nil, 0, int32(f.p1))
	s.setDirect(3, frames[3][:100], frames[3][100:], 0, int32(f.p1))
	if n := s.flush(len(frames), func(i int, err error) { t.Errorf("message %d refused: %v", i, err) }); n != len(frames) {
		t.Fatalf("sent %d of %d", n, len(frames))
	}
	buf := make([]byte, 16<<10)
	for _, want := range frames {
		n, _, err := unix.Recvfrom(in, buf, 0)
		if err != nil {
			t.Fatalf("receive the %d-byte frame: %v", len(want), err)
		}
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("received %d bytes (tag %d), want the %d-byte frame tagged %d as sent", n, buf[14], len(want), want[14])
		}
	}
}
