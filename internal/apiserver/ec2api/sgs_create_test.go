package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestCreateSecurityGroup(t *testing.T) {
	_, c, applied := newAccountServer(t)
	out := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web servers"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}}))(t)
	id := aws.ToString(out.GroupId)
	if len(id) != len("sg-")+17 || len(out.Tags) != 1 || aws.ToString(out.SecurityGroupArn) == "" {
		t.Fatalf("CreateSecurityGroup answered %+v", out)
	}
	g := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"web"}}))(t).SecurityGroups
	if len(g) != 1 || aws.ToString(g[0].GroupId) != id || aws.ToString(g[0].Description) != "web servers" || len(g[0].IpPermissions) != 0 ||
		len(g[0].IpPermissionsEgress) != 1 || aws.ToString(g[0].IpPermissionsEgress[0].IpProtocol) != "-1" ||
		aws.ToString(g[0].VpcId) != applied.Vpcs[0].VpcId {
		t.Fatalf("the new group in the default VPC: %+v", g)
	}
	if i := findGroup(applied, id); i < 0 || applied.SecurityGroups[i].GroupName != "web" {
		t.Fatal("the new group is not in the model")
	}
	for _, tc := range []struct {
		in   ec2.CreateSecurityGroupInput
		code string
	}{
		{ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("again")}, "InvalidGroup.Duplicate"},
		{ec2.CreateSecurityGroupInput{GroupName: aws.String("default"), Description: aws.String("x")}, "InvalidGroup.Reserved"},
		{ec2.CreateSecurityGroupInput{GroupName: aws.String("sg-1"), Description: aws.String("x")}, "InvalidParameterValue"},
		{ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String("vpc-00000000000000000")}, "InvalidVpcID.NotFound"},
		{ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), DryRun: aws.Bool(true)}, "DryRunOperation"},
	} {
		_, err := c.CreateSecurityGroup(ctx, &tc.in)
		wantCode(t, err, tc.code)
	}
	// the same name in another VPC is another group
	vpc := createVpc(t, c, "10.1.0.0/16").VpcId
	must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("x"), VpcId: vpc}))(t)
}

// Without a default VPC, a group needs its VpcId.
func TestCreateSecurityGroupNoDefaultVpc(t *testing.T) {
	_, c := testServer(t, Config{})
	_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x")})
	wantCode(t, err, "VPCIdNotSpecified")
}

func TestDeleteSecurityGroup(t *testing.T) {
	_, c := testServer(t, Config{})
	// sgWeb is an interface's group; sgAdapter becomes referenced by a new group's rule
	_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sgWeb)})
	wantCode(t, err, "DependencyViolation")
	ref := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ref"), Description: aws.String("x"), VpcId: aws.String(vpcID)}))(t).GroupId
	lone := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lone"), Description: aws.String("x"), VpcId: aws.String(vpcID)}))(t).GroupId
	must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: ref, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: lone}}}}}))(t)
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: lone})
	wantCode(t, err, "DependencyViolation")
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: ref}))(t)
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: lone}))(t)
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: lone})
	wantCode(t, err, "InvalidGroup.NotFound")

	_, c2, _ := newAccountServer(t)
	def := must(c2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}}))(t).SecurityGroups[0].GroupId
	_, err = c2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: def})
	wantCode(t, err, "CannotDelete")
	must(c2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("byname"), Description: aws.String("x")}))(t)
	must(c2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("byname")}))(t)
}

// What the SDK will not send: a group without its description.
func TestCreateSecurityGroupMissingDescription(t *testing.T) {
	s, _ := testServer(t, Config{})
	wantRaw(t, s, "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=x&VpcId="+vpcID, 400, "MissingParameter")
}

// The provider's aws_security_group revokes a new group's default egress
// rule as EC2 gives it, then the IPv6 one, which a group without it
// answers InvalidPermission.NotFound.
func TestRevokeDefaultEgress(t *testing.T) {
	_, c, applied := newAccountServer(t)
	id := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("x")}))(t).GroupId
	must(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: id, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("-1"), FromPort: aws.Int32(0), ToPort: aws.Int32(0), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}))(t)
	_, err := c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: id, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("-1"), FromPort: aws.Int32(0), ToPort: aws.Int32(0), Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}}}})
	wantCode(t, err, "InvalidPermission.NotFound")
	if g := applied.SecurityGroups[findGroup(applied, aws.ToString(id))]; len(g.IpPermissionsEgress) != 0 {
		t.Fatalf("egress left: %+v", g.IpPermissionsEgress)
	}
}

// DescribeSecurityGroupRules lists a group's rules by the ids
// AuthorizeSecurityGroupIngress answered.
func TestDescribeSecurityGroupRules(t *testing.T) {
	_, c, _ := newAccountServer(t)
	id := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("x")}))(t).GroupId
	auth := must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: id, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}}))(t)
	rules := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{fl("group-id", aws.ToString(id))}}))(t).SecurityGroupRules
	if len(rules) != 2 { // the default egress rule and the new one
		t.Fatalf("rules: %+v", rules)
	}
	ruleID := aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId)
	one := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{ruleID}}))(t).SecurityGroupRules
	if len(one) != 1 || aws.ToBool(one[0].IsEgress) || aws.ToString(one[0].CidrIpv4) != "10.0.0.0/8" || aws.ToInt32(one[0].FromPort) != 80 {
		t.Fatalf("rule %s: %+v", ruleID, one)
	}
	_, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-00000000000000000"}})
	wantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")
}
