package cloudmock

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// EC2 codes of the network-building rules below.
const (
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
				v.add("Vpc", x.VpcId, i, "IsDefault", codes.InvalidParameterValue, "the account has another default VPC")
			}
		}
	}
	defACL := map[string]string{}
	for i, a := range s.NetworkAcls {
		if !a.IsDefault {
			continue
		}
		if other, dup := defACL[a.VpcId]; dup {
			v.add("NetworkAcl", a.NetworkAclId, i, "IsDefault", codes.InvalidParameterValue, "VPC %s already has default network ACL %s", a.VpcId, other)
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
			v.add("SecurityGroup", g.GroupId, i, "GroupName", codes.GroupDuplicate, "the security group '%s' already exists for VPC '%s' (%s)", g.GroupName, g.VpcId, other)
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
					v.add("Subnet", x.SubnetId, i, field, codes.SubnetConflict, "the CIDR '%s' conflicts with another subnet (%s, %s)", c, o.id, o.p)
					break
				}
			}
			by[x.VpcId] = append(by[x.VpcId], block{p, x.SubnetId})
		}
	}
}

// VpcsPerRegion is EC2's default quota "VPCs per Region" (L-F678F1CE): 5.
const VpcsPerRegion = 5

// CreationQuota is one of EC2's default Amazon VPC quotas on what the API
// creates: the count allowed per Region (PerVpc false) or per VPC, and
// the error code of going beyond it.
type CreationQuota struct {
	Max      int
	PerVpc   bool
	Code     string
	Name     string
	Resource string // the ValidationError's Resource
}

// CreationQuotas are the Amazon VPC quotas (defaults, not raised ones) by
// the kind of resource created. They bind what is created through the API
// (CheckQuota), not a scenario file, which may describe an account whose
// quotas were raised. Route tables count their routes (per table) under
// KindRouteTable+"/routes".
var CreationQuotas = map[IDKind]CreationQuota{
	KindVpc:                    {VpcsPerRegion, false, codes.VpcLimitExceeded, "VPCs per Region", "Vpc"},
	KindSubnet:                 {200, true, "SubnetLimitExceeded", "subnets per VPC", "Subnet"},
	KindRouteTable:             {200, true, "RouteTableLimitExceeded", "route tables per VPC", resRouteTable},
	KindNetworkAcl:             {200, true, "NetworkAclLimitExceeded", "network ACLs per VPC", "NetworkAcl"},
	KindSecurityGroup:          {2500, false, "SecurityGroupLimitExceeded", "VPC security groups per Region", "SecurityGroup"},
	KindRouteTable + "/routes": {50, false, "RouteLimitExceeded", "routes per route table", resRouteTable},
}

// CheckQuota answers the quota's error when the Spec holds more resources
// of kind than CreationQuotas allows (in the VPC scope names for a
// per-VPC quota; in the route table it names, for routes), reported at
// the last of them (the one just created).
func (s *Spec) CheckQuota(kind IDKind, scope string) error {
	q, ok := CreationQuotas[kind]
	if !ok {
		return nil
	}
	n, last := 0, scope
	if kind == KindRouteTable+"/routes" {
		for _, t := range s.RouteTables {
			if t.RouteTableId == scope {
				n = len(t.Routes)
			}
		}
	} else {
		s.EachID(func(r IDRef) {
			if r.Kind == kind && r.Own && *r.ID != "" && (!q.PerVpc || resourceVpc(r.Resource) == scope) {
				n, last = n+1, *r.ID
			}
		})
	}
	if n > q.Max {
		return &ValidationError{Resource: q.Resource, ID: last, Code: q.Code,
			Message: fmt.Sprintf("The maximum number of %s (%d) has been reached.", q.Name, q.Max)}
	}
	return nil
}

// resourceVpc is the VPC of a resource that has one.
func resourceVpc(res any) string {
	switch x := res.(type) {
	case *Subnet:
		return x.VpcId
	case *RouteTable:
		return x.VpcId
	case *NetworkAcl:
		return x.VpcId
	case *SecurityGroup:
		return x.VpcId
	}
	return ""
}

// checkVpcQuota is CheckQuota for VPCs.
func (s *Spec) checkVpcQuota() error { return s.CheckQuota(KindVpc, "") }

// CheckNewBlock checks the size of a block given to CreateVpc or
// CreateSubnet, which EC2 takes from /16 to /28 (IPv4): InvalidVpc.Range
// or InvalidSubnet.Range. A scenario file's blocks are not bound by it.
func CheckNewBlock(kind, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	code := map[string]string{"Vpc": codes.VpcRange, "Subnet": codes.SubnetRange}[kind]
	if err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 28 {
		return &ValidationError{Resource: kind, Field: "CidrBlock", Code: code, Message: fmt.Sprintf("The CIDR '%s' is invalid.", cidr)}
	}
	return nil
}
