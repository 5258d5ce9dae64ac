package ec2api

import (
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Security groups created and deleted through the API.

const (
	codeGroupReserved     = "InvalidGroup.Reserved"
	codeVpcIDNotSpecified = "VPCIdNotSpecified"
)

type createGroupResult struct {
	GroupId  string `xml:"groupId"`
	GroupArn string `xml:"securityGroupArn"`
	Tags     []tag  `xml:"tagSet>item"`
}

// readGroupRequest reads CreateSecurityGroup's group (its id not yet
// given) and tags.
func (c *call) readGroupRequest() (cloudmock.SecurityGroup, []tag, error) {
	var g cloudmock.SecurityGroup
	g.GroupName = c.p.required("GroupName")
	g.Description = c.p.required("GroupDescription")
	switch {
	case !c.p.ok():
		return g, nil, c.p.Err()
	case len(g.GroupName) > 255:
		return g, nil, errInvalid("GroupName", g.GroupName, "It is longer than 255 characters.")
	case strings.HasPrefix(g.GroupName, "sg-"):
		return g, nil, errInvalid("GroupName", g.GroupName, "Group names may not be in the format sg-*.")
	case g.GroupName == cloudmock.DefaultGroupName:
		return g, nil, errorf(codeGroupReserved, "The security group 'default' is reserved.")
	case len(g.Description) > 255:
		return g, nil, errInvalid("GroupDescription", g.Description, "It is longer than 255 characters.")
	}
	g.VpcId, _ = c.p.str("VpcId")
	tags := c.p.tagSpecs("security-group")
	return g, tags, c.begin()
}

// createSecurityGroup adds a group to a VPC (the default VPC when VpcId is
// not given) with EC2's one egress rule: all traffic to 0.0.0.0/0. A name
// already used in the VPC is the model's InvalidGroup.Duplicate.
func (s *Server) createSecurityGroup(c *call) (any, error) {
	g, tags, err := c.readGroupRequest()
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		if g.VpcId == "" {
			i := slices.IndexFunc(st.spec.Vpcs, func(v cloudmock.Vpc) bool { return v.IsDefault })
			if i < 0 {
				return nil, errorf(codeVpcIDNotSpecified, "No default VPC for this user.")
			}
			g.VpcId = st.spec.Vpcs[i].VpcId
		}
		if findVpc(&st.spec, g.VpcId) < 0 {
			return nil, vpcNotFound(g.VpcId)
		}
		g.GroupId = st.newID("sg")
		g.IpPermissionsEgress = []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}
		st.spec.SecurityGroups = append(st.spec.SecurityGroups, g)
		if err := st.quota(cloudmock.KindSecurityGroup, ""); err != nil {
			return nil, err
		}
		if err := st.tags.set(g.GroupId, tags, "TagSpecification"); err != nil {
			return nil, err
		}
		return createGroupResult{GroupId: g.GroupId, GroupArn: s.ec2ARN("security-group", g.GroupId), Tags: st.tags.xml(g.GroupId)}, nil
	})
}

// deleteSecurityGroup removes a group named by GroupId (or, in the
// default VPC, GroupName). A VPC's default group cannot be deleted
// (CannotDelete); a group an interface uses or another group's rule
// names is a DependencyViolation (the model finds the reference).
func (s *Server) deleteSecurityGroup(c *call) (any, error) {
	id, _ := c.p.str("GroupId")
	name, _ := c.p.str("GroupName")
	if id == "" && name == "" {
		return nil, errMissing("GroupId")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		i := st.groupToDelete(id, name)
		if i < 0 {
			return nil, notFound(codeGroupNotFound, "security group", id+name)
		}
		g := st.spec.SecurityGroups[i]
		if g.GroupName == cloudmock.DefaultGroupName {
			return nil, errorf(codes.CannotDelete, "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.GroupId)
		}
		id = g.GroupId
		st.spec.SecurityGroups = slices.Delete(st.spec.SecurityGroups, i, i+1)
		st.tags.remove(g.GroupId)
		return returnResult{true}, nil
	})
	if d := dependency(err, "security group", id); d != err {
		return nil, errorf(codeDependencyViolation, "resource %s has a dependent object", id)
	}
	return res, err
}

// groupToDelete finds the group of DeleteSecurityGroup: by id, else by
// name in the default VPC (where EC2 accepts a name).
func (st *state) groupToDelete(id, name string) int {
	if id != "" {
		return findGroup(&st.spec, id)
	}
	return slices.IndexFunc(st.spec.SecurityGroups, func(g cloudmock.SecurityGroup) bool {
		v := findVpc(&st.spec, g.VpcId)
		return v >= 0 && st.spec.Vpcs[v].IsDefault && sgName(&g, st.tags) == name
	})
}
