package ec2api

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// defaultVpcCIDR is the default VPC's block; each default subnet is a /20
// of it, in zone order, as AWS makes them.
const defaultVpcCIDR = "172.31.0.0/16"

// NewAccount returns the state of a new AWS account in region (empty:
// us-east-1): a default VPC 172.31.0.0/16 (IsDefault, DNS host names on)
// with a default /20 subnet per availability zone (DefaultForAz,
// MapPublicIpOnLaunch), the defaults every VPC gets (vpcDefaults), with
// the default network ACL associated with every default subnet; and the
// Name tags (none: a new account has no tags). Ids are derived from the
// region, so they are the same at every start.
func NewAccount(region string) (cloudmock.Spec, map[string]string) {
	if region == "" {
		region = "us-east-1"
	}
	key := func(kind string) string { return derivedID(kind, "default/"+region) }
	vpc := cloudmock.Vpc{VpcId: key("vpc"), CidrBlock: defaultVpcCIDR, IsDefault: true, EnableDnsHostnames: true}
	spec := cloudmock.Spec{Vpcs: []cloudmock.Vpc{vpc}}
	addVpcDefaults(&spec, &vpc, vpcDefaultIDs{acl: key("acl"), sg: key("sg"), rtb: mainRouteTableID(vpc.VpcId)})
	for i, z := range availabilityZones(region) {
		id := derivedID("subnet", "default/"+z.ZoneName)
		spec.Subnets = append(spec.Subnets, cloudmock.Subnet{SubnetId: id, VpcId: vpc.VpcId, CidrBlock: fmt.Sprintf("172.31.%d.0/20", 16*i),
			AvailabilityZone: z.ZoneName, DefaultForAz: true, MapPublicIpOnLaunch: true})
		spec.NetworkAcls[0].Associations = append(spec.NetworkAcls[0].Associations, cloudmock.NetworkAclAssociation{SubnetId: id})
	}
	return spec, map[string]string{}
}

// vpcDefaultIDs are the ids of a VPC's default network ACL, default
// security group and main route table.
type vpcDefaultIDs struct{ acl, sg, rtb string }

// addVpcDefaults adds what EC2 creates with every VPC: its default
// network ACL (allow all, both ways, IPv6 too when the VPC has a block),
// its default security group (all traffic from its members in,
// everything out) and its main route table (the local routes only).
func addVpcDefaults(spec *cloudmock.Spec, v *cloudmock.Vpc, ids vpcDefaultIDs) {
	acl := cloudmock.NetworkAcl{NetworkAclId: ids.acl, VpcId: v.VpcId, IsDefault: true}
	sg := cloudmock.SecurityGroup{GroupId: ids.sg, VpcId: v.VpcId, GroupName: cloudmock.DefaultGroupName, Description: "default VPC security group",
		IpPermissions:       []cloudmock.IpPermission{{IpProtocol: "-1", UserIdGroupPairs: []cloudmock.UserIdGroupPair{{GroupId: ids.sg}}}},
		IpPermissionsEgress: []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}}
	for _, egress := range []bool{false, true} {
		acl.Entries = append(acl.Entries, cloudmock.NetworkAclEntry{RuleNumber: 100, Egress: egress, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"})
		if v.Ipv6CidrBlock != "" {
			acl.Entries = append(acl.Entries, cloudmock.NetworkAclEntry{RuleNumber: 101, Egress: egress, Protocol: "-1", RuleAction: "allow", Ipv6CidrBlock: "::/0"})
		}
	}
	if v.Ipv6CidrBlock != "" {
		sg.IpPermissionsEgress[0].Ipv6Ranges = []cloudmock.Ipv6Range{{CidrIpv6: "::/0"}}
	}
	spec.NetworkAcls = append(spec.NetworkAcls, acl)
	spec.SecurityGroups = append(spec.SecurityGroups, sg)
	spec.RouteTables = append(spec.RouteTables, cloudmock.RouteTable{RouteTableId: ids.rtb, VpcId: v.VpcId, Main: true})
}

// zoneOf is the zone a subnet lies in: its AvailabilityZone, the
// Region's first zone when it has none (a scenario file's subnets).
func (s *Server) zoneOf(sn *cloudmock.Subnet) zoneInfo {
	zones := availabilityZones(s.cfg.Region)
	if sn != nil {
		for _, z := range zones {
			if z.ZoneName == sn.AvailabilityZone {
				return z
			}
		}
	}
	return zones[0]
}

// subnetZone is the zone of a subnet of the published state.
func (s *Server) subnetZone(subnetID string) zoneInfo {
	spec := &s.cur.Load().spec
	if i := findSubnet(spec, subnetID); i >= 0 {
		return s.zoneOf(&spec.Subnets[i])
	}
	return s.zoneOf(nil)
}

// defaultACLOf is the index of a VPC's default network ACL, -1 if it has
// none stored (a scenario file's VPC: its subnets without an ACL allow
// everything, as the default ACL does).
func defaultACLOf(spec *cloudmock.Spec, vpcID string) int {
	for i, a := range spec.NetworkAcls {
		if a.IsDefault && a.VpcId == vpcID {
			return i
		}
	}
	return -1
}
