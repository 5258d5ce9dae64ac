package dataplane

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sender is one pipeline's way out: it sends a batch of copies with as few
// sendmmsg calls as there are runs of consecutive copies leaving by the
// same socket (usually one).
//
// A copy leaves in one of two ways:
//
//   - direct (the normal case): the whole outer Ethernet frame, exactly as
//     the model built it (router MAC → receiver MAC, IPv4 id 0, TTL 255), is
//     written with an AF_PACKET socket onto the receiver's bridge port in
//     the fabric namespace that holds the receiver's subnet (see
//     packetSocket). No routing, neighbour lookup or netfilter runs, and
//     the kernel leaves every byte as it is.
//   - routed (the fallback, and Config.RoutedSend): the IPv4 datagram is
//     sent on a raw socket (IP_HDRINCL) in the source's fabric namespace and
//     the VPC router delivers it; the kernel fills in the IPv4 id. It serves
//     receivers the lab has no port for.
//
// A direct copy is preceded by a virtio_net_hdr (the socket has
// PACKET_VNET_HDR) whose hdr_len covers the whole frame, so the kernel
// builds it as one linear buffer: without it, a frame larger than a page
// goes into a paged skb, two fresh pages (8 + 4 KiB for a jumbo frame)
// filled page by page. The header asks for nothing else (no checksum, no
// segmentation); the bytes on the wire are the same. Measured with the
// sending thread's CPU clock around sendmmsg, a jumbo copy costs about
// 14 % less (1.55 against 1.8 µs); copies under a page are built linear
// either way.
//
// Every array is allocated once: building and sending a batch does not
// allocate.
//
// The senders of an ENI's two directions share the sockets (twin): a
// sendmmsg is safe from two goroutines, and the lab then opens half as
// many sockets (closing an AF_PACKET socket waits for an RCU grace
// period). The last of the two to close closes them.
type sender struct {
	raw   int           // routed: raw IPv4 socket in the source's fabric namespace
	pkt   []int         // direct: one AF_PACKET socket per fabric, by fabric index
	users *atomic.Int32 // senders of raw and pkt

	msgs []unix.Mmsghdr
	// iovs are three per message: the virtio_net_hdr (direct only),
	// the headers (or the whole frame), the frame in the ring.
	iovs []unix.Iovec
	vnet [][vnetHdrLen]byte // message i's virtio_net_hdr (direct)
	in4  []unix.RawSockaddrInet4
	ll   []unix.RawSockaddrLinklayer
	fds  []int // the socket of message i
}

// newSender opens the routed fallback socket in the calling thread's
// network namespace (call it inside the source's fabric, nsrun.Run); the
// direct sockets, one per fabric, are added with addPacketSocket.
func newSender(batch int, mark uint32) (*sender, error) {
	fd, err := openRawSocket(mark)
	if err != nil {
		return nil, err
	}
	s := newBatch(batch)
	s.raw, s.users = fd, new(atomic.Int32)
	s.users.Store(1)
	return s, nil
}

// twin returns a sender of its own batch on s's sockets (see sender).
func (s *sender) twin() *sender {
	t := newBatch(len(s.msgs))
	s.users.Add(1)
	t.raw, t.pkt, t.users = s.raw, s.pkt, s.users
	return t
}

// newBatch returns a sender without sockets, its arrays for batch
// messages allocated.
func newBatch(batch int) *sender {
	s := &sender{
		raw:  -1,
		msgs: make([]unix.Mmsghdr, batch),
		iovs: make([]unix.Iovec, iovsPerMsg*batch),
		vnet: make([][vnetHdrLen]byte, batch),
		in4:  make([]unix.RawSockaddrInet4, batch),
		ll:   make([]unix.RawSockaddrLinklayer, batch),
		fds:  make([]int, batch),
	}
	for i := range s.msgs {
		s.msgs[i].Hdr.Iov = &s.iovs[iovsPerMsg*i]
		s.msgs[i].Hdr.Iovlen = 1
		s.in4[i].Family = unix.AF_INET
		s.ll[i].Family = unix.AF_PACKET
	}
	return s
}

// iovsPerMsg is the most iovecs a message takes (see sender.iovs).
const iovsPerMsg = 3

// setDirect fills message i with the Ethernet frame f (followed by ext,
// when not empty: the inner frame where it lies in the capture ring),
// written on interface ifindex by the AF_PACKET socket of fabric fab,
// behind a virtio_net_hdr that makes the kernel build it linear (see
// sender).
func (s *sender) setDirect(i int, f, ext []byte, fab int, ifindex int32) {
	s.setIov(i, linearVnetHdr(&s.vnet[i], len(f)+len(ext)), f, ext)
	s.ll[i].Ifindex = ifindex
	s.ll[i].Protocol = binary.NativeEndian.Uint16(f[12:14]) // the frame's EtherType, in network order
	s.msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&s.ll[i]))
	s.msgs[i].Hdr.Namelen = unix.SizeofSockaddrLinklayer
	s.fds[i] = s.pkt[fab]
}

// setRouted fills message i with the IPv4 datagram d (followed by ext,
// when not empty) to dst, routed by the source's fabric.
func (s *sender) setRouted(i int, d, ext []byte, dst [4]byte) {
	s.setIov(i, nil, d, ext)
	s.in4[i].Addr = dst
	s.msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&s.in4[i]))
	s.msgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
	s.fds[i] = s.raw
}

// setIov points message i at vh, b and ext, those not empty, in that
// order: the kernel gathers them (one copy, from where each lies).
func (s *sender) setIov(i int, vh, b, ext []byte) {
	iov := s.iovs[iovsPerMsg*i : iovsPerMsg*(i+1)]
	n := 0
	for _, part := range [iovsPerMsg][]byte{vh, b, ext} {
		if len(part) > 0 {
			iov[n].Base = &part[0]
			iov[n].SetLen(len(part))
			n++
		}
	}
	s.msgs[i].Hdr.SetIovlen(n)
}

// linearVnetHdr writes into h the virtio_net_hdr of a frame of n bytes
// sent whole and linear: no checksum to complete, no segmentation, and
// hdr_len n (the kernel's linear part; 0, a paged skb as without the
// header, for a frame too long for the field, which no copy is).
func linearVnetHdr(h *[vnetHdrLen]byte, n int) []byte {
	*h = [vnetHdrLen]byte{}
	if n <= 0xffff {
		binary.NativeEndian.PutUint16(h[2:], uint16(n))
	}
	return h[:]
}

// setNone marks message i as not to be sent (flush skips it silently).
func (s *sender) setNone(i int) { s.fds[i] = -1 }

// flush sends messages [0,n), one sendmmsg per run of messages on the same
// socket. It returns how many were sent, and calls onErr (with the message
// index) for each one the kernel refused; a refused copy is skipped, never
// retried.
func (s *sender) flush(n int, onErr func(i int, err error)) int {
	sent := 0
	for i := 0; i < n; {
		j := i + 1
		for j < n && s.fds[j] == s.fds[i] {
			j++
		}
		if s.fds[i] >= 0 {
			sent += sendmmsg(s.fds[i], s.msgs[i:j], i, onErr)
		}
		i = j
	}
	return sent
}

// sendmmsg sends msgs on fd; base is the index of msgs[0] for onErr.
func sendmmsg(fd int, msgs []unix.Mmsghdr, base int, onErr func(i int, err error)) int {
	sent := 0
	for i := 0; i < len(msgs); {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd),
			uintptr(unsafe.Pointer(&msgs[i])), uintptr(len(msgs)-i), 0, 0, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e != 0 && int(r) <= 0:
			// The first message of the remainder failed: count it, go on.
			onErr(base+i, e)
			i++
		default:
			sent += int(r)
			i += int(r)
		}
	}
	return sent
}

// close closes every socket, unless its twin still uses them (then the
// twin's close does).
func (s *sender) close() error {
	if s.users != nil && s.users.Add(-1) > 0 {
		s.raw, s.pkt = -1, nil
		return nil
	}
	var errs []error
	for _, fd := range append([]int{s.raw}, s.pkt...) {
		if fd >= 0 {
			if err := unix.Close(fd); err != nil {
				errs = append(errs, fmt.Errorf("close mirror socket: %w", err))
			}
		}
	}
	s.raw, s.pkt = -1, nil
	return errors.Join(errs...)
}
