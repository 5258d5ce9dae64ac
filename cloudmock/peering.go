package cloudmock

import (
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// VpcPeeringConnection joins two VPCs of the account (intra-Region): each
// routes the other's CIDR through it while it is active. For a VPC with no
// route table in the Spec (every scenario file's), the model takes an
// active peering as implying the route table entries on both sides (the
// whole peer CIDR); a VPC with route tables routes through the peering
// only what its tables say (RouteTable, routing.go). Mirrored copies
// follow the source VPC's routes, as AWS sends them ("using the source VPC
// route table"), so a target in another VPC is reachable only through an
// active peering (or a transit gateway both VPCs are attached to).
type VpcPeeringConnection struct {
	VpcPeeringConnectionId string `json:"VpcPeeringConnectionId" yaml:"VpcPeeringConnectionId"`
	// RequesterVpcInfo and AccepterVpcInfo name the two VPCs.
	RequesterVpcInfo VpcPeeringConnectionVpcInfo `json:"RequesterVpcInfo" yaml:"RequesterVpcInfo"`
	AccepterVpcInfo  VpcPeeringConnectionVpcInfo `json:"AccepterVpcInfo" yaml:"AccepterVpcInfo"`
	// Status is the connection's state; nil means active.
	Status *VpcPeeringConnectionStateReason `json:"Status,omitempty" yaml:"Status,omitempty"`
}

// VpcPeeringConnectionVpcInfo is one side of a peering connection.
type VpcPeeringConnectionVpcInfo struct {
	VpcId string `json:"VpcId" yaml:"VpcId"`
}

// VpcPeeringConnectionStateReason is a peering connection's state (EC2
// names): Code is "active", "pending-acceptance", "rejected", "failed",
// "expired", "deleted", ... Only an active connection carries traffic.
type VpcPeeringConnectionStateReason struct {
	Code    string `json:"Code" yaml:"Code"`
	Message string `json:"Message,omitempty" yaml:"Message,omitempty"`
}

// Peering connection states.
const (
	PeeringActive            = "active"
	PeeringPendingAcceptance = "pending-acceptance"
)

var peeringStates = map[string]bool{
	"initiating-request": true, PeeringPendingAcceptance: true, PeeringActive: true, "deleted": true,
	"rejected": true, "failed": true, "expired": true, "provisioning": true, "deleting": true,
}

// Active reports whether the connection carries traffic.
func (p *VpcPeeringConnection) Active() bool {
	return p.Status == nil || p.Status.Code == PeeringActive
}

func (v *validator) peerings(s *Spec) {
	const res = "VpcPeeringConnection"
	seen := map[string]bool{}
	pairs := map[[2]string]string{}
	for i := range s.VpcPeeringConnections {
		p := &s.VpcPeeringConnections[i]
		id := p.VpcPeeringConnectionId
		v.unique(res, "VpcPeeringConnectionId", id, i, seen)
		var cidr [2]netip.Prefix
		ok := true
		for k, side := range [2]string{p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId} {
			field := [2]string{"RequesterVpcInfo.VpcId", "AccepterVpcInfo.VpcId"}[k]
			vpc := v.r.vpcs[side]
			if vpc == nil {
				v.add(res, id, i, field, codes.VpcNotFound, "VPC %q does not exist", side)
				ok = false
				continue
			}
			c, err := netip.ParsePrefix(vpc.CidrBlock)
			if err != nil {
				ok = false // reported on the VPC
			}
			cidr[k] = c
		}
		if p.Status != nil && !peeringStates[p.Status.Code] {
			v.add(res, id, i, "Status.Code", codes.InvalidParameterValue, "state %q is not active, pending-acceptance, rejected, failed, expired, deleted, ...", p.Status.Code)
		}
		if !ok {
			continue
		}
		a, b := p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId
		if a == b {
			v.add(res, id, i, "AccepterVpcInfo.VpcId", codes.InvalidParameterValue, "a VPC cannot be peered with itself (%s)", a)
			continue
		}
		if cidr[0].Overlaps(cidr[1]) {
			v.add(res, id, i, "AccepterVpcInfo.VpcId", codes.InvalidParameterValue,
				"VPCs %s (%s) and %s (%s) have overlapping CIDR blocks: they cannot be peered", a, cidr[0], b, cidr[1])
		} else if x, y, over := ipv6Overlap(v.r.vpcs[a], v.r.vpcs[b]); over {
			v.add(res, id, i, "AccepterVpcInfo.VpcId", codes.InvalidParameterValue,
				"VPCs %s (%s) and %s (%s) have overlapping IPv6 CIDR blocks: they cannot be peered", a, x, b, y)
		}
		if !p.Active() {
			continue
		}
		key := [2]string{min(a, b), max(a, b)}
		if other, dup := pairs[key]; dup {
			v.add(res, id, i, "AccepterVpcInfo.VpcId", codes.PeeringExists, "VPCs %s and %s are already peered by %s", a, b, other)
		}
		pairs[key] = id
	}
}

// ipv6Overlap reports whether two dual-stack VPCs' IPv6 blocks overlap.
func ipv6Overlap(a, b *Vpc) (x, y netip.Prefix, over bool) {
	x, errA := netip.ParsePrefix(a.Ipv6CidrBlock)
	y, errB := netip.ParsePrefix(b.Ipv6CidrBlock)
	return x, y, errA == nil && errB == nil && x.Overlaps(y)
}

// pathKind is how a copy leaves the source VPC for the receiver's.
type pathKind uint8

const (
	pathNone  pathKind = iota // no route
	pathLocal                 // the same VPC
	pathPeering
	pathTransitGateway
)

// vpcPath is the route from one VPC to another: the connection's id.
type vpcPath struct {
	kind pathKind
	via  string
}

// buildPaths fills m.paths: for every ordered pair of VPCs (by index in
// the Spec), the route between them. A VPC reaches itself; peered VPCs
// reach each other through their active peering (peering is not
// transitive, as on AWS).
func (m *Model) buildPaths(s *Spec) {
	n := len(s.Vpcs)
	m.vpcIDs = make([]string, n)
	idx := map[string]int{}
	for i, x := range s.Vpcs {
		m.vpcIDs[i] = x.VpcId
		idx[x.VpcId] = i
	}
	m.paths = make([][]vpcPath, n)
	for i := range m.paths {
		m.paths[i] = make([]vpcPath, n)
		m.paths[i][i] = vpcPath{kind: pathLocal}
	}
	for i := range s.VpcPeeringConnections {
		p := &s.VpcPeeringConnections[i]
		if !p.Active() {
			continue
		}
		a, b := idx[p.RequesterVpcInfo.VpcId], idx[p.AccepterVpcInfo.VpcId]
		if m.paths[a][b].kind == pathNone {
			m.paths[a][b] = vpcPath{kind: pathPeering, via: p.VpcPeeringConnectionId}
			m.paths[b][a] = m.paths[a][b]
		}
	}
	m.addTransitGatewayPaths(s, idx)
}

// path returns the route from VPC index a to b.
func (m *Model) path(a, b int) vpcPath {
	if a < 0 || b < 0 || a >= len(m.paths) || b >= len(m.paths) {
		return vpcPath{}
	}
	return m.paths[a][b]
}
