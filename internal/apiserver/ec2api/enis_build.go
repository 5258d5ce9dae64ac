package ec2api

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

// eniRequest is a new network interface as CreateNetworkInterface or a
// launch asks for it; param is the request's prefix of its parameters
// ("" or "NetworkInterface.1.") for the error messages.
type eniRequest struct {
	param       string
	subnet      string
	privateIP   string
	description string
	groups      []string
	// ipv6 is an explicit address; ipv6Count 1 asks for the next free
	// one of the subnet (the model holds one IPv6 address per interface).
	ipv6        string
	ipv6Count   int
	primaryIPv6 bool
}

// read decodes the parameters common to CreateNetworkInterface and a
// launch's NetworkInterface.N (groupParam: SecurityGroupId or
// SecurityGroupId.N's name in the action; v6Param: Ipv6Addresses, or Ipv6Address at the top of
// RunInstances).
func (r *eniRequest) read(p *params, groupParam, v6Param string) error {
	pre := r.param
	r.subnet, _ = p.str(pre + "SubnetId")
	r.privateIP, _ = p.str(pre + "PrivateIpAddress")
	r.description, _ = p.str(pre + "Description")
	r.groups = p.list(pre + groupParam)
	if n := p.int(pre + "Ipv6AddressCount"); n != nil {
		r.ipv6Count = *n
	}
	idx := p.indexes(pre + v6Param)
	var v6 []string
	for _, n := range idx {
		a, _ := p.str(fmt.Sprintf("%s%s.%d.Ipv6Address", pre, v6Param, n))
		v6 = append(v6, a)
	}
	r.primaryIPv6 = p.bool(pre + "EnablePrimaryIpv6")
	if err := p.Err(); err != nil {
		return err
	}
	return r.checkIPv6(v6)
}

// checkIPv6 keeps the one IPv6 address the model can hold.
func (r *eniRequest) checkIPv6(v6 []string) error {
	switch {
	case len(v6) > 1 || r.ipv6Count > 1:
		return errInvalid(r.param+"Ipv6AddressCount", fmt.Sprint(max(len(v6), r.ipv6Count)), "An interface here has at most one IPv6 address.")
	case len(v6) == 1 && r.ipv6Count > 0:
		return errorf(codes.InvalidParameterCombination, "Only one of %sIpv6Addresses and %sIpv6AddressCount may be given.", r.param, r.param)
	case r.ipv6Count < 0:
		return errInvalid(r.param+"Ipv6AddressCount", fmt.Sprint(r.ipv6Count), "It must not be negative.")
	case len(v6) == 1:
		r.ipv6 = v6[0]
	}
	return nil
}

// build makes the interface in st: the subnet must exist, the groups
// (default: the VPC's default group) must be of its VPC, the address is
// the one asked or the subnet's next free one. The model checks the rest
// when the change is validated.
func (s *Server) buildENI(st *state, r eniRequest) (cloudmock.NetworkInterface, error) {
	spec := &st.spec
	sn, err := findByID(spec.Subnets, r.subnet, idOfSubnet, subnetNotFound)
	if err != nil {
		return cloudmock.NetworkInterface{}, err
	}
	groups, err := s.launchGroups(spec, st.tags, sn.VpcId, r.groups, r.param+"SecurityGroupId")
	if err != nil {
		return cloudmock.NetworkInterface{}, err
	}
	e := cloudmock.NetworkInterface{NetworkInterfaceId: st.newID("eni"), SubnetId: sn.SubnetId, PrivateIpAddress: r.privateIP,
		Groups: groups, Description: r.description, Ipv6Address: r.ipv6, EnablePrimaryIpv6: r.primaryIPv6}
	if e.PrivateIpAddress == "" {
		a, ok := nextFreeAddress(spec, sn.CidrBlock)
		if !ok {
			return e, errorf(codeInsufficientAddresses, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.SubnetId)
		}
		e.PrivateIpAddress = a
	}
	if r.ipv6Count == 1 {
		if sn.Ipv6CidrBlock == "" {
			return e, errInvalid(r.param+"Ipv6AddressCount", "1", fmt.Sprintf("Subnet %s has no IPv6 CIDR block.", sn.SubnetId))
		}
		a, ok := nextFreeAddress(spec, sn.Ipv6CidrBlock)
		if !ok {
			return e, errorf(codeInsufficientAddresses, "There are no free IPv6 addresses in subnet '%s'.", sn.SubnetId)
		}
		e.Ipv6Address = a
	}
	return e, nil
}

// codeInsufficientAddresses is EC2's answer when a subnet is full.
const codeInsufficientAddresses = "InsufficientFreeAddressesInSubnet"

// launchGroups checks security group ids against a VPC; none gives the
// VPC's default group (none if it has none).
func (s *Server) launchGroups(spec *cloudmock.Spec, tags tagStore, vpc string, ids []string, param string) ([]string, error) {
	if len(ids) == 0 {
		if g := defaultGroup(spec, tags, vpc); g != "" {
			return []string{g}, nil
		}
		return nil, nil
	}
	for _, g := range ids {
		i := findGroup(spec, g)
		if i < 0 {
			return nil, groupNotFound(g)
		}
		if spec.SecurityGroups[i].VpcId != vpc {
			return nil, errInvalid(param, g, fmt.Sprintf("Security group %s and subnet belong to different networks (%s, %s).", g, spec.SecurityGroups[i].VpcId, vpc))
		}
	}
	return slices.Clone(ids), nil
}

// defaultGroup is a VPC's default security group: its group named
// "default" ("" if it has none).
func defaultGroup(spec *cloudmock.Spec, tags tagStore, vpc string) string {
	for i := range spec.SecurityGroups {
		if g := &spec.SecurityGroups[i]; g.VpcId == vpc && sgName(g, tags) == "default" {
			return g.GroupId
		}
	}
	return ""
}

// nextFreeAddress is the lowest address of a subnet's block (IPv4 or
// IPv6) that AWS would hand out and no interface or load balancer holds.
func nextFreeAddress(spec *cloudmock.Spec, cidr string) (string, bool) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return "", false
	}
	taken := map[netip.Addr]bool{}
	spec.EachAddress(func(h cloudmock.HeldAddress) {
		if a, err := netip.ParseAddr(h.Address); err == nil {
			taken[a] = true
		}
	})
	a, ok := subnetaddr.NewAllocator(p).Next(func(a netip.Addr) bool { return taken[a] })
	if !ok {
		return "", false
	}
	return a.String(), true
}
