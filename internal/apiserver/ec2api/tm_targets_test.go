package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func newTarget(tb testing.TB, c *ec2.Client, in *ec2.CreateTrafficMirrorTargetInput) string {
	tb.Helper()
	out := must(c.CreateTrafficMirrorTarget(ctx, in))(tb)
	return aws.ToString(out.TrafficMirrorTarget.TrafficMirrorTargetId)
}

func TestTargets(t *testing.T) {
	s, c := testServer(t, Config{})
	out := must(c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{
		NetworkInterfaceId: aws.String(eniAdapter),
		Description:        aws.String("adapter"),
		TagSpecifications:  tagSpec(types.ResourceTypeTrafficMirrorTarget, "Name", "adapter-target"),
	}))(t)
	tg := out.TrafficMirrorTarget
	eniTarget := aws.ToString(tg.TrafficMirrorTargetId)
	if tg.Type != types.TrafficMirrorTargetTypeNetworkInterface || aws.ToString(tg.OwnerId) != "123456789012" || aws.ToString(tg.NetworkInterfaceId) != eniAdapter || len(tg.Tags) != 1 {
		t.Fatalf("target = %+v", tg)
	}
	nlbTarget := newTarget(t, c, &ec2.CreateTrafficMirrorTargetInput{NetworkLoadBalancerArn: aws.String(nlbArn)})
	gwTarget := newTarget(t, c, &ec2.CreateTrafficMirrorTargetInput{GatewayLoadBalancerEndpointId: aws.String(vpceID)})
	if n := len(s.Spec().TrafficMirrorTargets); n != 3 {
		t.Fatalf("%d targets in the spec, want 3", n)
	}
	d := must(c.DescribeTrafficMirrorTargets(ctx, &ec2.DescribeTrafficMirrorTargetsInput{TrafficMirrorTargetIds: []string{gwTarget}}))(t)
	if len(d.TrafficMirrorTargets) != 1 || d.TrafficMirrorTargets[0].Type != types.TrafficMirrorTargetTypeGatewayLoadBalancerEndpoint {
		t.Fatalf("describe gateway target = %+v", d.TrafficMirrorTargets)
	}
	f := func(name string, vals ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: vals}}
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{f("network-interface-id", eniAdapter), []string{eniTarget}},
		{f("network-load-balancer-arn", nlbArn), []string{nlbTarget}},
		{f("description", "adapt*"), []string{eniTarget}},
		{f("owner-id", "123456789012"), []string{eniTarget, nlbTarget, gwTarget}},
		{f("owner-id", "999"), nil},
		{f("traffic-mirror-target-id", nlbTarget, gwTarget), []string{nlbTarget, gwTarget}},
		{f("tag:Name", "adapter-target"), []string{eniTarget}},
	} {
		d := must(c.DescribeTrafficMirrorTargets(ctx, &ec2.DescribeTrafficMirrorTargetsInput{Filters: tc.fs}))(t)
		got := map[string]bool{}
		for _, x := range d.TrafficMirrorTargets {
			got[aws.ToString(x.TrafficMirrorTargetId)] = true
		}
		if len(got) != len(tc.want) {
			t.Errorf("filter %s=%v: %v, want %v", aws.ToString(tc.fs[0].Name), tc.fs[0].Values, got, tc.want)
		}
		for _, w := range tc.want {
			if !got[w] {
				t.Errorf("filter %s=%v: %s missing", aws.ToString(tc.fs[0].Name), tc.fs[0].Values, w)
			}
		}
	}
	must(c.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(gwTarget)}))(t)
	_, err := c.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(gwTarget)})
	wantCode(t, err, "InvalidTrafficMirrorTargetId.NotFound")
	_, err = c.DescribeTrafficMirrorTargets(ctx, &ec2.DescribeTrafficMirrorTargetsInput{TrafficMirrorTargetIds: []string{gwTarget}})
	wantCode(t, err, "InvalidTrafficMirrorTargetId.NotFound")
}

func TestTargetErrors(t *testing.T) {
	s, c := testServer(t, Config{})
	// The model's rules, answered with its codes.
	_, err := c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String("eni-00000000000000999")})
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
	_, err = c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{})
	wantCode(t, err, "MissingParameter")
	_, err = c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniAdapter), NetworkLoadBalancerArn: aws.String(nlbArn)})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkLoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/1")})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniAdapter), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniAdapter), TagSpecifications: tagSpec(types.ResourceTypeTrafficMirrorSession, "a", "b")})
	wantCode(t, err, "InvalidParameterValue")
	if n := len(s.Spec().TrafficMirrorTargets); n != 0 {
		t.Fatalf("failed creates left %d targets", n)
	}
	wantRaw(t, s, "Action=DeleteTrafficMirrorTarget&Version=2016-11-15", 400, "MissingParameter")
	// Idempotency.
	in := &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniAdapter), ClientToken: aws.String("t1")}
	a := newTarget(t, c, in)
	if b := newTarget(t, c, in); a != b {
		t.Fatalf("same token: %s then %s", a, b)
	}
	_, err = c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniTest), ClientToken: aws.String("t1")})
	wantCode(t, err, "IdempotentParameterMismatch")
	_, err = c.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(a), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeTrafficMirrorTargets(ctx, &ec2.DescribeTrafficMirrorTargetsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeTrafficMirrorTargets(ctx, &ec2.DescribeTrafficMirrorTargetsInput{Filters: []types.Filter{{Name: aws.String("type"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestTargetPages(t *testing.T) {
	_, c := testServer(t, Config{})
	for _, e := range []string{eniAdapter, eniTest, eniClient, eniWeb, eniAgent2} {
		newTarget(t, c, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(e)})
	}
	newTarget(t, c, &ec2.CreateTrafficMirrorTargetInput{NetworkLoadBalancerArn: aws.String(nlbArn)})
	p := ec2.NewDescribeTrafficMirrorTargetsPaginator(c, &ec2.DescribeTrafficMirrorTargetsInput{MaxResults: aws.Int32(5)})
	seen, pages := map[string]bool{}, 0
	for p.HasMorePages() {
		for _, x := range must(p.NextPage(ctx))(t).TrafficMirrorTargets {
			seen[aws.ToString(x.TrafficMirrorTargetId)] = true
		}
		pages++
	}
	if pages != 2 || len(seen) != 6 {
		t.Fatalf("%d pages, %d targets; want 2 and 6", pages, len(seen))
	}
	_, err := c.DescribeTrafficMirrorTargets(ctx, &ec2.DescribeTrafficMirrorTargetsInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
}
