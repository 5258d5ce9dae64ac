package cloudmock

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// awsCaptureSpec reproduces the set-up of the public AWS capture
// (suricata-verify vxlan-decoder-03): source ENI 172.31.0.238, target ENI
// 172.31.17.188, VNI 5569041, everything mirrored including Amazon DNS.
func awsCaptureSpec() Spec {
	return Spec{
		Vpcs: []Vpc{{VpcId: "vpc-a", CidrBlock: "172.31.0.0/16"}},
		Subnets: []Subnet{
			{SubnetId: "subnet-a", VpcId: "vpc-a", CidrBlock: "172.31.0.0/20"},
			{SubnetId: "subnet-b", VpcId: "vpc-a", CidrBlock: "172.31.16.0/20"},
		},
		NetworkInterfaces: []NetworkInterface{
			{NetworkInterfaceId: "eni-src", SubnetId: "subnet-a", PrivateIpAddress: "172.31.0.238"},
			{NetworkInterfaceId: "eni-dst", SubnetId: "subnet-b", PrivateIpAddress: "172.31.17.188"},
		},
		TrafficMirrorFilters: []*TrafficMirrorFilter{{
			TrafficMirrorFilterId: "tmf-all", NetworkServices: []string{"amazon-dns"},
			IngressFilterRules: []TrafficMirrorFilterRule{acceptAll(1)},
			EgressFilterRules:  []TrafficMirrorFilterRule{acceptAll(1)},
		}},
		TrafficMirrorTargets: []*TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-dst", NetworkInterfaceId: "eni-dst"}},
		TrafficMirrorSessions: []*TrafficMirrorSession{{
			TrafficMirrorSessionId: "tms-1", NetworkInterfaceId: "eni-src", TrafficMirrorTargetId: "tmt-dst",
			TrafficMirrorFilterId: "tmf-all", SessionNumber: 1, VirtualNetworkId: new(5569041),
		}},
	}
}

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// The first packet of the AWS capture is an NTP request (inner IPv4 total
// length 76) mirrored to 172.31.17.188. Its outer headers, up to the UDP
// source port and from the UDP length on, are these bytes; an inner packet
// of our own with the same addresses and length must produce them exactly
// (the IPv4 header checksum 0x5086 included).
func TestEncapMatchesAWSCapture(t *testing.T) {
	const (
		awsEthernet = "06e2439cff5e 061d3c34d077 0800"
		awsIPv4     = "4500007e 00000000 ff115086 ac1f00ee ac1f11bc"
		awsUDPTail  = "12b5 006a 0000"    // dst port 4789, length 106, checksum 0
		awsVXLAN    = "08000000 54fa1100" // flags 0x08, VNI 5569041
	)
	m := mustNew(t, awsCaptureSpec())
	src := mustENI(t, m, "eni-src")
	req := udp("172.31.0.238", "78.46.93.39", 60631, 123)
	req.PayloadLen = 48
	f := frame(t, req)
	d := m.Decide(src, Egress, f)
	if !d.Mirrored {
		t.Fatalf("not mirrored: %s", d)
	}
	hdr := FrameHeader{SrcMAC: [6]byte{0x06, 0x1d, 0x3c, 0x34, 0xd0, 0x77}, DstMAC: [6]byte{0x06, 0xe2, 0x43, 0x9c, 0xff, 0x5e}}
	out := d.AppendFrame(nil, hdr, f)
	check := func(name string, got []byte, want string) {
		t.Helper()
		if w := unhex(t, want); !bytes.Equal(got, w) {
			t.Errorf("%s:\n got % x\nwant % x", name, got, w)
		}
	}
	check("ethernet", out[0:14], awsEthernet)
	check("ipv4", out[14:34], awsIPv4)
	check("udp tail", out[36:42], awsUDPTail)
	check("vxlan", out[42:50], awsVXLAN)
	if !bytes.Equal(out[50:], f) {
		t.Errorf("inner frame differs")
	}
	sport := uint16(out[34])<<8 | uint16(out[35])
	if sport < 65408 {
		t.Errorf("outer source port %d outside the AWS range 65408-65535", sport)
	}
	// The reply (ingress) shares the flow's port, as in the capture.
	reply := udp("78.46.93.39", "172.31.0.238", 123, 60631)
	reply.PayloadLen = 48
	if d2 := m.Decide(src, Ingress, frame(t, reply)); !d2.Mirrored || d2.Outer.SrcPort != sport {
		t.Errorf("reply: %s, want outer source port %d", d2, sport)
	}
}

// goldenSYN is the walk-through's first mirrored packet: an HTTP SYN from
// 203.0.113.9:40000 to the web server 10.0.0.5:80, seen at eni-web, sent
// to the adapter 10.0.0.20 with VNI 1. Outer: TTL 255, id 0, no DF,
// UDP checksum 0, source port from the flow hash (0xffa2 for this flow).
// Outer IPv4 length 90 = inner IPv4 length 40 + 50.
const goldenSYN = `
0200000000bb 0200000000aa 0800
4500005a 00000000 ff11a77a 0a000005 0a000014
ffa2 12b5 0046 0000
08000000 00000100
026d6c000002 026d6c000001 0800
45000028 00014000 4006f4c0 cb007109 0a000005
9c400050 00000001 00000000 5002ffff cd420000`

func TestEncapGoldenDecodedByGopacket(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	web := mustENI(t, m, "eni-web")
	p := tcp("203.0.113.9", "10.0.0.5", 40000, 80)
	p.TCPFlags = 0x02
	inner := frame(t, p)
	d := m.Decide(web, Ingress, inner)
	if !d.Mirrored {
		t.Fatalf("not mirrored: %s", d)
	}
	hdr := FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 0xaa}, DstMAC: [6]byte{2, 0, 0, 0, 0, 0xbb}}
	got := d.AppendFrame(make([]byte, 0, 256), hdr, inner)
	want := unhex(t, goldenSYN)
	if !bytes.Equal(got, want) {
		t.Fatalf("outer frame:\n got % x\nwant % x", got, want)
	}

	// Decode the golden bytes with gopacket, an independent decoder.
	pkt := gopacket.NewPacket(want, layers.LayerTypeEthernet, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		t.Fatalf("gopacket: %v", el.Error())
	}
	var kinds []string
	for _, l := range pkt.Layers() {
		kinds = append(kinds, l.LayerType().String())
	}
	if got, want := strings.Join(kinds, "/"), "Ethernet/IPv4/UDP/VXLAN/Ethernet/IPv4/TCP"; got != want {
		t.Fatalf("layers %s, want %s", got, want)
	}
	ls := pkt.Layers()
	oip, oudp, vx := ls[1].(*layers.IPv4), ls[2].(*layers.UDP), ls[3].(*layers.VXLAN)
	iip, itcp := ls[5].(*layers.IPv4), ls[6].(*layers.TCP)
	if oip.SrcIP.String() != "10.0.0.5" || oip.DstIP.String() != "10.0.0.20" || oip.TTL != 255 || oip.Protocol != layers.IPProtocolUDP || oip.Flags != 0 || oip.Id != 0 {
		t.Errorf("outer IPv4: %+v", oip)
	}
	if int(oip.Length) != int(iip.Length)+encap.OuterOverhead {
		t.Errorf("outer length %d, want inner %d + 50", oip.Length, iip.Length)
	}
	if oudp.DstPort != 4789 || uint16(oudp.SrcPort) != d.Outer.SrcPort || oudp.Checksum != 0 || int(oudp.Length) != len(want)-34 {
		t.Errorf("outer UDP: %+v", oudp)
	}
	if !vx.ValidIDFlag || vx.VNI != 1 || want[42] != encap.VXLANFlags {
		t.Errorf("VXLAN: %+v", vx)
	}
	if iip.SrcIP.String() != "203.0.113.9" || itcp.DstPort != 80 || !itcp.SYN {
		t.Errorf("inner: %v %v", iip, itcp)
	}
	if !bytes.Equal(vx.Payload, inner) {
		t.Errorf("VXLAN payload is not the inner frame")
	}
	// The outer IPv4 checksum is what gopacket computes for the header.
	sum := oip.Checksum
	buf := gopacket.NewSerializeBuffer()
	oip.Checksum = 0
	if err := oip.SerializeTo(buf, gopacket.SerializeOptions{ComputeChecksums: true}); err != nil {
		t.Fatal(err)
	}
	if re := buf.Bytes(); uint16(re[10])<<8|uint16(re[11]) != sum {
		t.Errorf("outer IPv4 checksum %#04x, gopacket computes %#04x", sum, uint16(re[10])<<8|uint16(re[11]))
	}
	// The inner TCP checksum BuildFrame wrote is valid by gopacket too.
	if err := itcp.SetNetworkLayerForChecksum(iip); err != nil {
		t.Fatal(err)
	}
	tcpSum := itcp.Checksum
	buf = gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, itcp, gopacket.Payload(itcp.Payload)); err != nil {
		t.Fatal(err)
	}
	if re := buf.Bytes(); uint16(re[16])<<8|uint16(re[17]) != tcpSum {
		t.Errorf("inner TCP checksum %#04x, gopacket computes %#04x", tcpSum, uint16(re[16])<<8|uint16(re[17]))
	}

	// AppendVXLAN is the UDP payload of the same frame.
	if vxl := d.appendVXLAN(nil, inner); !bytes.Equal(vxl, want[42:]) {
		t.Errorf("AppendVXLAN differs from the frame's UDP payload")
	}
}

func TestOuterSrcPortSymmetric(t *testing.T) {
	ports := map[uint16]bool{}
	for i := range 300 {
		a := addr("10.0.0.5")
		b := addr("198.51.100.1").Next()
		for range i % 7 {
			b = b.Next()
		}
		fw := Flow{EtherType: encap.EtherTypeIPv4, Proto: encap.ProtoTCP, Src: a, Dst: b, SrcPort: uint16(30000 + i), DstPort: 443, HasPorts: true}
		fwB, _ := ParseFlow(frame(t, tcp(a.String(), b.String(), fw.SrcPort, 443)))
		rvB, _ := ParseFlow(frame(t, tcp(b.String(), a.String(), 443, fw.SrcPort)))
		p1, p2 := OuterSrcPort(&fwB), OuterSrcPort(&rvB)
		if p1 != p2 {
			t.Fatalf("flow %v: ports %d and %d differ by direction", fw, p1, p2)
		}
		if p1 < 65408 {
			t.Fatalf("port %d outside 65408-65535", p1)
		}
		ports[p1] = true
	}
	// ICMP (no ports): the 3-tuple, also symmetric.
	f1, _ := ParseFlow(frame(t, Packet{Proto: encap.ProtoICMP, Src: addr("10.0.0.5"), Dst: addr("10.0.0.9"), ICMPType: 8}))
	f2, _ := ParseFlow(frame(t, Packet{Proto: encap.ProtoICMP, Src: addr("10.0.0.9"), Dst: addr("10.0.0.5"), ICMPType: 0}))
	if OuterSrcPort(&f1) != OuterSrcPort(&f2) {
		t.Errorf("ICMP echo and reply get different ports")
	}
	v6a, _ := ParseFlow(frame(t, tcp("2001:db8::1", "2001:db8::2", 5000, 80)))
	v6b, _ := ParseFlow(frame(t, tcp("2001:db8::2", "2001:db8::1", 80, 5000)))
	if OuterSrcPort(&v6a) != OuterSrcPort(&v6b) {
		t.Errorf("IPv6 flow gets different ports by direction")
	}
	if len(ports) < 64 {
		t.Errorf("300 flows used only %d of 128 ports", len(ports))
	}
}

// In the AWS capture the VPC resolver's replies (172.31.0.2:53 to the
// source) all carry the outer source port 65408, while each query keeps a
// port of its own flow; the model does the same.
func TestResolverRepliesShareOnePort(t *testing.T) {
	m := mustNew(t, awsCaptureSpec())
	src := mustENI(t, m, "eni-src")
	queryPorts := map[uint16]bool{}
	for _, cport := range []uint16{47227, 51074, 36901, 55772, 51021, 46556, 48881, 38699} {
		q := m.Decide(src, Egress, frame(t, udp("172.31.0.238", "172.31.0.2", cport, 53)))
		r := m.Decide(src, Ingress, frame(t, udp("172.31.0.2", "172.31.0.238", 53, cport)))
		if !q.Mirrored || !r.Mirrored {
			t.Fatalf("query %s, reply %s: want both mirrored", q, r)
		}
		if r.Outer.SrcPort != 65408 {
			t.Errorf("reply to port %d: outer source port %d, want 65408", cport, r.Outer.SrcPort)
		}
		queryPorts[q.Outer.SrcPort] = true
	}
	if len(queryPorts) < 4 {
		t.Errorf("8 queries used %d outer ports, want one per flow (at least 4 distinct of 128)", len(queryPorts))
	}
	// Any other flow keeps one port in both directions.
	out := m.Decide(src, Egress, frame(t, udp("172.31.0.238", "78.46.93.39", 60631, 123)))
	back := m.Decide(src, Ingress, frame(t, udp("78.46.93.39", "172.31.0.238", 123, 60631)))
	if out.Outer.SrcPort != back.Outer.SrcPort {
		t.Errorf("NTP flow: ports %d and %d, want one", out.Outer.SrcPort, back.Outer.SrcPort)
	}
}
