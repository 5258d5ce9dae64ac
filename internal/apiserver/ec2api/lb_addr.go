package ec2api

import (
	"net/netip"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

// lbAddress hands a load balancer (or endpoint) the lowest free address
// of a subnet, as AWS does: one not in used (usedAddresses and those
// handed out since). false when the subnet is unknown or full.
func lbAddress(spec *cloudmock.Spec, subnetID string, used map[string]bool) (string, bool) {
	return freeIn(spec, subnetID, used, func(sn *cloudmock.Subnet) string { return sn.CidrBlock })
}

// lbAddress6 is lbAddress in the subnet's Ipv6CidrBlock (false when it
// has none).
func lbAddress6(spec *cloudmock.Spec, subnetID string, used map[string]bool) (string, bool) {
	return freeIn(spec, subnetID, used, func(sn *cloudmock.Subnet) string { return sn.Ipv6CidrBlock })
}

func freeIn(spec *cloudmock.Spec, subnetID string, used map[string]bool, block func(*cloudmock.Subnet) string) (string, bool) {
	i := findSubnet(spec, subnetID)
	if i < 0 {
		return "", false
	}
	p, err := netip.ParsePrefix(block(&spec.Subnets[i]))
	if err != nil {
		return "", false
	}
	a, ok := subnetaddr.NewAllocator(p).Next(func(a netip.Addr) bool { return used[a.String()] })
	if !ok {
		return "", false
	}
	return a.String(), true
}

// usedAddresses are the addresses interfaces and load balancers hold.
func usedAddresses(spec *cloudmock.Spec) map[string]bool {
	used := map[string]bool{}
	spec.EachAddress(func(h cloudmock.HeldAddress) { used[h.Address] = true })
	return used
}
