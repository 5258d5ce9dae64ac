package cloudmock

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// RouteTable is a VPC's route table (EC2 names). The VPC's CIDR blocks
// are always routed locally (the "local" routes EC2 lists are implied,
// not stored); Routes are the others. A subnet uses the table it is
// associated with, or its VPC's Main table.
//
// Route tables decide delivery between VPCs only for a VPC that has some:
// a copy from a subnet of such a VPC reaches a peered VPC, or one behind a
// transit gateway, only when the subnet's table (or the main one) has a
// route covering the receiver's address through that connection. A VPC
// with no route table in the Spec (every scenario file's) keeps the
// model's older rule: an active peering or a shared transit gateway
// implies the routes on both sides.
type RouteTable struct {
	RouteTableId string `json:"RouteTableId" yaml:"RouteTableId"`
	VpcId        string `json:"VpcId" yaml:"VpcId"`
	// Main marks the VPC's main table (at most one per VPC).
	Main         bool                    `json:"Main,omitempty" yaml:"Main,omitempty"`
	Associations []RouteTableAssociation `json:"Associations,omitempty" yaml:"Associations,omitempty"`
	Routes       []Route                 `json:"Routes,omitempty" yaml:"Routes,omitempty"`
}

// RouteTableAssociation ties a subnet to a route table explicitly.
type RouteTableAssociation struct {
	SubnetId string `json:"SubnetId" yaml:"SubnetId"`
}

// Route sends a destination block (IPv4 or IPv6, one of them) to a
// target: a peering connection or a transit gateway, one of them. A route
// whose connection is gone or not active is a blackhole: it matches and
// drops.
type Route struct {
	DestinationCidrBlock     string `json:"DestinationCidrBlock,omitempty" yaml:"DestinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock string `json:"DestinationIpv6CidrBlock,omitempty" yaml:"DestinationIpv6CidrBlock,omitempty"`
	VpcPeeringConnectionId   string `json:"VpcPeeringConnectionId,omitempty" yaml:"VpcPeeringConnectionId,omitempty"`
	TransitGatewayId         string `json:"TransitGatewayId,omitempty" yaml:"TransitGatewayId,omitempty"`
}

// Destination is the route's destination block, whichever family.
func (r *Route) Destination() string {
	if r.DestinationCidrBlock != "" {
		return r.DestinationCidrBlock
	}
	return r.DestinationIpv6CidrBlock
}

const resRouteTable = "RouteTable"

func (v *validator) routeTables(s *Spec) {
	seen := map[string]bool{}
	mains := map[string]string{} // VPC -> its main table
	assoc := map[string]string{} // subnet -> its table
	for i := range s.RouteTables {
		t := &s.RouteTables[i]
		id := t.RouteTableId
		v.unique(resRouteTable, "RouteTableId", id, i, seen)
		if v.r.vpcs[t.VpcId] == nil {
			v.add(resRouteTable, id, i, "VpcId", codes.VpcNotFound, "VPC %q does not exist", t.VpcId)
		}
		if t.Main {
			if other, dup := mains[t.VpcId]; dup {
				v.add(resRouteTable, id, i, "Main", codes.InvalidParameterValue, "VPC %s already has main route table %s", t.VpcId, other)
			}
			mains[t.VpcId] = id
		}
		for j, a := range t.Associations {
			f := fmt.Sprintf("Associations[%d].SubnetId", j)
			sn := v.r.subnets[a.SubnetId]
			switch {
			case sn == nil:
				v.add(resRouteTable, id, i, f, codes.SubnetNotFound, "subnet %q does not exist", a.SubnetId)
			case sn.VpcId != t.VpcId:
				v.add(resRouteTable, id, i, f, codes.InvalidParameterValue, "subnet %s is in VPC %s, route table %s in %s", a.SubnetId, sn.VpcId, id, t.VpcId)
			case assoc[a.SubnetId] != "":
				v.add(resRouteTable, id, i, f, codes.AlreadyAssociated, "subnet %s is already associated with route table %s", a.SubnetId, assoc[a.SubnetId])
			}
			assoc[a.SubnetId] = id
		}
		v.routes(t, i)
	}
}

// routes checks a table's routes: one destination and one target each,
// no destination twice, none inside the VPC's own blocks (the local
// routes).
func (v *validator) routes(t *RouteTable, i int) {
	dests := map[netip.Prefix]bool{}
	var local []netip.Prefix
	if vpc := v.r.vpcs[t.VpcId]; vpc != nil {
		for _, c := range []string{vpc.CidrBlock, vpc.Ipv6CidrBlock} {
			if p, err := netip.ParsePrefix(c); err == nil {
				local = append(local, p)
			}
		}
	}
	for j, r := range t.Routes {
		f := fmt.Sprintf("Routes[%d]", j)
		var p netip.Prefix
		var ok bool
		switch {
		case (r.DestinationCidrBlock == "") == (r.DestinationIpv6CidrBlock == ""):
			v.add(resRouteTable, t.RouteTableId, i, f+".DestinationCidrBlock", codes.InvalidParameterCombination, "give one of DestinationCidrBlock and DestinationIpv6CidrBlock")
		case r.DestinationCidrBlock != "":
			p, ok = v.prefix(resRouteTable, t.RouteTableId, i, f+".DestinationCidrBlock", r.DestinationCidrBlock, 4)
		default:
			p, ok = v.prefix(resRouteTable, t.RouteTableId, i, f+".DestinationIpv6CidrBlock", r.DestinationIpv6CidrBlock, 6)
		}
		if (r.VpcPeeringConnectionId == "") == (r.TransitGatewayId == "") {
			v.add(resRouteTable, t.RouteTableId, i, f+".VpcPeeringConnectionId", codes.InvalidParameterCombination, "give one target: VpcPeeringConnectionId or TransitGatewayId")
		}
		if !ok {
			continue
		}
		p = p.Masked()
		if dests[p] {
			v.add(resRouteTable, t.RouteTableId, i, f, codes.RouteExists, "the route table already has a route for %s", p)
		}
		dests[p] = true
		for _, l := range local {
			if l.Overlaps(p) && p.Bits() >= l.Bits() {
				v.add(resRouteTable, t.RouteTableId, i, f, codes.InvalidParameterValue,
					"the destination %s is equal to or more specific than the VPC's block %s, routed locally", p, l)
			}
		}
	}
}
