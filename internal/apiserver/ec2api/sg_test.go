package ec2api

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func groupIDs(out *ec2.DescribeSecurityGroupsOutput) (ids []string) {
	for _, g := range out.SecurityGroups {
		ids = append(ids, aws.ToString(g.GroupId))
	}
	return ids
}

func tcpFrom(port int32, cidr string) types.IpPermission {
	return types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port), IpRanges: []types.IpRange{{CidrIp: aws.String(cidr)}}}
}

func TestDescribeSecurityGroups(t *testing.T) {
	spec := fixtureSpec()
	for i := range 5 {
		spec.SecurityGroups = append(spec.SecurityGroups, cloudmock.SecurityGroup{GroupId: fmt.Sprintf("sg-1000000000000000%x", i), VpcId: vpcID,
			IpPermissionsEgress: []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}})
	}
	_, c := testServer(t, Config{Spec: spec, Names: fixtureNames})
	out := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"web-sg"}}))(t)
	if len(out.SecurityGroups) != 1 {
		t.Fatalf("by name: %+v", out.SecurityGroups)
	}
	g := out.SecurityGroups[0]
	if aws.ToString(g.GroupId) != sgWeb || aws.ToString(g.GroupName) != "web-sg" || aws.ToString(g.VpcId) != vpcID || len(g.IpPermissions) != 1 ||
		aws.ToString(g.IpPermissions[0].IpProtocol) != "tcp" || aws.ToInt32(g.IpPermissions[0].FromPort) != 80 || aws.ToInt32(g.IpPermissions[0].ToPort) != 80 ||
		aws.ToString(g.IpPermissions[0].IpRanges[0].CidrIp) != "0.0.0.0/0" || aws.ToString(g.SecurityGroupArn) != "arn:aws:ec2:us-east-1:123456789012:security-group/"+sgWeb {
		t.Fatalf("web-sg = %+v", g)
	}
	all := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filter("egress.ip-permission.protocol", "-1")}))(t)
	if len(all.SecurityGroups) != 5 || all.SecurityGroups[0].IpPermissionsEgress[0].FromPort != nil {
		t.Fatalf("egress -1 (no ports written): %+v", all.SecurityGroups)
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{filter("group-id", sgAdapter), []string{sgAdapter}},
		{filter("group-name", "adapter-sg"), []string{sgAdapter}},
		{filter("ip-permission.protocol", "udp"), []string{sgAdapter}},
		{filter("ip-permission.protocol", "6"), []string{sgWeb}},
		{filter("ip-permission.from-port", "4789"), []string{sgAdapter}},
		{filter("ip-permission.cidr", "10.0.0.0/28"), []string{sgAdapter}},
		{filter("tag:Name", "web-sg"), []string{sgWeb}},
	} {
		sameIDs(t, fmt.Sprint(aws.ToString(tc.fs[0].Name), tc.fs[0].Values), groupIDs(must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: tc.fs}))(t)), tc.want)
	}
	p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5)})
	n, pages := 0, 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).SecurityGroups)
		pages++
	}
	if n != 7 || pages != 2 {
		t.Fatalf("%d groups in %d pages, want 7 in 2", n, pages)
	}
	_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000099f"}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"nope"}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
}

func TestAuthorizeRevokeSecurityGroupRules(t *testing.T) {
	var applied []cloudmock.Spec
	s, c := testServer(t, Config{Names: fixtureNames, Apply: func(sp cloudmock.Spec) error { applied = append(applied, sp); return nil }})
	// VXLAN from the test subnet too, and from the web group
	out := must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sgAdapter),
		IpPermissions: []types.IpPermission{
			{IpProtocol: aws.String("udp"), FromPort: aws.Int32(4789), ToPort: aws.Int32(4789),
				IpRanges:         []types.IpRange{{CidrIp: aws.String("10.0.0.32/28"), Description: aws.String("test subnet")}},
				UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(sgWeb)}}},
		},
	}))(t)
	if !aws.ToBool(out.Return) || len(out.SecurityGroupRules) != 2 || aws.ToString(out.SecurityGroupRules[1].ReferencedGroupInfo.GroupId) != sgWeb ||
		!strings.HasPrefix(aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId), "sgr-") {
		t.Fatalf("authorize = %+v", out)
	}
	g := s.Spec().SecurityGroups[1]
	if len(g.IpPermissions) != 1 || len(g.IpPermissions[0].IpRanges) != 2 || len(g.IpPermissions[0].UserIdGroupPairs) != 1 {
		t.Fatalf("the rules join the udp 4789 permission: %+v", g.IpPermissions)
	}
	if len(applied) != 1 || len(applied[0].SecurityGroups[1].IpPermissions[0].IpRanges) != 2 {
		t.Fatalf("Apply saw %d states: %+v", len(applied), applied)
	}
	// the same rule again: nothing changes
	_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgAdapter),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("17"), FromPort: aws.Int32(4789), ToPort: aws.Int32(4789), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.32/28")}}}}})
	wantCode(t, err, "InvalidPermission.Duplicate")
	// the model's rules, naming the request's parameter
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb),
		IpPermissions: []types.IpPermission{tcpFrom(443, "10.0.0.0/33")}})
	wantCode(t, err, "InvalidParameterValue")
	if !strings.Contains(err.Error(), "IpPermissions.1.IpRanges.1.CidrIp") {
		t.Errorf("the error does not name the parameter: %v", err)
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(90), ToPort: aws.Int32(80), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(sgAdapter)}}}}})
	wantCode(t, err, "MissingParameter")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0000000000000099f")}}}}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0000000000000099f"), IpPermissions: []types.IpPermission{tcpFrom(80, "10.0.0.0/8")}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb), IpPermissions: []types.IpPermission{tcpFrom(81, "10.0.0.0/8")}, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb)})
	wantCode(t, err, "MissingParameter")
	if len(applied) != 1 {
		t.Fatalf("refused requests reached Apply: %d states", len(applied))
	}
	// the older form, by group name (ingress only)
	must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupName: aws.String("web-sg"), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), CidrIp: aws.String("10.0.0.0/24")}))(t)
	// egress: all to the test subnet
	eg := must(c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(sgWeb),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.32/28")}}}}}))(t)
	if !aws.ToBool(eg.SecurityGroupRules[0].IsEgress) || eg.SecurityGroupRules[0].FromPort != nil {
		t.Fatalf("egress rule = %+v", eg.SecurityGroupRules[0])
	}
	web := s.Spec().SecurityGroups[0]
	if len(web.IpPermissions) != 2 || len(web.IpPermissionsEgress) != 1 {
		t.Fatalf("web-sg = %+v", web)
	}

	// revoke: one known, one unknown rule
	rv := must(c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgAdapter),
		IpPermissions: []types.IpPermission{
			{IpProtocol: aws.String("udp"), FromPort: aws.Int32(4789), ToPort: aws.Int32(4789), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.32/28")}}},
			tcpFrom(22, "0.0.0.0/0"),
		}}))(t)
	if len(rv.RevokedSecurityGroupRules) != 1 || len(rv.UnknownIpPermissions) != 1 || aws.ToInt32(rv.UnknownIpPermissions[0].FromPort) != 22 {
		t.Fatalf("revoke = %+v", rv)
	}
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgAdapter), IpPermissions: []types.IpPermission{tcpFrom(22, "0.0.0.0/0")}})
	wantCode(t, err, "InvalidPermission.NotFound")
	// by rule id, from the authorize answer
	must(c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgAdapter), SecurityGroupRuleIds: []string{aws.ToString(out.SecurityGroupRules[1].SecurityGroupRuleId)}}))(t)
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgAdapter), SecurityGroupRuleIds: []string{aws.ToString(out.SecurityGroupRules[1].SecurityGroupRuleId)}})
	wantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")
	if g := s.Spec().SecurityGroups[1]; len(g.IpPermissions) != 1 || len(g.IpPermissions[0].IpRanges) != 1 || len(g.IpPermissions[0].UserIdGroupPairs) != 0 {
		t.Fatalf("adapter-sg after the revokes = %+v", g.IpPermissions)
	}
	must(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sgWeb),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("all"), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.32/28")}}}}}))(t)
	if g := s.Spec().SecurityGroups[0]; len(g.IpPermissionsEgress) != 0 {
		t.Fatalf("web-sg egress after revoke = %+v", g.IpPermissionsEgress)
	}
	// a dry run answers what the request would: NotFound for a rule that
	// is not there, DryRunOperation (and no change) for one that is
	_, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sgWeb), IpPermissions: []types.IpPermission{tcpFrom(80, "0.0.0.0/0")}, DryRun: aws.Bool(true)})
	wantCode(t, err, "InvalidPermission.NotFound")
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgWeb), IpPermissions: []types.IpPermission{tcpFrom(80, "0.0.0.0/0")}, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if n := len(s.Spec().SecurityGroups[0].IpPermissions); n != 2 {
		t.Fatalf("a dry run revoked: %d permissions left, want 2", n)
	}

	// an Apply that fails keeps the old state
	failing := errors.New("lab gone")
	s2, c2 := testServer(t, Config{Apply: func(cloudmock.Spec) error { return failing }})
	_, err = c2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgWeb), IpPermissions: []types.IpPermission{tcpFrom(443, "0.0.0.0/0")}})
	wantCode(t, err, "InternalError")
	if n := len(s2.Spec().SecurityGroups[0].IpPermissions); n != 1 {
		t.Fatalf("a failed Apply changed the state: %d permissions", n)
	}
}
