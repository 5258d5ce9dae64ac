package kpath

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// txChecksumOff turns transmit checksum offload off on ifname in ns
// (ethtool -K ifname tx off).
func txChecksumOff(t *testing.T, ns netns.NsHandle, ifname string) {
	t.Helper()
	err := nsrun.Run(ns, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		v := struct{ cmd, data uint32 }{unix.ETHTOOL_STXCSUM, 0}
		var ifr struct {
			name [unix.IFNAMSIZ]byte
			data unsafe.Pointer
			_    [16]byte
		}
		copy(ifr.name[:], ifname)
		ifr.data = unsafe.Pointer(&v)
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); e != 0 {
			return e
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ethtool -K %s tx off (%s): %v", ifname, ns, err)
	}
}

// udpChecksumOK verifies the UDP checksum of an untagged IPv4 frame
// (IHL 5) over its pseudo-header.
func udpChecksumOK(f []byte) bool {
	ip := f[14:]
	n := int(binary.BigEndian.Uint16(ip[2:])) - 20
	udp := ip[20 : 20+n]
	var sum uint32
	for i := 12; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	sum += 17 + uint32(n)
	for i := 0; i+1 < n; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(udp[i:]))
	}
	if n%2 == 1 {
		sum += uint32(udp[n-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return binary.BigEndian.Uint16(udp[6:]) != 0 && uint16(sum) == 0xffff
}

// TestPrivilegedEndToEndPartialChecksum: with ReceiversCompleteChecksums
// (and the receiver's port transmitting without checksum offload) a UDP
// datagram from the instance's own stack (CHECKSUM_PARTIAL at the fabric
// end) is mirrored in the kernel, its inner checksum completed on the
// way out, the outer headers as cloudmock writes them; when the copy
// would be cut, it is left to user space.
func TestPrivilegedEndToEndPartialChecksum(t *testing.T) {
	l := newLab(t)
	txChecksumOff(t, l.fabric, "frcv")
	if err := l.p.SetConfig(Config{CopyMark: DefaultCopyMark, RejectStops: true, ReceiversCompleteChecksums: true}); err != nil {
		t.Fatal(err)
	}
	m, err := cloudmock.New(encapSpec(nil))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := m.ENI("eni-web")
	session := Session{VNI: 4242, OuterSrc: inst, OuterDst: netip.MustParseAddr("10.0.0.20"), SrcMAC: routeMAC,
		DstMAC: l.pr.instMAC, MaxInner: 8961, ReceiverIfindex: l.pr.fabricIdx}
	if err := l.p.SetSession(1, session); err != nil {
		t.Fatal(err)
	}
	rules := []Rule{{Accept: true, Proto: 17, Src: anyNet, Dst: anyNet, Slot: 1}}
	if err := l.p.SetPort(l.ps.fabricIdx, Egress, Port{MAC: l.ps.instMAC, Resolver: resolver, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	var conn *net.UDPConn
	err = nsrun.Run(l.src, func() error {
		link, err := netlink.LinkByName("isrc")
		if err != nil {
			return err
		}
		if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: &net.IPNet{IP: inst.AsSlice(), Mask: net.CIDRMask(24, 32)}}); err != nil {
			return err
		}
		if err := netlink.NeighAdd(&netlink.Neigh{LinkIndex: link.Attrs().Index, State: netlink.NUD_PERMANENT,
			IP: net.IP{10, 0, 0, 9}, HardwareAddr: net.HardwareAddr(peerMAC[:])}); err != nil {
			return err
		}
		conn, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IP{10, 0, 0, 9}, Port: 9})
		return err
	})
	if err != nil {
		t.Fatalf("a UDP socket in the instance: %v", err)
	}
	defer conn.Close()
	before, _ := l.p.Punts()
	if _, err := conn.Write(make([]byte, 333)); err != nil {
		t.Fatal(err)
	}
	got := readIPv4(l.copies, 500*time.Millisecond)
	if len(got) != 1 {
		t.Fatalf("the receiver got %d copies, want 1", len(got))
	}
	inner := got[0][50:]
	if !udpChecksumOK(inner) {
		t.Errorf("the copy's inner UDP checksum is not complete: %x", inner[34:42])
	}
	d := m.Decide(ref, cloudmock.Egress, inner)
	dl := m.Deliver(&d)
	if want := d.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: l.pr.instMAC}, &dl, inner); !contains(got, want) {
		t.Errorf("the copy differs from cloudmock's for its inner frame\nkernel:    %x\ncloudmock: %x", got[0][:64], want[:min(64, len(want))])
	}

	// A copy that would be cut: the checksum would no longer cover what
	// the copy carries, so user space decides.
	session.MaxInner = 100
	if err := l.p.SetSession(1, session); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(make([]byte, 333)); err != nil {
		t.Fatal(err)
	}
	if got := readIPv4(l.copies, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("the receiver got %d copies of a partial packet to be cut", len(got))
	}
	if !containsLen(readIPv4(l.ring, 100*time.Millisecond), 14+20+8+333) {
		t.Errorf("the capture ring did not see the partial packet left to it")
	}
	after, _ := l.p.Punts()
	if after[PuntOffload] != before[PuntOffload]+1 {
		t.Errorf("offload punts %d -> %d, want one more", before[PuntOffload], after[PuntOffload])
	}
}

func containsLen(frames [][]byte, n int) bool {
	for _, f := range frames {
		if len(f) == n {
			return true
		}
	}
	return false
}
