package cloudmock

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// inspectionSpec: two application VPCs (app-a 10.1.0.0/24, app-b
// 10.2.0.0/24) mirror their web servers to an NLB in a central inspection
// VPC (10.9.0.0/24) with one agent behind it; each application VPC is
// peered with the inspection VPC, not with the other. The agents' subnet
// has a network ACL that opens UDP 4789 from app-a only, and the agent's
// security group allows UDP 4789 from both application VPCs.
func inspectionSpec() Spec {
	return Spec{
		Vpcs: []Vpc{
			{VpcId: "vpc-a", CidrBlock: "10.1.0.0/24"},
			{VpcId: "vpc-b", CidrBlock: "10.2.0.0/24"},
			{VpcId: "vpc-insp", CidrBlock: "10.9.0.0/24"},
		},
		VpcPeeringConnections: []VpcPeeringConnection{
			{VpcPeeringConnectionId: "pcx-a", RequesterVpcInfo: VpcPeeringConnectionVpcInfo{VpcId: "vpc-a"}, AccepterVpcInfo: VpcPeeringConnectionVpcInfo{VpcId: "vpc-insp"}},
			{VpcPeeringConnectionId: "pcx-b", RequesterVpcInfo: VpcPeeringConnectionVpcInfo{VpcId: "vpc-b"}, AccepterVpcInfo: VpcPeeringConnectionVpcInfo{VpcId: "vpc-insp"}},
		},
		Subnets: []Subnet{
			{SubnetId: "subnet-a", VpcId: "vpc-a", CidrBlock: "10.1.0.0/28"},
			{SubnetId: "subnet-b", VpcId: "vpc-b", CidrBlock: "10.2.0.0/28"},
			{SubnetId: "subnet-agents", VpcId: "vpc-insp", CidrBlock: "10.9.0.16/28"},
		},
		SecurityGroups: []SecurityGroup{{GroupId: "sg-agent", VpcId: "vpc-insp",
			IpPermissions: []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789,
				IpRanges: []IpRange{{CidrIp: "10.1.0.0/24"}, {CidrIp: "10.2.0.0/24"}}}}}},
		NetworkAcls: []NetworkAcl{{NetworkAclId: "acl-agents", VpcId: "vpc-insp",
			Associations: []NetworkAclAssociation{{SubnetId: "subnet-agents"}},
			Entries: []NetworkAclEntry{
				{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.1.0.0/24", PortRange: &PortRange{From: 4789, To: 4789}},
				{RuleNumber: 110, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.2.0.0/24", PortRange: &PortRange{From: 4789, To: 4789}},
			}}},
		NetworkInterfaces: []NetworkInterface{
			{NetworkInterfaceId: "eni-web-a", SubnetId: "subnet-a", PrivateIpAddress: "10.1.0.5"},
			{NetworkInterfaceId: "eni-web-b", SubnetId: "subnet-b", PrivateIpAddress: "10.2.0.5"},
			{NetworkInterfaceId: "eni-agent", SubnetId: "subnet-agents", PrivateIpAddress: "10.9.0.20", Groups: []string{"sg-agent"}},
		},
		LoadBalancers: []LoadBalancer{{LoadBalancerArn: "nlb-insp", Type: "network", SubnetId: "subnet-agents",
			PrivateIpAddress: "10.9.0.24", Listeners: []Listener{{Protocol: "UDP", Port: encap.VXLANPort}},
			Targets: []TargetDescription{{NetworkInterfaceId: "eni-agent"}}}},
		TrafficMirrorFilters: []*TrafficMirrorFilter{{TrafficMirrorFilterId: "tmf-all",
			IngressFilterRules: []TrafficMirrorFilterRule{acceptAll(100)}}},
		TrafficMirrorTargets: []*TrafficMirrorTarget{
			{TrafficMirrorTargetId: "tmt-nlb", NetworkLoadBalancerArn: "nlb-insp"},
			{TrafficMirrorTargetId: "tmt-agent", NetworkInterfaceId: "eni-agent"},
		},
		TrafficMirrorSessions: []*TrafficMirrorSession{
			{TrafficMirrorSessionId: "tms-a", NetworkInterfaceId: "eni-web-a", TrafficMirrorTargetId: "tmt-nlb", TrafficMirrorFilterId: "tmf-all", SessionNumber: 1, VirtualNetworkId: new(1)},
			{TrafficMirrorSessionId: "tms-b", NetworkInterfaceId: "eni-web-b", TrafficMirrorTargetId: "tmt-nlb", TrafficMirrorFilterId: "tmf-all", SessionNumber: 1, VirtualNetworkId: new(2)},
		},
	}
}

func TestDeliverAcrossPeering(t *testing.T) {
	cases := []struct {
		name   string
		mod    func(*Spec)
		source string
		want   DeliveryReason
		via    string
	}{
		{"app-a through its peering", nil, "eni-web-a", Delivered, "pcx-a"},
		{"app-b through its peering", nil, "eni-web-b", Delivered, "pcx-b"},
		{"ENI target across the peering", func(s *Spec) {
			s.TrafficMirrorSessions[0].TrafficMirrorTargetId = "tmt-agent"
		}, "eni-web-a", Delivered, "pcx-a"},
		{"no peering: no route", func(s *Spec) {
			s.VpcPeeringConnections = s.VpcPeeringConnections[1:]
		}, "eni-web-a", NoRouteToTarget, ""},
		{"peering pending acceptance: no route", func(s *Spec) {
			s.VpcPeeringConnections[0].Status = &VpcPeeringConnectionStateReason{Code: PeeringPendingAcceptance}
		}, "eni-web-a", NoRouteToTarget, ""},
		{"peering is not transitive", func(s *Spec) {
			// b reaches the inspection VPC only through a, which is peered with it.
			s.VpcPeeringConnections[1].AccepterVpcInfo.VpcId = "vpc-a"
		}, "eni-web-b", NoRouteToTarget, ""},
		{"target subnet's NACL applies across the peering", func(s *Spec) {
			s.NetworkAcls[0].Entries = s.NetworkAcls[0].Entries[:1]
		}, "eni-web-b", DroppedByTargetNACL, "pcx-b"},
		{"target's SG applies across the peering", func(s *Spec) {
			s.SecurityGroups[0].IpPermissions[0].IpRanges = s.SecurityGroups[0].IpPermissions[0].IpRanges[:1]
		}, "eni-web-b", DroppedByTargetSG, "pcx-b"},
		{"no route is decided before the listener", func(s *Spec) {
			s.VpcPeeringConnections = nil
			s.LoadBalancers[0].Listeners = nil
		}, "eni-web-b", NoRouteToTarget, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := inspectionSpec()
			if c.mod != nil {
				c.mod(&s)
			}
			m := mustNew(t, s)
			src := addr("10.1.0.5")
			if c.source == "eni-web-b" {
				src = addr("10.2.0.5")
			}
			d := m.Decide(mustENI(t, m, c.source), Ingress, frame(t, tcp("203.0.113.9", src.String(), 40000, 80)))
			if !d.Mirrored {
				t.Fatalf("not mirrored: %s", d)
			}
			dl := m.Deliver(&d)
			if dl.Reason != c.want || dl.Delivered != (c.want == Delivered) || dl.Via != c.via {
				t.Fatalf("delivery %v via %q, want %v via %q (%s)", dl.Reason, dl.Via, c.want, c.via, dl)
			}
			if dl.ToVpc != "vpc-insp" {
				t.Errorf("ToVpc %q, want vpc-insp", dl.ToVpc)
			}
			if c.want == Delivered && (dl.ToId != "eni-agent" || !strings.Contains(dl.String(), "through peering connection "+c.via)) {
				t.Errorf("delivered to %s: %s", dl.ToId, dl)
			}
			if c.want == NoRouteToTarget && !strings.Contains(dl.String(), "has no route") {
				t.Errorf("explanation %q", dl)
			}
			m.CountDelivery(&d, &dl)
			if got := m.Snapshot().Sessions[d.SessionId].Delivery[c.want.String()]; got != 1 {
				t.Errorf("delivery counter %s = %d, want 1", c.want, got)
			}
		})
	}
}

func TestDeliverSameVPCHasNoVia(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	d := m.Decide(mustENI(t, m, "eni-web"), Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80)))
	dl := m.Deliver(&d)
	if !dl.Delivered || dl.Via != "" || dl.FromVpc != "vpc-1" || dl.ToVpc != "vpc-1" {
		t.Fatalf("%+v", dl)
	}
	if got := m.vpcRoute("vpc-1", "vpc-1"); got != "local" {
		t.Errorf("VpcRoute = %q", got)
	}
}

func TestValidatePeering(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(*Spec)
		field string
		code  string
		msg   string
	}{
		{"unknown VPC", func(s *Spec) { s.VpcPeeringConnections[0].AccepterVpcInfo.VpcId = "vpc-x" },
			"AccepterVpcInfo.VpcId", codes.VpcNotFound, `"vpc-x" does not exist`},
		{"unknown requester", func(s *Spec) { s.VpcPeeringConnections[0].RequesterVpcInfo.VpcId = "" },
			"RequesterVpcInfo.VpcId", codes.VpcNotFound, "does not exist"},
		{"with itself", func(s *Spec) { s.VpcPeeringConnections[0].AccepterVpcInfo.VpcId = "vpc-a" },
			"AccepterVpcInfo.VpcId", codes.InvalidParameterValue, "cannot be peered with itself"},
		{"overlapping CIDRs", func(s *Spec) {
			s.Vpcs[2].CidrBlock = "10.1.0.0/16"
			s.Subnets[2].CidrBlock = "10.1.1.16/28"
			s.NetworkInterfaces[2].PrivateIpAddress = "10.1.1.20"
			s.LoadBalancers[0].PrivateIpAddress = "10.1.1.24"
		},
			"AccepterVpcInfo.VpcId", codes.InvalidParameterValue, "overlapping CIDR blocks"},
		{"twice", func(s *Spec) {
			p := s.VpcPeeringConnections[0]
			p.VpcPeeringConnectionId = "pcx-again"
			p.RequesterVpcInfo, p.AccepterVpcInfo = p.AccepterVpcInfo, p.RequesterVpcInfo
			s.VpcPeeringConnections = append(s.VpcPeeringConnections, p)
		}, "AccepterVpcInfo.VpcId", codes.PeeringExists, "already peered by pcx-a"},
		{"duplicate id", func(s *Spec) { s.VpcPeeringConnections[1].VpcPeeringConnectionId = "pcx-a" },
			"VpcPeeringConnectionId", codes.DuplicateID, "used twice"},
		{"bad state", func(s *Spec) {
			s.VpcPeeringConnections[0].Status = &VpcPeeringConnectionStateReason{Code: "up"}
		}, "Status.Code", codes.InvalidParameterValue, `state "up"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := inspectionSpec()
			c.mod(&s)
			errs := validationErrors(t, s.Validate())
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			if e.Resource != "VpcPeeringConnection" || e.Field != c.field || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Errorf("got %v, want %s %s containing %q", e, c.field, c.code, c.msg)
			}
		})
	}
	// A pending second connection between the same VPCs is no duplicate.
	s := inspectionSpec()
	p := s.VpcPeeringConnections[0]
	p.VpcPeeringConnectionId, p.Status = "pcx-pending", &VpcPeeringConnectionStateReason{Code: PeeringPendingAcceptance}
	s.VpcPeeringConnections = append(s.VpcPeeringConnections, p)
	if err := s.Validate(); err != nil {
		t.Errorf("pending duplicate: %v", err)
	}
}

func TestDeliverAcrossPeeringDoesNotAllocate(t *testing.T) {
	m := mustNew(t, inspectionSpec())
	d := m.Decide(mustENI(t, m, "eni-web-a"), Ingress, frame(t, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
	if n := testing.AllocsPerRun(100, func() { _ = m.Deliver(&d) }); n != 0 {
		t.Errorf("Deliver allocates %v per run", n)
	}
}

// tgwSpec is inspectionSpec with a transit gateway instead of the
// peerings: app-a and the inspection VPC are attached, app-b is not.
func tgwSpec() Spec {
	s := inspectionSpec()
	s.VpcPeeringConnections = nil
	s.TransitGateways = []TransitGateway{{TransitGatewayId: "tgw-1"}}
	s.TransitGatewayVpcAttachments = []TransitGatewayVpcAttachment{
		{TransitGatewayAttachmentId: "tgw-attach-a", TransitGatewayId: "tgw-1", VpcId: "vpc-a"},
		{TransitGatewayAttachmentId: "tgw-attach-insp", TransitGatewayId: "tgw-1", VpcId: "vpc-insp"},
	}
	return s
}

func TestDeliverThroughTransitGateway(t *testing.T) {
	m := mustNew(t, tgwSpec())
	for _, c := range []struct {
		eni, src string
		want     DeliveryReason
		via      string
	}{{"eni-web-a", "10.1.0.5", Delivered, "tgw-1"}, {"eni-web-b", "10.2.0.5", NoRouteToTarget, ""}} {
		d := m.Decide(mustENI(t, m, c.eni), Ingress, frame(t, tcp("203.0.113.9", c.src, 40000, 80)))
		dl := m.Deliver(&d)
		if dl.Reason != c.want || dl.Via != c.via {
			t.Errorf("%s: %v via %q, want %v via %q (%s)", c.eni, dl.Reason, dl.Via, c.want, c.via, dl)
		}
		if c.want == Delivered && !strings.Contains(dl.String(), "through transit gateway tgw-1") {
			t.Errorf("%s: %s", c.eni, dl)
		}
	}
	if got := m.vpcRoute("vpc-insp", "vpc-a"); got != "transit gateway tgw-1" {
		t.Errorf("VpcRoute = %q", got)
	}
	// Attaching app-b too joins it (and app-a and app-b to each other).
	s := tgwSpec()
	s.TransitGatewayVpcAttachments = append(s.TransitGatewayVpcAttachments, TransitGatewayVpcAttachment{TransitGatewayAttachmentId: "tgw-attach-b", TransitGatewayId: "tgw-1", VpcId: "vpc-b"})
	m = mustNew(t, s)
	if m.vpcRoute("vpc-b", "vpc-insp") != "transit gateway tgw-1" || m.vpcRoute("vpc-a", "vpc-b") != "transit gateway tgw-1" {
		t.Errorf("routes: %q %q", m.vpcRoute("vpc-b", "vpc-insp"), m.vpcRoute("vpc-a", "vpc-b"))
	}
}

func TestValidateTransitGateway(t *testing.T) {
	cases := []struct {
		name, field, code, msg string
		mod                    func(*Spec)
	}{
		{"unknown gateway", "TransitGatewayId", codes.TransitGatewayNotFound, `"tgw-x" does not exist`,
			func(s *Spec) { s.TransitGatewayVpcAttachments[0].TransitGatewayId = "tgw-x" }},
		{"unknown VPC", "VpcId", codes.VpcNotFound, `"vpc-x" does not exist`,
			func(s *Spec) { s.TransitGatewayVpcAttachments[0].VpcId = "vpc-x" }},
		{"attached twice", "VpcId", codes.DuplicateAttachment, "already attached to transit gateway tgw-1 by tgw-attach-a",
			func(s *Spec) { s.TransitGatewayVpcAttachments[1].VpcId = "vpc-a" }},
		{"overlap", "VpcId", codes.InvalidParameterValue, "overlaps VPC vpc-a",
			func(s *Spec) {
				s.Vpcs[1].CidrBlock, s.Subnets[1].CidrBlock, s.NetworkInterfaces[1].PrivateIpAddress = "10.1.0.0/16", "10.1.1.0/28", "10.1.1.5"
				s.TransitGatewayVpcAttachments[1].VpcId = "vpc-b"
			}},
		{"peered and attached", "VpcId", codes.InvalidParameterValue, "peered by pcx-a and attached",
			func(s *Spec) { s.VpcPeeringConnections = inspectionSpec().VpcPeeringConnections[:1] }},
		{"duplicate attachment id", "TransitGatewayAttachmentId", codes.DuplicateID, "used twice",
			func(s *Spec) { s.TransitGatewayVpcAttachments[1].TransitGatewayAttachmentId = "tgw-attach-a" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := tgwSpec()
			c.mod(&s)
			errs := validationErrors(t, s.Validate())
			if len(errs) != 1 || errs[0].Resource != "TransitGatewayVpcAttachment" || errs[0].Field != c.field || errs[0].Code != c.code || !strings.Contains(errs[0].Message, c.msg) {
				t.Fatalf("got %v, want one on %s %s containing %q", errs, c.field, c.code, c.msg)
			}
		})
	}
}

func TestValidatePeeringIPv6Overlap(t *testing.T) {
	s := inspectionSpec()
	s.Vpcs[0].Ipv6CidrBlock, s.Vpcs[2].Ipv6CidrBlock = "2001:db8:1::/56", "2001:db8:1::/56"
	errs := validationErrors(t, s.Validate())
	if len(errs) != 1 || errs[0].ID != "pcx-a" || !strings.Contains(errs[0].Message, "overlapping IPv6 CIDR blocks") {
		t.Fatalf("got %v", errs)
	}
	s.Vpcs[2].Ipv6CidrBlock = "2001:db8:9::/56"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAlibabaHasNoTransitGateways(t *testing.T) {
	s := tgwSpec()
	s.Profile = "alibaba"
	s.TrafficMirrorSessions[1].SessionNumber = 2 // alibaba's session numbers are unique in the account
	errs := validationErrors(t, s.Validate())
	if len(errs) != 1 || errs[0].Resource != "TransitGateway" || errs[0].Code != codes.Unsupported {
		t.Fatalf("got %v", errs)
	}
	s = inspectionSpec()
	s.Profile = "alibaba"
	s.LoadBalancers = nil // Alibaba's CLB stands in for an NLB; peering alone is what is checked here
	s.TrafficMirrorTargets = s.TrafficMirrorTargets[1:]
	for i := range s.TrafficMirrorSessions {
		s.TrafficMirrorSessions[i].TrafficMirrorTargetId = "tmt-agent"
		s.TrafficMirrorSessions[i].SessionNumber = i + 1
	}
	m := mustNew(t, s)
	d := m.Decide(mustENI(t, m, "eni-web-a"), Ingress, frame(t, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
	if dl := m.Deliver(&d); !dl.Delivered || dl.Via != "pcx-a" {
		t.Fatalf("alibaba across a peering: %s", dl)
	}
}

// vpcRoute, for these tests, describes how VPC from reaches VPC to: "local", "peering
// connection <id>", "transit gateway <id>", or "" (no route).
func (m *Model) vpcRoute(from, to string) string {
	a, b := -1, -1
	for i, id := range m.vpcIDs {
		if id == from {
			a = i
		}
		if id == to {
			b = i
		}
	}
	p := m.path(a, b)
	switch p.kind {
	case pathLocal:
		return "local"
	case pathPeering, pathTransitGateway:
		return fmt.Sprintf("%s %s", p.viaKind(), p.via)
	}
	return ""
}
