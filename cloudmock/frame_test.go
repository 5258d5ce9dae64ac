package cloudmock

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestBuildFrame decodes synthetic frames with gopacket and checks that the
// checksums BuildFrame wrote are the ones gopacket computes.
func TestBuildFrame(t *testing.T) {
	cases := []struct {
		name string
		p    Packet
		l4   gopacket.LayerType
	}{
		{"tcp4", Packet{Proto: encap.ProtoTCP, Src: addr("10.0.0.5"), Dst: addr("10.0.0.9"), SrcPort: 1234, DstPort: 80, PayloadLen: 11}, layers.LayerTypeTCP},
		{"udp4", Packet{Proto: encap.ProtoUDP, Src: addr("10.0.0.5"), Dst: addr("10.0.0.9"), SrcPort: 5000, DstPort: 6000, PayloadLen: 7}, layers.LayerTypeUDP},
		{"icmp4", Packet{Proto: encap.ProtoICMP, Src: addr("10.0.0.5"), Dst: addr("10.0.0.9"), ICMPType: 8, PayloadLen: 5}, layers.LayerTypeICMPv4},
		{"tcp6", Packet{Proto: encap.ProtoTCP, Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), SrcPort: 1, DstPort: 443}, layers.LayerTypeTCP},
		{"udp6", Packet{Proto: encap.ProtoUDP, Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), SrcPort: 1, DstPort: 6001, PayloadLen: 3}, layers.LayerTypeUDP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := frame(t, c.p)
			pkt := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
			if el := pkt.ErrorLayer(); el != nil {
				t.Fatalf("gopacket: %v", el.Error())
			}
			l := pkt.Layer(c.l4)
			if l == nil {
				t.Fatalf("no %v layer in %v", c.l4, pkt)
			}
			var net gopacket.NetworkLayer = pkt.NetworkLayer()
			var sl gopacket.SerializableLayer
			var got uint16
			var off int
			switch x := l.(type) {
			case *layers.TCP:
				_ = x.SetNetworkLayerForChecksum(net)
				got, sl, off = x.Checksum, x, 16
			case *layers.UDP:
				_ = x.SetNetworkLayerForChecksum(net)
				got, sl, off = x.Checksum, x, 6
			case *layers.ICMPv4:
				got, sl, off = x.Checksum, x, 2
			}
			buf := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, sl, gopacket.Payload(l.LayerPayload())); err != nil {
				t.Fatal(err)
			}
			re := buf.Bytes()
			if want := uint16(re[off])<<8 | uint16(re[off+1]); got != want {
				t.Errorf("checksum %#04x, gopacket computes %#04x", got, want)
			}
			if ip4, ok := net.(*layers.IPv4); ok && ipv4Checksum(b[14:34]) != 0 {
				t.Errorf("IPv4 header checksum %#04x does not verify", ip4.Checksum)
			}
			f, ok := ParseFlow(b)
			if !ok || f.Src != c.p.Src || f.Dst != c.p.Dst || f.Proto != c.p.Proto || f.SrcPort != c.p.SrcPort || f.DstPort != c.p.DstPort {
				t.Errorf("ParseFlow: %+v", f)
			}
		})
	}
	arp := frame(t, Packet{ARP: true, Src: addr("10.0.0.1"), Dst: addr("10.0.0.5")})
	if a, ok := gopacket.NewPacket(arp, layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeARP).(*layers.ARP); !ok || a.Operation != 1 {
		t.Errorf("ARP frame does not decode as an ARP request")
	}
	for _, bad := range []Packet{
		{Proto: encap.ProtoTCP, Src: addr("10.0.0.1"), Dst: addr("2001:db8::1")},
		{Proto: encap.ProtoTCP},
		{Proto: encap.ProtoUDP, Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), PayloadLen: -1},
		{ARP: true, Src: addr("2001:db8::1"), Dst: addr("2001:db8::2")},
	} {
		if _, err := BuildFrame(bad); err == nil {
			t.Errorf("BuildFrame(%+v) accepted", bad)
		}
	}
}
