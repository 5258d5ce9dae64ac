package sim

import "fmt"

// MaxAttachments bounds a topology's transit gateway attachments: their
// links are named ml<id>-t<n>.
const MaxAttachments = 9999

// TransitGatewaySpec is a transit gateway with its VPC attachments,
// realised as a namespace of its own (ml<id>-tgw.NAME, forwarding on) with
// a link to each attached VPC's fabric: each fabric routes every other
// attached VPC's CIDR to the transit gateway, which routes each attached
// CIDR to its VPC (one route table, every attachment associated and
// propagated). The attached CIDRs must not overlap.
type TransitGatewaySpec struct {
	Name string   `json:"name"`
	VPCs []string `json:"vpcs"`
}

func (t Topology) validateTransitGateways(v *validator) {
	names := map[string]int{}
	n := 0
	peered := map[[2]string]string{}
	for _, p := range t.Peerings {
		peered[[2]string{min(p.VPCs[0], p.VPCs[1]), max(p.VPCs[0], p.VPCs[1])}] = p.Name
	}
	for i, g := range t.TransitGateways {
		f := fmt.Sprintf("TransitGateways[%d]", i)
		v.name(f, "TransitGateways", "transit gateway", g.Name, checkName(g.Name), names, i)
		n += len(g.VPCs)
		var on []*VPCSpec
		for k, name := range g.VPCs {
			af := fmt.Sprintf("%s.VPCs[%d]", f, k)
			vpc := t.vpc(name)
			if vpc == nil {
				v.add(af, "transit gateway %s: no VPC named %q", g.Name, name)
				continue
			}
			ok := true
			for _, o := range on {
				switch {
				case o.Name == vpc.Name:
					v.add(af, "transit gateway %s: VPC %s is attached twice", g.Name, name)
				case o.CIDR.IsValid() && vpc.CIDR.IsValid() && o.CIDR.Overlaps(vpc.CIDR):
					v.add(af, "transit gateway %s: VPC %s (%s) overlaps VPC %s (%s); attached VPCs need distinct CIDRs", g.Name, name, vpc.CIDR, o.Name, o.CIDR)
				case o.IPv6CIDR.IsValid() && vpc.IPv6CIDR.IsValid() && o.IPv6CIDR.Overlaps(vpc.IPv6CIDR):
					v.add(af, "transit gateway %s: VPC %s (%s) overlaps VPC %s (%s); attached VPCs need distinct CIDRs", g.Name, name, vpc.IPv6CIDR, o.Name, o.IPv6CIDR)
				case peered[[2]string{min(o.Name, name), max(o.Name, name)}] != "":
					v.add(af, "transit gateway %s: VPCs %s and %s are also peered by %s; give them one route, not two", g.Name, name, o.Name, peered[[2]string{min(o.Name, name), max(o.Name, name)}])
				default:
					continue
				}
				ok = false
				break
			}
			if ok {
				on = append(on, vpc)
			}
		}
	}
	if n > MaxAttachments {
		v.add("TransitGateways", "%d attachments, at most %d", n, MaxAttachments)
	}
}
