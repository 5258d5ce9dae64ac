package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Route tables are the model's (Spec.RouteTables). A VPC with none
// stored (a scenario file's) shows a main table derived from it, whose
// id is derived from the VPC's (the same at every start) and whose routes
// are the ones the model implies for it: the local routes, and the peer's
// blocks through each active peering and the other attached VPCs' blocks
// through each transit gateway. Changing such a table (a route, an
// association, a tag) first stores it as it is shown (materializeMain),
// so that the VPC's delivery does not change until a route does.

func mainRouteTableID(vpcID string) string { return derivedID("rtb", vpcID) }

// assocID is the id of a subnet's association with a table ("" subnet:
// the table's main association).
func assocID(rtb, subnet string) string {
	if subnet == "" {
		return derivedID("rtbassoc", rtb)
	}
	return derivedID("rtbassoc", rtb+"|"+subnet)
}

// routeTables lists the account's tables: the stored ones, then a derived
// main table for each VPC with no stored table.
func routeTables(spec *cloudmock.Spec) []*cloudmock.RouteTable {
	var out []*cloudmock.RouteTable
	has := map[string]bool{}
	for i := range spec.RouteTables {
		out = append(out, &spec.RouteTables[i])
		has[spec.RouteTables[i].VpcId] = true
	}
	for _, v := range spec.Vpcs {
		if !has[v.VpcId] {
			out = append(out, derivedMain(spec, &v))
		}
	}
	return out
}

// derivedMain is the main table the model implies for a VPC with none.
func derivedMain(spec *cloudmock.Spec, v *cloudmock.Vpc) *cloudmock.RouteTable {
	rt := &cloudmock.RouteTable{RouteTableId: mainRouteTableID(v.VpcId), VpcId: v.VpcId, Main: true}
	route := func(peer string, r cloudmock.Route) {
		if i := findVpc(spec, peer); i >= 0 {
			r.DestinationCidrBlock = spec.Vpcs[i].CidrBlock
			rt.Routes = append(rt.Routes, r)
			if b := spec.Vpcs[i].Ipv6CidrBlock; b != "" {
				r.DestinationCidrBlock, r.DestinationIpv6CidrBlock = "", b
				rt.Routes = append(rt.Routes, r)
			}
		}
	}
	for _, p := range spec.VpcPeeringConnections {
		if !p.Active() {
			continue
		}
		switch v.VpcId {
		case p.RequesterVpcInfo.VpcId:
			route(p.AccepterVpcInfo.VpcId, cloudmock.Route{VpcPeeringConnectionId: p.VpcPeeringConnectionId})
		case p.AccepterVpcInfo.VpcId:
			route(p.RequesterVpcInfo.VpcId, cloudmock.Route{VpcPeeringConnectionId: p.VpcPeeringConnectionId})
		}
	}
	for _, a := range spec.TransitGatewayVpcAttachments {
		if a.VpcId != v.VpcId {
			continue
		}
		for _, o := range spec.TransitGatewayVpcAttachments {
			if o.TransitGatewayId == a.TransitGatewayId && o.VpcId != v.VpcId {
				route(o.VpcId, cloudmock.Route{TransitGatewayId: a.TransitGatewayId})
			}
		}
	}
	return rt
}

// findRouteTable is the index of a stored table, -1 when absent.
func findRouteTable(spec *cloudmock.Spec, id string) int {
	return slices.IndexFunc(spec.RouteTables, func(t cloudmock.RouteTable) bool { return t.RouteTableId == id })
}

// materializeMain stores the derived main table id names, if it is one,
// so that it can be changed; it returns the table's index, -1 when id
// names no table.
func materializeMain(spec *cloudmock.Spec, id string) int {
	if i := findRouteTable(spec, id); i >= 0 {
		return i
	}
	for _, rt := range routeTables(spec) {
		if rt.RouteTableId == id {
			spec.RouteTables = append(spec.RouteTables, *rt)
			return len(spec.RouteTables) - 1
		}
	}
	return -1
}

// tableAt is materializeMain answering InvalidRouteTableID.NotFound.
func tableAt(spec *cloudmock.Spec, id string) (int, error) {
	if i := materializeMain(spec, id); i >= 0 {
		return i, nil
	}
	return -1, routeTableNotFound(id)
}

func routeTableNotFound(id string) error {
	return notFound(cloudmock.CodeRouteTableNotFound, "routeTable ID", id)
}

type xmlRoute struct {
	DestinationCidrBlock     string `xml:"destinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock string `xml:"destinationIpv6CidrBlock,omitempty"`
	GatewayId                string `xml:"gatewayId,omitempty"`
	VpcPeeringConnectionId   string `xml:"vpcPeeringConnectionId,omitempty"`
	TransitGatewayId         string `xml:"transitGatewayId,omitempty"`
	Origin                   string `xml:"origin"`
	State                    string `xml:"state"`
}

type xmlRouteTableAssoc struct {
	AssociationId string        `xml:"routeTableAssociationId"`
	RouteTableId  string        `xml:"routeTableId"`
	SubnetId      string        `xml:"subnetId,omitempty"`
	Main          bool          `xml:"main"`
	State         xmlCidrStatus `xml:"associationState"`
}

type xmlRouteTable struct {
	RouteTableId string               `xml:"routeTableId"`
	VpcId        string               `xml:"vpcId"`
	OwnerId      string               `xml:"ownerId"`
	Routes       []xmlRoute           `xml:"routeSet>item"`
	Associations []xmlRouteTableAssoc `xml:"associationSet>item"`
	Propagations []struct{}           `xml:"propagatingVgwSet>item"`
	Tags         []tag                `xml:"tagSet>item"`
}

// routeState is "active" when the route's connection carries traffic
// from the table's VPC, "blackhole" otherwise.
func routeState(spec *cloudmock.Spec, vpc string, r cloudmock.Route) string {
	if r.VpcPeeringConnectionId != "" {
		if i := findPeering(spec, r.VpcPeeringConnectionId); i >= 0 && spec.VpcPeeringConnections[i].Active() {
			return "active"
		}
		return "blackhole"
	}
	for _, a := range spec.TransitGatewayVpcAttachments {
		if a.TransitGatewayId == r.TransitGatewayId && a.VpcId == vpc {
			return "active"
		}
	}
	return "blackhole"
}

func (s *Server) toXMLRouteTable(spec *cloudmock.Spec, rt *cloudmock.RouteTable, tags tagStore) xmlRouteTable {
	x := xmlRouteTable{RouteTableId: rt.RouteTableId, VpcId: rt.VpcId, OwnerId: s.cfg.AccountID, Tags: tags.xml(rt.RouteTableId)}
	if i := findVpc(spec, rt.VpcId); i >= 0 {
		x.Routes = append(x.Routes, xmlRoute{DestinationCidrBlock: spec.Vpcs[i].CidrBlock, GatewayId: "local", Origin: "CreateRouteTable", State: "active"})
		if b := spec.Vpcs[i].Ipv6CidrBlock; b != "" {
			x.Routes = append(x.Routes, xmlRoute{DestinationIpv6CidrBlock: b, GatewayId: "local", Origin: "CreateRouteTable", State: "active"})
		}
	}
	for _, r := range rt.Routes {
		x.Routes = append(x.Routes, xmlRoute{DestinationCidrBlock: r.DestinationCidrBlock, DestinationIpv6CidrBlock: r.DestinationIpv6CidrBlock,
			VpcPeeringConnectionId: r.VpcPeeringConnectionId, TransitGatewayId: r.TransitGatewayId, Origin: "CreateRoute", State: routeState(spec, rt.VpcId, r)})
	}
	if rt.Main {
		x.Associations = append(x.Associations, xmlRouteTableAssoc{AssociationId: assocID(rt.RouteTableId, ""), RouteTableId: rt.RouteTableId, Main: true,
			State: xmlCidrStatus{"associated"}})
	}
	for _, a := range rt.Associations {
		x.Associations = append(x.Associations, xmlRouteTableAssoc{AssociationId: assocID(rt.RouteTableId, a.SubnetId), RouteTableId: rt.RouteTableId,
			SubnetId: a.SubnetId, State: xmlCidrStatus{"associated"}})
	}
	return x
}
