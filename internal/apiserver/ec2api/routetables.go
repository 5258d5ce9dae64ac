package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

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
	return notFound(codes.RouteTableNotFound, "routeTable ID", id)
}

// tableRoute is a route as a table lists it: the model's, or a local
// one, with its origin and state.
type tableRoute struct {
	cloudmock.Route
	gateway, origin, state string
}

func (r tableRoute) xml() xres {
	x := res(r.Route).with(xel{"origin", r.origin}, xel{"state", r.state})
	if r.gateway != "" {
		x = x.with(xel{"gatewayId", r.gateway})
	}
	return x
}

// tableAssoc is an association as a table lists it: a subnet's, or the
// table's main association (no subnet).
type tableAssoc struct {
	cloudmock.RouteTableAssociation
	id, table string
	main      bool
}

func (a tableAssoc) xml() xres {
	return res(a.RouteTableAssociation).with(xel{"routeTableAssociationId", a.id}, xel{"routeTableId", a.table},
		xel{"main", a.main}, xel{"associationState", xmlCidrStatus{"associated"}})
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

// tableRoutes are a table's routes: the VPC's local ones, then the
// model's.
func tableRoutes(spec *cloudmock.Spec, rt *cloudmock.RouteTable) []tableRoute {
	var out []tableRoute
	if i := findVpc(spec, rt.VpcId); i >= 0 {
		out = append(out, tableRoute{Route: cloudmock.Route{DestinationCidrBlock: spec.Vpcs[i].CidrBlock}, gateway: "local", origin: "CreateRouteTable", state: "active"})
		if b := spec.Vpcs[i].Ipv6CidrBlock; b != "" {
			out = append(out, tableRoute{Route: cloudmock.Route{DestinationIpv6CidrBlock: b}, gateway: "local", origin: "CreateRouteTable", state: "active"})
		}
	}
	for _, r := range rt.Routes {
		out = append(out, tableRoute{Route: r, origin: "CreateRoute", state: routeState(spec, rt.VpcId, r)})
	}
	return out
}

// tableAssocs are a table's associations: the main one first.
func tableAssocs(rt *cloudmock.RouteTable) []tableAssoc {
	var out []tableAssoc
	if rt.Main {
		out = append(out, tableAssoc{id: assocID(rt.RouteTableId, ""), table: rt.RouteTableId, main: true})
	}
	for _, a := range rt.Associations {
		out = append(out, tableAssoc{RouteTableAssociation: a, id: assocID(rt.RouteTableId, a.SubnetId), table: rt.RouteTableId})
	}
	return out
}

func (s *Server) toXMLRouteTable(spec *cloudmock.Spec, rt *cloudmock.RouteTable, tags tagStore) xres {
	var routes, assocs []xres
	for _, r := range tableRoutes(spec, rt) {
		routes = append(routes, r.xml())
	}
	for _, a := range tableAssocs(rt) {
		assocs = append(assocs, a.xml())
	}
	return res(rt).set("Routes", routes).set("Associations", assocs).
		with(xel{"ownerId", s.cfg.AccountID}, xel{"propagatingVgwSet", []struct{}(nil)}, tagSet(tags, rt.RouteTableId))
}
