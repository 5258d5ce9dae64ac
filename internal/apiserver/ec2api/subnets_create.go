package ec2api

import (
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Subnets created, changed and deleted through the API.

// readSubnetRequest reads CreateSubnet's subnet (its id not yet given)
// and tags.
func (c *call) readSubnetRequest() (cloudmock.Subnet, []tag, error) {
	var sn cloudmock.Subnet
	var err error
	sn.VpcId = c.p.required("VpcId")
	if c.p.bool("Ipv6Native") {
		return sn, nil, errorf(codeUnsupported, "IPv6-only subnets are not emulated: give CidrBlock.")
	}
	if sn.CidrBlock = c.p.required("CidrBlock"); !c.p.ok() {
		return sn, nil, c.p.Err()
	}
	if err := cloudmock.CheckNewBlock("Subnet", sn.CidrBlock); err != nil {
		return sn, nil, fromValidation(asValidation(err))
	}
	sn.Ipv6CidrBlock, _ = c.p.str("Ipv6CidrBlock")
	if sn.AvailabilityZone, err = c.readZone(); err != nil {
		return sn, nil, err
	}
	tags := c.p.tagSpecs("subnet")
	return sn, tags, c.begin()
}

// readZone reads AvailabilityZone or AvailabilityZoneId (not both): the
// zone's name, the Region's first zone when neither is given.
func (c *call) readZone() (string, error) {
	name, byName := c.p.str("AvailabilityZone")
	id, byID := c.p.str("AvailabilityZoneId")
	zones := availabilityZones(c.s.cfg.Region)
	switch {
	case byName && byID:
		return "", errorf(codes.InvalidParameterCombination, "Give AvailabilityZone or AvailabilityZoneId, not both.")
	case !byName && !byID:
		return zones[0].ZoneName, nil
	}
	var names []string
	for _, z := range zones {
		if z.ZoneName == name || z.ZoneId == id {
			return z.ZoneName, nil
		}
		names = append(names, z.ZoneName)
	}
	param, v := "AvailabilityZone", name
	if byID {
		param, v = "AvailabilityZoneId", id
	}
	return "", errInvalid(param, v, "Subnets can currently only be created in the following availability zones: "+strings.Join(names, ", ")+".")
}

// createSubnet adds a subnet to a VPC and associates it with the VPC's
// default network ACL, as EC2 does. Its block must lie in the VPC's and
// overlap no other subnet's (the model's InvalidSubnet.Range and
// InvalidSubnet.Conflict).
func (s *Server) createSubnet(c *call) (any, error) {
	sn, tags, err := c.readSubnetRequest()
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		if findVpc(&st.spec, sn.VpcId) < 0 {
			return nil, vpcNotFound(sn.VpcId)
		}
		sn.SubnetId = st.newID("subnet")
		st.spec.Subnets = append(st.spec.Subnets, sn)
		if err := st.quota(cloudmock.KindSubnet, sn.VpcId); err != nil {
			return nil, err
		}
		if i := defaultACLOf(&st.spec, sn.VpcId); i >= 0 {
			a := &st.spec.NetworkAcls[i]
			a.Associations = append(a.Associations, cloudmock.NetworkAclAssociation{SubnetId: sn.SubnetId})
		}
		return st.created(sn.SubnetId, tags, "subnet", "", func() xres { return s.toXMLSubnet(&st.spec, &sn, st.tags) })
	})
}

// deleteSubnet removes a subnet and its associations (network ACL, route
// table); an interface or load balancer still in it is a
// DependencyViolation.
func (s *Server) deleteSubnet(c *call) (any, error) {
	id, err := c.beginWith("SubnetId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		if _, err := removeByID(&st.spec.Subnets, id, idOfSubnet, subnetNotFound); err != nil {
			return nil, err
		}
		for j := range st.spec.NetworkAcls {
			a := &st.spec.NetworkAcls[j]
			a.Associations = slices.DeleteFunc(a.Associations, func(x cloudmock.NetworkAclAssociation) bool { return x.SubnetId == id })
		}
		for j := range st.spec.RouteTables {
			t := &st.spec.RouteTables[j]
			t.Associations = slices.DeleteFunc(t.Associations, func(x cloudmock.RouteTableAssociation) bool { return x.SubnetId == id })
		}
		st.tags.remove(id)
		return returnResult{true}, nil
	})
	return res, dependency(err, "subnet", id)
}
