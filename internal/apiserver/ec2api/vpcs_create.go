package ec2api

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// VPCs created and deleted through the API. A new VPC gets what EC2
// gives every VPC (addVpcDefaults): its default network ACL, its default
// security group and its main route table, which DeleteVpc takes with
// it; anything else still in the VPC is a DependencyViolation.

// vpcRequest is what CreateVpc reads.
type vpcRequest struct {
	cidr string
	ipv6 bool
	tags []tag
}

func (c *call) readVpcRequest() (vpcRequest, error) {
	var r vpcRequest
	if _, ok := c.p.str("Ipv4IpamPoolId"); ok {
		return r, errorf(codeUnsupported, "IPAM pools are not emulated: give CidrBlock.")
	}
	if r.cidr = c.p.required("CidrBlock"); !c.p.ok() {
		return r, c.p.Err()
	}
	if err := cloudmock.CheckNewBlock("Vpc", r.cidr); err != nil {
		return r, fromValidation(asValidation(err))
	}
	r.ipv6 = c.p.bool("AmazonProvidedIpv6CidrBlock")
	if g, ok := c.p.str("Ipv6CidrBlockNetworkBorderGroup"); ok && g != c.s.cfg.Region {
		return r, errInvalid("Ipv6CidrBlockNetworkBorderGroup", g, "The network border group is the Region's ("+c.s.cfg.Region+").")
	}
	if t, ok := c.p.str("InstanceTenancy"); ok && t != "default" {
		return r, errorf(codeUnsupported, "Instance tenancy %q is not emulated: only default.", t)
	}
	r.tags = c.p.tagSpecs("vpc")
	return r, c.begin()
}

// asValidation unwraps the model's finding.
func asValidation(err error) *cloudmock.ValidationError {
	var ve *cloudmock.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return &cloudmock.ValidationError{Code: codeInternal, Message: err.Error()}
}

func (s *Server) createVpc(c *call) (any, error) {
	r, err := c.readVpcRequest()
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		v := cloudmock.Vpc{VpcId: st.newID("vpc"), CidrBlock: r.cidr}
		if r.ipv6 {
			v.Ipv6CidrBlock = st.newIPv6Block()
		}
		st.spec.Vpcs = append(st.spec.Vpcs, v)
		if err := st.quota(cloudmock.KindVpc, ""); err != nil {
			return nil, err
		}
		addVpcDefaults(&st.spec, &v, vpcDefaultIDs{acl: st.newID("acl"), sg: st.newID("sg"), rtb: st.newID("rtb")})
		return st.created(v.VpcId, r.tags, "vpc", "", func() xres { return s.toXMLVpc(&v, "pending", st.tags) })
	})
}

// newIPv6Block is an Amazon-provided /56 that no VPC of the state uses.
func (st *state) newIPv6Block() string {
	for {
		b := fmt.Sprintf("2600:1f18:%x:%x00::/56", st.srv.rng.Uint32()&0xffff, st.srv.rng.Uint32()&0xff)
		p := netip.MustParsePrefix(b)
		if !slices.ContainsFunc(st.spec.Vpcs, func(v cloudmock.Vpc) bool {
			q, err := netip.ParsePrefix(v.Ipv6CidrBlock)
			return err == nil && q.Overlaps(p)
		}) {
			return b
		}
	}
}

// deleteVpc removes a VPC with its default ACL, default group and main
// route table, and the peering connections it is part of (as AWS does;
// routes to them elsewhere become blackholes). What else refers to it
// (subnets, groups, ACLs, tables, transit gateway attachments) makes the
// model's validation fail, answered as DependencyViolation.
func (s *Server) deleteVpc(c *call) (any, error) {
	id, err := c.beginWith("VpcId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		sp := &st.spec
		if _, err := removeByID(&sp.Vpcs, id, idOfVpc, vpcNotFound); err != nil {
			return nil, err
		}
		sp.NetworkAcls = dropDefaults(sp.NetworkAcls, st.tags, func(a cloudmock.NetworkAcl) (bool, string) { return a.VpcId == id && a.IsDefault, a.NetworkAclId })
		sp.SecurityGroups = dropDefaults(sp.SecurityGroups, st.tags, func(g cloudmock.SecurityGroup) (bool, string) {
			return g.VpcId == id && g.GroupName == cloudmock.DefaultGroupName, g.GroupId
		})
		sp.RouteTables = dropDefaults(sp.RouteTables, st.tags, func(t cloudmock.RouteTable) (bool, string) { return t.VpcId == id && t.Main, t.RouteTableId })
		sp.VpcPeeringConnections = dropDefaults(sp.VpcPeeringConnections, st.tags, func(p cloudmock.VpcPeeringConnection) (bool, string) {
			return p.RequesterVpcInfo.VpcId == id || p.AccepterVpcInfo.VpcId == id, p.VpcPeeringConnectionId
		})
		st.tags.remove(id)
		return returnResult{true}, nil
	})
	return res, dependency(err, "vpc", id)
}

// dropDefaults removes the items del picks (the defaults of a deleted
// VPC, its peerings), and their tags.
func dropDefaults[T any](items []T, tags tagStore, del func(T) (bool, string)) []T {
	return slices.DeleteFunc(items, func(x T) bool {
		ok, id := del(x)
		if ok {
			tags.remove(id)
		}
		return ok
	})
}

// quota answers the error of a creation quota (cloudmock.CheckQuota)
// the state is beyond.
func (st *state) quota(kind cloudmock.IDKind, scope string) error {
	if err := st.spec.CheckQuota(kind, scope); err != nil {
		ve := asValidation(err)
		return errorf(ve.Code, "%s", ve.Message)
	}
	return nil
}

// dependency turns the model's finding that something refers to a
// resource that is gone (a *.NotFound code on another resource) into
// EC2's DependencyViolation for the deleted resource kind/id.
func dependency(err error, kind, id string) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && ae.Cause.ID != id && strings.HasSuffix(ae.Cause.Code, ".NotFound") {
		return errorf(codeDependencyViolation, "The %s '%s' has dependencies and cannot be deleted (%s %s refers to it).", kind, id, ae.Cause.Resource, ae.Cause.ID)
	}
	return err
}
