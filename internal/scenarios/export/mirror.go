package export

import "github.com/mirrorlab/mirrorlab/cloudmock"

// The mirror section as written.
type (
	outMirror struct {
		Filters  []outFilter  `yaml:"filters,omitempty"`
		Targets  []outTarget  `yaml:"targets,omitempty"`
		Sessions []outSession `yaml:"sessions,omitempty"`
	}
	outFilter struct {
		Name            string    `yaml:"name"`
		Description     string    `yaml:"Description,omitempty"`
		NetworkServices []string  `yaml:"NetworkServices,omitempty,flow"`
		Rules           []outRule `yaml:"rules,omitempty"`
	}
	outRule struct {
		TrafficDirection     string      `yaml:"TrafficDirection"`
		RuleNumber           int         `yaml:"RuleNumber"`
		RuleAction           string      `yaml:"RuleAction"`
		Protocol             *int        `yaml:"Protocol,omitempty"`
		SourceCidrBlock      string      `yaml:"SourceCidrBlock,omitempty"`
		DestinationCidrBlock string      `yaml:"DestinationCidrBlock,omitempty"`
		SourcePortRange      *outPortsTM `yaml:"SourcePortRange,omitempty"`
		DestinationPortRange *outPortsTM `yaml:"DestinationPortRange,omitempty"`
		Description          string      `yaml:"Description,omitempty"`
	}
	outPortsTM struct {
		FromPort int `yaml:"FromPort"`
		ToPort   int `yaml:"ToPort"`
	}
	outTarget struct {
		Name                          string `yaml:"name"`
		Description                   string `yaml:"Description,omitempty"`
		NetworkInterfaceId            string `yaml:"NetworkInterfaceId,omitempty"`
		NetworkLoadBalancerArn        string `yaml:"NetworkLoadBalancerArn,omitempty"`
		GatewayLoadBalancerEndpointId string `yaml:"GatewayLoadBalancerEndpointId,omitempty"`
	}
	outSession struct {
		Name                   string   `yaml:"name"`
		Description            string   `yaml:"Description,omitempty"`
		NetworkInterfaceId     string   `yaml:"NetworkInterfaceId"`
		TrafficMirrorSourceIds []string `yaml:"TrafficMirrorSourceIds,omitempty,flow"`
		TrafficMirrorTargetId  string   `yaml:"TrafficMirrorTargetId"`
		TrafficMirrorFilterId  string   `yaml:"TrafficMirrorFilterId"`
		SessionNumber          int      `yaml:"SessionNumber"`
		VirtualNetworkId       *int     `yaml:"VirtualNetworkId,omitempty"`
		PacketLength           *int     `yaml:"PacketLength,omitempty"`
	}
)

// mirror writes the mirror section from the state.
func (c *conv) mirror() outMirror {
	var out outMirror
	for _, f := range c.st.TrafficMirrorFilters {
		of := outFilter{Name: c.ref(f.TrafficMirrorFilterId), Description: f.Description, NetworkServices: f.NetworkServices}
		for _, r := range f.IngressFilterRules {
			of.Rules = append(of.Rules, filterRule("ingress", r))
		}
		for _, r := range f.EgressFilterRules {
			of.Rules = append(of.Rules, filterRule("egress", r))
		}
		out.Filters = append(out.Filters, of)
	}
	for _, t := range c.st.TrafficMirrorTargets {
		ot := outTarget{Name: c.ref(t.TrafficMirrorTargetId), Description: t.Description}
		switch {
		case t.NetworkInterfaceId != "":
			ot.NetworkInterfaceId = c.ref(t.NetworkInterfaceId)
		case t.NetworkLoadBalancerArn != "":
			ot.NetworkLoadBalancerArn = c.ref(t.NetworkLoadBalancerArn)
		case t.GatewayLoadBalancerEndpointId != "":
			ot.GatewayLoadBalancerEndpointId = c.ref(c.endpointLB(t.GatewayLoadBalancerEndpointId))
		}
		out.Targets = append(out.Targets, ot)
	}
	for _, s := range c.st.TrafficMirrorSessions {
		os := outSession{
			Name: c.ref(s.TrafficMirrorSessionId), Description: s.Description,
			NetworkInterfaceId:    c.ref(s.NetworkInterfaceId),
			TrafficMirrorTargetId: c.ref(s.TrafficMirrorTargetId), TrafficMirrorFilterId: c.ref(s.TrafficMirrorFilterId),
			SessionNumber: s.SessionNumber, VirtualNetworkId: s.VirtualNetworkId, PacketLength: s.PacketLength,
		}
		for _, id := range s.TrafficMirrorSourceIds {
			os.TrafficMirrorSourceIds = append(os.TrafficMirrorSourceIds, c.ref(id))
		}
		out.Sessions = append(out.Sessions, os)
	}
	return out
}

func filterRule(dir string, r cloudmock.TrafficMirrorFilterRule) outRule {
	o := outRule{
		TrafficDirection: dir, RuleNumber: r.RuleNumber, RuleAction: r.RuleAction,
		SourceCidrBlock: r.SourceCidrBlock, DestinationCidrBlock: r.DestinationCidrBlock, Description: r.Description,
	}
	if r.Protocol != 0 {
		o.Protocol = cloudmock.Ptr(r.Protocol)
	}
	if p := r.SourcePortRange; p != nil {
		o.SourcePortRange = &outPortsTM{FromPort: p.FromPort, ToPort: p.ToPort}
	}
	if p := r.DestinationPortRange; p != nil {
		o.DestinationPortRange = &outPortsTM{FromPort: p.FromPort, ToPort: p.ToPort}
	}
	return o
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
