package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// pingResult is what one don't-fragment echo request came to.
type pingResult struct {
	reply   bool       // an echo reply came back
	tooBig  bool       // the send failed locally with EMSGSIZE
	fragMTU int        // an ICMP "fragmentation needed" came back with this MTU
	from    netip.Addr // who sent the reply or the error
}

func (r pingResult) String() string {
	return fmt.Sprintf("reply=%v tooBig=%v fragMTU=%d from=%v", r.reply, r.tooBig, r.fragMTU, r.from)
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// pingDF sends one ICMP echo request of total IP length size to dst with the
// don't-fragment bit (IP_PMTUDISC_DO, as ping -M do) from a raw socket in
// the calling thread's namespace, and waits for the reply or an error.
func pingDF(dst netip.Addr, size int, id uint16) (pingResult, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return pingResult{}, err
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO); err != nil {
		return pingResult{}, err
	}
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return pingResult{}, err
	}
	msg := make([]byte, size-20)
	msg[0] = 8 // echo request
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], 1)
	for i := 8; i < len(msg); i++ {
		msg[i] = byte(i)
	}
	binary.BigEndian.PutUint16(msg[2:], csum(msg))
	err = unix.Sendto(fd, msg, 0, &unix.SockaddrInet4{Addr: dst.As4()})
	if errors.Is(err, unix.EMSGSIZE) {
		return pingResult{tooBig: true}, nil
	}
	if err != nil {
		return pingResult{}, fmt.Errorf("send: %w", err)
	}
	buf := make([]byte, 65536)
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return pingResult{}, fmt.Errorf("receive: %w", err)
		}
		ihl := int(buf[0]&0x0f) * 4
		p := buf[ihl:n]
		src := netip.AddrFrom4(from.(*unix.SockaddrInet4).Addr)
		switch {
		case p[0] == 0 && binary.BigEndian.Uint16(p[4:]) == id:
			if n != size {
				return pingResult{}, fmt.Errorf("echo reply of %d bytes, sent %d", n, size)
			}
			return pingResult{reply: true, from: src}, nil
		case p[0] == 3 && p[1] == 4 && len(p) >= 8+20+8:
			// The quoted packet: our echo request (by id).
			inner := p[8:]
			qi := int(inner[0]&0x0f) * 4
			if inner[9] == unix.IPPROTO_ICMP && binary.BigEndian.Uint16(inner[qi+4:]) == id {
				return pingResult{fragMTU: int(binary.BigEndian.Uint16(p[6:])), from: src}, nil
			}
		}
	}
}
