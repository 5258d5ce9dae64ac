package spec

import (
	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// vpcSection is the network section's VPCs with their subnets: the model's,
// whose ids are the scenario's names. The YAML nests each VPC's subnets in
// it (VpcId implied); a subnet's networkAcl names its network ACL (in the
// model, the ACL's association).
type vpcSection struct {
	List    []cloudmock.Vpc
	Subnets []cloudmock.Subnet
	// SubnetACLs is the network ACL each subnet names, by subnet ("": the
	// VPC's default ACL, which allows everything).
	SubnetACLs []string

	places places
	parent []int // the index in List of each subnet's VPC
}

// vpcItem is a VPC as the file holds it.
type vpcItem struct {
	cloudmock.Vpc
	subnets []subnetItem
}

// subnetItem is a subnet as the file holds it.
type subnetItem struct {
	cloudmock.Subnet
	acl string
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by vpcTable.
func (v *vpcSection) UnmarshalYAML(n *yaml.Node) error {
	items, places, err := section(n, "network.vpcs", "Vpc", vpcTable, "VPC")
	*v = vpcSection{places: places}
	for i, it := range items {
		v.List = append(v.List, it.Vpc)
		for _, sn := range it.subnets {
			sn.VpcId = it.VpcId
			v.Subnets, v.SubnetACLs, v.parent = append(v.Subnets, sn.Subnet), append(v.SubnetACLs, sn.acl), append(v.parent, i)
		}
	}
	return err
}

// node writes the VPCs with their subnets (ids being the names to write)
// and the network ACL each subnet names, by the tables the loader reads
// them with.
func (v *vpcSection) node() *yaml.Node {
	items := make([]vpcItem, len(v.List))
	for i, vpc := range v.List {
		items[i].Vpc = vpc
		for k, sn := range v.Subnets {
			if sn.VpcId == vpc.VpcId {
				items[i].subnets = append(items[i].subnets, subnetItem{sn, v.SubnetACLs[k]})
			}
		}
	}
	return encodeList(vpcTable, items)
}

var vpcTable = table[vpcItem]{
	strKey("name", "VpcId", func(v *vpcItem) *string { return &v.VpcId }, false),
	cidrKey("CidrBlock", "CidrBlock", func(v *vpcItem) *string { return &v.CidrBlock }),
	cidrKey("Ipv6CidrBlock", "Ipv6CidrBlock", func(v *vpcItem) *string { return &v.Ipv6CidrBlock }),
	{name: "subnets", dec: func(d *modelDecoder, n *yaml.Node, a at, v *vpcItem) {
		first := d.next["Subnet"]
		resources(d, n, a.path, "Subnet", first, subnetTable, "subnet", &v.subnets)
		d.next["Subnet"] = first + len(v.subnets)
	}, enc: func(v *vpcItem) *yaml.Node { return encodeList(subnetTable, v.subnets) }},
}

var subnetTable = table[subnetItem]{
	strKey("name", "SubnetId", func(s *subnetItem) *string { return &s.SubnetId }, false),
	cidrKey("CidrBlock", "CidrBlock", func(s *subnetItem) *string { return &s.CidrBlock }),
	cidrKey("Ipv6CidrBlock", "Ipv6CidrBlock", func(s *subnetItem) *string { return &s.Ipv6CidrBlock }),
	strKey("networkAcl", "", func(s *subnetItem) *string { return &s.acl }, true),
}
