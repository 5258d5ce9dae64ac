package ec2api

import (
	"net/netip"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

type xmlCidrAssoc struct {
	AssociationId string        `xml:"associationId"`
	CidrBlock     string        `xml:"cidrBlock"`
	State         xmlCidrStatus `xml:"cidrBlockState"`
}

type xmlIpv6CidrAsc struct {
	AssociationId string        `xml:"associationId"`
	Ipv6CidrBlock string        `xml:"ipv6CidrBlock"`
	State         xmlCidrStatus `xml:"ipv6CidrBlockState"`
}

// xmlVpcIpv6Asc is a VPC's IPv6 block: Amazon's pool, the Region's
// border group.
type xmlVpcIpv6Asc struct {
	xmlIpv6CidrAsc
	Ipv6Pool           string `xml:"ipv6Pool"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	IpSource           string `xml:"ipSource"`
	AddressAttribute   string `xml:"ipv6AddressAttribute"`
}

// vpcIpv6AssocID is the id of a VPC's IPv6 block association.
func vpcIpv6AssocID(vpcID string) string { return derivedID("vpc-cidr-assoc", vpcID+"/6") }

type xmlCidrStatus struct {
	State string `xml:"state"`
}

// vpcIpv6Assoc is a VPC's IPv6 block association, nil without one.
func (s *Server) vpcIpv6Assoc(v *cloudmock.Vpc, state string) []xmlVpcIpv6Asc {
	if v.Ipv6CidrBlock == "" {
		return nil
	}
	return []xmlVpcIpv6Asc{{xmlIpv6CidrAsc: xmlIpv6CidrAsc{AssociationId: vpcIpv6AssocID(v.VpcId), Ipv6CidrBlock: v.Ipv6CidrBlock,
		State: xmlCidrStatus{state}}, Ipv6Pool: "Amazon", NetworkBorderGroup: s.cfg.Region, IpSource: "amazon", AddressAttribute: "public"}}
}

// toXMLVpc is a VPC in its state (available, or pending when created).
func (s *Server) toXMLVpc(v *cloudmock.Vpc, state string, tags tagStore) xres {
	assoc := []xmlCidrAssoc{{AssociationId: derivedID("vpc-cidr-assoc", v.VpcId), CidrBlock: v.CidrBlock, State: xmlCidrStatus{"associated"}}}
	return res(v).with(xel{"ownerId", s.cfg.AccountID}, xel{"state", state}, xel{"cidrBlockAssociationSet", assoc},
		xel{"ipv6CidrBlockAssociationSet", s.vpcIpv6Assoc(v, "associated")}, xel{"dhcpOptionsId", "default"},
		xel{"instanceTenancy", "default"}, tagSet(tags, v.VpcId))
}

func (s *Server) vpcFilters() filterFields[*cloudmock.Vpc] {
	cidr := func(v *cloudmock.Vpc) []string { return one(v.CidrBlock) }
	return filterFields[*cloudmock.Vpc]{
		"cidr":                                        cidr,
		"cidr-block-association.cidr-block":           cidr,
		"cidr-block-association.association-id":       func(v *cloudmock.Vpc) []string { return one(derivedID("vpc-cidr-assoc", v.VpcId)) },
		"cidr-block-association.state":                func(*cloudmock.Vpc) []string { return one("associated") },
		"dhcp-options-id":                             func(*cloudmock.Vpc) []string { return one("default") },
		"ipv6-cidr-block-association.ipv6-cidr-block": func(v *cloudmock.Vpc) []string { return one(v.Ipv6CidrBlock) },
		"ipv6-cidr-block-association.association-id":  func(v *cloudmock.Vpc) []string { return ipv6Only(v, vpcIpv6AssocID(v.VpcId)) },
		"ipv6-cidr-block-association.ipv6-pool":       func(v *cloudmock.Vpc) []string { return ipv6Only(v, "Amazon") },
		"ipv6-cidr-block-association.state":           func(v *cloudmock.Vpc) []string { return ipv6Only(v, "associated") },
		"is-default":                                  func(v *cloudmock.Vpc) []string { return tf(v.IsDefault) },
		"isDefault":                                   func(v *cloudmock.Vpc) []string { return tf(v.IsDefault) }, // data "aws_vpc" {default = true}
		"owner-id":                                    func(*cloudmock.Vpc) []string { return one(s.cfg.AccountID) },
		"state":                                       func(*cloudmock.Vpc) []string { return one("available") },
		"vpc-id":                                      func(v *cloudmock.Vpc) []string { return one(v.VpcId) },
	}
}

// ipv6Only is x for a VPC with an IPv6 block, nothing otherwise.
func ipv6Only(v *cloudmock.Vpc, x string) []string {
	if v.Ipv6CidrBlock == "" {
		return nil
	}
	return one(x)
}

func (s *Server) describeVpcs(c *call) (any, error) {
	return describeByID(c, "VpcId", "vpcSet", vpcNotFound, idOfVpc,
		func(spec *cloudmock.Spec) ([]cloudmock.Vpc, filterFields[*cloudmock.Vpc]) {
			return spec.Vpcs, s.vpcFilters()
		},
		func(_ *cloudmock.Spec, v *cloudmock.Vpc, tags tagStore) xres { return s.toXMLVpc(v, "available", tags) })
}

// xmlPrivateDNS is a subnet's host name options for new instances:
// EC2's defaults (names from the IPv4 address, no DNS records).
type xmlPrivateDNS struct {
	HostnameType string `xml:"hostnameType"`
	ARecord      bool   `xml:"enableResourceNameDnsARecord"`
	AAAARecord   bool   `xml:"enableResourceNameDnsAAAARecord"`
}

// subnetIpv6AssocID is the id of a subnet's IPv6 block association.
func subnetIpv6AssocID(subnetID string) string { return derivedID("subnet-cidr-assoc", subnetID) }

// subnetIpv6Only is x for a subnet with an IPv6 block, nothing otherwise.
func subnetIpv6Only(sn *cloudmock.Subnet, x string) []string {
	if sn.Ipv6CidrBlock == "" {
		return nil
	}
	return one(x)
}

func (s *Server) toXMLSubnet(spec *cloudmock.Spec, x *cloudmock.Subnet, tags tagStore) xres {
	z := s.zoneOf(x)
	var assoc []xmlIpv6CidrAsc
	if x.Ipv6CidrBlock != "" {
		assoc = []xmlIpv6CidrAsc{{AssociationId: subnetIpv6AssocID(x.SubnetId), Ipv6CidrBlock: x.Ipv6CidrBlock, State: xmlCidrStatus{"associated"}}}
	}
	return res(x).set("AvailabilityZone", z.ZoneName).with(xel{"subnetArn", s.ec2ARN("subnet", x.SubnetId)}, xel{"state", "available"},
		xel{"ownerId", s.cfg.AccountID}, xel{"ipv6CidrBlockAssociationSet", assoc}, xel{"availableIpAddressCount", freeAddresses(spec, x)},
		xel{"availabilityZoneId", z.ZoneId}, xel{"ipv6Native", false}, xel{"mapCustomerOwnedIpOnLaunch", false},
		xel{"privateDnsNameOptionsOnLaunch", xmlPrivateDNS{HostnameType: "ip-name"}}, tagSet(tags, x.SubnetId))
}

// freeAddresses is how many addresses of a subnet are left: those AWS can
// hand out (subnetaddr.Assignable) less the ENIs and load balancers in it.
// AWS's subnets are /16 to /28: a smaller one shows none.
func freeAddresses(spec *cloudmock.Spec, sn *cloudmock.Subnet) int {
	p, err := netip.ParsePrefix(sn.CidrBlock)
	if err != nil || !p.Addr().Is4() || p.Bits() > 28 {
		return 0
	}
	n := int(subnetaddr.Assignable(p))
	spec.EachAddress(func(h cloudmock.HeldAddress) {
		if h.SubnetId == sn.SubnetId && !h.IPv6 {
			n--
		}
	})
	return max(n, 0)
}

func (s *Server) subnetFilters(spec *cloudmock.Spec) filterFields[*cloudmock.Subnet] {
	cidr := func(x *cloudmock.Subnet) []string { return one(x.CidrBlock) }
	return filterFields[*cloudmock.Subnet]{
		"availability-zone":    func(x *cloudmock.Subnet) []string { return one(s.zoneOf(x).ZoneName) },
		"availability-zone-id": func(x *cloudmock.Subnet) []string { return one(s.zoneOf(x).ZoneId) },
		// EC2's other spellings, which the provider's data "aws_subnet" and
		// aws_default_subnet use
		"availabilityZone":           func(x *cloudmock.Subnet) []string { return one(s.zoneOf(x).ZoneName) },
		"availabilityZoneId":         func(x *cloudmock.Subnet) []string { return one(s.zoneOf(x).ZoneId) },
		"defaultForAz":               func(x *cloudmock.Subnet) []string { return tf(x.DefaultForAz) },
		"available-ip-address-count": func(x *cloudmock.Subnet) []string { return one(strconv.Itoa(freeAddresses(spec, x))) },
		"cidr":                       cidr,
		"cidr-block":                 cidr,
		"cidrBlock":                  cidr,
		"default-for-az":             func(x *cloudmock.Subnet) []string { return tf(x.DefaultForAz) },
		"default-for-zone":           func(x *cloudmock.Subnet) []string { return tf(x.DefaultForAz) },
		"ipv6-cidr-block-association.ipv6-cidr-block": func(x *cloudmock.Subnet) []string { return one(x.Ipv6CidrBlock) },
		"ipv6-cidr-block-association.association-id":  func(x *cloudmock.Subnet) []string { return subnetIpv6Only(x, subnetIpv6AssocID(x.SubnetId)) },
		"ipv6-cidr-block-association.state":           func(x *cloudmock.Subnet) []string { return subnetIpv6Only(x, "associated") },
		"map-public-ip-on-launch":                     func(x *cloudmock.Subnet) []string { return tf(x.MapPublicIpOnLaunch) },
		"owner-id":                                    func(*cloudmock.Subnet) []string { return one(s.cfg.AccountID) },
		"state":                                       func(*cloudmock.Subnet) []string { return one("available") },
		"subnet-arn":                                  func(x *cloudmock.Subnet) []string { return one(s.ec2ARN("subnet", x.SubnetId)) },
		"subnet-id":                                   func(x *cloudmock.Subnet) []string { return one(x.SubnetId) },
		"vpc-id":                                      func(x *cloudmock.Subnet) []string { return one(x.VpcId) },
	}
}

func (s *Server) describeSubnets(c *call) (any, error) {
	return describeByID(c, "SubnetId", "subnetSet", subnetNotFound, idOfSubnet,
		func(spec *cloudmock.Spec) ([]cloudmock.Subnet, filterFields[*cloudmock.Subnet]) {
			return spec.Subnets, s.subnetFilters(spec)
		},
		s.toXMLSubnet)
}
