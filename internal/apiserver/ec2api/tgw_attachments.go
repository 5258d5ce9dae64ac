package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type xmlAttachmentOptions struct {
	DnsSupport               string `xml:"dnsSupport"`
	Ipv6Support              string `xml:"ipv6Support"`
	ApplianceModeSupport     string `xml:"applianceModeSupport"`
	SecurityGroupReferencing string `xml:"securityGroupReferencingSupport"`
}

func (s *Server) toXMLAttachment(a *cloudmock.TransitGatewayVpcAttachment, state string, tags tagStore) xres {
	return res(a).with(xel{"vpcOwnerId", s.cfg.AccountID}, xel{"state", state},
		xel{"options", xmlAttachmentOptions{DnsSupport: "enable", Ipv6Support: "disable", ApplianceModeSupport: "disable", SecurityGroupReferencing: "disable"}},
		tagSet(tags, a.TransitGatewayAttachmentId))
}

// attachmentOptions are CreateTransitGatewayVpcAttachment's options: the
// value emulated for each.
var attachmentOptions = [][2]string{
	{"Options.DnsSupport", "enable"}, {"Options.Ipv6Support", "disable"},
	{"Options.ApplianceModeSupport", "disable"}, {"Options.SecurityGroupReferencingSupport", "disable"},
}

// createTransitGatewayVpcAttachment attaches a VPC through one subnet per
// zone (SubnetIds.N). The model refuses a VPC attached twice to one
// transit gateway, or one whose block overlaps another attached VPC's.
func (s *Server) createTransitGatewayVpcAttachment(c *call) (any, error) {
	var a cloudmock.TransitGatewayVpcAttachment
	a.TransitGatewayId = c.p.required("TransitGatewayId")
	a.VpcId = c.p.required("VpcId")
	a.SubnetIds = c.p.requiredList("SubnetIds")
	if err := c.readFixedOptions(attachmentOptions); err != nil {
		return nil, err
	}
	tags := c.p.tagSpecsNamed("TagSpecifications", "transit-gateway-attachment")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		if findTransitGateway(&st.spec, a.TransitGatewayId) < 0 {
			return nil, tgwNotFound(a.TransitGatewayId)
		}
		if findVpc(&st.spec, a.VpcId) < 0 {
			return nil, vpcNotFound(a.VpcId)
		}
		a.TransitGatewayAttachmentId = st.newID("tgw-attach")
		st.spec.TransitGatewayVpcAttachments = append(st.spec.TransitGatewayVpcAttachments, a)
		return st.created(a.TransitGatewayAttachmentId, tags, "transitGatewayVpcAttachment", "", func() xres { return s.toXMLAttachment(&a, "pending", st.tags) })
	})
}

// deleteTransitGatewayVpcAttachment removes an attachment; EC2 then
// describes it in state deleted for a while, which the provider's waiter
// polls for (s.gone).
func (s *Server) deleteTransitGatewayVpcAttachment(c *call) (any, error) {
	id, err := c.beginWith("TransitGatewayAttachmentId")
	if err != nil {
		return nil, err
	}
	var last xres
	res, err := c.mutate("", func(st *state) (any, error) {
		a, err := removeByID(&st.spec.TransitGatewayVpcAttachments, id, idOfAttachment, attachmentNotFound)
		if err != nil {
			return nil, err
		}
		last = s.toXMLAttachment(&a, "deleted", st.tags)
		out := itemResult{name: "transitGatewayVpcAttachment", item: s.toXMLAttachment(&a, "deleting", st.tags)}
		st.tags.remove(id)
		return out, nil
	})
	if err == nil {
		s.gone.put(id, last)
	}
	return res, err
}

type describeAttachmentsResult struct {
	Attachments []xres `xml:"transitGatewayVpcAttachments>item"`
	NextToken   string `xml:"nextToken,omitempty"`
}

func (s *Server) attachmentFilters() filterFields[*cloudmock.TransitGatewayVpcAttachment] {
	type A = *cloudmock.TransitGatewayVpcAttachment
	return filterFields[A]{
		"state":                         func(A) []string { return one("available") },
		"transit-gateway-attachment-id": func(a A) []string { return one(a.TransitGatewayAttachmentId) },
		"transit-gateway-id":            func(a A) []string { return one(a.TransitGatewayId) },
		"vpc-id":                        func(a A) []string { return one(a.VpcId) },
		"vpc-owner-id":                  func(A) []string { return one(s.cfg.AccountID) },
	}
}

// describeTransitGatewayVpcAttachments answers the attachments; one
// named by id that was deleted a moment ago is answered in state deleted.
func (s *Server) describeTransitGatewayVpcAttachments(c *call) (any, error) {
	q, err := c.readDescribe("TransitGatewayAttachmentIds")
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		var out describeAttachmentsResult
		live := q
		live.ids = slices.DeleteFunc(slices.Clone(q.ids), func(id string) bool {
			if findAttachment(spec, id) >= 0 {
				return false
			}
			x, ok := s.gone.get(id)
			if ok {
				out.Attachments = append(out.Attachments, x.(xres))
			}
			return ok
		})
		if len(q.ids) > 0 && len(live.ids) == 0 {
			return out, nil
		}
		items, next, err := pickByID(live, spec.TransitGatewayVpcAttachments, nil, attachmentNotFound, s.attachmentFilters(),
			func(a *cloudmock.TransitGatewayVpcAttachment) string { return a.TransitGatewayAttachmentId }, tags)
		if err != nil {
			return nil, err
		}
		out.NextToken = next
		for _, a := range items {
			out.Attachments = append(out.Attachments, s.toXMLAttachment(a, "available", tags))
		}
		return out, nil
	})
}

type xmlTGWRouteEntry struct {
	TransitGatewayAttachmentId string `xml:"transitGatewayAttachmentId"`
	ResourceId                 string `xml:"resourceId"`
	ResourceType               string `xml:"resourceType"`
	State                      string `xml:"state"`
}

type tgwAssociationsResult struct {
	Associations []xmlTGWRouteEntry `xml:"associations>item"`
	NextToken    string             `xml:"nextToken,omitempty"`
}

type tgwPropagationsResult struct {
	Propagations []xmlTGWRouteEntry `xml:"transitGatewayRouteTablePropagations>item"`
	NextToken    string             `xml:"nextToken,omitempty"`
}

// getTransitGatewayRouteTableEntries answers the associations (or the
// propagations) of a transit gateway's route table: every attachment of
// the transit gateway, as the model routes them.
func (s *Server) getTransitGatewayRouteTableEntries(propagations bool) actionFunc {
	return func(c *call) (any, error) {
		rtb := c.p.required("TransitGatewayRouteTableId")
		q, err := c.readDescribe("")
		if err != nil {
			return nil, err
		}
		return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
			g := slices.IndexFunc(spec.TransitGateways, func(g cloudmock.TransitGateway) bool { return tgwRouteTableID(g.TransitGatewayId) == rtb })
			if g < 0 {
				return nil, notFound("InvalidRouteTableID.NotFound", "transit gateway route table ID", rtb)
			}
			var mine []cloudmock.TransitGatewayVpcAttachment
			for _, a := range spec.TransitGatewayVpcAttachments {
				if a.TransitGatewayId == spec.TransitGateways[g].TransitGatewayId {
					mine = append(mine, a)
				}
			}
			fields := filterFields[*cloudmock.TransitGatewayVpcAttachment]{
				"transit-gateway-attachment-id": func(a *cloudmock.TransitGatewayVpcAttachment) []string { return one(a.TransitGatewayAttachmentId) },
				"resource-id":                   func(a *cloudmock.TransitGatewayVpcAttachment) []string { return one(a.VpcId) },
				"resource-type":                 func(*cloudmock.TransitGatewayVpcAttachment) []string { return one("vpc") },
			}
			items, next, err := pickByID(q, mine, nil, nil, fields,
				func(a *cloudmock.TransitGatewayVpcAttachment) string { return a.TransitGatewayAttachmentId }, tags)
			if err != nil {
				return nil, err
			}
			state := map[bool]string{false: "associated", true: "enabled"}[propagations]
			var entries []xmlTGWRouteEntry
			for _, a := range items {
				entries = append(entries, xmlTGWRouteEntry{TransitGatewayAttachmentId: a.TransitGatewayAttachmentId, ResourceId: a.VpcId, ResourceType: "vpc", State: state})
			}
			if propagations {
				return tgwPropagationsResult{Propagations: entries, NextToken: next}, nil
			}
			return tgwAssociationsResult{Associations: entries, NextToken: next}, nil
		})
	}
}
