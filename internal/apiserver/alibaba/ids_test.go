package alibaba

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The Alibaba ids of a file never change from one version of mirrorlab to
// the next: these were assigned before AssignIDs used cloudmock's EachID
// (through a JSON tree), and must stay. The spec has an id of every
// prefix, an unnamed filter rule and references of every kind.
func TestAssignIDsPinned(t *testing.T) {
	spec := cloudmock.Spec{
		Vpcs:              []cloudmock.Vpc{{VpcId: "v"}},
		Subnets:           []cloudmock.Subnet{{SubnetId: "s", VpcId: "v"}},
		TransitGateways:   []cloudmock.TransitGateway{{TransitGatewayId: "t"}},
		SecurityGroups:    []cloudmock.SecurityGroup{{GroupId: "g", VpcId: "v"}},
		NetworkInterfaces: []cloudmock.NetworkInterface{{NetworkInterfaceId: "e", SubnetId: "s", InstanceId: "i", Groups: []string{"g"}}},
		LoadBalancers: []cloudmock.LoadBalancer{{LoadBalancerArn: "gw", Type: "gateway", SubnetId: "s", VpcEndpointId: "ep",
			Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: "e"}}}},
		TrafficMirrorFilters: []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "f",
			EgressFilterRules: []cloudmock.TrafficMirrorFilterRule{{RuleNumber: 1}}}},
		TrafficMirrorTargets: []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tg", NetworkLoadBalancerArn: "gw"}},
		TrafficMirrorSessions: []*cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "m", NetworkInterfaceId: "e",
			TrafficMirrorSourceIds: []string{"e"}, TrafficMirrorTargetId: "tg", TrafficMirrorFilterId: "f"}},
	}
	s, names := AssignIDs(spec, "pinned")
	for _, c := range []struct{ got, want string }{
		{s.Subnets[0].VpcId, "vpc-4wvymlmr8mbrceg358nqf"},
		{s.Subnets[0].SubnetId, "vsw-2xxwfbopwz244pvgdesl8"},
		{s.TransitGateways[0].TransitGatewayId, "tr-18s3cqfrv68hdtb7jd9ii"},
		{s.NetworkInterfaces[0].Groups[0], "sg-2ksv6syei6p342nk6mf8p"},
		{s.NetworkInterfaces[0].InstanceId, "i-448j63ky57l3oltfkdvng"},
		{s.LoadBalancers[0].LoadBalancerArn, "lb-2crp2u1id0zf9hed587qo"},
		{s.LoadBalancers[0].VpcEndpointId, "ep-b0qhjg19bha4jqgf50gil"},
		{s.LoadBalancers[0].Targets[0].NetworkInterfaceId, "eni-5fc9w7c61n74k4noplfb0"},
		{s.TrafficMirrorFilters[0].EgressFilterRules[0].TrafficMirrorFilterRuleId, "tmr-14l5h4m7mr9070ew0qtvi"},
		{s.TrafficMirrorTargets[0].NetworkLoadBalancerArn, "lb-2crp2u1id0zf9hed587qo"},
		{s.TrafficMirrorSessions[0].TrafficMirrorSourceIds[0], "eni-5fc9w7c61n74k4noplfb0"},
		{s.TrafficMirrorSessions[0].TrafficMirrorFilterId, "tmf-5m4tesnzwk5qk7fbbbtkk"},
		{names[s.LoadBalancers[0].LoadBalancerArn], "gw"},
		{names[s.TrafficMirrorSessions[0].TrafficMirrorSourceIds[0]], "e"},
	} {
		if c.got != c.want {
			t.Errorf("id %q, want %q", c.got, c.want)
		}
	}
	if len(names) != 11 {
		t.Errorf("names = %v", names)
	}
}
