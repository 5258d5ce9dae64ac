package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Route tables, read-only: the model has none, and delivers inside a VPC
// (and across the peerings and transit gateways it holds) without them.
// Every VPC has its main route table, with the local routes of its
// blocks; its id is derived from the VPC's, so it is the same at every
// start. Subnets use it implicitly, which EC2 does not list as
// associations. Creating tables and routes is not served yet.

// mainRouteTable is a VPC's main route table.
type mainRouteTable struct {
	id  string
	vpc *cloudmock.Vpc
}

func mainRouteTableID(vpcID string) string { return derivedID("rtb", vpcID) }

type xmlRoute struct {
	DestinationCidrBlock     string `xml:"destinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock string `xml:"destinationIpv6CidrBlock,omitempty"`
	GatewayId                string `xml:"gatewayId"`
	Origin                   string `xml:"origin"`
	State                    string `xml:"state"`
}

type xmlRouteTableAssoc struct {
	AssociationId string        `xml:"routeTableAssociationId"`
	RouteTableId  string        `xml:"routeTableId"`
	Main          bool          `xml:"main"`
	State         xmlCidrStatus `xml:"associationState"`
}

type xmlRouteTable struct {
	RouteTableId string               `xml:"routeTableId"`
	VpcId        string               `xml:"vpcId"`
	OwnerId      string               `xml:"ownerId"`
	Routes       []xmlRoute           `xml:"routeSet>item"`
	Associations []xmlRouteTableAssoc `xml:"associationSet>item"`
	Tags         []tag                `xml:"tagSet>item"`
}

func (s *Server) toXMLRouteTable(rt *mainRouteTable, tags tagStore) xmlRouteTable {
	x := xmlRouteTable{
		RouteTableId: rt.id, VpcId: rt.vpc.VpcId, OwnerId: s.cfg.AccountID, Tags: tags.xml(rt.id),
		Routes: []xmlRoute{{DestinationCidrBlock: rt.vpc.CidrBlock, GatewayId: "local", Origin: "CreateRouteTable", State: "active"}},
		Associations: []xmlRouteTableAssoc{{AssociationId: derivedID("rtbassoc", rt.id), RouteTableId: rt.id, Main: true,
			State: xmlCidrStatus{"associated"}}},
	}
	if rt.vpc.Ipv6CidrBlock != "" {
		x.Routes = append(x.Routes, xmlRoute{DestinationIpv6CidrBlock: rt.vpc.Ipv6CidrBlock, GatewayId: "local", Origin: "CreateRouteTable", State: "active"})
	}
	return x
}

func (s *Server) routeTableFilters(tags tagStore) filterFields[*mainRouteTable] {
	type R = *mainRouteTable
	routes := func(f func(xmlRoute) string) func(R) []string {
		return func(rt R) []string {
			var out []string
			for _, r := range s.toXMLRouteTable(rt, tags).Routes {
				out = append(out, one(f(r))...)
			}
			return out
		}
	}
	return filterFields[R]{
		"association.main":                       func(R) []string { return tf(true) },
		"association.route-table-association-id": func(rt R) []string { return one(derivedID("rtbassoc", rt.id)) },
		"association.route-table-id":             func(rt R) []string { return one(rt.id) },
		"association.subnet-id":                  func(R) []string { return nil },
		"owner-id":                               func(R) []string { return one(s.cfg.AccountID) },
		"route-table-id":                         func(rt R) []string { return one(rt.id) },
		"route.destination-cidr-block":           routes(func(r xmlRoute) string { return r.DestinationCidrBlock }),
		"route.destination-ipv6-cidr-block":      routes(func(r xmlRoute) string { return r.DestinationIpv6CidrBlock }),
		"route.gateway-id":                       routes(func(r xmlRoute) string { return r.GatewayId }),
		"route.origin":                           routes(func(r xmlRoute) string { return r.Origin }),
		"route.state":                            routes(func(r xmlRoute) string { return r.State }),
		"vpc-id":                                 func(rt R) []string { return one(rt.vpc.VpcId) },
	}
}

type describeRouteTablesResult struct {
	RouteTables []xmlRouteTable `xml:"routeTableSet>item"`
	NextToken   string          `xml:"nextToken,omitempty"`
}

// describeRouteTables answers the VPCs' main route tables: those of
// RouteTableId.N (an unknown one is InvalidRouteTableID.NotFound),
// filtered, paged (MaxResults 5-100).
func (s *Server) describeRouteTables(c *call) (any, error) {
	q, err := c.readDescribePage("RouteTableId", 100)
	if err != nil {
		return nil, err
	}
	ids, fs, pg := q.ids, q.fs, q.pg
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		var all []*mainRouteTable
		for i := range spec.Vpcs {
			all = append(all, &mainRouteTable{id: mainRouteTableID(spec.Vpcs[i].VpcId), vpc: &spec.Vpcs[i]})
		}
		known := func(id string) bool {
			return slices.ContainsFunc(all, func(rt *mainRouteTable) bool { return rt.id == id })
		}
		if err := idsExist(ids, known, "InvalidRouteTableID.NotFound", "routeTable ID"); err != nil {
			return nil, err
		}
		items := slices.DeleteFunc(all, func(rt *mainRouteTable) bool { return len(ids) > 0 && !slices.Contains(ids, rt.id) })
		id := func(rt *mainRouteTable) string { return rt.id }
		items, err := applyFilters(items, fs, s.routeTableFilters(tags), id, tags)
		if err != nil {
			return nil, err
		}
		items, next := page(pg, items, id)
		out := describeRouteTablesResult{NextToken: next}
		for _, rt := range items {
			out.RouteTables = append(out.RouteTables, s.toXMLRouteTable(rt, tags))
		}
		return out, nil
	})
}
