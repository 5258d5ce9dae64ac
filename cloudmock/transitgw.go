package cloudmock

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// TransitGateway is a Regional router that attached VPCs reach each other
// through. The model gives it AWS's defaults: one route table, with every
// VPC attachment associated and its VPC's CIDR propagated. A VPC with no
// route table in the Spec is taken to hold a route to every other
// attached VPC's CIDR through it, so two such VPCs attached to one
// transit gateway reach each other; a VPC with route tables reaches
// through it what its tables route to it (RouteTable, routing.go).
type TransitGateway struct {
	TransitGatewayId string `json:"TransitGatewayId" yaml:"TransitGatewayId"`
	Description      string `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// TransitGatewayVpcAttachment attaches a VPC to a transit gateway.
type TransitGatewayVpcAttachment struct {
	TransitGatewayAttachmentId string `json:"TransitGatewayAttachmentId" yaml:"TransitGatewayAttachmentId"`
	TransitGatewayId           string `json:"TransitGatewayId" yaml:"TransitGatewayId"`
	VpcId                      string `json:"VpcId" yaml:"VpcId"`
	// SubnetIds are the VPC's subnets the attachment has an interface in
	// (at most one per zone); none in a scenario file.
	SubnetIds []string `json:"SubnetIds,omitempty" yaml:"SubnetIds,omitempty"`
}

// attachmentSubnets checks attachment i's subnets: they exist, lie in its
// VPC, one per zone.
func (v *validator) attachmentSubnets(a *TransitGatewayVpcAttachment, i int) {
	zones := map[string]string{}
	for j, id := range a.SubnetIds {
		f := fmt.Sprintf("SubnetIds[%d]", j)
		sn := v.r.subnets[id]
		switch {
		case sn == nil:
			v.add("TransitGatewayVpcAttachment", a.TransitGatewayAttachmentId, i, f, codes.SubnetNotFound, "subnet %q does not exist", id)
		case sn.VpcId != a.VpcId:
			v.add("TransitGatewayVpcAttachment", a.TransitGatewayAttachmentId, i, f, codes.InvalidParameterValue, "subnet %s is in VPC %s, not %s", id, sn.VpcId, a.VpcId)
		case zones[sn.AvailabilityZone] != "":
			v.add("TransitGatewayVpcAttachment", a.TransitGatewayAttachmentId, i, f, codes.DuplicateSubnetsInZone,
				"subnets %s and %s are in the same zone %q", zones[sn.AvailabilityZone], id, sn.AvailabilityZone)
		default:
			zones[sn.AvailabilityZone] = id
		}
	}
}

func (v *validator) transitGateways(s *Spec) {
	seen := map[string]bool{}
	tgws := map[string]bool{}
	for i, g := range s.TransitGateways {
		v.unique("TransitGateway", "TransitGatewayId", g.TransitGatewayId, i, seen)
		tgws[g.TransitGatewayId] = true
		if v.prof.Name == "alibaba" {
			// Alibaba's traffic mirroring overview joins a source and a
			// destination in different VPCs by VPC peering; its transit
			// routers (CEN) are not modelled.
			v.add("TransitGateway", g.TransitGatewayId, i, "TransitGatewayId", codes.Unsupported,
				"profile alibaba has no transit gateways: join the VPCs by VPC peering")
		}
	}
	const res = "TransitGatewayVpcAttachment"
	type attached struct {
		vpc, id string
		cidr    netip.Prefix
		v       *Vpc
	}
	on := map[string][]attached{} // transit gateway -> its attachments so far
	peered := map[[2]string]string{}
	for _, p := range s.VpcPeeringConnections {
		if p.Active() {
			a, b := p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId
			peered[[2]string{min(a, b), max(a, b)}] = p.VpcPeeringConnectionId
		}
	}
	seen = map[string]bool{}
	for i, a := range s.TransitGatewayVpcAttachments {
		id := a.TransitGatewayAttachmentId
		v.unique(res, "TransitGatewayAttachmentId", id, i, seen)
		v.attachmentSubnets(&s.TransitGatewayVpcAttachments[i], i)
		if !tgws[a.TransitGatewayId] {
			v.add(res, id, i, "TransitGatewayId", codes.TransitGatewayNotFound, "transit gateway %q does not exist", a.TransitGatewayId)
			continue
		}
		vpc := v.r.vpcs[a.VpcId]
		if vpc == nil {
			v.add(res, id, i, "VpcId", codes.VpcNotFound, "VPC %q does not exist", a.VpcId)
			continue
		}
		cidr, err := netip.ParsePrefix(vpc.CidrBlock)
		if err != nil {
			continue // reported on the VPC
		}
		ok := true
		for _, o := range on[a.TransitGatewayId] {
			switch {
			case o.vpc == a.VpcId:
				v.add(res, id, i, "VpcId", codes.DuplicateAttachment, "VPC %s is already attached to transit gateway %s by %s", a.VpcId, a.TransitGatewayId, o.id)
			case o.cidr.Overlaps(cidr):
				v.add(res, id, i, "VpcId", codes.InvalidParameterValue, "VPC %s (%s) overlaps VPC %s (%s), attached to transit gateway %s by %s: their propagated routes would conflict",
					a.VpcId, cidr, o.vpc, o.cidr, a.TransitGatewayId, o.id)
			case overlaps6(o.v, vpc):
				v.add(res, id, i, "VpcId", codes.InvalidParameterValue, "VPC %s (%s) overlaps VPC %s (%s), attached to transit gateway %s by %s: their propagated routes would conflict",
					a.VpcId, vpc.Ipv6CidrBlock, o.vpc, o.v.Ipv6CidrBlock, a.TransitGatewayId, o.id)
			case peered[[2]string{min(o.vpc, a.VpcId), max(o.vpc, a.VpcId)}] != "":
				v.add(res, id, i, "VpcId", codes.InvalidParameterValue, "VPCs %s and %s are peered by %s and attached to transit gateway %s: give them one route, not two",
					a.VpcId, o.vpc, peered[[2]string{min(o.vpc, a.VpcId), max(o.vpc, a.VpcId)}], a.TransitGatewayId)
			default:
				continue
			}
			ok = false
			break
		}
		if ok {
			on[a.TransitGatewayId] = append(on[a.TransitGatewayId], attached{a.VpcId, id, cidr, vpc})
		}
	}
}

func overlaps6(a, b *Vpc) bool {
	_, _, over := ipv6Overlap(a, b)
	return over
}

// addTransitGatewayPaths joins every two VPCs attached to one transit
// gateway (idx: VPC id -> index).
func (m *Model) addTransitGatewayPaths(s *Spec, idx map[string]int) {
	by := map[string][]int{}
	for _, a := range s.TransitGatewayVpcAttachments {
		by[a.TransitGatewayId] = append(by[a.TransitGatewayId], idx[a.VpcId])
	}
	for _, g := range s.TransitGateways {
		for _, a := range by[g.TransitGatewayId] {
			for _, b := range by[g.TransitGatewayId] {
				if a != b && m.paths[a][b].kind == pathNone {
					m.paths[a][b] = vpcPath{kind: pathTransitGateway, via: g.TransitGatewayId}
				}
			}
		}
	}
}

// ViaKind names what kind of connection a path's via is.
func (p vpcPath) viaKind() string {
	switch p.kind {
	case pathPeering:
		return "peering connection"
	case pathTransitGateway:
		return "transit gateway"
	}
	return ""
}
