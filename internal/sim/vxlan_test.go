package sim

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// innerFrame is a hand-built Ethernet/IPv4/UDP frame carrying marker, the
// kind of frame a mirror session encapsulates.
func innerFrame(marker string) []byte {
	payload := []byte(marker)
	f := make([]byte, 14+20+8+len(payload))
	copy(f[0:6], net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 1})
	copy(f[6:12], net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, unix.IPPROTO_UDP
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	copy(ip[12:16], []byte{10, 0, 0, 4})
	copy(ip[16:20], []byte{10, 0, 0, 36})
	binary.BigEndian.PutUint16(ip[10:], csum(ip))
	udp := f[34:42]
	binary.BigEndian.PutUint16(udp[0:], 40000)
	binary.BigEndian.PutUint16(udp[2:], 80)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(f[42:], payload)
	return f
}

// vxlanDatagram is the UDP payload of a VXLAN packet: flags 0x08 (VNI
// valid), 24-bit VNI, then the inner frame.
func vxlanDatagram(vni uint32, inner []byte) []byte {
	h := make([]byte, 8, 8+len(inner))
	h[0] = 0x08
	binary.BigEndian.PutUint32(h[4:], vni<<8)
	return append(h, inner...)
}

// TestPrivilegedVXLANDeviceReceives sets up the adapter as the walk-through
// does (vxlan0, VNI 1, on eth0, port 4789), sends it VXLAN datagrams from
// the client (another subnet), and reads the decapsulated frames on vxlan0.
func TestPrivilegedVXLANDeviceReceives(t *testing.T) {
	lab := realize(t, walkthrough())
	adapter, client := lab.Instance("adapter"), lab.Instance("client")
	dev, err := adapter.AddVXLAN("eth0", "vxlan0", 1)
	if err != nil {
		t.Fatal(err)
	}
	if dev.MTU != adapter.ENI("eth0").MTU-50 || dev.VNI != 1 || dev.Name != "vxlan0" {
		t.Errorf("vxlan device %+v: want VNI 1 and MTU %d", dev, adapter.ENI("eth0").MTU-50)
	}
	if _, err := adapter.AddVXLAN("eth9", "vxlan1", 1); err == nil {
		t.Error("AddVXLAN on a missing ENI: want an error")
	}
	if _, err := adapter.AddVXLAN("eth0", "vxlan2", 1<<24); err == nil {
		t.Error("AddVXLAN with a 25-bit VNI: want an error")
	}

	var fd int
	err = adapter.Run(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: dev.Index})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}

	wrong, right := innerFrame("wrong-vni-2"), innerFrame("mirrored-by-vni-1")
	dst := netip.AddrPortFrom(adapter.ENI("eth0").IP, VXLANPort)
	err = client.Run(func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write(vxlanDatagram(2, wrong)); err != nil {
			return err
		}
		_, err = c.Write(vxlanDatagram(1, right))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		t.Fatalf("nothing arrived on vxlan0: %v", err)
	}
	if !bytes.Equal(buf[:n], right) {
		t.Fatalf("vxlan0 received %x, want the VNI 1 frame %x", buf[:n], right)
	}
	h, err := netlink.NewHandleAt(adapter.NS())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByIndex(dev.Index)
	if err != nil {
		t.Fatal(err)
	}
	if st := l.Attrs().Statistics; st == nil || st.RxPackets != 1 {
		t.Fatalf("vxlan0 rx statistics %+v, want exactly 1 packet (the VNI 2 one must not count)", st)
	}
}
