package ec2api

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func createSubnet(t *testing.T, c *ec2.Client, vpc, cidr, zone string) types.Subnet {
	t.Helper()
	return *must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(zone)}))(t).Subnet
}

func TestCreateSubnet(t *testing.T) {
	_, c, applied := newAccountServer(t)
	vpc := createVpc(t, c, "10.1.0.0/16")
	id := aws.ToString(vpc.VpcId)
	sn := createSubnet(t, c, id, "10.1.1.0/24", "us-east-1c")
	sid := aws.ToString(sn.SubnetId)
	if len(sid) != len("subnet-")+17 || aws.ToString(sn.AvailabilityZone) != "us-east-1c" || aws.ToString(sn.AvailabilityZoneId) != "use1-az3" ||
		aws.ToInt32(sn.AvailableIpAddressCount) != 251 || aws.ToBool(sn.DefaultForAz) || aws.ToBool(sn.MapPublicIpOnLaunch) {
		t.Fatalf("CreateSubnet answered %+v", sn)
	}
	if i := findSubnet(applied, sid); i < 0 || applied.Subnets[i].AvailabilityZone != "us-east-1c" {
		t.Fatal("the subnet's zone is not in the model")
	}
	byZone := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{fl("availability-zone-id", "use1-az3"), fl("vpc-id", id)}}))(t).Subnets
	if len(byZone) != 1 || byZone[0].PrivateDnsNameOptionsOnLaunch.HostnameType != types.HostnameTypeIpName {
		t.Fatalf("by zone id: %+v", byZone)
	}
	acl := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{fl("association.subnet-id", sid)}}))(t).NetworkAcls
	if len(acl) != 1 || !aws.ToBool(acl[0].IsDefault) {
		t.Fatalf("the new subnet's ACL: %+v", acl)
	}
	byZoneID := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.2.0/24"), AvailabilityZoneId: aws.String("use1-az2")}))(t).Subnet
	if aws.ToString(byZoneID.AvailabilityZone) != "us-east-1b" {
		t.Fatalf("by zone id: %+v", byZoneID)
	}
	for _, tc := range []struct {
		in   ec2.CreateSubnetInput
		code string
	}{
		{ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.1.128/25")}, codes.SubnetConflict},
		{ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.2.0.0/24")}, codes.SubnetRange},
		{ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.3.0/29")}, codes.SubnetRange},
		{ec2.CreateSubnetInput{VpcId: aws.String("vpc-00000000000000000"), CidrBlock: aws.String("10.1.3.0/24")}, "InvalidVpcID.NotFound"},
		{ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.3.0/24"), AvailabilityZone: aws.String("us-east-1z")}, "InvalidParameterValue"},
		{ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.3.0/24"), AvailabilityZone: aws.String("us-east-1a"), AvailabilityZoneId: aws.String("use1-az1")}, "InvalidParameterCombination"},
		{ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.3.0/24"), DryRun: aws.Bool(true)}, "DryRunOperation"},
	} {
		_, err := c.CreateSubnet(ctx, &tc.in)
		wantCode(t, err, tc.code)
	}
	// a VPC holding subnets cannot be deleted
	_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: vpc.VpcId})
	wantCode(t, err, "DependencyViolation")
}

func TestCreateSubnetIPv6(t *testing.T) {
	_, c, _ := newAccountServer(t)
	vpc := *must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}))(t).Vpc
	block := aws.ToString(vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock) // a /56
	sub64 := block[:len(block)-len("00::/56")] + "01::/64"
	sn := *must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.1.1.0/24"), Ipv6CidrBlock: aws.String(sub64)}))(t).Subnet
	if len(sn.Ipv6CidrBlockAssociationSet) != 1 || aws.ToString(sn.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock) != sub64 {
		t.Fatalf("IPv6 subnet: %+v", sn)
	}
	byAssoc := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{
		fl("ipv6-cidr-block-association.association-id", aws.ToString(sn.Ipv6CidrBlockAssociationSet[0].AssociationId))}}))(t).Subnets
	if len(byAssoc) != 1 {
		t.Fatalf("by IPv6 association id: %+v", byAssoc)
	}
	must(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId, AssignIpv6AddressOnCreation: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))(t)
	got := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{aws.ToString(sn.SubnetId)}}))(t).Subnets[0]
	if !aws.ToBool(got.AssignIpv6AddressOnCreation) {
		t.Fatal("AssignIpv6AddressOnCreation not set")
	}
}

func TestModifySubnetAttribute(t *testing.T) {
	_, c, applied := newAccountServer(t)
	sn := createSubnet(t, c, aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId), "10.1.1.0/24", "us-east-1a")
	must(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId, MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))(t)
	got := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{fl("map-public-ip-on-launch", "true"), fl("subnet-id", aws.ToString(sn.SubnetId))}}))(t).Subnets
	if len(got) != 1 || !applied.Subnets[findSubnet(applied, aws.ToString(sn.SubnetId))].MapPublicIpOnLaunch {
		t.Fatalf("MapPublicIpOnLaunch: %+v", got)
	}
	must(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId, PrivateDnsHostnameTypeOnLaunch: types.HostnameTypeIpName}))(t)
	_, err := c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId, AssignIpv6AddressOnCreation: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId,
		MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}, EnableDns64: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String("subnet-00000000000000000"), MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
}

// DeleteSubnet: DependencyViolation while an interface is in it; the
// subnet's associations go with it.
func TestDeleteSubnet(t *testing.T) {
	_, c := testServer(t, Config{})
	_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(subPublic)})
	wantCode(t, err, "DependencyViolation")
	_, c2, applied := newAccountServer(t)
	vpc := aws.ToString(createVpc(t, c2, "10.1.0.0/16").VpcId)
	sn := createSubnet(t, c2, vpc, "10.1.1.0/24", "us-east-1a")
	must(c2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.SubnetId}))(t)
	for _, a := range applied.NetworkAcls {
		if len(a.Associations) > 0 && a.VpcId == vpc {
			t.Fatalf("ACL association left: %+v", a)
		}
	}
	_, err = c2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.SubnetId})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	must(c2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}))(t)
}

// data "aws_subnet" and aws_default_subnet filter on EC2's camelCase
// spellings: availabilityZone, availabilityZoneId, defaultForAz.
func TestDescribeSubnetsCamelCaseFilters(t *testing.T) {
	_, c, _ := newAccountServer(t)
	for _, f := range [][]types.Filter{
		{fl("availabilityZone", "us-east-1c"), fl("defaultForAz", "true")},
		{fl("availabilityZoneId", "use1-az3"), fl("defaultForAz", "true")},
	} {
		got := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: f}))(t).Subnets
		if len(got) != 1 || aws.ToString(got[0].CidrBlock) != "172.31.32.0/20" {
			t.Fatalf("%v: %+v", f, got)
		}
	}
}
