package cloudmock

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// gwlbSpec: the web server's ENI mirrors to a Gateway Load Balancer
// endpoint (vpce-0123456789abcdef0) whose GWLB (10.0.0.50, in its own
// subnet) has two appliances in the adapter subnet; their security group
// and the adapter subnet's network ACL open UDP 6081 from the GWLB's subnet.
func gwlbSpec() Spec {
	s := walkthroughSpec()
	openAll(&s)
	s.Subnets = append(s.Subnets, Subnet{SubnetId: "subnet-gwlb", VpcId: "vpc-1", CidrBlock: "10.0.0.48/28"})
	s.SecurityGroups = append(s.SecurityGroups, SecurityGroup{GroupId: "sg-appliance", VpcId: "vpc-1",
		IpPermissions: []IpPermission{{IpProtocol: "udp", FromPort: encap.GenevePort, ToPort: encap.GenevePort, IpRanges: []IpRange{{CidrIp: "10.0.0.48/28"}}}}})
	s.NetworkAcls[0].Entries = []NetworkAclEntry{
		{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.48/28", PortRange: &PortRange{From: encap.GenevePort, To: encap.GenevePort}},
	}
	for i := 1; i <= 2; i++ {
		s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{
			NetworkInterfaceId: fmt.Sprintf("eni-appliance%d", i), SubnetId: "subnet-adapter",
			PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 20+i), Groups: []string{"sg-appliance"}})
	}
	s.LoadBalancers = []LoadBalancer{{LoadBalancerArn: "arn:gwlb", Type: "gateway", VpcEndpointId: "vpce-0123456789abcdef0",
		SubnetId: "subnet-gwlb", PrivateIpAddress: "10.0.0.50",
		Targets: []TargetDescription{{NetworkInterfaceId: "eni-appliance1"}, {NetworkInterfaceId: "eni-appliance2"}}}}
	s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", GatewayLoadBalancerEndpointId: "vpce-0123456789abcdef0"}
	return s
}

// gwlbDeliver decides p at eni-web in dir and delivers it.
func gwlbDeliver(t *testing.T, m *Model, p Packet, dir Direction) (Decision, Delivery, []byte) {
	t.Helper()
	f := frame(t, p)
	d := m.Decide(mustENI(t, m, "eni-web"), dir, f)
	if !d.Mirrored || d.Outer.Dst != addr("10.0.0.50") || d.Outer.DstPort != encap.VXLANPort {
		t.Fatalf("not mirrored to the endpoint in VXLAN: %s", d)
	}
	return d, m.Deliver(&d), f
}

func TestGWLBFlowsSpreadAndStick(t *testing.T) {
	m := mustNew(t, gwlbSpec())
	count := map[string]int{}
	for i := range 200 {
		p := tcp("203.0.113.9", "10.0.0.5", uint16(20000+i), 80)
		_, dl, _ := gwlbDeliver(t, m, p, Ingress)
		if !dl.Delivered || !dl.Geneve || dl.From != addr("10.0.0.50") || dl.Port != encap.GenevePort {
			t.Fatalf("flow %d: %+v (%s)", i, dl, dl)
		}
		_, back, _ := gwlbDeliver(t, m, tcp("10.0.0.5", "203.0.113.9", 80, uint16(20000+i)), Egress)
		if back.ToId != dl.ToId || back.Tunnel != dl.Tunnel {
			t.Fatalf("flow %d: forward to %s %+v, reply to %s %+v", i, dl.ToId, dl.Tunnel, back.ToId, back.Tunnel)
		}
		if _, again, _ := gwlbDeliver(t, m, p, Ingress); again.ToId != dl.ToId || again.Tunnel != dl.Tunnel {
			t.Fatalf("flow %d moved from %s to %s", i, dl.ToId, again.ToId)
		}
		if dl.Tunnel.SrcPort < 0xC000 {
			t.Fatalf("GENEVE source port %d below 49152", dl.Tunnel.SrcPort)
		}
		count[dl.ToId]++
	}
	if len(count) != 2 || count["eni-appliance1"] < 50 || count["eni-appliance2"] < 50 || !strings.Contains(fmt.Sprint(must1(gwlbDeliver(t, m, tcp("203.0.113.9", "10.0.0.5", 1, 80), Ingress))), "among 2 healthy of 2") {
		t.Fatalf("200 flows spread %v over the two appliances", count)
	}
}

func TestGWLBUnhealthyApplianceGetsNoNewFlows(t *testing.T) {
	m := mustNew(t, gwlbSpec())
	before := map[uint16]string{}
	for i := range 100 {
		p := tcp("203.0.113.9", "10.0.0.5", uint16(20000+i), 80)
		_, dl, _ := gwlbDeliver(t, m, p, Ingress)
		before[p.SrcPort] = dl.ToId
	}
	// The endpoint id and the GWLB's ARN both name it.
	if err := m.SetTargetHealth("vpce-0123456789abcdef0", "eni-appliance2", false); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.TargetHealth("arn:gwlb", "eni-appliance2"); err != nil || ok {
		t.Fatalf("TargetHealth = %v, %v after SetTargetHealth(false)", ok, err)
	}
	for i := range 300 {
		p := tcp("203.0.113.9", "10.0.0.5", uint16(20000+i), 80)
		_, dl, _ := gwlbDeliver(t, m, p, Ingress)
		if dl.ToId != "eni-appliance1" || dl.Healthy != 1 || dl.Registered != 2 {
			t.Fatalf("flow %d went to %s (%d healthy of %d) while appliance2 is unhealthy", i, dl.ToId, dl.Healthy, dl.Registered)
		}
		if was, ok := before[p.SrcPort]; ok && was == "eni-appliance1" && dl.ToId != was {
			t.Fatalf("flow %d left its healthy appliance", i)
		}
	}
	if err := m.SetTargetHealth("arn:gwlb", "eni-appliance1", false); err != nil {
		t.Fatal(err)
	}
	if _, dl, _ := gwlbDeliver(t, m, tcp("203.0.113.9", "10.0.0.5", 1, 80), Ingress); dl.Reason != NoHealthyTarget || dl.Geneve {
		t.Fatalf("no healthy appliance: %+v", dl)
	}
}

func TestGWLBApplianceACLAndGroups(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Spec)
		want DeliveryReason
	}{
		{"open", nil, Delivered},
		{"acl opens 4789 only", func(s *Spec) { s.NetworkAcls[0].Entries[0].PortRange = &PortRange{From: 4789, To: 4789} }, DroppedByTargetNACL},
		{"acl opens the source only", func(s *Spec) { s.NetworkAcls[0].Entries[0].CidrBlock = "10.0.0.0/28" }, DroppedByTargetNACL},
		{"group opens 4789 from the source", func(s *Spec) {
			s.SecurityGroups[2].IpPermissions[0] = IpPermission{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []IpRange{{CidrIp: "10.0.0.0/28"}}}
		}, DroppedByTargetSG},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := gwlbSpec()
			if c.mod != nil {
				c.mod(&s)
			}
			m := mustNew(t, s)
			_, dl, _ := gwlbDeliver(t, m, tcp("203.0.113.9", "10.0.0.5", 40000, 80), Ingress)
			if dl.Reason != c.want {
				t.Fatalf("delivery %v, want %v (%s)", dl.Reason, c.want, dl)
			}
			if c.want != Delivered && !strings.Contains(dl.String(), "UDP 6081 from the gateway load balancer (10.0.0.50)") {
				t.Errorf("String: %s", dl)
			}
		})
	}
}

// TestGWLBGeneveBytes builds the GENEVE frame the appliance receives byte
// by byte from the RFCs and AWS's TLV layout, and compares.
func TestGWLBGeneveBytes(t *testing.T) {
	m := mustNew(t, gwlbSpec())
	d, dl, f := gwlbDeliver(t, m, tcp("203.0.113.9", "10.0.0.5", 40000, 80), Ingress)
	h := FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0, 2}}
	got := d.AppendWire(nil, h, &dl, f)

	vxLen := 20 + 8 + 8 + len(f)
	var want []byte
	want = append(want, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00)
	ip := len(want)
	total := 20 + 8 + 40 + vxLen
	to := dl.To.As4()
	want = append(want, 0x45, 0, byte(total>>8), byte(total), 0, 0, 0, 0, 255, 17, 0, 0, 10, 0, 0, 50, to[0], to[1], to[2], to[3])
	binary.BigEndian.PutUint16(want[ip+10:], ipv4Checksum(want[ip:ip+20]))
	udpLen := total - 20
	want = append(want, byte(dl.Tunnel.SrcPort>>8), byte(dl.Tunnel.SrcPort), 0x17, 0xc1, byte(udpLen>>8), byte(udpLen), 0, 0)
	want = append(want, 0x08, 0x00, 0x08, 0x00, 0, 0, 0, 0) // opt len 8 words, flags 0, IPv4, VNI 0
	want = append(want, 0x01, 0x08, 0x01, 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0)
	want = append(want, 0x01, 0x08, 0x02, 0x02)
	want = binary.BigEndian.AppendUint64(want, attachmentID64("arn:gwlb", "vpce-0123456789abcdef0"))
	want = append(want, 0x01, 0x08, 0x03, 0x01)
	want = binary.BigEndian.AppendUint32(want, dl.Tunnel.FlowCookie)
	// The payload is the copy as the endpoint received it: exactly the
	// VXLAN frame's IP datagram.
	want = append(want, d.AppendFrame(nil, FrameHeader{}, f)[14:]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("GENEVE frame differs:\n got %x\nwant %x", got, want)
	}
	if len(got) != 14+encap.GWLBOverhead+vxLen || d.WireIPLen(&dl, len(f)) != encap.GWLBOverhead+vxLen {
		t.Fatalf("length %d, WireIPLen %d; want 14+68+%d", len(got), d.WireIPLen(&dl, len(f)), vxLen)
	}

	// gopacket's decoders agree: GENEVE with three options, then IPv4, UDP
	// 4789, VXLAN with the session's VNI, and the inner frame.
	pkt := gopacket.NewPacket(got, layers.LayerTypeEthernet, gopacket.Default)
	g, _ := pkt.Layer(layers.LayerTypeGeneve).(*layers.Geneve)
	if g == nil || g.Protocol != layers.EthernetTypeIPv4 || g.VNI != 0 || len(g.Options) != 3 || g.OptionsLength != 32 {
		t.Fatalf("GENEVE layer: %+v (%v)", g, pkt.ErrorLayer())
	}
	for i, o := range g.Options {
		if o.Class != encap.GeneveOptionClassAWS || int(o.Type) != i+1 {
			t.Errorf("option %d: class %#x type %d", i, o.Class, o.Type)
		}
	}
	if binary.BigEndian.Uint64(g.Options[0].Data) != 0x123456789abcdef0 {
		t.Errorf("endpoint id %x", g.Options[0].Data)
	}
	vx, _ := pkt.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
	if vx == nil || vx.VNI != 1 || !bytes.Equal(vx.Payload, f) {
		t.Fatalf("VXLAN inside GENEVE: %+v", vx)
	}
	ips := 0
	for _, l := range pkt.Layers() {
		if ip, ok := l.(*layers.IPv4); ok {
			ips++
			if ips == 2 && (ip.SrcIP.String() != "10.0.0.5" || ip.DstIP.String() != "10.0.0.50") {
				t.Errorf("VXLAN datagram %s -> %s, want the source ENI to the endpoint", ip.SrcIP, ip.DstIP)
			}
		}
	}
	if ips != 3 {
		t.Errorf("%d IPv4 layers, want outer GENEVE, VXLAN datagram, inner", ips)
	}
}

// TestGWLBTruncation: 8446 = the GWLB's 8500-byte MTU less the 54 bytes
// reserved for a copy carried over IPv4 (8426: 74 over IPv6), the rule an
// instance target's MTU follows; the VXLAN datagram is then at most 8496
// bytes, and the GENEVE packet at most 8564. The reserve follows the
// copy's outer family (see maxInner): this endpoint has no IPv6 address,
// so the copies reach it over IPv4 and a mirrored IPv6 packet keeps 8446
// bytes too (TestGWLBTruncationIPv6: 8426 at a dual-stack endpoint).
func TestGWLBTruncation(t *testing.T) {
	m := mustNew(t, func() Spec {
		s := gwlbSpec()
		s.TrafficMirrorFilters[0].IngressFilterRules = append(s.TrafficMirrorFilters[0].IngressFilterRules,
			TrafficMirrorFilterRule{RuleNumber: 200, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"})
		s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
		return s
	}())
	cases := []struct {
		v6          bool
		ipLen, kept int
	}{
		{false, 8446, 8446}, {false, 8447, 8446}, {false, 8900, 8446}, {false, 1500, 1500},
		{true, 8446, 8446}, {true, 8447, 8446},
	}
	for _, c := range cases {
		p := udp("203.0.113.9", "10.0.0.5", 5000, 6000)
		p.PayloadLen = c.ipLen - 28
		if c.v6 {
			p = udp("2001:db8::9", "2001:db8::5", 5000, 6000)
			p.PayloadLen = c.ipLen - 48
		}
		d, dl, f := gwlbDeliver(t, m, p, Ingress)
		wire := d.AppendWire(nil, FrameHeader{}, &dl, f)
		if got := d.InnerLen(len(f)) - 14; got != c.kept {
			t.Errorf("v6 %v, %d-byte packet: keeps %d, want %d", c.v6, c.ipLen, got, c.kept)
		}
		if len(wire) != 14+68+36+14+c.kept || d.WireIPLen(&dl, len(f)) != len(wire)-14 {
			t.Errorf("v6 %v, %d-byte packet: GENEVE frame %d bytes, want %d", c.v6, c.ipLen, len(wire), 14+68+36+14+c.kept)
		}
		if d.MaxInnerRule != CutGatewayLBMTU || d.TruncationText() != "the gateway load balancer's MTU 8500 less 54 reserved" {
			t.Errorf("rule %q: %s", d.MaxInnerRule, d.TruncationText())
		}
		if d.Truncated(len(f)) != (c.kept < c.ipLen) {
			t.Errorf("v6 %v, %d: Truncated %v", c.v6, c.ipLen, d.Truncated(len(f)))
		}
	}
}

func TestEndpointID64(t *testing.T) {
	for _, c := range []struct {
		id   string
		want uint64
	}{
		{"vpce-0123456789abcdef0", 0x123456789abcdef0},
		{"vpce-1", 1},
		{"vpce-ffffffffffffffff", 0xffffffffffffffff},
	} {
		if got := endpointID64(c.id); got != c.want {
			t.Errorf("EndpointID64(%q) = %#x, want %#x", c.id, got, c.want)
		}
	}
	// Not AWS's form: a stable hash, distinct for distinct names.
	a, b := endpointID64("inspection-gwlb"), endpointID64("other-gwlb")
	if a == b || a != endpointID64("inspection-gwlb") || endpointID64("vpce-1ffffffffffffffff") != fnv64("vpce-1ffffffffffffffff") {
		t.Errorf("hashed ids: %#x %#x", a, b)
	}
}

func TestGWLBDeliverAndWireDoNotAllocate(t *testing.T) {
	m := mustNew(t, gwlbSpec())
	f := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	web := mustENI(t, m, "eni-web")
	buf := make([]byte, 0, 2048)
	var d Decision
	allocs := testing.AllocsPerRun(1000, func() {
		m.DecideInto(&d, web, Ingress, f)
		dl := m.Deliver(&d)
		buf = d.AppendWire(buf[:0], FrameHeader{}, &dl, f)
	})
	if allocs != 0 || len(buf) == 0 {
		t.Fatalf("%v allocations per packet, %d bytes", allocs, len(buf))
	}
}

// must1 keeps the delivery of gwlbDeliver's results.
func must1(_ Decision, dl Delivery, _ []byte) Delivery { return dl }

// FuzzGWLBWire: whatever frame a source sends, the GWLB's GENEVE frame is
// framed consistently: lengths, both IPv4 checksums, the TLV header, and
// the VXLAN datagram inside equal to what the endpoint receives.
func FuzzGWLBWire(f *testing.F) {
	for _, p := range []Packet{tcp("203.0.113.9", "10.0.0.5", 40000, 80), udp("2001:db8::9", "2001:db8::5", 1, 2)} {
		f.Add(frame(f, p))
	}
	s := gwlbSpec()
	s.TrafficMirrorFilters[0].IngressFilterRules = []TrafficMirrorFilterRule{acceptAll(100),
		{RuleNumber: 200, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"}}
	s.SecurityGroups[0].IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}, Ipv6Ranges: []Ipv6Range{{CidrIpv6: "::/0"}}}}
	m := mustNew(f, s)
	web := mustENI(f, m, "eni-web")
	f.Fuzz(func(t *testing.T, b []byte) {
		d := m.Decide(web, Ingress, b)
		dl := m.Deliver(&d)
		w := d.AppendWire(nil, FrameHeader{}, &dl, b)
		if !d.Mirrored || !dl.Delivered {
			if len(w) != 0 {
				t.Fatalf("%s / %s but framed %d bytes", d.Reason, dl.Reason, len(w))
			}
			return
		}
		if !dl.Geneve || len(w) != 14+d.WireIPLen(&dl, len(b)) {
			t.Fatalf("GENEVE %v, %d bytes, WireIPLen %d", dl.Geneve, len(w), d.WireIPLen(&dl, len(b)))
		}
		outer, inner := w[14:34], w[14+68:14+68+20]
		if ipv4Checksum(outer) != 0 || ipv4Checksum(inner) != 0 || int(binary.BigEndian.Uint16(outer[2:])) != len(w)-14 {
			t.Fatalf("IPv4 headers %x / %x for a %d-byte frame", outer, inner, len(w))
		}
		if !bytes.Equal(w[14+28:14+36], []byte{8, 0, 8, 0, 0, 0, 0, 0}) || !bytes.Equal(w[14+68:], d.AppendFrame(nil, FrameHeader{}, b)[14:]) {
			t.Fatalf("GENEVE header or payload differs: %x", w[14+28:14+68])
		}
	})
}

// TestGWLBEndpointSubnetACL: the copy reaches the endpoint as UDP 4789
// from the source ENI, so the endpoint subnet's network ACL must let it in
// (inbound, stateless, first match); then the appliance's ACL is checked
// for GENEVE from the GWLB.
func TestGWLBEndpointSubnetACL(t *testing.T) {
	withACL := func(entries ...NetworkAclEntry) Spec {
		s := gwlbSpec()
		s.NetworkAcls = append(s.NetworkAcls, NetworkAcl{NetworkAclId: "acl-gwlb", VpcId: "vpc-1",
			Associations: []NetworkAclAssociation{{SubnetId: "subnet-gwlb"}}, Entries: entries})
		return s
	}
	allow := NetworkAclEntry{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.0/28", PortRange: &PortRange{From: 4789, To: 4789}}
	deny := NetworkAclEntry{RuleNumber: 50, Protocol: "-1", RuleAction: "deny", CidrBlock: "10.0.0.5/32"}
	for _, c := range []struct {
		name string
		spec Spec
		want DeliveryReason
		rule int
	}{
		{"no acl", gwlbSpec(), Delivered, 100},
		{"acl opens 4789 from the source", withACL(allow), Delivered, 100},
		{"acl default deny", withACL(), DroppedByTargetNACL, 0},
		{"acl denies the source first", withACL(deny, allow), DroppedByTargetNACL, 50},
	} {
		m := mustNew(t, c.spec)
		_, dl, _ := gwlbDeliver(t, m, tcp("203.0.113.9", "10.0.0.5", 40000, 80), Ingress)
		if dl.Reason != c.want || dl.RuleNumber != c.rule {
			t.Errorf("%s: %v rule %d, want %v rule %d (%s)", c.name, dl.Reason, dl.RuleNumber, c.want, c.rule, dl)
		}
		if c.want == DroppedByTargetNACL && (dl.ToId != "vpce-0123456789abcdef0" || !strings.Contains(dl.String(), "denies inbound UDP 4789 from the source")) {
			t.Errorf("%s: %s", c.name, dl)
		}
	}
}
