package ec2api

import "github.com/mirrorlab/mirrorlab/cloudmock"

func (s *Server) routeTableFilters(spec *cloudmock.Spec) filterFields[*cloudmock.RouteTable] {
	type R = *cloudmock.RouteTable
	routes := func(f func(tableRoute) string) func(R) []string {
		return func(rt R) []string {
			var out []string
			for _, r := range tableRoutes(spec, rt) {
				out = append(out, one(f(r))...)
			}
			return out
		}
	}
	assocs := func(f func(tableAssoc) []string) func(R) []string {
		return func(rt R) []string {
			var out []string
			for _, a := range tableAssocs(rt) {
				out = append(out, f(a)...)
			}
			return out
		}
	}
	return filterFields[R]{
		"association.main":       assocs(func(a tableAssoc) []string { return tf(a.main) }),
		"association.gateway-id": func(R) []string { return nil }, // no gateway route tables

		"association.route-table-association-id": assocs(func(a tableAssoc) []string { return one(a.id) }),
		"association.route-table-id":             assocs(func(a tableAssoc) []string { return one(a.table) }),
		"association.subnet-id":                  assocs(func(a tableAssoc) []string { return one(a.SubnetId) }),
		"owner-id":                               func(R) []string { return one(s.cfg.AccountID) },
		"route-table-id":                         func(rt R) []string { return one(rt.RouteTableId) },
		"route.destination-cidr-block":           routes(func(r tableRoute) string { return r.DestinationCidrBlock }),
		"route.destination-ipv6-cidr-block":      routes(func(r tableRoute) string { return r.DestinationIpv6CidrBlock }),
		"route.gateway-id":                       routes(func(r tableRoute) string { return r.gateway }),
		"route.origin":                           routes(func(r tableRoute) string { return r.origin }),
		"route.state":                            routes(func(r tableRoute) string { return r.state }),
		"route.transit-gateway-id":               routes(func(r tableRoute) string { return r.TransitGatewayId }),
		"route.vpc-peering-connection-id":        routes(func(r tableRoute) string { return r.VpcPeeringConnectionId }),
		"vpc-id":                                 func(rt R) []string { return one(rt.VpcId) },
	}
}

// describeRouteTables answers the route tables of RouteTableId.N (an
// unknown one is InvalidRouteTableID.NotFound), filtered, paged
// (MaxResults 5-100).
func (s *Server) describeRouteTables(c *call) (any, error) {
	q, err := c.readDescribePage("RouteTableId", 100)
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		all := routeTables(spec)
		items, next, err := pickByID(q, all, nil, routeTableNotFound, refFields(s.routeTableFilters(spec)),
			func(rt **cloudmock.RouteTable) string { return (*rt).RouteTableId }, tags)
		if err != nil {
			return nil, err
		}
		out := listResult{set: "routeTableSet", next: next}
		for _, rt := range items {
			out.items = append(out.items, s.toXMLRouteTable(spec, *rt, tags))
		}
		return out, nil
	})
}

// refFields adapts filter fields of *T to items held as **T.
func refFields[T any](f filterFields[*T]) filterFields[**T] {
	out := make(filterFields[**T], len(f))
	for k, fn := range f {
		out[k] = func(x **T) []string { return fn(*x) }
	}
	return out
}
