package cloudmock

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// routeTable is a compiled RouteTable: the routes longest prefix first,
// each with where it leads from the table's VPC.
type routeTable struct {
	routes []route
}

// route is one compiled route: a destination and the path it takes. A
// blackhole (a connection gone, not active, or not joining the table's
// VPC) has kind pathNone.
type route struct {
	dst netip.Prefix
	// v4, base and mask: an IPv4 destination as integers, for the
	// packet path (a table holds up to 50 routes, scanned in order).
	v4         bool
	base, mask uint32
	path       vpcPath
	// peer is the VPC (index) a peering route reaches; attached are the
	// VPCs a transit gateway route reaches.
	peer     int
	attached map[int]bool
}

// addRoutes gives every ENI of a VPC with route tables in the Spec the
// table of its subnet (its association, else the VPC's main table, else
// none: local routes only). ENIs of other VPCs keep routes nil: the
// model's older rule (connections imply routes) applies to them.
func (m *Model) addRoutes(s *Spec) {
	if len(s.RouteTables) == 0 {
		return
	}
	idx := map[string]int{}
	for i, id := range m.vpcIDs {
		idx[id] = i
	}
	bySubnet, main := map[string]*routeTable{}, map[string]*routeTable{}
	for i := range s.RouteTables {
		t := &s.RouteTables[i]
		c := compileRouteTable(s, t, idx)
		if t.Main {
			main[t.VpcId] = c
		} else if _, ok := main[t.VpcId]; !ok {
			main[t.VpcId] = nil // the VPC has tables
		}
		for _, a := range t.Associations {
			bySubnet[a.SubnetId] = c
		}
	}
	for i := range s.NetworkInterfaces {
		sn := s.NetworkInterfaces[i].SubnetId
		vpc := ""
		if j := slices.IndexFunc(s.Subnets, func(x Subnet) bool { return x.SubnetId == sn }); j >= 0 {
			vpc = s.Subnets[j].VpcId
		}
		t, has := main[vpc]
		if !has {
			continue
		}
		if a, ok := bySubnet[sn]; ok {
			t = a
		}
		if t == nil {
			t = &routeTable{}
		}
		m.enis[i].routes = t
	}
}

// compileRouteTable compiles a table's routes (idx: VPC id -> index).
func compileRouteTable(s *Spec, t *RouteTable, idx map[string]int) *routeTable {
	from, ok := idx[t.VpcId]
	c := &routeTable{}
	for _, r := range t.Routes {
		dst, err := netip.ParsePrefix(r.Destination())
		if err != nil || !ok {
			continue // reported by validation
		}
		cr := route{dst: dst.Masked(), peer: -1}
		if a := cr.dst.Addr(); a.Is4() {
			b := a.As4()
			cr.v4, cr.base, cr.mask = true, binary.BigEndian.Uint32(b[:]), ^uint32(0)<<(32-cr.dst.Bits())
			if cr.dst.Bits() == 0 {
				cr.mask = 0
			}
		}
		if r.VpcPeeringConnectionId != "" {
			cr.path, cr.peer = peeringRoute(s, r.VpcPeeringConnectionId, t.VpcId, idx)
		} else {
			cr.path, cr.attached = transitRoute(s, r.TransitGatewayId, from, idx)
		}
		c.routes = append(c.routes, cr)
	}
	slices.SortStableFunc(c.routes, func(a, b route) int { return cmp.Compare(b.dst.Bits(), a.dst.Bits()) })
	return c
}

// peeringRoute is where a route through a peering leads from VPC vpc.
func peeringRoute(s *Spec, id, vpc string, idx map[string]int) (vpcPath, int) {
	for _, p := range s.VpcPeeringConnections {
		if p.VpcPeeringConnectionId != id || !p.Active() {
			continue
		}
		a, b := p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId
		if a == vpc {
			return vpcPath{kind: pathPeering, via: id}, idx[b]
		}
		if b == vpc {
			return vpcPath{kind: pathPeering, via: id}, idx[a]
		}
	}
	return vpcPath{}, -1
}

// transitRoute is where a route through a transit gateway leads from VPC
// index from: every other VPC attached to it, if from is attached.
func transitRoute(s *Spec, id string, from int, idx map[string]int) (vpcPath, map[int]bool) {
	on := map[int]bool{}
	for _, a := range s.TransitGatewayVpcAttachments {
		if a.TransitGatewayId == id {
			on[idx[a.VpcId]] = true
		}
	}
	if !on[from] {
		return vpcPath{}, nil
	}
	return vpcPath{kind: pathTransitGateway, via: id}, on
}

// lookup is the path a copy to addr, bound for VPC index to, takes: the
// longest matching route's, if it leads to that VPC; none otherwise.
func (t *routeTable) lookup(addr netip.Addr, to int) vpcPath {
	var a4 uint32
	is4 := addr.Is4()
	if is4 {
		b := addr.As4()
		a4 = binary.BigEndian.Uint32(b[:])
	}
	for i := range t.routes {
		r := &t.routes[i]
		if r.v4 != is4 || (is4 && a4&r.mask != r.base) || (!is4 && !r.dst.Contains(addr)) {
			continue
		}
		if (r.path.kind == pathPeering && r.peer == to) || (r.path.kind == pathTransitGateway && r.attached[to]) {
			return r.path
		}
		return vpcPath{} // the route leads elsewhere, or is a blackhole
	}
	return vpcPath{}
}
