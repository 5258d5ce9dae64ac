package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestDescribeSecurityGroupRuleDescriptions: the Description of each peer
// of a rule (IPv4 range, IPv6 range, group pair) in the model is in the
// DescribeSecurityGroups answer.
func TestDescribeSecurityGroupRuleDescriptions(t *testing.T) {
	spec := fixtureSpec()
	for i := range spec.SecurityGroups {
		if spec.SecurityGroups[i].GroupId == sgWeb {
			spec.SecurityGroups[i].IpPermissions = []cloudmock.IpPermission{{IpProtocol: "6", FromPort: 80, ToPort: 80,
				IpRanges:         []cloudmock.IpRange{{CidrIp: "0.0.0.0/0", Description: "web from anywhere"}},
				Ipv6Ranges:       []cloudmock.Ipv6Range{{CidrIpv6: "::/0", Description: "web over IPv6"}},
				UserIdGroupPairs: []cloudmock.UserIdGroupPair{{GroupId: sgAdapter, Description: "from the adapter"}}}}
		}
	}
	_, c := testServer(t, Config{Spec: spec, Names: fixtureNames})
	out := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sgWeb}}))(t)
	if len(out.SecurityGroups) != 1 || len(out.SecurityGroups[0].IpPermissions) != 1 {
		t.Fatalf("web-sg: %+v", out.SecurityGroups)
	}
	p := out.SecurityGroups[0].IpPermissions[0]
	if len(p.IpRanges) != 1 || len(p.Ipv6Ranges) != 1 || len(p.UserIdGroupPairs) != 1 {
		t.Fatalf("peers: %+v", p)
	}
	for got, want := range map[*string]string{
		p.IpRanges[0].Description: "web from anywhere", p.Ipv6Ranges[0].Description: "web over IPv6",
		p.UserIdGroupPairs[0].Description: "from the adapter",
	} {
		if aws.ToString(got) != want {
			t.Errorf("description %q, want %q", aws.ToString(got), want)
		}
	}
}
