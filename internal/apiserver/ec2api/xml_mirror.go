package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The traffic-mirror resources as the EC2 API answers them (encode.go
// writes the model's fields; these add what the model does not hold).

// Directions of a filter rule, as the API names them.
const (
	dirIngress = "ingress"
	dirEgress  = "egress"
)

// filterRule is a filter's rule with its filter and direction, which the
// answers show on it.
type filterRule struct {
	filter, dir string
	cloudmock.TrafficMirrorFilterRule
}

func (r filterRule) xml(tags tagStore) xres {
	return res(r.TrafficMirrorFilterRule).with(xel{"trafficMirrorFilterId", r.filter}, xel{"trafficDirection", r.dir},
		tagSet(tags, r.TrafficMirrorFilterRuleId))
}

// filterRules are a filter's rules, inbound then outbound, each by rule
// number.
func filterRules(f *cloudmock.TrafficMirrorFilter) []filterRule {
	var out []filterRule
	for _, r := range byRuleNumber(f.IngressFilterRules) {
		out = append(out, filterRule{f.TrafficMirrorFilterId, dirIngress, r})
	}
	for _, r := range byRuleNumber(f.EgressFilterRules) {
		out = append(out, filterRule{f.TrafficMirrorFilterId, dirEgress, r})
	}
	return out
}

func toXMLFilter(f *cloudmock.TrafficMirrorFilter, tags tagStore) xres {
	var in, eg []xres
	for _, r := range filterRules(f) {
		if r.dir == dirIngress {
			in = append(in, r.xml(tags))
		} else {
			eg = append(eg, r.xml(tags))
		}
	}
	return res(f).set("IngressFilterRules", in).set("EgressFilterRules", eg).with(tagSet(tags, f.TrafficMirrorFilterId))
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

func (s *Server) toXMLTarget(t *cloudmock.TrafficMirrorTarget, tags tagStore) xres {
	return res(t).with(xel{"type", targetType(t)}, xel{"ownerId", s.cfg.AccountID}, tagSet(tags, t.TrafficMirrorTargetId))
}

func (s *Server) toXMLSession(x *cloudmock.TrafficMirrorSession, tags tagStore) xres {
	return res(x).with(xel{"ownerId", s.cfg.AccountID}, tagSet(tags, x.TrafficMirrorSessionId))
}
