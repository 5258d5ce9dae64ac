package cloudmock

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// loadBalancerIPv6 checks a dual-stack load balancer's Ipv6Address: an
// IPv6 address inside its subnet's Ipv6CidrBlock, under a profile that
// mirrors IPv6 (it decides the copies' outer family); a network load
// balancer's targets then need an Ipv6Address each, since it forwards the
// copies that reach it over IPv6 to them over IPv6 (an IPv6 target group).
func (v *validator) loadBalancerIPv6(l LoadBalancer, i int) {
	const res, field = "LoadBalancer", "Ipv6Address"
	id := l.LoadBalancerArn
	if l.Ipv6Address == "" {
		return
	}
	a, err := netip.ParseAddr(l.Ipv6Address)
	if err != nil || !a.Is6() || a.Is4In6() {
		v.add(res, id, i, field, codes.InvalidParameterValue, "%q is not an IPv6 address", l.Ipv6Address)
		return
	}
	if sn := v.r.subnets[l.SubnetId]; sn != nil {
		p, err := netip.ParsePrefix(sn.Ipv6CidrBlock)
		switch {
		case sn.Ipv6CidrBlock == "":
			v.add(res, id, i, field, codes.InvalidParameterValue, "subnet %s has no Ipv6CidrBlock for %s", l.SubnetId, a)
		case err == nil && !p.Contains(a):
			v.add(res, id, i, field, codes.InvalidParameterValue, "%s is not inside subnet %s's %s", a, l.SubnetId, sn.Ipv6CidrBlock)
		}
	}
	if !v.prof.IPv6 {
		v.add(res, id, i, field, codes.Unsupported, "profile %s does not mirror IPv6", v.prof.Name)
	}
	if l.Type != "network" {
		return
	}
	for j, t := range l.Targets {
		if e := v.r.enis[t.NetworkInterfaceId]; e != nil && e.Ipv6Address == "" {
			v.add(res, id, i, fmt.Sprintf("Targets[%d].NetworkInterfaceId", j), codes.InvalidParameterCombination,
				"a dual-stack network load balancer forwards IPv6 copies to its targets' IPv6 address; %s has no Ipv6Address", t.NetworkInterfaceId)
		}
	}
}
