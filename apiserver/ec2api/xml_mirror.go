package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The traffic-mirror resources as the EC2 API answers them; element names
// are those of the SDK's deserializers (aws-sdk-go-v2/service/ec2).

type xmlFilter struct {
	TrafficMirrorFilterId string          `xml:"trafficMirrorFilterId"`
	Description           string          `xml:"description,omitempty"`
	IngressFilterRules    []xmlFilterRule `xml:"ingressFilterRuleSet>item"`
	EgressFilterRules     []xmlFilterRule `xml:"egressFilterRuleSet>item"`
	NetworkServices       []string        `xml:"networkServiceSet>item"`
	Tags                  []tag           `xml:"tagSet>item"`
}

type xmlFilterRule struct {
	TrafficMirrorFilterRuleId string        `xml:"trafficMirrorFilterRuleId"`
	TrafficMirrorFilterId     string        `xml:"trafficMirrorFilterId"`
	TrafficDirection          string        `xml:"trafficDirection"`
	RuleNumber                int           `xml:"ruleNumber"`
	RuleAction                string        `xml:"ruleAction"`
	Protocol                  int           `xml:"protocol,omitempty"`
	DestinationPortRange      *xmlPortRange `xml:"destinationPortRange"`
	SourcePortRange           *xmlPortRange `xml:"sourcePortRange"`
	DestinationCidrBlock      string        `xml:"destinationCidrBlock"`
	SourceCidrBlock           string        `xml:"sourceCidrBlock"`
	Description               string        `xml:"description,omitempty"`
	Tags                      []tag         `xml:"tagSet>item"`
}

type xmlPortRange struct {
	FromPort int `xml:"fromPort"`
	ToPort   int `xml:"toPort"`
}

type xmlTarget struct {
	TrafficMirrorTargetId         string `xml:"trafficMirrorTargetId"`
	NetworkInterfaceId            string `xml:"networkInterfaceId,omitempty"`
	NetworkLoadBalancerArn        string `xml:"networkLoadBalancerArn,omitempty"`
	GatewayLoadBalancerEndpointId string `xml:"gatewayLoadBalancerEndpointId,omitempty"`
	Type                          string `xml:"type"`
	Description                   string `xml:"description,omitempty"`
	OwnerId                       string `xml:"ownerId"`
	Tags                          []tag  `xml:"tagSet>item"`
}

type xmlSession struct {
	TrafficMirrorSessionId string `xml:"trafficMirrorSessionId"`
	TrafficMirrorTargetId  string `xml:"trafficMirrorTargetId"`
	TrafficMirrorFilterId  string `xml:"trafficMirrorFilterId"`
	NetworkInterfaceId     string `xml:"networkInterfaceId"`
	OwnerId                string `xml:"ownerId"`
	PacketLength           *int   `xml:"packetLength"`
	SessionNumber          int    `xml:"sessionNumber"`
	VirtualNetworkId       *int   `xml:"virtualNetworkId"`
	Description            string `xml:"description,omitempty"`
	Tags                   []tag  `xml:"tagSet>item"`
}

// Directions of a filter rule, as the API names them.
const (
	dirIngress = "ingress"
	dirEgress  = "egress"
)

func toXMLRule(filterID, dir string, r cloudmock.TrafficMirrorFilterRule, tags tagStore) xmlFilterRule {
	x := xmlFilterRule{
		TrafficMirrorFilterRuleId: r.TrafficMirrorFilterRuleId,
		TrafficMirrorFilterId:     filterID,
		TrafficDirection:          dir,
		RuleNumber:                r.RuleNumber,
		RuleAction:                r.RuleAction,
		Protocol:                  r.Protocol,
		DestinationCidrBlock:      r.DestinationCidrBlock,
		SourceCidrBlock:           r.SourceCidrBlock,
		Description:               r.Description,
		Tags:                      tags.xml(r.TrafficMirrorFilterRuleId),
	}
	if p := r.DestinationPortRange; p != nil {
		x.DestinationPortRange = &xmlPortRange{FromPort: p.FromPort, ToPort: p.ToPort}
	}
	if p := r.SourcePortRange; p != nil {
		x.SourcePortRange = &xmlPortRange{FromPort: p.FromPort, ToPort: p.ToPort}
	}
	return x
}

func toXMLFilter(f *cloudmock.TrafficMirrorFilter, tags tagStore) xmlFilter {
	x := xmlFilter{
		TrafficMirrorFilterId: f.TrafficMirrorFilterId,
		Description:           f.Description,
		NetworkServices:       slices.Clone(f.NetworkServices),
		Tags:                  tags.xml(f.TrafficMirrorFilterId),
	}
	for _, r := range byRuleNumber(f.IngressFilterRules) {
		x.IngressFilterRules = append(x.IngressFilterRules, toXMLRule(f.TrafficMirrorFilterId, dirIngress, r, tags))
	}
	for _, r := range byRuleNumber(f.EgressFilterRules) {
		x.EgressFilterRules = append(x.EgressFilterRules, toXMLRule(f.TrafficMirrorFilterId, dirEgress, r, tags))
	}
	return x
}

func byRuleNumber(rules []cloudmock.TrafficMirrorFilterRule) []cloudmock.TrafficMirrorFilterRule {
	out := slices.Clone(rules)
	slices.SortStableFunc(out, func(a, b cloudmock.TrafficMirrorFilterRule) int { return a.RuleNumber - b.RuleNumber })
	return out
}

// targetType is the API's type of a target.
func targetType(t *cloudmock.TrafficMirrorTarget) string {
	switch {
	case t.NetworkLoadBalancerArn != "":
		return "network-load-balancer"
	case t.GatewayLoadBalancerEndpointId != "":
		return "gateway-load-balancer-endpoint"
	}
	return "network-interface"
}

func (s *Server) toXMLTarget(t *cloudmock.TrafficMirrorTarget, tags tagStore) xmlTarget {
	return xmlTarget{
		TrafficMirrorTargetId:         t.TrafficMirrorTargetId,
		NetworkInterfaceId:            t.NetworkInterfaceId,
		NetworkLoadBalancerArn:        t.NetworkLoadBalancerArn,
		GatewayLoadBalancerEndpointId: t.GatewayLoadBalancerEndpointId,
		Type:                          targetType(t),
		Description:                   t.Description,
		OwnerId:                       s.cfg.AccountID,
		Tags:                          tags.xml(t.TrafficMirrorTargetId),
	}
}

func (s *Server) toXMLSession(x *cloudmock.TrafficMirrorSession, tags tagStore) xmlSession {
	out := xmlSession{
		TrafficMirrorSessionId: x.TrafficMirrorSessionId,
		TrafficMirrorTargetId:  x.TrafficMirrorTargetId,
		TrafficMirrorFilterId:  x.TrafficMirrorFilterId,
		NetworkInterfaceId:     x.NetworkInterfaceId,
		OwnerId:                s.cfg.AccountID,
		SessionNumber:          x.SessionNumber,
		Description:            x.Description,
		Tags:                   tags.xml(x.TrafficMirrorSessionId),
	}
	if x.PacketLength != nil {
		out.PacketLength = cloudmock.Ptr(*x.PacketLength)
	}
	if x.VirtualNetworkId != nil {
		out.VirtualNetworkId = cloudmock.Ptr(*x.VirtualNetworkId)
	}
	return out
}
