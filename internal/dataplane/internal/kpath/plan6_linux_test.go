package kpath

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// inst6 is the web server's IPv6 address in the dual-stack variants.
var inst6 = netip.MustParseAddr("2001:db8:0:100::5")

// dualStack makes planSpec's VPC dual-stack: a /56, a /64 per subnet, an
// IPv6 address on both ENIs (primary on both with outer6: the copies then
// travel over IPv6), and IPv6 rules beside each filter's IPv4 ones, of
// the same shapes: tmf-a rejects TCP 22 and accepts TCP 1-1024 from
// 2001:db8:1::/48 in, UDP from ports 5000-5100 out; tmf-b rejects ICMPv6
// and accepts everything from 2001:db8:2::/47 in, rejects TCP to
// 2001:db8:3::/48 and accepts the rest out; tmf-c accepts UDP 53 and TCP
// from port 80 to web's /128 in, GRE out. tmf-c (with amazon-dns) also
// accepts what comes from fd00:ec2::252/126, Amazon DNS among it. The
// security group that lets everything in and out lets IPv6 too.
func dualStack(s *cloudmock.Spec, outer6, amazonDNS bool) {
	s.Vpcs[0].Ipv6CidrBlock = "2001:db8:0:100::/56"
	for i := range s.Subnets {
		s.Subnets[i].Ipv6CidrBlock = map[string]string{"subnet-public": "2001:db8:0:100::/64", "subnet-adapter": "2001:db8:0:101::/64"}[s.Subnets[i].SubnetId]
	}
	for i := range s.NetworkInterfaces {
		e := &s.NetworkInterfaces[i]
		e.Ipv6Address = map[string]string{"eni-web": inst6.String(), "eni-adapter": "2001:db8:0:101::20"}[e.NetworkInterfaceId]
		e.EnablePrimaryIpv6 = outer6
	}
	for i := range s.SecurityGroups {
		for _, p := range [][]cloudmock.IpPermission{s.SecurityGroups[i].IpPermissions, s.SecurityGroups[i].IpPermissionsEgress} {
			if len(p) > 0 && p[0].IpProtocol == "-1" && len(p[0].IpRanges) > 0 && p[0].IpRanges[0].CidrIp == "0.0.0.0/0" {
				p[0].Ipv6Ranges = []cloudmock.Ipv6Range{{CidrIpv6: "::/0"}}
			}
		}
	}
	pr := func(from, to int) *cloudmock.TrafficMirrorPortRange {
		return &cloudmock.TrafficMirrorPortRange{FromPort: from, ToPort: to}
	}
	rule := func(n int, action string, proto int, src, dst string, sp, dp *cloudmock.TrafficMirrorPortRange) cloudmock.TrafficMirrorFilterRule {
		return cloudmock.TrafficMirrorFilterRule{RuleNumber: n, RuleAction: action, Protocol: proto,
			SourceCidrBlock: src, DestinationCidrBlock: dst, SourcePortRange: sp, DestinationPortRange: dp}
	}
	v6 := map[string][2][]cloudmock.TrafficMirrorFilterRule{
		"tmf-a": {{rule(110, "reject", 6, "::/0", "::/0", nil, pr(22, 22)), rule(210, "accept", 6, "2001:db8:1::/48", "::/0", nil, pr(1, 1024))},
			{rule(110, "accept", 17, "::/0", "::/0", pr(5000, 5100), nil)}},
		"tmf-b": {{rule(110, "reject", 58, "::/0", "::/0", nil, nil), rule(210, "accept", 0, "2001:db8:2::/47", "::/0", nil, nil)},
			{rule(110, "reject", 6, "::/0", "2001:db8:3::/48", nil, nil), rule(210, "accept", 0, "::/0", "::/0", nil, nil)}},
		"tmf-c": {{rule(110, "accept", 17, "::/0", "::/0", nil, pr(53, 53)), rule(210, "accept", 6, "::/0", inst6.String()+"/128", pr(80, 80), nil)},
			{rule(110, "accept", 47, "::/0", "::/0", nil, nil)}},
	}
	for i := range s.TrafficMirrorFilters {
		f := s.TrafficMirrorFilters[i]
		add := v6[f.TrafficMirrorFilterId]
		f.IngressFilterRules = append(f.IngressFilterRules, add[0]...)
		f.EgressFilterRules = append(f.EgressFilterRules, add[1]...)
		if amazonDNS && f.TrafficMirrorFilterId == "tmf-c" {
			f.IngressFilterRules = append(f.IngressFilterRules, rule(320, "accept", 0, "fd00:ec2::252/126", "::/0", nil, nil))
		}
	}
}

// statefulGroups6 adds IPv6 peers to statefulGroups' security groups and
// network ACL, of the same shapes: in, TCP 1-1024 from 2001:db8:1::/48
// and ICMPv6 echo requests from anywhere; out, UDP to 2001:db8:2::/47 and
// everything to 2001:db8:3::/48; the ACL denies 2001:db8:1:8000::/49 in
// and UDP to 2001:db8:3::/48 out, and allows the rest.
func statefulGroups6(s *cloudmock.Spec) {
	for i := range s.SecurityGroups {
		g := &s.SecurityGroups[i]
		v6 := func(p []cloudmock.IpPermission, cidr string) {
			p[0].Ipv6Ranges = append(p[0].Ipv6Ranges, cloudmock.Ipv6Range{CidrIpv6: cidr})
		}
		switch g.GroupId {
		case "sg-a":
			v6(g.IpPermissions, "2001:db8:1::/48")
			v6(g.IpPermissionsEgress, "2001:db8:2::/47")
		case "sg-b":
			g.IpPermissions = append(g.IpPermissions, cloudmock.IpPermission{IpProtocol: "icmpv6", FromPort: 128, ToPort: -1,
				Ipv6Ranges: []cloudmock.Ipv6Range{{CidrIpv6: "::/0"}}})
			v6(g.IpPermissionsEgress, "2001:db8:3::/48")
		}
	}
	acl := func(n int, egress bool, proto, action, cidr string) cloudmock.NetworkAclEntry {
		return cloudmock.NetworkAclEntry{RuleNumber: n, Egress: egress, Protocol: proto, RuleAction: action, Ipv6CidrBlock: cidr}
	}
	a := &s.NetworkAcls[len(s.NetworkAcls)-1]
	a.Entries = append(a.Entries, acl(15, false, "-1", "deny", "2001:db8:1:8000::/49"), acl(45, false, "-1", "allow", "2001:db8::/32"),
		acl(15, true, "udp", "deny", "2001:db8:3::/48"), acl(25, true, "-1", "allow", "::/0"))
}

// diffSpec6 is the spec of an IPv6 variant of the differential tests
// ("ipv6...": IPv6 rules, "-outer": copies over IPv6, "-stateful": IPv6
// security group peers and ACL entries, "-dns": the amazon-dns service).
func diffSpec6(variant string) cloudmock.Spec {
	spec := planSpec("reject-stops")
	if strings.Contains(variant, "stateful") {
		statefulGroups(&spec)
		statefulGroups6(&spec)
	}
	if strings.Contains(variant, "dns") {
		amazonDNSFilters(&spec)
	}
	dualStack(&spec, strings.Contains(variant, "outer"), strings.Contains(variant, "dns"))
	return spec
}

// diffPkt6 is diffPkt's packet or, half the time, an IPv6 one drawn to
// hit the IPv6 rules' edges, the never-mirrored classes (DHCPv6,
// neighbour discovery, fd00:ec2::123 and ::254), Amazon DNS
// (fd00:ec2::253) and, now and then, extension headers: the kernel
// skips up to 4 but fragment headers, and leaves the rest to user space.
func diffPkt6(r *rand.Rand, dir uint32) pkt {
	if r.IntN(2) == 0 {
		return diffPkt(r, dir)
	}
	peers := []string{"2001:db8:1::7", "2001:db8:1:8000::1", "2001:db8:1:7fff::2", "2001:db8:2::9", "2001:db8:3:ffff::3",
		"2001:db8:3::3", "2001:db8:4::1", "2001:db9::1", "2001:db8:0:100::9", "fd00:ec2::253", "fd00:ec2::254", "fd00:ec2::123",
		"fd00:ec2::252", "fe80::1", inst6.String()}
	ports := []uint16{22, 53, 80, 1, 1024, 1025, 5000, 5100, 5101, 546, 547, 67, 68, 0, 65535}
	port := func() uint16 {
		if r.IntN(4) == 0 {
			return uint16(r.IntN(65536))
		}
		return ports[r.IntN(len(ports))]
	}
	protos := []uint8{6, 6, 17, 17, 58, 58, 47, 50}
	icmp := []uint8{128, 129, 133, 135, 136, 143, 130, 1}
	k := pkt{dstMAC: instMAC, srcMAC: peerMAC, src: netip.MustParseAddr(peers[r.IntN(len(peers))]), dst: inst6,
		proto: protos[r.IntN(len(protos))], sport: port(), dport: port(), payload: r.IntN(400),
		icmp: [2]byte{icmp[r.IntN(len(icmp))], byte(r.IntN(2))}}
	for r.IntN(8) == 0 && len(k.exts) < 6 {
		k.exts = append(k.exts, []uint8{0, 43, 44, 60, 60}[r.IntN(5)])
	}
	if dir == Egress {
		k.dstMAC, k.srcMAC, k.src, k.dst = k.srcMAC, k.dstMAC, k.dst, k.src
	}
	return k
}

// TestPlanIPv6FollowsTheProfile: under the AWS profile a dual-stack
// source's ports decide IPv6 (Port.IPv6) by the IPv6 rules, security
// group peers and ACL entries beside the IPv4 ones; under a profile that
// mirrors no IPv6 (Alibaba's, whose specs hold no IPv6), the ports leave
// IPv6 packets to user space, where the model counts them as such.
func TestPlanIPv6FollowsTheProfile(t *testing.T) {
	web := func(t *testing.T, spec cloudmock.Spec) Port {
		m, err := cloudmock.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := m.ENI("eni-web")
		plan := PlanModel(m, []cloudmock.ENIRef{ref})
		if len(plan.ENIs) != 1 || plan.ENIs[0].Dirs[cloudmock.Ingress].Why != "" {
			t.Fatalf("plan of eni-web: %+v", plan.ENIs)
		}
		return plan.ENIs[0].Dirs[cloudmock.Ingress].Port
	}
	count := func(n int, prefix func(int) netip.Prefix) (v6 int) {
		for i := range n {
			if prefix(i).Addr().Is6() {
				v6++
			}
		}
		return v6
	}
	port := web(t, diffSpec6("ipv6-stateful"))
	rules := count(len(port.Rules), func(i int) netip.Prefix { return port.Rules[i].Src })
	acl := count(len(port.NetworkACL.Entries), func(i int) netip.Prefix { return port.NetworkACL.Entries[i].CIDR })
	allow := count(len(port.SecurityGroups.Allow), func(i int) netip.Prefix { return port.SecurityGroups.Allow[i].Peer })
	if !port.IPv6 || rules != 6 || len(port.Rules) != 12 || acl != 2 || allow != 2 || port.NetworkACL.Subnet6 != pfx("2001:db8:0:100::/64") {
		t.Errorf("aws: IPv6 %v, %d IPv6 rules of %d, %d ACL entries, %d group peers, subnet6 %v; want true, 6 of 12, 2, 2, 2001:db8:0:100::/64",
			port.IPv6, rules, len(port.Rules), acl, allow, port.NetworkACL.Subnet6)
	}
	spec := encapSpec(nil)
	spec.Profile = "alibaba"
	if port := web(t, spec); port.IPv6 || len(port.Rules) != 1 {
		t.Errorf("alibaba: IPv6 %v, %d rules; want false, 1", port.IPv6, len(port.Rules))
	}
}
