package ec2api

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Account says what of the state is the account's default network and
// where its subnets lie: the model knows neither zones nor defaults, so
// the server keeps them beside it. NewAccount builds the state a new AWS
// account has in its region.
type Account struct {
	// DefaultVpcId is the default VPC (isDefault); its subnets placed in
	// Zones are the default subnets of their zones (defaultForAz,
	// mapPublicIpOnLaunch).
	DefaultVpcId string
	// DefaultNetworkAclIds are the VPCs' default network ACLs.
	DefaultNetworkAclIds []string
	// Zones places subnets in zones of the region (name, e.g.
	// us-east-1b), by subnet id; other subnets lie in its first zone.
	Zones map[string]string
}

// defaultVpcCIDR is the default VPC's block; each default subnet is a /20
// of it, in zone order, as AWS makes them.
const defaultVpcCIDR = "172.31.0.0/16"

// NewAccount returns the state of a new AWS account in region (empty:
// us-east-1): a default VPC 172.31.0.0/16 with a default /20 subnet per
// availability zone, its default security group (all traffic from its
// members in, everything out), its default network ACL (allow all, both
// ways, associated with every default subnet); the Name tags (the default
// group's name, "default") and the Account to serve it with. Ids are
// derived from the region, so they are the same at every start.
func NewAccount(region string) (cloudmock.Spec, map[string]string, *Account) {
	if region == "" {
		region = "us-east-1"
	}
	key := func(kind string) string { return derivedID(kind, "default/"+region) }
	vpc, sg, acl := key("vpc"), key("sg"), key("acl")
	spec := cloudmock.Spec{Vpcs: []cloudmock.Vpc{{VpcId: vpc, CidrBlock: defaultVpcCIDR}}}
	acct := &Account{DefaultVpcId: vpc, DefaultNetworkAclIds: []string{acl}, Zones: map[string]string{}}
	nacl := cloudmock.NetworkAcl{NetworkAclId: acl, VpcId: vpc, Entries: []cloudmock.NetworkAclEntry{
		{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
		{RuleNumber: 100, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
	}}
	for i, z := range availabilityZones(region) {
		id := derivedID("subnet", "default/"+z.ZoneName)
		spec.Subnets = append(spec.Subnets, cloudmock.Subnet{SubnetId: id, VpcId: vpc, CidrBlock: fmt.Sprintf("172.31.%d.0/20", 16*i)})
		nacl.Associations = append(nacl.Associations, cloudmock.NetworkAclAssociation{SubnetId: id})
		acct.Zones[id] = z.ZoneName
	}
	spec.NetworkAcls = []cloudmock.NetworkAcl{nacl}
	spec.SecurityGroups = []cloudmock.SecurityGroup{{
		GroupId: sg, VpcId: vpc,
		IpPermissions:       []cloudmock.IpPermission{{IpProtocol: "-1", UserIdGroupPairs: []cloudmock.UserIdGroupPair{{GroupId: sg}}}},
		IpPermissionsEgress: []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}},
	}}
	return spec, map[string]string{sg: "default"}, acct
}

// subnetZone is the zone a subnet lies in.
func (s *Server) subnetZone(subnetID string) zoneInfo {
	zones := availabilityZones(s.cfg.Region)
	if s.cfg.Account != nil {
		if name, ok := s.cfg.Account.Zones[subnetID]; ok {
			for _, z := range zones {
				if z.ZoneName == name {
					return z
				}
			}
		}
	}
	return zones[0]
}

// isDefaultVpc says whether a VPC is the account's default VPC.
func (s *Server) isDefaultVpc(vpcID string) bool {
	return s.cfg.Account != nil && vpcID != "" && s.cfg.Account.DefaultVpcId == vpcID
}

// isDefaultSubnet says whether a subnet is its zone's default subnet: a
// placed subnet of the default VPC.
func (s *Server) isDefaultSubnet(sn *cloudmock.Subnet) bool {
	if !s.isDefaultVpc(sn.VpcId) {
		return false
	}
	_, ok := s.cfg.Account.Zones[sn.SubnetId]
	return ok
}

// isDefaultACL says whether a network ACL is its VPC's default.
func (s *Server) isDefaultACL(id string) bool {
	if s.cfg.Account == nil {
		return false
	}
	for _, x := range s.cfg.Account.DefaultNetworkAclIds {
		if x == id {
			return true
		}
	}
	return false
}
