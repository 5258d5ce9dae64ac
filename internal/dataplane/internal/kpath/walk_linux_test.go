package kpath

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// walker is what the programs do over a plan (the semantics bpf/kpath.c
// implements), in Go, with a flow table of its own laid out like the
// model's (cloudmock.Model.SetFlowTable).
type walker struct {
	p      *Plan
	conns  [ConnSlots]uint64
	byConn int // packets that passed by a recorded flow only
}

// walk returns the index in Plan.Sessions of the session that mirrors a
// flow in direction dir, or -1: the network ACL for a peer outside the
// subnet, then the security groups (an entry allows and records the
// flow, or the flow is recorded), then the rules: the first matching
// rule of a group decides that group; an accept mirrors; a reject ends
// the walk when rejects stop, else only its group. Amazon DNS skips the
// rules of sessions without the amazon-dns network service.
func (w *walker) walk(pd *PlanDirection, dir cloudmock.Direction, f *cloudmock.Flow) int {
	peer := f.Src
	if dir == cloudmock.Egress {
		peer = f.Dst
	}
	if a := pd.Port.NetworkACL; a != nil && !a.Subnet.Contains(peer) && !aclAllows(a.Entries, peer, f) {
		return -1
	}
	if sg := pd.Port.SecurityGroups; sg != nil {
		h := cloudmock.FlowHash(f) | 1
		switch {
		case groupsAllow(sg.Allow, peer, f):
			w.conns[h%uint64(ConnSlots)] = h
		case w.conns[h%uint64(ConnSlots)] != h:
			return -1
		default:
			w.byConn++
		}
	}
	skip := -1
	dns, _ := isAmazonDNS(f)
	for _, r := range pd.Port.Rules {
		if int(r.Group) == skip || dns && !r.AmazonDNS || !ruleMatches(r, f) {
			continue
		}
		if r.Accept {
			return pd.Sessions[r.Group]
		}
		if w.p.RejectStops {
			return -1
		}
		skip = int(r.Group)
	}
	return -1
}

func inRange(p *PortRange, f *cloudmock.Flow, port uint16) bool {
	return p == nil || f.HasPorts && port >= p.From && port <= p.To
}

func ruleMatches(r Rule, f *cloudmock.Flow) bool {
	return (r.Proto == 0 || r.Proto == f.Proto) && inRange(r.DstPorts, f, f.DstPort) && inRange(r.SrcPorts, f, f.SrcPort) &&
		r.Src.Contains(f.Src) && r.Dst.Contains(f.Dst)
}

func aclAllows(entries []ACLEntry, peer netip.Addr, f *cloudmock.Flow) bool {
	for _, e := range entries {
		if (e.All || e.Proto == f.Proto) && e.CIDR.Contains(peer) && inRange(e.Ports, f, f.DstPort) {
			return e.Allow
		}
	}
	return false
}

func groupsAllow(entries []Allow, peer netip.Addr, f *cloudmock.Flow) bool {
	for _, a := range entries {
		if !a.All {
			if a.Proto != f.Proto {
				continue
			}
			switch a.Proto {
			case encap.ProtoTCP, encap.ProtoUDP:
				if !f.HasPorts || int(f.DstPort) < a.From || int(f.DstPort) > a.To {
					continue
				}
			case encap.ProtoICMP, encap.ProtoICMPv6:
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

// TestPlanDecidesLikeTheModel walks the plan over random IPv4 packets, as
// the programs would but without a kernel, and requires the model's
// verdict: the same session (or none), VNI, outer addresses, outer
// source port (65408 for a reply from Amazon DNS) and inner limit. The
// privileged differential tests do the same with the programs themselves.
func TestPlanDecidesLikeTheModel(t *testing.T) {
	for _, variant := range []string{"reject-stops", "reject-falls-through", "stateful", "amazon-dns"} {
		t.Run(variant, func(t *testing.T) {
			spec, _ := diffSpec(variant)
			m, err := cloudmock.New(spec)
			if err != nil {
				t.Fatal(err)
			}
			web, _ := m.ENI("eni-web")
			p := PlanModel(m, nil)
			if len(p.ENIs) != 1 || p.ENIs[0].Ref != web {
				t.Fatalf("plan ENIs %+v, want only eni-web", p.ENIs)
			}
			w := &walker{p: &p}
			rng := rand.New(rand.NewPCG(1, 2))
			mirrored, dnsReplies := 0, 0
			var prev pkt
			for i := range 5000 {
				k := diffPkt(rng, uint32(rng.IntN(2)))
				if i > 0 && rng.IntN(3) == 0 {
					// The reply to the previous packet: the other way.
					k = prev
					k.srcMAC, k.dstMAC, k.src, k.dst, k.sport, k.dport = prev.dstMAC, prev.srcMAC, prev.dst, prev.src, prev.dport, prev.sport
				}
				dir := Ingress
				if k.src == inst {
					dir = Egress
				}
				prev = k
				d := m.Decide(web, cloudmock.Direction(dir), k.build())
				pd := &p.ENIs[0].Dirs[dir]
				if pd.Why != "" {
					t.Fatalf("direction %d not for the kernel: %s", dir, pd.Why)
				}
				never := d.Reason != cloudmock.ReasonMirrored && d.Reason != cloudmock.ReasonNoRuleMatched && d.Reason != cloudmock.ReasonRejected &&
					d.Reason != cloudmock.ReasonSourceSG && d.Reason != cloudmock.ReasonSourceNACL && d.Reason != cloudmock.ReasonAmazonDNS
				if never {
					continue // never mirrored: the programs punt it before the plan
				}
				got := w.walk(pd, cloudmock.Direction(dir), &d.Flow)
				if !d.Mirrored {
					if got >= 0 {
						t.Fatalf("%v %d: plan mirrors by %s, model: %s", d.Flow, dir, p.Sessions[got].SessionId, d)
					}
					continue
				}
				mirrored++
				if got < 0 {
					t.Fatalf("plan mirrors nothing, model: %s", d)
				}
				ps := p.Sessions[got]
				wantMax := d.MaxInner
				if wantMax == 1<<31-1 {
					wantMax = 0
				}
				port := cloudmock.OuterSrcPort(&d.Flow)
				if _, reply := isAmazonDNS(&d.Flow); reply {
					port = cloudmock.OuterPortBase // the kernel's hash bits 0
					dnsReplies++
				}
				if ps.SessionId != d.SessionId || ps.Session.VNI != d.VNI || ps.Session.OuterSrc != d.Outer.Src || ps.Session.OuterDst != d.Outer.Dst ||
					ps.Session.MaxInner != wantMax || port != d.Outer.SrcPort {
					t.Fatalf("plan session %+v, model: %s (max inner %d)", ps, d, d.MaxInner)
				}
			}
			if variant == "amazon-dns" && dnsReplies < 10 {
				t.Fatalf("only %d replies from Amazon DNS mirrored", dnsReplies)
			}
			if variant == "stateful" && w.byConn == 0 {
				t.Fatal("no packet passed the security groups by its recorded flow alone")
			}
			if mirrored < 100 || mirrored > 4500 {
				t.Fatalf("%d of 5000 packets mirrored: the random packets do not exercise both verdicts", mirrored)
			}
		})
	}
}

// TestPlanSaysWhy: each feature the kernel cannot decide sends the ENI
// (or one direction) to user space, with a reason naming it.
func TestPlanSaysWhy(t *testing.T) {
	cases := []struct {
		name string
		edit func(*cloudmock.Spec)
		dir  cloudmock.Direction
		want string
	}{
		{"too many security group peers", func(s *cloudmock.Spec) {
			for i := 0; i < MaxAllow; i++ {
				s.SecurityGroups[0].IpPermissions = append(s.SecurityGroups[0].IpPermissions,
					cloudmock.IpPermission{IpProtocol: "tcp", FromPort: i, ToPort: i, IpRanges: []cloudmock.IpRange{{CidrIp: "192.0.2.0/24"}}})
			}
		}, cloudmock.Ingress, "security groups with 33 IPv4 peers ingress"},
		{"copies cut too short", func(s *cloudmock.Spec) {
			s.TrafficMirrorSessions[0].PacketLength = new(MinMaxInner - 1)
		}, cloudmock.Ingress, "copies cut to 63 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := encapSpec(nil)
			c.edit(&s)
			m, err := cloudmock.New(s)
			if err != nil {
				t.Fatal(err)
			}
			p := PlanModel(m, nil)
			if len(p.ENIs) != 1 || !strings.Contains(p.ENIs[0].Dirs[c.dir].Why, c.want) {
				t.Fatalf("plan %+v: want %s decided in user space because of %q", p.ENIs, c.dir, c.want)
			}
		})
	}
}

// TestPlanCrossVPC: a target in a peered VPC is planned like any other,
// each copy with the model's route there; reaching the other fabric is
// the lab's business.
func TestPlanCrossVPC(t *testing.T) {
	s := encapSpec(nil)
	peered := func(s *cloudmock.Spec) {
		// The adapter's subnet moves to a VPC peered with the web's:
		// its copies cross the peering, beyond the kernel's clone.
		s.Vpcs = append(s.Vpcs, cloudmock.Vpc{VpcId: "vpc-2", CidrBlock: "10.0.0.16/28"})
		s.Vpcs[0].CidrBlock = "10.0.0.0/28"
		s.Subnets[1].VpcId = "vpc-2"
		g := s.SecurityGroups[0]
		g.GroupId, g.VpcId = "sg-2", "vpc-2"
		s.SecurityGroups = append(s.SecurityGroups, g)
		s.NetworkInterfaces[1].Groups = []string{"sg-2"}
		s.VpcPeeringConnections = []cloudmock.VpcPeeringConnection{{VpcPeeringConnectionId: "pcx-1",
			RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-1"}, AccepterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-2"}}}
	}
	peered(&s)
	m, err := cloudmock.New(s)
	if err != nil {
		t.Fatal(err)
	}
	p := PlanModel(m, nil)
	if len(p.ENIs) != 1 || p.ENIs[0].Dirs[cloudmock.Egress].Why != "" || len(p.Sessions) != 1 {
		t.Fatalf("plan %+v: want the kernel to decide web's egress", p.ENIs)
	}
	for i, c := range p.Sessions[0].Copies {
		if dl := c.Delivery; !dl.Delivered || dl.ToVpc != "vpc-2" || dl.Via != "pcx-1" || dl.ToId != "eni-adapter" {
			t.Fatalf("copy %d: %v, want delivered to the adapter in vpc-2 through pcx-1", i, dl)
		}
	}
}
