package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// newAccountServer serves a new account (NewAccount), recording the
// last state handed to Apply.
func newAccountServer(t *testing.T) (*Server, *ec2.Client, *cloudmock.Spec) {
	t.Helper()
	spec, names := NewAccount("us-east-1")
	applied := new(cloudmock.Spec)
	s, c := testServer(t, Config{Spec: spec, Names: names, Apply: func(sp cloudmock.Spec) error { *applied = sp; return nil }})
	return s, c, applied
}

func createVpc(t *testing.T, c *ec2.Client, cidr string) types.Vpc {
	t.Helper()
	return *must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)}))(t).Vpc
}

// A VPC created through the API gets EC2's defaults (ACL, group, main
// table), all in the model and answered by the Describe actions.
func TestCreateVpcWithDefaults(t *testing.T) {
	_, c, applied := newAccountServer(t)
	out := must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("lab")}}}}}))(t).Vpc
	id := aws.ToString(out.VpcId)
	if len(id) != len("vpc-")+17 || out.State != types.VpcStatePending || aws.ToBool(out.IsDefault) || len(out.Ipv6CidrBlockAssociationSet) != 1 {
		t.Fatalf("CreateVpc answered %+v", out)
	}
	got := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{fl("tag:Name", "lab")}}))(t).Vpcs
	if len(got) != 1 || aws.ToString(got[0].VpcId) != id || got[0].State != types.VpcStateAvailable {
		t.Fatalf("DescribeVpcs by tag: %+v", got)
	}
	if findVpc(applied, id) < 0 {
		t.Fatal("the new VPC was not handed to Apply")
	}
	byVpc := []types.Filter{fl("vpc-id", id)}
	sgs := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: append(byVpc, fl("group-name", "default"))}))(t).SecurityGroups
	if len(sgs) != 1 || aws.ToString(sgs[0].Description) != "default VPC security group" || len(sgs[0].IpPermissions) != 1 ||
		len(sgs[0].IpPermissionsEgress[0].Ipv6Ranges) != 1 {
		t.Fatalf("default group: %+v", sgs)
	}
	acls := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: append(byVpc, fl("default", "true"))}))(t).NetworkAcls
	if len(acls) != 1 || len(acls[0].Entries) != 6 { // allow v4, v6 and the implicit deny, both ways
		t.Fatalf("default ACL: %+v", acls)
	}
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: append(byVpc, fl("association.main", "true"))}))(t).RouteTables
	if len(rts) != 1 || len(rts[0].Routes) != 2 || aws.ToString(rts[0].Routes[0].GatewayId) != "local" {
		t.Fatalf("main route table: %+v", rts)
	}
}

func TestVpcAttributes(t *testing.T) {
	_, c, applied := newAccountServer(t)
	id := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	attr := func(a types.VpcAttributeName) *ec2.DescribeVpcAttributeOutput {
		return must(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: a}))(t)
	}
	if !aws.ToBool(attr(types.VpcAttributeNameEnableDnsSupport).EnableDnsSupport.Value) ||
		aws.ToBool(attr(types.VpcAttributeNameEnableDnsHostnames).EnableDnsHostnames.Value) ||
		aws.ToBool(attr(types.VpcAttributeNameEnableNetworkAddressUsageMetrics).EnableNetworkAddressUsageMetrics.Value) {
		t.Fatal("a new VPC's attributes are not EC2's defaults")
	}
	must(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))(t)
	must(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t)
	if !aws.ToBool(attr(types.VpcAttributeNameEnableDnsHostnames).EnableDnsHostnames.Value) || aws.ToBool(attr(types.VpcAttributeNameEnableDnsSupport).EnableDnsSupport.Value) {
		t.Fatal("modified attributes not answered")
	}
	if v := applied.Vpcs[findVpc(applied, id)]; !v.EnableDnsHostnames || v.DnsSupport() {
		t.Fatalf("the model's VPC: %+v", v)
	}
	_, err := c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id),
		EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: "enableSomething"})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-00000000000000000"), Attribute: types.VpcAttributeNameEnableDnsSupport})
	wantCode(t, err, "InvalidVpcID.NotFound")
}

func TestCreateVpcErrors(t *testing.T) {
	_, c, _ := newAccountServer(t)
	_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/29")})
	wantCode(t, err, "InvalidVpc.Range")
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{})
	wantCode(t, err, "MissingParameter")
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	for i := range cloudmock.VpcsPerRegion - 1 { // the default VPC is the first
		createVpc(t, c, "10.1.0.0/16")
		_ = i
	}
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	wantCode(t, err, "VpcLimitExceeded")
	if n := len(must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))(t).Vpcs); n != cloudmock.VpcsPerRegion {
		t.Fatalf("%d VPCs, want %d (the dry run and the refused one create none)", n, cloudmock.VpcsPerRegion)
	}
}

// DeleteVpc takes the VPC's defaults with it, and answers
// DependencyViolation while something else is in it.
func TestDeleteVpc(t *testing.T) {
	_, c, applied := newAccountServer(t)
	id := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	sg := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: aws.String(id)}))(t).GroupId
	_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
	wantCode(t, err, "DependencyViolation")
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg}))(t)
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)}))(t)
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	for _, g := range applied.SecurityGroups {
		if g.VpcId == id {
			t.Fatalf("group %s of the deleted VPC is left", g.GroupId)
		}
	}
	if len(applied.Vpcs) != 1 || len(applied.NetworkAcls) != 1 || len(applied.RouteTables) != 1 {
		t.Fatalf("the deleted VPC's defaults are left: %d VPCs, %d ACLs, %d route tables", len(applied.Vpcs), len(applied.NetworkAcls), len(applied.RouteTables))
	}
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
	wantCode(t, err, "InvalidVpcID.NotFound")
}

// The provider waits for a new VPC's IPv6 block by its association id
// and reads its pool and border group.
func TestVpcIPv6Association(t *testing.T) {
	_, c, _ := newAccountServer(t)
	v := *must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}))(t).Vpc
	a := v.Ipv6CidrBlockAssociationSet[0]
	if aws.ToString(a.Ipv6Pool) != "Amazon" || aws.ToString(a.NetworkBorderGroup) != "us-east-1" || a.Ipv6CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated {
		t.Fatalf("IPv6 association: %+v", a)
	}
	got := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{fl("ipv6-cidr-block-association.association-id", aws.ToString(a.AssociationId))}}))(t).Vpcs
	if len(got) != 1 || aws.ToString(got[0].VpcId) != aws.ToString(v.VpcId) {
		t.Fatalf("by association id: %+v", got)
	}
}

// A VPC's peering connections go with it, rejected ones included (which
// EC2 keeps for a while), and routes to them elsewhere become blackholes.
func TestDeleteVpcTakesItsPeerings(t *testing.T) {
	_, c, applied := newAccountServer(t)
	a, b, pcx := peeredVpcs(t, c)
	other := aws.ToString(createVpc(t, c, "10.3.0.0/16").VpcId)
	rejected := must(c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(other), PeerVpcId: aws.String(b)}))(t).VpcPeeringConnection.VpcPeeringConnectionId
	must(c.RejectVpcPeeringConnection(ctx, &ec2.RejectVpcPeeringConnectionInput{VpcPeeringConnectionId: rejected}))(t)
	mainA := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("vpc-id", a)}}))(t).RouteTables[0].RouteTableId
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: mainA, DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String(pcx)}))(t)
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(b)}))(t)
	if len(applied.VpcPeeringConnections) != 0 {
		t.Fatalf("peerings left: %+v", applied.VpcPeeringConnections)
	}
	rt := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{aws.ToString(mainA)}}))(t).RouteTables[0]
	if len(rt.Routes) != 2 || rt.Routes[1].State != types.RouteStateBlackhole {
		t.Fatalf("the route to the deleted peering: %+v", rt.Routes)
	}
}

// The provider's data "aws_vpc" {default = true} filters on isDefault
// (EC2 takes that spelling besides is-default).
func TestDescribeVpcsIsDefaultFilter(t *testing.T) {
	_, c, applied := newAccountServer(t)
	createVpc(t, c, "10.1.0.0/16")
	got := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{fl("isDefault", "true")}}))(t).Vpcs
	if len(got) != 1 || aws.ToString(got[0].VpcId) != applied.Vpcs[0].VpcId {
		t.Fatalf("isDefault=true: %+v", got)
	}
}
