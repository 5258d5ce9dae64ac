package kpath

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
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
// way out, the outer headers as cloudmock writes them, whether or not the
// copy is cut.
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

	cutCopies(t, l, conn, m, session)
	after, _ := l.p.Punts()
	if after[PuntOffload] != before[PuntOffload] {
		t.Errorf("offload punts %d -> %d, want none", before[PuntOffload], after[PuntOffload])
	}
}

// cutCopies sends datagrams whose copies are cut at an even and an odd
// place: each copy carries the whole datagram's checksum (the bytes cut
// off were carried into the field before the cut), as from user space,
// which completes the checksum before it cuts: the model's frame for the
// whole datagram, cut.
func cutCopies(t *testing.T, l *lab, conn *net.UDPConn, m *cloudmock.Model, session Session) {
	t.Helper()
	ref, _ := m.ENI("eni-web")
	for i, size := range []int{333, 334, 8000, 8001} {
		// Cut at an even and an odd place of the datagram.
		session.MaxInner = 100 + i%2
		if err := l.p.SetSession(1, session); err != nil {
			t.Fatal(err)
		}
		payload := bytes.Repeat([]byte{0xa5, 0x3c, 0x99}, size)[:size]
		if _, err := conn.Write(payload); err != nil {
			t.Fatal(err)
		}
		got := readIPv4(l.copies, 500*time.Millisecond)
		if len(got) != 1 || len(got[0]) != 50+session.MaxInner {
			t.Fatalf("%d bytes: the receiver got %d copies (%v), want 1 of %d bytes", size, len(got), lens(got), 50+session.MaxInner)
		}
		whole := append(slices.Clone(got[0][50:50+42]), payload...)
		if !udpChecksumOK(whole) {
			t.Errorf("%d bytes: the cut copy's UDP checksum %x is not the whole datagram's", size, whole[40:42])
		}
		d := m.Decide(ref, cloudmock.Egress, whole)
		d.MaxInner = session.MaxInner
		dl := m.Deliver(&d)
		if want := d.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: l.pr.instMAC}, &dl, whole); !bytes.Equal(got[0], want) {
			t.Errorf("%d bytes: the cut copy differs from cloudmock's\nkernel:    %x\ncloudmock: %x", size, got[0], want)
		}
	}
}

func lens(frames [][]byte) []int {
	var n []int
	for _, f := range frames {
		n = append(n, len(f))
	}
	return n
}
