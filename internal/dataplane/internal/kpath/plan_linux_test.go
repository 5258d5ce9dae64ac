package kpath

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// planSpec: the web server's ENI is the source of three sessions whose
// filters mix accepts and rejects, protocols, CIDRs and port ranges.
func planSpec(reject string) cloudmock.Spec {
	s := encapSpec(nil)
	s.RejectBehavior = reject
	pr := func(from, to int) *cloudmock.TrafficMirrorPortRange {
		return &cloudmock.TrafficMirrorPortRange{FromPort: from, ToPort: to}
	}
	rule := func(n int, action string, proto int, src, dst string, sp, dp *cloudmock.TrafficMirrorPortRange) cloudmock.TrafficMirrorFilterRule {
		return cloudmock.TrafficMirrorFilterRule{RuleNumber: n, RuleAction: action, Protocol: proto,
			SourceCidrBlock: src, DestinationCidrBlock: dst, SourcePortRange: sp, DestinationPortRange: dp}
	}
	s.TrafficMirrorFilters = []*cloudmock.TrafficMirrorFilter{
		{TrafficMirrorFilterId: "tmf-a",
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
				rule(100, "reject", 6, "0.0.0.0/0", "0.0.0.0/0", nil, pr(22, 22)),
				rule(200, "accept", 6, "10.0.1.0/24", "0.0.0.0/0", nil, pr(1, 1024)),
			},
			EgressFilterRules: []cloudmock.TrafficMirrorFilterRule{
				rule(100, "accept", 17, "0.0.0.0/0", "0.0.0.0/0", pr(5000, 5100), nil),
			}},
		{TrafficMirrorFilterId: "tmf-b",
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
				rule(100, "reject", 1, "0.0.0.0/0", "0.0.0.0/0", nil, nil),
				rule(200, "accept", 0, "10.0.2.0/23", "0.0.0.0/0", nil, nil),
			},
			EgressFilterRules: []cloudmock.TrafficMirrorFilterRule{
				rule(100, "reject", 6, "0.0.0.0/0", "10.0.3.0/24", nil, nil),
				rule(200, "accept", 0, "0.0.0.0/0", "0.0.0.0/0", nil, nil),
			}},
		{TrafficMirrorFilterId: "tmf-c",
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
				rule(100, "accept", 17, "0.0.0.0/0", "0.0.0.0/0", nil, pr(53, 53)),
				rule(200, "accept", 6, "0.0.0.0/0", "10.0.0.5/32", pr(80, 80), nil),
			},
			EgressFilterRules: []cloudmock.TrafficMirrorFilterRule{
				rule(100, "accept", 47, "0.0.0.0/0", "0.0.0.0/0", nil, nil),
			}},
	}
	sess := func(id, filter string, n, vni int, pl *int) *cloudmock.TrafficMirrorSession {
		return &cloudmock.TrafficMirrorSession{TrafficMirrorSessionId: id, NetworkInterfaceId: "eni-web",
			TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: filter, SessionNumber: n,
			VirtualNetworkId: new(vni), PacketLength: pl}
	}
	// Numbers out of list order: the plan orders them.
	s.TrafficMirrorSessions = []*cloudmock.TrafficMirrorSession{
		sess("tms-c", "tmf-c", 30, 3, nil),
		sess("tms-a", "tmf-a", 10, 1, nil),
		sess("tms-b", "tmf-b", 20, 2, new(200)),
	}
	return s
}

// amazonDNSFilters gives tmf-b and tmf-c the amazon-dns network service
// (tmf-a has none), and tmf-b an ingress rule that accepts what comes
// from 10.0.0.0/30 (the VPC resolver, 10.0.0.2) and 169.254.169.252/30
// (Amazon DNS, .253, beside the metadata service, .254): Amazon DNS skips
// tms-a; replies from it are mirrored by tms-b, queries by tms-b or
// tms-c.
func amazonDNSFilters(s *cloudmock.Spec) {
	for i := range s.TrafficMirrorFilters {
		f := s.TrafficMirrorFilters[i]
		switch f.TrafficMirrorFilterId {
		case "tmf-b":
			f.IngressFilterRules = append(f.IngressFilterRules,
				cloudmock.TrafficMirrorFilterRule{RuleNumber: 300, RuleAction: "accept", SourceCidrBlock: "10.0.0.0/30", DestinationCidrBlock: "0.0.0.0/0"},
				cloudmock.TrafficMirrorFilterRule{RuleNumber: 310, RuleAction: "accept", SourceCidrBlock: "169.254.169.252/30", DestinationCidrBlock: "0.0.0.0/0"})
			fallthrough
		case "tmf-c":
			f.NetworkServices = []string{cloudmock.NetworkServiceAmazonDNS}
		}
	}
}

// isAmazonDNS reports a flow to or from Amazon DNS (the test VPC's
// resolver, 169.254.169.253 or fd00:ec2::253), and whether it comes from
// there.
func isAmazonDNS(f *cloudmock.Flow) (dns, reply bool) {
	is := func(a netip.Addr) bool {
		return a == resolver || a == netip.MustParseAddr("169.254.169.253") || a == netip.MustParseAddr("fd00:ec2::253")
	}
	return is(f.Src) || is(f.Dst), is(f.Src)
}

// neverReasons are the model's never-mirrored classes of IP packets,
// which the kernel punts as PuntNever.
var neverReasons = map[cloudmock.Reason]bool{cloudmock.ReasonDHCP: true, cloudmock.ReasonNDP: true, cloudmock.ReasonMetadata: true,
	cloudmock.ReasonTimeService: true, cloudmock.ReasonWindowsActivation: true, cloudmock.ReasonAmazonDNS: true}

// diffSpec is the spec of a variant of the differential tests, and its
// reject behaviour.
func diffSpec(variant string) (cloudmock.Spec, string) {
	switch variant {
	case "stateful":
		spec := planSpec("reject-stops")
		statefulGroups(&spec)
		return spec, "reject-stops"
	case "amazon-dns":
		spec := planSpec("reject-stops")
		amazonDNSFilters(&spec)
		return spec, "reject-stops"
	}
	if strings.HasPrefix(variant, "ipv6") {
		return diffSpec6(variant), "reject-stops"
	}
	return planSpec(variant), variant
}

// statefulGroups gives the web server's ENI two security groups: in, TCP
// to ports 1-1024 from 10.0.1.0/24 and ICMP echo from anywhere; out, UDP
// to 10.0.2.0/23 and everything to 10.0.3.0/24.
func statefulGroups(s *cloudmock.Spec) {
	s.SecurityGroups = append(s.SecurityGroups,
		cloudmock.SecurityGroup{GroupId: "sg-a", VpcId: s.Vpcs[0].VpcId,
			IpPermissions:       []cloudmock.IpPermission{{IpProtocol: "tcp", FromPort: 1, ToPort: 1024, IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.1.0/24"}}}},
			IpPermissionsEgress: []cloudmock.IpPermission{{IpProtocol: "udp", FromPort: 0, ToPort: 65535, IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.2.0/23"}}}}},
		cloudmock.SecurityGroup{GroupId: "sg-b", VpcId: s.Vpcs[0].VpcId,
			IpPermissions:       []cloudmock.IpPermission{{IpProtocol: "icmp", FromPort: 8, ToPort: -1, IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}},
			IpPermissionsEgress: []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.3.0/24"}}}}})
	for i := range s.NetworkInterfaces {
		if s.NetworkInterfaces[i].NetworkInterfaceId == "eni-web" {
			s.NetworkInterfaces[i].Groups = []string{"sg-a", "sg-b"}
		}
	}
	// And a network ACL on its subnet (10.0.0.0/28, whose own traffic it
	// does not see): in, deny 10.0.1.128/25, allow TCP 1-100 and all of
	// 10.0.1.0/24 and 10.0.0.0/16; out, deny UDP to 10.0.3.0/24, allow all.
	acl := func(n int, egress bool, proto, action, cidr string, ports *cloudmock.PortRange) cloudmock.NetworkAclEntry {
		return cloudmock.NetworkAclEntry{RuleNumber: n, Egress: egress, Protocol: proto, RuleAction: action, CidrBlock: cidr, PortRange: ports}
	}
	s.NetworkAcls = append(s.NetworkAcls, cloudmock.NetworkAcl{NetworkAclId: "acl-web", VpcId: s.Vpcs[0].VpcId,
		Associations: []cloudmock.NetworkAclAssociation{{SubnetId: "subnet-public"}},
		Entries: []cloudmock.NetworkAclEntry{
			acl(10, false, "-1", "deny", "10.0.1.128/25", nil),
			acl(20, false, "tcp", "allow", "0.0.0.0/0", &cloudmock.PortRange{From: 1, To: 100}),
			acl(30, false, "-1", "allow", "10.0.1.0/24", nil),
			acl(40, false, "-1", "allow", "10.0.0.0/16", nil),
			acl(10, true, "udp", "deny", "10.0.3.0/24", nil),
			acl(20, true, "-1", "allow", "0.0.0.0/0", nil),
		}})
}

// diffPkt is a random packet at the web server's ENI, drawn to hit the
// rules' edges.
func diffPkt(r *rand.Rand, dir uint32) pkt {
	peers := []string{"10.0.1.7", "10.0.1.200", "10.0.2.9", "10.0.3.3", "10.0.3.250", "10.9.9.9", "10.0.0.2", "169.254.169.254", "10.0.0.5",
		"169.254.169.253", "169.254.169.123", "169.254.169.250", "169.254.1.1"}
	ports := []uint16{22, 53, 80, 1, 1024, 1025, 5000, 5100, 5101, 4999, 0, 65535, 1688}
	port := func() uint16 {
		if r.IntN(4) == 0 {
			return uint16(r.IntN(65536))
		}
		return ports[r.IntN(len(ports))]
	}
	protos := []uint8{6, 6, 17, 17, 1, 47, 50}
	k := pkt{dstMAC: instMAC, srcMAC: peerMAC, src: netip.MustParseAddr(peers[r.IntN(len(peers))]), dst: inst,
		proto: protos[r.IntN(len(protos))], sport: port(), dport: port(), payload: r.IntN(400)}
	if dir == Egress {
		k.dstMAC, k.srcMAC, k.src, k.dst = k.srcMAC, k.dstMAC, k.dst, k.src
	}
	return k
}

// installable completes a plan direction's port: the instance's MAC, the
// flow table's index, and the accepting rules' slots (slot of the plan
// session's index).
func installable(pd PlanDirection, mac [6]byte, table int, slot func(session int) uint32) Port {
	port := pd.Port
	port.MAC = mac
	if port.SecurityGroups != nil {
		sg := *port.SecurityGroups
		sg.ConnTable = table
		port.SecurityGroups = &sg
	}
	port.Rules = append([]Rule(nil), port.Rules...)
	for i := range port.Rules {
		if port.Rules[i].Accept {
			port.Rules[i].Slot = slot(pd.Sessions[port.Rules[i].Group])
		}
	}
	return port
}

// labSession is a plan session as the lab completes it (withLab), with
// a route per outer source port (PlanCopy.Route) when its copies travel
// over IPv6 (one receiver's VXLAN over IPv4 otherwise).
func labSession(s *PlanSession, slot uint32) Session {
	if !s.Session.OuterDst.Is6() {
		return withLab(s.Session, routeMAC, recvMAC, noReceiver)
	}
	k := Session{MaxInner: s.Session.MaxInner, Routes: make([]Route, len(s.Copies))}
	for i := range s.Copies {
		k.Routes[i] = s.Copies[i].Route(routeMAC, recvMAC, noReceiver, slot)
	}
	return k
}

// withLab completes a plan session with the lab's MACs and receiver port.
func withLab(s Session, routerMAC, receiverMAC [6]byte, receiverIfindex int) Session {
	s.SrcMAC, s.DstMAC, s.ReceiverIfindex = routerMAC, receiverMAC, receiverIfindex
	return s
}

// TestPrivilegedPlanDifferential installs PlanModel's plan of a model and
// feeds random packets to the kernel and to cloudmock, under both reject
// behaviours: a packet the kernel mirrors is mirrored by cloudmock by the
// same session, into the same bytes; a packet the kernel punts for its
// rules (no match, a reject) is not mirrored by cloudmock.
//
// The stateful variant gives the web server's ENI security groups that
// let only some traffic in and out, and its subnet a network ACL; it
// shares the model's table of
// allowed flows with the kernel, as the data plane does; every third
// packet answers the one before it, so replies pass by their recorded
// flow. A packet the kernel leaves to user space for its groups is one
// the model drops there.
//
// The amazon-dns variant gives two of the three filters the amazon-dns
// network service: the kernel mirrors Amazon DNS queries and replies by
// those sessions alone, into the model's bytes (a reply's outer source
// port 65408), and what it punts as never mirrored the model does not
// mirror.
//
// The ipv6 variants make the VPC dual-stack and add IPv6 rules (and, in
// ipv6-stateful, IPv6 security group peers and network ACL entries; in
// ipv6-outer-dns, copies carried over IPv6 and Amazon DNS over IPv6), and
// half the packets are IPv6: the kernel decides them as the model does,
// into the same bytes, and leaves to user space only what it must
// (extension headers, fragments) or what the model does not mirror.
func TestPrivilegedPlanDifferential(t *testing.T) {
	p := loadPath(t)
	for _, variant := range []string{"reject-stops", "reject-falls-through", "stateful", "amazon-dns", "ipv6", "ipv6-stateful", "ipv6-outer-dns"} {
		t.Run(variant, func(t *testing.T) {
			spec, reject := diffSpec(variant)
			run := diffRun{t: t, p: p, variant: variant, v6: strings.HasPrefix(variant, "ipv6"),
				stateful: strings.HasSuffix(variant, "stateful"), count: map[string]int{}}
			run.install(spec)
			r := rand.New(rand.NewPCG(5, 6))
			var prev pkt
			for i := range 4000 {
				dir := uint32(i % 2)
				k := diffPkt(r, dir)
				if run.v6 {
					k = diffPkt6(r, dir)
				}
				if run.stateful && i%3 == 2 {
					// The answer to the packet before, the other way.
					k = prev
					k.srcMAC, k.dstMAC, k.src, k.dst, k.sport, k.dport = prev.dstMAC, prev.srcMAC, prev.dst, prev.src, prev.dport, prev.sport
					dir = 1 - uint32((i-1)%2)
				}
				prev = k
				if run.packet(i, k, dir) && run.stateful && i%3 == 2 {
					run.count["replies"]++
				}
			}
			t.Logf("%v", run.count)
			for _, k := range run.classes() {
				if run.count[k] < 10 {
					t.Errorf("only %d packets of class %s", run.count[k], k)
				}
			}
			if reject == "reject-stops" && run.count["rejected"] < 20 {
				t.Errorf("only %d rejected packets", run.count["rejected"])
			}
		})
	}
}

// diffRun is one variant of TestPrivilegedPlanDifferential: the model,
// its plan installed in the path, and the packets counted by class.
type diffRun struct {
	t            *testing.T
	p            *Path
	variant      string
	v6, stateful bool
	m            *cloudmock.Model
	ref          cloudmock.ENIRef
	plan         Plan
	count        map[string]int
}

// install builds the model of spec, shares web's flow table with the
// kernel and installs the plan: web's port both ways, each session in
// slot 2*session+direction.
func (d *diffRun) install(spec cloudmock.Spec) {
	t, p := d.t, d.p
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	d.m = m
	d.ref, _ = m.ENI("eni-web")
	mem, err := p.ConnTable(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetFlowTable("eni-web", mem); err != nil {
		t.Fatal(err)
	}
	d.plan = PlanModel(m, []cloudmock.ENIRef{d.ref})
	if len(d.plan.ENIs) != 1 || len(d.plan.Sessions) != 3 {
		t.Fatalf("plan: %d ENIs, %d sessions", len(d.plan.ENIs), len(d.plan.Sessions))
	}
	if err := p.SetConfig(Config{CopyMark: DefaultCopyMark, RejectStops: d.plan.RejectStops}); err != nil {
		t.Fatal(err)
	}
	for dir, pd := range d.plan.ENIs[0].Dirs {
		if pd.Why != "" {
			t.Fatalf("direction %d is left to user space: %s", dir, pd.Why)
		}
		slot := func(s int) uint32 { return uint32(2*s + dir) }
		port := installable(pd, instMAC, 3, slot)
		if (port.NetworkACL != nil) != d.stateful || !port.IPv6 {
			t.Fatalf("network ACL %+v, IPv6 %v (the AWS profile mirrors IPv6) in variant %s", port.NetworkACL, port.IPv6, d.variant)
		}
		if sg := port.SecurityGroups; d.stateful && (sg == nil || len(sg.Allow) != map[bool]int{false: 2, true: 4}[d.v6]) {
			t.Fatalf("security groups %+v, want the stateful groups' two entries per family", sg)
		}
		if err := p.SetPort(testIfindex, uint32(dir), port); err != nil {
			t.Fatal(err)
		}
		for i, s := range d.plan.Sessions {
			if err := p.SetSession(slot(i), labSession(&s, slot(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// packet decides packet i (k, in direction dir) in the kernel and in the
// model, fails the test where they differ, and counts it by class;
// true: the kernel mirrored it.
func (d *diffRun) packet(i int, k pkt, dir uint32) bool {
	t := d.t
	frame := k.build()
	mark := probe(t, d.p, dir, frame, skbCtx{})
	dc := d.m.Decide(d.ref, cloudmock.Direction(dir), frame)
	if mark>>24 != CloneTag {
		d.punted(i, k, &dc, Punt(mark))
		return false
	}
	slot := mark & 0xffff
	if !dc.Mirrored || dc.SessionId != d.plan.Sessions[slot/2].SessionId || slot%2 != dir {
		t.Fatalf("packet %d (%v %v): kernel mirrors into slot %d (%s), cloudmock: %v", i, dc.Flow, dc.Direction, slot, d.plan.Sessions[slot/2].SessionId, dc)
	}
	dl := d.m.Deliver(&dc)
	want := dc.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: recvMAC}, &dl, frame)
	if out, _, _ := encapRun(t, d.p, frame, mark); !bytes.Equal(out, want) {
		t.Fatalf("packet %d (%v): kernel frame differs from cloudmock's\nkernel:    %x\ncloudmock: %x", i, dc.Flow, out, want)
	}
	d.count[dc.SessionId]++
	if k.src.Is6() {
		d.count["ipv6"]++
		if len(k.exts) > 0 {
			d.count["ipv6-extension-headers"]++
		}
		if outer6 := want[12] == 0x86 && want[13] == 0xdd; outer6 != strings.Contains(d.variant, "outer") {
			t.Fatalf("packet %d (%v): the copy's outer header is IPv6: %v, in variant %s", i, dc.Flow, outer6, d.variant)
		}
	}
	if dns, reply := isAmazonDNS(&dc.Flow); dns {
		d.count["amazon-dns"]++
		if reply {
			d.count["amazon-dns-replies"]++
		}
	}
	return true
}

// punted checks a packet the kernel left to user space for why: the
// model must not mirror it, or drop it for that reason.
func (d *diffRun) punted(i int, k pkt, dc *cloudmock.Decision, why Punt) {
	t := d.t
	switch why {
	case PuntNoMatch, PuntReject:
		if dc.Mirrored {
			t.Fatalf("packet %d (%v %v): kernel punts (%v), cloudmock mirrors: %v", i, dc.Flow, dc.Direction, why, dc)
		}
	case PuntNetworkACL:
		if dc.Reason != cloudmock.ReasonSourceNACL {
			t.Fatalf("packet %d (%v %v): kernel punts for the network ACL, cloudmock: %v", i, dc.Flow, dc.Direction, dc)
		}
	case PuntSecurityGroup:
		if dc.Reason != cloudmock.ReasonSourceSG {
			t.Fatalf("packet %d (%v %v): kernel punts for the security groups, cloudmock: %v", i, dc.Flow, dc.Direction, dc)
		}
	case PuntNever:
		if !neverReasons[dc.Reason] {
			t.Fatalf("packet %d (%v %v): kernel punts as never mirrored, cloudmock: %v", i, dc.Flow, dc.Direction, dc)
		}
	case PuntIPHeader, PuntFragment:
		if !slices.Contains(k.exts, 44) && len(k.exts) <= 4 {
			t.Fatalf("packet %d (%v %v): kernel punts (%v) a packet with extension headers %v", i, dc.Flow, dc.Direction, why, k.exts)
		}
	default:
		t.Fatalf("packet %d (%v): unexpected punt %v", i, dc.Flow, why)
	}
	d.count[why.String()]++
	if k.src.Is6() {
		d.count["ipv6-"+why.String()]++
	}
}

// classes are the classes of packets the variant must meet (10 each at
// least), so that each check above ran.
func (d *diffRun) classes() []string {
	classes := []string{"tms-a", "tms-b", "tms-c", "no-match", "never-mirrored"}
	if strings.Contains(d.variant, "dns") {
		classes = append(classes, "amazon-dns", "amazon-dns-replies")
	}
	if d.stateful {
		classes = []string{"tms-a", "tms-b", "security-group", "network-acl", "replies"}
	}
	if d.v6 {
		classes = append(classes, "ipv6", "ipv6-extension-headers", "fragment", "ipv6-never-mirrored")
		if d.stateful {
			classes = append(classes, "ipv6-security-group", "ipv6-network-acl")
		} else {
			classes = append(classes, "ipv6-rejected", "ipv6-no-match")
		}
	}
	return classes
}
