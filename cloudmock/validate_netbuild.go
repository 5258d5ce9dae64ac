package cloudmock

import (
	"fmt"
	"net/netip"
)

// EC2 codes of the network-building rules below.
const (
	CodeSubnetConflict    = "InvalidSubnet.Conflict"
	CodeGroupDuplicate    = "InvalidGroup.Duplicate"
	CodeVpcLimitExceeded  = "VpcLimitExceeded"
	CodeVpcRange          = "InvalidVpc.Range"
	CodeDependency        = "DependencyViolation"
	CodeCannotDelete      = "CannotDelete"
	defaultSecurityGroup  = "default"
	defaultVpcsPerAccount = 1
)

// DefaultGroupName is the name of every VPC's default security group.
const DefaultGroupName = defaultSecurityGroup

// netDefaults checks what makes a VPC's defaults and its subnets' blocks:
// one default VPC, one default network ACL per VPC, group names unique in
// their VPC, subnets of a VPC that do not overlap.
func (v *validator) netDefaults(s *Spec) {
	n := 0
	for i, x := range s.Vpcs {
		if x.IsDefault {
			if n++; n > defaultVpcsPerAccount {
				v.add("Vpc", x.VpcId, i, "IsDefault", CodeInvalidParameterValue, "the account has another default VPC")
			}
		}
	}
	defACL := map[string]string{}
	for i, a := range s.NetworkAcls {
		if !a.IsDefault {
			continue
		}
		if other, dup := defACL[a.VpcId]; dup {
			v.add("NetworkAcl", a.NetworkAclId, i, "IsDefault", CodeInvalidParameterValue, "VPC %s already has default network ACL %s", a.VpcId, other)
		}
		defACL[a.VpcId] = a.NetworkAclId
	}
	names := map[[2]string]string{}
	for i, g := range s.SecurityGroups {
		if g.GroupName == "" {
			continue
		}
		key := [2]string{g.VpcId, g.GroupName}
		if other, dup := names[key]; dup {
			v.add("SecurityGroup", g.GroupId, i, "GroupName", CodeGroupDuplicate, "the security group '%s' already exists for VPC '%s' (%s)", g.GroupName, g.VpcId, other)
		}
		names[key] = g.GroupId
	}
	v.subnetConflicts(s)
}

// subnetConflicts reports a subnet whose block overlaps an earlier subnet
// of its VPC (IPv4 or IPv6).
func (v *validator) subnetConflicts(s *Spec) {
	type block struct {
		p  netip.Prefix
		id string
	}
	by := map[string][]block{}
	for i, x := range s.Subnets {
		for k, c := range [2]string{x.CidrBlock, x.Ipv6CidrBlock} {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				continue // reported by subnets, or absent
			}
			field := [2]string{"CidrBlock", "Ipv6CidrBlock"}[k]
			for _, o := range by[x.VpcId] {
				if o.p.Overlaps(p) {
					v.add("Subnet", x.SubnetId, i, field, CodeSubnetConflict, "the CIDR '%s' conflicts with another subnet (%s, %s)", c, o.id, o.p)
					break
				}
			}
			by[x.VpcId] = append(by[x.VpcId], block{p, x.SubnetId})
		}
	}
}

// VpcsPerRegion is EC2's default quota "VPCs per Region" (L-F678F1CE): 5.
// It binds VPCs created through the API (CheckVpcQuota), not a scenario
// file's, which may describe an account whose quota was raised.
const VpcsPerRegion = 5

// CheckVpcQuota answers VpcLimitExceeded when the Spec holds more VPCs
// than VpcsPerRegion, reported at the first VPC beyond it.
func (s *Spec) CheckVpcQuota() error {
	if n := len(s.Vpcs); n > VpcsPerRegion {
		return &ValidationError{Resource: "Vpc", ID: s.Vpcs[VpcsPerRegion].VpcId, Index: VpcsPerRegion, Field: "VpcId", Code: CodeVpcLimitExceeded,
			Message: fmt.Sprintf("The maximum number of VPCs has been reached (%d per Region).", VpcsPerRegion)}
	}
	return nil
}

// CheckNewBlock checks the size of a block given to CreateVpc or
// CreateSubnet, which EC2 takes from /16 to /28 (IPv4): InvalidVpc.Range
// or InvalidSubnet.Range. A scenario file's blocks are not bound by it.
func CheckNewBlock(kind, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	code := map[string]string{"Vpc": CodeVpcRange, "Subnet": CodeSubnetRange}[kind]
	if err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 28 {
		return &ValidationError{Resource: kind, Field: "CidrBlock", Code: code, Message: fmt.Sprintf("The CIDR '%s' is invalid.", cidr)}
	}
	return nil
}
