package cloudmock

import (
	"fmt"
	"strings"
	"testing"
)

func TestDeliverENITarget(t *testing.T) {
	aclEntries := func(es ...NetworkAclEntry) func(*Spec) {
		return func(s *Spec) { s.NetworkAcls[0].Entries = es }
	}
	allowVXLAN := NetworkAclEntry{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.0/28", PortRange: &PortRange{From: 4789, To: 4789}}
	cases := []struct {
		name string
		mod  func(*Spec)
		want DeliveryReason
		rule int
	}{
		{"walk-through delivers", nil, Delivered, 100},
		{"nacl default deny", aclEntries(), DroppedByTargetNACL, 0},
		{"nacl denies 4789 first", aclEntries(
			NetworkAclEntry{RuleNumber: 50, Protocol: "udp", RuleAction: "deny", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: 4789, To: 4789}},
			allowVXLAN), DroppedByTargetNACL, 50},
		{"nacl opens another port only", aclEntries(
			NetworkAclEntry{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: 4790, To: 4790}}),
			DroppedByTargetNACL, 0},
		{"nacl from another cidr only", aclEntries(
			NetworkAclEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CidrBlock: "10.0.0.32/28"}), DroppedByTargetNACL, 0},
		{"nacl outbound rules do not apply", aclEntries(
			NetworkAclEntry{RuleNumber: 100, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"}), DroppedByTargetNACL, 0},
		{"sg without 4789", func(s *Spec) {
			s.SecurityGroups[1].IpPermissions[0].FromPort, s.SecurityGroups[1].IpPermissions[0].ToPort = 80, 80
		}, DroppedByTargetSG, 100},
		{"sg from another group", func(s *Spec) {
			s.SecurityGroups[1].IpPermissions[0].UserIdGroupPairs[0].GroupId = "sg-adapter"
		}, DroppedByTargetSG, 100},
		{"sg by cidr", func(s *Spec) {
			s.SecurityGroups[1].IpPermissions[0].UserIdGroupPairs = nil
			s.SecurityGroups[1].IpPermissions[0].IpRanges = []IpRange{{CidrIp: "10.0.0.5/32"}}
		}, Delivered, 100},
		{"sg egress-only allow is not enough", func(s *Spec) {
			s.SecurityGroups[1].IpPermissions = nil
		}, DroppedByTargetSG, 100},
		{"no acl and no groups", func(s *Spec) {
			s.NetworkAcls = nil
			s.NetworkInterfaces[1].Groups = nil
		}, Delivered, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			if c.mod != nil {
				c.mod(&s)
			}
			m := mustNew(t, s)
			d := m.Decide(mustENI(t, m, "eni-web"), Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80)))
			if !d.Mirrored {
				t.Fatalf("not mirrored: %s", d)
			}
			dl := m.Deliver(&d)
			if dl.Reason != c.want || dl.Delivered != (c.want == Delivered) || dl.RuleNumber != c.rule {
				t.Fatalf("delivery %v rule %d, want %v rule %d (%s)", dl.Reason, dl.RuleNumber, c.want, c.rule, dl)
			}
			if dl.ToId != "eni-adapter" || dl.To != addr("10.0.0.20") || dl.TargetId != "tmt-adapter" {
				t.Errorf("receiver %s %s of %s", dl.ToId, dl.To, dl.TargetId)
			}
		})
	}
}

func TestDeliverNotMirrored(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 22)))
	if dl := m.Deliver(&d); dl.Reason != DeliveryNotMirrored || dl.Delivered || dl.ToENI != NoENI {
		t.Errorf("delivery of a non-mirrored decision: %+v", dl)
	}
}

// nlbSpec: the adapter role is taken by three agents behind an NLB.
func nlbSpec(listener bool) Spec {
	s := walkthroughSpec()
	openAll(&s)
	for i := 1; i <= 3; i++ {
		s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{
			NetworkInterfaceId: fmt.Sprintf("eni-agent%d", i), SubnetId: "subnet-adapter",
			PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 20+i), Groups: []string{"sg-adapter"}})
	}
	lb := LoadBalancer{LoadBalancerArn: "arn:nlb", Type: "network", SubnetId: "subnet-adapter", PrivateIpAddress: "10.0.0.30",
		Targets: []TargetDescription{{NetworkInterfaceId: "eni-agent1"}, {NetworkInterfaceId: "eni-agent2"}, {NetworkInterfaceId: "eni-agent3"}}}
	if listener {
		lb.Listeners = []Listener{{Protocol: "UDP", Port: 4789}}
	} else {
		lb.Listeners = []Listener{{Protocol: "TCP", Port: 80}}
	}
	s.LoadBalancers = []LoadBalancer{lb}
	s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", NetworkLoadBalancerArn: "arn:nlb"}
	return s
}

func TestDeliverNLB(t *testing.T) {
	m := mustNew(t, nlbSpec(true))
	web := mustENI(t, m, "eni-web")
	deliver := func(p Packet, dir Direction) Delivery {
		t.Helper()
		d := m.Decide(web, dir, frame(t, p))
		if !d.Mirrored || d.Outer.Dst != addr("10.0.0.30") {
			t.Fatalf("not mirrored to the NLB: %s", d)
		}
		return m.Deliver(&d)
	}
	// Flows spread over the targets, and each flow sticks to one in both
	// directions.
	chosen := map[uint16]string{}
	count := map[string]int{}
	for i := range 200 {
		p := tcp("203.0.113.9", "10.0.0.5", uint16(20000+i), 80)
		dl := deliver(p, Ingress)
		if !dl.Delivered {
			t.Fatalf("flow %d: %s", i, dl)
		}
		back := deliver(tcp("10.0.0.5", "203.0.113.9", 80, uint16(20000+i)), Egress)
		if back.ToId != dl.ToId {
			t.Fatalf("flow %d: forward to %s, reply to %s", i, dl.ToId, back.ToId)
		}
		if again := deliver(p, Ingress); again.ToId != dl.ToId {
			t.Fatalf("flow %d moved from %s to %s", i, dl.ToId, again.ToId)
		}
		chosen[p.SrcPort] = dl.ToId
		count[dl.ToId]++
	}
	if len(count) != 3 {
		t.Fatalf("200 flows reached %d of 3 targets: %v", len(count), count)
	}
	if ok, err := m.TargetHealth("arn:nlb", "eni-agent2"); err != nil || !ok {
		t.Errorf("TargetHealth(agent2) = %v, %v; want true (targets start healthy)", ok, err)
	}
	// A target turns unhealthy: its flows move, the others' stay.
	if err := m.SetTargetHealth("arn:nlb", "eni-agent2", false); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		p := tcp("203.0.113.9", "10.0.0.5", uint16(20000+i), 80)
		dl := deliver(p, Ingress)
		was := chosen[p.SrcPort]
		switch {
		case dl.ToId == "eni-agent2":
			t.Fatalf("flow %d still sent to the unhealthy target", i)
		case was != "eni-agent2" && dl.ToId != was:
			t.Fatalf("flow %d moved from healthy %s to %s", i, was, dl.ToId)
		}
	}
	for _, id := range []string{"eni-agent1", "eni-agent3"} {
		if err := m.SetTargetHealth("arn:nlb", id, false); err != nil {
			t.Fatal(err)
		}
	}
	if dl := deliver(tcp("203.0.113.9", "10.0.0.5", 1, 80), Ingress); dl.Reason != NoHealthyTarget {
		t.Errorf("all unhealthy: %s", dl)
	}
	if ok, err := m.TargetHealth("arn:nlb", "eni-agent2"); err != nil || ok {
		t.Errorf("TargetHealth(agent2) = %v, %v; want false after SetTargetHealth(false)", ok, err)
	}
	if ok, err := m.TargetHealth("arn:nlb", "eni-agent1"); err != nil || ok {
		t.Errorf("TargetHealth(agent1) = %v, %v; want false after SetTargetHealth(false)", ok, err)
	}
	if _, err := m.TargetHealth("arn:nlb", "eni-web"); err == nil {
		t.Error("TargetHealth accepted an unregistered target")
	}
	if err := m.SetTargetHealth("arn:nlb", "eni-web", true); err == nil {
		t.Error("SetTargetHealth accepted an unregistered target")
	}
	if err := m.SetTargetHealth("arn:none", "eni-agent1", true); err == nil {
		t.Error("SetTargetHealth accepted an unknown load balancer")
	}
}

func TestDeliverNLBNoListener(t *testing.T) {
	m := mustNew(t, nlbSpec(false))
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80)))
	dl := m.Deliver(&d)
	if dl.Reason != NoListener || dl.Delivered {
		t.Fatalf("without a UDP 4789 listener: %s", dl)
	}
	if !strings.Contains(dl.String(), "lost silently") {
		t.Errorf("String: %s", dl)
	}
}

func TestDeliverNLBTargetSG(t *testing.T) {
	s := nlbSpec(true)
	s.SecurityGroups = append(s.SecurityGroups, SecurityGroup{GroupId: "sg-closed", VpcId: "vpc-1",
		IpPermissions: []IpPermission{{IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}})
	s.NetworkInterfaces[len(s.NetworkInterfaces)-1].Groups = []string{"sg-closed"} // agent3 accepts no 4789
	m := mustNew(t, s)
	web := mustENI(t, m, "eni-web")
	seen := map[DeliveryReason]bool{}
	for i := range 100 {
		d := m.Decide(web, Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", uint16(30000+i), 80)))
		dl := m.Deliver(&d)
		if (dl.ToId == "eni-agent3") != (dl.Reason == DroppedByTargetSG) {
			t.Fatalf("%s -> %v", dl.ToId, dl.Reason)
		}
		seen[dl.Reason] = true
	}
	if !seen[Delivered] || !seen[DroppedByTargetSG] {
		t.Errorf("reasons seen: %v", seen)
	}
}
