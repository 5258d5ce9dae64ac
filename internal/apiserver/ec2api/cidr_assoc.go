package ec2api

import (
	"errors"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// IPv6 blocks added to and removed from a VPC or a subnet after their
// creation (the provider's assign_generated_ipv6_cidr_block and
// ipv6_cidr_block updates). The model holds one IPv4 and at most one IPv6
// block per VPC and subnet: secondary blocks are refused as not emulated.

const codeCidrInUse = "InvalidCidrBlock.InUse"

type vpcCidrResult struct {
	VpcId string        `xml:"vpcId"`
	Ipv6  xmlVpcIpv6Asc `xml:"ipv6CidrBlockAssociation"`
}

type subnetCidrResult struct {
	SubnetId string         `xml:"subnetId"`
	Ipv6     xmlIpv6CidrAsc `xml:"ipv6CidrBlockAssociation"`
}

// associateVpcCidrBlock gives a VPC an Amazon-provided IPv6 /56.
func (s *Server) associateVpcCidrBlock(c *call) (any, error) {
	id := c.p.required("VpcId")
	for _, p := range []string{"CidrBlock", "Ipv6CidrBlock", "Ipv6Pool", "Ipv6IpamPoolId", "Ipv4IpamPoolId"} {
		if _, ok := c.p.str(p); ok {
			return nil, errorf(codeUnsupported, "%s is not emulated: a VPC has one IPv4 block, and its IPv6 block is Amazon-provided (AmazonProvidedIpv6CidrBlock).", p)
		}
	}
	if !c.p.bool("AmazonProvidedIpv6CidrBlock") && c.p.Err() == nil {
		return nil, errMissing("AmazonProvidedIpv6CidrBlock")
	}
	if g, ok := c.p.str("Ipv6CidrBlockNetworkBorderGroup"); ok && g != s.cfg.Region {
		return nil, errInvalid("Ipv6CidrBlockNetworkBorderGroup", g, "The network border group is the Region's ("+s.cfg.Region+").")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.changeVpc(id, func(st *state, v *cloudmock.Vpc) (any, error) {
		if v.Ipv6CidrBlock != "" {
			return nil, errorf(codeUnsupported, "VPC %s has its IPv6 block %s: a second one is not emulated.", id, v.Ipv6CidrBlock)
		}
		v.Ipv6CidrBlock = st.newIPv6Block()
		return vpcCidrResult{VpcId: id, Ipv6: s.vpcIpv6Assoc(v, "associating")[0]}, nil
	})
}

// disassociateVpcCidrBlock removes a VPC's IPv6 block; a subnet that
// still has an IPv6 block of it is InvalidCidrBlock.InUse.
func (s *Server) disassociateVpcCidrBlock(c *call) (any, error) {
	assoc, err := c.beginWith("AssociationId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		for i := range st.spec.Vpcs {
			v := &st.spec.Vpcs[i]
			switch assoc {
			case derivedID("vpc-cidr-assoc", v.VpcId):
				return nil, errorf(codes.InvalidParameterValue, "The vpc CIDR block with association ID %s may not be disassociated. It is the primary IPv4 CIDR block of the VPC", assoc)
			case vpcIpv6AssocID(v.VpcId):
				if v.Ipv6CidrBlock == "" {
					break
				}
				x := s.vpcIpv6Assoc(v, "disassociating")[0]
				v.Ipv6CidrBlock = ""
				return vpcCidrResult{VpcId: v.VpcId, Ipv6: x}, nil
			}
		}
		return nil, notFound(codeAssociationNotFound, "association ID", assoc)
	})
	return res, blockInUse(err)
}

// blockInUse turns the model's finding that a subnet or interface lies
// outside a block that is gone into InvalidCidrBlock.InUse.
func blockInUse(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && (ae.Cause.Resource == "Subnet" || ae.Cause.Resource == "NetworkInterface") {
		return errorf(codeCidrInUse, "The IPv6 CIDR block is in use by %s %s.", ae.Cause.Resource, ae.Cause.ID)
	}
	return err
}

// associateSubnetCidrBlock gives a subnet an IPv6 block of its VPC's
// (the model checks that it lies in it and overlaps no other subnet's).
func (s *Server) associateSubnetCidrBlock(c *call) (any, error) {
	id := c.p.required("SubnetId")
	block, err := c.beginWith("Ipv6CidrBlock")
	if err != nil {
		return nil, err
	}
	return c.changeSubnet(id, func(st *state, sn *cloudmock.Subnet) (any, error) {
		if sn.Ipv6CidrBlock != "" {
			return nil, errorf(codeUnsupported, "Subnet %s has its IPv6 block %s: a second one is not emulated.", id, sn.Ipv6CidrBlock)
		}
		sn.Ipv6CidrBlock = block
		return subnetCidrResult{SubnetId: id, Ipv6: xmlIpv6CidrAsc{AssociationId: subnetIpv6AssocID(id), Ipv6CidrBlock: block,
			State: xmlCidrStatus{"associating"}}}, nil
	})
}

// disassociateSubnetCidrBlock removes a subnet's IPv6 block; an
// interface with an IPv6 address of it is InvalidCidrBlock.InUse.
func (s *Server) disassociateSubnetCidrBlock(c *call) (any, error) {
	assoc, err := c.beginWith("AssociationId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		for i := range st.spec.Subnets {
			sn := &st.spec.Subnets[i]
			if sn.Ipv6CidrBlock != "" && subnetIpv6AssocID(sn.SubnetId) == assoc {
				out := subnetCidrResult{SubnetId: sn.SubnetId, Ipv6: xmlIpv6CidrAsc{AssociationId: assoc, Ipv6CidrBlock: sn.Ipv6CidrBlock,
					State: xmlCidrStatus{"disassociating"}}}
				sn.Ipv6CidrBlock, sn.AssignIpv6AddressOnCreation = "", false
				return out, nil
			}
		}
		return nil, notFound(codeAssociationNotFound, "association ID", assoc)
	})
	return res, blockInUse(err)
}
