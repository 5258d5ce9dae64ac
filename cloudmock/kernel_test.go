package cloudmock

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// kernelWalker is what an in-kernel path does over a plan (the semantics
// kpath's C code implements), with a table of allowed flows of its own
// laid out like the model's.
type kernelWalker struct {
	p      *KernelPlan
	conns  [ConnSlots]uint64
	byConn int // packets that passed by a recorded flow only
}

// walk returns the mirroring session's index for a flow in direction kd,
// or -1. The security groups first (Stateful): an Allow entry passes the
// packet and records its flow, a recorded flow passes; then the rules:
// the first matching rule of a session decides that session; an accept
// mirrors; a reject ends the walk when RejectStops, else only its
// session.
func (w *kernelWalker) walk(kd *KernelDirection, dir Direction, f *Flow) int {
	peer := f.Src
	if dir == Egress {
		peer = f.Dst
	}
	if kd.ACL != nil && !kd.Subnet.Contains(peer) && !aclAllows(kd.ACL, peer, f) {
		return -1
	}
	if kd.Stateful {
		h := flowHash(f) | 1
		switch {
		case allows(kd.Allow, peer, f):
			w.conns[h%ConnSlots] = h
		case w.conns[h%ConnSlots] != h:
			return -1
		default:
			w.byConn++
		}
	}
	skip := -1
	for _, r := range kd.Rules {
		if r.Session == skip {
			continue
		}
		if r.Proto != 0 && r.Proto != f.Proto ||
			r.HasDport && (!f.HasPorts || f.DstPort < r.Dport[0] || f.DstPort > r.Dport[1]) ||
			r.HasSport && (!f.HasPorts || f.SrcPort < r.Sport[0] || f.SrcPort > r.Sport[1]) ||
			!r.Src.Contains(f.Src) || !r.Dst.Contains(f.Dst) {
			continue
		}
		if r.Accept {
			return r.Session
		}
		if w.p.RejectStops {
			return -1
		}
		skip = r.Session
	}
	return -1
}

func aclAllows(entries []KernelACLEntry, peer netip.Addr, f *Flow) bool {
	for _, e := range entries {
		if !e.All && e.Proto != f.Proto || !e.CIDR.Contains(peer) ||
			e.HasPorts && (!f.HasPorts || f.DstPort < e.Ports[0] || f.DstPort > e.Ports[1]) {
			continue
		}
		return e.Allow
	}
	return false
}

func allows(entries []KernelAllow, peer netip.Addr, f *Flow) bool {
	for _, a := range entries {
		if !a.All {
			if a.Proto != f.Proto {
				continue
			}
			switch a.Proto {
			case ProtoTCP, ProtoUDP:
				if !f.HasPorts || int(f.DstPort) < a.From || int(f.DstPort) > a.To {
					continue
				}
			case ProtoICMP, ProtoICMPv6:
				if a.From != -1 && (!f.HasICMP || int(f.ICMPType) != a.From) || a.To != -1 && (!f.HasICMP || int(f.ICMPCode) != a.To) {
					continue
				}
			}
		}
		if a.Peer.Contains(peer) {
			return true
		}
	}
	return false
}

// kernelSpecs are models whose web ENI the kernel may decide: several
// sessions with accept and reject rules, port ranges, masks, a packet
// length, under both reject behaviours.
func kernelSpecs() map[string]Spec {
	base := func(rb string) Spec {
		s := walkthroughSpec()
		s.RejectBehavior = rb
		openAll(&s)
		s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
		s.NetworkAcls = nil
		rej := func(n int, proto int, src, dst string, dports *TrafficMirrorPortRange) TrafficMirrorFilterRule {
			return TrafficMirrorFilterRule{RuleNumber: n, RuleAction: "reject", Protocol: proto, SourceCidrBlock: src, DestinationCidrBlock: dst, DestinationPortRange: dports}
		}
		acc := func(n int, proto int, src, dst string, sports *TrafficMirrorPortRange) TrafficMirrorFilterRule {
			return TrafficMirrorFilterRule{RuleNumber: n, RuleAction: "accept", Protocol: proto, SourceCidrBlock: src, DestinationCidrBlock: dst, SourcePortRange: sports}
		}
		s.TrafficMirrorFilters = append(s.TrafficMirrorFilters,
			TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-1",
				IngressFilterRules: []TrafficMirrorFilterRule{rej(10, ProtoTCP, "0.0.0.0/0", "0.0.0.0/0", &TrafficMirrorPortRange{FromPort: 80, ToPort: 90}),
					acc(20, ProtoUDP, "198.51.100.0/24", "0.0.0.0/0", &TrafficMirrorPortRange{FromPort: 1000, ToPort: 2000}),
					acc(30, 0, "203.0.113.0/25", "10.0.0.0/29", nil)},
				EgressFilterRules: []TrafficMirrorFilterRule{acc(5, ProtoTCP, "0.0.0.0/0", "203.0.113.128/25", &TrafficMirrorPortRange{FromPort: 80, ToPort: 80}),
					rej(6, 0, "0.0.0.0/0", "198.51.100.0/24", nil),
					{RuleNumber: 7, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"}}},
			TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-3", IngressFilterRules: []TrafficMirrorFilterRule{rej(1, ProtoICMP, "0.0.0.0/0", "0.0.0.0/0", nil), acc(2, 47, "0.0.0.0/0", "0.0.0.0/0", nil)},
				EgressFilterRules: []TrafficMirrorFilterRule{acc(1, ProtoUDP, "0.0.0.0/0", "0.0.0.0/0", nil)}})
		s.TrafficMirrorFilters[0].IngressFilterRules = []TrafficMirrorFilterRule{acc(100, ProtoTCP, "0.0.0.0/0", "10.0.0.0/24", nil)}
		s.TrafficMirrorFilters[0].EgressFilterRules = nil
		s.TrafficMirrorSessions = []TrafficMirrorSession{
			{TrafficMirrorSessionId: "tms-3", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-3", SessionNumber: 3, PacketLength: Ptr(100)},
			{TrafficMirrorSessionId: "tms-1", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-1", SessionNumber: 1},
			{TrafficMirrorSessionId: "tms-2", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: 2},
		}
		return s
	}
	// Security groups that let only some traffic in, and all out: replies
	// pass by the table of allowed flows. A second group allows ICMP echo
	// and a peer group.
	stateful := base("reject-stops")
	stateful.SecurityGroups[0].IpPermissions = []IpPermission{
		{IpProtocol: "tcp", FromPort: 80, ToPort: 90, IpRanges: []IpRange{{CidrIp: "203.0.113.0/25"}, {CidrIp: "10.0.0.0/29"}}},
		{IpProtocol: "udp", FromPort: 1000, ToPort: 1500, IpRanges: []IpRange{{CidrIp: "198.51.100.0/24"}}}}
	stateful.SecurityGroups = append(stateful.SecurityGroups, SecurityGroup{GroupId: "sg-more", VpcId: "vpc-1",
		IpPermissions: []IpPermission{{IpProtocol: "icmp", FromPort: 8, ToPort: -1, IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}},
			{IpProtocol: "47", UserIdGroupPairs: []UserIdGroupPair{{GroupId: "sg-adapter"}}}},
		IpPermissionsEgress: []IpPermission{{IpProtocol: "tcp", FromPort: 0, ToPort: 65535, IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}})
	stateful.SecurityGroups[0].IpPermissionsEgress = []IpPermission{{IpProtocol: "udp", FromPort: 0, ToPort: 65535, IpRanges: []IpRange{{CidrIp: "203.0.113.0/24"}}}}
	stateful.NetworkInterfaces[0].Groups = []string{"sg-web", "sg-more"}
	// And a network ACL on web's subnet: in, deny 203.0.113.0/28, allow
	// TCP 80-85 and all of 198.51.100.0/24 (an IPv6 entry between); out,
	// allow all but GRE.
	stateful.NetworkAcls = []NetworkAcl{{NetworkAclId: "acl-web", VpcId: "vpc-1",
		Associations: []NetworkAclAssociation{{SubnetId: "subnet-public"}},
		Entries: []NetworkAclEntry{
			{RuleNumber: 10, Protocol: "-1", RuleAction: "deny", CidrBlock: "203.0.113.0/28"},
			{RuleNumber: 20, Protocol: "tcp", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: 80, To: 85}},
			{RuleNumber: 25, Protocol: "-1", RuleAction: "allow", Ipv6CidrBlock: "::/0"},
			{RuleNumber: 30, Protocol: "-1", RuleAction: "allow", CidrBlock: "198.51.100.0/24"},
			{RuleNumber: 10, Egress: true, Protocol: "47", RuleAction: "deny", CidrBlock: "0.0.0.0/0"},
			{RuleNumber: 20, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
		}}}
	return map[string]Spec{"reject-stops": base("reject-stops"), "reject-falls-through": base("reject-falls-through"), "stateful": stateful}
}

// TestKernelPlanDecidesLikeTheModel walks the compiled plan over random
// IPv4 packets and requires DecideInto's verdict: the same session (or
// none), VNI, outer addresses, outer source port and inner limit.
func TestKernelPlanDecidesLikeTheModel(t *testing.T) {
	addrs := []string{"10.0.0.5", "10.0.0.3", "10.0.0.9", "198.51.100.7", "203.0.113.9", "203.0.113.200", "192.0.2.1"}
	for name, spec := range kernelSpecs() {
		t.Run(name, func(t *testing.T) {
			m := mustNew(t, spec)
			web := mustENI(t, m, "eni-web")
			p := m.KernelPlan(nil)
			if len(p.ENIs) != 1 || p.ENIs[0].Ref != web {
				t.Fatalf("plan ENIs %+v, want only eni-web", p.ENIs)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			w := &kernelWalker{p: &p}
			mirrored := 0
			var prev Packet
			var prevDir Direction
			for i := 0; i < 5000; i++ {
				dir := Direction(rng.IntN(2))
				pkt := Packet{Proto: []uint8{ProtoTCP, ProtoUDP, ProtoICMP, 47}[rng.IntN(4)],
					Src: addr(addrs[rng.IntN(len(addrs))]), Dst: addr(addrs[rng.IntN(len(addrs))]),
					SrcPort: uint16(rng.IntN(3000)), DstPort: uint16(70 + rng.IntN(30)), PayloadLen: rng.IntN(300)}
				if rng.IntN(2) == 0 {
					pkt.SrcPort, pkt.DstPort = pkt.DstPort, pkt.SrcPort
				}
				if i > 0 && rng.IntN(3) == 0 {
					// The reply to the previous packet: the other way.
					pkt, dir = prev, 1-prevDir
					pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = pkt.Dst, pkt.Src, pkt.DstPort, pkt.SrcPort
				}
				prev, prevDir = pkt, dir
				fr := frame(t, pkt)
				d := m.Decide(web, dir, fr)
				kd := &p.ENIs[0].Dirs[dir]
				if kd.Why != "" {
					t.Fatalf("direction %s not for the kernel: %s", dir, kd.Why)
				}
				got := w.walk(kd, dir, &d.Flow)
				if !d.Mirrored {
					if got >= 0 {
						t.Fatalf("%s %s: plan mirrors by %s, model: %s", pkt.Src, dir, p.Sessions[got].SessionId, d)
					}
					continue
				}
				mirrored++
				if got < 0 {
					t.Fatalf("plan mirrors nothing, model: %s", d)
				}
				ks := p.Sessions[got]
				wantMax := d.MaxInner
				if wantMax == 1<<31-1 {
					wantMax = 0
				}
				if ks.SessionId != d.SessionId || ks.VNI != d.VNI || ks.OuterSrc != d.Outer.Src || ks.OuterDst != d.Outer.Dst ||
					ks.MaxInner != wantMax || OuterSrcPort(&d.Flow) != d.Outer.SrcPort {
					t.Fatalf("plan session %+v, model: %s (max inner %d)", ks, d, d.MaxInner)
				}
			}
			if name == "stateful" && w.byConn == 0 {
				t.Fatal("no packet passed the security groups by its recorded flow alone")
			}
			if mirrored < 100 || mirrored > 4500 {
				t.Fatalf("%d of 5000 packets mirrored: the random packets do not exercise both verdicts", mirrored)
			}
		})
	}
}

// TestKernelPlanSaysWhy: each feature the kernel path cannot decide sends
// the ENI (or one direction) to user space, with a reason naming it.
func TestKernelPlanSaysWhy(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Spec)
		dir  Direction
		want string
	}{
		{"too many security group peers", func(s *Spec) {
			for i := 0; i < maxKernelAllow; i++ {
				s.SecurityGroups[0].IpPermissions = append(s.SecurityGroups[0].IpPermissions,
					IpPermission{IpProtocol: "tcp", FromPort: i, ToPort: i, IpRanges: []IpRange{{CidrIp: "192.0.2.0/24"}}})
			}
		}, Ingress, "security groups with 33 IPv4 peers ingress"},
		{"target drops some copies", func(s *Spec) {
			s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []IpRange{{CidrIp: "192.0.2.0/24"}}}}
		}, Egress, "dropped-by-target-sg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			{
				openAll(&s)
				s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
				s.NetworkAcls = nil
			}
			c.edit(&s)
			p := mustNew(t, s).KernelPlan(nil)
			if len(p.ENIs) != 1 || !strings.Contains(p.ENIs[0].Dirs[c.dir].Why, c.want) {
				t.Fatalf("plan %+v: want %s decided in user space because of %q", p.ENIs, c.dir, c.want)
			}
		})
	}
}

// TestCountKernel: what the kernel path counted shows in the snapshot like
// copies counted by the user-space path.
func TestCountKernel(t *testing.T) {
	s := walkthroughSpec()
	openAll(&s)
	m := mustNew(t, s)
	m.CountKernel("tms-web", Egress, 3, 3000, 1)
	m.CountKernel("tms-gone", Egress, 5, 5, 0)
	snap := m.Snapshot()
	e, sc := snap.ENIs["eni-web"], snap.Sessions["tms-web"]
	if e.NetworkPacketsMirrorOut != 3 || e.NetworkMirrorOut != 3000 || e.NetworkPacketsMirrorIn != 0 ||
		sc.Packets != 3 || sc.Bytes != 3000 || sc.Truncated != 1 || sc.Delivery["delivered"] != 3 {
		t.Fatalf("snapshot %+v %+v", e, sc)
	}
}
