package sim

import (
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

// Dual-stack limits: a VPC's IPv6 block is a /44../56 (AWS hands out /56s),
// and each subnet takes a /64 of it, as on AWS.
const subnetIPv6Bits = 64

// checkPrefix6 accepts a canonical IPv6 prefix of minBits..maxBits.
func checkPrefix6(v *validator, field string, p netip.Prefix, minBits, maxBits int) bool {
	switch {
	case !p.Addr().Is6() || p.Addr().Is4In6():
		v.add(field, "%s is not an IPv6 CIDR", p)
	default:
		return checkBits(v, field, p, minBits, maxBits)
	}
	return false
}

// validateSubnet6 checks subnet j's IPv6 CIDR: only in a dual-stack VPC, a
// /64 inside the VPC's block, not overlapping another subnet's.
func (t Topology) validateSubnet6(v *validator, vpc *VPCSpec, j int, sf string, vpc6OK bool) {
	s := &vpc.Subnets[j]
	if !s.IPv6CIDR.IsValid() {
		return
	}
	f := sf + ".IPv6CIDR"
	if !vpc.DualStack() {
		v.add(f, "subnet %s has an IPv6 CIDR but VPC %s has none (set its IPv6CIDR)", s.Name, vpc.Name)
		return
	}
	if !checkPrefix6(v, f, s.IPv6CIDR, subnetIPv6Bits, subnetIPv6Bits) {
		return
	}
	if vpc6OK && !vpc.IPv6CIDR.Contains(s.IPv6CIDR.Addr()) {
		v.add(f, "subnet %s (%s) is not inside VPC %s (%s)", s.Name, s.IPv6CIDR, vpc.Name, vpc.IPv6CIDR)
	}
	for k := 0; k < j; k++ {
		if o := vpc.Subnets[k].IPv6CIDR; o.IsValid() && o == s.IPv6CIDR {
			v.add(f, "subnet %s (%s) overlaps %s (%s)", s.Name, s.IPv6CIDR, vpc.Subnets[k].Name, o)
		}
	}
}

// validateENI6 checks an ENI's IPv6 address: its subnet has an IPv6 CIDR
// that holds it, it is not reserved, not used twice in the VPC.
func validateENI6(v *validator, e *ENISpec, s *SubnetSpec, vpc, ef string, ips map[string]map[netip.Addr]string) {
	if !e.IPv6.IsValid() {
		return
	}
	f := ef + ".IPv6"
	switch {
	case !e.IPv6.Is6() || e.IPv6.Is4In6() || e.IPv6.Zone() != "":
		v.add(f, "%s is not an IPv6 address", e.IPv6)
		return
	case !s.IPv6CIDR.IsValid():
		v.add(f, "subnet %s has no IPv6 CIDR for %s", s.Name, e.IPv6)
		return
	case !s.IPv6CIDR.Contains(e.IPv6):
		v.add(f, "%s is not in subnet %s (%s)", e.IPv6, s.Name, s.IPv6CIDR)
		return
	case subnetaddr.Reserved(s.IPv6CIDR, e.IPv6):
		v.add(f, "%s is reserved in subnet %s (%s): the first four addresses and the last are not assignable", e.IPv6, s.Name, s.IPv6CIDR)
		return
	}
	if ips[vpc] == nil {
		ips[vpc] = map[netip.Addr]string{}
	}
	if other, dup := ips[vpc][e.IPv6]; dup {
		v.add(f, "%s already assigned to %s in VPC %s", e.IPv6, other, vpc)
		return
	}
	ips[vpc][e.IPv6] = f
}
