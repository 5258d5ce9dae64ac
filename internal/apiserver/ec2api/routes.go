package ec2api

import (
	"net/netip"
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type routeChange int

const (
	routeCreate routeChange = iota
	routeReplace
	routeDelete
)

const codeRouteNotFound = "InvalidRoute.NotFound"

// routeTargetsUnsupported are CreateRoute's targets the model does not
// route through.
var routeTargetsUnsupported = []string{"GatewayId", "NatGatewayId", "NetworkInterfaceId", "InstanceId", "VpcEndpointId",
	"EgressOnlyInternetGatewayId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn", "DestinationPrefixListId", "OdbNetworkArn"}

// readRoute reads a route's destination and, unless it is deleted, its
// target (a peering connection or a transit gateway).
func (c *call) readRoute(op routeChange) (cloudmock.Route, error) {
	var r cloudmock.Route
	r.DestinationCidrBlock, _ = c.p.str("DestinationCidrBlock")
	r.DestinationIpv6CidrBlock, _ = c.p.str("DestinationIpv6CidrBlock")
	if r.DestinationCidrBlock == "" && r.DestinationIpv6CidrBlock == "" {
		return r, errMissing("DestinationCidrBlock")
	}
	if op == routeDelete {
		return r, nil
	}
	for _, p := range routeTargetsUnsupported {
		if _, ok := c.p.str(p); ok {
			return r, errorf(codeUnsupported, "Routes through %s are not emulated: give VpcPeeringConnectionId or TransitGatewayId.", p)
		}
	}
	r.VpcPeeringConnectionId, _ = c.p.str("VpcPeeringConnectionId")
	r.TransitGatewayId, _ = c.p.str("TransitGatewayId")
	if r.VpcPeeringConnectionId == "" && r.TransitGatewayId == "" {
		return r, errMissing("VpcPeeringConnectionId")
	}
	return r, nil
}

// sameDestination says whether two routes have the same destination.
func sameDestination(a, b cloudmock.Route) bool {
	p, err1 := netip.ParsePrefix(a.Destination())
	q, err2 := netip.ParsePrefix(b.Destination())
	if err1 != nil || err2 != nil {
		return a.Destination() == b.Destination()
	}
	return p.Masked() == q.Masked()
}

// checkRouteTarget answers the NotFound of a route's connection.
func checkRouteTarget(spec *cloudmock.Spec, r cloudmock.Route) error {
	if r.VpcPeeringConnectionId != "" && findPeering(spec, r.VpcPeeringConnectionId) < 0 {
		return peeringNotFound(r.VpcPeeringConnectionId)
	}
	if r.TransitGatewayId != "" && findTransitGateway(spec, r.TransitGatewayId) < 0 {
		return notFound(codes.TransitGatewayNotFound, "transit gateway ID", r.TransitGatewayId)
	}
	return nil
}

// changeRoute serves CreateRoute, ReplaceRoute and DeleteRoute. A second
// route to a destination is the model's RouteAlreadyExists.
func (s *Server) changeRoute(op routeChange) actionFunc {
	return func(c *call) (any, error) {
		var r cloudmock.Route
		return mutateTable(c, func() error {
			var err error
			r, err = c.readRoute(op)
			return err
		}, func(st *state, i int) (any, error) {
			if err := checkRouteTarget(&st.spec, r); op != routeDelete && err != nil {
				return nil, err
			}
			rt := &st.spec.RouteTables[i]
			j := slices.IndexFunc(rt.Routes, func(x cloudmock.Route) bool { return sameDestination(x, r) })
			switch {
			case op == routeCreate:
				rt.Routes = append(rt.Routes, r)
				if err := st.quota(cloudmock.KindRouteTable+"/routes", rt.RouteTableId); err != nil {
					return nil, err
				}
			case j < 0:
				return nil, errorf(codeRouteNotFound, "no route with destination-cidr-block %s in route table %s", r.Destination(), rt.RouteTableId)
			case op == routeReplace:
				rt.Routes[j] = r
			default:
				rt.Routes = slices.Delete(rt.Routes, j, j+1)
			}
			return returnResult{true}, nil
		})
	}
}
