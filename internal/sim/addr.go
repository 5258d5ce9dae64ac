package sim

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

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
	allocs := map[string]*subnetaddr.Allocator{} // "vpc/subnet" -> its allocator
	var v validator
	for i := range out.Instances {
		in := &out.Instances[i]
		vpc := out.vpc(in.VPC)
		for j := range in.ENIs {
			e := &in.ENIs[j]
			e.MTU = cmp.Or(e.MTU, DefaultMTU)
			if e.IP.IsValid() {
				continue
			}
			s := vpc.subnet(e.Subnet)
			key := vpc.Name + "/" + s.Name
			al, ok := allocs[key]
			if !ok {
				al = subnetaddr.NewAllocator(s.CIDR)
				allocs[key] = al
			}
			cand, ok := al.Next(func(a netip.Addr) bool { return used[vpc.Name][a] })
			if !ok {
				v.add(fmt.Sprintf("Instances[%d].ENIs[%d].IP", i, j),
					"subnet %s (%s) has no free address left for %s %s", s.Name, s.CIDR, in.Name, e.Name)
				continue
			}
			e.IP = cand
			used[vpc.Name][cand] = true
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
