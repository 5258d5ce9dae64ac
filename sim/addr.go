package sim

import (
	"errors"
	"fmt"
	"net/netip"
)

// Gateway returns the subnet's gateway (the VPC router's address in it): the
// base address + 1, as in AWS.
func Gateway(subnet netip.Prefix) netip.Addr {
	return subnet.Masked().Addr().Next()
}

// reserved reports whether ip is one of the addresses AWS keeps in every
// subnet: the first four (network, router, DNS, future use) and the last
// (broadcast).
func reserved(subnet netip.Prefix, ip netip.Addr) bool {
	first, last := bounds(subnet)
	return ip.Less(offset(first, reservedAtStart)) || last == ip
}

// bounds returns the first and last address of an IPv4 prefix.
func bounds(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr()
	b := first.As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return first, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func offset(a netip.Addr, n int) netip.Addr {
	for range n {
		a = a.Next()
	}
	return a
}

// Resolve validates the topology and returns a copy in which every ENI has
// its address and MTU: ENIs without an IP get, in the order instances and
// their ENIs are listed, the lowest free address of their subnet that AWS
// would hand out (the first four and the last are reserved, addresses given
// explicitly anywhere in the VPC are skipped). The result is deterministic.
func (t Topology) Resolve() (Topology, error) {
	if err := t.Validate(); err != nil {
		return Topology{}, err
	}
	out := t.clone()
	used := map[string]map[netip.Addr]bool{} // vpc -> taken
	for _, in := range out.Instances {
		if used[in.VPC] == nil {
			used[in.VPC] = map[netip.Addr]bool{}
		}
		for _, e := range in.ENIs {
			if e.IP.IsValid() {
				used[in.VPC][e.IP] = true
			}
		}
	}
	next := map[string]netip.Addr{} // "vpc/subnet" -> next candidate
	var v validator
	for i := range out.Instances {
		in := &out.Instances[i]
		vpc := out.vpc(in.VPC)
		for j := range in.ENIs {
			e := &in.ENIs[j]
			if e.MTU == 0 {
				e.MTU = DefaultMTU
			}
			if e.IP.IsValid() {
				continue
			}
			s := vpc.subnet(e.Subnet)
			key := vpc.Name + "/" + s.Name
			first, last := bounds(s.CIDR)
			cand, ok := next[key]
			if !ok {
				cand = offset(first, reservedAtStart)
			}
			for cand.Less(last) && used[vpc.Name][cand] {
				cand = cand.Next()
			}
			if !cand.Less(last) {
				v.add(fmt.Sprintf("Instances[%d].ENIs[%d].IP", i, j),
					"subnet %s (%s) has no free address left for %s %s", s.Name, s.CIDR, in.Name, e.Name)
				next[key] = cand
				continue
			}
			e.IP = cand
			used[vpc.Name][cand] = true
			next[key] = cand.Next()
		}
	}
	if len(v.errs) > 0 {
		return Topology{}, errors.Join(v.errs...)
	}
	return out, nil
}

// clone deep-copies the topology so Resolve never aliases the caller's slices.
func (t Topology) clone() Topology {
	out := Topology{VPCs: make([]VPCSpec, len(t.VPCs)), Instances: make([]InstanceSpec, len(t.Instances)),
		Peerings: append([]PeeringSpec(nil), t.Peerings...)}
	for _, g := range t.TransitGateways {
		g.VPCs = append([]string(nil), g.VPCs...)
		out.TransitGateways = append(out.TransitGateways, g)
	}
	for i, v := range t.VPCs {
		v.Subnets = append([]SubnetSpec(nil), v.Subnets...)
		out.VPCs[i] = v
	}
	for i, in := range t.Instances {
		in.ENIs = append([]ENISpec(nil), in.ENIs...)
		out.Instances[i] = in
	}
	return out
}
