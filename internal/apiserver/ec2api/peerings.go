package ec2api

import (
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// codeInvalidStateTransition is EC2's answer to accepting or rejecting a
// peering connection that is not pending acceptance.
const codeInvalidStateTransition = "InvalidStateTransition"

func findPeering(spec *cloudmock.Spec, id string) int {
	return indexByID(spec.VpcPeeringConnections, id, idOfPeering)
}

func peeringNotFound(id string) error {
	return notFound(codes.PeeringNotFound, "vpcPeeringConnection ID", id)
}

type xmlCidrBlock struct {
	CidrBlock string `xml:"cidrBlock"`
}

// peeringMessages are the status messages EC2 shows for the states the
// actions make.
var peeringMessages = map[string]string{
	cloudmock.PeeringActive: "Active", cloudmock.PeeringPendingAcceptance: "Pending Acceptance by %s",
	"rejected": "Rejected by %s", "deleted": "Deleted by %s",
}

func peeringState(p *cloudmock.VpcPeeringConnection) cloudmock.VpcPeeringConnectionStateReason {
	if p.Status == nil {
		return cloudmock.VpcPeeringConnectionStateReason{Code: cloudmock.PeeringActive, Message: "Active"}
	}
	return *p.Status
}

func (s *Server) toXMLPeering(spec *cloudmock.Spec, p *cloudmock.VpcPeeringConnection, tags tagStore) xres {
	info := func(side cloudmock.VpcPeeringConnectionVpcInfo) xres {
		var set []xmlCidrBlock
		x := res(side).with(xel{"ownerId", s.cfg.AccountID}, xel{"region", s.cfg.Region})
		if i := findVpc(spec, side.VpcId); i >= 0 {
			set = []xmlCidrBlock{{spec.Vpcs[i].CidrBlock}}
			x = x.with(xel{"cidrBlock", spec.Vpcs[i].CidrBlock})
		}
		return x.with(xel{"cidrBlockSet", set})
	}
	return res(p).set("RequesterVpcInfo", info(p.RequesterVpcInfo)).set("AccepterVpcInfo", info(p.AccepterVpcInfo)).
		set("Status", peeringState(p)).with(tagSet(tags, p.VpcPeeringConnectionId))
}

// createVpcPeeringConnection requests a peering of VpcId with PeerVpcId in
// the same account and Region (Traffic Mirroring crosses intra-Region
// peering only; the emulation has one account): pending acceptance until
// AcceptVpcPeeringConnection. Overlapping CIDRs are refused (the model's
// rule).
func (s *Server) createVpcPeeringConnection(c *call) (any, error) {
	vpc := c.p.required("VpcId")
	peer := c.p.required("PeerVpcId")
	if o, ok := c.p.str("PeerOwnerId"); ok && o != s.cfg.AccountID {
		return nil, errorf(codeUnsupported, "Peering with account %s is not emulated: the account is %s.", o, s.cfg.AccountID)
	}
	if r, ok := c.p.str("PeerRegion"); ok && r != s.cfg.Region {
		return nil, errorf(codeUnsupported, "Inter-Region peering (%s) is not emulated: Traffic Mirroring reaches a target in another VPC through intra-Region peering, and the Region is %s.", r, s.cfg.Region)
	}
	tags := c.p.tagSpecs("vpc-peering-connection")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		for _, id := range []string{vpc, peer} {
			if findVpc(&st.spec, id) < 0 {
				return nil, vpcNotFound(id)
			}
		}
		p := cloudmock.VpcPeeringConnection{VpcPeeringConnectionId: st.newID("pcx"),
			RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: vpc},
			AccepterVpcInfo:  cloudmock.VpcPeeringConnectionVpcInfo{VpcId: peer},
			Status: &cloudmock.VpcPeeringConnectionStateReason{Code: cloudmock.PeeringPendingAcceptance,
				Message: fmt.Sprintf(peeringMessages[cloudmock.PeeringPendingAcceptance], s.cfg.AccountID)}}
		st.spec.VpcPeeringConnections = append(st.spec.VpcPeeringConnections, p)
		return st.created(p.VpcPeeringConnectionId, tags, "vpcPeeringConnection", "", func() xres { return s.toXMLPeering(&st.spec, &p, st.tags) })
	})
}

// mutatePeering runs change on the connection that VpcPeeringConnectionId
// names (its index in the spec), in a mutation of the account's state.
func mutatePeering(c *call, change func(st *state, i int) (any, error)) (any, error) {
	id, err := c.beginWith("VpcPeeringConnectionId")
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i := findPeering(&st.spec, id)
		if i < 0 {
			return nil, peeringNotFound(id)
		}
		return change(st, i)
	})
}

// changePeering moves a pending connection to state code (accept: active;
// reject: rejected).
func (s *Server) changePeering(c *call, code string, result func(st *state, p *cloudmock.VpcPeeringConnection) any) (any, error) {
	return mutatePeering(c, func(st *state, i int) (any, error) {
		p := &st.spec.VpcPeeringConnections[i]
		if cur := peeringState(p).Code; cur != cloudmock.PeeringPendingAcceptance {
			return nil, errorf(codeInvalidStateTransition, "Invalid state transition for pcx %s, attempted to transition from %s to %s", p.VpcPeeringConnectionId, cur, code)
		}
		msg := peeringMessages[code]
		if code != cloudmock.PeeringActive {
			msg = fmt.Sprintf(msg, s.cfg.AccountID)
		}
		p.Status = &cloudmock.VpcPeeringConnectionStateReason{Code: code, Message: msg}
		return result(st, p), nil
	})
}

func (s *Server) acceptVpcPeeringConnection(c *call) (any, error) {
	return s.changePeering(c, cloudmock.PeeringActive, func(st *state, p *cloudmock.VpcPeeringConnection) any {
		return itemResult{name: "vpcPeeringConnection", item: s.toXMLPeering(&st.spec, p, st.tags)}
	})
}

type returnResult struct {
	Return bool `xml:"return"`
}

func (s *Server) rejectVpcPeeringConnection(c *call) (any, error) {
	return s.changePeering(c, "rejected", func(*state, *cloudmock.VpcPeeringConnection) any { return returnResult{true} })
}

// deleteVpcPeeringConnection removes the connection (the account forgets
// it at once, where EC2 shows it as deleted for a while).
func (s *Server) deleteVpcPeeringConnection(c *call) (any, error) {
	return mutatePeering(c, func(st *state, i int) (any, error) {
		id := st.spec.VpcPeeringConnections[i].VpcPeeringConnectionId
		st.spec.VpcPeeringConnections = slices.Delete(st.spec.VpcPeeringConnections, i, i+1)
		st.tags.remove(id)
		return returnResult{true}, nil
	})
}

func (s *Server) peeringFilters(spec *cloudmock.Spec) filterFields[*cloudmock.VpcPeeringConnection] {
	cidr := func(vpc string) []string {
		if i := findVpc(spec, vpc); i >= 0 {
			return one(spec.Vpcs[i].CidrBlock)
		}
		return nil
	}
	account := func(*cloudmock.VpcPeeringConnection) []string { return one(s.cfg.AccountID) }
	return filterFields[*cloudmock.VpcPeeringConnection]{
		"accepter-vpc-info.cidr-block":  func(p *cloudmock.VpcPeeringConnection) []string { return cidr(p.AccepterVpcInfo.VpcId) },
		"accepter-vpc-info.owner-id":    account,
		"accepter-vpc-info.vpc-id":      func(p *cloudmock.VpcPeeringConnection) []string { return one(p.AccepterVpcInfo.VpcId) },
		"requester-vpc-info.cidr-block": func(p *cloudmock.VpcPeeringConnection) []string { return cidr(p.RequesterVpcInfo.VpcId) },
		"requester-vpc-info.owner-id":   account,
		"requester-vpc-info.vpc-id":     func(p *cloudmock.VpcPeeringConnection) []string { return one(p.RequesterVpcInfo.VpcId) },
		"status-code":                   func(p *cloudmock.VpcPeeringConnection) []string { return one(peeringState(p).Code) },
		"status-message":                func(p *cloudmock.VpcPeeringConnection) []string { return one(peeringState(p).Message) },
		"vpc-peering-connection-id":     func(p *cloudmock.VpcPeeringConnection) []string { return one(p.VpcPeeringConnectionId) },
	}
}

func (s *Server) describeVpcPeeringConnections(c *call) (any, error) {
	type P = cloudmock.VpcPeeringConnection
	return describeByID(c, "VpcPeeringConnectionId", "vpcPeeringConnectionSet", peeringNotFound, func(x *P) string { return x.VpcPeeringConnectionId },
		func(spec *cloudmock.Spec) ([]P, filterFields[*P]) {
			return spec.VpcPeeringConnections, s.peeringFilters(spec)
		},
		s.toXMLPeering)
}
