package ec2api

import (
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// Transit gateways and their VPC attachments (the model's
// TransitGateways and TransitGatewayVpcAttachments). The model gives a
// transit gateway AWS's defaults: one route table that every attachment
// is associated with and propagates to; options other than those defaults
// are refused. A create answers state pending and a Describe available
// (the model holds what exists); a delete answers deleting and the
// account forgets the resource at once (a Describe by id then answers
// NotFound, which the provider's waiters take as deleted).

const (
	codeAttachmentNotFound = "InvalidTransitGatewayAttachmentID.NotFound"
	codeIncorrectState     = "IncorrectState"
	defaultAmazonSideAsn   = 64512
)

func findTransitGateway(spec *cloudmock.Spec, id string) int {
	return indexByID(spec.TransitGateways, id, idOfTGW)
}

func findAttachment(spec *cloudmock.Spec, id string) int {
	return indexByID(spec.TransitGatewayVpcAttachments, id, idOfAttachment)
}

func tgwNotFound(id string) error {
	return notFound(codes.TransitGatewayNotFound, "transit gateway ID", id)
}

func attachmentNotFound(id string) error {
	return notFound(codeAttachmentNotFound, "transit gateway attachment ID", id)
}

// tgwRouteTableID is a transit gateway's one (default) route table.
func tgwRouteTableID(tgw string) string { return derivedID("tgw-rtb", tgw) }

type xmlTGWOptions struct {
	AmazonSideAsn               int64  `xml:"amazonSideAsn"`
	AutoAcceptSharedAttachments string `xml:"autoAcceptSharedAttachments"`
	DefaultRouteTableAssoc      string `xml:"defaultRouteTableAssociation"`
	AssociationDefaultRouteTab  string `xml:"associationDefaultRouteTableId"`
	DefaultRouteTablePropag     string `xml:"defaultRouteTablePropagation"`
	PropagationDefaultRouteTab  string `xml:"propagationDefaultRouteTableId"`
	VpnEcmpSupport              string `xml:"vpnEcmpSupport"`
	DnsSupport                  string `xml:"dnsSupport"`
	SecurityGroupReferencing    string `xml:"securityGroupReferencingSupport"`
	MulticastSupport            string `xml:"multicastSupport"`
}

func (s *Server) toXMLTransitGateway(g *cloudmock.TransitGateway, state string, tags tagStore) xres {
	rtb := tgwRouteTableID(g.TransitGatewayId)
	opts := xmlTGWOptions{AmazonSideAsn: defaultAmazonSideAsn, AutoAcceptSharedAttachments: "disable", DefaultRouteTableAssoc: "enable",
		AssociationDefaultRouteTab: rtb, DefaultRouteTablePropag: "enable", PropagationDefaultRouteTab: rtb, VpnEcmpSupport: "enable",
		DnsSupport: "enable", SecurityGroupReferencing: "disable", MulticastSupport: "disable"}
	return res(g).with(xel{"transitGatewayArn", s.ec2ARN("transit-gateway", g.TransitGatewayId)}, xel{"state", state},
		xel{"ownerId", s.cfg.AccountID}, xel{"options", opts}, tagSet(tags, g.TransitGatewayId))
}

// tgwOptions are CreateTransitGateway's options: the value the model
// emulates for each (another is refused).
var tgwOptions = [][2]string{
	{"Options.AmazonSideAsn", "64512"}, {"Options.AutoAcceptSharedAttachments", "disable"},
	{"Options.DefaultRouteTableAssociation", "enable"}, {"Options.DefaultRouteTablePropagation", "enable"},
	{"Options.VpnEcmpSupport", "enable"}, {"Options.DnsSupport", "enable"},
	{"Options.SecurityGroupReferencingSupport", "disable"}, {"Options.MulticastSupport", "disable"},
}

// readFixedOptions refuses an option given with another value than the
// one emulated.
func (c *call) readFixedOptions(opts [][2]string) error {
	for _, o := range opts {
		if v, ok := c.p.str(o[0]); ok && v != o[1] {
			return errorf(codeUnsupported, "%s=%s is not emulated: only %s.", o[0], v, o[1])
		}
	}
	if ids := c.p.list("Options.TransitGatewayCidrBlocks"); len(ids) > 0 {
		return errorf(codeUnsupported, "Transit gateway CIDR blocks are not emulated.")
	}
	return c.p.Err()
}

func (s *Server) createTransitGateway(c *call) (any, error) {
	desc, _ := c.p.str("Description")
	if err := c.readFixedOptions(tgwOptions); err != nil {
		return nil, err
	}
	tags := c.p.tagSpecs("transit-gateway")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		g := cloudmock.TransitGateway{TransitGatewayId: st.newID("tgw"), Description: desc}
		st.spec.TransitGateways = append(st.spec.TransitGateways, g)
		return st.created(g.TransitGatewayId, tags, "transitGateway", "", func() xres { return s.toXMLTransitGateway(&g, "pending", st.tags) })
	})
}

// deleteTransitGateway removes a transit gateway with no attachment left
// (EC2: IncorrectState, which the provider retries). Routes to it stay,
// as blackholes.
func (s *Server) deleteTransitGateway(c *call) (any, error) {
	id, err := c.beginWith("TransitGatewayId")
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		g, err := removeByID(&st.spec.TransitGateways, id, idOfTGW, tgwNotFound)
		if err != nil {
			return nil, err
		}
		for _, a := range st.spec.TransitGatewayVpcAttachments {
			if a.TransitGatewayId == id {
				return nil, errorf(codeIncorrectState, "%s has non-deleted VPC Attachments: %s.", id, a.TransitGatewayAttachmentId)
			}
		}
		out := itemResult{name: "transitGateway", item: s.toXMLTransitGateway(&g, "deleting", st.tags)}
		st.tags.remove(id)
		return out, nil
	})
}

func (s *Server) tgwFilters() filterFields[*cloudmock.TransitGateway] {
	type G = *cloudmock.TransitGateway
	return filterFields[G]{
		"owner-id":           func(G) []string { return one(s.cfg.AccountID) },
		"state":              func(G) []string { return one("available") },
		"transit-gateway-id": func(g G) []string { return one(g.TransitGatewayId) },
		"options.association-default-route-table-id": func(g G) []string { return one(tgwRouteTableID(g.TransitGatewayId)) },
		"options.propagation-default-route-table-id": func(g G) []string { return one(tgwRouteTableID(g.TransitGatewayId)) },
	}
}

func (s *Server) describeTransitGateways(c *call) (any, error) {
	type G = cloudmock.TransitGateway
	return describeByID(c, "TransitGatewayIds", "transitGatewaySet", tgwNotFound, func(g *G) string { return g.TransitGatewayId },
		func(spec *cloudmock.Spec) ([]G, filterFields[*G]) { return spec.TransitGateways, s.tgwFilters() },
		func(_ *cloudmock.Spec, g *G, tags tagStore) xres { return s.toXMLTransitGateway(g, "available", tags) })
}
