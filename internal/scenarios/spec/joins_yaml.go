package spec

import (
	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// peeringSection is the network section's VPC peering connections: the model's
// (AWS::EC2::VPCPeeringConnection, active), whose ids are the scenario's
// names; VpcId is the requester, PeerVpcId the accepter.
type peeringSection struct {
	List   []cloudmock.VpcPeeringConnection
	places places
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by peeringTable.
func (p *peeringSection) UnmarshalYAML(n *yaml.Node) error {
	var err error
	p.List, p.places, err = section(n, "network.vpcPeeringConnections", "VpcPeeringConnection", peeringTable, "VPC peering connection")
	return err
}

type peering = cloudmock.VpcPeeringConnection

var peeringTable = table[peering]{
	strKey("name", "VpcPeeringConnectionId", func(p *peering) *string { return &p.VpcPeeringConnectionId }, false),
	strKey("VpcId", "RequesterVpcInfo.VpcId", func(p *peering) *string { return &p.RequesterVpcInfo.VpcId }, false),
	strKey("PeerVpcId", "AccepterVpcInfo.VpcId", func(p *peering) *string { return &p.AccepterVpcInfo.VpcId }, false),
}

// tgwSection is the network section's transit gateways with their VPC
// attachments: the model's, whose ids are the scenario's names. The YAML
// nests each gateway's attachments in it (TransitGatewayId implied).
type tgwSection struct {
	List        []cloudmock.TransitGateway
	Attachments []cloudmock.TransitGatewayVpcAttachment
	places      places
}

// tgwItem is a transit gateway as the file holds it.
type tgwItem struct {
	cloudmock.TransitGateway
	attachments []cloudmock.TransitGatewayVpcAttachment
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by tgwTable.
func (g *tgwSection) UnmarshalYAML(n *yaml.Node) error {
	items, places, err := section(n, "network.transitGateways", "TransitGateway", tgwTable, "transit gateway")
	g.List, g.Attachments, g.places = nil, nil, places
	for _, it := range items {
		g.List = append(g.List, it.TransitGateway)
		for _, a := range it.attachments {
			a.TransitGatewayId = it.TransitGatewayId
			g.Attachments = append(g.Attachments, a)
		}
	}
	return err
}

// node writes the transit gateways with their attachments (their ids
// being the names to write) by the tables the loader reads them with; nil
// for none.
func (g *tgwSection) node() *yaml.Node {
	var items []tgwItem
	for _, tg := range g.List {
		it := tgwItem{TransitGateway: tg, attachments: []cloudmock.TransitGatewayVpcAttachment{}}
		for _, a := range g.Attachments {
			if a.TransitGatewayId == tg.TransitGatewayId {
				it.attachments = append(it.attachments, a)
			}
		}
		items = append(items, it)
	}
	return encodeList(tgwTable, items)
}

var tgwTable = table[tgwItem]{
	strKey("name", "TransitGatewayId", func(g *tgwItem) *string { return &g.TransitGatewayId }, false),
	strKey("Description", "Description", func(g *tgwItem) *string { return &g.Description }, true),
	{name: "attachments", dec: func(d *modelDecoder, n *yaml.Node, a at, g *tgwItem) {
		first := d.next["TransitGatewayVpcAttachment"]
		resources(d, n, a.path, "TransitGatewayVpcAttachment", first, attachmentTable, "transit gateway attachment", &g.attachments)
		d.next["TransitGatewayVpcAttachment"] = first + len(g.attachments)
	}, enc: func(g *tgwItem) *yaml.Node {
		if len(g.attachments) == 0 {
			return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		}
		return encodeList(attachmentTable, g.attachments)
	}},
}

type attachment = cloudmock.TransitGatewayVpcAttachment

var attachmentTable = table[attachment]{
	strKey("name", "TransitGatewayAttachmentId", func(a *attachment) *string { return &a.TransitGatewayAttachmentId }, false),
	strKey("VpcId", "VpcId", func(a *attachment) *string { return &a.VpcId }, false),
}
