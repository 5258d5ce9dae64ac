package cloudmock

import (
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// With route tables, a copy crosses a peering or a transit gateway only
// where the source subnet's table (or its VPC's main table) routes the
// target's address through it; without any (every scenario file), the
// connection implies the routes, as before.
func TestDeliverFollowsRouteTables(t *testing.T) {
	toInsp := func(via string) Route {
		r := Route{DestinationCidrBlock: "10.9.0.0/24"}
		if via[:3] == "pcx" {
			r.VpcPeeringConnectionId = via
		} else {
			r.TransitGatewayId = via
		}
		return r
	}
	mainOfA := func(routes ...Route) func(*Spec) {
		return func(s *Spec) {
			s.RouteTables = append(s.RouteTables, RouteTable{RouteTableId: "rtb-a", VpcId: "vpc-a", Main: true, Routes: routes})
		}
	}
	cases := []struct {
		name string
		mod  func(*Spec)
		want DeliveryReason
		via  string
	}{
		{"no route tables: the peering implies the route", nil, Delivered, "pcx-a"},
		{"a main table with the route", mainOfA(toInsp("pcx-a")), Delivered, "pcx-a"},
		{"a main table without it", mainOfA(), NoRouteToTarget, ""},
		{"a route that covers another block only", mainOfA(Route{DestinationCidrBlock: "10.9.1.0/24", VpcPeeringConnectionId: "pcx-a"}), NoRouteToTarget, ""},
		{"a route through a peering of other VPCs", mainOfA(toInsp("pcx-b")), NoRouteToTarget, ""},
		{"a route through a deleted peering is a blackhole", func(s *Spec) {
			mainOfA(toInsp("pcx-a"))(s)
			s.VpcPeeringConnections = s.VpcPeeringConnections[1:]
		}, NoRouteToTarget, ""},
		{"the most specific route decides", mainOfA(toInsp("pcx-a"), Route{DestinationCidrBlock: "10.9.0.16/28", VpcPeeringConnectionId: "pcx-gone"}), NoRouteToTarget, ""},
		{"the subnet's own table comes before the main one", func(s *Spec) {
			mainOfA()(s)
			s.RouteTables = append(s.RouteTables, RouteTable{RouteTableId: "rtb-web", VpcId: "vpc-a",
				Associations: []RouteTableAssociation{{SubnetId: "subnet-a"}}, Routes: []Route{toInsp("pcx-a")}})
		}, Delivered, "pcx-a"},
		{"a VPC with tables but no main one routes locally only", func(s *Spec) {
			s.RouteTables = []RouteTable{{RouteTableId: "rtb-other", VpcId: "vpc-a"}}
		}, NoRouteToTarget, ""},
		{"the target VPC's tables do not matter", func(s *Spec) {
			s.RouteTables = []RouteTable{{RouteTableId: "rtb-insp", VpcId: "vpc-insp", Main: true}}
		}, Delivered, "pcx-a"},
		{"a transit gateway route", func(s *Spec) {
			s.VpcPeeringConnections = nil
			s.TransitGateways = []TransitGateway{{TransitGatewayId: "tgw-1"}}
			s.TransitGatewayVpcAttachments = []TransitGatewayVpcAttachment{
				{TransitGatewayAttachmentId: "tgw-attach-a", TransitGatewayId: "tgw-1", VpcId: "vpc-a"},
				{TransitGatewayAttachmentId: "tgw-attach-i", TransitGatewayId: "tgw-1", VpcId: "vpc-insp"}}
			mainOfA(toInsp("tgw-1"))(s)
		}, Delivered, "tgw-1"},
		{"a transit gateway the source VPC is not attached to", func(s *Spec) {
			s.VpcPeeringConnections = nil
			s.TransitGateways = []TransitGateway{{TransitGatewayId: "tgw-1"}}
			s.TransitGatewayVpcAttachments = []TransitGatewayVpcAttachment{{TransitGatewayAttachmentId: "tgw-attach-i", TransitGatewayId: "tgw-1", VpcId: "vpc-insp"}}
			mainOfA(toInsp("tgw-1"))(s)
		}, NoRouteToTarget, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := inspectionSpec()
			if c.mod != nil {
				c.mod(&s)
			}
			m := mustNew(t, s)
			d := m.Decide(mustENI(t, m, "eni-web-a"), Ingress, frame(t, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
			dl := m.Deliver(&d)
			if dl.Reason != c.want || dl.Via != c.via {
				t.Fatalf("delivery %v via %q, want %v via %q (%s)", dl.Reason, dl.Via, c.want, c.via, dl)
			}
		})
	}
}

// The route table lookup is on the packet path: it allocates nothing.
func TestDeliverThroughRouteTableDoesNotAllocate(t *testing.T) {
	s := inspectionSpec()
	s.RouteTables = []RouteTable{{RouteTableId: "rtb-a", VpcId: "vpc-a", Main: true, Routes: []Route{
		{DestinationCidrBlock: "10.9.0.128/25", VpcPeeringConnectionId: "pcx-a"},
		{DestinationCidrBlock: "10.9.0.0/24", VpcPeeringConnectionId: "pcx-a"}}}}
	m := mustNew(t, s)
	d := m.Decide(mustENI(t, m, "eni-web-a"), Ingress, frame(t, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
	if dl := m.Deliver(&d); !dl.Delivered {
		t.Fatalf("not delivered: %s", dl)
	}
	if n := testing.AllocsPerRun(100, func() { _ = m.Deliver(&d) }); n != 0 {
		t.Errorf("Deliver allocates %v per run", n)
	}
}

// BenchmarkDeliverRouteTable measures a delivery decided by a route
// table of 50 routes (EC2's quota), the matching one last.
func BenchmarkDeliverRouteTable(b *testing.B) {
	s := inspectionSpec()
	rt := RouteTable{RouteTableId: "rtb-a", VpcId: "vpc-a", Main: true}
	for i := range 49 {
		rt.Routes = append(rt.Routes, Route{DestinationCidrBlock: fmt.Sprintf("172.16.%d.0/24", i), VpcPeeringConnectionId: "pcx-a"})
	}
	rt.Routes = append(rt.Routes, Route{DestinationCidrBlock: "10.9.0.0/16", VpcPeeringConnectionId: "pcx-a"})
	s.RouteTables = []RouteTable{rt}
	m := mustNew(b, s)
	d := m.Decide(mustENI(b, m, "eni-web-a"), Ingress, frame(b, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Deliver(&d)
	}
}

// BenchmarkDeliverImpliedRoute is the same delivery with no route table
// (the peering implies the route), for comparison.
func BenchmarkDeliverImpliedRoute(b *testing.B) {
	m := mustNew(b, inspectionSpec())
	d := m.Decide(mustENI(b, m, "eni-web-a"), Ingress, frame(b, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Deliver(&d)
	}
}

// Copies carried over IPv6 (source and target ENIs with primary IPv6
// addresses) follow the IPv6 routes: an IPv4 route to the peer does not
// carry them.
func TestDeliverFollowsIPv6Routes(t *testing.T) {
	dual := func(v4Only bool) Spec {
		s := inspectionSpec()
		s.Vpcs[0].Ipv6CidrBlock, s.Vpcs[2].Ipv6CidrBlock = "2600:1f18:1:100::/56", "2600:1f18:1:900::/56"
		s.Subnets[0].Ipv6CidrBlock, s.Subnets[2].Ipv6CidrBlock = "2600:1f18:1:100::/64", "2600:1f18:1:900::/64"
		s.NetworkInterfaces[0].Ipv6Address, s.NetworkInterfaces[0].EnablePrimaryIpv6 = "2600:1f18:1:100::5", true
		s.NetworkInterfaces[2].Ipv6Address, s.NetworkInterfaces[2].EnablePrimaryIpv6 = "2600:1f18:1:900::20", true
		s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
		s.NetworkAcls[0].Entries = append(s.NetworkAcls[0].Entries, NetworkAclEntry{RuleNumber: 120, Protocol: "udp", RuleAction: "allow",
			Ipv6CidrBlock: "::/0", PortRange: &PortRange{From: encap.VXLANPort, To: encap.VXLANPort}})
		s.TrafficMirrorSessions[0].TrafficMirrorTargetId = "tmt-agent"
		r := Route{DestinationIpv6CidrBlock: "2600:1f18:1:900::/56", VpcPeeringConnectionId: "pcx-a"}
		if v4Only {
			r = Route{DestinationCidrBlock: "10.9.0.0/24", VpcPeeringConnectionId: "pcx-a"}
		}
		s.RouteTables = []RouteTable{{RouteTableId: "rtb-a", VpcId: "vpc-a", Main: true, Routes: []Route{r}}}
		return s
	}
	for _, c := range []struct {
		v4Only bool
		want   DeliveryReason
	}{{false, Delivered}, {true, NoRouteToTarget}} {
		m := mustNew(t, dual(c.v4Only))
		d := m.Decide(mustENI(t, m, "eni-web-a"), Ingress, frame(t, tcp("203.0.113.9", "10.1.0.5", 40000, 80)))
		if !d.Outer.Dst.Is6() {
			t.Fatalf("the copy is not carried over IPv6: %v", d.Outer)
		}
		if dl := m.Deliver(&d); dl.Reason != c.want {
			t.Errorf("IPv4 route only %v: %v, want %v (%s)", c.v4Only, dl.Reason, c.want, dl)
		}
	}
}
