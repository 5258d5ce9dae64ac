package export

import (
	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// mirror writes the mirror section from the state: its resources with the
// exported names for ids, by the loader's own tables.
func (c *conv) mirror() *yaml.Node {
	st := cloudmock.Spec{TrafficMirrorFilters: c.st.TrafficMirrorFilters, TrafficMirrorTargets: c.st.TrafficMirrorTargets,
		TrafficMirrorSessions: c.st.TrafficMirrorSessions}
	m := st.Clone()
	for i := range m.TrafficMirrorFilters {
		f := m.TrafficMirrorFilters[i]
		f.TrafficMirrorFilterId = c.ref(f.TrafficMirrorFilterId)
		for _, rules := range [][]cloudmock.TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
			for j := range rules {
				rules[j].TrafficMirrorFilterRuleId = "" // the scenario has no rule ids
			}
		}
	}
	for i := range m.TrafficMirrorTargets {
		t := m.TrafficMirrorTargets[i]
		t.TrafficMirrorTargetId = c.ref(t.TrafficMirrorTargetId)
		switch {
		case t.NetworkInterfaceId != "":
			t.NetworkInterfaceId, t.NetworkLoadBalancerArn, t.GatewayLoadBalancerEndpointId = c.ref(t.NetworkInterfaceId), "", ""
		case t.NetworkLoadBalancerArn != "":
			t.NetworkLoadBalancerArn, t.GatewayLoadBalancerEndpointId = c.ref(t.NetworkLoadBalancerArn), ""
		case t.GatewayLoadBalancerEndpointId != "":
			t.GatewayLoadBalancerEndpointId = c.ref(c.endpointLB(t.GatewayLoadBalancerEndpointId))
		}
	}
	for i := range m.TrafficMirrorSessions {
		s := m.TrafficMirrorSessions[i] // a deep clone's: its own
		s.TrafficMirrorSessionId, s.NetworkInterfaceId = c.ref(s.TrafficMirrorSessionId), c.ref(s.NetworkInterfaceId)
		s.TrafficMirrorTargetId, s.TrafficMirrorFilterId = c.ref(s.TrafficMirrorTargetId), c.ref(s.TrafficMirrorFilterId)
		for j, id := range s.TrafficMirrorSourceIds {
			s.TrafficMirrorSourceIds[j] = c.ref(id)
		}
	}
	return spec.MirrorNode(m)
}

// endpointLB is the ARN of the gateway load balancer whose endpoint is id
// (scenarios name the load balancer), or id itself.
func (c *conv) endpointLB(id string) string {
	for _, lb := range c.st.LoadBalancers {
		if lb.VpcEndpointId == id {
			return lb.LoadBalancerArn
		}
	}
	return id
}
