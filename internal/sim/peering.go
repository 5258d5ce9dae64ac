package sim

import (
	"fmt"
	"net/netip"
)

// MaxPeerings bounds a topology's peerings: their links are named
// ml<id>-x<n>.
const MaxPeerings = 9999

// PeeringSpec is a VPC peering connection: a point-to-point link between
// the fabric namespaces of two VPCs, and in each VPC router a route for the
// other VPC's whole CIDR through it (peering is not transitive: a VPC
// reaches only the VPCs it is peered with). The two CIDRs must not overlap.
type PeeringSpec struct {
	Name string    `json:"name"`
	VPCs [2]string `json:"vpcs"`
}

// validatePeerings checks names (unique), the two VPCs (known, distinct,
// CIDRs not overlapping) and that no two peerings join the same VPCs.
func (t Topology) validatePeerings(v *validator) {
	if len(t.Peerings) > MaxPeerings {
		v.add("Peerings", "%d peerings, at most %d", len(t.Peerings), MaxPeerings)
	}
	names := map[string]int{}
	pairs := map[[2]string]int{}
	for i, p := range t.Peerings {
		f := fmt.Sprintf("Peerings[%d]", i)
		v.name(f, "Peerings", "peering", p.Name, checkName(p.Name), names, i)
		var cidr [2]netip.Prefix
		ok := true
		for k, name := range p.VPCs {
			vpc := t.vpc(name)
			if vpc == nil {
				v.add(fmt.Sprintf("%s.VPCs[%d]", f, k), "peering %s: no VPC named %q", p.Name, name)
				ok = false
				continue
			}
			cidr[k] = vpc.CIDR
		}
		if !ok {
			continue
		}
		switch a, b := p.VPCs[0], p.VPCs[1]; {
		case a == b:
			v.add(f+".VPCs[1]", "peering %s joins VPC %s with itself", p.Name, a)
		case cidr[0].IsValid() && cidr[1].IsValid() && cidr[0].Overlaps(cidr[1]):
			v.add(f+".VPCs[1]", "peering %s: VPCs %s (%s) and %s (%s) overlap; peered VPCs need distinct CIDRs", p.Name, a, cidr[0], b, cidr[1])
		case t.vpc(a).IPv6CIDR.IsValid() && t.vpc(b).IPv6CIDR.IsValid() && t.vpc(a).IPv6CIDR.Overlaps(t.vpc(b).IPv6CIDR):
			v.add(f+".VPCs[1]", "peering %s: VPCs %s (%s) and %s (%s) overlap; peered VPCs need distinct CIDRs", p.Name, a, t.vpc(a).IPv6CIDR, b, t.vpc(b).IPv6CIDR)
		default:
			key := [2]string{min(a, b), max(a, b)}
			if j, dup := pairs[key]; dup {
				v.add(f+".VPCs", "peering %s: VPCs %s and %s are already peered by %s (Peerings[%d])", p.Name, a, b, t.Peerings[j].Name, j)
			}
			pairs[key] = i
		}
	}
}
