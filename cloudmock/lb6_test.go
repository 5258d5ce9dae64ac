package cloudmock

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// gwlbSpec6 is gwlbSpec in a dual-stack VPC: the endpoint's subnet has
// 2001:db8:0:103::/64 and the endpoint 2001:db8:0:103::50; the web ENI's
// IPv6 address is primary, so its copies reach the endpoint over IPv6.
// The filter and the web server's group accept both families.
func gwlbSpec6() Spec {
	s := gwlbSpec()
	dualStack(&s)
	s.Subnets[3].Ipv6CidrBlock = "2001:db8:0:103::/64"
	s.LoadBalancers[0].Ipv6Address = "2001:db8:0:103::50"
	s.NetworkInterfaces[0].EnablePrimaryIpv6 = true
	any6 := TrafficMirrorFilterRule{RuleNumber: 200, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"}
	s.TrafficMirrorFilters[0].IngressFilterRules = append(s.TrafficMirrorFilters[0].IngressFilterRules, any6)
	s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
	return s
}

// TestGWLBTruncationIPv6: a copy that reaches a dual-stack GWLB endpoint
// over IPv6 keeps 8500 - 74 = 8426 bytes of inner packet (issue 14's IPv6
// figure), whatever the mirrored packet's family; the GENEVE leg stays
// IPv4 and is 20 bytes longer than over IPv4. Without a primary IPv6
// address at the source, or without the endpoint's IPv6 address, the copy
// goes over IPv4 and keeps 8446.
func TestGWLBTruncationIPv6(t *testing.T) {
	m := mustNew(t, gwlbSpec6())
	web := mustENI(t, m, "eni-web")
	for _, c := range []struct {
		v6          bool
		ipLen, kept int
	}{
		{false, 8426, 8426}, {false, 8427, 8426}, {false, 8900, 8426}, {false, 1500, 1500},
		{true, 8426, 8426}, {true, 8427, 8426}, {true, 8900, 8426},
	} {
		p := udp("203.0.113.9", "10.0.0.5", 5000, 6000)
		p.PayloadLen = c.ipLen - 28
		if c.v6 {
			p = udp("2001:db8::9", "2001:db8:0:100::5", 5000, 6000)
			p.PayloadLen = c.ipLen - 48
		}
		f := frame(t, p)
		d := m.Decide(web, Ingress, f)
		if !d.Mirrored || d.Outer.Src != addr("2001:db8:0:100::5") || d.Outer.Dst != addr("2001:db8:0:103::50") {
			t.Fatalf("not mirrored over IPv6 to the endpoint: %s", d)
		}
		dl := m.Deliver(&d)
		if !dl.Delivered || !dl.Geneve || dl.From != addr("10.0.0.50") || !dl.To.Is4() {
			t.Fatalf("GENEVE leg not IPv4 from the GWLB: %s", dl)
		}
		if got := d.InnerLen(len(f)) - 14; got != c.kept {
			t.Errorf("v6 %v, %d-byte packet: keeps %d, want %d", c.v6, c.ipLen, got, c.kept)
		}
		wire := d.AppendWire(nil, FrameHeader{}, &dl, f)
		if want := 14 + 68 + 56 + 14 + c.kept; len(wire) != want || d.WireIPLen(&dl, len(f)) != want-14 {
			t.Errorf("v6 %v, %d-byte packet: GENEVE frame %d bytes (WireIPLen %d), want %d", c.v6, c.ipLen, len(wire), d.WireIPLen(&dl, len(f)), want)
		}
		if c.ipLen > c.kept && (d.MaxInnerRule != CutGatewayLBMTU || d.TruncationText() != "the gateway load balancer's MTU 8500 less 74 reserved") {
			t.Errorf("rule %q: %s", d.MaxInnerRule, d.TruncationText())
		}
		if s := d.String(); !strings.Contains(s, "over IPv6: the source's primary IPv6 address to the dual-stack load balancer's IPv6 address") {
			t.Errorf("explanation does not say why IPv6: %s", s)
		}
	}
	for name, mod := range map[string]func(*Spec){
		"source without primary ipv6": func(s *Spec) { s.NetworkInterfaces[0].EnablePrimaryIpv6 = false },
		"endpoint without ipv6":       func(s *Spec) { s.LoadBalancers[0].Ipv6Address = "" },
	} {
		s := gwlbSpec6()
		mod(&s)
		m := mustNew(t, s)
		p := udp("203.0.113.9", "10.0.0.5", 5000, 6000)
		p.PayloadLen = 8900 - 28
		f := frame(t, p)
		d := m.Decide(mustENI(t, m, "eni-web"), Ingress, f)
		if d.Outer.Dst != addr("10.0.0.50") || d.InnerLen(len(f))-14 != 8446 {
			t.Errorf("%s: outer %s, keeps %d; want IPv4 to 10.0.0.50, 8446", name, d.Outer.Dst, d.InnerLen(len(f))-14)
		}
	}
}

// TestGWLBGeneveIPv6Payload: behind a dual-stack endpoint the GENEVE leg is
// IPv4 from the GWLB with protocol type 0x86DD, and its payload is exactly
// the IPv6 datagram the endpoint received (AppendFrame's, UDP checksum
// included); gopacket decodes the stack GENEVE, IPv6, UDP 4789, VXLAN.
func TestGWLBGeneveIPv6Payload(t *testing.T) {
	m := mustNew(t, gwlbSpec6())
	f := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, f)
	dl := m.Deliver(&d)
	got := d.AppendWire(nil, FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0, 2}}, &dl, f)
	if len(got) < 14+encap.GWLBOverhead {
		t.Fatalf("wire frame of %d bytes", len(got))
	}
	if got[12] != 0x08 || got[13] != 0x00 {
		t.Errorf("outer EtherType %x, want IPv4", got[12:14])
	}
	geneve := got[14+20+8:]
	if geneve[2] != 0x86 || geneve[3] != 0xdd {
		t.Errorf("GENEVE protocol type %x, want 86dd", geneve[2:4])
	}
	if want := d.AppendFrame(nil, FrameHeader{}, f)[14:]; !bytes.Equal(geneve[encap.GWLBGeneveLen:], want) {
		t.Fatalf("GENEVE payload differs from the endpoint's datagram:\n got %x\nwant %x", geneve[encap.GWLBGeneveLen:], want)
	}
	pkt := gopacket.NewPacket(got, layers.LayerTypeEthernet, gopacket.Default)
	g, _ := pkt.Layer(layers.LayerTypeGeneve).(*layers.Geneve)
	if g == nil || g.Protocol != layers.EthernetTypeIPv6 || len(g.Options) != 3 {
		t.Fatalf("GENEVE layer: %+v (%v)", g, pkt.ErrorLayer())
	}
	ip6, _ := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
	if ip6 == nil || ip6.SrcIP.String() != "2001:db8:0:100::5" || ip6.DstIP.String() != "2001:db8:0:103::50" || ip6.HopLimit != 255 {
		t.Fatalf("IPv6 inside GENEVE: %+v", ip6)
	}
	vx, _ := pkt.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
	if vx == nil || vx.VNI != 1 || !bytes.Equal(vx.Payload, f) {
		t.Fatalf("VXLAN inside GENEVE: %+v", vx)
	}
	if a := testing.AllocsPerRun(100, func() { _ = d.AppendWire(got[:0], FrameHeader{}, &dl, f) }); a != 0 {
		t.Errorf("AppendWire over IPv6 allocates %v times", a)
	}
}

// TestTsharkGeneveIPv6: tshark reads the GENEVE frame of a copy cut at
// 8426: GENEVE over IPv4 with protocol type 0x86dd, the IPv6 datagram to
// the endpoint with a valid UDP checksum, and VXLAN.
func TestTsharkGeneveIPv6(t *testing.T) {
	m := mustNew(t, gwlbSpec6())
	p := udp("203.0.113.9", "10.0.0.5", 5000, 6000)
	p.PayloadLen = 8900 - 28
	f := frame(t, p)
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, f)
	dl := m.Deliver(&d)
	wire := d.AppendWire(nil, FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0, 2}}, &dl, f)
	lines := tshark(t, [][]byte{wire}, "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.len", "-e", "ip.src", "-e", "geneve.proto_type", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.plen",
		"-e", "udp.dstport", "-e", "udp.checksum.status", "-e", "vxlan.vni")
	// 14 + 68 + 56 + 14 + 8426; the IPv6 payload length is 8 + 8 + 14 +
	// 8426; UDP checksum status: the GENEVE leg's 0 is absent (3), the
	// IPv6 copy's is good (1), the cut inner one unverifiable (2).
	want := fmt.Sprintf("%d\t10.0.0.50,203.0.113.9\t0x86dd\t2001:db8:0:100::5\t2001:db8:0:103::50\t%d\t6081,4789,6000\t3,1,2\t1", 14+68+56+14+8426, 16+14+8426)
	if len(lines) != 1 || lines[0] != want {
		t.Fatalf("tshark says\n%q\nwant\n%q", lines, want)
	}
}

// TestNLBOverIPv6: a dual-stack NLB receives the copies of a source with a
// primary IPv6 address over IPv6 and forwards them to its chosen target's
// IPv6 address, the receiver's IPv6 group rules applying; TargetAddrs
// lists the targets' IPv6 addresses.
func TestNLBOverIPv6(t *testing.T) {
	s := nlbSpec(true)
	dualStack(&s)
	s.NetworkInterfaces[0].EnablePrimaryIpv6 = true
	for i := 1; i <= 3; i++ {
		s.NetworkInterfaces[2+i].Ipv6Address = fmt.Sprintf("2001:db8:0:101::%d", 20+i)
	}
	s.LoadBalancers[0].Ipv6Address = "2001:db8:0:101::30"
	s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, Ipv6Ranges: []Ipv6Range{{CidrIpv6: "2001:db8:0:100::/64"}}}}
	m := mustNew(t, s)
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80)))
	if !d.Mirrored || d.Outer.Dst != addr("2001:db8:0:101::30") || !d.Outer.Src.Is6() {
		t.Fatalf("not mirrored over IPv6 to the NLB: %s", d)
	}
	dl := m.Deliver(&d)
	if !dl.Delivered || !dl.To.Is6() || !strings.HasPrefix(dl.To.String(), "2001:db8:0:101::2") || dl.From != d.Outer.Src {
		t.Fatalf("NLB delivery: %s", dl)
	}
	f := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	w := d.AppendWire(nil, FrameHeader{}, &dl, f)
	if len(w) != 14+56+len(f) || w[12] != 0x86 || w[13] != 0xdd {
		t.Errorf("NLB wire frame %d bytes, EtherType %x", len(w), w[12:14])
	}
	addrs := fmt.Sprint(m.TargetAddrs()["tmt-adapter"])
	if !strings.Contains(addrs, "2001:db8:0:101::21") || !strings.Contains(addrs, "10.0.0.21") {
		t.Errorf("TargetAddrs %s", addrs)
	}
	// The sg without an IPv6 range drops it: the IPv6 rules apply.
	s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []IpRange{{CidrIp: "10.0.0.0/28"}}}}
	m = mustNew(t, s)
	d = m.Decide(mustENI(t, m, "eni-web"), Ingress, f)
	if dl := m.Deliver(&d); dl.Reason != DroppedByTargetSG {
		t.Errorf("ipv4-only group: %s", dl)
	}
}

// TestLoadBalancerIPv6Validation: the load balancer's Ipv6Address is
// checked where it stands.
func TestLoadBalancerIPv6Validation(t *testing.T) {
	for _, c := range []struct {
		name, field, code string
		mod               func(*Spec)
	}{
		{"not ipv6", "Ipv6Address", codes.InvalidParameterValue, func(s *Spec) { s.LoadBalancers[0].Ipv6Address = "10.0.0.51" }},
		{"outside the subnet", "Ipv6Address", codes.InvalidParameterValue, func(s *Spec) { s.LoadBalancers[0].Ipv6Address = "2001:db8:0:101::50" }},
		{"subnet without block", "Ipv6Address", codes.InvalidParameterValue, func(s *Spec) { s.Subnets[3].Ipv6CidrBlock = "" }},
		{"nlb target without ipv6", "Targets[1].NetworkInterfaceId", codes.InvalidParameterCombination, func(s *Spec) {
			s.LoadBalancers[0].Type, s.LoadBalancers[0].VpcEndpointId = "network", ""
			s.LoadBalancers[0].Listeners = []Listener{{Protocol: "UDP", Port: 4789}}
			s.NetworkInterfaces[3].Ipv6Address = "2001:db8:0:101::21"
			s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", NetworkLoadBalancerArn: "arn:gwlb"}
		}},
	} {
		s := gwlbSpec6()
		c.mod(&s)
		err := s.Validate()
		found := false
		for _, e := range validationErrors(t, err) {
			if e.Resource == "LoadBalancer" && e.ID == "arn:gwlb" && e.Field == c.field && e.Code == c.code {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want LoadBalancer arn:gwlb %s %s, got %v", c.name, c.field, c.code, err)
		}
	}
	if s := gwlbSpec6(); s.Validate() != nil {
		t.Fatalf("the dual-stack endpoint is valid: %v", s.Validate())
	}
}

// A dual-stack endpoint's subnet ACL meets a copy carried over IPv6 with
// its IPv6 entries: an entry for the source's IPv4 subnet does not let it
// in, one for its IPv6 /64 does.
func TestGWLBEndpointSubnetACLIPv6(t *testing.T) {
	withACL := func(entries ...NetworkAclEntry) *Model {
		s := gwlbSpec6()
		s.NetworkAcls = append(s.NetworkAcls, NetworkAcl{NetworkAclId: "acl-gwlb", VpcId: "vpc-1",
			Associations: []NetworkAclAssociation{{SubnetId: "subnet-gwlb"}}, Entries: entries})
		return mustNew(t, s)
	}
	allow4 := NetworkAclEntry{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.0/28", PortRange: &PortRange{From: 4789, To: 4789}}
	allow6 := NetworkAclEntry{RuleNumber: 110, Protocol: "udp", RuleAction: "allow", Ipv6CidrBlock: "2001:db8:0:100::/64", PortRange: &PortRange{From: 4789, To: 4789}}
	for _, c := range []struct {
		name string
		m    *Model
		want DeliveryReason
		rule int
	}{
		{"ipv4 entry only", withACL(allow4), DroppedByTargetNACL, 0},
		{"ipv6 entry", withACL(allow4, allow6), Delivered, -1}, // the rule then reported is the appliance's
	} {
		d := c.m.Decide(mustENI(t, c.m, "eni-web"), Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80)))
		if !d.Outer.Dst.Is6() {
			t.Fatalf("%s: not over IPv6: %s", c.name, d)
		}
		if dl := c.m.Deliver(&d); dl.Reason != c.want || c.rule >= 0 && dl.RuleNumber != c.rule {
			t.Errorf("%s: %v rule %d, want %v rule %d (%s)", c.name, dl.Reason, dl.RuleNumber, c.want, c.rule, dl)
		}
	}
}
