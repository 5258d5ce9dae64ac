package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// An IPv6 block added to a VPC and one of its subnets after their
// creation, then removed (the subnet's first: the VPC's is in use).
func TestIPv6BlockAssociations(t *testing.T) {
	_, c, applied := newAccountServer(t)
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	sn := aws.ToString(createSubnet(t, c, vpc, "10.1.1.0/24", "us-east-1a").SubnetId)
	va := must(c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(vpc), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}))(t).Ipv6CidrBlockAssociation
	block := aws.ToString(va.Ipv6CidrBlock)
	if va.Ipv6CidrBlockState.State != types.VpcCidrBlockStateCodeAssociating || applied.Vpcs[findVpc(applied, vpc)].Ipv6CidrBlock != block {
		t.Fatalf("AssociateVpcCidrBlock answered %+v", va)
	}
	_, err := c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(vpc), AmazonProvidedIpv6CidrBlock: aws.Bool(true)})
	wantCode(t, err, "UnsupportedOperation")
	_, err = c.AssociateSubnetCidrBlock(ctx, &ec2.AssociateSubnetCidrBlockInput{SubnetId: aws.String(sn), Ipv6CidrBlock: aws.String("2600:1f18:ffff:ff00::/64")})
	wantCode(t, err, "InvalidSubnet.Range")
	sub64 := block[:len(block)-len("00::/56")] + "07::/64"
	sa := must(c.AssociateSubnetCidrBlock(ctx, &ec2.AssociateSubnetCidrBlockInput{SubnetId: aws.String(sn), Ipv6CidrBlock: aws.String(sub64)}))(t).Ipv6CidrBlockAssociation
	got := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{sn}}))(t).Subnets[0]
	if len(got.Ipv6CidrBlockAssociationSet) != 1 || aws.ToString(got.Ipv6CidrBlockAssociationSet[0].AssociationId) != aws.ToString(sa.AssociationId) {
		t.Fatalf("the subnet's IPv6 block: %+v", got.Ipv6CidrBlockAssociationSet)
	}
	_, err = c.DisassociateVpcCidrBlock(ctx, &ec2.DisassociateVpcCidrBlockInput{AssociationId: va.AssociationId})
	wantCode(t, err, "InvalidCidrBlock.InUse")
	must(c.DisassociateSubnetCidrBlock(ctx, &ec2.DisassociateSubnetCidrBlockInput{AssociationId: sa.AssociationId}))(t)
	must(c.DisassociateVpcCidrBlock(ctx, &ec2.DisassociateVpcCidrBlockInput{AssociationId: va.AssociationId}))(t)
	if v := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}}))(t).Vpcs[0]; len(v.Ipv6CidrBlockAssociationSet) != 0 {
		t.Fatalf("the VPC's IPv6 block is left: %+v", v.Ipv6CidrBlockAssociationSet)
	}
	_, err = c.DisassociateVpcCidrBlock(ctx, &ec2.DisassociateVpcCidrBlockInput{AssociationId: va.AssociationId})
	wantCode(t, err, "InvalidAssociationID.NotFound")
	primary := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}}))(t).Vpcs[0].CidrBlockAssociationSet[0].AssociationId
	_, err = c.DisassociateVpcCidrBlock(ctx, &ec2.DisassociateVpcCidrBlockInput{AssociationId: primary})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.2.0.0/16")})
	wantCode(t, err, "UnsupportedOperation")
}
