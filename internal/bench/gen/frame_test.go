package gen

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestFramesDecodeWithValidChecksums(t *testing.T) {
	f := Flow{
		SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"),
		SrcPort: 40000, DstPort: 9,
	}
	for _, size := range []int{MinIPLen, 64, 513, 1400, 8947} {
		f.IPLen = size
		frames, err := Frames(f, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range frames {
			if len(b) != EthHeaderLen+size {
				t.Fatalf("size %d: frame length %d", size, len(b))
			}
			p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
			ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			if ip == nil || udp == nil {
				t.Fatalf("size %d: frame does not decode as IPv4/UDP: %v", size, p)
			}
			if int(ip.Length) != size || udp.SrcPort != layers.UDPPort(40000+i) || udp.DstPort != 9 {
				t.Fatalf("size %d frame %d: ip length %d, ports %d->%d", size, i, ip.Length, udp.SrcPort, udp.DstPort)
			}
			// Recompute both checksums with gopacket and compare.
			wantIP, wantUDP := ip.Checksum, udp.Checksum
			if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
				t.Fatal(err)
			}
			buf := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ip, udp, gopacket.Payload(udp.Payload)); err != nil {
				t.Fatal(err)
			}
			q := gopacket.NewPacket(buf.Bytes(), layers.LayerTypeIPv4, gopacket.Default)
			if got := q.Layer(layers.LayerTypeIPv4).(*layers.IPv4).Checksum; got != wantIP {
				t.Fatalf("size %d: ip checksum %#x, gopacket computes %#x", size, wantIP, got)
			}
			if got := q.Layer(layers.LayerTypeUDP).(*layers.UDP).Checksum; got != wantUDP {
				t.Fatalf("size %d: udp checksum %#x, gopacket computes %#x", size, wantUDP, got)
			}
		}
	}
	f.Payload = []byte("vxlan")
	frames, err := Frames(f, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := gopacket.NewPacket(frames[0], layers.LayerTypeEthernet, gopacket.Default)
	if app := p.ApplicationLayer(); app == nil || string(app.Payload()) != "vxlan" {
		t.Fatalf("payload not carried: %v", p)
	}
	f.Payload = nil
	f.IPLen = 10
	if _, err := Frames(f, 1); err == nil {
		t.Fatal("a 10-byte IP packet was accepted")
	}
}
