package ec2api

import "testing"

// FuzzAccountActions feeds arbitrary bodies to the account's read-only
// actions, the ELBv2 attribute actions and STS: every answer is
// well-formed XML with an expected status (no panic, no server error).
func FuzzAccountActions(f *testing.F) {
	for _, seed := range []string{
		"Action=DescribeAvailabilityZones&Version=2016-11-15&ZoneName.1=us-east-1a&AllAvailabilityZones=true&Filter.1.Name=zone-type&Filter.1.Value.1=*",
		"Action=DescribeImages&Version=2016-11-15&Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=al2023-ami-2023.*-x86_64&MaxResults=5",
		"Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-0123&MaxResults=5",
		"Action=DescribeInstanceTypes&Version=2016-11-15&InstanceType.1=t2.micro&MaxResults=5&NextToken=bWwxOnQyLm1pY3Jv",
		"Action=DescribeInstanceTypeOfferings&Version=2016-11-15&LocationType=availability-zone-id&Filter.1.Name=location&Filter.1.Value.1=use1-az?",
		"Action=ModifyLoadBalancerAttributes&Version=2015-12-01&LoadBalancerArn=" + nlbArn + "&Attributes.member.1.Key=deletion_protection.enabled&Attributes.member.1.Value=true",
		"Action=ModifyTargetGroupAttributes&Version=2015-12-01&TargetGroupArn=x&Attributes.member.01.Key=a",
		"Action=GetCallerIdentity&Version=2011-06-15",
	} {
		f.Add(seed)
	}
	spec := fixtureSpec()
	f.Fuzz(func(t *testing.T, body string) {
		s, err := New(Config{Spec: spec, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		verifyChanges(t, s)
		serveFuzzed(t, s, body)
	})
}
