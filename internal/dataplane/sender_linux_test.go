package dataplane

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

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
