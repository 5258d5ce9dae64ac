package cloudmock

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// openAll6 is openAll for both families: every packet of either family is
// accepted by the filter and allowed by the web ENI's groups.
func openAll6(s *Spec) {
	openAll(s)
	dualStack(s)
	f := s.TrafficMirrorFilters[0]
	any6 := TrafficMirrorFilterRule{RuleNumber: 200, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"}
	f.IngressFilterRules = append(f.IngressFilterRules, any6)
	f.EgressFilterRules = append(f.EgressFilterRules, any6)
	s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
}

func icmp6(src, dst string, typ uint8) Packet {
	return Packet{Proto: encap.ProtoICMPv6, Src: addr(src), Dst: addr(dst), ICMPType: typ}
}

func TestDecideIPv6(t *testing.T) {
	const web, peer = "2001:db8:0:100::5", "2001:db8:0:102::36"
	runDecideCases(t, []decideCase{
		{name: "router solicitation", spec: openAll6, dir: Egress, pkt: icmp6("fe80::1", "ff02::2", 133), want: ReasonNDP},
		{name: "router advertisement", spec: openAll6, dir: Ingress, pkt: icmp6("fe80::2", "ff02::1", 134), want: ReasonNDP},
		{name: "neighbour solicitation", spec: openAll6, dir: Egress, pkt: icmp6(web, "ff02::1:ff00:36", 135), want: ReasonNDP},
		{name: "neighbour advertisement", spec: openAll6, dir: Ingress, pkt: icmp6(peer, web, 136), want: ReasonNDP},
		{name: "redirect", spec: openAll6, dir: Ingress, pkt: icmp6("fe80::1", web, 137), want: ReasonNDP},
		{name: "mld report", spec: openAll6, dir: Egress, pkt: icmp6("fe80::1", "ff02::16", 143), want: ReasonNDP},
		{name: "echo request is ordinary", spec: openAll6, dir: Ingress, pkt: icmp6(peer, web, 128), want: ReasonMirrored, rule: 200},
		{name: "packet too big is ordinary", spec: openAll6, dir: Ingress, pkt: icmp6(peer, web, 2), want: ReasonMirrored, rule: 200},
		{name: "dhcpv6", spec: openAll6, dir: Egress, pkt: udp("fe80::1", "ff02::1:2", 546, 547), want: ReasonDHCP},
		{name: "metadata ipv6", spec: openAll6, dir: Egress, pkt: tcp(web, "fd00:ec2::254", 40000, 80), want: ReasonMetadata},
		{name: "time service ipv6", spec: openAll6, dir: Egress, pkt: udp(web, "fd00:ec2::123", 40000, 123), want: ReasonTimeService},
		{name: "amazon dns ipv6", spec: openAll6, dir: Egress, pkt: udp(web, "fd00:ec2::253", 40000, 53), want: ReasonAmazonDNS},
		{name: "amazon dns ipv6 with the service", spec: func(s *Spec) {
			openAll6(s)
			s.TrafficMirrorFilters[0].NetworkServices = []string{NetworkServiceAmazonDNS}
		}, dir: Egress, pkt: udp(web, "fd00:ec2::253", 40000, 53), want: ReasonMirrored, rule: 200},
		{name: "ipv6 rule matches ipv6", spec: openAll6, dir: Ingress, pkt: tcp(peer, web, 40000, 80), want: ReasonMirrored, rule: 200},
		{name: "ipv4 rule 0.0.0.0/0 never matches ipv6", spec: func(s *Spec) {
			openAll6(s)
			f := s.TrafficMirrorFilters[0]
			f.IngressFilterRules = f.IngressFilterRules[:1]
		}, dir: Ingress, pkt: tcp(peer, web, 40000, 80), want: ReasonNoRuleMatched},
		{name: "ipv6 rule ::/0 never matches ipv4", spec: func(s *Spec) {
			openAll6(s)
			f := s.TrafficMirrorFilters[0]
			f.IngressFilterRules = f.IngressFilterRules[1:]
		}, dir: Ingress, pkt: tcp("10.0.0.36", "10.0.0.5", 40000, 80), want: ReasonNoRuleMatched},
		{name: "ipv6 cidr and port", spec: func(s *Spec) {
			openAll6(s)
			s.TrafficMirrorFilters[0].IngressFilterRules = []TrafficMirrorFilterRule{
				{RuleNumber: 10, RuleAction: "reject", Protocol: encap.ProtoTCP, SourceCidrBlock: "2001:db8:0:102::/64", DestinationCidrBlock: "::/0",
					DestinationPortRange: &TrafficMirrorPortRange{FromPort: 22, ToPort: 22}},
				{RuleNumber: 20, RuleAction: "accept", Protocol: encap.ProtoTCP, SourceCidrBlock: "2001:db8:0:102::/64", DestinationCidrBlock: web + "/128"},
			}
		}, dir: Ingress, pkt: tcp(peer, web, 40000, 80), want: ReasonMirrored, rule: 20},
		{name: "ipv6 reject rule", spec: func(s *Spec) {
			openAll6(s)
			s.TrafficMirrorFilters[0].IngressFilterRules = []TrafficMirrorFilterRule{
				{RuleNumber: 10, RuleAction: "reject", Protocol: encap.ProtoTCP, SourceCidrBlock: "2001:db8:0:102::/64", DestinationCidrBlock: "::/0",
					DestinationPortRange: &TrafficMirrorPortRange{FromPort: 22, ToPort: 22}},
				{RuleNumber: 20, RuleAction: "accept", Protocol: encap.ProtoTCP, SourceCidrBlock: "2001:db8:0:102::/64", DestinationCidrBlock: web + "/128"},
			}
		}, dir: Ingress, pkt: tcp(peer, web, 40000, 22), want: ReasonRejected, rule: 10},
		{name: "source security group ipv6 range", spec: func(s *Spec) {
			openAll6(s)
			s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "2001:db8:0:101::/64"}}
		}, dir: Ingress, pkt: tcp(peer, web, 40000, 80), want: ReasonSourceSG},
		{name: "alibaba never mirrors ipv6", spec: func(s *Spec) {
			openAll(s)
			dualStack(s)
			s.Profile = "alibaba"
		}, dir: Ingress, pkt: tcp(peer, web, 40000, 80), want: ReasonIPv6Unsupported},
	})
}

// Alibaba's VPC may be dual-stack, but its mirroring takes no IPv6: the
// packets are counted under their reason, and the IPv4 ones still go.
func TestAlibabaCountsIPv6AsUnsupported(t *testing.T) {
	s := walkthroughSpec()
	openAll(&s)
	dualStack(&s)
	s.Profile = "alibaba"
	m := mustNew(t, s)
	web := mustENI(t, m, "eni-web")
	for i := 0; i < 3; i++ {
		d := m.Decide(web, Ingress, frame(t, tcp("2001:db8:0:102::36", "2001:db8:0:100::5", 40000, 80)))
		m.CountNotMirrored(&d)
	}
	if d := m.Decide(web, Ingress, frame(t, tcp("10.0.0.36", "10.0.0.5", 40000, 80))); !d.Mirrored || d.Outer.Src.Is6() {
		t.Fatalf("IPv4 on a dual-stack Alibaba ENI: %s", d)
	}
	if got := m.Snapshot().ENIs["eni-web"].NotMirrored["ipv6-unsupported"]; got != 3 {
		t.Errorf("NotMirrored[ipv6-unsupported] = %d, want 3", got)
	}
}

// A session carries its copies over IPv6 only when both the source and the
// target ENI have a primary IPv6 address; then the outer addresses are
// those, 74 bytes are reserved under the target's MTU (54 over IPv4,
// whatever the inner family), and delivery checks the IPv6 rules.
func TestOuterIPv6(t *testing.T) {
	cases := []struct {
		name     string
		mod      func(*Spec)
		inner6   bool
		outer6   bool
		wantKeep int // inner frame bytes kept of a 1500-byte IP packet at target MTU 1500
	}{
		{"dual-stack, no primary ipv6: ipv4", func(s *Spec) { openAll6(s) }, false, false, 1500 - 54 + 14},
		{"inner ipv6 over ipv4 reserves 54", func(s *Spec) { openAll6(s) }, true, false, 1500 - 54 + 14},
		{"only the target primary: ipv4", func(s *Spec) { openAll6(s); s.NetworkInterfaces[1].EnablePrimaryIpv6 = true }, true, false, 1500 - 54 + 14},
		{"only the source primary: ipv4", func(s *Spec) { openAll6(s); s.NetworkInterfaces[0].EnablePrimaryIpv6 = true }, true, false, 1500 - 54 + 14},
		{"both primary: ipv6 reserves 74", func(s *Spec) { openAll6(s); primaryIPv6(s) }, true, true, 1500 - 74 + 14},
		{"both primary, inner ipv4: ipv6 reserves 74", func(s *Spec) { openAll6(s); primaryIPv6(s) }, false, true, 1500 - 74 + 14},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			c.mod(&s)
			s.NetworkInterfaces[1].Mtu = 1500
			m := mustNew(t, s)
			web := mustENI(t, m, "eni-web")
			p := udp("10.0.0.36", "10.0.0.5", 5000, 6000)
			p.PayloadLen = 1500 - 28
			if c.inner6 {
				p = udp("2001:db8:0:102::36", "2001:db8:0:100::5", 5000, 6000)
				p.PayloadLen = 1500 - 48
			}
			f := frame(t, p)
			d := m.Decide(web, Ingress, f)
			if !d.Mirrored {
				t.Fatalf("not mirrored: %s", d)
			}
			wantSrc, wantDst := "10.0.0.5", "10.0.0.20"
			if c.outer6 {
				wantSrc, wantDst = "2001:db8:0:100::5", "2001:db8:0:101::20"
			}
			if d.Outer.Src.String() != wantSrc || d.Outer.Dst.String() != wantDst {
				t.Errorf("outer %s -> %s, want %s -> %s", d.Outer.Src, d.Outer.Dst, wantSrc, wantDst)
			}
			if got := d.InnerLen(len(f)); got != c.wantKeep {
				t.Errorf("inner frame kept %d bytes, want %d", got, c.wantKeep)
			}
			dl := m.Deliver(&d)
			if !dl.Delivered || dl.To.String() != wantDst {
				t.Errorf("delivery %s, want delivered to %s", dl, wantDst)
			}
			out := d.AppendFrame(nil, FrameHeader{}, f)
			if want := encap.EthernetHeaderLen + d.outerHeaderLen() + c.wantKeep; len(out) != want {
				t.Errorf("outer frame %d bytes, want %d", len(out), want)
			}
			if c.outer6 && d.outerHeaderLen() != 56 || !c.outer6 && d.outerHeaderLen() != 36 {
				t.Errorf("OuterHeaderLen %d", d.outerHeaderLen())
			}
		})
	}
}

// Over IPv6 the target's ACL and groups are read for their IPv6 rules.
func TestDeliverIPv6Rules(t *testing.T) {
	check := func(name string, mod func(*Spec), want DeliveryReason, rule int) {
		t.Run(name, func(t *testing.T) {
			s := walkthroughSpec()
			openAll6(&s)
			primaryIPv6(&s)
			mod(&s)
			m := mustNew(t, s)
			d := m.Decide(mustENI(t, m, "eni-web"), Ingress, frame(t, tcp("2001:db8:0:102::36", "2001:db8:0:100::5", 40000, 80)))
			dl := m.Deliver(&d)
			if dl.Reason != want || dl.RuleNumber != rule {
				t.Errorf("delivery %v rule %d, want %v rule %d (%s)", dl.Reason, dl.RuleNumber, want, rule, dl)
			}
		})
	}
	check("acl ipv6 entry allows", func(*Spec) {}, Delivered, 110)
	check("acl without ipv6 entry", func(s *Spec) {
		s.NetworkAcls[0].Entries = s.NetworkAcls[0].Entries[:2] // the IPv4 ones only
	}, DroppedByTargetNACL, 0)
	check("acl ipv6 deny first", func(s *Spec) {
		s.NetworkAcls[0].Entries = append(s.NetworkAcls[0].Entries, NetworkAclEntry{RuleNumber: 50, Protocol: "udp",
			RuleAction: "deny", Ipv6CidrBlock: "::/0", PortRange: &PortRange{From: 4789, To: 4789}})
	}, DroppedByTargetNACL, 50)
	check("sg with only an ipv4 range", func(s *Spec) {
		s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []IpRange{{CidrIp: "10.0.0.0/28"}}}}
	}, DroppedByTargetSG, 110)
	check("sg with an ipv6 range", func(s *Spec) {
		s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, Ipv6Ranges: []Ipv6Range{{CidrIpv6: "2001:db8:0:100::/64"}}}}
	}, Delivered, 110)
}

// goldenV6 is a SYN from 2001:db8:0:102::36 to the web server's port 80,
// mirrored over IPv6 from eni-web (2001:db8:0:100::5) to eni-adapter
// (2001:db8:0:101::20), VNI 1: outer IPv6 with traffic class and flow label
// 0, payload length 90 = UDP length = 8 + 8 + 74-byte inner frame, next
// header UDP, hop limit 255; UDP source port from the flow hash, checksum
// computed over the pseudo-header; VXLAN flags 08, VNI 1.
const goldenV6 = `
0200000000bb 0200000000aa 86dd
60000000 005a 11 ff
20010db8000001000000000000000005
20010db8000001010000000000000020
ffff 12b5 005a bbf7
08000000 00000100
026d6c000002 026d6c000001 86dd
60000000 0014 06 40
20010db8000001020000000000000036
20010db8000001000000000000000005
9c400050 00000001 00000000 5002ffff b5a20000`

func TestEncapIPv6Golden(t *testing.T) {
	s := walkthroughSpec()
	dualStack(&s)
	primaryIPv6(&s)
	s.TrafficMirrorFilters[0].IngressFilterRules[0].SourceCidrBlock = "::/0"
	s.TrafficMirrorFilters[0].IngressFilterRules[0].DestinationCidrBlock = "::/0"
	m := mustNew(t, s)
	inner := frame(t, tcp("2001:db8:0:102::36", "2001:db8:0:100::5", 40000, 80))
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, inner)
	if !d.Mirrored {
		t.Fatalf("not mirrored: %s", d)
	}
	hdr := FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 0xaa}, DstMAC: [6]byte{2, 0, 0, 0, 0, 0xbb}}
	got := d.AppendFrame(make([]byte, 0, 256), hdr, inner)
	want := unhex(t, goldenV6)
	if !bytes.Equal(got, want) {
		t.Fatalf("outer frame:\n got % x\nwant % x", got, want)
	}
	if testing.AllocsPerRun(100, func() { got = d.AppendFrame(got[:0], hdr, inner) }) != 0 {
		t.Errorf("AppendFrame over IPv6 allocates")
	}

	pkt := gopacket.NewPacket(want, layers.LayerTypeEthernet, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		t.Fatalf("gopacket: %v", el.Error())
	}
	ls := pkt.Layers()
	if len(ls) != 7 {
		t.Fatalf("%d layers, want Ethernet/IPv6/UDP/VXLAN/Ethernet/IPv6/TCP", len(ls))
	}
	oip, oudp, vx := ls[1].(*layers.IPv6), ls[2].(*layers.UDP), ls[3].(*layers.VXLAN)
	if oip.SrcIP.String() != "2001:db8:0:100::5" || oip.DstIP.String() != "2001:db8:0:101::20" || oip.HopLimit != 255 ||
		oip.NextHeader != layers.IPProtocolUDP || oip.TrafficClass != 0 || oip.FlowLabel != 0 || int(oip.Length) != len(want)-54 {
		t.Errorf("outer IPv6: %+v", oip)
	}
	if oudp.DstPort != 4789 || uint16(oudp.SrcPort) != d.Outer.SrcPort || int(oudp.Length) != len(want)-54 {
		t.Errorf("outer UDP: %+v", oudp)
	}
	if !vx.ValidIDFlag || vx.VNI != 1 || !bytes.Equal(vx.Payload, inner) {
		t.Errorf("VXLAN: %+v", vx)
	}
	// The UDP checksum is what gopacket computes over the IPv6 pseudo-header.
	sum := oudp.Checksum
	if err := oudp.SetNetworkLayerForChecksum(oip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, oudp, gopacket.Payload(oudp.Payload)); err != nil {
		t.Fatal(err)
	}
	if re := binary.BigEndian.Uint16(buf.Bytes()[6:]); re != sum || sum == 0 {
		t.Errorf("outer UDP checksum %#04x, gopacket computes %#04x", sum, re)
	}
}

// udp6Checksum of odd lengths and of every alignment agrees with a plain
// 16-bit sum, and never returns 0.
func TestUDP6Checksum(t *testing.T) {
	var src, dst [16]byte
	src[0], dst[15] = 0x20, 0x01
	naive := func(seg []byte) uint16 {
		var sum uint32
		for i := 0; i < 16; i += 2 {
			sum += uint32(src[i])<<8 | uint32(src[i+1]) + uint32(dst[i])<<8 | uint32(dst[i+1])
		}
		sum += uint32(len(seg)) + encap.ProtoUDP
		for i := 0; i < len(seg); i += 2 {
			w := uint32(seg[i]) << 8
			if i+1 < len(seg) {
				w |= uint32(seg[i+1])
			}
			sum += w
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		if c := ^uint16(sum); c != 0 {
			return c
		}
		return 0xffff
	}
	seg := make([]byte, 100)
	for i := range seg {
		seg[i] = byte(i*37 + 11)
	}
	for n := 0; n <= len(seg); n++ {
		if got, want := udp6Checksum(src, dst, seg[:n]), naive(seg[:n]); got != want {
			t.Fatalf("length %d: %#04x, want %#04x", n, got, want)
		}
	}
}
