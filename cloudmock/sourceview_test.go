package cloudmock

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// TestSourceRules: what decides a source's packets comes back in Decide's
// order: sessions by number, each filter's rules by number; the ACL's
// and groups' entries of the direction; the copies' addresses and cut;
// and whether every copy is delivered.
func TestSourceRules(t *testing.T) {
	s := walkthroughSpec()
	s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-2",
		IngressFilterRules: []TrafficMirrorFilterRule{acceptAll(20), {RuleNumber: 10, RuleAction: "reject", Protocol: encap.ProtoUDP,
			SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "10.0.0.0/28", SourcePortRange: &TrafficMirrorPortRange{FromPort: 1, ToPort: 9}}}})
	s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{TrafficMirrorSessionId: "tms-0",
		NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-2", SessionNumber: 0 + 5, PacketLength: new(100)})
	s.TrafficMirrorSessions[0].SessionNumber = 7
	s.NetworkAcls = append(s.NetworkAcls, NetworkAcl{NetworkAclId: "acl-web", VpcId: "vpc-1",
		Associations: []NetworkAclAssociation{{SubnetId: "subnet-public"}},
		Entries: []NetworkAclEntry{{RuleNumber: 20, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			{RuleNumber: 10, Protocol: "tcp", RuleAction: "deny", CidrBlock: "192.0.2.0/24", PortRange: &PortRange{From: 22, To: 22}},
			{RuleNumber: 10, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"}}})
	m := mustNew(t, s)
	r, ok := m.SourceRules(mustENI(t, m, "eni-web"), Ingress)
	if !ok {
		t.Fatal("no rules for eni-web")
	}
	if r.ENIId != "eni-web" || r.IPv4 != addr("10.0.0.5") || r.Resolver != addr("10.0.0.2") || r.Subnet4 != netip.MustParsePrefix("10.0.0.0/28") {
		t.Errorf("ENI fields %+v", r)
	}
	if r.ACLId != "acl-web" || len(r.ACL) != 2 || r.ACL[0].Number != 10 || r.ACL[0].Allow || !r.ACL[0].HasPorts || r.ACL[0].Ports != [2]uint16{22, 22} || !r.ACL[1].All {
		t.Errorf("ingress ACL %+v", r.ACL)
	}
	if !r.HasGroups || len(r.Groups) != 1 || r.Groups[0].Proto != encap.ProtoTCP || r.Groups[0].From != 80 || r.Groups[0].Peer != netip.MustParsePrefix("0.0.0.0/0") {
		t.Errorf("groups %+v", r.Groups)
	}
	if len(r.Sessions) != 2 || r.Sessions[0].SessionId != "tms-0" || r.Sessions[1].SessionId != "tms-web" {
		t.Fatalf("sessions %+v: want tms-0 (number 5) before tms-web (7)", r.Sessions)
	}
	s0 := r.Sessions[0]
	if len(s0.Rules) != 2 || s0.Rules[0].Number != 10 || s0.Rules[0].Accept || !s0.Rules[0].HasSport || s0.Rules[0].Sport != [2]uint16{1, 9} || !s0.Rules[1].Accept {
		t.Errorf("tms-0 rules %+v: want reject 10 before accept 20", s0.Rules)
	}
	if s0.MaxInner != 100 || s0.TargetENIId != "eni-adapter" || s0.CrossVPC || s0.OuterSrc != addr("10.0.0.5") || s0.OuterDst != addr("10.0.0.20") {
		t.Errorf("tms-0 %+v", s0)
	}
	// sg-adapter lets UDP 4789 in from sg-web's members: every copy arrives.
	if s0.Undelivered != "" || r.Sessions[1].MaxInner != 9001-54+14 {
		t.Errorf("tms-0 undelivered %q, tms-web max inner %d", s0.Undelivered, r.Sessions[1].MaxInner)
	}
	if e, _ := m.SourceRules(mustENI(t, m, "eni-web"), Egress); len(e.ACL) != 1 || len(e.Sessions[1].Rules) != 0 {
		t.Errorf("egress: ACL %+v, tms-web rules %+v", e.ACL, e.Sessions[1].Rules)
	}
	// A target group that lets in only some copies.
	s.SecurityGroups[1].IpPermissions = []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []IpRange{{CidrIp: "192.0.2.0/24"}}}}
	m = mustNew(t, s)
	if r, _ := m.SourceRules(mustENI(t, m, "eni-web"), Ingress); !strings.Contains(r.Sessions[0].Undelivered, "dropped-by-target-sg") {
		t.Errorf("undelivered %q, want the target's groups named", r.Sessions[0].Undelivered)
	}
	if _, ok := m.SourceRules(NoENI, Ingress); ok {
		t.Error("rules for no ENI")
	}
}

// TestSetFlowTable: the flow table moves into memory of another size with
// its flows, which keep letting their replies through; memory that is not
// a power of two is refused; nil moves it back.
func TestSetFlowTable(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	web := mustENI(t, m, "eni-web")
	in := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	reply := frame(t, tcp("10.0.0.5", "203.0.113.9", 80, 40000))
	unasked := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 81))
	m.Decide(web, Ingress, in) // sg-web lets it in: its flow is recorded
	mem := make([]atomic.Uint64, 64)
	if err := m.SetFlowTable("eni-web", mem); err != nil {
		t.Fatal(err)
	}
	d := m.Decide(web, Ingress, in)
	h := FlowHash(&d.Flow) | 1
	if mem[h%64].Load() != h {
		t.Fatalf("slot %d holds %#x, want the flow's hash %#x", h%64, mem[h%64].Load(), h)
	}
	if err := m.SetFlowTable("eni-web", mem); err != nil || mem[h%64].Load() != h {
		t.Fatalf("placing the table where it is: %v, slot %#x", err, mem[h%64].Load())
	}
	if err := m.SetFlowTable("eni-web", nil); err != nil {
		t.Fatal(err)
	}
	if d := m.Decide(web, Egress, reply); d.Reason == ReasonSourceSG {
		t.Errorf("the reply was dropped after the table moved back: %s", d)
	}
	if d := m.Decide(web, Ingress, unasked); d.Reason != ReasonSourceSG {
		t.Errorf("an unasked packet passed: %s", d)
	}
	if err := m.SetFlowTable("eni-web", make([]atomic.Uint64, 48)); err == nil || !strings.Contains(err.Error(), "power of two") {
		t.Errorf("48 slots: %v", err)
	}
	if err := m.SetFlowTable("eni-nope", mem); err == nil || !strings.Contains(err.Error(), "eni-nope") {
		t.Errorf("unknown ENI: %v", err)
	}
}

// TestCountCopies: copies counted in bulk show in the snapshot like those
// counted one by one, at the source ENI that saw them only.
func TestCountCopies(t *testing.T) {
	s := walkthroughSpec()
	s.Profile = "alibaba"
	openAll(&s)
	s.TrafficMirrorSessions[0].TrafficMirrorSourceIds = []string{"eni-test"}
	m := mustNew(t, s)
	m.CountCopies("eni-web", "tms-web", Egress, 3, 3000, 1)
	m.CountCopies("eni-web", "tms-gone", Egress, 5, 5, 0)
	m.CountCopies("eni-adapter", "tms-web", Egress, 7, 7, 0) // not a source of it
	snap := m.Snapshot()
	e, sc := snap.ENIs["eni-web"], snap.Sessions["tms-web"]
	if e.NetworkPacketsMirrorOut != 3 || e.NetworkMirrorOut != 3000 || e.NetworkPacketsMirrorIn != 0 ||
		sc.Packets != 3 || sc.Bytes != 3000 || sc.Truncated != 1 || sc.Delivery["delivered"] != 3 {
		t.Fatalf("snapshot %+v %+v", e, sc)
	}
	if o := snap.ENIs["eni-test"]; o.NetworkPacketsMirrorOut != 0 {
		t.Errorf("the session's other source counted %d packets it never saw", o.NetworkPacketsMirrorOut)
	}
	if a := snap.ENIs["eni-adapter"]; a.NetworkPacketsMirrorOut != 0 {
		t.Errorf("a target counted copies: %+v", a)
	}
}
