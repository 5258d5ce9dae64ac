package ec2api

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A dual-stack ENI is described with its IPv6 address and whether it is
// the primary one (which decides that its session's copies go over IPv6),
// and a filter rule with IPv6 CIDRs is accepted.
func TestDualStackOverTheAPI(t *testing.T) {
	spec := fixtureSpec()
	spec.Vpcs[0].Ipv6CidrBlock = "2001:db8:0:100::/56"
	spec.Subnets[0].Ipv6CidrBlock = "2001:db8:0:100::/64"
	for i := range spec.NetworkInterfaces {
		if spec.NetworkInterfaces[i].NetworkInterfaceId == eniWeb {
			spec.NetworkInterfaces[i].Ipv6Address = "2001:db8:0:100::5"
			spec.NetworkInterfaces[i].EnablePrimaryIpv6 = true
		}
	}
	_, c := testServer(t, Config{Spec: spec})
	ctx := context.Background()
	out := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eniWeb}}))(t)
	if len(out.NetworkInterfaces) != 1 {
		t.Fatalf("%d interfaces", len(out.NetworkInterfaces))
	}
	v6 := out.NetworkInterfaces[0].Ipv6Addresses
	if len(v6) != 1 || aws.ToString(v6[0].Ipv6Address) != "2001:db8:0:100::5" || !aws.ToBool(v6[0].IsPrimaryIpv6) {
		t.Fatalf("IPv6 addresses %+v", v6)
	}
	f := must(c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{}))(t)
	if _, err := c.CreateTrafficMirrorFilterRule(ctx, &ec2.CreateTrafficMirrorFilterRuleInput{
		TrafficMirrorFilterId: f.TrafficMirrorFilter.TrafficMirrorFilterId, TrafficDirection: types.TrafficDirectionIngress,
		RuleNumber: aws.Int32(100), RuleAction: types.TrafficMirrorRuleActionAccept,
		SourceCidrBlock: aws.String("::/0"), DestinationCidrBlock: aws.String("2001:db8:0:100::5/128"),
	}); err != nil {
		t.Fatalf("IPv6 filter rule refused: %v", err)
	}
	_, err := c.CreateTrafficMirrorFilterRule(ctx, &ec2.CreateTrafficMirrorFilterRuleInput{
		TrafficMirrorFilterId: f.TrafficMirrorFilter.TrafficMirrorFilterId, TrafficDirection: types.TrafficDirectionIngress,
		RuleNumber: aws.Int32(110), RuleAction: types.TrafficMirrorRuleActionAccept,
		SourceCidrBlock: aws.String("::/0"), DestinationCidrBlock: aws.String("0.0.0.0/0"),
	})
	wantCode(t, err, "InvalidParameterValue")
}
