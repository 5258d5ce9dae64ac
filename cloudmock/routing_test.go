package cloudmock

import "testing"

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
