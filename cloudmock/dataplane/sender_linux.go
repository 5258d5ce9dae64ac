package dataplane

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawSender sends whole IPv4 datagrams (outer header included, IP_HDRINCL)
// in batches with sendmmsg. The socket is created inside the fabric
// namespace, so the datagrams are routed by the VPC router there; every
// datagram carries the service's SO_MARK so the captures drop them.
//
// The mmsghdr, iovec and sockaddr arrays are allocated once: send does not
// allocate.
type rawSender struct {
	fd    int
	msgs  []unix.Mmsghdr
	iovs  []unix.Iovec
	addrs []unix.RawSockaddrInet4
}

// newRawSender opens the socket in the calling thread's network namespace
// (call it inside nsrun.Run).
func newRawSender(batch int, mark uint32) (*rawSender, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("open raw ipv4 socket: %w", err)
	}
	s := &rawSender{
		fd:    fd,
		msgs:  make([]unix.Mmsghdr, batch),
		iovs:  make([]unix.Iovec, batch),
		addrs: make([]unix.RawSockaddrInet4, batch),
	}
	// SO_SNDTIMEO bounds a send blocked on a full socket buffer, so Close
	// never waits long; the queue in front absorbs (and counts) the rest.
	tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
	for _, o := range []struct {
		name string
		set  func() error
	}{
		{"IP_HDRINCL", func() error { return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_HDRINCL, 1) }},
		{"SO_MARK", func() error { return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(mark)) }},
		{"SO_SNDBUFFORCE", func() error { return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 4<<20) }},
		{"SO_SNDTIMEO", func() error { return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv) }},
	} {
		if err := o.set(); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("set %s on raw socket: %w", o.name, err)
		}
	}
	for i := range s.msgs {
		s.msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&s.addrs[i]))
		s.msgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
		s.msgs[i].Hdr.Iov = &s.iovs[i]
		s.msgs[i].Hdr.Iovlen = 1
		s.addrs[i].Family = unix.AF_INET
	}
	return s, nil
}

// set fills message i with datagram d to dst.
func (s *rawSender) set(i int, d []byte, dst [4]byte) {
	s.iovs[i].Base = &d[0]
	s.iovs[i].SetLen(len(d))
	s.addrs[i].Addr = dst
}

// flush sends messages [0,n). It returns how many were sent, and calls
// onErr (with the message index) for each one the kernel refused; a refused
// datagram is skipped, never retried.
func (s *rawSender) flush(n int, onErr func(i int, err error)) int {
	sent := 0
	for i := 0; i < n; {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(s.fd),
			uintptr(unsafe.Pointer(&s.msgs[i])), uintptr(n-i), 0, 0, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e != 0 && int(r) <= 0:
			// The first datagram of the remainder failed: count it, go on.
			onErr(i, e)
			i++
		default:
			sent += int(r)
			i += int(r)
		}
	}
	return sent
}

// close closes the socket.
func (s *rawSender) close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	if err != nil {
		return fmt.Errorf("close raw socket: %w", err)
	}
	return nil
}
